"""Application factory: the one place where middleware is wired, in an order that matters."""

from __future__ import annotations

from flask import Flask

from .api import api
from .config import load_config
from .errors import register_error_handlers
from .middleware.cors import configure_cors
from .middleware.logging import configure_request_logging
from .middleware.proxy import configure_proxy
from .middleware.rate_limiting import configure_rate_limiting
from .middleware.security import configure_security_headers
from .sessions import CachedSessionInterface


def create_app(config: str | type | None = None) -> Flask:
    app = Flask(__name__)
    # A config name ("testing") or a config class (TestingConfig, an app's own Config subclass).
    # Production reads and validates the environment here and raises ConfigError on unsafe values.
    app.config.from_object(load_config(config))
    # Flask's cookie sessions, minus a per-request cost that no view using them needs (sessions.py).
    app.session_interface = CachedSessionInterface()

    # 1. Request logging wraps app.wsgi_app, outside every Flask hook: it sees responses that
    #    hooks cut short (401, 429), exceptions that propagate, and streamed bodies to the end,
    #    and puts X-Request-ID on all of them.
    configure_request_logging(app)
    # 2. Security headers: an after_request hook. after_request also runs for error responses
    #    (404, 405, 429, 500), so no response leaves Flask without them.
    configure_security_headers(app)
    # 3. CORS: flask-cors adds its headers in after_request and on exceptions, so a 429 or 500
    #    stays readable by the allowed origin's JavaScript.
    configure_cors(app)
    # 4. Rate limiting: Flask-Limiter's check is a before_request hook. Registered before the
    #    blueprints, it runs ahead of their hooks, so a brute-force attempt is refused before any
    #    authentication work is done.
    configure_rate_limiting(app)

    app.register_blueprint(api)
    register_error_handlers(app)  # JSON 404/405/...; the 429 handler above is more specific and wins

    # 5. ProxyFix last, so it is the OUTERMOST WSGI layer: every layer inside (the request log's
    #    remote_addr, the limiter's key, HSTS's is_secure) sees the real client address and scheme.
    configure_proxy(app)
    return app
