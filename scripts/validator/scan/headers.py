"""Response headers: writes to ``response.headers`` (item assignment, ``setdefault``/``add``/``update``/``pop``,
``del``), header names taken from a table or a loop over one, and the libraries that send security headers
(flask-talisman, ``secure``, Flask-SSLify). Headers set by nginx/Apache configs are read in ``deployment``.

A write through a name that cannot be resolved here is kept until ``finish``, where module constants of the
whole project are known; a write whose name stays unknown is a ``computed_header_writes`` fact.
"""

from __future__ import annotations

import ast

from ..astutil import UNKNOWN, dotted, evaluate, last, local_assigns, str_const
from ..model import SECURITY_HEADERS, HeaderLib, HeaderOp, Module
from .app_factory import record_module_setup
from .walk import Scanner

HEADER_METHODS = {"setdefault", "add", "set", "update", "extend", "pop", "remove", "add_header", "__setitem__"}
KNOWN_HEADERS = SECURITY_HEADERS | {"cache-control", "access-control-allow-origin", "access-control-allow-credentials"}


class HeaderScanner(Scanner):
    def __init__(self, project):
        super().__init__(project)
        self.dynamic_headers = False  # this module writes a header whose name is not a literal
        self.deferred_tables: list = []  # (module, table node, op, line, col, func): headers from a table
        self.deferred_names: list = []  # (module, name, op, value node, line, col, func): name is a variable
        self.candidates: dict = {}  # (module path, line) -> computed-name write to a response's headers
        self.talisman_classes: set[str] = set()  # class JazzbandTalisman(Talisman)

    def begin_module(self, ctx) -> None:
        self.dynamic_headers = False

    def end_module(self, ctx) -> None:
        if self.dynamic_headers:
            self.header_tables(ctx.module, ctx.src.body)

    def visit_ClassDef(self, ctx, c) -> None:
        bases = [ctx.resolve(dotted(b)) for b in c.bases]
        if any(b.startswith("flask_talisman") or last(b) in self.talisman_classes for b in bases):
            self.talisman_classes.add(c.name)

    def visit_Assign(self, ctx, s) -> None:
        if isinstance(s.value, ast.Dict):  # a table of security headers: OctoPrint's tornado transforms
            self.security_header_table(ctx, s.value)
        for t in s.targets if isinstance(s, ast.Assign) else [s.target]:
            # response.headers["Name"] = value
            if isinstance(t, ast.Subscript) and last(dotted(t.value)) == "headers":
                self.header_op(ctx, "set", t.slice, s.value, s, dotted(t.value))

    def visit_Delete(self, ctx, s) -> None:
        for t in s.targets:
            if isinstance(t, ast.Subscript) and last(dotted(t.value)) == "headers":
                name = str_const(t.slice)
                if name:
                    self.project.header_ops.append(
                        HeaderOp(ctx.module, s.lineno, s.col_offset + 1, "del", name, func=ctx.func)
                    )

    def visit_Call(self, ctx, call, name, resolved, tail) -> None:
        libs = self.project.header_libs
        wanted = tail in ("Talisman", "SSLify") or tail in self.talisman_classes
        first = dotted(call.args[0]) if wanted and call.args else None
        if (
            tail == "Talisman" and (ctx.is_library(resolved, name, "flask_talisman") or resolved.startswith("talisman"))
        ) or tail in self.talisman_classes:
            libs.append(ctx.fact("talisman", call, func=ctx.func, target=ctx.target, owner=first, factory=HeaderLib))
            record_module_setup(ctx, "Talisman", call, first)
            return
        if name == "talisman" and resolved != name and isinstance(ctx.stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # @talisman(...) on a view: an app-wide Talisman instance configured elsewhere (invenio-app-rdm)
            libs.append(ctx.fact("talisman-view", call, func=ctx.func, factory=HeaderLib))
            return
        if tail == "SSLify" and ctx.is_library(resolved, name, "flask_sslify"):
            libs.append(ctx.fact("sslify", call, func=ctx.func, owner=first, factory=HeaderLib))  # sends HSTS only
            return
        if resolved.startswith("secure.") or resolved in ("secure", "secure.Secure"):
            libs.append(ctx.fact("secure", call, func=ctx.func, factory=HeaderLib))
        if (
            isinstance(call.func, ast.Attribute)
            and tail in HEADER_METHODS
            and last(dotted(call.func.value)) == "headers"
        ):
            self.header_call(ctx, call, tail)

    def header_call(self, ctx, call, method) -> None:
        if method in ("update", "extend") and call.args:
            value = evaluate(call.args[0], ctx.module.constants)
            if isinstance(value, dict):
                for k, v in value.items():
                    if isinstance(k, str):
                        op = HeaderOp(ctx.module, call.lineno, call.col_offset + 1, "set", k, v, None, ctx.func)
                        self.project.header_ops.append(op)
            else:
                self.dynamic_headers = True
            if not isinstance(value, dict) and isinstance(call.args[0], ast.Name):
                self.deferred_tables.append(
                    (ctx.module, call.args[0], "set", call.lineno, call.col_offset + 1, ctx.func)
                )
            return
        if not call.args:
            return
        value = call.args[1] if len(call.args) > 1 else None
        op = {"__setitem__": "set", "add_header": "add"}.get(method, method)
        self.header_op(ctx, op, call.args[0], value, call, dotted(call.func.value))

    def header_op(self, ctx, op, name_node, value_node, stmt, receiver=None) -> None:
        module, func, line, col = ctx.module, ctx.func, stmt.lineno, stmt.col_offset + 1
        # a write through a name not known here, to a response's headers (not a local `headers` dict):
        # kept in case finish() cannot resolve the name either
        if receiver and "." in receiver and not receiver.startswith("request."):
            self.candidates[(module.rel, line)] = ctx.fact("computed-header", stmt, func=func)
        if isinstance(name_node, ast.Name) and name_node.id in ctx.loops:
            which, src_node = ctx.loops[name_node.id]
            if which == "keys":
                self.deferred_tables.append((module, src_node, op, line, col, func))
                return
        name = evaluate(name_node, module.constants)
        name = name if isinstance(name, str) else None
        if name is None and not _may_name_security_header(name_node):
            return  # res.headers[conf.MAX_VERSION_HEADER] = ...: a named constant that is no security header
        if name is None:
            self.dynamic_headers = True
            if not isinstance(name_node, ast.Name):  # headers[element[0]] = ...: not resolvable later either
                self.computed_write(module, line)
                return
            self.deferred_names.append((module, name_node.id, op, value_node, line, col, func))
            return
        value = evaluate(value_node, module.constants) if value_node is not None else None
        # the Origin guard matters to CORS001 on this one header only; unparsing a function's tests is not cheap
        guarded = name.lower() == "access-control-allow-origin" and _origin_guarded(stmt, func)
        write = HeaderOp(module, line, col, op, name, value, value_node, func, guarded)
        write.in_dev_branch = ctx.dev
        self.project.header_ops.append(write)

    def computed_write(self, module: Module, line: int) -> None:
        fact = self.candidates.pop((module.rel, line), None)
        if fact is not None:
            self.project.computed_header_writes.append(fact)

    def security_header_table(self, ctx, table: ast.Dict) -> None:
        """``{"X-Content-Type-Options": "nosniff", ...}``: a dict keyed by security header names is a set of
        response headers, whatever sends it (an after_request loop, a tornado transform, a helper)."""
        keys = [str_const(k) for k in table.keys]
        if not any(k and k.lower() in SECURITY_HEADERS for k in keys):
            return
        for k, v in zip(table.keys, table.values):
            name = str_const(k)
            if name and name.lower() in SECURITY_HEADERS:
                line, col = k.lineno, k.col_offset + 1
                value = evaluate(v, ctx.module.constants)
                self.project.header_ops.append(HeaderOp(ctx.module, line, col, "set", name, value, v, ctx.func))

    def header_tables(self, module: Module, body) -> None:
        """Headers written through a computed name (headers.extend(missing), setdefault(name, value)):
        take the header names/values written as literals in the same module (dict tables, (name, value)
        pairs) as the ones being set."""
        for stmt in body:
            for node in ast.walk(stmt):
                pairs = []
                if isinstance(node, ast.Dict):
                    pairs = [(k, v) for k, v in zip(node.keys, node.values) if k is not None]
                elif isinstance(node, ast.Tuple) and len(node.elts) == 2:
                    pairs = [(node.elts[0], node.elts[1])]
                for k, v in pairs:
                    name = str_const(k)
                    if name and name.lower() in KNOWN_HEADERS:
                        line, col = getattr(k, "lineno", 1), getattr(k, "col_offset", 0) + 1
                        value = evaluate(v, module.constants)
                        self.project.header_ops.append(HeaderOp(module, line, col, "set", name, value, v, None))

    def finish(self) -> None:
        constants: dict[str, tuple[Module, ast.expr]] = {}  # first module-level NAME = ... in the project
        for module in self.project.modules:
            for name, node in module.constants.items():
                constants.setdefault(name, (module, node))

        def lookup(module: Module, node):
            value = evaluate(node, module.constants)
            if value is UNKNOWN and isinstance(node, ast.Name) and node.id in constants:
                other, n = constants[node.id]
                value = evaluate(n, other.constants)
            return value

        self.resolve_tables(lookup)
        for module, name, op, value_node, line, col, func in self.deferred_names:
            value = lookup(module, ast.Name(id=name, ctx=ast.Load()))
            if isinstance(value, str):
                v = lookup(module, value_node) if value_node is not None else None
                self.project.header_ops.append(HeaderOp(module, line, col, op, value, v, value_node, func))
            else:
                self.computed_write(module, line)  # pgAdmin: names are config values
        for h in self.project.header_ops:
            if h.name.lower() == "access-control-allow-origin":
                h.reflects_origin = mentions_request_origin(h.value_node, h.func)
        for lib in self.project.header_libs:
            if lib.kind == "talisman":
                lib.options = self.talisman_options(lib)

    def talisman_options(self, lib) -> dict:
        """Talisman's keyword values, a ``**settings`` spread included: a module constant or a config key
        (funding-service-design's ``Talisman(app, **Config.TALISMAN_SETTINGS)``)."""
        options: dict = {}
        for kw in lib.node.keywords:
            value = evaluate(kw.value, lib.module.constants)
            if kw.arg is not None:
                options[kw.arg] = value
                continue
            if value is UNKNOWN:
                assign = self.project.config_assign(last(dotted(kw.value)))
                value = assign.value if assign is not None else UNKNOWN
            if isinstance(value, dict):
                options.update((k, v) for k, v in value.items() if isinstance(k, str))
        return options

    def resolve_tables(self, lookup) -> None:
        for module, src_node, op, line, col, func in self.deferred_tables:
            value = lookup(module, src_node)
            pairs = []
            if isinstance(value, dict):
                pairs = list(value.items())
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, list) and len(item) == 2:
                        pairs.append((item[0], item[1]))
                    elif isinstance(item, str):
                        pairs.append((item, UNKNOWN))
            for k, v in pairs:
                if isinstance(k, str):
                    self.project.header_ops.append(HeaderOp(module, line, col, op, k, v, None, func))
            if not pairs:
                self.computed_write(module, line)  # searxng: names from settings.yml


