"""Which values passed to a logger are sensitive (LOG003): request bodies, Authorization/Cookie headers,
passwords, tokens, secrets, followed through a function's local assignments, f-strings, ``%``/``format``
and calls that pass their input through unchanged (``str(x)``, ``json.dumps(x)``, ``x.strip()``).

Precision matters as much as recall: a username or user id is not a secret, nor a property of a token
(``token.serial``, ``token_type``), a class named Token, a masked value (``key[:4] + "****"``), a sentence
or number in a constant named like a secret, or the result of a call that transforms its input.
"""

from __future__ import annotations

import ast

from ..astutil import dotted, last, str_const, words

SENSITIVE = set(
    "password passwd pwd passphrase secret token otp apikey credential credentials authorization totp pin "
    "passcode jwt bearer accesstoken authtoken apitoken sessiontoken refreshtoken".split()
)
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
# a last word that makes the name a property of the secret, not the secret: token_count, password_policy
NON_SECRET_LAST = set(
    "count counts name names type types len length url uri endpoint expires expiry expiration ttl at field "
    "fields label prefix hint policy required enabled valid validity limit limits usage used number num max "
    "min size index idx kind format version lifetime timeout age path file backend class model strength "
    "rules attempts changed sent verified exists error errors message msg column cache store manager service "
    "provider generator serializer hash hashed digest id ids reset form view template regex pattern header "
    "location mode method methods scope scopes status user owner key_name salt rounds algorithm algo handler "
    "set date time expired invalid missing ok str serial serials info keys claims hook cmd command "
    "description realm state pols policies timestamp ts created updated modified".split()
)
# The attributes of a secret-named object that still hold the secret (token.value, otp.code); any other
# attribute is a different value (token.serial, auth_token.user_id).
SECRET_ATTRS = {"value", "raw", "data", "plaintext", "text", "code", "content", "string", "decoded", "encoded"}
# UPDATE_USER_PASSWORD (mlflow's route), get_access_token (quay's response): an operation, not a value
OPERATION_WORDS = set("update get create delete set change verify validate check list send".split())
NON_SECRET_FIRST = set("is has num n max min total len count should can need hashed salted".split())
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
# what the client submitted in the body (headers, cookies and authorization are judged by name)
SUBMITTED = {"request.data", "request.json", "request.form", "request.values", "request.stream", "request.files"}
# fields of a submitted body that identify rather than reveal: a username or a user id alone is not sensitive
IDENTIFYING_FIELDS = set(
    "username user user_name userid user_id uid login email mail email_address name id ids next action page type "
    "format lang locale sort order limit offset".split()
)
SENSITIVE_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key", "x-auth-token", "set-cookie"}
SAFE_CALLS = {"len", "bool", "type", "id", "hash", "isinstance", "md5", "hexdigest", "sha"}
SAFE_CALL_PREFIXES = ("redact", "sanitiz", "hide", "obfuscat", "censor", "scrub")
# calls whose result carries their input unchanged
TRANSPARENT = set(
    "str repr format dumps dict list tuple vars strip lower upper decode encode join to_dict items values keys "
    "copy jsonify pformat format_map f bytes rstrip lstrip get_json to_json asdict replace".split()
)
LOGGER_KWARGS_SKIP = {"exc_info", "stack_info", "stacklevel"}


def _dotted(node) -> str:
    """The dotted name, with flask's module prefix dropped: flask.request.get_json is request.get_json."""
    d = dotted(node) or ""
    return d[6:] if d.startswith("flask.request") else d


def identifying_field(key: str) -> bool:
    ws = words(key)
    return key.lower() in IDENTIFYING_FIELDS or bool(ws and ws[-1] in NON_SECRET_LAST)


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


def reads_requests(module) -> bool:
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
        return False
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


def assignments(body):
    """The assignment statements of a function, nested blocks included, without walking expressions."""
    for stmt in body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            yield stmt
        elif not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody"):
                yield from assignments(getattr(stmt, field, ()))
            for handler in getattr(stmt, "handlers", ()):
                yield from assignments(handler.body)
            for case in getattr(stmt, "cases", ()):
                yield from assignments(case.body)


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


