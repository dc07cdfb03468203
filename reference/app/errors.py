"""JSON error bodies for the API: a frontend parsing JSON must not get Flask's HTML error page."""

from flask import jsonify
from werkzeug.exceptions import HTTPException


def json_http_error(error: HTTPException):
    """404, 405, 400 ... as JSON. Keeps the exception's own headers (405's Allow, 401's
    WWW-Authenticate). The 429 has its own handler in middleware/rate_limiting.py."""
    if error.code is None or error.code < 400:  # routing redirects (308) are HTTPExceptions too
        return error
    response = jsonify(error=error.name.lower().replace(" ", "_"), message=error.description)
    response.status_code = error.code or 500
    for name, value in error.get_response().headers.items():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def register_error_handlers(app) -> None:
    app.register_error_handler(HTTPException, json_http_error)
