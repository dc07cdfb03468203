"""AST visitors and text scanners that fill the project model (see ``model``)."""

from __future__ import annotations

import ast
import fnmatch
import os
import re

from .astutil import UNKNOWN, cached_on, call_name, dotted, evaluate, kwarg, last, str_const
from .lazyre import lazy
from .model import (
    SECURITY_HEADERS,
    ConfigAssign,
    ConfigClass,
    Fact,
    HeaderOp,
    Module,
    Project,
    Requirement,
    Route,
    ServerConf,
)

HOOKS = {
    "after_request",
    "after_app_request",
    "before_request",
    "before_app_request",
    "teardown_request",
    "teardown_app_request",
    "teardown_appcontext",
}
ROUTE_VERBS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg"}
HEADER_METHODS = {
    "setdefault",
    "add",
    "set",
    "update",
    "extend",
    "pop",
    "remove",
    "add_header",
    "__setitem__",
}
RID_HEADER = lazy(r"(?i)^(?:http_)?(?:x[-_])?(?:request|correlation|req|trace|amzn[-_]trace)[-_]?id$")


def reads_request_headers(base: str) -> bool:
    """``request.headers`` / ``environ``, not a response's headers (``resp.headers.get(...)`` in a
    client or test reads what a server sent back, not what a client supplied)."""
    if not (base.endswith("headers") or base.endswith("environ")):
        return False
    owner = base.rsplit(".", 1)[0].rsplit(".", 1)[-1].lower() if "." in base else ""
    return not owner.startswith(("resp", "rv"))


RATE_NAME = lazy(r"(?i)rate_?limit|throttl")
RATE_STRING = lazy(r"(?i)^\s*\d+\s*(?:/|per\s)\s*\d*\s*(?:second|minute|hour|day|month|year|s|m|h|d)")
DEV_TEST = lazy(r"(?i)\b(?:debug|testing|development|dev|local)\b|\.debug|\.testing|== *['\"]dev")
CONFIG_FILE = lazy(r"(?i)(^|/)[^/]*(config|settings)[^/]*\.(py|cfg)$")
CONFIG_CLASS = lazy(r"(?i)config|settings")
UPPER = lazy(r"^[A-Z][A-Z0-9_]*$")
RID_TEXT = lazy(r"(?i)request[-_]?id|correlation[-_]?id|trace[-_]?id")
ID_GEN = lazy(r"\buuid\d?\(|uuid\.uuid|token_hex|token_urlsafe|\bulid|nanoid|shortuuid")
RID_PACKAGES = (
    "flask_request_id",
    "flask_log_request_id",
    "request_id",
    "asgi_correlation_id",
    "opentelemetry",
    "ddtrace",
    "elasticapm",
    "correlation_id",
)


_AST = ast.AST
_CTX = ast.expr_context


def iter_nodes(node):
    """ast.walk, depth-first and about twice as fast (no iter_fields/iter_child_nodes generators)."""
    stack = [node]
    pop, push = stack.pop, stack.append
    while stack:
        n = pop()
        yield n
        for name in n._fields:
            v = getattr(n, name, None)
            if v.__class__ is list:
                for x in v:
                    if isinstance(x, _AST):
                        push(x)
            elif isinstance(v, _AST) and not isinstance(v, _CTX):
                push(v)


class _ClassInfo:
    def __init__(self, node: ast.ClassDef, module: Module):
        self.node, self.module = node, module
        self.bases = [last(dotted(b)) for b in node.bases]
        self.methods: dict[str, list[ast.expr]] = {}
        self.decorators: list[ast.expr] = []  # class attribute `decorators = [...]`
        self.method_decorators: list[ast.expr] = []  # flask-restful `method_decorators`
        # class attribute `methods = ["GET", "POST"]` (View / GraphQLView with only dispatch_request)
        self.methods_attr: set[str] | None = None
        for n in node.body:
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "methods" for t in n.targets):
                value = evaluate(n.value, module.constants)
                if isinstance(value, (list, tuple, set)):
                    self.methods_attr = {str(v).upper() for v in value if isinstance(v, str)}


