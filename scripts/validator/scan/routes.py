"""Routes and the URLs they serve: ``@bp.route``/``@app.post`` views, ``add_url_rule``, flask-restful/restx
``add_resource``, class-based views (MethodView, Resource, View), blueprints and their ``url_prefix``.

Which routes are authentication routes is the rules' judgement (``rules/rate_limit.py``); this module only
records every route with its rule, methods, view name and owner (the app or blueprint variable).
"""

from __future__ import annotations

import ast

from ..astutil import dotted, evaluate, kwarg, last, str_const
from ..lazyre import lazy
from ..model import Route, ViewClass
from .rate_limit import is_rate_decorator
from .walk import Scanner

ROUTE_VERBS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}
# every `owner.route("/path")`-style call, found without parsing (blocks the lazy parser skipped too)
ROUTE_PATH = lazy(r"""\.(?:route|get|post|put|patch|delete)\(\s*[rRuU]?["'](/[^"'\n]*)["']""")
_OWNER = lazy(r"(\w+)$")


def route_paths(text: str) -> list[tuple[str, str]]:
    """(owner, path) of every `owner.route("/path")`-style call in the text, found without parsing."""
    out = []
    for m in ROUTE_PATH.finditer(text):
        owner = _OWNER.search(text, max(0, m.start() - 60), m.start())
        out.append((owner.group(1) if owner else "", m.group(1)))
    return out


def view_class(c: ast.ClassDef, module) -> ViewClass:
    info = ViewClass(c, module, [last(dotted(b)) for b in c.bases])
    for n in c.body:
        if isinstance(n, ast.Assign):
            for t in n.targets:
                if not isinstance(t, ast.Name):
                    continue
                if t.id == "methods":
                    value = evaluate(n.value, module.constants)
                    if isinstance(value, (list, tuple, set)):
                        info.methods_attr = {str(v).upper() for v in value if isinstance(v, str)}
                if t.id == "decorators" and isinstance(n.value, (ast.List, ast.Tuple)):
                    info.decorators.extend(n.value.elts)
                if t.id == "method_decorators":
                    if isinstance(n.value, (ast.List, ast.Tuple)):
                        info.method_decorators.extend(n.value.elts)
                    elif isinstance(n.value, ast.Dict):
                        for v in n.value.values:
                            info.method_decorators.extend(v.elts if isinstance(v, (ast.List, ast.Tuple)) else [v])
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            info.methods[n.name] = n.decorator_list
    return info


def _methods(ctx, node, default):
    if node is None:
        return set(default)
    value = evaluate(node, ctx.module.constants)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return {v.upper() for v in value}
    return None


class RouteScanner(Scanner):
    def __init__(self, project):
        super().__init__(project)
        self.registrations: list = []  # (module, blueprint as written, url_prefix) of register_blueprint calls

    def begin_module(self, ctx) -> None:
        text = ctx.src.text
        if "route" in text or "get(" in text or "post(" in text:
            for owner, path in route_paths(text):
                self.project.text_routes.append((ctx.module, owner, path))
        if "render_template" in text:
            self.project.render_template_used = True

    def visit_ClassDef(self, ctx, c: ast.ClassDef) -> None:
        self.project.view_classes.setdefault(c.name, []).append(view_class(c, ctx.module))
        for dec in c.decorator_list:
            self.route_decorator(ctx, dec, c, class_based=True)

    def visit_FunctionDef(self, ctx, f) -> None:
        if ctx.cls is None:
            for dec in f.decorator_list:
                self.route_decorator(ctx, dec, f)

    def route_decorator(self, ctx, dec, target, class_based=False) -> None:
        if not isinstance(dec, ast.Call) or not isinstance(dec.func, ast.Attribute):
            return
        attr = dec.func.attr
        if attr == "route":
            methods = _methods(ctx, kwarg(dec, "methods"), default={"GET"})
        elif attr in ROUTE_VERBS and dec.args and (str_const(dec.args[0]) or "").startswith("/"):
            methods = {ROUTE_VERBS[attr]}
        else:
            return
        rule = str_const(dec.args[0]) if dec.args else str_const(kwarg(dec, "rule"))
        owner = dotted(dec.func.value)
        view = None if class_based else target
        route = Route(ctx.module, dec.lineno, dec.col_offset + 1, rule, None if class_based else methods, target.name,
                      owner, class_based=class_based, view=view)  # fmt: skip
        self.project.routes.append(route)

    def visit_Call(self, ctx, call, name, resolved, tail) -> None:
        if tail == "add_url_rule":
            self.url_rule(ctx, call)
        elif tail == "add_resource" and call.args:
            self.resource(ctx, call)
        elif tail == "register_blueprint" and call.args:
            prefix = str_const(kwarg(call, "url_prefix"))
            bp = dotted(call.args[0])
            if prefix is not None and bp:
                self.project.blueprint_prefixes[last(bp)] = prefix
                self.registrations.append((ctx.module, bp, prefix))
        elif tail == "Blueprint" and ctx.target:
            prefix = str_const(kwarg(call, "url_prefix"))
            if prefix is not None:
                self.project.blueprint_prefixes.setdefault(last(ctx.target), prefix)
            self.project.blueprint_url_prefixes.setdefault((ctx.module.rel, last(ctx.target)), prefix or "")

    def resource(self, ctx, call) -> None:
        """flask-restful/restx ``api.add_resource(Login, "/auth/login", ...)``."""
        cls_name = last(dotted(call.args[0]))
        for a in call.args[1:]:
            rule = str_const(a)
            if rule is None and isinstance(a, ast.Call) and a.args:
                rule = str_const(a.args[0])  # tasking-manager: format_url("users/actions/register/")
                if rule and not rule.startswith("/"):
                    rule = "/" + rule
            if rule:
                owner = dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
                route = Route(
                    ctx.module, call.lineno, call.col_offset + 1, rule, None, cls_name, owner, class_based=True
                )
                self.project.routes.append(route)

    def url_rule(self, ctx, call) -> None:
        """``bp.add_url_rule("/login", view_func=LoginView.as_view("login"), methods=[...])``."""
        rule = str_const(call.args[0]) if call.args else str_const(kwarg(call, "rule"))
        view = kwarg(call, "view_func")
        if view is None and len(call.args) > 2:
            view = call.args[2]
        methods = _methods(ctx, kwarg(call, "methods"), default={"GET"})
        name, class_based, limited = None, False, False
        if isinstance(view, ast.Call):
            if isinstance(view.func, ast.Attribute) and view.func.attr == "as_view":
                name, class_based = last(dotted(view.func.value)), True
                methods = None if kwarg(call, "methods") is None else methods
            elif isinstance(view.func, ast.Call) and is_rate_decorator(ctx, view.func) == "limit":
                limited = True  # view_func=limiter.limit("5/minute")(login)
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
        route = Route(ctx.module, call.lineno, call.col_offset + 1, rule, methods, name or "?", owner,
                      limited=limited, class_based=class_based)  # fmt: skip
        self.project.routes.append(route)

    def finish(self) -> None:
        for module, name, prefix in self.registrations:
            key = self.project.blueprint_key(module, name)
            if key is not None:
                # register_blueprint(url_prefix=) wins over Blueprint(url_prefix=)
                self.project.blueprint_url_prefixes[key] = prefix
