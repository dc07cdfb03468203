"""Where apps are built and middleware is bound to them: Flask(...) calls (and Flask subclasses), request
hooks, ``app.wsgi_app`` wrappers, and middleware bound at import time outside an application factory
(APP001): CORS, a limiter or Talisman on a module-level app or blueprint (or on current_app), header and
logging hooks on a module-level app, CORS hooks on a module-level blueprint.

Bindings are collected during the walk and judged in ``finish``, once every module's apps, blueprints,
extensions, header writes and log calls are known (calibre-web decorates an app imported from the
package; archivy's init_app at module level binds a login manager, which is no middleware).
"""

from __future__ import annotations

import ast

from ..astutil import dotted, last, source_lines
from ..model import Fact
from .walk import Scanner

HOOKS = {
    "after_request",
    "after_app_request",
    "before_request",
    "before_app_request",
    "teardown_request",
    "teardown_app_request",
    "teardown_appcontext",
}
# a WSGI wrapper that is request logging or headers middleware (ProxyFix, ReverseProxied... are not)
_MIDDLEWARE_WORDS = ("log", "requestid", "request_id", "cors", "header", "secur", "talisman", "limit", "throttl")


def record_module_setup(ctx, kind: str, node, owner: str | None) -> None:
    """Middleware ``kind`` bound at import time to ``owner`` (APP001 if ``owner`` turns out to be a
    module-level app or blueprint, or current_app). Called by the scanner that recognises the middleware."""
    if ctx.module_level and owner:
        ctx.project.module_bindings.append(ctx.fact(kind, node, module_level=True, owner=owner))


class AppFactoryScanner(Scanner):
    def visit_ClassDef(self, ctx, c: ast.ClassDef) -> None:
        bases = [ctx.resolve(dotted(b)) for b in c.bases]
        if any(b in ("flask.Flask", "Flask") or b in self.project.flask_subclasses for b in bases):
            self.project.flask_subclasses.add(c.name)  # class CKANFlask(Flask): CKANFlask(__name__) builds the app

    def visit_FunctionDef(self, ctx, f) -> None:
        for dec in f.decorator_list:
            dname = dotted(dec.func if isinstance(dec, ast.Call) else dec) or ""
            if last(dname) in HOOKS:
                owner = dname.rsplit(".", 1)[0] if "." in dname else None
                hook = ctx.fact(last(dname), f, func=f, module_level=ctx.module_level, owner=owner, dev=ctx.dev)
                self.project.hooks.append(hook)
                if ctx.module_level and owner:
                    binding = ctx.fact(f"@{dname}", dec, func=f, module_level=True, owner=owner)
                    self.project.module_bindings.append(binding)

    def visit_Assign(self, ctx, s) -> None:
        for t in s.targets if isinstance(s, ast.Assign) else [s.target]:
            # app = Flask_config.app: another name for a module-level app (AIL-framework)
            if ctx.module_level and isinstance(t, ast.Name) and dotted(s.value) in ctx.module.apps:
                ctx.module.apps.add(t.id)
            # app.wsgi_app = Middleware(app.wsgi_app)
            if isinstance(t, ast.Attribute) and t.attr == "wsgi_app" and ctx.func is None:
                value = s.value
                wrapper = (last(dotted(value.func)) or "").lower() if isinstance(value, ast.Call) else ""
                # app.wsgi_app = DispatcherMiddleware(Flask("frame"), {...: create_app()}): Flask's documented
                # application-dispatching entry module; ProxyFix and the like are no middleware the rule names
                if any(w in wrapper for w in _MIDDLEWARE_WORDS):
                    self.project.module_bindings.append(
                        ctx.fact("wsgi_app", s, module_level=True, owner=dotted(t.value))
                    )

    def visit_Call(self, ctx, call, name, resolved, tail) -> None:
        if (
            tail == "Flask" and (resolved.startswith("flask") or name == "Flask")
        ) or tail in self.project.flask_subclasses:
            fact = ctx.fact("Flask", call, func=ctx.func, module_level=ctx.module_level, target=ctx.target)
            self.project.app_sites.append(fact)
            if ctx.module_level and ctx.target:
                ctx.module.apps.update((ctx.target, last(ctx.target)))  # Flask_config.app = Flask(...)
            return
        if tail not in HOOKS and tail != "init_app":
            return
        first = dotted(call.args[0]) if call.args else None
        if tail == "init_app" and ctx.module_level and first and isinstance(call.func, ast.Attribute):
            receiver = last(dotted(call.func.value))
            self.project.module_bindings.append(
                ctx.fact("init_app", call, module_level=True, owner=first, target=receiver)
            )
        elif tail in HOOKS and call.args and isinstance(call.func, ast.Attribute):
            owner = dotted(call.func.value)
            self.project.hooks.append(ctx.fact(tail, call, func=None, owner=owner, target=dotted(call.args[0])))
            if ctx.module_level and owner:
                binding = ctx.fact(f"{owner}.{tail}", call, module_level=True, owner=owner, target=first)
                self.project.module_bindings.append(binding)

    def finish(self) -> None:
        p = self.project
        extensions = {last(f.target) for f in p.limiter_calls + p.cors_calls + p.header_libs if f.target} | set(
            p.limiter_names
        )
        logs = {id(c.func) for c in p.log_calls if c.func is not None}
        for b in p.module_bindings:
            owner = _owner_kind(p, b.module, b.owner)
            if owner is None:
                continue
            if b.kind == "init_app":
                judged = owner == "app" and b.target in extensions
            elif b.kind in ("CORS", "SocketIO CORS", "Limiter", "Talisman", "wsgi_app"):
                judged = True
            else:  # a hook: a header or logging hook on an app, a CORS hook on a blueprint
                funcs = [(b.module, b.func)] if b.func is not None else p.functions.get(last(b.target), [])
                text = _hook_text(p, funcs).lower()
                if owner == "blueprint":
                    judged = "access-control" in text
                else:  # an after_request hook that sets headers; any hook that logs
                    sets_headers = "after" in b.kind and "headers" in text
                    judged = sets_headers or any(id(f) in logs for _m, f in funcs)
            if judged:
                p.module_setup.append(Fact(b.kind, b.module, b.node, b.line, b.col, b.func, True, b.target, b.owner))


def _hook_text(project, funcs) -> str:
    """The source of hook functions ((module, def) pairs) and of the project functions that decorate them
    (security_monkey wraps its after_request in a @crossdomain that writes the CORS headers)."""
    parts = []
    for module, f in funcs:
        parts.append(source_lines(module.lines, f))
        for d in getattr(f, "decorator_list", ()):
            for home, g in project.functions.get(last(dotted(d.func if isinstance(d, ast.Call) else d)), []):
                parts.append(source_lines(home.lines, g))
    return "".join(parts)


def _owner_kind(project, module, owner: str | None) -> str | None:
    """'app' | 'blueprint' | 'current_app' when ``owner`` is a module-level app or blueprint (defined here
    or imported from another module of the project), or Flask's current_app; else None."""
    if owner == "current_app":
        return "current_app"
    if owner in module.apps:
        return "app"
    key = project.blueprint_key(module, owner)
    if key is None:
        return None
    if key in project.blueprint_url_prefixes:
        return "blueprint"
    home = project.module_at(key[0])
    if home is not None and home is not module and key[1] in home.apps:
        return "app"
    return None
