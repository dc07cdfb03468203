"""RATE001-004: auth routes in every declaration style, blueprint-wide limits, storage in production."""

import pytest

from ..util import rules_of, scan

FACTORY = """
from flask import Flask
from .extensions import limiter
def create_app():
    app = Flask(__name__)
    app.config.from_object("app.config.ProductionConfig")
    limiter.init_app(app)
    from .auth import bp
    app.register_blueprint(bp, url_prefix="/auth")
    return app
"""
EXT = """
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
limiter = Limiter(key_func=get_remote_address, default_limits=["100 per minute"])
"""
CONFIG = """
import os
class Config:
    RATELIMIT_STORAGE_URI = "memory://"
class DevelopmentConfig(Config):
    pass
class ProductionConfig(Config):
    RATELIMIT_STORAGE_URI = os.environ["RATELIMIT_STORAGE_URI"]
"""


def app_with(auth_src, ext=EXT, config=CONFIG, factory=FACTORY):
    return {"app/__init__.py": factory, "app/extensions.py": ext, "app/config.py": config, "app/auth.py": auth_src}


def test_rate001_no_limiting_with_auth_routes(tmp_path, capsys):
    files = {
        "app.py": """
        from flask import Flask, request
        def create_app():
            app = Flask(__name__)
            @app.route("/login", methods=["GET", "POST"])
            def login():
                failed = 0  # an account lockout counter is not a rate limit
                return "x"
            return app
    """
    }
    found = scan(tmp_path, files, capsys, "--select", "RATE")
    assert rules_of(found) == ["RATE001", "RATE002"]  # each rule on its own: the route still needs its limit
    rate002 = next(f for f in found if f["rule"] == "RATE002")
    assert rate002["severity"] == "error" and "GET/POST /login" not in rate002["message"]
    assert rate002["message"] == "authentication route POST /login (login) has no explicit rate limit of its own"


def test_rate001_custom_throttle_decorator_counts(tmp_path, capsys):
    files = {
        "app.py": """
        from flask import Flask
        from .utils import throttle
        def create_app():
            app = Flask(__name__)
            @app.post("/login")
            @throttle(5)
            def login():
                return "x"
            return app
    """
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE001,RATE002")) == []


def test_rate001_configured_decorator_name(tmp_path, capsys):
    files = {
        "app.py": """
        from flask import Flask
        from .guards import slow_down
        def create_app():
            app = Flask(__name__)
            @app.post("/login")
            @slow_down
            def login():
                return "x"
            return app
    """,
        ".flask-middleware.yml": "rate-limit-decorators: [slow_down]\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE001,RATE002")) == []


AUTH_UNLIMITED = """
from flask import Blueprint
from .extensions import limiter
bp = Blueprint("auth", __name__)
@bp.route("/login", methods=["POST"])
@limiter.limit("10 per minute")
def login(): return "x"
@bp.post("/password/forgot")
def forgot(): return "x"
@bp.route("/register", methods=["GET", "POST"])
def register(): return "x"
@bp.post("/token/refresh")
def refresh(): return "x"
@bp.post("/2fa/verify")
def verify_otp(): return "x"
@bp.route("/sign-up", methods=["POST"])
def sign_up(): return "x"
@bp.post("/logout")
def logout(): return "x"
@bp.route("/login")
def login_form(): return "form"
@bp.post("/health")
@limiter.exempt
def health(): return "ok"
"""


def test_rate002_each_unlimited_auth_route(tmp_path, capsys):
    found = scan(tmp_path, app_with(AUTH_UNLIMITED), capsys, "--select", "RATE002")
    names = sorted(f["message"].split("(")[-1].split(")")[0] for f in found)
    assert names == ["forgot", "refresh", "register", "sign_up", "verify_otp"]


def test_rate002_exempt_auth_route(tmp_path, capsys):
    src = AUTH_UNLIMITED.replace(
        '@bp.post("/health")\n@limiter.exempt\ndef health', '@bp.post("/session")\n@limiter.exempt\ndef create_session'
    )
    found = scan(tmp_path, app_with(src), capsys, "--select", "RATE002")
    assert any("exempt" in f["message"] and "create_session" in f["message"] for f in found)


def test_rate002_blueprint_wide_limit(tmp_path, capsys):
    factory = FACTORY.replace(
        "limiter.init_app(app)",
        'limiter.init_app(app)\n    from .auth import bp as auth_bp\n    limiter.limit("5 per minute")(auth_bp)',
    )
    files = app_with(AUTH_UNLIMITED, factory=factory)
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE002")) == []


def test_rate002_limit_applied_in_factory_to_view(tmp_path, capsys):
    auth = """
    from flask import Blueprint
    bp = Blueprint("auth", __name__)
    def login(): return "x"
    """
    factory = FACTORY.replace(
        "limiter.init_app(app)",
        "limiter.init_app(app)\n    from .auth import login\n"
        '    app.add_url_rule("/login", view_func=limiter.limit("5/minute")(login), '
        'methods=["POST"])',
    )
    assert rules_of(scan(tmp_path, app_with(auth, factory=factory), capsys, "--select", "RATE002")) == []


