"""Request logging: logger calls (and, once every module is read, which sensitive value each is passed:
``sensitive.py``), request IDs generated or read from the client (and whether the read is validated),
the per-request completion log (method, path, status, duration) and gunicorn access-log formats."""

from __future__ import annotations

import ast
import re

from ..astutil import cached_on, dotted, evaluate, last, source_lines
from ..lazyre import lazy
from ..model import LogCall, RequestIdRead
from .sensitive import Taint, reads_requests, secret_in_log_call
from .walk import Scanner

LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg"}
RID_HEADER = lazy(r"(?i)^(?:http_)?(?:x[-_])?(?:request|correlation|req|trace|amzn[-_]trace)[-_]?id$")
RID_TEXT = lazy(r"(?i)request[-_]?id|correlation[-_]?id|trace[-_]?id")
ID_GEN = lazy(r"\buuid\d?\(|uuid\.uuid|token_hex|token_urlsafe|\bulid|nanoid|shortuuid")
RID_PACKAGES = (
    "flask_request_id",
    "flask_log_request_id",
    "request_id",
    "asgi_correlation_id",
    "correlation_id",
    "request_helper",  # notifications-utils: request IDs from trace headers or generated, echoed back
)
# Tracing agents (opentelemetry, ddtrace, elasticapm) give a request a trace ID in the tracing backend, not
# in the app's log lines or responses: they are not a request ID by themselves (superdesk, timesketch).
_RID_MIDDLEWARE = lazy(r"""['"](?:request_?id|RequestId)['"]|RequestIdMiddleware|oslo_middleware\.request_id""")
VALIDATES = lazy(r"(?i)fullmatch|match|search|valid|sanitiz|clean|safe|check|verify|accept|parse|normali")
# a completion log names the incoming request's method and path, a status and a duration
_METHOD = lazy(r"\bmethod\b|REQUEST_METHOD")
_PATH = lazy(r"\bpath\b|full_path|\burl\b|PATH_INFO|RAW_URI|\buri\b|\bendpoint\b")
_DURATION = lazy(
    r"(?i)duration|elapsed|latency|took|perf_counter|monotonic|time\.time\(|response_time|request_time|_ms\b"
)
# the method/path must be the incoming request's: a helper logging its own outbound call
# (requests.get(...): method, url, status_code, elapsed) is not an access log
_INCOMING = lazy(
    r"(?:^|[^\w.]|flask\.)request\.(?:method|path|full_path|url|base_url|endpoint|url_rule)|environ|REQUEST_METHOD",
    re.M,
)  # not response.request.url (the outbound request of a requests.Response)


_LOG_HELPER = lazy(r"^(?:log|\w+_log|log_\w+)$")


def reads_request_headers(base: str) -> bool:
    """``request.headers`` / ``environ``, not a response's headers (``resp.headers.get(...)`` in a
    client or test reads what a server sent back, not what a client supplied)."""
    if not (base.endswith("headers") or base.endswith("environ")):
        return False
    owner = base.rsplit(".", 1)[0].rsplit(".", 1)[-1].lower() if "." in base else ""
    return not owner.startswith(("resp", "rv"))


def _logging_library(ctx, name: str, resolved: str) -> bool:
    """``X.init_app(app)`` where X is a logging module of another package (not one of this project's)."""
    module = resolved.rsplit(".", 1)[0]
    if "logging" not in module.split(".") or module == name.rsplit(".", 1)[0]:
        return False  # not imported, or not a logging module
    return ctx.project.module_named(ctx.module, module) is None


