"""One observed check at a time: the good app is clean; breaking one thing yields exactly that rule."""

from __future__ import annotations

import pytest

from .apps import GOOD
from .util import audit, codes, messages, write_app


def variant(*pairs: tuple[str, str]) -> str:
    text = GOOD
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    return text


def test_good_app_is_clean_even_at_info(tmp_path):
    code, data, _ = audit(write_app(tmp_path, GOOD), "probeapp:app", "--fail-on", "info")
    assert (code, data["findings"]) == (0, [])


CASES = {
    # headers
    "HDR001": ([('    for name, value in HEADERS.items():\n        resp.headers.setdefault(name, value)\n', ""),
                ('        resp.headers.setdefault("Strict-Transport-Security", "max-age=63072000")\n',
                 "        pass\n")],
               "no security header on any probed response"),
    "HDR002": ([('    "Referrer-Policy": "no-referrer",\n', "")], "lacks Referrer-Policy"),
    "HDR002-hsts": ([('        resp.headers.setdefault("Strict-Transport-Security", "max-age=63072000")\n',
                      "        pass\n")], "over HTTPS (200): no Strict-Transport-Security"),
    "HDR004": ([('"X-XSS-Protection": "0"', '"X-XSS-Protection": "1; mode=block"')],
               "sends X-XSS-Protection: 1; mode=block"),
    # CORS
    "CORS001": ([('"origins": [ORIGIN]', '"origins": "*"')], "Origin: https://evil.example echoes it"),
    "CORS001-wildcard": ([('"origins": [ORIGIN]', '"origins": "*", "send_wildcard": True')],
                         "Origin: https://evil.example answers Access-Control-Allow-Origin: *"),
    "CORS002": ([('"origins": [ORIGIN]', '"origins": [ORIGIN, r".*"], "supports_credentials": True')],
                "Access-Control-Allow-Credentials: true"),
    "CORS003": ([('r"^/api(?:/.*)?$"', 'r"/*"'),
                 ("@app.get(\"/api/health\")", "@app.get(\"/\")\ndef page():\n    return \"<h1>home</h1>\"\n\n\n"
                                               "@app.get(\"/api/health\")")],
                "GET /, a non-API route, gets CORS headers"),
    "CORS004": ([('"max_age": 600, ', "")], "preflight /api/auth/login from https://app.example.com: no "
                                             "Access-Control-Max-Age"),
    "CORS005": ([('r"^/api(?:/.*)?$"', 'r"/api/*"')], "GET /apiary (outside /api/)"),
    # rate limits
    "RATE002": ([('@limiter.limit("5 per minute")  # LOGIN_LIMIT', "")],
                "POST /api/auth/login: no 429 after 50 attempts from one address (401 x50)"),
    "RATE005": ([("return request.method == \"OPTIONS\"  # PREFLIGHT_FILTER", "return False"),
                 ('@limiter.limit("5 per minute")  # LOGIN_LIMIT', ""),
                 ('storage_uri="memory://"', 'storage_uri="memory://", default_limits=["5 per minute"]')],
                "preflights spend"),
    "RATE006": ([('app.config["RATELIMIT_HEADERS_ENABLED"] = True', "")], "POST /api/auth/login 429: no Retry-After"),
    "RATE006-expose": ([('"expose_headers": ["X-Request-ID", "Retry-After"]', '"expose_headers": ["X-Request-ID"]')],
                       "Retry-After is not listed in Access-Control-Expose-Headers"),
    # request IDs and logging
    "LOG001": ([('    resp.headers["X-Request-ID"] = g.get("rid") or uuid.uuid4().hex\n', "")],
               "none of the"),
    "LOG004": ([('accept(request.headers.get("X-Request-ID"))', 'request.headers.get("X-Request-ID")')],
               "control characters (ESC, BEL), 5,000 characters"),
    "LOG004-empty": ([('accept(request.headers.get("X-Request-ID")) or uuid.uuid4().hex',
                       'request.headers.get("X-Request-ID", uuid.uuid4().hex)'),
                      ('g.get("rid") or uuid.uuid4().hex', 'g.rid')], "an empty value"),
    "LOG002": ([('log.setLevel(logging.INFO)', "")], "no log record was emitted"),
    "LOG002-fields": ([('"duration_ms": 0.5', '"size": 1')], "best record lacks duration"),
    "LOG003": ([('"status": resp.status_code,', '"status": resp.status_code, "query": request.query_string,')],
               "?token= query string the probe sent appears in a log record"),
    "APP002": ([("    return jsonify(status=\"ok\")\n", "    raise RuntimeError(\"boom\")\n")],
               "GET /api/health -> 500"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_fault_one_rule(tmp_path, case):
    pairs, needle = CASES[case]
    rule = case.split("-")[0]
    code, data, _ = audit(write_app(tmp_path, variant(*pairs)), "probeapp:app", "--fail-on", "info")
    assert code == 1
    assert rule in codes(data), data
    assert any(needle in m for m in messages(data, rule)), messages(data, rule)


def test_rate005_also_seen_on_a_default_limited_normal_route(tmp_path):
    text = variant(
        ("return request.method == \"OPTIONS\"  # PREFLIGHT_FILTER", "return False"),
        ('storage_uri="memory://"', 'storage_uri="memory://", default_limits=["20 per minute"]'),
    )
    _, data, _ = audit(write_app(tmp_path, text))
    assert any(m.startswith("OPTIONS /api/health: preflight answered 429") for m in messages(data, "RATE005"))


def test_log003_finds_password_authorization_and_cookie(tmp_path):
    text = variant(("    return jsonify(error=\"invalid_credentials\"), 401\n",
                    "    log.warning('login %s %s %s', request.get_json(), request.headers.get('Authorization'),\n"
                    "                request.cookies)\n    return jsonify(error=\"invalid_credentials\"), 401\n"))
    _, data, _ = audit(write_app(tmp_path, text))
    found = " | ".join(messages(data, "LOG003"))
    for what in ("password sent in the JSON body", "Authorization header", "Cookie header"):
        assert what in found, found


def test_log003_in_stderr_written_by_the_apps_own_handler(tmp_path):
    text = variant(
        ('log.setLevel(logging.INFO)', 'log.setLevel(logging.INFO)\nlog.propagate = False\n'
                                       'log.addHandler(logging.StreamHandler())'),
        ('"status": resp.status_code,', '"status": resp.status_code, "url": request.url,'),
    )
    text = text.replace('log.info("request completed"', 'log.info("request completed %s", request.url', 1)
    _, data, _ = audit(write_app(tmp_path, text))
    assert any("stderr line" in m and "?token=" in m for m in messages(data, "LOG003")), data


def test_view_exception_with_testing_on_is_a_500_not_a_crash(tmp_path):
    text = variant(("app = Flask(__name__)", "app = Flask(__name__)\napp.config['TESTING'] = True"),
                   ("    return jsonify(status=\"ok\")\n", "    raise RuntimeError(\"boom\")\n"))
    code, data, _ = audit(write_app(tmp_path, text))
    assert code == 1 and codes(data) == {"APP002"}


def test_probes_only_send_safe_methods(tmp_path):
    text = GOOD + '''

SEEN = []


@app.before_request
def _record_method():
    if request.method not in ("GET", "HEAD", "POST", "OPTIONS"):
        raise SystemExit("unsafe method " + request.method)
'''
    code, data, _ = audit(write_app(tmp_path, text), "probeapp:app", "--fail-on", "info")
    assert (code, data["findings"]) == (0, [])


# A server-rendered login form outside the API: CORS is off there (as CORS003 wants), so its 429 must not be
# asked for CORS headers; the API login next to it still is.
HTML_LOGIN = '''

@app.route("/login", methods=["GET", "POST"])
@limiter.limit("5 per minute")
def login_page():
    return "<form method=post></form>"
'''


def test_rate006_skips_cors_on_the_429_of_a_route_without_cors(tmp_path):
    code, data, _ = audit(write_app(tmp_path, GOOD + HTML_LOGIN), "probeapp:app", "--fail-on", "info")
    assert (code, data["findings"]) == (0, [])
    # Retry-After is still required there
    text = variant(('app.config["RATELIMIT_HEADERS_ENABLED"] = True', "")) + HTML_LOGIN
    _, data, _ = audit(write_app(tmp_path, text))
    assert sorted(messages(data, "RATE006")) == ["POST /api/auth/login 429: no Retry-After",
                                                 "POST /login 429: no Retry-After"]


def test_rate006_still_asks_cors_headers_on_the_429_of_a_cors_route(tmp_path):
    # a hook registered before CORS(app) runs after flask-cors: it strips CORS from the 429 only
    strip = ('@app.after_request\ndef _strip_cors_from_429(resp):\n    if resp.status_code == 429:\n'
             '        resp.headers.pop("Access-Control-Allow-Origin", None)\n    return resp\n\n\nCORS(app, ')
    _, data, _ = audit(write_app(tmp_path, variant(("CORS(app, ", strip)) + HTML_LOGIN))
    assert messages(data, "RATE006") == [
        "POST /api/auth/login 429: no Access-Control-Allow-Origin for https://app.example.com, "
        "so the page sees a network error"
    ]


def test_rate006_asks_a_route_limited_from_its_first_request_by_its_preflight(tmp_path):
    # refused at the first POST: no other answer to read, the preflight tells that CORS is on
    text = variant(('@limiter.limit("5 per minute")  # LOGIN_LIMIT', '@limiter.limit("0 per minute")'),
                   ('"expose_headers": ["X-Request-ID", "Retry-After"]', '"expose_headers": ["X-Request-ID"]'))
    _, data, _ = audit(write_app(tmp_path, text + HTML_LOGIN.replace("5 per minute", "0 per minute")))
    assert messages(data, "RATE006") == [
        "POST /api/auth/login 429: Retry-After is not listed in Access-Control-Expose-Headers"
    ]


def test_api_sign_up_on_a_users_collection_is_probed_as_an_auth_route(tmp_path):
    users = '''

@app.get("/api/users")
def list_users():
    return jsonify([])


@app.post("/api/users")
def create_user():
    return jsonify(error="invalid"), 400
'''
    code, data, _ = audit(write_app(tmp_path, GOOD + users))
    assert code == 1
    found = [f for f in data["findings"] if f["rule"] == "RATE002"]
    assert [f["message"] for f in found] == ["POST /api/users: no 429 after 50 attempts from one address (400 x50)"]
    assert found[0]["hint"].startswith('A sign-up route: put @limiter.limit("3 per hour")')
    limited = users.replace('@app.post("/api/users")', '@app.post("/api/users")\n@limiter.limit("3 per hour")')
    code, data, _ = audit(write_app(tmp_path, GOOD + limited), "probeapp:app", "--fail-on", "info")
    assert (code, data["findings"]) == (0, [])


def test_a_users_collection_behind_a_login_is_not_probed_as_a_sign_up(tmp_path):
    managed = '''

@app.post("/api/users")
def create_user():
    return jsonify(error="login required"), 401
'''
    code, data, _ = audit(write_app(tmp_path, GOOD + managed), "probeapp:app", "--fail-on", "info")
    assert (code, data["findings"]) == (0, [])
    assert any(n.startswith("POST /api/users answered 401: a users collection behind a login") for n in data["notes"])


BASIC_AUTH_PAGE = '''

from functools import wraps

from flask import Blueprint

main = Blueprint("main", __name__)


def auth_required(f):
    @wraps(f)
    def decorated(*args, **kwargs):
        auth = request.authorization
        if auth and auth.password == "right":
            return f(*args, **kwargs)
        return "Not logged in", 401, {"WWW-Authenticate": 'Basic realm="Login Required"'}
    return decorated


basic_auth_limit = limiter.shared_limit(
    "10 per minute", scope="basic-auth", deduct_when=lambda response: response.status_code == 401)


@main.route("/config", methods=["GET", "POST"])
@basic_auth_limit
@auth_required
def config():
    return "<p>saved</p>"


app.register_blueprint(main)
'''


def test_auth_route_patterns_name_a_blueprint_view_as_the_static_scan_does(tmp_path):
    """whoogle-search: HTTP Basic auth routes named in auth-route-patterns by their view name, as
    adapting.md says. Flask's endpoint is `main.config`; the view is `config`, for the scan and the
    runtime alike."""
    (tmp_path / ".flask-middleware.yml").write_text('auth-route-patterns:\n  - "^config$"\n')
    unlimited = BASIC_AUTH_PAGE.replace("@basic_auth_limit\n@auth_required", "@auth_required")
    _, data, _ = audit(write_app(tmp_path, GOOD + unlimited))
    assert messages(data, "RATE002") == ["POST /config: no 429 after 50 attempts from one address (401 x50)"]
    code, data, _ = audit(write_app(tmp_path, GOOD + BASIC_AUTH_PAGE), "probeapp:app", "--fail-on", "info")
    assert (code, data["findings"]) == (0, [])
