"""Routes and the URLs they serve: ``@bp.route``/``@app.post`` views, ``add_url_rule``, flask-restful/restx
``add_resource``, class-based views (MethodView, Resource, View), blueprints and their ``url_prefix``.

Which routes are authentication routes is the rules' judgement (``rules/rate_limit.py``); this module only
records every route with its rule, methods, view name and owner (the app or blueprint variable).
"""

from __future__ import annotations

import ast

from ..astutil import cached_on, dotted, evaluate, kwarg, last, source_lines, str_const
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


# Calls that verify a credential or hand one out: a view calling them is an authentication endpoint,
# whatever its URL says (cookiecutter-flask signs in on POST /, CTFd issues API tokens from TokenList.post).
CREDENTIAL_CALLS = {
    "login_user",
    "check_password_hash",
    "check_password",
    "verify_password",
    "check_credentials",
    "verify_credentials",
    "authenticate_user",
    "create_access_token",
    "create_refresh_token",
    "encode_auth_token",
    "verify_totp",
    "verify_otp",
}
TOKEN_ISSUE = lazy(r"^(?:generate|create|issue|make|new)_(?:\w+_)?(?:auth_|access_|api_|user_|refresh_|jwt_)?token$")
CREDENTIAL_METHODS = ("post", "put", "patch", "get", "dispatch_request")


WRITE_METHODS = {"POST", "PUT", "PATCH"}


def _may_issue_tokens(route) -> bool:
    """A read-only route worth reading for credential checks: GET /token behind basic auth issues one."""
    text = f"{route.rule} {route.name}".lower()
    return any(word in text for word in ("token", "login", "auth", "sign", "session", "key"))


_CREDENTIAL_HINTS = ("login_user", "password", "credential", "token", "jwt", "otp", "authenticate")


def credential_call(fdef, module) -> str | None:
    """The first call in a function that verifies a credential or issues a token (once per function)."""
    return cached_on(fdef, "_fmw_credential_call", lambda f: _find_credential_call(f, module))


def _find_credential_call(fdef, module) -> str | None:
    text = source_lines(module.lines, fdef)
    if not any(map(text.__contains__, _CREDENTIAL_HINTS)):  # cheap test first
        return None
    for node in ast.walk(fdef):
        if isinstance(node, ast.Call):
            tail = last(dotted(node.func))
            if (
                tail in CREDENTIAL_CALLS
                or (tail and "token" in tail and "csrf" not in tail and TOKEN_ISSUE.match(tail))
                or dotted(node.func) == "jwt.encode"
            ):
                return f"{tail}()"
    return None


# auth extensions that register their own routes: class name -> (its package, the routes it adds by default)
LIBRARY_AUTH_ROUTES = {  # class -> (package, ((default URL, endpoint), ...))
    "UserManager": (
        "flask_user",
        (
            ("/user/sign-in", "user.login"),
            ("/user/register", "user.register"),
            ("/user/forgot-password", "user.forgot_password"),
            ("/user/change-password", "user.change_password"),
        ),
    ),
    "Security": ("flask_security", (("/login", "security.login"),)),
}
VIEW_BASES = ("Resource", "MethodView", "View", "BaseView", "ModelView", "HTTPMethodView")