SECURITY_HINTS = ("frame", "content_type", "transport", "security", "csp", "polic", "referrer", "xss", "hsts",
                  "permission", "cross_origin", "sniff")  # fmt: skip


def _may_name_security_header(name_node) -> bool:
    """A header name not known statically may be a security header: a loop variable or a lookup may hold
    anything, but an UPPER_CASE constant names what it holds (MAX_VERSION_HEADER is no security header)."""
    ident = last(dotted(name_node)) if dotted(name_node) else ""
    if not ident or not ident.isupper():
        return True
    return any(hint in ident.lower() for hint in SECURITY_HINTS)


def _origin_guarded(stmt, func) -> bool:
    """An allow-list check of the Origin before this write: ``if origin in ALLOWED``, ``== ...``,
    ``ALLOWED_RX.match(origin)``. ``if "Origin" in request.headers`` only tests that one was sent."""
    if func is None:
        return False
    for node in ast.walk(func):
        if isinstance(node, (ast.If, ast.IfExp)) and node.lineno <= stmt.lineno:
            tests = node.test.values if isinstance(node.test, ast.BoolOp) else [node.test]
            for test in tests:
                if isinstance(test, ast.Compare) and _origin_sent_check(test):
                    continue
                text = ast.unparse(test).lower()  # this operand only (rare: functions writing the header)
                if "origin" in text and any(
                    op in text for op in (" in ", "==", "match", "allowed", "startswith", "endswith", " & ")
                ):
                    return True
    return False


