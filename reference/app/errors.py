"""JSON error bodies for the API: a frontend parsing JSON must not get Flask's HTML error page.
Server-rendered pages keep HTML errors (Flask's own, or the app's error templates)."""

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

API_PREFIX = "/api"  # the prefix cors.API_RESOURCES anchors; change both together


def wants_json() -> bool:
    """True for the API (by path) and for clients that prefer JSON (``fetch`` with
    ``Accept: application/json``); False for a browser loading a page."""
    path = request.path
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        return True
    return request.accept_mimetypes.best_match(("text/html", "application/json")) == "application/json"


def json_http_error(error: HTTPException):
    """404, 405, 400 ... as JSON for API requests. Keeps the exception's own headers (405's Allow,
    401's WWW-Authenticate). The 429 has its own handler in middleware/rate_limiting.py."""
    if error.code is None or error.code < 400:  # routing redirects (308) are HTTPExceptions too
        return error
    if not wants_json():
        return error  # an HTML page's error: Flask renders its HTML error page
    response = jsonify(error=error.name.lower().replace(" ", "_"), message=error.description)
    response.status_code = error.code or 500
    for name, value in error.get_response().headers.items():
        if name.lower() not in ("content-type", "content-length"):
            response.headers[name] = value
    return response


def register_error_handlers(app) -> None:
    # An app's own handler for one code (@app.errorhandler(404) rendering a template) wins over
    # this one for every path: make it return json_http_error(error) when wants_json().
    app.register_error_handler(HTTPException, json_http_error)
