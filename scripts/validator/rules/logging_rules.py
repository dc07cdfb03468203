"""Request-logging rules: request IDs, completion logs, secrets in logs, trusted client request IDs."""

from __future__ import annotations

import ast
import re

from ..astutil import dotted, last, str_const, words
from ..lazyre import lazy
from . import hit, rule

SENSITIVE = {
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "otp",
    "apikey",
    "credential",
    "credentials",
    "authorization",
    "totp",
    "pin",
    "passcode",
    "jwt",
    "bearer",
    "accesstoken",
    "authtoken",
    "apitoken",
    "sessiontoken",
    "refreshtoken",
}
SENSITIVE_PAIRS = {
    ("api", "key"),
    ("private", "key"),
    ("access", "key"),
    ("secret", "key"),
    ("auth", "header"),
    ("session", "id"),
    ("client", "secret"),
}
TOKEN_PLURAL_OK = {"access", "refresh", "auth", "api", "bearer", "id", "session", "reset"}
NON_SECRET_LAST = {
    "count",
    "counts",
    "name",
    "names",
    "type",
    "types",
    "len",
    "length",
    "url",
    "uri",
    "endpoint",
    "expires",
    "expiry",
    "expiration",
    "ttl",
    "at",
    "field",
    "fields",
    "label",
    "prefix",
    "hint",
    "policy",
    "required",
    "enabled",
    "valid",
    "validity",
    "limit",
    "limits",
    "usage",
    "used",
    "number",
    "num",
    "max",
    "min",
    "size",
    "index",
    "idx",
    "kind",
    "format",
    "version",
    "lifetime",
    "timeout",
    "age",
    "path",
    "file",
    "backend",
    "class",
    "model",
    "strength",
    "rules",
    "attempts",
    "changed",
    "sent",
    "verified",
    "exists",
    "error",
    "errors",
    "message",
    "msg",
    "column",
    "cache",
    "store",
    "manager",
    "service",
    "provider",
    "generator",
    "serializer",
    "hash",
    "hashed",
    "digest",
    "id",
    "ids",
    "reset",
    "form",
    "view",
    "template",
    "regex",
    "pattern",
    "header",
    "location",
    "mode",
    "method",
    "methods",
    "scope",
    "scopes",
    "status",
    "user",
    "owner",
    "key_name",
    "salt",
    "rounds",
    "algorithm",
    "algo",
    "handler",
    "set",
    "date",
    "time",
    "expired",
    "invalid",
    "missing",
    "ok",
    "str",
    "serial",
    "serials",
    "info",
    "keys",
    "claims",
    "hook",
    "cmd",
    "command",
    "description",
    "realm",
    "state",
    "pols",
    "policies",
    "timestamp",
    "ts",
    "created",
    "updated",
    "modified",
}
# The attributes of a secret-named object that still hold the secret (token.value, otp.code); any other
# attribute is a different value (token.serial, auth_token.user_id).
SECRET_ATTRS = {"value", "raw", "data", "plaintext", "text", "code", "content", "string", "decoded", "encoded"}
# "token" alone also names hardware tokens, ACME challenges, lexer and pagination tokens: it counts only in
# modules that import flask (request handling). Qualified tokens (access_token...) count everywhere.
OPERATION_WORDS = {
    "update",
    "get",
    "create",
    "delete",
    "set",
    "change",
    "verify",
    "validate",
    "check",
    "list",
    "send",
}
NON_SECRET_FIRST = {
    "is",
    "has",
    "num",
    "n",
    "max",
    "min",
    "total",
    "len",
    "count",
    "should",
    "can",
    "need",
    "hashed",
    "salted",
}
BODY_SOURCES = {
    "request.data",
    "request.json",
    "request.form",
    "request.values",
    "request.cookies",
    "request.authorization",
    "request.headers",
    "request.stream",
    "request.files",
}
BODY_CALLS = {"request.get_json", "request.get_data"}
SENSITIVE_HEADERS = {
    "authorization",
    "cookie",
    "proxy-authorization",
    "x-api-key",
    "x-auth-token",
    "set-cookie",
}
SAFE_CALLS = {"len", "bool", "type", "id", "hash", "isinstance", "md5", "hexdigest", "sha"}
SAFE_CALL_PREFIXES = ("redact", "sanitiz", "hide", "obfuscat", "censor", "scrub")


def safe_call(name: str) -> bool:
    """A call whose result does not carry its argument: len(x), mask_email(x), sha256(x), redact(x)..."""
    n = name.lower()
    return (
        n in SAFE_CALLS
        or n.startswith(SAFE_CALL_PREFIXES)
        or "mask" in n
        or "_redact" in n
        or (n.startswith("sha") and n[3:].isdigit())
    )