def _is_view_class(info: ViewClass) -> bool:
    """A class-based view: an HTTP-verb method, or a base named like a view (MethodView, flask-restful's
    Resource, a project's BaseResource/ApiView...)."""
    return bool(set(info.methods) & {"get", "post", "put", "patch", "delete", "dispatch_request"}) or any(
        b.endswith(VIEW_BASES) for b in info.bases
    )


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
        # (module, blueprint or namespace as written, url_prefix, the Api a namespace is added to)
        self.registrations: list = []
        self.table_routes: list[Route] = []  # (path, Class) tuples in route tables, until the class is known

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
            return
        for dec in f.decorator_list:  # Flask-AppBuilder / Flask-Admin: @expose("/login/", methods=[...])
            if isinstance(dec, ast.Call) and last(dotted(dec.func)) == "expose" and dec.args:
                rule = str_const(dec.args[0])
                methods = _methods(ctx, kwarg(dec, "methods"), default={"GET"})
                route = Route(ctx.module, dec.lineno, dec.col_offset + 1, rule, methods, f.name, ctx.cls.name, view=f)
                self.project.routes.append(route)

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
        if tail == "partial" and call.args and last(dotted(call.args[0])) == "register_blueprint":
            # OctoPrint: functools.partial(app.register_blueprint, api, url_prefix="/api")
            call = ast.Call(func=call.args[0], args=call.args[1:], keywords=call.keywords)
            tail = "register_blueprint"
        if tail == "add_url_rule":
            self.url_rule(ctx, call)
        elif tail == "add_resource" and call.args:
            self.resource(ctx, call)
        elif tail in ("register_blueprint", "add_namespace") and call.args:
            key = "url_prefix" if tail == "register_blueprint" else "path"
            prefix = str_const(kwarg(call, key))
            if prefix is None and tail == "add_namespace" and len(call.args) > 1:
                prefix = str_const(call.args[1])  # api.add_namespace(ns, "/tokens")
            bp = dotted(call.args[0])
            if prefix is not None and bp:
                self.project.blueprint_prefixes[last(bp)] = prefix
                api = (
                    dotted(call.func.value)
                    if tail == "add_namespace" and isinstance(call.func, ast.Attribute)
                    else None
                )
                self.registrations.append((ctx.module, bp, prefix, api))
        elif tail == "Blueprint" and ctx.target:
            prefix = str_const(kwarg(call, "url_prefix"))
            if prefix is not None:
                self.project.blueprint_prefixes.setdefault(last(ctx.target), prefix)
            self.project.blueprint_url_prefixes.setdefault((ctx.module.rel, last(ctx.target)), prefix or "")
        elif tail == "Namespace" and ctx.target and call.args and str_const(call.args[0]) is not None:
            # flask-restx: Namespace("tokens") serves under /tokens unless path= or add_namespace(ns, path) says
            path = str_const(kwarg(call, "path"))
            prefix = path if path is not None else "/" + str_const(call.args[0]).strip("/")
            self.project.blueprint_url_prefixes.setdefault((ctx.module.rel, last(ctx.target)), prefix)
        elif tail == "Api" and ctx.target and (call.args or kwarg(call, "app") is not None):
            # flask-restful/restx Api(bp): its resources are served under the blueprint's prefix
            parent = dotted(call.args[0] if call.args else kwarg(call, "app"))
            if parent:
                self.project.api_parents[(ctx.module.rel, last(ctx.target))] = parent
        elif kwarg(call, "view_func") is not None:
            self.url_rule(ctx, call)  # flaskbb's register_view(bp, routes=["/login"], view_func=Login.as_view(...))
        elif tail in LIBRARY_AUTH_ROUTES and resolved.startswith(LIBRARY_AUTH_ROUTES[tail][0]):
            # Flask-User's UserManager(app, db, User), Flask-Security's Security(app, datastore): the library
            # registers the sign-in, sign-up and password routes itself
            for rule, endpoint in LIBRARY_AUTH_ROUTES[tail][1]:
                route = Route(ctx.module, call.lineno, call.col_offset + 1, rule, {"GET", "POST"}, endpoint, None)
                self.project.routes.append(route)
        elif (
            call.args
            and isinstance(call.args[0], (ast.Name, ast.Attribute))
            and any((str_const(a) or "").startswith("/") for a in call.args[1:3])
        ):
            # register_endpt(UserChangePasswordResource, "/users/<name>/password/change", ...) (gramps-web-api):
            # a (view class, path) pair handed to a project helper, kept once the class is a view class
            rule = next(str_const(a) for a in call.args[1:3] if (str_const(a) or "").startswith("/"))
            self.table_routes.append(Route(ctx.module, call.lineno, call.col_offset + 1, rule, None,
                                           last(dotted(call.args[0])), None, class_based=True))  # fmt: skip
        elif isinstance(kwarg(call, "resource"), (ast.Name, ast.Attribute)) and str_const(kwarg(call, "url")):
            # keystone: construct_resource_map(resource=AuthTokenResource, url="/auth/tokens")
            cls_name = last(dotted(kwarg(call, "resource")))
            route = Route(ctx.module, call.lineno, call.col_offset + 1, str_const(kwarg(call, "url")), None, cls_name,
                          None, class_based=True)  # fmt: skip
            self.project.routes.append(route)

    def visit_Assign(self, ctx, s) -> None:
        """A table of routes: ``routes = [("/auth/login", LoginResource), ...]`` (zou, rotki) or
        ``[(SketchResource, "/sketches/"), ...]`` (timesketch), registered in a loop elsewhere. Kept when
        the class turns out to be a view class (finish)."""
        if not ctx.module_level or not isinstance(s.value, (ast.List, ast.Tuple)):
            return
        for elt in s.value.elts:
            if not isinstance(elt, ast.Tuple) or len(elt.elts) < 2:
                continue
            paths = [str_const(e) for e in elt.elts if (str_const(e) or "").startswith("/")]
            classes = [last(dotted(e)) for e in elt.elts if isinstance(e, (ast.Name, ast.Attribute))]
            if len(paths) == 1 and len(classes) == 1:
                self.table_routes.append(Route(ctx.module, elt.lineno, elt.col_offset + 1, paths[0], None,
                                               classes[0], None, class_based=True))  # fmt: skip

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
        """``bp.add_url_rule("/login", view_func=LoginView.as_view("login"), methods=[...])``, and a project
        helper taking a rule (or a list of them) and a view_func the same way."""
        rules = [str_const(call.args[0]) if call.args else str_const(kwarg(call, "rule"))]
        if kwarg(call, "routes") is not None or (
            rules[0] is None and call.args and isinstance(call.args[-1], ast.List)
        ):
            table = evaluate(kwarg(call, "routes") or call.args[-1], ctx.module.constants)
            rules = [r for r in table if isinstance(r, str)] if isinstance(table, list) else [None]
        elif rules[0] is None and call.args and (str_const(call.args[-1]) or "").startswith("/"):
            rules = [str_const(call.args[-1])]
        for rule in rules or [None]:
            self.view_rule(ctx, call, rule)

    def view_rule(self, ctx, call, rule) -> None:
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
        if last(dotted(call.func)) == "add_url_rule":
            owner = dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
        else:  # a project helper: register_view(bp, ...) takes the blueprint first
            owner = dotted(call.args[0]) if call.args and not isinstance(call.args[0], ast.Constant) else None
        route = Route(ctx.module, call.lineno, call.col_offset + 1, rule, methods, name or "?", owner,
                      limited=limited, class_based=class_based)  # fmt: skip
        self.project.routes.append(route)

    def credential_call(self, route: Route) -> str | None:
        """What in the route's view checks a password, signs a user in or issues a token, if anything."""
        if route.view is not None:
            return credential_call(route.view, route.module)
        for info in self.project.view_classes.get(route.name, []) if route.class_based else ():
            for node in info.node.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in CREDENTIAL_METHODS:
                    found = credential_call(node, info.module)
                    if found:
                        return found
        return None

    def finish(self) -> None:
        view_classes = self.project.view_classes
        for route in self.table_routes:
            if any(_is_view_class(info) for info in view_classes.get(route.name, [])):
                self.project.routes.append(route)
        for route in self.project.routes:
            if route.methods is None or route.methods & WRITE_METHODS or _may_issue_tokens(route):
                route.credentials = self.credential_call(route)
        # blueprints first: a namespace's prefix is added to that of the Api (and its blueprint) it joins
        for module, name, prefix, api in sorted(self.registrations, key=lambda r: r[3] is not None):
            key = self.project.blueprint_key(module, name)
            if key is not None:
                # register_blueprint(url_prefix=) wins over Blueprint(url_prefix=)
                parent = self.project.url_prefix(module, api).rstrip("/") if api else ""
                self.project.blueprint_url_prefixes[key] = parent + prefix
