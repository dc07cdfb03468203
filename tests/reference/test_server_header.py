"""Behaviour 6: no Server header naming the software, verified over real sockets, under gunicorn
with reference/gunicorn.conf.py and under the development server as the README starts it."""

import sys

import pytest

from tests.reference.conftest import BAD_LOGIN, LOGIN
from tests.support.http import request
from tests.support.servers import REFERENCE_DIR, ManagedProcess, free_port, reference_env

SEED_STYLE_APP = '''
from flask import Flask
app = Flask(__name__)

@app.get("/")
def index():
    return "hi"

@app.after_request
def set_security_headers(response):
    response.headers.pop("Server", None)  # the seed's advice
    return response
'''


def assert_no_server_header(response):
    assert response.all("Server") == [], response.headers


def test_gunicorn_sends_no_server_header(redis_server, gunicorn_server):
    server = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url)
    assert_no_server_header(request(server.port, "GET", "/api/health"))
    assert_no_server_header(request(server.port, "GET", "/missing"))
    for _ in range(10):
        request(server.port, "POST", LOGIN, json_body=BAD_LOGIN)
    too_many = request(server.port, "POST", LOGIN, json_body=BAD_LOGIN)
    assert too_many.status == 429
    assert_no_server_header(too_many)
    server.stop()
    assert "Control socket listening" not in server.output()  # gunicorn.conf.py turns it off


def test_dev_server_sends_no_server_header():
    port = free_port()
    server = ManagedProcess(
        argv=[sys.executable, "serve_dev.py"], port=port, cwd=str(REFERENCE_DIR),
        env=reference_env(FLASK_CONFIG="development", PORT=str(port)),
    ).start()
    try:
        server.wait_ready()
        response = request(server.port, "GET", "/api/health")
        assert response.status == 200
        assert_no_server_header(response)
        assert_no_server_header(request(server.port, "GET", "/missing"))
    finally:
        server.stop()


@pytest.mark.parametrize("server_kind", ["gunicorn", "werkzeug"])
def test_seed_pop_in_after_request_removes_nothing(tmp_path, server_kind):
    """The Don't: the seed's response.headers.pop("Server") runs before the server adds it."""
    (tmp_path / "seedapp.py").write_text(SEED_STYLE_APP)
    port = free_port()
    if server_kind == "gunicorn":
        argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "seedapp:app"]
    else:
        argv = [sys.executable, "-c", f"import seedapp; seedapp.app.run(port={port})"]
    server = ManagedProcess(argv=argv, port=port, cwd=str(tmp_path)).start()
    try:
        server.wait_ready()
        banner = request(port, "GET", "/").header("Server")
    finally:
        server.stop()
    assert banner and banner.lower().startswith(server_kind)
