"""Where apps are built and middleware is bound to them: Flask(...) calls (and Flask subclasses), request
hooks, ``app.wsgi_app`` wrappers, and middleware bound at import time to a module-level app (APP001)."""

from __future__ import annotations

import ast

from ..astutil import dotted, last
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


def record_module_setup(ctx, kind: str, node, owner: str | None) -> None:
    """Middleware ``kind`` bound at import time to ``owner``, an app created at module level (APP001).
    Called by the scanner that recognises the middleware (CORS, Limiter, Talisman ...)."""
    if ctx.module_level and owner in ctx.module.apps:
        ctx.project.module_setup.append(ctx.fact(kind, node, module_level=True, owner=owner))


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
                if ctx.module_level and owner in ctx.module.apps:
                    self.project.module_setup.append(ctx.fact(f"@{dname}", dec, module_level=True, owner=owner))

    def visit_Assign(self, ctx, s) -> None:
        # app.wsgi_app = Middleware(app.wsgi_app)
        for t in s.targets if isinstance(s, ast.Assign) else [s.target]:
            if isinstance(t, ast.Attribute) and t.attr == "wsgi_app":
                owner = dotted(t.value)
                value = s.value
                dispatcher = isinstance(value, ast.Call) and last(dotted(value.func)) == "DispatcherMiddleware"
                # app.wsgi_app = DispatcherMiddleware(Flask("frame"), {...: create_app()}): Flask's documented
                # application-dispatching entry module, not middleware configured on a module-level app
                if ctx.func is None and not dispatcher and owner in ctx.module.apps:
                    self.project.module_setup.append(ctx.fact("wsgi_app", s, module_level=True, owner=owner))

    def visit_Call(self, ctx, call, name, resolved, tail) -> None:
        if (
            tail == "Flask" and (resolved.startswith("flask") or name == "Flask")
        ) or tail in self.project.flask_subclasses:
            fact = ctx.fact("Flask", call, func=ctx.func, module_level=ctx.module_level, target=ctx.target)
            self.project.app_sites.append(fact)
            if ctx.module_level and ctx.target:
                ctx.module.apps.add(ctx.target)
            return
        first = dotted(call.args[0]) if call.args else None
        if tail == "init_app" and ctx.module_level and call.args and first in ctx.module.apps:
            self.project.module_setup.append(ctx.fact("init_app", call, module_level=True, owner=first))
        elif tail in HOOKS and call.args and isinstance(call.func, ast.Attribute):
            owner = dotted(call.func.value)
            self.project.hooks.append(ctx.fact(tail, call, func=None, owner=owner, target=dotted(call.args[0])))
            if ctx.module_level and owner in ctx.module.apps:
                self.project.module_setup.append(ctx.fact(f"{owner}.{tail}", call, module_level=True, owner=owner))
