"""Behaviour 1: CORS for exact origins, on the API prefix only, readable by the frontend."""

import pytest

from tests.reference.conftest import ALLOWED_ORIGIN

PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


def test_allowed_origin_gets_origin_and_credentials(client):
    response = client.get("/api/health", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert response.headers["Access-Control-Allow-Credentials"] == "true"


@pytest.mark.parametrize("origin", [
    "https://evil.example.net",
    "https://app.example.com.attacker.net",  # what an unanchored origin regex would admit
    "https://xapp.example.com",
    "http://app.example.com",  # scheme matters
    "null",
])
def test_other_origins_get_no_cors_headers(client, origin):
    for response in (
        client.get("/api/health", headers={"Origin": origin}),
        client.options("/api/auth/login", headers={"Origin": origin, **PREFLIGHT}),
    ):
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("path", ["/apiary", "/api_admin/users", "/apix/health", "/"])
def test_cors_does_not_apply_outside_the_api_prefix(app, path):
    # The seed's r"/api/*" is matched with re.match, i.e. as a prefix: it covers /apiary too.
    @app.get(path)
    def outside():
        return "not the API"

    response = app.test_client().get(path, headers={"Origin": ALLOWED_ORIGIN})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_seed_resource_pattern_over_matches():
    """The Don't, shown on flask-cors itself: r"/api/*" also matches /apiary."""
    from flask import Flask
    from flask_cors import CORS

    seed = Flask("seed")
    CORS(seed, resources={r"/api/*": {"origins": [ALLOWED_ORIGIN]}})
    seed.add_url_rule("/apiary", "apiary", lambda: "hive")
    response = seed.test_client().get("/apiary", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers.get("Access-Control-Allow-Origin") == ALLOWED_ORIGIN


def test_preflight_carries_max_age_methods_and_request_headers(client):
    response = client.options(
        "/api/auth/login",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type, x-request-id, traceparent"},
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Max-Age"] == "600"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = {h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"content-type", "x-request-id", "traceparent"} <= allowed


def test_exposed_headers_let_javascript_read_ids_and_limits(client):
    response = client.get("/api/health", headers={"Origin": ALLOWED_ORIGIN})
    exposed = {h.strip().lower() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"x-request-id", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining",
            "x-ratelimit-reset"} <= exposed


def test_requests_without_origin_get_no_cors_headers(client):
    assert "Access-Control-Allow-Origin" not in client.get("/api/health").headers


def test_flask_cors_runs_only_for_requests_with_an_origin(client, monkeypatch):
    """cors.py skips flask-cors's after_request hook when there is no Origin (it would add
    nothing, at ~10 us per request); with an Origin the hook runs and answers as before."""
    import flask_cors.extension

    calls = []
    original = flask_cors.extension.set_cors_headers
    monkeypatch.setattr(flask_cors.extension, "set_cors_headers", lambda *a: calls.append(a) or original(*a))
    assert "Access-Control-Allow-Origin" not in client.get("/api/health").headers
    assert calls == []
    response = client.get("/api/health", headers={"Origin": ALLOWED_ORIGIN})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN and len(calls) == 1
