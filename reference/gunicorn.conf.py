"""gunicorn settings for the reference app: `gunicorn -c gunicorn.conf.py` from this directory.

Environment: the app's own (SECRET_KEY, RATELIMIT_STORAGE_URI, CORS_ORIGINS, TRUSTED_PROXY_COUNT)
plus PORT and WEB_CONCURRENCY here.
"""

import multiprocessing
import os

from gunicorn.http import wsgi as _gunicorn_wsgi

wsgi_app = "app:create_app('production')"  # explicit: an unset FLASK_CONFIG must not mean development
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = 30
graceful_timeout = 20
keepalive = 5

# Only the app decides which X-Forwarded-* headers to trust (TRUSTED_PROXY_COUNT, ProxyFix).
# gunicorn would otherwise also rewrite the scheme from X-Forwarded-Proto for clients on 127.0.0.1.
forwarded_allow_ips = ""

# gunicorn 27 opens a management socket ($HOME/.gunicorn/gunicorn.ctl) by default: nothing here
# uses it, and several instances on one host would share the path.
control_socket_disable = True

# The app writes one JSON line per request (without query strings); gunicorn's access log would
# duplicate it, query string included. Errors still go to stderr.
accesslog = None
errorlog = "-"

# No `Server: gunicorn` on the wire. gunicorn writes that header itself in
# Response.default_headers(), after the app has returned, so the app cannot remove it; and there
# is no setting for it. Drop that one line here, before workers fork.
_default_headers = _gunicorn_wsgi.Response.default_headers


def _default_headers_without_server(self):
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


_gunicorn_wsgi.Response.default_headers = _default_headers_without_server
