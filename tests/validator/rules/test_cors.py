"""CORS001-006, positive and negative, matching flask-cors 6.0.x semantics."""

import pytest

from ..util import rules_of, scan

APP = """
from flask import Flask
from flask_cors import CORS

def create_app():
    app = Flask(__name__)
    {call}
    return app
"""


def cors(tmp_path, capsys, call, extra=None, select="CORS"):
    files = {"app/__init__.py": APP.replace("{call}", call)}
    files.update(extra or {})
    return [f for f in scan(tmp_path, files, capsys, "--select", select)]


@pytest.mark.parametrize(
    "call",
    [
        "CORS(app)",
        'CORS(app, origins="*")',
        'CORS(app, origins=["*"])',
        'CORS(app, origins=r".*")',
        'CORS(app, origins=r"https://.*")',
        'CORS(app, resources={r"^/api/.*$": {"origins": "*"}})',
        'CORS(app, origins=os.environ.get("CORS_ORIGINS", "*"))',
    ],
)
def test_cors001_wildcard(tmp_path, capsys, call):
    extra = {}
    if "os." in call:
        extra = {"app/__init__.py": "import os\n" + APP.replace("{call}", call)}
    found = cors(tmp_path, capsys, call, extra, select="CORS001")
    assert rules_of(found) == ["CORS001"], found


@pytest.mark.parametrize(
    "call",
    [
        'CORS(app, origins=["https://app.example.com"])',
        'CORS(app, origins=os.environ["CORS_ORIGINS"].split(","))',
        'CORS(app, origins=app.config["CORS_ORIGINS"])',
        'CORS(app, origins=r"^https://([a-z]+\\.)?example\\.com$")',
    ],
)
def test_cors001_negative(tmp_path, capsys, call):
    files = {
        "app/__init__.py": "import os\n" + APP.replace("{call}", call),
        "app/config.py": 'import os\nclass ProductionConfig:\n    CORS_ORIGINS = os.environ["CORS_ORIGINS"]\n',
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS001")) == []


def test_cors001_config_key_wildcard_in_production(tmp_path, capsys):
    files = {
        "app/__init__.py": APP.replace("{call}", "CORS(app)"),
        "app/config.py": 'class Config:\n    X = 1\nclass ProductionConfig(Config):\n    CORS_ORIGINS = "*"\n',
    }
    assert "CORS001" in rules_of(scan(tmp_path, files, capsys))


def test_cors001_dev_only_wildcard_is_fine(tmp_path, capsys):
    files = {
        "app/__init__.py": APP.replace("{call}", 'CORS(app, resources={r"^/api/.*$": {}})'),
        "app/config.py": 'import os\nclass DevelopmentConfig:\n    CORS_ORIGINS = "*"\n'
        'class ProductionConfig:\n    CORS_ORIGINS = os.environ["CORS_ORIGINS"]\n',
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS001")) == []


def test_cors001_hand_set_and_reflected_header(tmp_path, capsys):
    files = {
        "app.py": """
        from flask import Flask, request
        def create_app():
            app = Flask(__name__)
            @app.after_request
            def star(resp):
                resp.headers["Access-Control-Allow-Origin"] = "*"
                return resp
            @app.after_request
            def reflect(resp):
                resp.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin")
                resp.headers["Access-Control-Allow-Credentials"] = "true"
                return resp
            return app
    """
    }
    found = scan(tmp_path, files, capsys, "--select", "CORS001,CORS002")
    assert rules_of(found) == ["CORS001", "CORS001", "CORS002"]


def test_cors001_reflected_after_allow_list_check_is_fine(tmp_path, capsys):
    files = {
        "app.py": """
        from flask import Flask, request
        ALLOWED = {"https://app.example.com"}
        def create_app():
            app = Flask(__name__)
            @app.after_request
            def reflect(resp):
                origin = request.headers.get("Origin")
                if origin in ALLOWED:
                    resp.headers["Access-Control-Allow-Origin"] = origin
                return resp
            return app
    """
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS001")) == []


@pytest.mark.parametrize(
    "call,expected",
    [
        ("CORS(app, supports_credentials=True)", ["CORS001", "CORS002"]),
        ('CORS(app, origins="*", supports_credentials=True)', ["CORS001", "CORS002"]),
        ('CORS(app, origins=["https://a.example.com"], supports_credentials=True)', []),
        ('CORS(app, origins="*")', ["CORS001"]),
    ],
)
def test_cors002(tmp_path, capsys, call, expected):
    assert rules_of(cors(tmp_path, capsys, call, select="CORS001,CORS002")) == expected


def test_cors002_from_config_keys(tmp_path, capsys):
    files = {
        "app/__init__.py": APP.replace(
            "{call}", "app.config.from_object('app.config.ProductionConfig')\n    CORS(app)"
        ),
        "app/config.py": "class ProductionConfig:\n    CORS_SUPPORTS_CREDENTIALS = True\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS002")) == ["CORS002"]


def test_cors003_everywhere_with_pages(tmp_path, capsys):
    files = {
        "app/__init__.py": APP.replace("{call}", 'CORS(app, origins=["https://a.example.com"])'),
        "app/views.py": "from flask import Blueprint\nbp = Blueprint('w', __name__)\n"
        "@bp.route('/about')\ndef about():\n    return 'x'\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS003")) == ["CORS003"]


@pytest.mark.parametrize(
    "call",
    [
        'CORS(app, resources={r"^/api(?:/.*)?$": {"origins": ["https://a.example.com"]}})',
        'CORS(api_bp, origins=["https://a.example.com"])',
    ],
)
def test_cors003_negative(tmp_path, capsys, call):
    files = {
        "app/__init__.py": APP.replace("{call}", call),
        "app/views.py": "from flask import Blueprint\nbp = Blueprint('w', __name__)\n"
        "@bp.route('/about')\ndef about():\n    return 'x'\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS003")) == []