VALIDATES = lazy(r"(?i)fullmatch|match|search|valid|sanitiz|clean|safe|check|verify|accept|parse|normali")
TRANSPARENT = {
    "str",
    "repr",
    "format",
    "dumps",
    "dict",
    "list",
    "tuple",
    "vars",
    "strip",
    "lower",
    "upper",
    "decode",
    "encode",
    "join",
    "to_dict",
    "items",
    "values",
    "keys",
    "copy",
    "jsonify",
    "pformat",
    "format_map",
    "f",
    "bytes",
    "rstrip",
    "lstrip",
    "get_json",
    "to_json",
    "asdict",
    "replace",
}
LOGGER_KWARGS_SKIP = {"exc_info", "stack_info", "stacklevel"}


def _reads_requests(module) -> bool:
    """The module handles requests (imports flask's request), so a bare `token` there is likely a client's.
    Lemur's ACME plugins import flask only for current_app: their `token` is a public DNS challenge."""
    return any(origin in ("flask.request", "flask") for origin in module.imports.values())


def sensitive_name(identifier: str, handles_requests: bool = True) -> bool:
    """Named like a secret. ``handles_requests=False`` (outside request handling): a lone "token" with no
    access_/auth_/... qualifier does not count."""
    ws = words(identifier)
    if not ws:
        return False
    if ws[-1] in NON_SECRET_LAST or ws[0] in NON_SECRET_FIRST:
        return False
    if identifier[:1].isupper() and not identifier.isupper():
        return False  # a class (Token, PasswordForm), not a value
    if ws[0] in OPERATION_WORDS and len(ws) > 1:
        return False  # UPDATE_USER_PASSWORD (mlflow's route), get_access_token (quay's response): an operation
    if ws[0] == "token" and len(ws) > 1 and ws[-1] not in SECRET_ATTRS:
        return False  # token_hd, token_type, token_issuer: a property of the token, not the token
    pairs = set(zip(ws, ws[1:]))
    if pairs & SENSITIVE_PAIRS:
        return True
    for i, w in enumerate(ws):
        qualified = i > 0 and ws[i - 1] in TOKEN_PLURAL_OK
        if w == "token" and (handles_requests or qualified):
            return True
        if w in SENSITIVE and w != "token":
            return True
        if w == "tokens" and qualified:
            return True
    return False


def _assignments(body):
    """The assignment statements of a function, nested blocks included, without walking expressions."""
    for stmt in body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            yield stmt
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody"):
                yield from _assignments(getattr(stmt, field, ()))
            for handler in getattr(stmt, "handlers", ()):
                yield from _assignments(handler.body)
            for case in getattr(stmt, "cases", ()):
                yield from _assignments(case.body)


def _plain_constant(value) -> bool:
    if isinstance(value, ast.Constant):
        v = value.value
        return isinstance(v, (int, float, bool)) or (isinstance(v, str) and " " in v)
    if isinstance(value, ast.Dict):
        return bool(value.values) and all(_plain_constant(v) for v in value.values)
    if isinstance(value, (ast.List, ast.Tuple)):
        return bool(value.elts) and all(_plain_constant(v) for v in value.elts)
    return False


def _masking(value) -> bool:
    """A masked secret: f"{key[:4]}****" (only slices of other values and literal text), a run of asterisks
    ("*" * 8), or a choice between such values. A literal like "s3cret" is not a mask."""
    if isinstance(value, ast.JoinedStr):
        formatted = [v for v in value.values if isinstance(v, ast.FormattedValue)]
        return bool(formatted) and all(
            isinstance(v.value, ast.Subscript) and isinstance(v.value.slice, ast.Slice) for v in formatted
        )
    if isinstance(value, ast.IfExp):
        return _masking(value.body) and _masking(value.orelse)
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
        return _masking(value.left) or _masking(value.right)
    return isinstance(value, ast.Constant) and isinstance(value.value, str) and set(value.value) == {"*"}