class Extractor:
    def __init__(self, project: Project, module: Module, src):
        self.p = project
        self.m = module
        self.src = src
        self.limiter_like: set[str] = project.limiter_names
        cfg = project.config
        self.custom_rate = {d.strip() for d in cfg.rate_limit_decorators}
        self.guards: list[str] = []  # config flags of the enclosing `if app.config["X"]:` blocks
        self.local_imports: dict[str, str] = {}  # imports inside the function being walked, so far
        self.current_dev = False  # the statement being handled sits in a development-only branch
        self.log_aliases: set[str] = set()  # log_method = access_log.info
        self._handled: set[int] = set()
        self.dynamic_headers = False

    # ---- helpers --------------------------------------------------------------------------------
    def resolve(self, name: str | None) -> str:
        if not name:
            return ""
        head, _, rest = name.partition(".")
        origin = self.local_imports.get(head) or self.m.imports.get(head)
        if origin:
            return origin + ("." + rest if rest else "")
        return name

    def target_id(self, node) -> str:
        """'module.path:name' for a name passed to limiter.limit(...)(x) / limiter.exempt(x)."""
        name = dotted(node) or ""
        origin = self.resolve(name)
        if origin != name and "." in origin:
            mod, _, attr = origin.rpartition(".")
            return f"{mod.lstrip('.')}:{attr}"
        if "." in name:
            return f":{last(name)}"
        return f"{_modname(self.m.rel)}:{name}"

    def fact(self, kind, node, func=None, module_level=False, target=None, owner=None, dev=False) -> Fact:
        fact = Fact(
            kind,
            self.m,
            node,
            getattr(node, "lineno", 1),
            getattr(node, "col_offset", 0) + 1,
            func,
            module_level,
            target,
            owner,
            dev,
        )
        if self.guards:
            fact.guard = self.guards[-1]
        return fact

    def is_library(self, resolved: str, name: str, module: str) -> bool:
        """``name`` is the library's class: imported from it, or not imported at all (star import, snippet).
        LibreTranslate's ``from .no_limiter import Limiter`` is a no-op stub, not Flask-Limiter."""
        head = name.split(".")[0]
        return resolved.startswith(module) or (
            resolved == name and head not in self.m.imports and head not in self.local_imports
        )

    def is_rate_decorator(self, dec: ast.expr, plain_call: bool = False) -> str | None:
        """'limit' | 'exempt' | None. A plain call (not applied as a decorator) counts only when it is a
        limiter's: ``self._check_cpu_and_dirty_rate_limit()`` or ``RateLimitErrorRetryHandler()`` limit nothing."""
        node = dec.func if isinstance(dec, ast.Call) else dec
        name = dotted(node) or ""
        resolved = self.resolve(name)
        tail = last(name)
        recv = name.rsplit(".", 1)[0] if "." in name else ""
        limiter_recv = recv and (last(recv) in self.limiter_like or "limiter" in recv.lower())
        if tail == "exempt" and limiter_recv:
            return "exempt"
        if tail in ("limit", "shared_limit") and (limiter_recv or resolved.startswith("flask_limiter")):
            return "limit"
        if name in self.custom_rate or tail in self.custom_rate or (not plain_call and RATE_NAME.search(tail or "")):
            return "limit"
        if not plain_call and tail in ("limit", "shared_limit") and isinstance(dec, ast.Call) and dec.args:
            rate = str_const(dec.args[0]) or ""
            if RATE_STRING.search(rate):  # OctoPrint's @limit("3/minute;10/hour"), a wrapper of limiter.limit
                return "limit"
        return None

    # ---- statements -----------------------------------------------------------------------------
    def run(self, body):
        self.walk(body, func=None, cls=None, dev=False, loops={})

    def walk(self, body, func, cls, dev, loops):
        for stmt in body:
            self.stmt(stmt, func, cls, dev, loops)

    def stmt(self, s, func, cls, dev, loops):
        self.current_dev = dev
        if isinstance(s, ast.ClassDef):
            self.class_def(s, func, dev)
            return
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.function_def(s, func, cls, dev)
            return
        if isinstance(s, ast.If):
            test_src = self._text(s.test)
            is_dev = bool(DEV_TEST.search(test_src))
            self.scan_expr(s.test, func, cls, dev, loops, s)
            guard = _config_flag(s.test)
            if guard:
                self.guards.append(guard)
            try:
                self.walk(s.body, func, cls, dev or is_dev, loops)
            finally:
                if guard:
                    self.guards.pop()
            self.walk(s.orelse, func, cls, dev, loops)
            return
        if isinstance(s, (ast.For, ast.AsyncFor)):
            inner = dict(loops)
            it = s.iter
            src_node = None
            if isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr == "items":
                src_node = it.func.value
            elif isinstance(it, (ast.Name, ast.Attribute)):
                src_node = it
            if src_node is not None:
                if isinstance(s.target, ast.Tuple) and len(s.target.elts) == 2:
                    k, v = s.target.elts
                    if isinstance(k, ast.Name):
                        inner[k.id] = ("keys", src_node)
                    if isinstance(v, ast.Name):
                        inner[v.id] = ("values", src_node)
                elif isinstance(s.target, ast.Name):
                    inner[s.target.id] = ("keys", src_node)
            self.scan_expr(s.iter, func, cls, dev, loops, s)
            self.walk(s.body, func, cls, dev, inner)
            self.walk(s.orelse, func, cls, dev, loops)
            return
        if isinstance(s, (ast.While,)):
            self.scan_expr(s.test, func, cls, dev, loops, s)
            self.walk(s.body, func, cls, dev, loops)
            self.walk(s.orelse, func, cls, dev, loops)
            return
        if isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                self.scan_expr(item.context_expr, func, cls, dev, loops, s)
            self.walk(s.body, func, cls, dev, loops)
            return
        if isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            self.walk(s.body, func, cls, dev, loops)
            for h in s.handlers:
                self.walk(h.body, func, cls, dev, loops)
            self.walk(s.orelse, func, cls, dev, loops)
            self.walk(s.finalbody, func, cls, dev, loops)
            return
        if type(s).__name__ == "Match":
            self.scan_expr(s.subject, func, cls, dev, loops, s)
            for case in s.cases:
                self.walk(case.body, func, cls, dev, loops)
            return
        if isinstance(s, ast.Return) and isinstance(s.value, ast.Tuple) and any(_is_429(e) for e in s.value.elts):
            self.p.rate_limit_evidence.append(self.fact("429", s, func=func))  # return body, 429
        if isinstance(s, ast.ImportFrom) and func is not None:
            for a in s.names:
                self.m.imports.setdefault(a.asname or a.name, imported_name(s, a))
                # in source order within the function: LibreTranslate imports flask_limiter.Limiter in one
                # branch and a no-op stub Limiter in the other
                self.local_imports[a.asname or a.name] = imported_name(s, a)
        if isinstance(s, (ast.Assign, ast.AnnAssign)):
            self.assign(s, func, cls, dev, loops)
        if isinstance(s, ast.Delete):
            for t in s.targets:
                if isinstance(t, ast.Subscript) and last(dotted(t.value)) == "headers":
                    name = str_const(self._slice(t))
                    if name:
                        self.p.header_ops.append(HeaderOp(self.m, s.lineno, s.col_offset + 1, "del", name, func=func))
        self.scan_expr(s, func, cls, dev, loops, s)

    def _slice(self, sub: ast.Subscript):
        sl = sub.slice
        if type(sl).__name__ == "Index":  # pragma: no cover (3.8)
            sl = sl.value  # type: ignore[attr-defined]
        return sl

    def _text(self, node) -> str:
        """The source lines spanned by ``node`` (whole lines: cheap, and enough for keyword tests)."""
        try:
            end = getattr(node, "end_lineno", None) or node.lineno
            return "".join(self.src.lines[node.lineno - 1 : end])
        except (AttributeError, TypeError):
            return ""

    # ---- definitions ----------------------------------------------------------------------------
    def class_def(self, c: ast.ClassDef, func, dev):
        info = _ClassInfo(c, self.m)
        self.p._classes.setdefault(c.name, []).append(info)  # type: ignore[attr-defined]
        bases_full = [self.resolve(dotted(b)) for b in c.bases]
        if any(b in ("flask.Flask", "Flask") or b in self.p.flask_subclasses for b in bases_full):
            self.p.flask_subclasses.add(c.name)  # class CKANFlask(Flask): CKANFlask(__name__) builds the app
        # Werkzeug / http.server handler that stops announcing itself
        defined = {n.name for n in c.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        assigned = {t.id for n in c.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
        if any(b.endswith("RequestHandler") for b in bases_full) and (
            defined & {"send_response", "version_string"} or assigned & {"server_version", "sys_version"}
        ):
            self.p.server_header_suppression.append(self.fact("werkzeug-handler", c))
        # config class?
        upper_assigns = [n for n in c.body if isinstance(n, (ast.Assign, ast.AnnAssign))]
        is_cfg = CONFIG_CLASS.search(c.name) or any(
            isinstance(t, ast.Name) and UPPER.match(t.id)
            for n in upper_assigns
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
        )
        if is_cfg and not c.name.endswith(("View", "Resource", "Handler")):
            cc = ConfigClass(c.name, info.bases, self.m, c.lineno)
            for n in c.body:
                targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AnnAssign) else []
                value = getattr(n, "value", None)
                for t in targets:
                    if isinstance(t, ast.Name) and UPPER.match(t.id) and value is not None:
                        cc.assigns[t.id] = ConfigAssign(
                            t.id,
                            evaluate(value, self.m.constants),
                            self.m,
                            n.lineno,
                            n.col_offset + 1,
                            f"class:{c.name}",
                        )
                if isinstance(n, ast.FunctionDef) and UPPER.match(n.name):
                    cc.assigns[n.name] = ConfigAssign(
                        n.name, UNKNOWN, self.m, n.lineno, n.col_offset + 1, f"class:{c.name}"
                    )
                elif isinstance(n, ast.FunctionDef):
                    # values set on the instance (e.g. read from the environment in __init__)
                    local: dict = {}
                    for sub in ast.walk(n):
                        if isinstance(sub, ast.Assign):
                            for t in sub.targets:
                                if isinstance(t, ast.Name):
                                    local[t.id] = sub.value
                                if (
                                    isinstance(t, ast.Attribute)
                                    and isinstance(t.value, ast.Name)
                                    and t.value.id == "self"
                                    and UPPER.match(t.attr)
                                ):
                                    cc.assigns[t.attr] = ConfigAssign(
                                        t.attr,
                                        evaluate(sub.value, self.m.constants, local),
                                        self.m,
                                        sub.lineno,
                                        sub.col_offset + 1,
                                        f"class:{c.name}",
                                    )
            self.p.config_classes.setdefault(c.name, []).append(cc)
        # class-based view facts
        for n in c.body:
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Name) and t.id == "decorators" and isinstance(n.value, (ast.List, ast.Tuple)):
                        info.decorators.extend(n.value.elts)
                    if isinstance(t, ast.Name) and t.id == "method_decorators":
                        if isinstance(n.value, (ast.List, ast.Tuple)):
                            info.method_decorators.extend(n.value.elts)
                        elif isinstance(n.value, ast.Dict):
                            for v in n.value.values:
                                info.method_decorators.extend(v.elts if isinstance(v, (ast.List, ast.Tuple)) else [v])
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
                info.methods[n.name] = n.decorator_list
        for dec in c.decorator_list:
            self.route_decorator(dec, c, class_based=True)
            self.scan_expr(dec, func, None, dev, {}, c)
        for base in c.bases:
            self.scan_expr(base, func, None, dev, {}, c)
        self.walk(c.body, func, c, dev, {})

    def function_def(self, f, outer, cls, dev):
        module_level = outer is None and cls is None
        self.p._funcs.setdefault(f.name, []).append((self.m, f))  # type: ignore[attr-defined]
        limited = exempt = False
        for dec in f.decorator_list:
            kind = self.is_rate_decorator(dec)
            if kind == "limit":
                limited = True
                self.p.rate_limit_evidence.append(self.fact("decorator", dec, func=f))
            elif kind == "exempt":
                exempt = True
            dname = dotted(dec.func if isinstance(dec, ast.Call) else dec) or ""
            if last(dname) in HOOKS:
                owner = dname.rsplit(".", 1)[0] if "." in dname else None
                hook = self.fact(last(dname), f, func=f, module_level=module_level, owner=owner, dev=dev)
                self.p.hooks.append(hook)
                if module_level and owner in self.p._module_apps.get(self.m.rel, set()):  # type: ignore
                    self.p.module_setup.append(self.fact(f"@{dname}", dec, module_level=True, owner=owner))
        if cls is None:
            for dec in f.decorator_list:
                r = self.route_decorator(dec, f)
                if r is not None:
                    r.limited, r.exempt = limited, exempt
                    self.p._route_views.append((r, f))  # type: ignore[attr-defined]
        for dec in f.decorator_list:
            self.scan_expr(dec, outer, cls, dev, {}, f)
        for d in f.args.defaults + f.args.kw_defaults:
            if d is not None:
                self.scan_expr(d, outer, cls, dev, {}, f)
        outer_imports = dict(self.local_imports)
        self.walk(f.body, f, None, dev, {})
        self.local_imports = outer_imports

    def route_decorator(self, dec, target, class_based=False) -> Route | None:
        if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
            return None
        attr = dec.func.attr
        owner = dotted(dec.func.value)
        if attr == "route":
            methods = self._methods(kwarg(dec, "methods"), default={"GET"})
        elif attr in ROUTE_VERBS and dec.args and (str_const(dec.args[0]) or "").startswith("/"):
            methods = {ROUTE_VERBS[attr]}
        else:
            return None
        rule = str_const(dec.args[0]) if dec.args else str_const(kwarg(dec, "rule"))
        if class_based:
            methods = None
        r = Route(self.m, dec.lineno, dec.col_offset + 1, rule, methods, target.name, owner, class_based=class_based)
        self.p.routes.append(r)
        if rule:
            self.p.route_paths.append(rule)
        return r

    def _methods(self, node, default):
        if node is None:
            return set(default)
        value = evaluate(node, self.m.constants)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return {v.upper() for v in value}
        return None

    # ---- assignments ----------------------------------------------------------------------------
    def assign(self, s, func, cls, dev, loops):
        targets = s.targets if isinstance(s, ast.Assign) else [s.target]
        value = s.value
        if value is None:
            return
        if _is_log_method(value) or (
            isinstance(value, ast.IfExp) and _is_log_method(value.body) and _is_log_method(value.orelse)
        ):
            self.log_aliases.update(t.id for t in targets if isinstance(t, ast.Name))
        for t in targets:
            # app.config["KEY"] = value
            if isinstance(t, ast.Subscript) and (dotted(t.value) or "").endswith("config"):
                key = str_const(self._slice(t))
                if key is None and func is not None and "environ" in self._text(func):
                    # app.config[name] = value in a loop over the environment: env-driven config
                    self.p.env_config_loading.append(self.fact("config-from-env", s))
                if key:
                    self.p.loose_config.append(
                        ConfigAssign(
                            key,
                            evaluate(value, self.m.constants),
                            self.m,
                            s.lineno,
                            s.col_offset + 1,
                            "loose",
                            dev,
                        )
                    )
            # response.headers["Name"] = value
            if isinstance(t, ast.Subscript) and last(dotted(t.value)) == "headers":
                self.header_op("set", self._slice(t), value, s, func, loops, dotted(t.value))
            # app.wsgi_app = Middleware(app.wsgi_app)
            if isinstance(t, ast.Attribute) and t.attr == "wsgi_app":
                owner = dotted(t.value)
                dispatcher = isinstance(value, ast.Call) and last(dotted(value.func)) == "DispatcherMiddleware"
                # app.wsgi_app = DispatcherMiddleware(Flask("frame"), {...: create_app()}): Flask's documented
                # application-dispatching entry module, not middleware configured on a module-level app
                if func is None and not dispatcher and owner in self.p._module_apps.get(self.m.rel, set()):  # type: ignore
                    self.p.module_setup.append(self.fact("wsgi_app", s, module_level=True, owner=owner))
            # module-level constants in config files
            if func is None and cls is None and isinstance(t, ast.Name) and UPPER.match(t.id) and self.m.is_config_file:
                self.p.loose_config.append(
                    ConfigAssign(
                        t.id,
                        evaluate(value, self.m.constants),
                        self.m,
                        s.lineno,
                        s.col_offset + 1,
                        f"file:{self.m.rel}",
                        dev,
                    )
                )
            # gunicorn: SERVER / SERVER_SOFTWARE / default_headers patches
            tname = dotted(t) or ""
            if tname.endswith(("default_headers", "gunicorn.SERVER", "SERVER_SOFTWARE")) and (
                "gunicorn" in self.src.text
            ):
                self.p.server_header_suppression.append(self.fact("gunicorn-patch", s))
        # remember names bound to interesting calls
        if isinstance(value, ast.Call):
            tname = None
            for t in targets:
                if isinstance(t, (ast.Name, ast.Attribute)):
                    tname = dotted(t)
            self.handle_call(value, func, cls, dev, loops, s, target=tname)
            self._handled.add(id(value))

    # ---- expressions ----------------------------------------------------------------------------
    def scan_expr(self, node, func, cls, dev, loops, stmt):
        for sub in iter_nodes(node):
            if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)) and sub is not node:
                continue
            if isinstance(sub, ast.Call):
                if id(sub) in self._handled:
                    continue
                self._handled.add(id(sub))
                self.handle_call(sub, func, cls, dev, loops, stmt)
            elif isinstance(sub, ast.Subscript) and isinstance(sub.ctx, ast.Load):
                key = self._const_str(self._slice(sub))
                base = dotted(sub.value) or ""
                if key and RID_HEADER.match(key) and reads_request_headers(base):
                    self.p.request_id_reads.append(self.fact("rid", sub, func=func))
            elif isinstance(sub, ast.Name) and sub.id == "render_template":
                self.p.render_template_used = True

    def _const_str(self, node):
        v = evaluate(node, self.m.constants)
        return v if isinstance(v, str) else None

    def header_op(self, op, name_node, value_node, stmt, func, loops, receiver=None):
        line, col = stmt.lineno, stmt.col_offset + 1
        names: list[tuple[str, object]] = []
        # a write through a name not known here, to a response's headers (not a local `headers` dict):
        # kept in case finish() cannot resolve the name either
        if receiver and "." in receiver and not receiver.startswith("request."):
            self.p._computed_header_candidates[(self.m.rel, line)] = self.fact("computed-header", stmt, func=func)
        if isinstance(name_node, ast.Name) and name_node.id in loops:
            which, src_node = loops[name_node.id]
            if which == "keys":
                self.p._deferred_headers.append((self.m, src_node, op, line, col, func))  # type: ignore
                return
        name = self._const_str(name_node)
        if name is None:
            self.dynamic_headers = True
            if not isinstance(name_node, ast.Name):  # headers[element[0]] = ...: not resolvable later either
                _computed_header_write(self.p, self.m, line)
        if name is None and isinstance(name_node, ast.Name):
            self.p._deferred_names.append((self.m, name_node.id, op, value_node, line, col, func))  # type: ignore
            return
        if name is None:
            return
        value = evaluate(value_node, self.m.constants) if value_node is not None else None
        names.append((name, value))
        for n, v in names:
            op_fact = HeaderOp(self.m, line, col, op, n, v, value_node, func, self._origin_guarded(stmt, func))
            op_fact.in_dev_branch = self.current_dev
            self.p.header_ops.append(op_fact)

    def _origin_guarded(self, stmt, func) -> bool:
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

    def handle_call(self, call: ast.Call, func, cls, dev, loops, stmt, target=None):
        name = call_name(call)
        resolved = self.resolve(name)
        # the class's own name, also under an alias (invenio: `from flask_talisman import Talisman as TalismanClass`)
        tail = last(resolved) if resolved != name and "." in resolved else last(name)
        module_level = func is None and cls is None
        m_apps = self.p._module_apps.setdefault(self.m.rel, set())  # type: ignore[attr-defined]
        first = dotted(call.args[0]) if call.args else None

        if (tail == "Flask" and (resolved.startswith("flask") or name == "Flask")) or tail in self.p.flask_subclasses:
            self.p.app_sites.append(self.fact("Flask", call, func=func, module_level=module_level, target=target))
            if module_level and target:
                m_apps.add(target)
            return
        if tail == "CORS" and self.is_library(resolved, name, "flask_cors"):
            app_arg = first or dotted(kwarg(call, "app"))
            self.p.cors_calls.append(
                self.fact("CORS", call, func=func, module_level=module_level, target=target, owner=app_arg, dev=dev)
            )
            if module_level and app_arg in m_apps:
                self.p.module_setup.append(self.fact("CORS", call, module_level=True, owner=app_arg))
            return
        if tail == "cross_origin" and self.is_library(resolved, name, "flask_cors"):
            self.p.cors_calls.append(self.fact("cross_origin", call, func=func, dev=dev))
            return
        if kwarg(call, "key_func") is not None and tail in ("Limiter", "limit", "shared_limit"):
            self.p.rate_key_funcs.append((kwarg(call, "key_func"), self.fact("key_func", call, func=func)))
        elif tail == "Limiter" and call.args and isinstance(call.args[0], (ast.Lambda, ast.Name, ast.Attribute)):
            # Limiter(key_func, ...) in Flask-Limiter >= 3, Limiter(app, ...) before: the rule tells them apart
            self.p.rate_key_funcs.append((call.args[0], self.fact("key_func", call, func=func)))
        if tail == "Limiter" and self.is_library(resolved, name, "flask_limiter"):
            self.p.limiter_calls.append(
                self.fact("Limiter", call, func=func, module_level=module_level, target=target, dev=dev)
            )
            self.p.rate_limit_evidence.append(self.fact("Limiter", call))
            if target:
                self.p.limiter_names.add(last(target))
            app_arg = dotted(kwarg(call, "app")) or (dotted(call.args[1]) if len(call.args) > 1 else None)
            if module_level and app_arg in m_apps:
                self.p.module_setup.append(self.fact("Limiter", call, module_level=True, owner=app_arg))
            return
        if tail == "Talisman" and (
            self.is_library(resolved, name, "flask_talisman") or resolved.startswith("talisman")
        ):
            self.p.header_libs.append(self.fact("talisman", call, func=func, target=target, owner=first))
            if module_level and first in m_apps:
                self.p.module_setup.append(self.fact("Talisman", call, module_level=True, owner=first))
            return
        if tail == "SSLify" and self.is_library(resolved, name, "flask_sslify"):
            self.p.header_libs.append(self.fact("sslify", call, func=func, owner=first))  # sends HSTS only
            return
        if resolved.startswith("secure.") or resolved in ("secure", "secure.Secure"):
            self.p.header_libs.append(self.fact("secure", call, func=func))
        if tail == "init_app" and isinstance(call.func, ast.Attribute):
            receiver = dotted(call.func.value)
            if receiver:
                self.p._init_app_calls.append((receiver, self.fact("init_app", call, func=func, dev=dev)))  # type: ignore
        if tail == "init_app" and module_level and call.args and dotted(call.args[0]) in m_apps:
            self.p.module_setup.append(self.fact("init_app", call, module_level=True, owner=first))
        # limiter.limit("...")(target) / limiter.exempt(target)
        if isinstance(call.func, ast.Call):
            kind = self.is_rate_decorator(call.func)
            if kind == "limit":
                self.p.rate_limit_evidence.append(self.fact("limit-call", call))
                for a in call.args:
                    if dotted(a):
                        self.p.limited_targets.add(self.target_id(a))
        kind = self.is_rate_decorator(call, plain_call=True)
        if kind == "exempt" and call.args:
            for a in call.args:
                if dotted(a):
                    self.p.exempt_targets.add(self.target_id(a))
        elif kind == "limit":
            self.p.rate_limit_evidence.append(self.fact("limit", call))
        if (
            (tail == "abort" and call.args and _is_429(call.args[0]))
            or (tail == "TooManyRequests" and (resolved.startswith("werkzeug") or resolved == name))
            or (tail in ("Response", "make_response") and any(_is_429(a) for a in [*call.args, kwarg(call, "status")]))
        ):
            self.p.rate_limit_evidence.append(self.fact("429", call, func=func))  # a hand-made limiter
        if tail == "add_url_rule":
            self.url_rule(call, first)
        elif tail == "add_resource" and call.args:
            cls_name = last(dotted(call.args[0]))
            for a in call.args[1:]:
                rule = str_const(a)
                if rule is None and isinstance(a, ast.Call) and a.args:
                    rule = str_const(a.args[0])  # tasking-manager: format_url("users/actions/register/")
                    if rule and not rule.startswith("/"):
                        rule = "/" + rule
                if rule:
                    self.p.route_paths.append(rule)
                    self.p.routes.append(
                        Route(
                            self.m,
                            call.lineno,
                            call.col_offset + 1,
                            rule,
                            None,
                            cls_name,
                            dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None,
                            class_based=True,
                        )
                    )
        elif tail == "register_blueprint" and call.args:
            prefix = str_const(kwarg(call, "url_prefix"))
            bp = dotted(call.args[0])
            if prefix is not None and bp:
                self.p.blueprint_prefixes[last(bp)] = prefix
                self.p._blueprint_registrations.append((self.m, bp, prefix))  # type: ignore[attr-defined]
        elif tail == "Blueprint" and target:
            prefix = str_const(kwarg(call, "url_prefix"))
            if prefix is not None:
                self.p.blueprint_prefixes.setdefault(last(target), prefix)
            self.p.blueprint_url_prefixes.setdefault((self.m.rel, last(target)), prefix or "")
        elif tail in HOOKS and call.args and isinstance(call.func, ast.Attribute):
            owner = dotted(call.func.value)
            fn = dotted(call.args[0])
            self.p.hooks.append(self.fact(tail, call, func=None, owner=owner, target=fn))
            if module_level and owner in m_apps:
                self.p.module_setup.append(self.fact(f"{owner}.{tail}", call, module_level=True, owner=owner))
        elif tail in ("from_envvar", "from_prefixed_env") or (tail == "from_file" and "environ" in self._text(call)):
            self.p.env_config_loading.append(self.fact(tail, call))
        elif tail in ("from_mapping", "update", "setdefault") and (dotted(call.func) or "").rsplit(".", 1)[0].endswith(
            "config"
        ):
            self.mapping_config(call, dev)
        elif tail == "from_pyfile" and call.args:
            fname = str_const(call.args[0])
            if fname:
                self.p._pyfiles.add(os.path.basename(fname))  # type: ignore[attr-defined]
        # headers.<method>(...)
        if (
            isinstance(call.func, ast.Attribute)
            and tail in HEADER_METHODS
            and last(dotted(call.func.value)) == "headers"
        ):
            self.header_call(call, tail, stmt, func, loops)
        if tail in LOG_METHODS and isinstance(call.func, ast.Attribute):
            recv = (dotted(call.func.value) or "").lower()
            if "log" in recv or recv in ("structlog",):
                self.p.log_calls.append(self.fact("log", call, func=func))
        elif isinstance(call.func, ast.Name) and call.func.id in self.log_aliases:
            self.p.log_calls.append(self.fact("log", call, func=func))  # log_method = access_log.info
        if tail == "get" and call.args and isinstance(call.func, ast.Attribute):
            base = dotted(call.func.value) or ""
            key = self._const_str(call.args[0])
            if key and RID_HEADER.match(key) and reads_request_headers(base):
                self.p.request_id_reads.append(self.fact("rid", call, func=func))

    def header_call(self, call, method, stmt, func, loops):
        if method in ("update", "extend") and call.args:
            value = evaluate(call.args[0], self.m.constants)
            if isinstance(value, dict):
                for k, v in value.items():
                    if isinstance(k, str):
                        self.p.header_ops.append(
                            HeaderOp(self.m, call.lineno, call.col_offset + 1, "set", k, v, None, func)
                        )
            else:
                self.dynamic_headers = True
            if not isinstance(value, dict) and isinstance(call.args[0], ast.Name):
                self.p._deferred_headers.append(
                    (
                        self.m,
                        call.args[0],
                        "set",
                        call.lineno,  # type: ignore
                        call.col_offset + 1,
                        func,
                    )
                )
            return
        if not call.args:
            return
        value = call.args[1] if len(call.args) > 1 else None
        op = {"__setitem__": "set", "add_header": "add"}.get(method, method)
        self.header_op(op, call.args[0], value, call, func, loops, dotted(call.func.value))

    def url_rule(self, call, owner_first):
        rule = str_const(call.args[0]) if call.args else str_const(kwarg(call, "rule"))
        view = kwarg(call, "view_func")
        if view is None and len(call.args) > 2:
            view = call.args[2]
        methods = self._methods(kwarg(call, "methods"), default={"GET"})
        name, class_based, limited = None, False, False
        if isinstance(view, ast.Call):
            if isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
                name, class_based = last(dotted(view.func.value)), True
                methods = None if kwarg(call, "methods") is None else methods
            elif isinstance(view.func, ast.Call) and self.is_rate_decorator(view.func) == "limit":
                limited = True
                inner = view.args[0] if view.args else None
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Attribute)
                    and inner.func.attr == "as_view"
                ):
                    name, class_based = last(dotted(inner.func.value)), True
                else:
                    name = last(dotted(inner))
        elif view is not None:
            name = last(dotted(view))
        if name is None:
            name = str_const(call.args[1]) if len(call.args) > 1 else "?"
        owner = dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
        r = Route(
            self.m,
            call.lineno,
            call.col_offset + 1,
            rule,
            methods,
            name or "?",
            owner,
            limited=limited,
            class_based=class_based,
        )
        self.p.routes.append(r)
        if rule:
            self.p.route_paths.append(rule)

    def mapping_config(self, call, dev):
        items = []
        for a in call.args:
            v = evaluate(a, self.m.constants)
            if isinstance(v, dict):
                items.extend((k, v2) for k, v2 in v.items() if isinstance(k, str))
        if last(call_name(call)) == "setdefault" and len(call.args) == 2 and str_const(call.args[0]):
            items = [(call.args[0].value, evaluate(call.args[1], self.m.constants))]
        for kw in call.keywords:
            if kw.arg:
                items.append((kw.arg, evaluate(kw.value, self.m.constants)))
        for k, v in items:
            if UPPER.match(k):
                self.p.loose_config.append(ConfigAssign(k, v, self.m, call.lineno, call.col_offset + 1, "loose", dev))


