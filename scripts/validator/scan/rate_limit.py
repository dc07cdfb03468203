"""Rate limiting: Flask-Limiter instances, limit and exempt decorators (also wrapped around views and applied
to class-based views), key functions, and home-made limiters (a hook or helper answering 429).

Once every module is read, ``finish`` decides which routes carry a limit of their own: a limit decorator, a
``limiter.limit(...)(view)`` call, a limiter check or a 429 inside the view or a project decorator on it.
"""

from __future__ import annotations

import ast

from ..astutil import cached_on, dotted, kwarg, last, str_const
from ..lazyre import lazy
from ..model import Fact, KeyFunc
from .app_factory import record_module_setup
from .walk import ModuleContext, Scanner

RATE_NAME = lazy(r"(?i)rate_?limit|throttl")
RATE_STRING = lazy(r"(?i)^\s*\d+\s*(?:/|per\s)\s*\d*\s*(?:second|minute|hour|day|month|year|s|m|h|d)")
# Request headers any client can set: a proxy may append to them (X-Forwarded-For keeps the client's value
# first) or overwrite them, but an app reachable without that proxy gets whatever the client sent.
SPOOFABLE_HEADERS = {
    "x-forwarded-for",
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "x-cluster-client-ip",
    "forwarded",
}


def is_rate_decorator(ctx: ModuleContext, dec: ast.expr, plain_call: bool = False) -> str | None:
    """'limit' | 'exempt' | None. A plain call (not applied as a decorator) counts only when it is a
    limiter's: ``self._check_cpu_and_dirty_rate_limit()`` or ``RateLimitErrorRetryHandler()`` limit nothing."""
    node = dec.func if isinstance(dec, ast.Call) else dec
    name = dotted(node) or ""
    resolved = ctx.resolve(name)
    tail = last(name)
    recv = name.rsplit(".", 1)[0] if "." in name else ""
    limiter_recv = recv and (last(recv) in ctx.project.limiter_names or "limiter" in recv.lower())
    if tail == "exempt" and limiter_recv:
        return "exempt"
    if tail in ("limit", "shared_limit") and (limiter_recv or resolved.startswith("flask_limiter")):
        return "limit"
    custom = ctx.project.rate_decorator_names
    if name in custom or tail in custom or (not plain_call and RATE_NAME.search(tail or "")):
        return "limit"
    if not plain_call and tail in ("limit", "shared_limit") and isinstance(dec, ast.Call) and dec.args:
        rate = str_const(dec.args[0]) or ""
        if RATE_STRING.search(rate):  # OctoPrint's @limit("3/minute;10/hour"), a wrapper of limiter.limit
            return "limit"
    return None


def is_429(node) -> bool:
    """429, or a (body, 429) tuple as make_response takes it."""
    if isinstance(node, ast.Tuple):
        return any(is_429(e) for e in node.elts)
    return isinstance(node, ast.Constant) and node.value == 429 and type(node.value) is int


def _modname(rel: str) -> str:
    mod = rel[:-3] if rel.endswith(".py") else rel
    mod = mod.replace("/", ".")
    return mod[: -len(".__init__")] if mod.endswith(".__init__") else mod


def target_id(ctx: ModuleContext, node) -> str:
    """'module.path:name' for a name passed to limiter.limit(...)(x) / limiter.exempt(x)."""
    name = dotted(node) or ""
    origin = ctx.resolve(name)
    if origin != name and "." in origin:
        mod, _, attr = origin.rpartition(".")
        return f"{mod.lstrip('.')}:{attr}"
    if "." in name:
        return f":{last(name)}"
    return f"{_modname(ctx.module.rel)}:{name}"


def _targets_match(targets: set[str], module, name: str | None) -> bool:
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


