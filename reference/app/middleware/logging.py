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
from datetime import datetime, timezone

from werkzeug.wsgi import ClosingIterator

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

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_RECORD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at emit time, as ``logging.lastResort`` does, so stream
    redirection by gunicorn or a test runner after start-up still receives every line."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _record_factory_with_request_id(base_factory):
    def factory(*args, **kwargs):
        record = base_factory(*args, **kwargs)
        request_id = current_request_id.get()
        if request_id is not None:
            record.request_id = request_id
        return record

    factory.adds_request_id = True
    return factory


def _drop_werkzeug_access_lines(record: logging.LogRecord) -> bool:
    # The dev server's own access line includes the query string (tokens travel there) and
    # duplicates ours. Its format string is fixed in werkzeug.serving.WSGIRequestHandler.log_request.
    return record.msg != '"%s" %s %s'


class RequestLogMiddleware:
    """WSGI middleware: assigns the request ID, adds X-Request-ID, logs one line per request."""

    def __init__(self, wsgi_app, logger: logging.Logger = request_logger):
        self.wsgi_app = wsgi_app
        self.logger = logger

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request_id = accept_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        token = current_request_id.set(request_id)
        sent = {}

        def start_response_with_id(status, headers, exc_info=None):
            sent["status"] = status
            headers = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        def finish(status: int, exc_info=None) -> None:
            try:
                self._log(environ, status, started, exc_info)
            finally:
                try:
                    current_request_id.reset(token)
                except ValueError:  # closed from another thread (a thread-pool adapter): nothing to undo
                    pass

        try:
            body = self.wsgi_app(environ, start_response_with_id)
        except BaseException:
            finish(500, sys.exc_info())  # propagated (TESTING/DEBUG): the server answers 500
            raise
        # Log when the server closes the body, so the duration covers a streamed response.
        return ClosingIterator(body, lambda: finish(_status_code(sent.get("status"))))

    def _log(self, environ, status: int, started: float, exc_info) -> None:
        fields = {
            "method": environ.get("REQUEST_METHOD", ""),
            "path": _wsgi_text(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")),
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            "remote_addr": environ.get("REMOTE_ADDR"),
        }
        trace_id = trace_id_from_traceparent(environ.get("HTTP_TRACEPARENT"))
        if trace_id:
            fields["trace_id"] = trace_id
        level = logging.ERROR if status >= 500 else logging.INFO
        self.logger.log(level, "request completed", extra=fields, exc_info=exc_info)


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
    """Wrap ``app.wsgi_app`` and make sure log records come out as JSON carrying the request ID."""
    app.wsgi_app = RequestLogMiddleware(app.wsgi_app)
    request_logger.setLevel(logging.INFO)

    # Process-wide, installed once: every record created during a request carries request_id,
    # whichever logger or handler (Flask's, a library's, Sentry's, pytest's caplog) takes it.
    base_factory = logging.getLogRecordFactory()
    if not getattr(base_factory, "adds_request_id", False):
        logging.setLogRecordFactory(_record_factory_with_request_id(base_factory))

    root = logging.getLogger()
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)

    werkzeug_logger = logging.getLogger("werkzeug")
    if _drop_werkzeug_access_lines not in werkzeug_logger.filters:
        werkzeug_logger.addFilter(_drop_werkzeug_access_lines)