def _modname(rel: str) -> str:
    mod = rel[:-3] if rel.endswith(".py") else rel
    mod = mod.replace("/", ".")
    return mod[: -len(".__init__")] if mod.endswith(".__init__") else mod


def _targets_match(targets: set[str], module: Module, name: str | None) -> bool:
    if not name:
        return False
    name = last(name)
    here = _modname(module.rel)
    for t in targets:
        mod, _, attr = t.rpartition(":")
        if attr != name:
            continue
        if (
            not mod
            or here == mod
            or here.endswith("." + mod)
            or mod.endswith("." + here)
            or ("." not in here and mod.rsplit(".", 1)[-1] == here)
        ):
            return True
    return False


# ---- module entry points -------------------------------------------------------------------------
def _is_429(node) -> bool:
    """429, or a (body, 429) tuple as make_response takes it."""
    if isinstance(node, ast.Tuple):
        return any(_is_429(e) for e in node.elts)
    return isinstance(node, ast.Constant) and node.value == 429 and type(node.value) is int


def imported_name(node: ast.ImportFrom, alias: ast.alias) -> str:
    """What ``from <node> import <alias>`` binds: "flask_cors.CORS", ".auth.bp", ".auth" (from . import auth)."""
    module = node.module + "." if node.module else ""
    return "." * (node.level or 0) + module + alias.name


