"""Small real servers on 127.0.0.1 for the live audit's manners: raw sockets that misbehave on purpose,
and an HTTP server that records every request it receives. Each runs in a thread of the test process;
the audit runs in a subprocess and talks to them over real sockets."""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class RawServer:
    """Accepts connections and hands each socket to ``behaviour(conn)`` in its own thread."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in the serving thread
        except OSError:
            pass
        self.sock.close()
        for conn in self._open:
            try:
                conn.close()
            except OSError:
                pass
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn) -> None:
        try:
            self.behaviour(conn)
        except OSError:
            pass


def read_request(conn) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def hang(conn) -> None:
    """Read the request, then say nothing until the client gives up (the socket closes)."""
    read_request(conn)
    while conn.recv(1024):
        pass


def reset(conn) -> None:
    """Read the request, then close with RST (SO_LINGER 0) instead of answering."""
    read_request(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def garbage(conn) -> None:
    """Answer the first bytes received (an HTTP request, or a TLS ClientHello) with bytes that are not
    an HTTP status line."""
    conn.recv(65536)
    conn.sendall(b"\x00\x17\xfe garbage, not HTTP\r\n\r\n")
    conn.close()


def trickle(conn) -> None:
    """A status line, then one header byte every 50 ms for ever: each read succeeds, the answer never ends."""
    read_request(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    while True:
        conn.sendall(b"X")
        threading.Event().wait(0.05)


def answer_once_then_hang():
    """The first connection gets a minimal valid answer; every later one hangs."""
    served = []

    def behaviour(conn):
        if not served:
            served.append(1)
            read_request(conn)
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            )
            conn.close()
            return
        hang(conn)

    return behaviour


class Recorder(ThreadingHTTPServer):
    """An HTTP server that records (method, path, headers) of every request and answers from ``routes``:
    "METHOD /path" or "/path" -> (status, [(header, value)], body); a header value may be a function of
    the request handler (None: not sent); "*" answers unknown paths (default: a bare JSON 404). ``banner``
    replaces http.server's ``Server: BaseHTTP/x Python/y``."""

    daemon_threads = True

    def __init__(self, routes: dict, tls: ssl.SSLContext | None = None, banner: str | None = None):
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.routes = routes
        self.banner = banner
        self.seen: list[tuple[str, str, dict]] = []
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.port = self.server_address[1]
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def methods(self) -> list[str]:
        return [m for m, _, _ in self.seen]


class _RecordingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        routes = self.server.routes
        status, headers, body = routes.get(
            f"{self.command} {self.path}",
            routes.get(
                self.path, routes.get("*", (404, [("Content-Type", "application/json")], b'{"error": "not_found"}'))
            ),
        )
        self.send_response(status)
        for name, value in headers:
            value = value(self) if callable(value) else value
            if value is not None:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_OPTIONS = do_HEAD = _answer

    def version_string(self) -> str:
        return self.server.banner or super().version_string()

    def log_message(self, *args) -> None:  # keep the test output clean
        pass
