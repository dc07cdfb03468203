"""One structured JSON log line per request, and the request ID on every response and log record.

Why a WSGI middleware rather than ``before_request``/``after_request`` hooks: a hook-based logger
misses or breaks on exactly the responses that matter. When another ``before_request`` returns
early (an auth 401, Flask-Limiter's 429) the timer it set is missing; when an exception propagates
(TESTING, DEBUG) ``after_request`` never runs; and a streamed body is still being sent when
``after_request`` returns. Wrapping ``app.wsgi_app`` sees every request from the first byte in to
the last byte out, whatever Flask did in between.

What is logged: request_id, method, path (never the query string), status, duration_ms,
remote_addr, and trace_id when a valid W3C traceparent came in. Never bodies, query strings,
Authorization or Cookie headers.
"""

from __future__ import annotations

import json
import logging
import sys
import time

from .request_id import (
    REQUEST_ID_HEADER,
    accept_request_id,
    current_request_id,
    new_request_id,
    trace_id_from_traceparent,
)

REQUEST_LOGGER_NAME = "request"
request_logger = logging.getLogger(REQUEST_LOGGER_NAME)

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged too.
# (logging's default Formatter silently drops `extra` fields: the reason for a JSON formatter.)
_STANDARD_RECORD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object. ensure_ascii escapes control characters, U+0085 and
    U+2028, so nothing a client sends can start a new log line."""

    # One encoder for every record: json.dumps(..., default=str) would build a new one each call.
    _encoder = json.JSONEncoder(default=str)
    _second = (None, "")  # (second, its date and time text): one tuple, so threads never mix the two

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self._timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in record.__dict__.items()
                      if key not in _STANDARD_RECORD_ATTRS and not key.startswith("_")})
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return self._encoder.encode(entry)

    def _timestamp(self, created: float) -> str:
        """ISO 8601 UTC with milliseconds, character for character what
        datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds") writes,
        but with the date and time formatted once per second instead of once per record."""
        second = int(created)
        microsecond = round((created - second) * 1_000_000)  # datetime rounds to the microsecond
        if microsecond == 1_000_000:
            second, microsecond = second + 1, 0
        cached = self._second
        if cached[0] != second:
            cached = self._second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        return f"{cached[1]}.{microsecond // 1000:03d}+00:00"


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at emit time, as ``logging.lastResort`` does, so stream
    redirection by gunicorn or a test runner after start-up still receives every line."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class RequestIdFilter(logging.Filter):
    """Adds the current request's ID to every record a handler takes during a request.

    A handler filter, not a LogRecord factory: a factory would set ``request_id`` before
    ``extra`` is applied, and ``logger.info(..., extra={"request_id": ...})`` (common in apps)
    would then raise KeyError. Here an explicit ``extra`` value wins. Attach it to any handler of
    your own (``handler.addFilter(RequestIdFilter())``) to get the ID there too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            request_id = current_request_id.get()
            if request_id is not None:
                record.request_id = request_id
        return True


def _drop_werkzeug_access_lines(record: logging.LogRecord) -> bool:
    # The dev server's own access line includes the query string (tokens travel there) and
    # duplicates ours. Werkzeug 3.1 logs it from WSGIRequestHandler.log_request through .log(),
    # which puts address and date into the format string itself:
    # msg = '127.0.0.1 - - [06/Dec/2026 19:20:00] "%s" %s %s', args = (request line, status, size).
    return not (isinstance(record.msg, str) and record.msg.endswith('] "%s" %s %s'))