def test_rate002_add_url_rule_unlimited(tmp_path, capsys):
    auth = """
    from flask import Blueprint
    bp = Blueprint("auth", __name__)
    def login(): return "x"
    bp.add_url_rule("/login", view_func=login, methods=["POST"])
    """
    assert rules_of(scan(tmp_path, app_with(auth), capsys, "--select", "RATE002")) == ["RATE002"]


@pytest.mark.parametrize("limited", [True, False])
def test_rate002_methodview_decorators(tmp_path, capsys, limited):
    auth = f"""
    from flask import Blueprint
    from flask.views import MethodView
    from .extensions import limiter
    bp = Blueprint("auth", __name__)
    class LoginView(MethodView):
        decorators = [{'limiter.limit("5/minute")' if limited else "login_required"}]
        def post(self): return "x"
    bp.add_url_rule("/login", view_func=LoginView.as_view("login"))
    """
    found = rules_of(scan(tmp_path, app_with(auth), capsys, "--select", "RATE002"))
    assert found == ([] if limited else ["RATE002"])


@pytest.mark.parametrize(
    "decl,limited",
    [
        ('method_decorators = [limiter.limit("5/minute")]', True),
        ('method_decorators = {"post": [limiter.limit("5/minute")]}', True),
        ("method_decorators = []", False),
    ],
)
def test_rate002_flask_restful_resource(tmp_path, capsys, decl, limited):
    auth = f"""
    from flask import Blueprint
    from flask_restful import Api, Resource
    from .extensions import limiter
    bp = Blueprint("auth", __name__)
    api = Api(bp)
    class TokenResource(Resource):
        {decl}
        def post(self): return {{}}
    api.add_resource(TokenResource, "/tokens")
    """
    found = rules_of(scan(tmp_path, app_with(auth), capsys, "--select", "RATE002"))
    assert found == ([] if limited else ["RATE002"])


def test_rate002_restx_class_route_with_method_decorator(tmp_path, capsys):
    auth = """
    from flask import Blueprint
    from flask_restx import Namespace, Resource
    from .extensions import limiter
    ns = Namespace("auth")
    bp = Blueprint("auth", __name__)
    @ns.route("/login")
    class Login(Resource):
        @limiter.limit("5/minute")
        def post(self): return {}
    @ns.route("/password-reset")
    class PasswordReset(Resource):
        def post(self): return {}
    """
    found = scan(tmp_path, app_with(auth), capsys, "--select", "RATE002")
    assert [f["message"].split("(")[-1][:-1].split(")")[0] for f in found] == ["PasswordReset"]


def test_rate002_shared_limit_counts(tmp_path, capsys):
    auth = """
    from flask import Blueprint
    from .extensions import limiter
    bp = Blueprint("auth", __name__)
    auth_limit = limiter.shared_limit("10/minute", scope="auth")
    @bp.post("/login")
    @limiter.shared_limit("10/minute", scope="auth")
    def login(): return "x"
    """
    assert rules_of(scan(tmp_path, app_with(auth), capsys, "--select", "RATE002")) == []


def test_rate002_custom_auth_pattern(tmp_path, capsys):
    auth = """
    from flask import Blueprint
    bp = Blueprint("auth", __name__)
    @bp.post("/api/v1/keys")
    def make_key(): return "x"
    """
    files = app_with(auth)
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE002")) == []
    files2 = {".flask-middleware.yml": 'auth-route-patterns: ["/keys$"]\n'}
    assert rules_of(scan(tmp_path, files2, capsys, "--select", "RATE002")) == ["RATE002"]


@pytest.mark.parametrize(
    "config,expected",
    [
        (CONFIG, []),
        (
            "class Config:\n    RATELIMIT_STORAGE_URI = 'memory://'\nclass ProductionConfig(Config):\n    pass\n",
            ["RATE003"],
        ),
        ("class Config:\n    DEBUG = False\nclass ProductionConfig(Config):\n    DEBUG = False\n", ["RATE003"]),
        (
            "import os\nclass ProductionConfig:\n    RATELIMIT_STORAGE_URI = os.environ.get('RL', 'memory://')\n",
            ["RATE003"],
        ),
        (
            "import os\nclass ProductionConfig:\n    RATELIMIT_STORAGE_URI = os.environ.get('RL', 'redis://r:6379')\n",
            [],
        ),
        ("import os\nclass ProductionConfig:\n    RATELIMIT_STORAGE_URL = os.getenv('RL')\n", []),
        (
            "import os\nclass ProductionConfig:\n    def __init__(self):\n"
            "        self.RATELIMIT_STORAGE_URI = os.environ.get('RL', '')\n",
            [],
        ),
        (
            "class DevelopmentConfig:\n    RATELIMIT_STORAGE_URI = 'memory://'\n"
            "class ProductionConfig:\n    RATELIMIT_STORAGE_URI = 'redis://cache:6379'\n",
            [],
        ),
    ],
)
def test_rate003_production_storage(tmp_path, capsys, config, expected):
    found = scan(tmp_path, app_with(AUTH_UNLIMITED, config=config), capsys, "--select", "RATE003")
    assert rules_of(found) == expected


