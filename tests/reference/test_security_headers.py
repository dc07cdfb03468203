"""Behaviour 5: security headers on every response, 404/405/429/500 included; HSTS on HTTPS only
(also behind a TLS-terminating proxy); a route can override a value."""

import pytest

from tests.reference.conftest import BAD_LOGIN, LOGIN
from tests.support.http import request

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-XSS-Protection": "0",
}


def assert_security_headers(headers):
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, name
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "camera=()" in headers["Permissions-Policy"]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/health", 200),
    ("GET", "/api/nope", 404),
    ("GET", LOGIN, 405),
    ("GET", "/api/forbidden", 403),
    ("GET", "/api/boom", 500),
    ("OPTIONS", LOGIN, 200),
])
def test_every_response_carries_the_headers(production_like, method, path, status):
    response = production_like.open(path, method=method)
    assert response.status_code == status
    assert_security_headers(response.headers)
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP


def test_429_carries_the_headers(client):
    for _ in range(10):
        client.post(LOGIN, json=BAD_LOGIN)
    response = client.post(LOGIN, json=BAD_LOGIN)
    assert response.status_code == 429
    assert_security_headers(response.headers)


def test_hsts_on_https(client):
    response = client.get("/api/health", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_hsts_behind_a_tls_terminating_proxy(redis_server, gunicorn_server):
    behind_proxy = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url, TRUSTED_PROXY_COUNT="1")
    direct = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url)  # no proxy is trusted
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert request(behind_proxy.port, "GET", "/api/health", headers=https).header(
        "Strict-Transport-Security") == "max-age=63072000; includeSubDomains"
    assert request(behind_proxy.port, "GET", "/api/health").header("Strict-Transport-Security") is None
    # Without a trusted proxy a client cannot fake HTTPS (gunicorn's forwarded_allow_ips is off too).
    faked = request(direct.port, "GET", "/api/health", headers=https)
    assert faked.header("Strict-Transport-Security") is None


def test_a_route_can_override_a_value(app):
    @app.get("/api/cacheable")
    def cacheable():
        return {"public": True}, 200, {"Cache-Control": "public, max-age=60", "X-Frame-Options": "SAMEORIGIN"}

    response = app.test_client().get("/api/cacheable")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the others still apply
