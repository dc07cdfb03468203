"""Request IDs: accept a client's ID only when it is safe to log and echo, else mint one.

A client-supplied X-Request-ID reaches logs and response headers. Unchecked, it carries ANSI
escapes, U+0085 and other line breaks, folded headers or 60 KB values into both; an empty header
would yield an empty ID. So the accepted form is strict: 1 to 128 characters of [A-Za-z0-9._-]
(enough for UUIDs, ULIDs and most tracer IDs).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

# W3C Trace Context, version 00: 2-32-16-2 lowercase hex; all-zero trace and parent IDs are invalid.
# https://www.w3.org/TR/trace-context/#traceparent-header-field-values
_TRACEPARENT = re.compile(r"00-(?P<trace_id>[0-9a-f]{32})-(?P<parent_id>[0-9a-f]{16})-[0-9a-f]{2}")

# The current request's ID, for log records emitted anywhere while the request is handled.
current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def accept_request_id(value: str | None) -> str | None:
    """``value`` if it is a well-formed request ID, else None."""
    if value and _VALID_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


def trace_id_from_traceparent(value: str | None) -> str | None:
    """The trace ID of a valid version-00 ``traceparent`` header, else None."""
    if not value:
        return None
    match = _TRACEPARENT.fullmatch(value.strip(" \t"))
    if not match or match["trace_id"] == "0" * 32 or match["parent_id"] == "0" * 16:
        return None
    return match["trace_id"]


def get_request_id() -> str | None:
    """The ID of the request being handled (for views, error bodies and outgoing calls)."""
    return current_request_id.get()