def test_cors003_api_only_app_is_fine(tmp_path, capsys):
    files = {
        "app/__init__.py": APP.replace("{call}", 'CORS(app, origins=["https://a.example.com"])'),
        "app/api.py": "from flask import Blueprint\nbp = Blueprint('a', __name__)\n"
        "@bp.get('/api/items')\ndef items():\n    return {}\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS003")) == []


def test_cors004_max_age(tmp_path, capsys):
    assert rules_of(cors(tmp_path, capsys, 'CORS(app, origins=["https://a.example.com"])', select="CORS004")) == [
        "CORS004"
    ]


@pytest.mark.parametrize(
    "call",
    [
        'CORS(app, origins=["https://a.example.com"], max_age=600)',
        'CORS(app, resources={r"^/api/.*$": {"origins": ["https://a.example.com"], "max_age": 600}})',
    ],
)
def test_cors004_negative(tmp_path, capsys, call):
    assert rules_of(cors(tmp_path, capsys, call, select="CORS004")) == []


def test_cors004_config_key(tmp_path, capsys):
    files = {
        "app/__init__.py": APP.replace("{call}", 'CORS(app, origins=["https://a.example.com"])'),
        "app/config.py": "class Config:\n    CORS_MAX_AGE = 600\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS004")) == []


@pytest.mark.parametrize(
    "call",
    [
        'CORS(app, resources={r"/api/*": {"origins": ["https://a.example.com"]}})',
        'CORS(app, resources=r"/api.*", origins=["https://a.example.com"])',
        'CORS(app, origins=[r"https://.*\\.example\\.com"])',
        'CORS(app, origins=r"^https://a\\.example\\.com|^https://b\\.example\\.com$")',
    ],
)
def test_cors005_unanchored(tmp_path, capsys, call):
    assert "CORS005" in rules_of(cors(tmp_path, capsys, call, select="CORS005"))


