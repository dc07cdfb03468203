"""The default-limit fast path (middleware/rate_limiting.py): routes that carry only the default
limit are checked with one storage call, in the same counter Flask-Limiter uses, exact across
workers, with Flask-Limiter's own 429, outage fallback and recovery."""

import os
import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from limits import parse

from tests.reference.conftest import parse_log_lines, request_lines
from tests.support.http import request
from tests.support.servers import REFERENCE_DIR, REPO_ROOT, RedisServer, wait_until

PLAIN_APP = "tests.support.reference_apps:with_plain_route()"
PYTHONPATH = f"{REFERENCE_DIR}{os.pathsep}{REPO_ROOT}"


def plain_server(gunicorn_server, redis_server, workers=1, **env):
    return gunicorn_server(workers=workers, app_spec=PLAIN_APP, PYTHONPATH=PYTHONPATH,
                           RATELIMIT_STORAGE_URI=redis_server.url, **env)


def plain_keys(redis) -> list[str]:
    return [k for k in redis.command("KEYS", "*").decode("latin-1").split("\r\n") if "/plain/" in k]


@pytest.fixture
def counted(monkeypatch):
    """Counts Flask-Limiter's own per-request check and its limit resolution."""
    from app.extensions import limiter

    calls = Counter()
    check, resolve = limiter._check_request_limit, limiter.limit_manager.resolve_limits

    def counting_check(*args, **kwargs):
        calls["check"] += 1
        return check(*args, **kwargs)

    def counting_resolve(*args, **kwargs):
        calls["resolve"] += 1
        return resolve(*args, **kwargs)

    monkeypatch.setattr(limiter, "_check_request_limit", counting_check)
    monkeypatch.setattr(limiter.limit_manager, "resolve_limits", counting_resolve)
    return calls


def test_plain_route_resolves_its_limit_once_then_skips_flask_limiters_check(app, counted):
    app.add_url_rule("/api/plain", "plain", lambda: {"ok": True})
    client = app.test_client()
    assert [client.get("/api/plain").status_code for _ in range(20)] == [200] * 20
    assert counted == {"resolve": 1}  # resolved on the first request, never by Flask-Limiter's check


def test_decorated_and_exempt_routes_still_take_flask_limiters_path(client, counted):
    assert client.post("/api/auth/login", json={"email": "a@example.com", "password": "x"}).status_code == 401
    assert counted["check"] == 2  # before_request, then the @limiter.limit wrapper inside the view
    assert client.get("/api/health").status_code == 200  # exempt: no limit, nothing counted
    assert counted["check"] == 2


def test_current_limit_is_available_to_views(app):
    from app.extensions import limiter

    app.add_url_rule("/api/quota", "quota", lambda: {"limit": str(limiter.current_limit.limit),
                                                     "key": limiter.current_limit.key})
    body = app.test_client().get("/api/quota").get_json()
    assert body["limit"] == "300 per 1 minute"
    assert body["key"] == parse("300 per minute").key_for("reference-api", "127.0.0.1", "quota")


def test_both_paths_count_in_the_same_redis_key(redis_server, monkeypatch):
    """The fast path writes the key Flask-Limiter's own check writes, so the two never count apart."""
    from app import create_app
    from app.middleware import rate_limiting

    for name in ("RATELIMIT_DEFAULT", "RATELIMIT_KEY_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", redis_server.url)
    monkeypatch.setenv("CORS_ORIGINS", "https://app.example.com")
    fast = create_app("production")
    monkeypatch.setattr(rate_limiting.DefaultLimitFastPath, "install", lambda self, app: False)
    standard = create_app("production")  # Flask-Limiter alone, same limiter, same Redis
    for app in (fast, standard):
        app.add_url_rule("/api/plain", "plain", lambda: {"ok": True})
    for app, times in ((fast, 3), (standard, 2)):
        assert [app.test_client().get("/api/plain").status_code for _ in range(times)] == [200] * times
    key = "LIMITS:" + parse("300 per minute").key_for("reference-api", "127.0.0.1", "plain")
    assert plain_keys(redis_server) == [key]
    assert redis_server.command("LLEN", key) == b":5\r\n"


@pytest.mark.slow
def test_default_limit_is_exact_across_workers(redis_server, gunicorn_server):
    server = plain_server(gunicorn_server, redis_server, workers=3, RATELIMIT_DEFAULT="10 per minute")
    with ThreadPoolExecutor(max_workers=30) as pool:
        responses = list(pool.map(lambda _: request(server.port, "GET", "/api/plain"), range(30)))
    assert Counter(r.status for r in responses) == Counter({200: 10, 429: 20})
    refused = next(r for r in responses if r.status == 429)
    assert refused.json()["error"] == "rate_limited" and "10 per 1 minute" in refused.json()["message"]
    assert 1 <= int(refused.header("Retry-After")) <= 60
    assert refused.header("X-RateLimit-Limit") == "10" and refused.header("X-Request-ID")
    assert refused.header("X-Content-Type-Options") == "nosniff"


def test_preflights_never_reach_the_storage(redis_server, gunicorn_server):
    server = plain_server(gunicorn_server, redis_server, RATELIMIT_DEFAULT="3 per minute")
    preflight = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
    assert {request(server.port, "OPTIONS", "/api/plain", headers=preflight).status for _ in range(10)} == {200}
    assert plain_keys(redis_server) == []
    assert [request(server.port, "GET", "/api/plain").status for _ in range(4)] == [200, 200, 200, 429]


def test_redis_stopped_then_back_on_a_plain_route(redis_server, gunicorn_server):
    server = plain_server(gunicorn_server, redis_server, RATELIMIT_DEFAULT="5 per minute")
    assert request(server.port, "GET", "/api/plain").status == 200
    assert plain_keys(redis_server)
    redis_server.stop()
    # The same limit from the worker's memory (it starts from zero), and never a 500.
    assert [request(server.port, "GET", "/api/plain").status for _ in range(6)] == [200] * 5 + [429]
    revived = RedisServer(port=redis_server.port).start().wait_ready()
    try:
        def counted_in_redis():
            request(server.port, "GET", "/api/plain")
            return plain_keys(revived)

        wait_until(counted_in_redis, timeout=90, interval=0.25, what="the plain route counted in Redis again")
    finally:
        revived.stop()
    server.stop()
    logged = request_lines(parse_log_lines(server.output()))
    assert logged and 500 not in {r["status"] for r in logged}
    fallbacks = [line for line in server.output().splitlines() if "falling back to in-memory storage" in line]
    assert len(fallbacks) == 1  # the failure is noticed once, not once per request


def test_hung_redis_on_a_plain_route(redis_server, gunicorn_server):
    server = plain_server(gunicorn_server, redis_server)
    assert request(server.port, "GET", "/api/plain").status == 200  # a pooled connection now exists
    os.kill(redis_server.pid, signal.SIGSTOP)
    try:
        # Each answer comes well inside redis-py's 5 s default timeout, from the in-memory fallback.
        assert [request(server.port, "GET", "/api/plain", timeout=4.5).status for _ in range(5)] == [200] * 5
    finally:
        os.kill(redis_server.pid, signal.SIGCONT)
