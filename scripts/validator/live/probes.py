"""The live probe set: what a browser and an attacker send to a deployed URL, and nothing more.

Every request goes through ``LiveProbe.send``, which records the exchange for the rules (rules.py) and
turns a failed request into a note (or, for the very first request, into the run's exit-2 error). Only
GET, POST (to the login path, only under ``--burst``) and OPTIONS are sent. The set, in order, at most
``PROBE_SET_SIZE`` requests per URL without ``--burst``:

 1. GET the URL itself (its media type makes it the API path or the HTML path unless ``--path`` says)
 2. GET the API path, 3. GET the HTML path (each only if given/found and not the URL itself)
 4. GET ``<api prefix>/__fmw_probe__/missing`` (a 404)
 5. GET the login path (a POST-only route answers 405)
 6-8. GET the API path with a hostile ``X-Request-ID``: a line break, 1,000 characters, non-ASCII bytes
 9. GET the API path from ``Origin: https://evil.example``, 10. the same from ``Origin: null``,
 11. GET the HTML path from ``Origin: https://evil.example``
 12. a preflight (OPTIONS) on the login path (else the API path) from ``https://evil.example``
 13-15. GET the API path, GET the HTML path and the preflight from ``--origin`` (else the site's own)
 ``--burst N``: up to N POSTs to the login path (stopping at the first 429) and 1 preflight on it
 after the 429; then up to N preflights to the API path (stopping at the first 429).
"""

from __future__ import annotations

import json
import secrets
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit

from ..wire import FOREIGN_ORIGIN, PROBE_EMAIL
from .http import BudgetSpent, LiveError

PROBE_SET_SIZE = 15
# Hostile client request IDs. http.client refuses a bare CR/LF in a header value (it would split the
# request), so the line break is sent as obs-fold (CRLF + space), the one form HTTP/1.1 ever allowed.
HOSTILE_IDS = {
    "a line break": "fmw-probe\r\n fmw-injected",
    "1,000 characters": "f" * 1000,
    "non-ASCII bytes": "fmw-probe-\u00e9\u2603\U0001f600".encode(),
}


class _LoginForm(HTMLParser):
    """Finds the action of the first POST form with a password field in an HTML page."""

    def __init__(self):
        super().__init__()
        self.form = None  # the action of the form being read, if it is a POST form
        self.found = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.form = attrs.get("action") or "" if (attrs.get("method") or "").lower() == "post" else None
        elif tag == "input" and self.form is not None and (attrs.get("type") or "").lower() == "password":
            self.found = self.found if self.found is not None else self.form

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None


def login_form_path(page_url: str, body: bytes) -> str | None:
    """The same-host path a login form on the page posts to (its action, resolved), if there is one."""
    parser = _LoginForm()
    try:
        parser.feed(body.decode("utf-8", "replace"))
    except Exception:  # a page html.parser cannot read has no form we can use
        return None
    if parser.found is None:
        return None
    target = urlsplit(urljoin(page_url, parser.found))
    if target.hostname != urlsplit(page_url).hostname or not target.path.startswith("/"):
        return None
    return target.path


class Exchange:
    """One request and its answer, with what the rules need to know about why it was sent."""

    __slots__ = ("area", "kind", "origin", "resp", "sent_id")

    def __init__(self, kind: str, resp, area: str = "", origin: str | None = None, sent_id: str | None = None):
        # base, api, html, 404, 405, login-get, rid:<what>, cors, preflight, burst, after-429, preflight-burst
        self.kind = kind
        self.resp = resp
        self.area = area  # "api" or "html": which part of the site the path belongs to
        self.origin = origin  # the Origin header sent, if any
        self.sent_id = sent_id  # the X-Request-ID sent, as it travels on the wire (latin-1 text)


