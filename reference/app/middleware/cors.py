"""CORS for the API only, for exact origins only, readable by the frontend's JavaScript."""

from flask import request
from flask_cors import CORS

# flask-cors compiles resource keys as regexes and matches them with re.match, i.e. as a prefix:
# r"/api/*" would also match /apiary and /api_admin. Anchor both ends on the API prefix.
API_RESOURCES = r"^/api(?:/.*)?$"

CORS_OPTIONS = {
    "methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    # Headers the frontend may send. traceparent lets a browser tracer join its trace to ours.
    "allow_headers": ["Content-Type", "Authorization", "X-Request-ID", "traceparent"],
    # Response headers JavaScript may read cross-origin; without this list it sees only the
    # CORS-safelisted ones, so a 429's Retry-After would be invisible to the page.
    "expose_headers": [
        "X-Request-ID",
        "Retry-After",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
    ],
    "supports_credentials": True,  # cookies / Authorization cross-origin; safe only with exact origins
    "max_age": 600,  # browsers cache the preflight for 10 minutes (Chromium caps it at 2 hours)
    # No CORS headers on requests without Origin (non-browser clients): with several allowed
    # origins flask-cors would otherwise send them all in one, invalid, Allow-Origin value.
    "always_send": False,
}


def configure_cors(app) -> None:
    """Exact origins from ``CORS_ORIGINS`` (validated in config.py), on API routes only."""
    CORS(app, resources={API_RESOURCES: {**CORS_OPTIONS, "origins": app.config["CORS_ORIGINS"]}})

    # With always_send off, flask-cors adds nothing to a response whose request had no Origin
    # header (curl, mobile apps, servers, same-origin GETs), yet its after_request hook still
    # matches the path and builds the header set: about 10 us per request. Call it only when
    # there is an Origin. (Error responses go through flask-cors's own exception wrapper.)
    hooks = app.after_request_funcs[None]
    cors_hook = hooks[-1]  # the hook CORS() just registered
    if not CORS_OPTIONS["always_send"] and getattr(cors_hook, "__name__", "") == "cors_after_request":

        def cors_when_origin(response):
            return cors_hook(response) if request.environ.get("HTTP_ORIGIN") else response

        hooks[-1] = cors_when_origin
