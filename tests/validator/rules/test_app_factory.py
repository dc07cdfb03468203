"""APP001: middleware bound to a module-level app; where an app is built."""

from ..util import rules_of, scan


def test_app001_module_level_setup(tmp_path, capsys):
    files = {
        "app.py": """
    from flask import Flask
    from flask_cors import CORS
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address
    app = Flask(__name__)
    CORS(app, origins=["https://a.example.com"])
    limiter = Limiter(get_remote_address, app=app)
    @app.after_request
    def h(r):
        r.headers["X-Frame-Options"] = "DENY"
        return r
    @app.before_request
    def load_user():
        g.user = None
    """
    }
    # the contract names CORS, limiters, header hooks and logging hooks: load_user is none of them
    assert rules_of(scan(tmp_path, files, capsys, "--select", "APP")) == ["APP001", "APP001", "APP001"]


def test_app001_blueprints_imported_apps_and_current_app(tmp_path, capsys):
    """ihatemoney applies CORS(api) to a module-level Blueprint at import; lemur builds
    Limiter(app=current_app) at import; calibre-web decorates the package's module-level app from another
    module (`from . import app`); archivy's login_manager.init_app(app) and a ProxyFix are no middleware."""
    files = {
        "pkg/__init__.py": """
        from flask import Flask
        from flask_login import LoginManager
        from werkzeug.middleware.proxy_fix import ProxyFix
        app = Flask(__name__)
        login_manager = LoginManager()
        login_manager.init_app(app)
        app.wsgi_app = ProxyFix(app.wsgi_app)
        """,
        "pkg/web.py": """
        from . import app
        @app.after_request
        def add_security_headers(resp):
            resp.headers["X-Content-Type-Options"] = "nosniff"
            return resp
        """,
        "pkg/api.py": """
        from flask import Blueprint, current_app
        from flask_cors import CORS
        from flask_limiter import Limiter
        api = Blueprint("api", __name__, url_prefix="/api")
        CORS(api)
        limiter = Limiter(app=current_app, key_func=lambda: "x")
        """,
    }
    found = scan(tmp_path, files, capsys, "--select", "APP001")
    assert [(f["path"], f["line"], f["message"].split(" is set up")[0]) for f in found] == [
        ("pkg/api.py", 5, "CORS"),
        ("pkg/api.py", 6, "Limiter"),
        ("pkg/web.py", 2, "@app.after_request"),
    ]
    assert "module-level blueprint `api`" in found[0]["message"]
    # calibre-web's / whoogle-search's `from . import app` (or `from pkg import app`) is the package's
    # Flask app, not a blueprint
    assert "module-level app `app`" in found[2]["message"], found[2]["message"]


def test_app001_unbound_extensions_bound_in_factory(tmp_path, capsys):
    files = {
        "app/extensions.py": "from flask_cors import CORS\nfrom flask_limiter import Limiter\n"
        "cors = CORS()\nlimiter = Limiter(key_func=lambda: 'x')\n",
        "app/__init__.py": "from flask import Flask\nfrom .extensions import cors, limiter\n"
        "def create_app():\n    app = Flask(__name__)\n    cors.init_app(app)\n"
        "    limiter.init_app(app)\n    return app\n",
        "wsgi.py": "from app import create_app\napp = create_app()\n",
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "APP")) == []


def test_flask_subclass_builds_the_app(tmp_path, capsys):
    """ckan's CKANFlask(Flask), FitTrackee's CustomFlask: the app is made there, and module-level setup on it
    is APP001; project-wide findings point at it."""
    files = {
        "pkg/__init__.py": "",
        "pkg/app.py": """
        from flask import Flask
        from flask_cors import CORS
        class CustomFlask(Flask):
            pass
        app = CustomFlask(__name__)
        CORS(app, origins=["https://a.example"], max_age=600)
    """,
    }
    found = scan(tmp_path, files, capsys, "--select", "APP001,HDR001")
    assert sorted((f["rule"], f["path"], f["line"]) for f in found) == [
        ("APP001", "pkg/app.py", 6),
        ("HDR001", "pkg/app.py", 5),
    ]


def test_app001_dispatcher_entry_module_is_not_module_level_setup(tmp_path, capsys):
    """cve-search's wsgi.py mounts the factory-built app under a prefix, as Flask's docs show."""
    files = {
        "wsgi.py": """
        from flask import Flask
        from werkzeug.middleware.dispatcher import DispatcherMiddleware
        from web import create_app
        app = Flask("FRAME")
        app.wsgi_app = DispatcherMiddleware(Flask("FRAME"), {"/cve": create_app()})
    """
    }
    assert rules_of(scan(tmp_path, files, capsys, "--select", "APP001")) == []


def test_aliased_extension_classes_are_recognised(tmp_path, capsys):
    """invenio-app imports `Talisman as TalismanClass` and `Limiter as LimiterClass`."""
    files = {
        "app.py": """
        from flask import Flask
        from flask_cors import CORS as CorsExt
        from flask_limiter import Limiter as LimiterClass
        from flask_talisman import Talisman as TalismanClass
        def create_app():
            app = Flask(__name__)
            CorsExt(app)
            LimiterClass(app=app, key_func=lambda: "x", storage_uri="memory://")
            TalismanClass(app)
            return app
    """,
        "requirements.txt": "flask-talisman<1.0\n",
    }
    assert {f["rule"] for f in scan(tmp_path, files, capsys)} >= {"CORS001", "RATE003", "HDR004"}
