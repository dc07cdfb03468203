"""What the app logs while it is probed: every LogRecord reaching the root logger, and its stderr.

A handler at DEBUG is attached to the root logger (the root logger's own level is left alone, so a
logger that drops INFO in production drops it here too), and ``sys.stderr`` is swapped for a buffer,
which catches JSON lines an app writes through its own stderr handlers and Flask's default handler.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys

_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_DURATION_KEY = re.compile(r"dur|elapsed|latency|took|response_time|time_ms|_ms$|^ms$|millis|seconds", re.I)
_DURATION_TEXT = re.compile(r"\b\d+(\.\d+)?\s?(ms|s|µs|us)\b|duration|elapsed|latency", re.I)


class _ListHandler(logging.Handler):
    def __init__(self, sink: list) -> None:
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record)

    def handleError(self, record) -> None:  # never let capture break a request
        pass


def record_text(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: keep what is there
        message = f"{record.msg} {record.args!r}"
    parts = [message, str(record.msg), repr(record.args)]
    if record.exc_text:
        parts.append(record.exc_text)
    parts.extend(f"{k}={v!r}" for k, v in extras(record).items())
    return "\n".join(parts)


def extras(record: logging.LogRecord) -> dict:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS and not k.startswith("_")}


class Capture:
    """Context manager; ``records`` and ``stderr_text()`` hold what was captured so far."""

    def __init__(self) -> None:
        self.records: list[logging.LogRecord] = []
        self.stderr = io.StringIO()
        self._handler = _ListHandler(self.records)
        self._saved_stderr = None

    def __enter__(self) -> Capture:
        logging.getLogger().addHandler(self._handler)
        self._saved_stderr = sys.stderr
        sys.stderr = self.stderr
        # Handlers created at import time hold the real stderr object: point them at the buffer too.
        self._redirected = []
        for handler in _stream_handlers():
            if getattr(handler, "stream", None) in (self._saved_stderr, sys.__stderr__):
                self._redirected.append((handler, handler.stream))
                handler.stream = self.stderr
        return self

    def __exit__(self, *exc) -> None:
        for handler, stream in self._redirected:
            handler.stream = stream
        sys.stderr = self._saved_stderr
        logging.getLogger().removeHandler(self._handler)

    def mark(self) -> tuple[int, int]:
        return len(self.records), len(self.stderr.getvalue())

    def since(self, mark: tuple[int, int]) -> tuple[list[logging.LogRecord], str]:
        return self.records[mark[0] :], self.stderr.getvalue()[mark[1] :]

    def stderr_text(self) -> str:
        return self.stderr.getvalue()


def _stream_handlers():
    loggers = [logging.getLogger()] + [
        lg for lg in list(logging.Logger.manager.loggerDict.values()) if isinstance(lg, logging.Logger)
    ]
    seen = set()
    for lg in loggers:
        for handler in list(lg.handlers):
            if isinstance(handler, logging.StreamHandler) and id(handler) not in seen:
                seen.add(id(handler))
                yield handler


def completion_missing(records, text, method, path, status) -> str | None:
    """None if one record (or stderr line) names method, path, status and a duration; else what lacks."""
    if not records and not text.strip():
        return "no log record was emitted for the request (check the logger's level and handlers)"
    best = None
    candidates = [(record_text(r), extras(r)) for r in records]
    candidates += [(line, _json_fields(line)) for line in text.splitlines() if line.strip()]
    for blob, fields in candidates:
        values = {str(v) for v in fields.values()}
        have = {
            "method": method in values or re.search(rf"\b{method}\b", blob) is not None,
            "path": path in values or path in blob,
            "status": str(status) in values or re.search(rf"\b{status}\b", blob) is not None,
            "duration": any(_DURATION_KEY.search(k) for k in fields) or _DURATION_TEXT.search(blob) is not None,
        }
        missing = [k for k, ok in have.items() if not ok]
        if not missing:
            return None
        if best is None or len(missing) < len(best):
            best = missing
    return f"no completion record with method, path, status and duration (best record lacks {', '.join(best)})"


def _json_fields(line: str) -> dict:
    try:
        data = json.loads(line)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def short(value, width: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 3] + "..."