@pytest.mark.parametrize(
    "call",
    [
        'CORS(app, resources={r"/api/.*": {"origins": ["https://a.example.com"]}})',
        'CORS(app, resources={r"^/api(?:/.*)?$": {"origins": ["https://a.example.com"]}})',
        'CORS(app, resources={"/api/v1/users": {"origins": ["https://a.example.com"]}})',
        'CORS(app, origins=[r"^https://([a-z0-9-]+\\.)?example\\.com$"])',
        'CORS(app, origins=["https://app.example.com"])',
    ],
)
def test_cors005_negative(tmp_path, capsys, call):
    assert rules_of(cors(tmp_path, capsys, call, select="CORS005")) == []


def test_cors005_matches_flask_cors_semantics():
    """The rule's claims hold against flask-cors itself."""
    import re

    from flask_cors.core import probably_regex

    assert probably_regex(r"/api/*") and re.compile(r"/api/*").match("/apiary")
    assert not probably_regex("https://app.example.com")  # '.' alone does not make a regex
    assert re.compile(r"https://.*\.example\.com", re.I).match("https://evil.example.com.attacker.net")


def test_cors006_default_list_used_in_production(tmp_path, capsys):
    files = {
        "app/__init__.py": APP.replace(
            "{call}", 'CORS(app, origins=app.config.get("CORS_ORIGINS", ["http://localhost:3000"]))'
        ),
        "app/config.py": "class Config:\n    DEBUG = False\nclass ProductionConfig(Config):\n    pass\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS006")) == ["CORS006"]


def test_cors006_production_overrides_default(tmp_path, capsys):
    files = {
        "app/__init__.py": APP.replace(
            "{call}", 'CORS(app, origins=app.config.get("CORS_ORIGINS", ["http://localhost:3000"]))'
        ),
        "app/config.py": "import os\nclass Config:\n    DEBUG = False\n"
        "class DevelopmentConfig(Config):\n    CORS_ORIGINS = ['http://localhost:3000']\n"
        "class ProductionConfig(Config):\n    CORS_ORIGINS = os.environ['CORS_ORIGINS']\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS006")) == []


GOOD_OPTIONS = 'resources={r"^/api(?:/.*)?$": {"origins": ["https://app.example.com"], "max_age": 600}}'


def _unbound(tmp_path, capsys, init, config="", select="CORS"):
    files = {
        "app/extensions.py": "from flask_cors import CORS\ncors = CORS()\n",
        "app/__init__.py": f"""
            from flask import Flask
            from flask_cors import CORS
            from .extensions import cors
            def create_app():
                app = Flask(__name__)
                app.config.from_object("app.config.ProductionConfig")
                {init}
                return app
        """,
        "app/config.py": f"class ProductionConfig:\n    SECRET_KEY = 'x'\n{config}",
    }
    return [(f["rule"], f["path"], f["line"]) for f in scan(tmp_path, files, capsys, "--select", select)]


def test_init_app_options_are_read(tmp_path, capsys):
    """cors = CORS() in extensions.py, options in cors.init_app(...): flask-realworld, Lemur."""
    assert _unbound(tmp_path, capsys, f"cors.init_app(app, {GOOD_OPTIONS})") == []
    # Lemur: init_app(app, resources=..., supports_credentials=True) with CORS_ORIGINS = "*"
    found = _unbound(
        tmp_path,
        capsys,
        'cors.init_app(app, resources=r"^/api/.*$", supports_credentials=True, max_age=600)',
        config='    CORS_ORIGINS = "*"\n',
    )
    assert found == [("CORS001", "app/__init__.py", 7), ("CORS002", "app/__init__.py", 7)]
    # no options anywhere: flask-cors's defaults, reported where CORS is bound to the app (microblog-api)
    assert ("CORS001", "app/__init__.py", 7) in _unbound(tmp_path, capsys, "cors.init_app(app)")


