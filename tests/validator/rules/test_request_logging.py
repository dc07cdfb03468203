"""LOG001-004."""

import pytest

from ..util import rules_of, scan, write_tree

BASE = """
import logging
import time
import uuid
from flask import Flask, g, request
logger = logging.getLogger(__name__)
def create_app():
    app = Flask(__name__)
    @app.before_request
    def start():
        g.start = time.perf_counter()
        g.request_id = uuid.uuid4().hex
    @app.after_request
    def done(response):
        logger.info("request", extra={"method": request.method, "path": request.path,
                                      "status": response.status_code,
                                      "duration_ms": (time.perf_counter() - g.start) * 1000})
        return response
    return app
"""


def test_log001_log002_satisfied(tmp_path, capsys):
    assert rules_of(scan(tmp_path, {"app.py": BASE}, capsys, "--select", "LOG")) == []


def test_log002_outbound_call_log_is_not_an_access_log(tmp_path, capsys):
    """privacyIDEA's HTTP resolver and searxng's SPARQL helper log their own outbound calls with method, URL,
    status and elapsed time: that is no per-request completion log."""
    files = {
        "app.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n",
        "resolver.py": """
        import logging, time, requests
        log = logging.getLogger(__name__)
        def fetch(method, url):
            start = time.monotonic()
            resp = requests.request(method, url)
            log.info("%s %s -> %s in %.1fs", method, resp.request.url, resp.status_code, time.monotonic() - start)
            return resp
    """,
        # privacyIDEA's certificate token: a CA "request id" next to token_urlsafe is no request ID either
        "certs.py": "import secrets\ndef enroll():\n    request_id = secrets.token_urlsafe()\n    return request_id\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "LOG001,LOG002")) == ["LOG001", "LOG002"]


def test_log001_log002_missing(tmp_path, capsys):
    files = {
        "app.py": "import logging\nfrom flask import Flask\nlog = logging.getLogger()\n"
        "def create_app():\n    app = Flask(__name__)\n    log.info('started')\n    return app\n"
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "LOG")) == ["LOG001", "LOG002"]


@pytest.mark.parametrize(
    "conf",
    [
        "accesslog = \"-\"\naccess_log_format = '%(r)s %(s)s %(D)s'\n",
        # cve-search: options dict handed to a custom gunicorn application, format on its own line
        'options = {\n    "accesslog": "-",\n    "access_log_format":\n        \'%(m)s %(U)s %(s)s t_ms=%(L)s\',\n}\n',
    ],
)
def test_log002_gunicorn_access_log_forms(tmp_path, capsys, conf):
    files = {
        "app.py": BASE.replace('"duration_ms"', '"x"').replace("time.perf_counter() - g.start", "1"),
        "gunicorn_conf.py": conf,
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "LOG002")) == []


