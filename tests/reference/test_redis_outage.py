"""Behaviour 3: a real Redis stopped or hung mid-test. No 500s; auth routes stay limited
(per-process fallback, see middleware/rate_limiting.py); limits are shared again on recovery."""

import os
import signal
import time

from tests.reference.conftest import BAD_LOGIN, LOGIN, parse_log_lines, request_lines
from tests.support.http import request
from tests.support.servers import RedisServer, wait_until

RESET = "/api/auth/password-reset"


def login(port, timeout=10.0):
    return request(port, "POST", LOGIN, json_body=BAD_LOGIN, timeout=timeout)


def test_redis_stopped_mid_test_then_back(redis_server, gunicorn_server):
    server = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url)
    assert login(server.port).status == 401
    assert b"api.login" in redis_server.command("KEYS", "*")

    redis_server.stop()  # SIGTERM by PID: connections refused from now on

    # No route answers 500; the health check does not depend on Redis at all.
    assert request(server.port, "GET", "/api/health").status == 200
    assert request(server.port, "GET", "/no/such/route").status == 404
    # Auth routes stay limited from the worker's memory, with the same limits.
    statuses = [login(server.port).status for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    assert [request(server.port, "POST", RESET, json_body={"email": "a@example.com"}).status
            for _ in range(4)] == [202, 202, 202, 429]

    # Redis comes back on the same port: Flask-Limiter re-checks it with backoff (1, 2, 4 ... s)
    # and counts in Redis again, i.e. limits are shared across workers again.
    revived = RedisServer(port=redis_server.port).start().wait_ready()
    try:
        def counted_in_redis():
            request(server.port, "POST", RESET, json_body={"email": "a@example.com"})
            return b"api.password_reset" in revived.command("KEYS", "*")

        wait_until(counted_in_redis, timeout=90, interval=0.25, what="limits stored in Redis again")
    finally:
        revived.stop()
    server.stop()
    statuses_logged = {r["status"] for r in request_lines(parse_log_lines(server.output()))}
    assert 500 not in statuses_logged


def test_hung_redis_costs_one_short_timeout_not_seconds(redis_server, gunicorn_server):
    """SIGSTOP: the kernel still accepts connections, Redis never answers. redis-py's defaults
    (5 s socket timeout, 10 retries) would stall each request; the reference fails over in 0.25 s."""
    server = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url)
    assert login(server.port).status == 401  # a pooled connection to Redis now exists
    os.kill(redis_server.pid, signal.SIGSTOP)
    try:
        durations, statuses = [], []
        for _ in range(5):
            started = time.perf_counter()
            # The client gives up below redis-py's 5 s default: a regression to defaults fails here.
            statuses.append(login(server.port, timeout=4.5).status)
            durations.append(time.perf_counter() - started)
        assert statuses == [401] * 5
        print(f"request durations with a hung Redis: {[round(d, 3) for d in durations]}")
    finally:
        os.kill(redis_server.pid, signal.SIGCONT)


def test_storage_client_has_short_timeouts_and_no_retries(redis_server, monkeypatch):
    """The configuration behind the behaviour above, read from the live redis-py client."""
    from app import create_app
    from app.extensions import limiter

    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", redis_server.url)
    monkeypatch.setenv("CORS_ORIGINS", "https://app.example.com")
    create_app("production")
    kwargs = limiter.storage.storage.connection_pool.connection_kwargs
    assert kwargs["socket_timeout"] == 0.25 and kwargs["socket_connect_timeout"] == 0.25
    assert kwargs["retry"].get_retries() == 0