@pytest.mark.parametrize(
    "call,expected",
    [
        ("CORS(app, **OPTS)", []),  # a module constant: read
        ("CORS(app, **app.config['CORS_OPTIONS'])", []),  # a config value: read from production config
        ("CORS(app, **build_options())", []),  # unknown: nothing is known to be missing
        ("CORS(app, **WIDE)", ["CORS001", "CORS003", "CORS004"]),
    ],
)
def test_spread_options(tmp_path, capsys, call, expected):
    load = 'app = Flask(__name__)\n    app.config.from_object("app.config.ProductionConfig")'
    src = APP.replace("{call}", call).replace("app = Flask(__name__)", load)
    src = src.replace("def create_app", f"OPTS = dict({GOOD_OPTIONS})\nWIDE = {{}}\ndef create_app")
    files = {
        "app/__init__.py": src,
        "app/config.py": f"class ProductionConfig:\n    CORS_OPTIONS = dict({GOOD_OPTIONS})\n",
        "app/views.py": "from flask import render_template\ndef index():\n    return render_template('i.html')\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS")) == expected


@pytest.mark.parametrize("enabled,expected", [("False", []), ("True", ["CORS001"])])
def test_cors_behind_a_config_flag(tmp_path, capsys, enabled, expected):
    """Superset: `if self.config["ENABLE_CORS"]: CORS(app, ...)` with ENABLE_CORS = False in production."""
    init = 'if app.config["ENABLE_CORS"]:\n                    cors.init_app(app, max_age=600)'
    found = _unbound(tmp_path, capsys, init, config=f"    ENABLE_CORS = {enabled}\n", select="CORS001")
    assert [r for r, _p, _l in found] == expected


def test_cors004_once_for_many_cross_origin_decorators(tmp_path, capsys):
    """alerta decorates 96 views with @cross_origin(): one CORS_MAX_AGE fixes them, so one finding."""
    views = "".join(
        f"@bp.route('/api/v{i}')\n@cross_origin(origins=['https://a.example'])\ndef view{i}():\n    return 'x'\n"
        for i in range(3)
    )
    files = {
        "app/views.py": "from flask import Blueprint\nfrom flask_cors import cross_origin\n"
        "bp = Blueprint('api', __name__)\n" + views,
        "app/__init__.py": "from flask import Flask\ndef create_app():\n    return Flask(__name__)\n",
    }
    found = scan(tmp_path, files, capsys, "--select", "CORS004")
    assert [f["line"] for f in found] == [5] and "(and 2 more @cross_origin())" in found[0]["message"]


@pytest.mark.parametrize(
    "guard,expected",
    [
        ('if "Origin" in request.headers:', ["CORS001"]),  # only checks that one was sent
        ('if "Origin" in request.headers and allowCrossOrigin:', ["CORS001"]),  # OctoPrint: a feature flag
        ('if "Origin" in request.headers and origin in ALLOWED:', []),
        ('if set(["*", origin]) & ALLOWED:', []),  # redash
    ],
)
def test_reflected_origin_guard(tmp_path, capsys, guard, expected):
    files = {
        "app.py": f"""
        from flask import Flask, request
        ALLOWED = {{"https://a.example"}}
        def create_app():
            app = Flask(__name__)
            @app.after_request
            def cors(response):
                origin = request.headers.get("Origin", "")
                {guard}
                    response.headers["Access-Control-Allow-Origin"] = origin
                return response
            return app
    """
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS001")) == expected


def test_an_origin_setting_is_not_the_request_origin(tmp_path, capsys):
    """cve-search writes config.getCORSAllowOrigin() into the header: the operator's choice, not reflection."""
    files = {
        "app.py": """
        from flask import Flask
        from . import config
        ALLOWED_ORIGIN = "https://app.example.com"
        def create_app():
            app = Flask(__name__)
            @app.after_request
            def cors(response):
                response.headers.add("Access-Control-Allow-Origin", config.getCORSAllowOrigin())
                response.headers["Access-Control-Allow-Origin"] = ALLOWED_ORIGIN
                return response
            return app
    """
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "CORS001")) == []


