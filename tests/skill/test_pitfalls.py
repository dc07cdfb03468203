"""The pitfalls SKILL.md states, reproduced against the installed libraries and real servers.

These tests assert the *problem* (with the seed's code or library defaults), not the reference's
fix (tests/reference covers that): if a library release changes one of these facts, this file
fails and SKILL.md / docs/skill/pitfalls.md must be updated.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from flask import Flask, Response, abort, jsonify, request
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.middleware.proxy_fix import ProxyFix

from tests.support.servers import REFERENCE_DIR, ManagedProcess, RedisServer, free_port

SEED_APP = Path(__file__).resolve().parents[2] / "examples" / "seed_app"
ORIGIN = "https://app.example.com"


def seed_logging():
    """The seed's configure_request_logging, imported from examples/seed_app by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("seed_logging", SEED_APP / "app/middleware/logging.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def limited_app(default="3 per minute", **config):
    app = Flask(__name__)
    app.config.update(config)
    CORS(app, resources={r"^/api/.*$": {"origins": [ORIGIN], "max_age": 600}})
    Limiter(get_remote_address, app=app, default_limits=[default],
            storage_uri=config.pop("storage", "memory://"))

    @app.post("/api/data")
    def data():
        return jsonify(ok=True)

    return app


def test_1_preflights_spend_the_default_limit():
    client = limited_app().test_client()
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    statuses = [client.options("/api/data", headers=preflight).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_2_default_429_is_html_without_retry_after_or_exposed_headers():
    client = limited_app(default="1 per minute").test_client()
    client.post("/api/data", headers={"Origin": ORIGIN})
    limited = client.post("/api/data", headers={"Origin": ORIGIN})
    assert limited.status_code == 429
    assert limited.mimetype == "text/html"
    assert "Retry-After" not in limited.headers
    assert not any(h.startswith("X-RateLimit") for h in limited.headers.keys())
    assert "Access-Control-Expose-Headers" not in limited.headers


def _time_requests(app, n):
    client = app.test_client()
    out = []
    for _ in range(n):
        started = time.monotonic()
        status = client.post("/api/data").status_code
        out.append((status, time.monotonic() - started))
    return out


@pytest.mark.slow
def test_3_redis_down_means_500(redis_server):
    app = limited_app(default="100 per minute", storage=redis_server.url)
    assert [s for s, _ in _time_requests(app, 2)] == [200, 200]
    redis_server.stop()
    assert [s for s, _ in _time_requests(app, 2)] == [500, 500]


@pytest.fixture
def blackhole_port():
    """A TCP server that accepts connections and never answers (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    accepted = []

    def accept_forever():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept_forever, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for conn in accepted:
        conn.close()


@pytest.mark.slow
def test_3_hung_redis_stalls_each_request_for_redis_py_default_timeout(blackhole_port):
    import redis

    assert redis.Redis().connection_pool.connection_kwargs.get("socket_timeout") == 5
    app = limited_app(default="100 per minute", storage=f"redis://127.0.0.1:{blackhole_port}/0")
    [(status, took)] = _time_requests(app, 1)
    assert status == 500
    assert 4.5 < took < 15, took


def _login_app(key_func=get_remote_address, proxy_count=0):
    app = Flask(__name__)
    limiter = Limiter(key_func, app=app, storage_uri="memory://")

    @app.post("/login")
    @limiter.limit("3 per minute")
    def login():
        return jsonify(addr=request.remote_addr)

    if proxy_count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_count)
    return app.test_client()


def _via_proxy(client, client_ip, spoofed=None):
    forwarded = f"{spoofed}, {client_ip}" if spoofed else client_ip  # the proxy appends the peer
    return client.post("/login", headers={"X-Forwarded-For": forwarded},
                       environ_base={"REMOTE_ADDR": "10.0.0.2"})


def test_4_behind_a_proxy_one_client_locks_out_everyone():
    client = _login_app()
    for _ in range(3):
        _via_proxy(client, "203.0.113.9")
    assert _via_proxy(client, "198.51.100.7").status_code == 429


def test_4_naive_x_forwarded_for_lets_an_attacker_rotate_addresses():
    def first_forwarded():
        return request.headers.get("X-Forwarded-For", request.remote_addr).split(",")[0].strip()

    client = _login_app(key_func=first_forwarded)
    statuses = {_via_proxy(client, "203.0.113.9", spoofed=f"1.2.3.{i}").status_code for i in range(10)}
    assert statuses == {200}


def test_4_proxyfix_with_the_exact_count_holds_and_too_high_a_count_is_spoofable():
    client = _login_app(proxy_count=1)
    statuses = [_via_proxy(client, "203.0.113.9", spoofed=f"1.2.3.{i}").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert _via_proxy(client, "198.51.100.7").status_code == 200
    direct = _login_app(proxy_count=1).post("/login", headers={"X-Forwarded-For": "1.2.3.4"},
                                            environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert direct.json["addr"] == "1.2.3.4"


APP_SOURCE = '''
import logging, sys
sys.path.insert(0, {seed!r})
from flask import Flask
from app.middleware.logging import configure_request_logging
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="LOG request_id=%(request_id)r")
app = Flask(__name__)
configure_request_logging(app)

@app.after_request
def strip_server(response):
    response.headers.pop("Server", None)  # the seed's attempt
    return response

@app.get("/")
def index():
    return "hi"

if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
'''


def _raw_get(port, extra_header=b""):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + extra_header + b"Connection: close\r\n\r\n")
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n")[0].split(b"\r\n")
    status = int(head[0].split()[1])
    headers = [line.split(b":", 1) for line in head[1:]]
    return status, {k.strip().lower(): v.strip() for k, v in headers}


@pytest.fixture(params=["gunicorn", "werkzeug"])
def seed_server(request, tmp_path):
    (tmp_path / "seedlog.py").write_text(APP_SOURCE.format(seed=str(SEED_APP)))
    port = free_port()
    if request.param == "gunicorn":
        argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                "--control-socket", str(tmp_path / "gunicorn.ctl"), "seedlog:app"]
    else:
        argv = [sys.executable, "seedlog.py", str(port)]
    server = ManagedProcess(argv=argv, port=port, cwd=str(tmp_path)).start().wait_ready()
    try:
        yield request.param, port, server
    finally:
        server.stop()


@pytest.mark.slow
def test_5_popping_server_in_after_request_removes_nothing(seed_server):
    kind, port, _ = seed_server
    _, headers = _raw_get(port)
    expected = b"gunicorn" if kind == "gunicorn" else b"Werkzeug/"
    assert headers[b"server"].startswith(expected)


@pytest.mark.slow
def test_6_client_request_id_reaches_logs_and_responses(seed_server):
    kind, port, server = seed_server
    for value in (b"", b"A" * 8000, b'abc" admin=true'):
        status, headers = _raw_get(port, b"X-Request-ID: " + value + b"\r\n")
        assert status == 200
        assert headers[b"x-request-id"] == value
    status, headers = _raw_get(port, b"X-Request-ID: \x1b[31mFAKE\r\n")
    if kind == "gunicorn":
        assert status == 400  # gunicorn 27 rejects control characters in header values
    else:
        assert status == 200 and headers[b"x-request-id"] == b"\x1b[31mFAKE"
    server.stop()
    assert "request_id=''" in server.output()


@pytest.fixture
def seed_log_capture():
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter())  # the default formatter: message only
    module = seed_logging()
    module.logger.addHandler(handler)
    module.logger.setLevel(logging.INFO)
    yield module, buffer
    module.logger.removeHandler(handler)


def test_7_early_before_request_turns_into_500_without_id_or_log(seed_log_capture):
    module, buffer = seed_log_capture
    app = Flask(__name__)

    @app.before_request
    def require_auth():
        abort(401)

    module.configure_request_logging(app)
    app.add_url_rule("/", "index", lambda: "hi")
    response = app.test_client().get("/")
    assert response.status_code == 500
    assert "X-Request-ID" not in response.headers
    assert buffer.getvalue() == ""


def test_7_limiter_registered_first_turns_429_into_500(seed_log_capture):
    module, buffer = seed_log_capture
    app = Flask(__name__)
    Limiter(get_remote_address, app=app, default_limits=["1 per minute"], storage_uri="memory://")
    module.configure_request_logging(app)
    app.add_url_rule("/", "index", lambda: "hi")
    client = app.test_client()
    assert client.get("/").status_code == 200
    buffer.truncate(0)
    second = client.get("/")
    assert second.status_code == 500 and "X-Request-ID" not in second.headers
    assert buffer.getvalue() == ""


def test_7_propagated_exception_is_not_logged_but_production_500_is(seed_log_capture):
    module, buffer = seed_log_capture
    app = Flask(__name__)
    module.configure_request_logging(app)

    def boom():
        raise RuntimeError("boom")

    app.add_url_rule("/", "index", boom)
    assert app.test_client().get("/").status_code == 500  # production mode: handled, then logged
    assert buffer.getvalue().strip() == "request_completed"
    buffer.truncate(0)
    buffer.seek(0)
    app.config["PROPAGATE_EXCEPTIONS"] = True  # what DEBUG and TESTING turn on
    with pytest.raises(RuntimeError):
        app.test_client().get("/")
    assert buffer.getvalue() == ""


def test_7_streamed_body_is_timed_as_nothing_and_extra_is_dropped(seed_log_capture):
    module, buffer = seed_log_capture
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    keeper = Keep()
    module.logger.addHandler(keeper)
    try:
        app = Flask(__name__)
        module.configure_request_logging(app)

        def stream():
            def body():
                for _ in range(3):
                    time.sleep(0.1)
                    yield "x"
            return Response(body())

        app.add_url_rule("/", "index", stream)
        started = time.monotonic()
        app.test_client().get("/").get_data()
        assert time.monotonic() - started >= 0.3
        assert records[-1].duration_ms < 100
        assert buffer.getvalue().strip() == "request_completed"  # the default formatter dropped extra
    finally:
        module.logger.removeHandler(keeper)


def test_7_without_a_handler_info_lines_reach_nobody():
    assert logging.lastResort.level == logging.WARNING


def test_9_flask_cors_prefix_matches_unanchored_patterns():
    app = Flask(__name__)
    CORS(app, resources={r"/api/*": {"origins": [r"https://.*\.example\.com"]}})
    for path in ("/api/x", "/apiary"):
        app.add_url_rule(path, path, lambda: "ok")
    client = app.test_client()
    assert client.get("/apiary", headers={"Origin": ORIGIN}).headers["Access-Control-Allow-Origin"] == ORIGIN
    evil = "https://app.example.com.evil.net"
    assert client.get("/api/x", headers={"Origin": evil}).headers["Access-Control-Allow-Origin"] == evil


def test_9_exact_origin_strings_are_compared_literally():
    app = Flask(__name__)
    CORS(app, resources={r"^/api/.*$": {"origins": [ORIGIN]}})
    app.add_url_rule("/api/x", "x", lambda: "ok")
    response = app.test_client().get("/api/x", headers={"Origin": ORIGIN + ".evil.net"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors002_credentials_with_wildcard_reflect_any_origin():
    app = Flask(__name__)
    CORS(app, origins="*", supports_credentials=True)
    app.add_url_rule("/a", "a", lambda: "ok")
    response = app.test_client().get("/a", headers={"Origin": "https://evil.net"})
    assert response.headers["Access-Control-Allow-Origin"] == "https://evil.net"
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


def test_10_module_level_limiter_keeps_the_first_apps_settings():
    from flask import Flask
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    limiter = Limiter(key_func=get_remote_address, storage_uri="memory://")

    def make(prefix, default):
        app = Flask(prefix)
        app.config.update(RATELIMIT_KEY_PREFIX=prefix, RATELIMIT_DEFAULT=default)
        limiter.init_app(app)
        app.add_url_rule("/", "index", lambda: "ok")
        return app

    make("first", "2 per minute")
    second = make("second", "5 per minute").test_client()
    assert [second.get("/").status_code for _ in range(6)] == [200, 200, 429, 429, 429, 429]
    assert limiter._key_prefix == "first"


def test_redis_server_fixture_is_real(redis_server):
    assert isinstance(redis_server, RedisServer) and redis_server.ping()


def test_11_a_limiter_local_to_create_app_and_disabled_turns_limited_routes_into_500():
    # Flask-Limiter 4.1.1 (issue #415 upstream): the limit decorator holds the Limiter by weak
    # reference; disabled, init_app registers no hook that keeps it alive, so once create_app()
    # returns it is collected and every decorated route raises ReferenceError -> 500.
    def create_app():
        app = Flask(__name__)
        app.config["RATELIMIT_ENABLED"] = False  # a test config turning limits off
        limiter = Limiter(get_remote_address, app=app)

        @app.post("/login")
        @limiter.limit("10 per minute")
        def login():
            return "ok"

        return app

    import gc

    app = create_app()
    gc.collect()
    assert app.test_client().post("/login").status_code == 500


def test_11_the_references_module_level_limiter_can_be_disabled():
    # The reference keeps the limiter in extensions.py (module level): disabled, it still exists.
    # In its own interpreter: the module-level limiter keeps the first app's settings (pitfall 10).
    code = (
        "import gc, json\n"
        "from app import create_app\n"
        "from app.config import TestingConfig\n"
        "class NoLimits(TestingConfig):\n"
        "    RATELIMIT_ENABLED = False\n"
        "client = create_app(NoLimits).test_client()\n"
        "gc.collect()\n"
        "print(json.dumps([client.post('/api/auth/login', json={}).status_code for _ in range(12)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REFERENCE_DIR, capture_output=True, text=True,
                         timeout=60, check=True)
    statuses = json.loads(out.stdout.strip().splitlines()[-1])
    assert statuses == [400] * 12  # every attempt reaches the view (an empty body is a 400): no 500, no 429