def test_log002_gunicorn_access_log_with_duration(tmp_path, capsys):
    files = {
        "app.py": BASE.replace('"duration_ms"', '"x"').replace("time.perf_counter() - g.start", "1"),
        "gunicorn.conf.py": "accesslog = \"-\"\naccess_log_format = '%(r)s %(s)s %(D)s'\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "LOG002")) == []


def _log(tmp_path, capsys, stmt, setup=""):
    src = f"""
    import logging
    from flask import Flask, request
    logger = logging.getLogger(__name__)
    JWT_CLOCK_SKEW_SECONDS = 30
    API_KEY_ERROR_CODE_ACTION = "Check that your API key is valid"
    UPDATE_USER_PASSWORD = rest_path("/users/update-password")
    API_KEY_ERROR_CODES = {{"0": "Check that your API key is valid", "1": "Your API key has expired"}}
    def create_app():
        app = Flask(__name__)
        @app.post("/login")
        def login():
            {setup}
            {stmt}
            return "x"
        return app
    """
    return rules_of(scan(tmp_path, {"app.py": src}, capsys, "--select", "LOG003"))


@pytest.mark.parametrize(
    "stmt,setup",
    [
        ('logger.info("body %s", request.data)', ""),
        ('logger.info("body %s", request.get_json())', ""),
        ('logger.debug("form: %s" % request.form)', ""),
        ('logger.info(f"payload {request.json}")', ""),
        ('logger.info("values {}".format(request.values))', ""),
        ('logger.info("auth %s", request.headers.get("Authorization"))', ""),
        ('logger.info("cookie %s", request.headers["Cookie"])', ""),
        ('logger.info("headers %s", dict(request.headers))', ""),
        ('logger.info("pw %s", pw)', 'pw = request.form["password"]'),
        ('logger.warning("login", extra={"password": pw})', 'pw = request.form.get("password")'),
        ('logger.info(f"user {user} token {token}")', "user, token = 1, 2"),
        ('logger.info("key=%s", api_key)', 'api_key = "x"'),
        ('logger.info("secret=%s", app.config["SECRET_KEY"])', ""),
        ('logger.info("otp %s", otp_code)', "otp_code = 1"),
        ('logger.error("refresh", extra={"refresh_token": t})', "t = 1"),
        ('app.logger.info("creds %s", credentials)', "credentials = 1"),
        ('logging.info("x %s", copy)', 'copy = str(request.form["password"])'),
        ('logger.info("pin %s", pin)', 'pin = request.form["pin"]'),
        ('logger.info("t %s", token.value)', "token = 1"),
        ('logger.info("c %s", request.cookies["session"])', ""),
        ('logger.info("sms %s", message)', 'message = "code <otp>".replace("<otp>", otp)'),
        ('logger.info("plex %s", accesstoken)', "accesstoken = 1"),  # Flexget: one word
        ('logger.info("new %s", api_key)', "api_key = create_key(user)"),  # a fresh key, by its name
    ],
)
def test_log003_positive(tmp_path, capsys, stmt, setup):
    assert _log(tmp_path, capsys, stmt, setup) == ["LOG003"]


@pytest.mark.parametrize(
    "stmt,setup",
    [
        ('logger.info("login for %s", request.form["username"])', ""),
        ('logger.info("password reset requested for %s", user)', "user = 1"),
        ('logger.info("tokens used: %d", token_count)', "token_count = 1"),
        ('logger.info("tokenizer %s", tokenizer)', "tokenizer = 1"),
        ('logger.info("csrf field %s", csrf_token_name)', "csrf_token_name = 1"),
        ('logger.info("expires %s", token_expires_at)', "token_expires_at = 1"),
        ('logger.info("key %s", api_key.name)', "api_key = 1"),
        ('logger.info("len %d", len(password))', "password = 1"),
        (
            'logger.info("status %s", resp.status_code)',
            'resp = requests.post("u", headers={"Authorization": "Bearer x"})',
        ),
        ('logger.info("profile %s", profile)', "profile = fetch_profile(access_token)"),
        ('logger.info("has password: %s", has_password)', "has_password = True"),
        ('logger.info("path %s", request.path)', ""),
        # found on real apps: attributes and fields of secret-named objects are other values
        ('logger.info("serial %s", token.serial)', "token = 1"),
        ('logger.info("user %s", auth_token.user_id)', "auth_token = 1"),
        ('logger.info("model %s", llm_cfg["model"])', 'llm_cfg = {"api_key": key, "model": "m"}'),
        ('logger.info("claims %s", id_token_claims_keys)', "id_token_claims_keys = 1"),
        ('logger.info("sent cookies %s", cookies)', "cookies = {}"),  # outbound cookies, not the client's
        ('logger.info("query %s", Token)', ""),  # a model class
        ('logger.info("pin policies %s", pin_pols)', "pin_pols = 1"),
        ('logger.info("sms %s", message); message = otp', 'message = "code <otp>"'),  # logged before
        ('logger.info("url %s", url.replace(api_key, "*****"))', "url, api_key = 1, 2"),  # FitTrackee redacts
        ('logger.info("upload %s", request.values[field_name])', 'field_name = "file.name"'),  # OctoPrint
        ('logger.info("mode %s", "authenticated" if api_token else "public")', "api_token = 1"),  # quay
        ('logger.info("skew %s", JWT_CLOCK_SKEW_SECONDS)', ""),  # = 30, a module constant
        ('logger.info("key %s", masked)', 'masked = f"{api_key[:4]}****{api_key[-4:]}"'),  # pyload
        ('logger.info("%s", API_KEY_ERROR_CODE_ACTION)', ""),  # rotki: a sentence of help text
        ('logger.info("at %s", local_otp_timestamp)', "local_otp_timestamp = 1"),  # pritunl
        ('logger.info("domain %s", token_hd)', "token_hd = 1"),  # security_monkey: a claim of the token
        ('logger.info("route %s", UPDATE_USER_PASSWORD)', ""),  # mlflow: a route constant
        # pyload: a masked copy under a secret-sounding name
        ('logger.info("key %s", log_api_key)', 'log_api_key = f"{api_key[:4]}***" if len(api_key) > 8 else "*" * 8'),
        ('logger.error("%s", API_KEY_ERROR_CODES[code])', ""),  # rotki: a dict of help sentences
    ],
)
def test_log003_negative(tmp_path, capsys, stmt, setup):
    assert _log(tmp_path, capsys, stmt, setup) == []


@pytest.mark.parametrize(
    "src,expected",
    [
        ('rid = request.headers.get("X-Request-ID", str(uuid.uuid4()))', ["LOG004"]),
        ('rid = request.headers["X-Correlation-ID"]', ["LOG004"]),
        ('rid = request.environ.get("HTTP_X_REQUEST_ID")', ["LOG004"]),
        ("rid = request.headers.get(HEADER) or uuid.uuid4().hex", ["LOG004"]),
        (
            'raw = request.headers.get("X-Request-ID", "")\n'
            "        rid = raw if _RID.fullmatch(raw) else uuid.uuid4().hex",
            [],
        ),
        ('rid = valid_request_id(request.headers.get("X-Request-ID")) or uuid.uuid4().hex', []),
        ('rid = accept(request.headers.get("X-Request-ID")) or uuid.uuid4().hex', []),
        ("rid = uuid.uuid4().hex", []),
    ],
)
def test_log004(tmp_path, capsys, src, expected):
    files = {
        "app.py": f"""
    import re
    import uuid
    from flask import Flask, g, request
    HEADER = "X-Request-ID"
    _RID = re.compile(r"[A-Za-z0-9-]{{1,64}}")
    def accept(value):
        return value if value and _RID.fullmatch(value) else None
    def create_app():
        app = Flask(__name__)
        @app.before_request
        def rid():
            {src.replace(chr(10) + "        ", chr(10) + "            ")}
            g.request_id = rid
        return app
    """
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "LOG004")) == expected


