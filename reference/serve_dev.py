"""Development server: `python serve_dev.py` (from this directory). Never use it in production.

`flask run` would work too, but Werkzeug's server always sends `Server: Werkzeug/x Python/y`
(BaseHTTPRequestHandler.send_response). This handler leaves that header out and skips Werkzeug's
access line, which would log query strings; the app's own JSON line replaces it.

FLASK_CONFIG picks the config: a name (`development`) for a `create_app(config_name)` factory like
the reference's, or `module.Class` (`config.DevelopmentConfig`) for a `create_app(config_class)`
factory; unset, the factory's own default.
"""

import importlib
import os

from werkzeug.serving import WSGIRequestHandler

from app import create_app


class NoServerHeaderRequestHandler(WSGIRequestHandler):
    def send_response(self, code, message=None):
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


def config_from_env(value: str):
    """``module.Class`` -> the imported class; a plain name stays a name."""
    module, _, name = value.rpartition(".")
    return getattr(importlib.import_module(module), name) if module else value


if __name__ == "__main__":
    config = os.environ.get("FLASK_CONFIG")
    app = create_app(config_from_env(config)) if config else create_app()
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        request_handler=NoServerHeaderRequestHandler,
        use_reloader=False,
    )
