"""Behaviour 2: limits in a real Redis, invisible to preflights, readable 429s, real client keys."""

import itertools

from tests.reference.conftest import ALLOWED_ORIGIN, BAD_LOGIN, LOGIN, parse_log_lines, request_lines
from tests.support.http import request

PREFLIGHT = {"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "content-type"}


def login(port, headers=None):
    return request(port, "POST", LOGIN, headers=headers, json_body=BAD_LOGIN)


def redis_keys(redis_server) -> str:
    return redis_server.command("KEYS", "*").decode("latin-1")


def test_preflights_never_spend_or_hit_a_limit(redis_server, gunicorn_server):
    server = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url)
    for _ in range(25):  # more than twice the login limit
        response = request(server.port, "OPTIONS", LOGIN, headers=PREFLIGHT)
        assert response.status == 200
        assert response.header("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    assert "api.login" not in redis_keys(redis_server)  # not a single hit was counted
    statuses = [login(server.port, {"Origin": ALLOWED_ORIGIN}).status for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    # Once the limit is spent, preflights still pass: the browser can read the 429 that follows.
    assert request(server.port, "OPTIONS", LOGIN, headers=PREFLIGHT).status == 200


def test_429_is_json_readable_cross_origin_with_every_header_and_a_log_line(redis_server, gunicorn_server):
    server = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url)
    for _ in range(10):
        login(server.port)
    response = login(server.port, {"Origin": ALLOWED_ORIGIN})

    assert response.status == 429
    assert response.header("Content-Type") == "application/json"
    body = response.json()
    assert body["error"] == "rate_limited" and "10 per 1 minute" in body["message"]
    retry_after = int(response.header("Retry-After"))
    assert 1 <= retry_after <= 60 and body["retry_after"] == retry_after
    assert response.header("X-RateLimit-Limit") == "10"
    assert response.header("X-RateLimit-Remaining") == "0"
    assert int(response.header("X-RateLimit-Reset")) > 0
    # CORS: the allowed origin's JavaScript can read the status, body and Retry-After.
    assert response.header("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    assert "Retry-After" in response.header("Access-Control-Expose-Headers")
    # Security headers and the request ID, like every other response.
    assert response.header("X-Content-Type-Options") == "nosniff"
    assert "frame-ancestors 'none'" in response.header("Content-Security-Policy")
    request_id = response.header("X-Request-ID")
    assert request_id
    server.stop()  # flush the workers' output
    lines = [r for r in request_lines(parse_log_lines(server.output())) if r["request_id"] == request_id]
    assert len(lines) == 1 and lines[0]["status"] == 429 and lines[0]["path"] == LOGIN


def test_auth_routes_have_their_own_stricter_limits(redis_server, gunicorn_server):
    server = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url)
    reset = [request(server.port, "POST", "/api/auth/password-reset", json_body={"email": "a@example.com"})
             for _ in range(4)]
    assert [r.status for r in reset] == [202, 202, 202, 429]
    assert "3 per 1 hour" in reset[-1].json()["message"]
    assert 3000 < int(reset[-1].header("Retry-After")) <= 3600
    # The login limit is separate from the reset limit, and health checks are never limited.
    assert login(server.port).status == 401
    assert all(request(server.port, "GET", "/api/health").status == 200 for _ in range(40))
    assert "api.health" not in redis_keys(redis_server)


def test_key_prefix_lets_two_apps_share_one_redis(redis_server, gunicorn_server):
    shop = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url, RATELIMIT_KEY_PREFIX="shop")
    blog = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url, RATELIMIT_KEY_PREFIX="blog")
    assert [login(shop.port).status for _ in range(11)][-1] == 429
    assert login(blog.port).status == 401  # the shop's spent limit is not the blog's
    keys = redis_keys(redis_server)
    assert "/shop/" in keys and "/blog/" in keys


def test_client_key_is_the_address_the_trusted_proxy_saw(redis_server, gunicorn_server):
    server = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url, TRUSTED_PROXY_COUNT="1")
    fakes = (f"10.{i}.{i}.{i}" for i in itertools.count(1))
    # The attacker rotates what it puts in X-Forwarded-For; our proxy appends the real address.
    statuses = [login(server.port, {"X-Forwarded-For": f"{next(fakes)}, 203.0.113.7"}).status
                for _ in range(12)]
    assert statuses == [401] * 10 + [429, 429]
    # Another real client behind the same proxy is not locked out by the first one.
    assert login(server.port, {"X-Forwarded-For": "203.0.113.8"}).status == 401
    keys = redis_keys(redis_server)
    assert "/203.0.113.7/" in keys and "/203.0.113.8/" in keys and "/10.1.1.1/" not in keys


def test_without_a_trusted_proxy_forwarded_for_is_ignored(redis_server, gunicorn_server):
    server = gunicorn_server(RATELIMIT_STORAGE_URI=redis_server.url)  # TRUSTED_PROXY_COUNT=0
    statuses = [login(server.port, {"X-Forwarded-For": f"198.51.100.{i}"}).status for i in range(11)]
    assert statuses == [401] * 10 + [429]
    assert "198.51.100" not in redis_keys(redis_server)


def test_preflights_never_spend_default_limits(app):
    """Default limits run in before_request for every method: without the OPTIONS request_filter
    (extensions.py) these preflights would spend the 300/minute default and end in a 429."""

    @app.route("/api/items", methods=["GET", "POST"])
    def items():
        return {"items": []}

    client = app.test_client()
    preflights = [client.options("/api/items", headers=PREFLIGHT).status_code for _ in range(310)]
    assert set(preflights) == {200}
    assert client.post("/api/items").status_code == 200  # the default limit is still untouched
    statuses = [client.post("/api/items").status_code for _ in range(300)]
    assert statuses[-1] == 429  # the default limit does apply to the real requests