@pytest.mark.parametrize(
    "storage,expected",
    [
        ('storage_uri="redis://localhost:6379/0"', []),
        ('storage_uri="memory://"', ["RATE003"]),
        ('storage_uri=os.environ.get("REDIS_URL", "memory://")', ["RATE003"]),
        ('storage_uri=os.environ["REDIS_URL"]', []),
    ],
)
def test_rate003_constructor_storage_wins(tmp_path, capsys, storage, expected):
    ext = "import os\n" + EXT.replace(
        'default_limits=["100 per minute"]', f'default_limits=["100 per minute"], {storage}'
    )
    config = "class ProductionConfig:\n    RATELIMIT_STORAGE_URI = 'memory://'\n" if not expected else CONFIG
    found = scan(tmp_path, app_with(AUTH_UNLIMITED, ext=ext, config=config), capsys, "--select", "RATE003")
    assert rules_of(found) == expected


@pytest.mark.parametrize("uri", [
    "redis+sentinel://:pw@s1:26379,s2:26379,s3:26379/mymaster",
    "redis+cluster://n1:7000,n2:7000,n3:7000",
    "valkey+sentinel://s1:26379/primary",
    "valkey+cluster://n1:7000",
    "valkey://cache:6379",
    "rediss://:pw@cache:6380/0",
])
def test_rate003_sentinel_cluster_and_valkey_are_shared(tmp_path, capsys, uri):
    """Scale-out topologies are shared storage, whether written in the config, as the Limiter's
    storage_uri or as the default of an environment lookup."""
    configs = [
        f"class ProductionConfig:\n    RATELIMIT_STORAGE_URI = {uri!r}\n",
        f"import os\nclass ProductionConfig:\n    RATELIMIT_STORAGE_URI = os.environ.get('RL', {uri!r})\n",
    ]
    for i, config in enumerate(configs):
        found = scan(tmp_path / str(i), app_with(AUTH_UNLIMITED, config=config), capsys, "--select", "RATE003")
        assert rules_of(found) == [], config
    ext = EXT.replace('default_limits=["100 per minute"]', f'default_limits=["100 per minute"], storage_uri={uri!r}')
    files = app_with(AUTH_UNLIMITED, ext=ext, config="class ProductionConfig:\n    DEBUG = False\n")
    assert rules_of(scan(tmp_path / "ctor", files, capsys, "--select", "RATE003")) == []


def test_rate003_storage_read_from_the_environment_is_shared(tmp_path, capsys):
    """The reference's form: ProductionConfig.__init__ reads RATELIMIT_STORAGE_URI from a mapping that
    defaults to os.environ; a memory:// default next to it is still flagged."""
    config = """
    import os
    class ProductionConfig:
        def __init__(self, environ=None):
            env = os.environ if environ is None else environ
            self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "")
    """
    assert rules_of(scan(tmp_path / "a", app_with(AUTH_UNLIMITED, config=config), capsys, "--select", "RATE003")) == []
    memory = config.replace('env.get("RATELIMIT_STORAGE_URI", "")', 'os.environ.get("RATELIMIT_STORAGE_URI", "memory://")')
    found = scan(tmp_path / "b", app_with(AUTH_UNLIMITED, config=memory), capsys, "--select", "RATE003")
    assert rules_of(found) == ["RATE003"]


def test_rate003_from_mapping_and_from_pyfile(tmp_path, capsys):
    factory = FACTORY.replace(
        'app.config.from_object("app.config.ProductionConfig")',
        'app.config.from_mapping(RATELIMIT_STORAGE_URI="memory://")',
    )
    found = scan(tmp_path, app_with(AUTH_UNLIMITED, factory=factory, config="X = 1\n"), capsys, "--select", "RATE003")
    assert rules_of(found) == ["RATE003"]
    factory = FACTORY.replace(
        'app.config.from_object("app.config.ProductionConfig")', 'app.config.from_pyfile("deploy.cfg")'
    )
    files = app_with(AUTH_UNLIMITED, factory=factory, config="X = 1\n")
    files["app/deploy.cfg"] = "RATELIMIT_STORAGE_URI = 'redis://cache:6379'\n"
    files["app/deploy_settings.py"] = "RATELIMIT_STORAGE_URI = 'redis://cache:6379'\n"
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE003")) == []