class RequestLogMiddleware:
    """WSGI middleware: assigns the request ID, adds X-Request-ID, logs one line per request."""

    def __init__(self, wsgi_app, logger: logging.Logger = request_logger):
        self.wsgi_app = wsgi_app
        self.logger = logger

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request_id = accept_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        sent = {}

        def start_response_with_id(status, headers, exc_info=None):
            sent["status"] = status
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        token = current_request_id.set(request_id)
        try:
            body = self.wsgi_app(environ, start_response_with_id)
        except BaseException:
            # Propagated (TESTING/DEBUG): the server answers 500.
            self._log(environ, request_id, 500, started, sys.exc_info())
            raise
        finally:
            current_request_id.reset(token)

        def finish() -> None:
            self._log(environ, request_id, _status_code(sent.get("status")), started, None)

        return _BodyWithRequestId(body, request_id, finish)

    def _log(self, environ, request_id: str, status: int, started: float, exc_info) -> None:
        level = logging.ERROR if status >= 500 else logging.INFO
        if not self.logger.isEnabledFor(level):
            return  # request logging switched off: skip building the fields too
        fields = {
            "request_id": request_id,
            "method": environ.get("REQUEST_METHOD", ""),
            "path": _wsgi_text(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "remote_addr": environ.get("REMOTE_ADDR"),
        }
        trace_id = trace_id_from_traceparent(environ.get("HTTP_TRACEPARENT"))
        if trace_id:
            fields["trace_id"] = trace_id
        self.logger.log(level, "request completed", extra=fields, exc_info=exc_info)


class _BodyWithRequestId:
    """The app's response body, passed through unchanged. The request ID is current while each
    chunk is produced and while the body is closed (a streamed view logs with the ID too), and the
    request is logged on close, so its duration covers the whole body. Each set is reset in the
    same call: nothing leaks to the next request, whichever thread the server closes from."""

    def __init__(self, body, request_id: str, on_close):
        self._body = body
        self._chunks = iter(body)
        self._request_id = request_id
        self._on_close = on_close

    def __iter__(self):
        return self

    def __next__(self):
        token = current_request_id.set(self._request_id)
        try:
            return next(self._chunks)
        finally:
            current_request_id.reset(token)

    def close(self) -> None:
        token = current_request_id.set(self._request_id)
        try:
            close_body = getattr(self._body, "close", None)
            if close_body is not None:
                close_body()
        finally:
            try:
                self._on_close()
            finally:
                current_request_id.reset(token)


def _status_code(status_line: str | None) -> int:
    # No status means the app failed before start_response; the server then answers 500.
    return int(status_line[:3]) if status_line else 500


def _wsgi_text(value: str) -> str:
    # WSGI hands paths over as latin-1 decoded bytes; undo that to log what the client sent.
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value


def configure_request_logging(app) -> None:
    """Wrap ``app.wsgi_app`` and make sure log records come out as JSON carrying the request ID.
    Safe to call again: the app is wrapped once and no handler is added twice."""
    if not isinstance(app.wsgi_app, RequestLogMiddleware):  # a second wrap would log twice
        app.wsgi_app = RequestLogMiddleware(app.wsgi_app)
    request_logger.setLevel(logging.INFO)
    # logging.config.dictConfig disables every logger that already exists unless it is given
    # disable_existing_loggers=False, and ours exist from import: re-enable the request log and
    # every logger of this package (storage failures), or an app's dictConfig run first would
    # silence them without a trace.
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and (name == REQUEST_LOGGER_NAME or name.startswith(__package__ + ".")):
            logger.disabled = False

    # Records from every logger reach the root's handlers. Console handlers the app already put
    # there (logging.basicConfig, root.addHandler(StreamHandler())) are kept and switched to JSON
    # with the request ID; adding one of ours next to them would print every record twice. With
    # none, one JSON handler is installed (once per process). Handlers writing elsewhere (files,
    # a test runner's capture buffer) are left as they are.
    root = logging.getLogger()
    consoles = (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__)
    console = [h for h in root.handlers if isinstance(h, logging.StreamHandler)
               and not isinstance(h, logging.FileHandler) and any(h.stream is c for c in consoles)]
    for handler in console or [_StderrHandler()]:
        use_json_logging(handler)
        if handler not in root.handlers:
            root.addHandler(handler)

    werkzeug_logger = logging.getLogger("werkzeug")
    if _drop_werkzeug_access_lines not in werkzeug_logger.filters:
        werkzeug_logger.addFilter(_drop_werkzeug_access_lines)


def use_json_logging(handler: logging.Handler) -> logging.Handler:
    """Give a handler of your own (dictConfig's, app.logger's) the JSON format and the request ID."""
    handler.setFormatter(JsonFormatter())
    if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
        handler.addFilter(RequestIdFilter())
    return handler
