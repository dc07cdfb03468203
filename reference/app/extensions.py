"""Extension objects, created unbound so that every ``create_app()`` call binds its own app."""

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# get_remote_address reads request.remote_addr. Behind a reverse proxy that is the proxy, unless
# ProxyFix (middleware/proxy.py) has rewritten it from X-Forwarded-For with the trusted hop count.
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _preflight_is_free() -> bool:
    # A CORS preflight (OPTIONS) must never spend or hit a limit: a 429 on the preflight reaches
    # the page as an opaque network error. Default and application limits are checked in
    # before_request for every request, OPTIONS included; a route's own @limiter.limit only runs
    # with its view, which Flask's automatic OPTIONS response never calls.
    return request.method == "OPTIONS"
