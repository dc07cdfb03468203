"""The live audit's HTTP client: standard library only (http.client + ssl), one connection per request.

Manners, enforced here rather than by each probe: a budget of requests per host (``BudgetSpent``), a
per-request timeout and an overall deadline (``LiveError``), redirects followed only to the same host,
TLS verified unless ``insecure``, at most ``MAX_BODY`` bytes of a body read. Every failure becomes a
``LiveError`` with a one-line reason, never a raw exception.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from urllib.parse import urljoin, urlsplit

from .. import __version__

MAX_BODY = 64 * 1024
MAX_REDIRECTS = 3
USER_AGENT = f"flask-middleware-validator/{__version__} (live audit; validate.py --url)"


class LiveError(Exception):
    """A request that got no usable HTTP answer; the message is one line."""


class BudgetSpent(LiveError):
    """The per-host request budget (or the overall deadline) is used up: the request was not sent."""


class Response:
    def __init__(self, method: str, url: str, status: int, headers: list, body: bytes):
        self.method = method
        self.url = url
        self.status = status
        self.headers = headers  # [(name, value)] as received, duplicates kept
        self.body = body

    def header(self, name: str):
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list:
        low = name.lower()
        return [v for k, v in self.headers if k.lower() == low]

    def names(self) -> set:
        return {k.lower() for k, _ in self.headers}

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    @property
    def media_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def label(self) -> str:
        """``GET /api/health (200, application/json)``: how a finding names the exchange."""
        kind = f", {self.media_type}" if self.media_type else ""
        return f"{self.method} {self.path} ({self.status}{kind})"


def host_key(url: str) -> str:
    """What the request budget counts per: the host name, whatever the scheme and port."""
    return (urlsplit(url).hostname or "").lower()


def check_url(url: str) -> str:
    """The URL if it is an absolute http(s) URL with a host and a valid port; else LiveError."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise LiveError(f"bad URL {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise LiveError(f"bad URL {url!r}: only http:// and https:// URLs can be audited")
    if not parts.hostname:
        raise LiveError(f"bad URL {url!r}: no host")
    if any(c.isspace() or ord(c) < 32 or ord(c) > 126 for c in url):
        raise LiveError(f"bad URL {url!r}: spaces, control or non-ASCII characters (percent-encode them)")
    if port == 0:
        raise LiveError(f"bad URL {url!r}: port 0")
    return url


class Client:
    def __init__(self, timeout: float, deadline: float, insecure: bool, budget: int):
        self.timeout = timeout
        self.deadline = time.monotonic() + deadline
        self.deadline_s = deadline
        self.insecure = insecure
        self.budget = budget  # requests per host, redirects included
        self.sent: dict[str, int] = {}
        if insecure:
            self.tls = ssl._create_unverified_context()  # noqa: S323 - only with --insecure, said in the output
        else:
            self.tls = ssl.create_default_context()

    def request(self, method: str, url: str, headers=None, body: bytes | None = None) -> Response:
        """Send one request; follow up to MAX_REDIRECTS redirects that stay on the same host."""
        start = urlsplit(url)
        for _ in range(MAX_REDIRECTS + 1):
            resp = self._once(method, url, headers or {}, body)
            location = resp.header("Location")
            if resp.status not in (301, 302, 303, 307, 308) or not location:
                return resp
            target = urljoin(url, location)
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.hostname != start.hostname:
                return resp  # another host: judged as the redirect it is, never followed
            if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
                method, body = "GET", None
            url = target
        return resp

    def _once(self, method: str, url: str, headers: dict, body: bytes | None) -> Response:
        key = host_key(url)
        if self.sent.get(key, 0) >= self.budget:
            raise BudgetSpent(f"request budget of {self.budget} for {key} spent; {method} {url} not sent")
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise BudgetSpent(f"overall deadline of {self.deadline_s:g}s (--deadline) passed; {method} {url} not sent")
        self.sent[key] = self.sent.get(key, 0) + 1
        timeout = min(self.timeout, remaining)
        parts = urlsplit(url)
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=self.tls)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        # The socket timeout bounds each read; a server trickling a byte at a time would never trip it.
        # This watchdog bounds the whole exchange: it shuts the socket down, which wakes a blocked read.
        expired = threading.Event()

        def expire():
            expired.set()
            if conn.sock is not None:
                try:
                    conn.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        watchdog = threading.Timer(timeout, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            status, received, data = self._exchange(conn, method, parts, headers, body, expired)
            return Response(method, url, status, received, data)
        except Exception as exc:  # every failure becomes one line: never a traceback
            if expired.is_set() or isinstance(exc, (socket.timeout, TimeoutError)):
                if timeout == self.timeout:
                    raise LiveError(f"{method} {url}: no complete answer within {timeout:g}s (--timeout)") from None
                raise LiveError(
                    f"{method} {url}: no complete answer before the overall deadline of {self.deadline_s:g}s "
                    "(--deadline)"
                ) from None
            raise LiveError(f"{method} {url}: {_reason(exc, key, parts.hostname)}") from None
        finally:
            watchdog.cancel()
            conn.close()

    @staticmethod
    def _exchange(conn, method, parts, headers, body, expired):
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.putrequest(method, target, skip_accept_encoding=True)
        given = {k.lower() for k in headers}
        defaults = {"User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close"}
        for name, value in [(k, v) for k, v in defaults.items() if k.lower() not in given] + list(headers.items()):
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        raw = conn.getresponse()
        data = b""
        while method != "HEAD" and len(data) < MAX_BODY:
            chunk = raw.read1(MAX_BODY - len(data))
            if not chunk:
                break
            data += chunk
        if expired.is_set():  # the watchdog cut the body short: not a complete answer
            raise socket.timeout("watchdog")
        return raw.status, list(raw.getheaders()), data


def _reason(exc: BaseException, key: str, hostname: str) -> str:
    """One line saying why a request got no usable answer."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"TLS certificate verification failed ({exc.verify_message or exc.reason}); --insecure skips the check"
        )
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed ({exc.reason or exc})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the server running there?)"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {hostname!r} ({exc.strerror or exc})"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected)):
        return "the server closed or reset the connection without an answer"
    detail = " ".join(str(exc).split())[:80]
    if isinstance(exc, http.client.HTTPException):
        return f"the answer is not valid HTTP ({type(exc).__name__}: {detail!r})"
    if isinstance(exc, OSError):
        return exc.strerror or f"{type(exc).__name__}: {detail}"
    return f"cannot send the request ({type(exc).__name__}: {detail})"  # e.g. http.client.InvalidURL