HAND_WRITTEN = """
from flask import Flask, render_template, request
def create_app():
    app = Flask(__name__)
    @app.route("/")
    def index():
        return render_template("index.html")
    @app.get("/api/items")
    def items():
        return []
    @app.after_request
    def cors(response):
        {body}
        return response
    return app
"""


def test_hand_written_cors_is_judged_like_flask_cors(tmp_path, capsys):
    """ckan, notifications-api, redash: Access-Control-Allow-Origin written in an after_request hook (which
    also answers Flask's automatic OPTIONS, so preflights): CORS003 when it covers pages too, CORS004 when no
    Access-Control-Max-Age is ever sent."""
    body = 'response.headers["Access-Control-Allow-Origin"] = "https://app.example.com"'
    found = scan(tmp_path / "a", {"app.py": HAND_WRITTEN.replace("{body}", body)}, capsys, "--select", "CORS")
    assert [(f["rule"], f["line"]) for f in found] == [("CORS003", 12), ("CORS004", 12)]
    assert found[1]["message"].startswith("hand-written CORS sets Access-Control-Allow-Origin but never")
    scoped = (
        'if request.path.startswith("/api/"):\n'
        '            response.headers["Access-Control-Allow-Origin"] = "https://app.example.com"\n'
        '            response.headers["Access-Control-Max-Age"] = "600"'
    )
    assert scan(tmp_path / "b", {"app.py": HAND_WRITTEN.replace("{body}", scoped)}, capsys, "--select", "CORS") == []


def test_socketio_wildcard_origins(tmp_path, capsys):
    """pgAdmin: socketio.init_app(app, cors_allowed_origins="*"): engine.io echoes any Origin, with
    credentials by default, and never sends Access-Control-Max-Age."""
    files = {
        "app.py": """
        from flask import Flask
        from flask_socketio import SocketIO
        socketio = SocketIO()
        def create_app():
            app = Flask(__name__)
            socketio.init_app(app, cors_allowed_origins="*")
            return app
        """
    }
    found = scan(tmp_path, files, capsys, "--select", "CORS001,CORS002,CORS004")
    assert [(f["rule"], f["line"]) for f in found] == [("CORS001", 6), ("CORS002", 6), ("CORS004", 6)]
    files["app.py"] = files["app.py"].replace('cors_allowed_origins="*"', 'cors_allowed_origins=["https://a.example"]')
    assert [f["rule"] for f in scan(tmp_path, files, capsys, "--select", "CORS001,CORS002")] == []


def test_cors002_credentials_only_for_trusted_origins(tmp_path, capsys):
    """udata sends `*` to untrusted origins and credentials only to trusted ones, in exclusive branches."""
    body = (
        'if request.headers.get("Origin") in TRUSTED:\n'
        '            response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]\n'
        '            response.headers["Access-Control-Allow-Credentials"] = "true"\n'
        "        else:\n"
        '            response.headers["Access-Control-Allow-Origin"] = "*"'
    )
    found = scan(tmp_path, {"app.py": HAND_WRITTEN.replace("{body}", body)}, capsys, "--select", "CORS001,CORS002")
    assert [f["rule"] for f in found] == ["CORS001"]  # the wildcard, but never with credentials


def test_socketio_on_a_module_level_app_is_app001(tmp_path, capsys):
    """iris-web: SocketIO(app, cors_allowed_origins="*") at import time on a module-level app."""
    files = {"app.py": "from flask import Flask\nfrom flask_socketio import SocketIO\napp = Flask(__name__)\n"
             "socketio = SocketIO(app, cors_allowed_origins='*')\n"}  # fmt: skip
    found = scan(tmp_path, files, capsys, "--select", "APP001")
    assert [(f["line"], f["message"].split(" is set up")[0]) for f in found] == [(4, "SocketIO CORS")]