class Taint:
    """Which names in one function hold sensitive data, from simple assignments (in source order: a
    name assigned a secret on line 12 does not taint a log call on line 10)."""

    def __init__(self, func, handles_requests: bool = True, constants: dict | None = None):
        self.func = func
        self.handles_requests = handles_requests
        self.constants = constants or {}
        self._request_assigned: bool | None = None
        self._masked: dict[str, tuple[bool, int]] | None = None
        self.names: dict[str, tuple[str, int]] | None = None  # name -> (reason, line of the first tainting assignment)
        self.before = 1 << 30

    def _tainted(self, name: str):
        if self.names is None:  # computed on the first name looked up: most log calls pass no local name
            self.names = {}
            before = self.before
            assigns = list(_assignments(self.func.body))
            assigns.sort(key=lambda n: n.lineno)
            for _ in range(2):
                for n in assigns:
                    targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                    if n.value is None:
                        continue
                    self.before = n.lineno
                    reason = self.check(n.value)
                    for t in targets:
                        if isinstance(t, ast.Name) and reason and t.id not in self.names:
                            self.names[t.id] = (reason, n.lineno)
            self.before = before
        return self.names.get(name)

    def _shadows_request(self) -> bool:
        """`request = session.get(url)` (bazarr's subtitle providers): a requests response, not Flask's request."""
        if self.func is None:
            return False
        if self._request_assigned is None:
            self._request_assigned = any(
                isinstance(t, ast.Name) and t.id == "request"
                for n in _assignments(self.func.body)
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
            )
        return self._request_assigned

    def _plain_constant_name(self, name: str) -> bool:
        """JWT_CLOCK_SKEW_SECONDS = 30, API_KEY_ERROR_CODE_ACTION = "Check your API key ..." (or a dict of such
        sentences, rotki): numbers, flags and sentences are no secret, whatever the name says."""
        return _plain_constant(self.constants.get(name))

    def _masked_local(self, name: str) -> bool:
        """pyload: log_api_key = f"{api_key[:4]}****{api_key[-4:]}" if len(api_key) > 8 else "*" * 8."""
        if self.func is None:
            return False
        if self._masked is None:
            self._masked = {}
            for n in _assignments(self.func.body):
                if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                    self._masked.setdefault(n.targets[0].id, (_masking(n.value), n.lineno))
        found = self._masked.get(name)
        return bool(found and found[0] and found[1] < self.before)

    def check_at(self, node, line: int) -> str | None:
        self.before = line
        try:
            return self.check(node)
        finally:
            self.before = 1 << 30

    def check(self, node, depth=0) -> str | None:
        if node is None or depth > 40:
            return None
        if isinstance(node, ast.Constant):
            return None
        if isinstance(node, ast.Name):
            tainted = self._tainted(node.id) if self.func is not None else None
            if tainted is not None and tainted[1] < self.before:
                return tainted[0]
            if (
                sensitive_name(node.id, self.handles_requests)
                and not self._plain_constant_name(node.id)
                and not self._masked_local(node.id)
            ):
                return f"`{node.id}`"
            return None
        if isinstance(node, ast.Attribute):
            d = dotted(node) or ""
            if d in BODY_SOURCES and not self._shadows_request():
                return f"`{d}`"
            if node.attr.lower() in NON_SECRET_LAST:
                return None  # api_key.name, token.expires, ...
            if sensitive_name(node.attr, self.handles_requests) and not d.startswith(("secrets.", "request.")):
                return f"`{d or node.attr}`"
            if node.attr.lower() in SECRET_ATTRS or d.startswith("request."):
                return self.check(node.value, depth + 1)
            return None  # another attribute of the object: token.serial, auth_token.user_id
        if isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Slice):
                return None  # api_key[:4]: a few characters, the usual way to mask a secret in a log
            base = dotted(node.value) or ""
            sl = node.slice
            if type(sl).__name__ == "Index":  # pragma: no cover
                sl = sl.value  # type: ignore[attr-defined]
            key = str_const(sl)
            if key is not None:
                if key.lower() in SENSITIVE_HEADERS and base.endswith("headers"):
                    return f"the {key} header"
                if sensitive_name(key, self.handles_requests):
                    return f"`{base}[{key!r}]`"
                if base.endswith("cookies"):
                    return f"the {key!r} cookie"
                return None  # one non-sensitive field: request.form["username"], llm_cfg["model"]
            if base in BODY_SOURCES and not base.endswith("cookies"):
                return None  # request.values[input_name]: one field, named by a variable (OctoPrint's upload name)
            return self.check(node.value, depth + 1) or self.check(sl, depth + 1)
        if isinstance(node, ast.Call):
            fname = dotted(node.func) or ""
            if fname in BODY_CALLS and not self._shadows_request():
                return f"`{fname}()` (the request body)"
            if safe_call(last(fname) or ""):
                return None
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "getlist", "pop") and node.args:
                base = dotted(node.func.value) or ""
                key = str_const(node.args[0])
                if key is not None and key.lower() in SENSITIVE_HEADERS and base.endswith("headers"):
                    return f"the {key} header"
                if key is not None and sensitive_name(key, self.handles_requests):
                    return f"`{base}.get({key!r})`"
                if base in BODY_SOURCES or base.endswith(("headers", "environ", "args", "cookies", "form")):
                    return None  # one non-sensitive (or unknown) field
            # Only calls that pass their input through unchanged carry it on: str(x), json.dumps(x),
            # x.strip(), "...".format(x). The result of any other call (requests.post(headers=...),
            # decode_jwt(token)) is a different value.
            name = node.func.attr if isinstance(node.func, ast.Attribute) else last(fname)
            if name not in TRANSPARENT:
                return None
            if isinstance(node.func, ast.Attribute) and not (
                isinstance(node.func.value, ast.Name) and node.func.value.id in ("secrets", "os", "json")
            ):
                r = self.check(node.func.value, depth + 1)
                if r:
                    return r
            # s.replace(api_key, "*****") takes the secret out: only the replacement goes in
            args = node.args[1:] if name == "replace" else node.args
            for a in args:
                r = self.check(a, depth + 1)
                if r:
                    return r
            for kw in node.keywords:
                r = self.check(kw.value, depth + 1)
                if r:
                    return r
            return None
        if isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values):
                ks = str_const(k) if k is not None else None
                redacted = isinstance(v, ast.Constant) and v.value in (None, "", "***")
                if ks and sensitive_name(ks, self.handles_requests) and not redacted:
                    return f"key {ks!r}"
                r = self.check(v, depth + 1)
                if r:
                    return r
            return None
        if isinstance(node, ast.JoinedStr):
            for v in node.values:
                if isinstance(v, ast.FormattedValue):
                    r = self.check(v.value, depth + 1)
                    if r:
                        return r
            return None
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp)):
            return None
        if isinstance(node, ast.Compare):
            return None  # logging the *result* of a comparison leaks nothing directly
        if isinstance(node, ast.IfExp):  # "authenticated" if token else "public": the test is not logged
            return self.check(node.body, depth + 1) or self.check(node.orelse, depth + 1)
        for child in ast.iter_child_nodes(node):
            r = self.check(child, depth + 1)
            if r:
                return r
        return None


