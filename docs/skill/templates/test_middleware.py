"""Middleware tests to copy into the target app and adapt (see docs/skill/testing.md): into its
tests/ (or test/) folder, or next to a root tests.py as test_middleware.py. Run with `python -m pytest`.

Adapt: the import of ``create_app``, TESTING_CONFIG, ALLOWED_ORIGIN (one of the testing config's
CORS_ORIGINS), and the routes (LOGIN_PATH, its limit, LOGIN_ATTEMPT and LOGIN_IS_API for a form
page or Basic auth, an API path, a non-API path). Each test names the rule or pitfall it protects.
"""

from __future__ import annotations

import json
import logging

import pytest

from app import create_app

# create_app's argument: a config name ("testing"), or for a create_app(config_class=Config) factory
# the testing class itself (`from config import TestConfig`, then TESTING_CONFIG = TestConfig).
TESTING_CONFIG = "testing"
ALLOWED_ORIGIN = "https://app.example.com"
LOGIN_PATH, LOGIN_LIMIT = "/api/auth/login", 10
# A failing sign-in attempt, as keyword arguments of client.post: a form page's is
# {"data": {"username": ..., "password": ...}}, HTTP Basic auth's {"headers": {"Authorization": "Basic ..."}}.
LOGIN_ATTEMPT = {"json": {"email": "nobody@example.com", "password": "wrong"}}
LOGIN_IS_API = True  # False for a form page or HTTP Basic auth: its 429 is an HTML page without CORS
API_PATH = "/api/health"
NOT_API_PATH = "/apiary"  # shares the prefix; must get no CORS headers (CORS005)


@pytest.fixture
def app():
    return create_app(TESTING_CONFIG)


@pytest.fixture
def client(app):
    return app.test_client()


def test_request_id_on_every_response_including_errors(client):  # LOG001, pitfall 7
    for response in (client.get(API_PATH), client.get("/no-such-route")):
        assert response.headers.get("X-Request-ID")


def test_client_request_id_is_validated(client):  # LOG004, pitfall 6
    assert client.get(API_PATH, headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    for bad in ("", "x" * 500, "a b", 'a"b', "\x1b[31m"):
        echoed = client.get(API_PATH, headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert echoed != bad and echoed


def test_one_completion_line_per_request(client, caplog):  # LOG002, LOG003
    caplog.set_level(logging.INFO)
    # The reference logs when the server closes the body (so streamed bodies are timed in full):
    # close the test response to get the line.
    client.get(API_PATH + "?token=secret", headers={"Authorization": "Bearer secret"}).close()
    done = [r for r in caplog.records if getattr(r, "status", None) == 200]
    assert len(done) == 1, caplog.records
    assert done[0].path == API_PATH  # no query string: tokens travel there
    assert {"method", "path", "status", "duration_ms", "request_id"} <= vars(done[0]).keys()
    assert "secret" not in caplog.text and "secret" not in json.dumps(vars(done[0]), default=str)


def test_security_headers_on_success_and_errors(client):  # HDR001, HDR002, HDR004
    for response in (client.get(API_PATH), client.get("/no-such-route")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" in response.headers
        assert response.headers.get("X-XSS-Protection", "0") == "0"
    secure = client.get(API_PATH, base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_cors_exact_origin_only_on_api(client):  # CORS001, CORS003, CORS005
    ok = client.get(API_PATH, headers={"Origin": ALLOWED_ORIGIN})
    assert ok.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    evil = client.get(API_PATH, headers={"Origin": ALLOWED_ORIGIN + ".evil.net"})
    assert "Access-Control-Allow-Origin" not in evil.headers
    other = client.get(NOT_API_PATH, headers={"Origin": ALLOWED_ORIGIN})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_preflight_is_cached_and_never_rate_limited(client):  # CORS004, pitfall 1
    path = LOGIN_PATH if LOGIN_IS_API else API_PATH  # pages get no CORS, so no preflight
    headers = {"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST"}
    statuses = {client.options(path, headers=headers).status_code for _ in range(LOGIN_LIMIT * 3)}
    assert statuses == {200}
    assert client.options(path, headers=headers).headers["Access-Control-Max-Age"]


def test_login_has_its_own_limit_and_a_readable_429(client):  # RATE002, pitfall 2
    attempt = dict(LOGIN_ATTEMPT)
    own_headers = attempt.pop("headers", {})
    statuses = [client.post(LOGIN_PATH, headers=own_headers, **attempt).status_code for _ in range(LOGIN_LIMIT)]
    assert 429 not in statuses
    extra = {"Origin": ALLOWED_ORIGIN} if LOGIN_IS_API else {"Accept": "text/html"}
    limited = client.post(LOGIN_PATH, headers={**own_headers, **extra}, **attempt)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    if LOGIN_IS_API:  # JSON the frontend can read cross-origin
        exposed = limited.headers["Access-Control-Expose-Headers"]
        assert limited.is_json and "Retry-After" in exposed and "X-Request-ID" in exposed
    else:  # a page for the browser, and no CORS on pages (CORS003)
        assert limited.mimetype == "text/html" and "Access-Control-Allow-Origin" not in limited.headers


def test_default_limit_fast_path_is_on(app):  # performance: still matches the installed Flask-Limiter
    """DefaultLimitFastPath switches itself off (with a warning) when a Flask-Limiter upgrade
    changes the internals it reads; limits stay correct, each request costs ~40 us more. This test
    makes that visible in CI instead of in latency graphs."""
    from app.middleware.rate_limiting import DefaultLimitFastPath

    hooks = app.before_request_funcs[None]
    assert any(isinstance(getattr(hook, "__self__", None), DefaultLimitFastPath) for hook in hooks)