def test_rate003_env_driven_config_without_the_setting(tmp_path, capsys):
    """The contract: a storage setting the repository does not ship for production is not set. Config read
    from the environment (from_prefixed_env, from_envvar) may hold it, but nothing in the repo says so."""
    factory = FACTORY.replace('app.config.from_object("app.config.ProductionConfig")', "app.config.from_prefixed_env()")
    files = app_with(AUTH_UNLIMITED, factory=factory, config="X = 1\n")
    (found,) = scan(tmp_path, files, capsys, "--select", "RATE003")
    assert "nor does the repository set it for the config it reads from the environment" in found["message"]


def test_rate003_copies_and_fallbacks(tmp_path, capsys):
    """invenio-app ships RATELIMIT_STORAGE_URI = "memory://" and copies the deprecated _URL over it only when
    set; calibre-web falls back to RATELIMIT_STORAGE_URI=None (memory://)."""
    files = {
        "pkg/config.py": 'RATELIMIT_STORAGE_URI = "memory://"\n',
        "pkg/ext.py": """
        from flask import Blueprint
        from flask_limiter import Limiter
        def init_app(app):
            if "RATELIMIT_STORAGE_URL" in app.config:
                app.config["RATELIMIT_STORAGE_URI"] = app.config["RATELIMIT_STORAGE_URL"]
            Limiter(app, key_func=lambda: "x", default_limits=["10/s"])
        """,
    }
    found = scan(tmp_path / "a", files, capsys, "--select", "RATE003")
    assert [(f["path"], f["line"]) for f in found] == [("pkg/config.py", 1)]
    files = {
        "app.py": """
        from flask import Flask
        from flask_limiter import Limiter
        limiter = Limiter(key_func=lambda: "x", default_limits=["10/s"])
        def create_app(uri):
            app = Flask(__name__)
            try:
                limiter.init_app(app)
            except Exception:
                app.config.update(RATELIMIT_STORAGE_URI=None)
                limiter.init_app(app)
            return app
        """
    }
    found = scan(tmp_path / "b", files, capsys, "--select", "RATE003")
    assert [(f["line"], f["message"]) for f in found] == [
        (9, "RATELIMIT_STORAGE_URI is None in the production configuration: memory://")
    ]


@pytest.mark.parametrize(
    "ext,config,expected",
    [
        (EXT, CONFIG, []),
        (EXT.replace(', default_limits=["100 per minute"]', ""), CONFIG, ["RATE004"]),
        (EXT.replace(', default_limits=["100 per minute"]', ""), CONFIG + "    RATELIMIT_DEFAULT = '1/s'\n", []),
        (EXT.replace('default_limits=["100 per minute"]', 'application_limits=["1000/minute"]'), CONFIG, []),
    ],
)
def test_rate004_default_limits(tmp_path, capsys, ext, config, expected):
    found = scan(tmp_path, app_with(AUTH_UNLIMITED, ext=ext, config=config), capsys, "--select", "RATE004")
    assert rules_of(found) == expected


BLUEPRINT_APP = {
    "app/__init__.py": """
        from flask import Flask
        def create_app():
            app = Flask(__name__)
            from app.api import bp as api_bp
            app.register_blueprint(api_bp, url_prefix="/api/v1")
            from . import account
            app.register_blueprint(account.bp)
            return app
    """,
    "app/api/__init__.py": "from flask import Blueprint\nbp = Blueprint('api', __name__)\nfrom app.api import tokens\n",
    "app/api/tokens.py": """
        from app.api import bp
        @bp.route("/tokens", methods=["POST"])
        def get_token():
            return "t"
    """,
    "app/account.py": """
        from flask import Blueprint
        bp = Blueprint("account", __name__, url_prefix="/account")
        @bp.post("/login")
        def login():
            return "x"
        @bp.post("/change-email/<token>")
        def change_email(token):
            return "x"
    """,
}


def test_rate_messages_name_the_url_with_the_blueprint_prefix(tmp_path, capsys):
    """register_blueprint(alias, url_prefix=) and Blueprint(url_prefix=), each blueprint named `bp`."""
    findings = scan(tmp_path, BLUEPRINT_APP, capsys, "--select", "RATE")
    assert [f["rule"] for f in findings] == ["RATE001", "RATE002", "RATE002"]
    assert "POST /account/login (login) and 1 more" in findings[0]["message"]
    assert {f["message"].split(" (")[0] for f in findings[1:]} == {
        "authentication route POST /account/login",
        "authentication route POST /api/v1/tokens",
    }


def with_limiter(files):
    files = dict(files, **{"app/extensions.py": EXT})
    files["app/__init__.py"] = files["app/__init__.py"].replace(
        "return app", "from .extensions import limiter\n            limiter.init_app(app)\n            return app"
    )
    return files


def rate002_paths(tmp_path, files, capsys):
    return {f["message"].split(" ")[3] for f in scan(tmp_path, files, capsys, "--select", "RATE002")}


