"""Request-logging rules: request IDs, completion logs, secrets in logs, trusted client request IDs.
What each logger call is passed, and whether a request-ID read is validated, is found by
``scan/request_logging.py``; these rules only judge it."""

from __future__ import annotations

from .registry import hit, rule


@rule(
    "LOG003",
    "error",
    "sensitive data passed to a logger",
    fix="Log identifiers, not secrets: never request bodies, Authorization/Cookie headers, passwords or "
    "tokens; redact before logging.",
)
def sensitive_logging(project):
    for call in project.log_calls:
        if call.secret:
            yield hit(call, f"{call.secret} is written to the log")


@rule(
    "LOG004",
    "warning",
    "client-supplied request ID trusted without validation",
    fix="Accept X-Request-ID only if it matches e.g. ^[A-Za-z0-9._-]{1,64}$ (fullmatch); otherwise generate "
    "uuid4().hex.",
)
def trusted_request_id(project):
    for read in project.request_id_reads:
        if not read.validated:
            yield hit(
                read,
                "the client's request-ID header is used as is: it reaches logs and responses "
                "unchecked (log injection, unbounded length)",
            )


@rule(
    "LOG001",
    "info",
    "no per-request ID generated or propagated",
    fix="Generate uuid4().hex per request (or accept a validated X-Request-ID), put it on g/contextvars, "
    "in every log record and in the X-Request-ID response header.",
)
def no_request_id(project):
    if project.request_id_evidence or project.request_id_reads:
        return
    yield hit(project.anchor, "no request ID: log lines of one request cannot be correlated")


@rule(
    "LOG002",
    "info",
    "no per-request completion log with method, path, status and duration",
    fix="Log once per request (after_request or, better, WSGI middleware): method, path, status, duration.",
)
def no_completion_log(project):
    if project.access_log_with_duration or project.completion_log is not None:
        return
    yield hit(project.anchor, "no log line per request carries method, path, status and duration")
