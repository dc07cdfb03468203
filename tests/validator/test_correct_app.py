"""An app that does everything right, in the idioms real apps use, gets no finding from the catalogue:
flask-talisman for headers, a WSGI middleware logging one line per request, limits on MethodView classes
through `decorators`, limiter storage from the production config, nginx in front hiding the Server header."""

from .util import scan

CORRECT_APP = {
    "shop/__init__.py": """
    from flask import Flask
    from .extensions import cors, limiter, talisman
    from .request_log import RequestLog
    from .views import bp

    def create_app(config="shop.config.ProductionConfig"):
        app = Flask(__name__)
        app.config.from_object(config)
        talisman.init_app(app, content_security_policy={"default-src": "'self'"}, x_xss_protection=False)
        cors.init_app(app, resources={r"^/api/.*$": {"origins": app.config["CORS_ORIGINS"], "max_age": 600}})
        limiter.init_app(app)
        app.register_blueprint(bp, url_prefix="/api")
        app.wsgi_app = RequestLog(app.wsgi_app)
        return app
    """,
    "shop/extensions.py": """
    from flask_cors import CORS
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address
    from flask_talisman import Talisman

    cors = CORS()
    talisman = Talisman()
    limiter = Limiter(key_func=get_remote_address, default_limits=["300 per minute"])
    """,
    "shop/config.py": """
    import os

    class Config:
        RATELIMIT_STRATEGY = "moving-window"

    class ProductionConfig(Config):
        RATELIMIT_STORAGE_URI = os.environ["RATELIMIT_STORAGE_URI"]
        CORS_ORIGINS = os.environ["CORS_ORIGINS"].split(",")

    class DevelopmentConfig(Config):
        RATELIMIT_STORAGE_URI = "memory://"
        CORS_ORIGINS = ["http://localhost:3000"]
    """,
    "shop/request_log.py": """
    import logging
    import re
    import time
    import uuid

    log = logging.getLogger("shop.requests")
    _VALID_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

    class RequestLog:
        def __init__(self, wsgi_app):
            self.wsgi_app = wsgi_app

        def __call__(self, environ, start_response):
            started = time.perf_counter()
            supplied = environ.get("HTTP_X_REQUEST_ID", "")
            request_id = supplied if _VALID_ID.fullmatch(supplied) else uuid.uuid4().hex
            captured = {}

            def start(status, headers, exc_info=None):
                captured["status"] = int(status.split(" ", 1)[0])
                return start_response(status, [*headers, ("X-Request-ID", request_id)], exc_info)

            try:
                return self.wsgi_app(environ, start)
            finally:
                fields = {
                    "request_id": request_id,
                    "method": environ["REQUEST_METHOD"],
                    "path": environ["PATH_INFO"],
                    "status": captured.get("status", 500),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                }
                log.info("request completed", extra=fields)
    """,
    "shop/views.py": """
    from flask import Blueprint, jsonify, request
    from flask.views import MethodView
    from .extensions import limiter

    bp = Blueprint("api", __name__)

    class LoginView(MethodView):
        decorators = [limiter.limit("5 per minute")]

        def post(self):
            user = authenticate(request.json["username"], request.json["password"])
            return jsonify(token=user.token)

    class PasswordResetView(MethodView):
        decorators = [limiter.limit("3 per hour")]

        def post(self):
            send_reset_email(request.json["email"])
            return jsonify(sent=True)

    bp.add_url_rule("/login", view_func=LoginView.as_view("login"))
    bp.add_url_rule("/password-reset", view_func=PasswordResetView.as_view("password_reset"))

    @bp.get("/items")
    def items():
        return jsonify([])
    """,
    "Dockerfile": 'FROM python:3.12-slim\nRUN pip install -r requirements.txt\nCMD ["gunicorn", "-b", '
    '"0.0.0.0:8000", "shop:create_app()"]\n',
    "deploy/nginx.conf": """
    server {
        listen 443 ssl;
        server_tokens off;
        location / {
            proxy_pass http://app:8000;
        }
    }
    """,
    "requirements.txt": "flask==3.1.3\nflask-cors==6.0.1\nflask-limiter==4.1.1\nflask-talisman==1.1.0\nredis==5.2.1\n",
}


def test_a_correct_app_gets_no_finding(tmp_path, capsys):
    found = scan(tmp_path, CORRECT_APP, capsys, "--fail-on", "info")
    assert [(f["rule"], f["path"], f["line"], f["message"]) for f in found] == []


def test_each_idiom_is_what_keeps_its_rule_quiet(tmp_path, capsys):
    """The test above can fail: take one idiom away and its rule speaks."""
    variants = {
        "HDR001": {"shop/extensions.py": CORRECT_APP["shop/extensions.py"].replace("Talisman()", "None")},
        "LOG002": {
            "shop/request_log.py": CORRECT_APP["shop/request_log.py"].replace(
                '"duration_ms": round((time.perf_counter() - started) * 1000, 2),', ""
            )
        },
        "RATE002": {
            "shop/views.py": CORRECT_APP["shop/views.py"].replace(
                'decorators = [limiter.limit("5 per minute")]', "pass"
            )
        },
        "RATE003": {
            "shop/config.py": CORRECT_APP["shop/config.py"].replace(
                'os.environ["RATELIMIT_STORAGE_URI"]', '"memory://"'
            )
        },
        "HDR003": {"deploy/nginx.conf": "server {\n  proxy_pass http://app:8000;\n}\n"},
    }
    for rule, change in variants.items():
        root = tmp_path / rule
        found = scan(root, {**CORRECT_APP, **change}, capsys, "--fail-on", "info")
        assert rule in {f["rule"] for f in found}, rule