def secret_in_log_call(taint: Taint, fact) -> str | None:
    """What sensitive value the log call ``fact`` is passed, if any: its arguments (the message of a
    ``log(level, msg)`` call after the level; a literal message is skipped), then its keywords."""
    call = fact.node
    args = list(call.args)
    if last(dotted(call.func)) == "log" and args:
        args = args[1:]  # level
    for i, a in enumerate(args):
        if i == 0 and isinstance(a, ast.Constant):
            continue
        reason = taint.check_at(a, fact.line)
        if reason:
            return reason
    for kw in call.keywords:
        if kw.arg in LOGGER_KWARGS_SKIP:
            continue
        if kw.arg and kw.arg != "extra" and sensitive_name(kw.arg, taint.handles_requests):
            return f"keyword {kw.arg!r}"
        reason = taint.check_at(kw.value, fact.line)
        if reason:
            return reason
    return None


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
        self.submitted: set[str] = set()  # names holding what the client submitted (the body or a field of it)
        self.before = 1 << 30

    def _tainted(self, name: str):
        if self.names is None:  # computed on the first name looked up: most log calls pass no local name
            self.names = {}
            before = self.before
            assigns = list(assignments(self.func.body))
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
                            if "request" in reason:
                                self.submitted.add(t.id)
            self.before = before
        return self.names.get(name)

    def _shadows_request(self) -> bool:
        """`request = session.get(url)` (bazarr's subtitle providers): a requests response, not Flask's request."""
        if self.func is None:
            return False
        if self._request_assigned is None:
            self._request_assigned = any(
                isinstance(t, ast.Name) and t.id == "request"
                for n in assignments(self.func.body)
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
            for n in assignments(self.func.body):
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
        """Why ``node``'s value is sensitive ("`password`", "the Authorization header"), or None."""
        if node is None or depth > 40 or isinstance(node, ast.Constant):
            return None
        method = self._BY_TYPE.get(type(node))
        if method is not None:
            return method(self, node, depth)
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.GeneratorExp, ast.DictComp, ast.SetComp, ast.Compare)):
            return None  # logging the *result* of a comparison leaks nothing directly
        if isinstance(node, ast.IfExp):  # "authenticated" if token else "public": the test is not logged
            return self.check(node.body, depth + 1) or self.check(node.orelse, depth + 1)
        for child in ast.iter_child_nodes(node):
            r = self.check(child, depth + 1)
            if r:
                return r
        return None

    def _name(self, node: ast.Name, depth) -> str | None:
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

    def _from_body(self, node) -> bool:
        """``node`` is what the client submitted: request.form/json/..., get_json(), or a name assigned one."""
        if isinstance(node, ast.Name):
            return self.func is not None and self._tainted(node.id) is not None and node.id in self.submitted
        d = _dotted(node.func) if isinstance(node, ast.Call) else _dotted(node)
        return (d in SUBMITTED or d in BODY_CALLS) and not self._shadows_request()

    def _field(self, container, key: str, shown: str) -> str | None:
        """A named field: sensitive when named like a secret, a sensitive header or any cookie, or when it
        is a field of the submitted body that does not merely identify the user (a submitted answer)."""
        base = _dotted(container)
        if key.lower() in SENSITIVE_HEADERS and base.endswith("headers"):
            return f"the {key} header"
        if sensitive_name(key, self.handles_requests):
            return shown
        if base.endswith("cookies"):
            return f"the {key!r} cookie"
        if self._from_body(container) and not identifying_field(key):
            return f"{shown} (a field of the request body)"
        return None  # request.form["username"], llm_cfg["model"]

    def _attribute(self, node: ast.Attribute, depth) -> str | None:
        d = _dotted(node)
        if d in BODY_SOURCES and not self._shadows_request():
            return f"`{d}`"
        if node.attr.lower() in NON_SECRET_LAST:
            return None  # api_key.name, token.expires, ...
        if sensitive_name(node.attr, self.handles_requests) and not d.startswith(("secrets.", "request.")):
            return f"`{d or node.attr}`"
        if node.attr.lower() in SECRET_ATTRS or d.startswith("request."):
            return self.check(node.value, depth + 1)
        return None  # another attribute of the object: token.serial, auth_token.user_id

    def _subscript(self, node: ast.Subscript, depth) -> str | None:
        if isinstance(node.slice, ast.Slice):
            return None  # api_key[:4]: a few characters, the usual way to mask a secret in a log
        base = _dotted(node.value)
        key = str_const(node.slice)
        if key is not None:
            return self._field(node.value, key, f"`{base}[{key!r}]`")
        if base in BODY_SOURCES and not base.endswith("cookies"):
            return None  # request.values[input_name]: one field, named by a variable (OctoPrint's upload name)
        return self.check(node.value, depth + 1) or self.check(node.slice, depth + 1)

    def _call(self, node: ast.Call, depth) -> str | None:
        fname = _dotted(node.func)
        if fname in BODY_CALLS and not self._shadows_request():
            return f"`{fname}()` (the request body)"
        if safe_call(last(fname) or ""):
            return None
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("get", "getlist", "pop") and node.args:
            base = _dotted(node.func.value)
            key = str_const(node.args[0])
            if key is not None:
                return self._field(node.func.value, key, f"`{base}.get({key!r})`")
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
        for value in [*args, *(kw.value for kw in node.keywords)]:
            r = self.check(value, depth + 1)
            if r:
                return r
        return None

    def _dict(self, node: ast.Dict, depth) -> str | None:
        for k, v in zip(node.keys, node.values):
            ks = str_const(k) if k is not None else None
            redacted = isinstance(v, ast.Constant) and v.value in (None, "", "***")
            if ks and sensitive_name(ks, self.handles_requests) and not redacted:
                return f"key {ks!r}"
            r = self.check(v, depth + 1)
            if r:
                return r
        return None

    def _joined_str(self, node: ast.JoinedStr, depth) -> str | None:
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                r = self.check(v.value, depth + 1)
                if r:
                    return r
        return None

    _BY_TYPE = {
        ast.Name: _name,
        ast.Attribute: _attribute,
        ast.Subscript: _subscript,
        ast.Call: _call,
        ast.Dict: _dict,
        ast.JoinedStr: _joined_str,
    }