def test_log004_wsgi_environ(tmp_path, capsys):
    files = {
        "app.py": """
    import uuid
    from flask import Flask
    class RequestId:
        def __init__(self, app):
            self.app = app
        def __call__(self, environ, start_response):
            rid = environ.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex
            environ["request_id"] = rid
            return self.app(environ, start_response)
    def create_app():
        app = Flask(__name__)
        app.wsgi_app = RequestId(app.wsgi_app)
        return app
    """
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "LOG")) == ["LOG002", "LOG004"]


def test_log003_bare_token_counts_only_in_request_handling_modules(tmp_path, capsys):
    """An ACME challenge `token` in a DNS plugin is public; qualified tokens are secrets anywhere."""
    files = {
        "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "plugins/dns.py": """
        import logging
        from flask import current_app  # Lemur's plugins read config this way: still no request handling
        log = logging.getLogger(__name__)
        def create_txt_record(domain, token, access_token):
            log.info("TXT record created: %s, token: %s", domain, token)
            log.info("data %s", {"domain": domain, "token": token})
            log.info("using %s", access_token)
    """,
        # bazarr's subtitle providers: `request` is a response of the requests library
        "providers/subs.py": """
        import logging
        logger = logging.getLogger(__name__)
        def download(session):
            request = session.get("https://subs.example")
            logger.debug("got %s", request.data)
    """,
    }
    findings = scan(tmp_path, files, capsys, "--select", "LOG003")
    assert [(f["line"], f["message"]) for f in findings] == [(7, "`access_token` is written to the log")]


def test_log003_lazy_parse_skips_bare_token_blocks_only_outside_request_handling(tmp_path, capsys):
    """Files over 40 lines are parsed block by block; a block logging a bare `token` is skipped in a module
    that cannot handle requests (no finding there anyway), never in one that can, nor when the token is
    qualified (access_token): lazy and full parses find the same lines."""
    filler = "".join(f"def helper_{i}():\n    return {i}\n\n\n" for i in range(20))
    body = (
        "def sync(token):\n    log.info('token %s', token)\n\n\n"
        "def use(access_token):\n    log.info('%s', access_token)\n"
    )
    head = "import logging\nlog = logging.getLogger(__name__)\n\n\n"
    files = {
        "app.py": "from flask import Flask\napp = Flask(__name__)\n",
        "worker.py": head + filler + body,
        "views.py": "from flask import request\n" + head + filler + body,
    }
    write_tree(tmp_path, files)
    lazy = scan(tmp_path, {}, capsys, "--select", "LOG003")
    full = scan(tmp_path, {}, capsys, "--select", "LOG003", "--full-parse")
    assert lazy == full
    assert sorted((f["path"], f["line"]) for f in lazy) == [
        ("views.py", 87),  # token
        ("views.py", 91),  # access_token
        ("worker.py", 90),  # access_token only
    ]


def test_log003_in_a_big_class_is_found_where_a_full_parse_finds_it(tmp_path, capsys):
    """Big classes that only log are parsed method by method (privacyIDEA's token classes): same findings,
    same lines and columns as parsing the whole file."""
    filler = "".join(f"    def helper_{i}(self):\n        return {i}\n\n" for i in range(80))
    src = (
        "import logging\nfrom flask import Flask, request\nlog = logging.getLogger(__name__)\n\n\n"
        "class TokenClass:\n    kind = 'hotp'\n\n"
        + filler
        + "    @staticmethod\n    def check(pin):\n        log.debug('pin %s', pin)\n\n"
        + "    def serial(self):\n        log.info('serial %s', self.token.serial)\n"
    )
    write_tree(tmp_path, {"app.py": src})
    lazy = scan(tmp_path, {}, capsys, "--select", "LOG003")
    full = scan(tmp_path, {}, capsys, "--select", "LOG003", "--full-parse")
    assert [(f["line"], f["column"]) for f in lazy] == [(251, 9)]
    assert lazy == full


def test_log003_fields_of_the_submitted_body(tmp_path, capsys):
    """The contract: a value taken from the request body (a submitted answer) is sensitive, through a local
    variable, f-strings, % formatting and extra=; a username or a user id alone is not."""
    view = """
    import logging
    from flask import Flask, request
    log = logging.getLogger(__name__)
    def create_app():
        app = Flask(__name__)
        @app.post("/challenges/attempt")
        def attempt():
            data = request.get_json()
            answer = data["submission"]
            user_id = request.form["user_id"]
            {call}
            return ""
        return app
    """
    for call, expected in [
        ('log.info(f"attempt: {answer}")', "`data['submission']` (a field of the request body)"),
        (
            'log.info("attempt %s", request.form.get("flag"))',
            "`request.form.get('flag')` (a field of the request body)",
        ),
        ('log.info("attempt", extra={"body": data})', "`request.get_json()` (the request body)"),
        ('log.info("attempt by %s", user_id)', None),
        ('log.info("attempt by %s", request.form["username"])', None),
    ]:
        found = scan(tmp_path, {"app.py": view.replace("{call}", call)}, capsys, "--select", "LOG003")
        assert [f["message"] for f in found] == ([f"{expected} is written to the log"] if expected else []), call


def test_log002_the_duration_must_be_logged(tmp_path, capsys):
    """lemur times every request for its metrics but logs method, path and status only: no completion log.
    The reference's middleware logs a dict of the four (the names a call passes count)."""
    hook = """
    import logging, time
    from flask import Flask, g, request
    log = logging.getLogger(__name__)
    def create_app():
        app = Flask(__name__)
        @app.after_request
        def done(response):
            elapsed = time.time() - g.start
            {body}
            return response
        return app
    """
    metrics_only = 'log.info({"method": request.method, "path": request.path, "status": response.status_code})\n'
    metrics_only += '            metrics.send("response_time", elapsed)'
    logged = 'fields = {"method": request.method, "path": request.path, "status": response.status_code,\n'
    logged += '                      "duration_ms": elapsed * 1000}\n            log.info("request", extra=fields)'
    for body, expected in [(metrics_only, ["LOG002"]), (logged, [])]:
        found = scan(tmp_path, {"app.py": hook.replace("{body}", body)}, capsys, "--select", "LOG002")
        assert rules_of(found) == expected, body


def test_log002_server_and_library_access_logs(tmp_path, capsys):
    """uWSGI logs method, path, status and msecs per request unless disable-logging (searxng, eq-runner turn
    it off); a logging library's init_app (notifications-utils) installs its own completion log."""
    app = {"app.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n"}
    uwsgi_on = {**app, "uwsgi.ini": "[uwsgi]\nmodule = app:create_app()\n", "run.sh": "uwsgi --ini uwsgi.ini\n"}
    assert rules_of(scan(tmp_path / "a", uwsgi_on, capsys, "--select", "LOG002")) == []
    uwsgi_off = {**uwsgi_on, "uwsgi.ini": "[uwsgi]\nmodule = app:create_app()\ndisable-logging = true\n"}
    assert rules_of(scan(tmp_path / "b", uwsgi_off, capsys, "--select", "LOG002")) == ["LOG002"]
    library = {
        "app.py": "from flask import Flask\nfrom notifications_utils.logging import flask as utils_logging\n"
        "def create_app():\n    app = Flask(__name__)\n    utils_logging.init_app(app)\n    return app\n"
    }
    assert rules_of(scan(tmp_path / "c", library, capsys, "--select", "LOG002")) == []


def test_log001_request_id_middleware_in_a_pipeline(tmp_path, capsys):
    """keystone loads oslo's RequestId middleware by entry point name in its WSGI pipeline."""
    files = {
        "server.py": """
        import flask
        _APP_MIDDLEWARE = (_Middleware(namespace="keystone.server_middleware", ep="request_id", conf={}),)
        def application_factory():
            return flask.Flask(__name__)
        """
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "LOG001")) == []


def test_log001_a_tracing_agent_is_no_request_id(tmp_path, capsys):
    """superdesk runs Elastic APM: trace IDs go to the APM server, not into the app's logs or responses."""
    files = {"app.py": "import elasticapm\nfrom elasticapm.contrib.flask import ElasticAPM\nfrom flask import Flask\n"
             "def create_app():\n    app = Flask(__name__)\n    ElasticAPM(app)\n    return app\n"}  # fmt: skip
    assert rules_of(scan(tmp_path, files, capsys, "--select", "LOG001")) == ["LOG001"]


def test_log003_through_the_projects_own_log_helper(tmp_path, capsys):
    """CTFd logs every flag attempt with log("submissions", fmt, submission=...): its log() helper calls
    logger.info, so what it is passed reaches the log; a helper that logs nothing is not one."""
    files = {
        "ctf/utils.py": """
        import logging
        def log(logger, format, **kwargs):
            logging.getLogger(logger).info(format.format(**kwargs))
        def dialog(**kwargs):
            return kwargs
        """,
        "ctf/api.py": """
        from flask import Flask, request
        from .utils import log, dialog
        app = Flask(__name__)
        @app.post("/attempt")
        def attempt():
            request_data = request.form or request.get_json()
            log("submissions", "{name} submitted {submission}", name="x", submission=request_data.get("submission"))
            dialog(answer=request_data.get("submission"))
            return ""
        """,
    }
    found = scan(tmp_path, files, capsys, "--select", "LOG003")
    assert [(f["path"], f["line"]) for f in found] == [("ctf/api.py", 7)]
    assert "a field of the request body" in found[0]["message"]