def _origin_sent_check(node: ast.Compare) -> bool:
    """``"Origin" in request.headers`` (or ``not in``): whether the header is present, not whether it is allowed."""
    container = dotted(node.comparators[0]) if node.comparators else None
    return (
        len(node.ops) == 1
        and isinstance(node.ops[0], (ast.In, ast.NotIn))
        and isinstance(str_const(node.left), str)
        and (container or "").lower().endswith(("headers", "environ"))
    )


def _is_request_origin(node) -> bool:
    """request.origin, request.headers.get("Origin") / ["Origin"], environ["HTTP_ORIGIN"] / .get(...)."""
    if isinstance(node, ast.Attribute):
        return node.attr == "origin" and (dotted(node.value) or "").endswith("request")
    if isinstance(node, ast.Subscript):
        key, container = node.slice, node.value
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and node.args:
        key, container = node.args[0], node.func.value
    else:
        return False
    key = key.value if isinstance(key, ast.Constant) else None
    return (
        isinstance(key, str)
        and key.lower() in ("origin", "http_origin")
        and (dotted(container) or "").lower().endswith(("headers", "environ"))
    )


def mentions_request_origin(node, func=None) -> bool:
    """The value comes from the request's Origin header, directly or through a local variable. A name that
    merely says origin (config.getCORSAllowOrigin(), ALLOWED_ORIGIN) is the operator's setting."""
    if node is None:
        return False
    assigned = local_assigns(func)
    seen = set()
    stack = [node]
    while stack:
        current = stack.pop()
        for sub in ast.walk(current):
            if _is_request_origin(sub):
                return True
            if isinstance(sub, ast.Name) and sub.id in assigned and sub.id not in seen:
                seen.add(sub.id)
                stack.append(assigned[sub.id])
    return False