class RateLimitScanner(Scanner):
    def __init__(self, project):
        super().__init__(project)
        self.view_flags: dict[ast.AST, tuple[bool, bool]] = {}  # view function -> (limited, exempt) by decorators
        # names bound to a limit decorator, applied later (Flask-Limiter's documented shared limit):
        # basic_auth_limit = limiter.shared_limit("10 per minute", scope="auth"); @basic_auth_limit
        self.limit_names: set[str] = set()

    def visit_FunctionDef(self, ctx, f) -> None:
        limited = exempt = False
        for dec in f.decorator_list:
            kind = is_rate_decorator(ctx, dec)
            if kind == "limit":
                limited = True
                self.project.rate_limit_evidence.append(ctx.fact("decorator", dec, func=f))
            elif kind == "exempt":
                exempt = True
        if limited or exempt:
            self.view_flags[f] = (limited, exempt)

    def visit_Return(self, ctx, s) -> None:
        if isinstance(s.value, ast.Tuple) and any(is_429(e) for e in s.value.elts):
            self.project.rate_limit_evidence.append(ctx.fact("429", s, func=ctx.func))  # return body, 429

    def visit_Call(self, ctx, call, name, resolved, tail) -> None:
        p = self.project
        if kwarg(call, "key_func") is not None and tail in ("Limiter", "limit", "shared_limit"):
            self.key_func(ctx, call, kwarg(call, "key_func"))
        elif tail == "Limiter" and call.args and isinstance(call.args[0], (ast.Lambda, ast.Name, ast.Attribute)):
            # Limiter(key_func, ...) in Flask-Limiter >= 3, Limiter(app, ...) before: the rule tells them apart
            self.key_func(ctx, call, call.args[0])
        if tail == "Limiter" and ctx.is_library(resolved, name, "flask_limiter"):
            fact = ctx.fact(
                "Limiter", call, func=ctx.func, module_level=ctx.module_level, target=ctx.target, dev=ctx.dev
            )
            p.limiter_calls.append(fact)
            p.rate_limit_evidence.append(ctx.fact("Limiter", call))
            if ctx.target:
                p.limiter_names.add(last(ctx.target))
            app_arg = dotted(kwarg(call, "app")) or (dotted(call.args[1]) if len(call.args) > 1 else None)
            record_module_setup(ctx, "Limiter", call, app_arg)
            return
        # limiter.limit("...")(target) / limiter.exempt(target)
        if isinstance(call.func, ast.Call) and is_rate_decorator(ctx, call.func) == "limit":
            p.rate_limit_evidence.append(ctx.fact("limit-call", call))
            for a in call.args:
                if dotted(a):
                    p.limited_targets.add(target_id(ctx, a))
        custom = p.rate_decorator_names
        plain = tail in ("exempt", "limit", "shared_limit") or tail in custom or name in custom
        kind = is_rate_decorator(ctx, call, plain_call=True) if plain else None  # nothing else can be one
        if kind == "limit" and ctx.target and tail in ("limit", "shared_limit"):
            self.limit_names.add(last(ctx.target))
        if kind == "exempt" and call.args:
            for a in call.args:
                if dotted(a):
                    p.exempt_targets.add(target_id(ctx, a))
        elif kind == "limit":
            p.rate_limit_evidence.append(ctx.fact("limit", call))
        if (
            (tail == "abort" and call.args and is_429(call.args[0]))
            or (tail == "TooManyRequests" and (resolved.startswith("werkzeug") or resolved == name))
            or (tail in ("Response", "make_response") and any(is_429(a) for a in [*call.args, kwarg(call, "status")]))
        ):
            p.rate_limit_evidence.append(ctx.fact("429", call, func=ctx.func))  # a hand-made limiter

    def key_func(self, ctx, call, expr) -> None:
        key = ctx.fact("key_func", call, func=ctx.func, factory=KeyFunc)
        key.expr = expr
        self.project.rate_key_funcs.append(key)

    def finish(self) -> None:
        for route in self.project.routes:
            if route.view is not None and route.view in self.view_flags:
                route.limited, route.exempt = self.view_flags[route.view]
        self.limits_bound_to_names()
        self.limits_in_views_and_decorators()
        self.resolve_targets_and_class_views()
        for key in self.project.rate_key_funcs:
            key.client_source = self.client_source(key.expr)

    def limits_bound_to_names(self) -> None:
        if not self.limit_names:
            return
        for route in self.project.routes:
            view = route.view
            if view is None or route.limited or route.exempt:
                continue
            for dec in view.decorator_list:
                if last(dotted(dec.func if isinstance(dec, ast.Call) else dec)) in self.limit_names:
                    route.limited = True
                    self.project.rate_limit_evidence.append(
                        Fact("decorator", route.module, dec, dec.lineno, dec.col_offset, view)
                    )
                    break

    def limits_in_views_and_decorators(self) -> None:
        """A route is limited by its own code too: a limiter check or a 429 in the view, or in a project
        decorator on it. Only a limiter call is evidence of rate limiting in the project: a 429 in one view
        may be a quota ("watch limit reached")."""
        funcs = self.project.functions
        for route in self.project.routes:
            view = route.view
            if view is None or route.limited or route.exempt:
                continue
            decorators = [last(dotted(d.func if isinstance(d, ast.Call) else d)) for d in view.decorator_list]
            kinds = {enforces_limit(view, route.module)} | {
                enforces_limit(fdef, home)
                for name in decorators
                for home, fdef in funcs.get(name, [])
                if fdef is not view
            }
            if kinds & {"limiter", "429"}:
                route.limited = True
            if "limiter" in kinds:
                self.project.rate_limit_evidence.append(
                    Fact("in-view", route.module, view, route.line, route.col, view)
                )

    def resolve_targets_and_class_views(self) -> None:
        """limiter.limit(...)(view) / limiter.exempt(view) applied by name elsewhere, and class-based views:
        MethodView/Resource ``decorators``, ``method_decorators`` and decorated post/put/patch methods."""
        p = self.project
        for r in p.routes:
            if not r.class_based:
                if _targets_match(p.limited_targets, r.module, r.name) or _targets_match(
                    p.limited_targets, r.module, r.owner
                ):
                    r.limited = True
                if _targets_match(p.exempt_targets, r.module, r.name) or _targets_match(
                    p.exempt_targets, r.module, r.owner
                ):
                    r.exempt = True
                continue
            for info in p.view_classes.get(r.name, []):
                ctx = ModuleContext(p, info.module)
                methods = {m.upper() for m in info.methods if m in ("get", "post", "put", "patch", "delete")}
                if r.methods is None:
                    r.methods = methods or info.methods_attr or {"GET"}
                decs = list(info.decorators) + list(info.method_decorators)
                if any(is_rate_decorator(ctx, d) == "limit" for d in decs):
                    r.limited = True
                posts = [info.methods[m] for m in info.methods if m in ("post", "put", "patch")]
                if posts and all(any(self.limiting_decorator(ctx, d) for d in dl + decs) for dl in posts):
                    r.limited = True
                if any(is_rate_decorator(ctx, d) == "exempt" for d in decs):
                    r.exempt = True
            if _targets_match(p.limited_targets, r.module, r.name) or _targets_match(
                p.limited_targets, r.module, r.owner
            ):
                r.limited = True

    def limiting_decorator(self, ctx, dec) -> bool:
        """A rate-limit decorator, or a project decorator that enforces a limit (Mailu's api_token_authorization)."""
        if is_rate_decorator(ctx, dec) == "limit":
            return True
        name = last(dotted(dec.func if isinstance(dec, ast.Call) else dec))
        return any(enforces_limit(fdef, home) for home, fdef in self.project.functions.get(name, []))

    def client_source(self, expr) -> str | None:
        """What in a key function reads a client-controlled address (RATE007), if anything."""
        name = dotted(expr) or ""
        if last(name) == "get_ipaddr":
            return "get_ipaddr"
        bodies = [expr] if isinstance(expr, ast.Lambda) else [f for _m, f in self.project.functions.get(last(name), [])]
        for body in bodies:
            source = _spoofable_source(body)
            if source:
                return source
        return None