def _init_private(project: Project):
    if not hasattr(project, "_classes"):
        project._classes = {}  # type: ignore[attr-defined]
        project._module_apps = {}  # type: ignore[attr-defined]
        project._deferred_headers = []  # type: ignore[attr-defined]
        project._deferred_names = []  # type: ignore[attr-defined]
        project._pyfiles = set()  # type: ignore[attr-defined]
        project._constants = {}  # type: ignore[attr-defined]
        project._texts = []  # type: ignore[attr-defined]
        project._funcs = {}  # type: ignore[attr-defined]
        project._blueprint_registrations = []  # type: ignore[attr-defined]
        project._init_app_calls = []  # type: ignore[attr-defined]
        project._computed_header_candidates = {}  # type: ignore[attr-defined]
        project._route_views = []  # type: ignore[attr-defined]


def extract_module(project: Project, src) -> None:
    _init_private(project)
    imports: dict[str, str] = {}
    constants: dict[str, ast.expr] = {}
    for stmt in src.body:
        for node in ast.walk(stmt) if isinstance(stmt, (ast.If, ast.Try)) else [stmt]:
            if isinstance(node, ast.Import):
                for a in node.names:
                    imports[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    imports[a.asname or a.name] = imported_name(node, a)
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    constants[t.id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            constants[stmt.target.id] = stmt.value
    is_flask = any(v == "flask" or v.startswith(("flask.", "flask_")) for v in imports.values()) or bool(
        re.search(r"^\s*(?:from|import)\s+flask\b", src.text, re.M)
    )
    module = Module(src.rel, src.lines, imports, constants, is_flask)
    module.is_config_file = bool(CONFIG_FILE.search(src.rel))
    base = os.path.basename(src.rel)
    for glob in project.config.production_config:
        if ("/" in glob or "*" in glob or glob.endswith((".py", ".cfg"))) and (
            fnmatch.fnmatchcase(src.rel, glob) or fnmatch.fnmatchcase(base, glob)
        ):
            module.is_config_file = True
    project.modules.append(module)
    project.is_flask = project.is_flask or is_flask
    for name, node in constants.items():
        project._constants.setdefault(name, (module, node))  # type: ignore[attr-defined]
    project._texts.append((module, src.text))  # type: ignore[attr-defined]
    if "route" in src.text or "get(" in src.text or "post(" in src.text:
        from .parsing import route_paths

        for owner, path in route_paths(src.text):
            project.text_routes.append((module, owner, path))
    if "render_template" in src.text:
        project.render_template_used = True
    ex = Extractor(project, module, src)
    ex.run(src.body)
    if ex.dynamic_headers:
        _header_tables(project, module, src.body)


KNOWN_HEADERS = SECURITY_HEADERS | {"cache-control", "access-control-allow-origin", "access-control-allow-credentials"}


def _header_tables(project: Project, module: Module, body) -> None:
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
                    project.header_ops.append(
                        HeaderOp(
                            module,
                            getattr(k, "lineno", 1),
                            getattr(k, "col_offset", 0) + 1,
                            "set",
                            name,
                            evaluate(v, module.constants),
                            v,
                            None,
                        )
                    )


def _is_log_method(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in LOG_METHODS and "log" in (dotted(node.value) or "").lower()


def _origin_sent_check(node: ast.Compare) -> bool:
    """``"Origin" in request.headers`` (or ``not in``): whether the header is present, not whether it is allowed."""
    container = dotted(node.comparators[0]) if node.comparators else None
    return (
        len(node.ops) == 1
        and isinstance(node.ops[0], (ast.In, ast.NotIn))
        and isinstance(str_const(node.left), str)
        and (container or "").lower().endswith(("headers", "environ"))
    )


def _computed_header_write(project: Project, module: Module, line: int) -> None:
    fact = project._computed_header_candidates.pop((module.rel, line), None)  # type: ignore[attr-defined]
    if fact is not None:
        project.computed_header_writes.append(fact)


def _config_flag(test) -> str | None:
    """The flag of ``if app.config["ENABLE_CORS"]:`` / ``if config.get("ENABLE_CORS"):``, else None."""
    if isinstance(test, ast.Subscript):
        container, key = test.value, str_const(test.slice)
    elif isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute) and test.func.attr == "get" and test.args:
        container, key = test.func.value, str_const(test.args[0])
    else:
        return None
    return key if key and (dotted(container) or "").lower().endswith("config") else None


def _enforces_limit(fdef) -> str | None:
    """'limiter' if the function asks a limiter (Mailu's should_rate_limit_ip()), '429' if it only answers
    Too Many Requests (abort(429), return ..., 429), else None. Once per function: a decorator serves many
    routes."""
    return cached_on(fdef, "_fmw_enforces_limit", _find_limit_enforcement)


def _find_limit_enforcement(fdef) -> str | None:
    found = None
    for node in ast.walk(fdef):
        if isinstance(node, ast.Call):
            tail = last(dotted(node.func)) or ""
            if RATE_NAME.search(tail):
                return "limiter"
            if tail == "TooManyRequests" or (tail == "abort" and node.args and _is_429(node.args[0])):
                found = "429"
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            if any(_is_429(e) for e in node.value.elts):
                found = "429"
    return found


def _limiting_decorator(project: Project, ex, dec) -> bool:
    """A rate-limit decorator, or a project decorator that enforces a limit (Mailu's api_token_authorization)."""
    if ex.is_rate_decorator(dec) == "limit":
        return True
    name = last(dotted(dec.func if isinstance(dec, ast.Call) else dec))
    return any(_enforces_limit(fdef) for _m, fdef in project._funcs.get(name, []))  # type: ignore[attr-defined]


def _limits_in_views_and_decorators(project: Project) -> None:
    """A route is limited by its own code too: a limiter check or a 429 in the view, or in a project
    decorator on it. Only a limiter call is evidence of rate limiting in the project: a 429 in one view
    may be a quota ("watch limit reached")."""
    funcs = project._funcs  # type: ignore[attr-defined]
    for route, view in project._route_views:  # type: ignore[attr-defined]
        if route.limited or route.exempt:
            continue
        decorators = [last(dotted(d.func if isinstance(d, ast.Call) else d)) for d in view.decorator_list]
        kinds = {_enforces_limit(view)} | {
            _enforces_limit(fdef) for name in decorators for _m, fdef in funcs.get(name, []) if fdef is not view
        }
        if kinds & {"limiter", "429"}:
            route.limited = True
        if "limiter" in kinds:
            project.rate_limit_evidence.append(Fact("in-view", route.module, view, route.line, route.col, view))


def _bind_cors_init_app(project: Project) -> None:
    """``cors = CORS()`` then ``cors.init_app(app, origins=...)``: flask-cors merges the two, init_app's
    options winning. Each init_app becomes the CORS fact the rules read (at its own location)."""
    calls = project._init_app_calls  # type: ignore[attr-defined]
    for fact in list(project.cors_calls):
        if fact.kind != "CORS" or fact.owner or not fact.target:
            continue
        inits = [f for receiver, f in calls if last(receiver) == last(fact.target)]
        if not inits:
            continue
        project.cors_calls.remove(fact)
        for init in inits:
            call = init.node
            app = dotted(call.args[0]) if call.args else dotted(kwarg(call, "app"))
            if not call.keywords and fact.node.keywords:  # options all in the constructor: keep its location
                bound = Fact(
                    "CORS",
                    fact.module,
                    fact.node,
                    fact.line,
                    fact.col,
                    fact.func,
                    fact.module_level,
                    fact.target,
                    app,
                    fact.in_dev_branch or init.in_dev_branch,
                )
            else:
                merged = ast.Call(func=call.func, args=call.args, keywords=[*fact.node.keywords, *call.keywords])
                ast.copy_location(merged, call)
                bound = Fact(
                    "CORS",
                    init.module,
                    merged,
                    init.line,
                    init.col,
                    init.func,
                    init.module_level,
                    fact.target,
                    app,
                    fact.in_dev_branch or init.in_dev_branch,
                )
            bound.guard = init.guard or fact.guard
            project.cors_calls.append(bound)


def finish(project: Project) -> None:
    """Cross-module resolution once every file has been read."""
    _init_private(project)
    _bind_cors_init_app(project)
    _limits_in_views_and_decorators(project)
    for module, name, prefix in project._blueprint_registrations:  # type: ignore[attr-defined]
        key = project.blueprint_key(module, name)
        if key is not None:
            project.blueprint_url_prefixes[key] = prefix  # register_blueprint(url_prefix=) wins over Blueprint's
    consts = project._constants  # type: ignore[attr-defined]

    def lookup(module: Module, node):
        value = evaluate(node, module.constants)
        if value is UNKNOWN and isinstance(node, ast.Name) and node.id in consts:
            other, n = consts[node.id]
            value = evaluate(n, other.constants)
        return value

    for module, src_node, op, line, col, func in project._deferred_headers:  # type: ignore[attr-defined]
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
                project.header_ops.append(HeaderOp(module, line, col, op, k, v, None, func))
        if not pairs:
            _computed_header_write(project, module, line)  # searxng: names from settings.yml
    for module, name, op, value_node, line, col, func in project._deferred_names:  # type: ignore[attr-defined]
        value = lookup(module, ast.Name(id=name, ctx=ast.Load()))
        if isinstance(value, str):
            v = lookup(module, value_node) if value_node is not None else None
            project.header_ops.append(HeaderOp(module, line, col, op, value, v, value_node, func))
        else:
            _computed_header_write(project, module, line)  # pgAdmin: names are config values
    # from_pyfile targets are config files too
    pyfiles = project._pyfiles  # type: ignore[attr-defined]
    texts = project._texts  # type: ignore[attr-defined]
    for module, text in texts:
        # a request-handling module (privacyIDEA's CA certificate "request id" next to token_urlsafe is not)
        handles_requests = module.is_flask or "environ" in text or "contextvar" in text
        # cheapest test first: a case-insensitive alternation over a whole module is slow (~1 ms/1k lines)
        maybe_generates = "uuid" in text or "token_" in text or "ulid" in text or "nanoid" in text
        if handles_requests and maybe_generates and ID_GEN.search(text) and RID_TEXT.search(text):
            project.request_id_evidence.append(Fact("rid-generated", module, None, 1, 1))
        if any(f"import {p}" in text or f"from {p}" in text for p in RID_PACKAGES):
            project.request_id_evidence.append(Fact("rid-package", module, None, 1, 1))
        if "accesslog" in text and "access_log_format" in text:
            # access_log_format = "...", {"access_log_format": ...} or cfg.set(...), maybe over several lines
            at = text.index("access_log_format")
            if re.search(r"%\((?:D|T|L|M)\)s", text[at : at + 600]):
                project.access_log_with_duration = True
        if os.path.basename(module.rel) in pyfiles and not module.is_config_file:
            module.is_config_file = True
            for stmt_name, node in module.constants.items():
                if UPPER.match(stmt_name):
                    project.loose_config.append(
                        ConfigAssign(
                            stmt_name,
                            evaluate(node, module.constants),
                            module,
                            getattr(node, "lineno", 1),
                            1,
                            f"file:{module.rel}",
                        )
                    )
    # resolve class-based routes (MethodView / Resource decorators)
    classes = project._classes  # type: ignore[attr-defined]
    for r in project.routes:
        if not r.class_based:
            if _targets_match(project.limited_targets, r.module, r.name) or _targets_match(
                project.limited_targets, r.module, r.owner
            ):
                r.limited = True
            if _targets_match(project.exempt_targets, r.module, r.name) or _targets_match(
                project.exempt_targets, r.module, r.owner
            ):
                r.exempt = True
            continue
        for info in classes.get(r.name, []):
            ex = Extractor(project, info.module, None)
            methods = {m.upper() for m in info.methods if m in ROUTE_VERBS} or info.methods_attr
            if r.methods is None:
                r.methods = methods or {"GET"}
            decs = list(info.decorators) + list(info.method_decorators)
            if any(ex.is_rate_decorator(d) == "limit" for d in decs):
                r.limited = True
            posts = [info.methods[m] for m in info.methods if m in ("post", "put", "patch")]
            if posts and all(any(_limiting_decorator(project, ex, d) for d in dl + decs) for dl in posts):
                r.limited = True
            if any(ex.is_rate_decorator(d) == "exempt" for d in decs):
                r.exempt = True
        if _targets_match(project.limited_targets, r.module, r.name) or _targets_match(
            project.limited_targets, r.module, r.owner
        ):
            r.limited = True


# ---- non-Python files ----------------------------------------------------------------------------
_REQ_LINE = lazy(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*((?:[<>=!~]=?|===)[^;#]*)?")
_QUOTED_REQ = lazy(r"""["']\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*((?:[<>=!~]=?)[^"';]*)["';]""")
_POETRY_DEP = lazy(
    r"""^\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\s*=\s*(?:["']([^"']*)["']|\{[^}]*?version\s*=\s*["']([^"']*)["'])"""
)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def extract_requirements(project: Project, full: str, rel: str) -> None:
    with open(full, encoding="utf-8", errors="replace") as fh:
        text = fh.read(2 * 1024 * 1024)
    base = os.path.basename(rel)
    lines = text.splitlines()
    if base == "Pipfile.lock":
        import json  # only here: a text-format run then never imports json

        data = json.loads(text)
        for section in ("default", "develop"):
            for name, info in (data.get(section) or {}).items():
                version = info.get("version") if isinstance(info, dict) else None
                if isinstance(version, str):
                    line = next((i + 1 for i, ln in enumerate(lines) if f'"{name}"' in ln), 1)
                    project.requirements.append(Requirement(_norm(name), version, rel, line, "lock"))
        return
    if base in ("poetry.lock", "uv.lock"):  # [[package]] name = "..." / version = "..." in both
        name = None
        for i, ln in enumerate(lines):
            m = re.match(r'^name\s*=\s*"([^"]+)"', ln)
            if m:
                name = m.group(1)
            m = re.match(r'^version\s*=\s*"([^"]+)"', ln)
            if m and name:
                project.requirements.append(Requirement(_norm(name), "==" + m.group(1), rel, i + 1, "lock"))
                name = None
        return
    section = ""
    for i, ln in enumerate(lines):
        stripped = ln.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]").strip().lower()
            continue
        if base in ("pyproject.toml", "Pipfile", "setup.py", "setup.cfg"):
            if base == "Pipfile" or ("poetry" in section and "dependencies" in section):
                m = _POETRY_DEP.match(ln)
                if m and m.group(1).lower() != "python":
                    spec = m.group(2) if m.group(2) is not None else m.group(3)
                    project.requirements.append(
                        Requirement(
                            _norm(m.group(1)),
                            spec or "",
                            rel,
                            i + 1,
                            "pipfile" if base == "Pipfile" else "poetry",
                        )
                    )
                    continue
            if base == "setup.cfg":
                m = _REQ_LINE.match(ln)
                if ln.startswith((" ", "\t")) and m and m.group(2):
                    project.requirements.append(Requirement(_norm(m.group(1)), m.group(2).strip(), rel, i + 1))
                continue
            for m in _QUOTED_REQ.finditer(ln):
                project.requirements.append(Requirement(_norm(m.group(1)), m.group(2).strip(), rel, i + 1))
            continue
        if stripped.startswith(("#", "-")) or not stripped:
            continue
        m = _REQ_LINE.match(stripped)
        if m:
            project.requirements.append(Requirement(_norm(m.group(1)), (m.group(2) or "").strip(), rel, i + 1))


_NGINX_HEADER = lazy(r"""^\s*(?:add_header|more_set_headers)\s+["']?([A-Za-z0-9-]+)["']?:?\s*["']?([^;"']*)""")
_APACHE_HEADER = lazy(
    r"""^\s*Header\s+(?:always\s+)?(?:set|append|add|merge|setifempty)\s+([A-Za-z0-9-]+)\s+["']?([^"'\n]*)""",
    re.I,
)


def extract_server_conf(project: Project, full: str, rel: str) -> None:
    with open(full, encoding="utf-8", errors="replace") as fh:
        text = fh.read(2 * 1024 * 1024)
    kind = (
        "nginx"
        if re.search(r"\b(server_tokens|add_header|proxy_pass|location\s)", text)
        else ("apache" if re.search(r"(?i)<VirtualHost|ServerTokens|^\s*Header\s", text, re.M) else "unknown")
    )
    conf = ServerConf(rel, kind)
    for i, ln in enumerate(text.splitlines(), 1):
        if ln.strip().startswith("#"):
            continue
        for rx in (_NGINX_HEADER, _APACHE_HEADER):
            m = rx.match(ln)
            if m:
                conf.headers.setdefault(m.group(1).lower(), (m.group(2).strip(), i))
        low = ln.strip().lower()
        if re.match(r"server_tokens\s+off", low):
            conf.features["server_tokens_off"] = i
        if re.match(
            r"(proxy_hide_header\s+server|more_clear_headers\s+['\"]?server|header\s+(always\s+)?unset\s+server)",
            low,
        ):
            conf.features["hide_server"] = i
        if re.match(r"servertokens\s+prod", low):
            conf.features["apache_tokens_prod"] = i
    project.server_confs.append(conf)
    if conf.features.get("apache_tokens_prod") or (
        conf.features.get("server_tokens_off") and conf.features.get("hide_server")
    ):
        project.server_header_suppression.append((rel, min(conf.features.values())))