def test_url_variables_do_not_make_a_route_an_auth_route(tmp_path, capsys):
    # not /account/change-email/<token>: a URL variable names what the page acts on
    assert rate002_paths(tmp_path, with_limiter(BLUEPRINT_APP), capsys) == {"/api/v1/tokens", "/account/login"}


def test_auth_route_patterns_match_the_full_url(tmp_path, capsys):
    files = with_limiter(BLUEPRINT_APP)
    files["app/api/keys.py"] = """
        from app.api import bp
        @bp.route("/keys", methods=["POST"])
        def create_key():
            return "k"
    """
    files["app/api/__init__.py"] += "from app.api import keys\n"
    files[".flask-middleware.yml"] = 'auth-route-patterns: ["^/api/v1/keys$"]\n'
    assert "/api/v1/keys" in rate002_paths(tmp_path, files, capsys)


def test_auth_words_found_on_real_apps(tmp_path, capsys):
    """pgAdmin's /models/openai/refresh, calibre-web's /deleteauthtoken, searxng's /client<token>.css are
    not credential endpoints; /auth/refresh is."""
    auth = """
    from flask import Blueprint
    bp = Blueprint("x", __name__)
    @bp.post("/models/openai/refresh")
    def refresh_openai_models(): return "x"
    @bp.post("/deleteauthtoken/<int:user_id>")
    def delete_auth_token(user_id): return "x"
    @bp.route("/client<token>.css", methods=["GET", "POST"])
    def client_token(token=None): return "x"
    @bp.post("/auth/refresh")
    def refresh_session(): return "x"
    """
    files = app_with(auth, factory=FACTORY.replace('url_prefix="/auth"', 'url_prefix="/ui"'))
    found = scan(tmp_path, files, capsys, "--select", "RATE002")
    assert [f["message"].split(" ")[3] for f in found] == ["/ui/auth/refresh"]


def test_only_flask_limiter_limiter_counts(tmp_path, capsys):
    """LibreTranslate's `from .no_limiter import Limiter` stub is not Flask-Limiter: no RATE003/RATE004 on it."""
    files = app_with("", ext="from .no_limiter import Limiter\nlimiter = Limiter()\n")
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE003,RATE004")) == []
    # LibreTranslate: the real one in one branch, the stub in the other, both imported inside the function
    ext = """
    def make_limiter(enabled):
        if enabled:
            from flask_limiter import Limiter
            return Limiter(default_limits=["100/minute"], storage_uri="redis://cache")
        else:
            from .no_limiter import Limiter
            return Limiter()
    """
    assert rules_of(scan(tmp_path, app_with("", ext=ext), capsys, "--select", "RATE003,RATE004")) == []
    files = app_with("", ext="from flask_limiter import Limiter\nlimiter = Limiter(default_limits=[])\n")
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE004")) == ["RATE004"]  # [] limits nothing


LOGIN_ONLY = """
from flask import Flask, make_response
def create_app():
    app = Flask(__name__)
    @app.post("/login")
    def login():
        {login_body}
        return "x"
    {extra}
    return app
"""


@pytest.mark.parametrize(
    "login_body,extra,expected",
    [
        # a method elsewhere that merely mentions rate limits (pgAdmin) limits nothing
        ("pass", "def cpu():\n        return self_check_cpu_and_dirty_rate_limit(1)", ["RATE001", "RATE002"]),
        ("pass", "RateLimitErrorRetryHandler(max_retry_count=2)", ["RATE001", "RATE002"]),
        # a quota answered with 429 from another view is not a rate limiter either (changedetection.io)
        (
            "pass",
            '@app.post("/watch")\n    def watch():\n        return "watch limit reached", 429',
            ["RATE001", "RATE002"],
        ),
        # bazarr: a subtitle provider raising its own TooManyRequests for an outbound quota
        (
            "pass",
            "from .providers import TooManyRequests\n    def fetch():\n        raise TooManyRequests('quota')",
            ["RATE001", "RATE002"],
        ),
        # pritunl: an error handler formatting 429s limits nothing
        (
            "pass",
            '@app.errorhandler(429)\n    def too_many(e):\n        return "slow down", 429',
            ["RATE001", "RATE002"],
        ),
        # Mailu: the login view asks its own limiter before checking the password
        ('if should_rate_limit_ip(ip): return "slow down"', "", []),
        # a hand-made limiter: a before_request hook answering 429 (searxng's botdetection)
        (
            "pass",
            "def too_many():\n        return make_response(('Too Many Requests', 429))\n"
            "    app.before_request(too_many)",
            ["RATE002"],
        ),
    ],
)
def test_what_counts_as_rate_limiting(tmp_path, capsys, login_body, extra, expected):
    src = LOGIN_ONLY.replace("{login_body}", login_body).replace("{extra}", extra)
    assert rules_of(scan(tmp_path, {"app.py": src}, capsys, "--select", "RATE001,RATE002")) == expected