def enforces_limit(fdef, module) -> str | None:
    """'limiter' if the function asks a limiter (Mailu's should_rate_limit_ip()), '429' if it only answers
    Too Many Requests (abort(429), return ..., 429), else None. Once per function: a decorator serves many
    routes."""
    return cached_on(fdef, "_fmw_enforces_limit", lambda f: _find_limit_enforcement(f, module))


# what _find_limit_enforcement can match, as lower-case text: a function without any of these (most views)
# is not walked. RATE_NAME's names, TooManyRequests, and the literal 429.
_LIMIT_TEXT = ("ratelimit", "rate_limit", "throttl", "toomanyrequests", "429")


def _find_limit_enforcement(fdef, module) -> str | None:
    first = min([fdef.lineno, *(d.lineno for d in getattr(fdef, "decorator_list", ()))])
    text = "".join(module.lines[first - 1 : fdef.end_lineno]).lower()  # decorators are walked too
    if not any(map(text.__contains__, _LIMIT_TEXT)):
        return None
    found = None
    for node in ast.walk(fdef):
        if isinstance(node, ast.Call):
            tail = last(dotted(node.func)) or ""
            if RATE_NAME.search(tail) and not tail[:1].isupper():  # not a RateLimitForm or RateLimitExceeded
                return "limiter"
            if tail == "TooManyRequests" or (tail == "abort" and node.args and is_429(node.args[0])):
                found = "429"
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple):
            if any(is_429(e) for e in node.value.elts):
                found = "429"
    return found


def _spoofable_source(node) -> str | None:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Subscript) and _last_element(sub):
            return None  # value.split(",")[-1]: the entry the (one) trusted proxy appended
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr == "access_route":
            return "request.access_route (the client's own X-Forwarded-For entries come first)"
        text = str_const(sub) if isinstance(sub, ast.Constant) else None
        if text:
            header = text.lower().replace("_", "-")
            header = header[5:] if header.startswith("http-") else header
            if header in SPOOFABLE_HEADERS:
                return f"the {text} request header"
    return None


def _last_element(sub: ast.Subscript) -> bool:
    index = sub.slice
    return isinstance(index, ast.UnaryOp) and isinstance(index.op, ast.USub) and getattr(index.operand, "value", 0) == 1
