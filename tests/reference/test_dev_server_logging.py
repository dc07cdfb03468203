"""Issue 16 item 1: under Werkzeug's real dev server (`flask run`, `app.run`, serve_dev.py) each
request is logged once, as the app's JSON line, and no query string reaches the output.

Werkzeug 3.1's access line is logged by WSGIRequestHandler.log() with the client address and date
baked into the format string: msg = '127.0.0.1 - - [06/Dec/2026 19:20:00] "%s" %s %s'."""

from __future__ import annotations

import sys

import pytest

from tests.reference.conftest import parse_log_lines, request_lines
from tests.support.http import request
from tests.support.servers import REFERENCE_DIR, ManagedProcess, free_port, reference_env, wait_until

SECRET = "tok-3f9a1c7e5b"


def dev_server(kind: str, port: int) -> ManagedProcess:
    env = reference_env(FLASK_CONFIG="development", PORT=str(port))
    if kind == "flask run":
        argv = [sys.executable, "-m", "flask", "--app", "app:create_app('development')", "run",
                "--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"]
    else:
        argv = [sys.executable, "serve_dev.py"]
    return ManagedProcess(argv=argv, port=port, cwd=str(REFERENCE_DIR), env=env).start()


@pytest.mark.parametrize("kind", ["flask run", "serve_dev.py"])
def test_dev_server_logs_each_request_once_without_query_strings(kind):
    port = free_port()
    server = dev_server(kind, port)
    try:
        server.wait_ready()
        sent = [("/api/health", 200), ("/api/missing", 404)]
        for path, status in sent:
            assert request(port, "GET", f"{path}?token={SECRET}").status == status
        # Our line is written when the body is closed, after Werkzeug's access line (written by
        # send_response): once both of ours are there, any access line would be there too.
        wait_until(lambda: len(request_lines(parse_log_lines(server.output()))) >= len(sent),
                   timeout=10, what="two request log lines")
    finally:
        server.stop()
    output = server.output()
    lines = request_lines(parse_log_lines(output))
    assert [(line["path"], line["status"]) for line in lines] == sent, output
    assert SECRET not in output, output
    assert "GET /api/health" not in output, output  # Werkzeug's access line, as text or as JSON