def test_a_project_decorator_that_answers_429_limits_its_routes(tmp_path, capsys):
    """Mailu's @api_token_authorization checks should_rate_limit_ip() and abort(429)s: its routes are limited."""
    files = {
        "app/__init__.py": LOGIN_ONLY.replace("{login_body}", "pass")
        .replace("{extra}", "")
        .replace('@app.post("/login")', '@app.post("/login")\n    @api_token_authorization')
        .replace("from flask import", "from .common import api_token_authorization\nfrom flask import"),
        "app/common.py": """
        from flask import abort
        def api_token_authorization(func):
            def wrapper(*args, **kwargs):
                if too_many_attempts():
                    abort(429)
                return func(*args, **kwargs)
            return wrapper
    """,
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE001,RATE002")) == []
    files["app/common.py"] = files["app/common.py"].replace("abort(429)", "abort(401)")
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE001,RATE002")) == ["RATE001", "RATE002"]


def test_class_view_methods_attribute(tmp_path, capsys):
    """A View with only dispatch_request takes its methods from `methods = [...]` (DVGA's GraphQL view)."""
    files = {
        "app.py": """
        from flask import Flask
        from flask.views import View
        class Login(View):
            methods = ["POST"]
            def dispatch_request(self):
                return "x"
        def create_app():
            app = Flask(__name__)
            app.add_url_rule("/login", view_func=Login.as_view("login"))
            return app
    """
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE001")) == ["RATE001"]


def test_a_limiting_decorator_on_a_class_view_method(tmp_path, capsys):
    """Mailu's flask-restx Resources wrap post() in @common.api_token_authorization, which abort(429)s."""
    files = {
        "app/__init__.py": """
        from flask import Flask
        from flask.views import MethodView
        from . import common
        class Tokens(MethodView):
            @common.api_token_authorization
            def post(self):
                return "token"
        def create_app():
            app = Flask(__name__)
            app.add_url_rule("/tokens", view_func=Tokens.as_view("tokens"))
            return app
    """,
        "app/common.py": """
        from flask import abort
        def api_token_authorization(func):
            def wrapper(*args, **kwargs):
                if should_rate_limit_ip():
                    abort(429)
                return func(*args, **kwargs)
            return wrapper
    """,
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE001,RATE002")) == []
    files["app/common.py"] = files["app/common.py"].replace("should_rate_limit_ip", "is_blocked").replace("429", "403")
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE001,RATE002")) == ["RATE001", "RATE002"]


@pytest.mark.parametrize(
    "key,expected",
    [
        ("from flask_limiter.util import get_ipaddr\nlimiter = Limiter(get_ipaddr)", ["RATE007"]),
        (
            "limiter = Limiter(key_func=lambda: request.headers.get('X-Forwarded-For', request.remote_addr))",
            ["RATE007"],
        ),
        ("def client_ip():\n    return request.access_route[0]\nlimiter = Limiter(key_func=client_ip)", ["RATE007"]),
        (
            "def client_ip():\n    return request.environ.get('HTTP_X_REAL_IP')\nlimiter = Limiter(client_ip)",
            ["RATE007"],
        ),
        # the last entry: the one a single trusted proxy appended
        (
            "def client_ip():\n    return request.headers['X-Forwarded-For'].split(',')[-1].strip()\n"
            "limiter = Limiter(key_func=client_ip)",
            [],
        ),
        ("from flask_limiter.util import get_remote_address\nlimiter = Limiter(key_func=get_remote_address)", []),
        ("limiter = Limiter(app, key_func=get_remote_address)", []),  # Flask-Limiter 1.x/2.x: app first
    ],
)
def test_rate007_client_controlled_key(tmp_path, capsys, key, expected):
    ext = "from flask import request\nfrom flask_limiter import Limiter\n" + key + "\n"
    files = {"app/extensions.py": ext, "app/__init__.py": "from flask import Flask\napp = None\n"}
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE007")) == expected


def test_rate007_per_route_key(tmp_path, capsys):
    auth = """
    from flask import Blueprint, request
    from .extensions import limiter
    bp = Blueprint("auth", __name__)
    @bp.post("/login")
    @limiter.limit("5/minute", key_func=lambda: request.headers.get("X-Real-IP"))
    def login(): return "x"
    """
    found = scan(tmp_path, app_with(auth), capsys, "--select", "RATE007")
    assert [(f["path"], f["line"]) for f in found] == [("app/auth.py", 5)]


def test_rate001_names_the_login_first(tmp_path, capsys):
    """pyload's first auth route was an obsolete token stub: suppressing it would have hidden the finding."""
    files = {
        "app.py": """
        from flask import Flask
        def create_app():
            app = Flask(__name__)
            @app.post("/api/token")
            def obsolete_token(): return "Obsolete API", 404
            @app.post("/login")
            def login(): return "x"
            return app
    """
    }
    found = scan(tmp_path, files, capsys, "--select", "RATE001")
    assert "POST /login (login) and 1 more" in found[0]["message"]


def test_reset_list_and_prefix_words_found_on_real_apps(tmp_path, capsys):
    """ckan's /user/reset is a password reset; Mailu's /token/list is not an auth route; pgAdmin's
    @mfa.route("/validate") under url_prefix="/mfa" is; flask-base re-exports its blueprint from a package."""
    files = {
        "app/extensions.py": EXT,
        "app/__init__.py": FACTORY.replace(
            '    from .auth import bp\n    app.register_blueprint(bp, url_prefix="/auth")',
            "    from .auth import bp\n    app.register_blueprint(bp)\n"
            "    from .account import account\n    app.register_blueprint(account, url_prefix='/account')",
        ),
        "app/config.py": CONFIG,
        "app/auth.py": """
            from flask import Blueprint
            bp = Blueprint("auth", __name__)
            mfa = Blueprint("mfa", __name__, url_prefix="/mfa")
            @bp.post("/user/reset")
            def request_reset(): return "x"
            @bp.post("/token/list")
            def token_list(): return "x"
            @mfa.post("/validate")
            def validate(): return "x"
            """,
        "app/account/__init__.py": "from .views import account\n",
        "app/account/views.py": """
            from flask import Blueprint
            account = Blueprint("account", __name__)
            @account.post("/login")
            def login(): return "x"
            """,
    }
    assert rate002_paths(tmp_path, files, capsys) == {"/user/reset", "/mfa/validate", "/account/login"}


def test_rate004_home_made_throttles(tmp_path, capsys):
    """CTFd's @ratelimit on a few routes and Mailu's checks in the login view limit those routes only
    (RATE004); a throttle in a before_request hook runs on every request (aleph, searxng)."""
    decorator = {
        "app/utils.py": """
        from flask import abort
        def ratelimit(method="POST", limit=10, interval=60):
            def decorator(f):
                def wrapper(*args, **kwargs):
                    if too_many(method, limit, interval):
                        abort(429)
                    return f(*args, **kwargs)
                return wrapper
            return decorator
        """,
        "app/__init__.py": """
        from flask import Flask
        from .utils import ratelimit
        def create_app():
            app = Flask(__name__)
            @app.post("/login")
            @ratelimit(method="POST", limit=10, interval=5)
            def login():
                return ""
            return app
        """,
    }
    found = scan(tmp_path / "a", decorator, capsys, "--select", "RATE")
    assert [(f["rule"], f["path"]) for f in found] == [("RATE004", "app/__init__.py")]
    assert "home-made and applied route by route" in found[0]["message"]
    hook = {
        "app.py": """
        from flask import Flask, abort, request
        def create_app():
            app = Flask(__name__)
            @app.before_request
            def throttle():
                if over_limit(request.remote_addr):
                    abort(429)
            @app.post("/login")
            def login():
                return ""
            return app
        """
    }
    assert rules_of(scan(tmp_path / "b", hook, capsys, "--select", "RATE001,RATE004")) == []


def test_rate004_flask_limiter_0_9_global_limits(tmp_path, capsys):
    """formspree: Limiter(app, global_limits=[...]) is Flask-Limiter < 1.0's name for default_limits."""
    files = {"app.py": "from flask import Flask\nfrom flask_limiter import Limiter\ndef create_app():\n"
             "    app = Flask(__name__)\n    Limiter(app, global_limits=['30 per hour'], storage_uri='redis://r')\n"
             "    return app\n"}  # fmt: skip
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE004")) == []


def test_rate003_storage_set_only_in_a_sample_config(tmp_path, capsys):
    """nyaa: RATELIMIT_STORAGE_URL is only in config.example.py (and commented out): not set for production."""
    files = {
        "app.py": "from flask import Flask\nfrom flask_limiter import Limiter\ndef create_app():\n"
        "    app = Flask(__name__)\n    app.config.from_pyfile('config.py')\n"
        "    Limiter(app=app, key_func=lambda: 'x', default_limits=['1/s'])\n    return app\n",
        "config.example.py": 'RATELIMIT_STORAGE_URL = "redis://redis:6379/0"\n# RATELIMIT_STORAGE_URI = "redis://"\n',
    }
    found = scan(tmp_path, files, capsys, "--select", "RATE003")
    assert [f["path"] for f in found] == ["app.py"]
    files["config.py"] = files.pop("config.example.py")
    assert scan(tmp_path / "real", files, capsys, "--select", "RATE003") == []


@pytest.mark.parametrize(
    "config,expected",
    [
        # a literal Redis URI, no options: redis-py's 5 s default
        ("class ProductionConfig:\n    RATELIMIT_STORAGE_URI = 'redis://cache:6379/0'\n", ["RATE008"]),
        ("class ProductionConfig:\n    RATELIMIT_STORAGE_URI = 'redis+sentinel://s1:26379,s2:26379/mymaster'\n",
         ["RATE008"]),
        ("import os\nclass ProductionConfig:\n    RATELIMIT_STORAGE_URI = os.environ.get('RL', 'redis+cluster://n:7000')\n",
         ["RATE008"]),
        # options without socket_timeout do not bound a hung Redis either
        ("class ProductionConfig:\n    RATELIMIT_STORAGE_URI = 'rediss://cache:6380'\n"
         "    RATELIMIT_STORAGE_OPTIONS = {'health_check_interval': 30}\n", ["RATE008"]),
        # bounded
        ("class ProductionConfig:\n    RATELIMIT_STORAGE_URI = 'redis://cache:6379/0'\n"
         "    RATELIMIT_STORAGE_OPTIONS = {'socket_timeout': 0.25}\n", []),
        ("class ProductionConfig:\n    RATELIMIT_STORAGE_URI = 'redis://cache:6379/0?socket_timeout=0.5'\n", []),
        # unknown: an env URI without default (may be Memcached), options computed at run time
        ("import os\nclass ProductionConfig:\n    RATELIMIT_STORAGE_URI = os.environ['RL']\n", []),
        ("class ProductionConfig:\n    RATELIMIT_STORAGE_URI = 'redis://cache:6379/0'\n"
         "    RATELIMIT_STORAGE_OPTIONS = build_options()\n", []),
        # not Redis, or only in development
        ("class ProductionConfig:\n    RATELIMIT_STORAGE_URI = 'memcached://cache:11211'\n", []),
        ("class DevelopmentConfig:\n    RATELIMIT_STORAGE_URI = 'redis://localhost:6379'\n"
         "class ProductionConfig:\n    RATELIMIT_STORAGE_URI = 'memcached://cache:11211'\n", []),
    ],
)
def test_rate008_redis_storage_needs_a_socket_timeout(tmp_path, capsys, config, expected):
    found = scan(tmp_path, app_with(AUTH_UNLIMITED, config=config), capsys, "--select", "RATE008")
    assert rules_of(found) == expected


def test_rate008_constructor_storage_and_options(tmp_path, capsys):
    """The Limiter's own storage_uri/storage_options win over the config, as in Flask-Limiter."""
    def ext(kwargs):
        return EXT.replace('default_limits=["100 per minute"]', f'default_limits=["100 per minute"], {kwargs}')

    bare = ext('storage_uri="redis://cache:6379/0"')
    (found,) = scan(tmp_path / "a", app_with(AUTH_UNLIMITED, ext=bare, config="X = 1\n"), capsys, "--select", "RATE008")
    assert (found["path"], found["line"]) == ("app/extensions.py", 3)
    assert "no socket_timeout" in found["message"] and "5 s" in found["message"]
    bounded = ext('storage_uri="redis://cache:6379/0", storage_options={"socket_timeout": 0.25}')
    assert scan(tmp_path / "b", app_with(AUTH_UNLIMITED, ext=bounded, config="X = 1\n"), capsys,
                "--select", "RATE008") == []


def test_rate008_quiet_on_the_reference(capsys):
    """The reference builds its options per URI at run time (storage_options()) and reads the URI
    from the environment: nothing to report, and nothing to guess."""
    from ..util import REPO, run_json

    code, data = run_json(REPO / "reference", "--select", "RATE008", capsys=capsys)
    assert (code, data["findings"]) == (0, [])


# Flask-Limiter's documented shared limit: the decorator is bound to a name first, then applied to
# several views (whoogle-search after the skill: one limit on failed Basic-auth attempts).
SHARED_AUTH = """
from flask import Blueprint
from .extensions import limiter
bp = Blueprint("auth", __name__)
{binding}
@bp.route("/login", methods=["GET", "POST"])
{applied}
def login(): return "x"
"""


@pytest.mark.parametrize(
    ("binding", "applied"),
    [
        ('basic_auth_limit = limiter.shared_limit("10 per minute", scope="basic-auth")', "@basic_auth_limit"),
        ('login_limit = limiter.limit("10 per minute", methods=["POST"])', "@login_limit"),
        ('from .limits import basic_auth_limit', "@basic_auth_limit"),
    ],
)
def test_rate002_a_limit_bound_to_a_name_then_applied(tmp_path, capsys, binding, applied):
    files = app_with(SHARED_AUTH.format(binding=binding, applied=applied))
    files["app/limits.py"] = (
        "from .extensions import limiter\n"
        'basic_auth_limit = limiter.shared_limit("10 per minute", scope="basic-auth")\n'
    )
    assert rules_of(scan(tmp_path, files, capsys, "--select", "RATE")) == []
    # the same name bound to something else limits nothing
    files["app/limits.py"] = "basic_auth_limit = print\n"
    files["app/auth.py"] = SHARED_AUTH.format(binding="login_limit = print\nbasic_auth_limit = print",
                                              applied=applied)
    assert rules_of(scan(tmp_path / "other", files, capsys, "--select", "RATE")) == ["RATE002"]