class LiveProbe:
    def __init__(self, client, url: str, paths: dict, origin: str | None, burst: int):
        self.client = client
        self.url = url
        parts = urlsplit(url)
        self.root = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        self.base_path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.paths = dict(paths)  # api, html, login
        self.origin = origin
        self.burst = burst
        self.exchanges: list[Exchange] = []
        self.notes: list[str] = []

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def send(self, kind, path, method="GET", headers=None, body=None, area="", origin=None, sent_id=None):
        headers = dict(headers or {})
        if origin:
            headers["Origin"] = origin
        try:
            resp = self.client.request(method, self.root + path, headers, body)
        except BudgetSpent as exc:
            self.note(str(exc))
            return None
        except LiveError as exc:
            if not self.exchanges:
                raise  # the URL itself does not answer: nothing can be audited
            self.note(str(exc))
            return None
        self.exchanges.append(Exchange(kind, resp, area, origin, sent_id))
        return resp

    # -- the probe set, in order ---------------------------------------------------------------

    def run(self) -> None:
        self.discover()
        if self.burst and not self.paths.get("login"):
            raise LiveError("--burst needs the login path: --path login=/your/login (no login form found at the URL)")
        self.response_kinds()
        self.request_ids()
        self.cors()
        if self.burst:
            self.rate_limit_burst()

    def discover(self) -> None:
        resp = self.send("base", self.base_path, area="api")
        if resp is None:
            return
        final = urlsplit(resp.url)
        root = urlunsplit((final.scheme, final.netloc, "", "", ""))
        if root != self.root:  # e.g. http:// redirects to https:// on the same host: probe that directly
            self.note(f"{self.root} redirects to {root}: the other probes go there")
            self.root = root
        if final.scheme != "https":
            self.note("plain http: Strict-Transport-Security is only checked on https URLs")
        if 200 <= resp.status < 300:
            if "json" in resp.media_type:
                self.paths.setdefault("api", self.base_path)
            elif "html" in resp.media_type:
                self.paths.setdefault("html", self.base_path)
                login = login_form_path(resp.url, resp.body)
                if login and "login" not in self.paths:
                    self.paths["login"] = login
                    self.note(f"login path {login} taken from the page's password form")
        if self.paths.get("html") == self.base_path:
            self.exchanges[-1].area = "html"
        if "api" not in self.paths:
            self.note("no JSON answer at the URL and no --path api=...: the 404 path stands in for the API path")
        if "html" not in self.paths:
            self.note("no HTML answer at the URL and no --path html=...: HTML-page checks (CORS003) were skipped")
        if "login" not in self.paths:
            self.note("no --path login=...: no 405 probe, preflights go to the API path, --burst is unavailable")

    @property
    def api_prefix(self) -> str:
        for key in ("api", "login"):
            path = self.paths.get(key)
            if path and path.strip("/").count("/") >= 1:
                return "/" + path.strip("/").split("/")[0]
        return ""

    @property
    def missing_path(self) -> str:
        return f"{self.api_prefix}/__fmw_probe__/missing"

    @property
    def api_path(self) -> str:
        return self.paths.get("api") or self.missing_path

    def response_kinds(self) -> None:
        for key in ("api", "html"):
            if self.paths.get(key) and self.paths[key] != self.base_path:
                self.send(key, self.paths[key], area=key)
        resp = self.send("404", self.missing_path, area="api")
        if resp is not None and resp.status != 404:
            self.note(f"{resp.label()}: expected 404 for a path that cannot exist")
        if self.paths.get("login"):
            resp = self.send("405", self.paths["login"], area="api")
            if resp is not None and resp.status != 405:
                self.note(f"{resp.label()}: GET on the login path is not a 405, so no 405 was checked")
                self.exchanges[-1].kind = "login-get"

    def request_ids(self) -> None:
        for what, value in HOSTILE_IDS.items():
            sent = value.decode("latin-1") if isinstance(value, bytes) else value
            self.send("rid:" + what, self.api_path, headers={"X-Request-ID": value}, area="api", sent_id=sent)

    def cors(self) -> None:
        self.send("cors", self.api_path, area="api", origin=FOREIGN_ORIGIN)
        self.send("cors", self.api_path, area="api", origin="null")
        if self.paths.get("html"):
            self.send("cors", self.paths["html"], area="html", origin=FOREIGN_ORIGIN)
        self.preflight(FOREIGN_ORIGIN)
        # An allowed-looking origin: --origin, else the site's own (a frontend served beside its API).
        # The checks on these answers fire only if the site grants that origin.
        allowed = self.origin or self.root
        if not self.origin:
            self.note(f"no --origin: the site's own origin {allowed} stood in for an allowed one")
        self.send("cors", self.api_path, area="api", origin=allowed)
        if self.paths.get("html"):
            self.send("cors", self.paths["html"], area="html", origin=allowed)
        self.preflight(allowed)

    def preflight(self, origin: str, kind: str = "preflight"):
        path = self.paths.get("login") or self.api_path
        method = "POST" if self.paths.get("login") else "GET"
        headers = {"Access-Control-Request-Method": method, "Access-Control-Request-Headers": "content-type"}
        return self.send(kind, path, method="OPTIONS", headers=headers, area="api", origin=origin)

    def rate_limit_burst(self) -> None:
        path = self.paths["login"]
        body = json.dumps(
            {"email": PROBE_EMAIL, "username": PROBE_EMAIL, "password": "fmw-probe-" + secrets.token_hex(8)}
        ).encode()
        headers = {"Content-Type": "application/json"}
        for _ in range(self.burst):
            resp = self.send("burst", path, "POST", headers, body, area="api", origin=self.origin)
            if resp is None or resp.status == 429:
                break
        if resp is not None and resp.status == 429:
            self.preflight(self.origin or FOREIGN_ORIGIN, kind="after-429")
        self.preflight_burst()

    def preflight_burst(self) -> None:
        """Up to N preflights to the API path: a default limit (which Flask-Limiter applies to OPTIONS,
        unlike a route's own @limiter.limit) refuses them with 429 once spent."""
        if not self.paths.get("api"):
            self.note("no API path: preflights against the default limits (RATE005) were not probed")
            return
        headers = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "content-type"}
        for _ in range(self.burst):
            origin = self.origin or FOREIGN_ORIGIN
            resp = self.send("preflight-burst", self.paths["api"], "OPTIONS", headers, area="api", origin=origin)
            if resp is None or resp.status == 429:
                break