def is_log_method(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in LOG_METHODS and "log" in (dotted(node.value) or "").lower()


class RequestLoggingScanner(Scanner):
    def __init__(self, project):
        super().__init__(project)
        self.log_aliases: set[str] = set()  # log_method = access_log.info (this module)
        self.helper_calls: list = []  # log(...), audit_log(...): judged once the helpers are known

    def begin_module(self, ctx) -> None:
        self.log_aliases = set()

    def log_helpers(self) -> list:
        """Calls of the project's own log helpers: a function named like log/log_*/*_log whose body calls a
        logger (CTFd's log(logger, format, **kwargs)); what they are passed reaches the log."""
        logging_defs = {id(c.func) for c in self.project.log_calls if c.func is not None}
        helpers = {
            name
            for name, defs in self.project.functions.items()
            if _LOG_HELPER.match(name) and any(id(f) in logging_defs for _m, f in defs)
        }
        return [c for c in self.helper_calls if last(dotted(c.node.func)) in helpers]

    def visit_Assign(self, ctx, s) -> None:
        value = s.value
        if is_log_method(value) or (
            isinstance(value, ast.IfExp) and is_log_method(value.body) and is_log_method(value.orelse)
        ):
            targets = s.targets if isinstance(s, ast.Assign) else [s.target]
            self.log_aliases.update(t.id for t in targets if isinstance(t, ast.Name))

    def visit_Call(self, ctx, call, name, resolved, tail) -> None:
        if tail in LOG_METHODS and isinstance(call.func, ast.Attribute):
            recv = (dotted(call.func.value) or "").lower()
            if "log" in recv or recv in ("structlog",):
                self.project.log_calls.append(ctx.fact("log", call, func=ctx.func, factory=LogCall))
        elif isinstance(call.func, ast.Name) and call.func.id in self.log_aliases:
            self.project.log_calls.append(ctx.fact("log", call, func=ctx.func, factory=LogCall))
        elif isinstance(call.func, ast.Name) and _LOG_HELPER.match(tail):
            self.helper_calls.append(ctx.fact("log-helper", call, func=ctx.func, factory=LogCall))
        if tail == "init_app" and call.args and _logging_library(ctx, name, resolved):
            # notifications_utils.logging.init_app(app), fsd_utils.logging.init_app(app): a request-logging
            # library installs its own completion log (method, url, status, duration)
            self.project.access_log_with_duration = True
        if tail == "get" and call.args and isinstance(call.func, ast.Attribute):
            key = evaluate(call.args[0], ctx.module.constants)
            if isinstance(key, str) and RID_HEADER.match(key) and reads_request_headers(dotted(call.func.value) or ""):
                self.project.request_id_reads.append(ctx.fact("rid", call, func=ctx.func, factory=RequestIdRead))

    def visit_Subscript(self, ctx, sub) -> None:
        key = evaluate(sub.slice, ctx.module.constants)
        if isinstance(key, str) and key and RID_HEADER.match(key) and reads_request_headers(dotted(sub.value) or ""):
            self.project.request_id_reads.append(ctx.fact("rid", sub, func=ctx.func, factory=RequestIdRead))

    def end_module(self, ctx) -> None:
        module, text, p = ctx.module, ctx.src.text, self.project
        # a request-handling module (privacyIDEA's CA certificate "request id" next to token_urlsafe is not)
        handles_requests = module.is_flask or "environ" in text or "contextvar" in text
        # cheapest test first: a case-insensitive alternation over a whole module is slow (~1 ms/1k lines)
        maybe_generates = "uuid" in text or "token_" in text or "ulid" in text or "nanoid" in text
        if handles_requests and maybe_generates and ID_GEN.search(text) and RID_TEXT.search(text):
            p.request_id_evidence.append(ctx.fact("rid-generated", None))
        if any(f"import {pkg}" in text or f"from {pkg}" in text for pkg in RID_PACKAGES):
            p.request_id_evidence.append(ctx.fact("rid-package", None))
        if "iddleware" in text and ("equest_id" in text or "equestId" in text) and _RID_MIDDLEWARE.search(text):
            # keystone: a WSGI middleware pipeline naming oslo's RequestId entry point, ep='request_id'
            p.request_id_evidence.append(ctx.fact("rid-middleware", None))
        if "accesslog" in text and "access_log_format" in text:
            # access_log_format = "...", {"access_log_format": ...} or cfg.set(...), maybe over several lines
            at = text.index("access_log_format")
            if re.search(r"%\((?:D|T|L|M)\)s", text[at : at + 600]):
                p.access_log_with_duration = True

    def finish(self) -> None:
        self.project.log_calls.extend(self.log_helpers())
        taints: dict[int, Taint] = {}
        for fact in self.project.log_calls:
            key = id(fact.func)
            if key not in taints:
                taints[key] = Taint(fact.func, reads_requests(fact.module), fact.module.constants)
            fact.secret = secret_in_log_call(taints[key], fact)
        for read in self.project.request_id_reads:
            read.validated = self.validated(read)
        if not self.project.access_log_with_duration:
            self.project.completion_log = self.find_completion_log()

    def validated(self, fact) -> bool:
        """The value read is checked before use: passed (directly or through the name it is assigned to) to
        a validating call (fullmatch, is_valid_id...) or to a project function that matches a pattern."""
        func = fact.func
        if func is None:
            return False
        target_names = set()
        for node in ast.walk(func):
            if isinstance(node, ast.Assign) and any(sub is fact.node for sub in ast.walk(node.value)):
                target_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        for node in ast.walk(func):
            if not isinstance(node, ast.Call):
                continue
            involved = any(
                sub is fact.node or (isinstance(sub, ast.Name) and sub.id in target_names)
                for a in list(node.args) + [k.value for k in node.keywords]
                for sub in ast.walk(a)
            )
            if not involved:
                continue
            name = last(dotted(node.func))
            if VALIDATES.search(name or ""):
                return True
            for _m, fdef in self.project.functions.get(name, []):
                if any(
                    isinstance(s, ast.Call) and last(dotted(s.func)) in ("fullmatch", "match", "search")
                    for s in ast.walk(fdef)
                ):
                    return True
        return False

    def find_completion_log(self):
        """The first log call that writes method, path, status and duration of the incoming request: in an
        after_request hook, a WSGI middleware, a log_route decorator... The four must be in what is logged
        (the call, and the local values it passes: `fields = {...}; log.info("done", extra=fields)`), not
        merely in the function: lemur times each request for its metrics, but logs no duration."""
        seen = set()
        for fact in self.project.log_calls:
            scope = fact.func or fact.node
            if id(scope) not in seen:  # one function, many log calls: a cheap test of its text once
                seen.add(id(scope))
                text = source_lines(fact.module.lines, scope)
                if "status" not in text or ("request" not in text and "environ" not in text and "REQUEST" not in text):
                    seen.add(("skip", id(scope)))
            if ("skip", id(scope)) in seen:
                continue
            logged = _logged_text(fact)
            if "status" in logged and all(rx.search(logged) for rx in (_INCOMING, _METHOD, _PATH, _DURATION)):
                return fact
        return None


def _logged_text(fact) -> str:
    """The source of a log call and of the local assignments of the names it passes (one level)."""
    lines = fact.module.lines
    call = fact.node
    parts = [source_lines(lines, call)]
    names = {n.id for n in ast.walk(call) if isinstance(n, ast.Name)}
    if fact.func is not None and names:
        assigned = cached_on(fact.func, "_fmw_assigned_names", _assigned_names)
        for name in names & assigned.keys():
            for start, end in assigned[name]:
                if start <= call.lineno:
                    parts.append("".join(lines[start - 1 : end]))
    return "".join(parts)


def _assigned_names(func) -> dict[str, list[tuple[int, int]]]:
    """name -> (first, last line) of each statement assigning it in the function (once per function)."""
    out: dict[str, list[tuple[int, int]]] = {}
    for stmt in ast.walk(func):
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            for t in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                if isinstance(t, ast.Name):
                    out.setdefault(t.id, []).append((stmt.lineno, stmt.end_lineno))
    return out