@rule(
    "LOG003",
    "error",
    "sensitive data passed to a logger",
    fix="Log identifiers, not secrets: never request bodies, Authorization/Cookie headers, passwords or "
    "tokens; redact before logging.",
)
def sensitive_logging(project):
    cache: dict[int, Taint] = {}
    for fact in project.log_calls:
        key = id(fact.func)
        if key not in cache:
            cache[key] = Taint(fact.func, _reads_requests(fact.module), fact.module.constants)
        taint = cache[key]
        call = fact.node
        args = list(call.args)
        if last(dotted(call.func)) == "log" and args:
            args = args[1:]  # level
        reason = None
        for i, a in enumerate(args):
            if i == 0 and isinstance(a, ast.Constant):
                continue
            reason = taint.check_at(a, fact.line)
            if reason:
                break
        if not reason:
            for kw in call.keywords:
                if kw.arg in LOGGER_KWARGS_SKIP:
                    continue
                if kw.arg and kw.arg != "extra" and sensitive_name(kw.arg, taint.handles_requests):
                    reason = f"keyword {kw.arg!r}"
                    break
                reason = taint.check_at(kw.value, fact.line)
                if reason:
                    break
        if reason:
            yield hit(fact, f"{reason} is written to the log")


def _validated(project, fact) -> bool:
    func = fact.func
    if func is None:
        return False
    target_names = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and any(sub is fact.node for sub in ast.walk(node.value)):
            target_names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    funcs = project._funcs  # type: ignore[attr-defined]
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
        for _m, fdef in funcs.get(name, []):
            if any(
                isinstance(s, ast.Call) and last(dotted(s.func)) in ("fullmatch", "match", "search")
                for s in ast.walk(fdef)
            ):
                return True
    return False


@rule(
    "LOG004",
    "warning",
    "client-supplied request ID trusted without validation",
    fix="Accept X-Request-ID only if it matches e.g. ^[A-Za-z0-9._-]{1,64}$ (fullmatch); otherwise generate "
    "uuid4().hex.",
)
def trusted_request_id(project):
    for fact in project.request_id_reads:
        if not _validated(project, fact):
            yield hit(
                fact,
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


@rule(
    "LOG002",
    "info",
    "no per-request completion log with method, path, status and duration",
    fix="Log once per request (after_request or, better, WSGI middleware): method, path, status, duration.",
)
def no_completion_log(project):
    if project.access_log_with_duration:
        return
    seen = set()
    for fact in project.log_calls:
        scope = fact.func or fact.node
        if id(scope) in seen:
            continue  # one function, many log calls: its text is tested once
        seen.add(id(scope))
        text = "".join(fact.module.lines[scope.lineno - 1 : getattr(scope, "end_lineno", scope.lineno)])
        # substring tests first: the patterns are tried on every function that logs (1,300 on privacyIDEA)
        if "status" not in text or ("request" not in text and "environ" not in text and "REQUEST" not in text):
            continue
        if all(rx.search(text) for rx in (_INCOMING, _METHOD, _PATH, _DURATION)):
            return
    yield hit(project.anchor, "no log line per request carries method, path, status and duration")
