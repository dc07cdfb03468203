"""Which routes are authentication endpoints (login, token, password reset/change, sign-up, OTP),
and the limit each kind should get. Shared by the static rules (RATE001/RATE002 in rate_limit.py)
and the runtime probe, which sends its bursts to the same routes."""

from __future__ import annotations

import ast
import re

from ..astutil import dotted
from ..lazyre import lazy

AUTH_WORDS = {
    "login",
    "signin",
    "logon",
    "password",
    "passwd",
    "forgot",
    "register",
    "registration",
    "signup",
    "token",
    "tokens",
    "otp",
    "2fa",
    "mfa",
    "totp",
    "tfa",
    "twofactor",
    "authenticate",
    "passcode",
}
AUTH_PAIRS = {
    ("sign", "in"),
    ("log", "in"),
    ("sign", "up"),
    ("two", "factor"),
    ("reset", "pw"),
    ("change", "pw"),
    ("reset", "pass"),
    ("verify", "otp"),
    ("forgot", "pw"),
    ("verify", "code"),
    ("create", "account"),
    ("new", "session"),
}
NOT_AUTH = {"logout", "signout", "csrf", "delete", "revoke", "remove", "blacklist", "blocklist", "denylist", "list"}
NOT_AUTH_PAIRS = {("log", "out"), ("sign", "out")}
WRITE_METHODS = {"POST", "PUT", "PATCH"}
HTTP_METHOD_VIEWS = {"get", "post", "put", "patch", "delete", "dispatch_request"}
PREFIX_AUTH_WORDS = {"mfa", "2fa", "otp", "totp", "tfa", "twofactor", "login", "signin"}
_URL_VARIABLE = lazy(r"<([^>]*)>")


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", text).lower()) if w]


def auth_kind(project, route) -> bool:
    url = project.full_path(route.module, route.owner, route.rule) or ""
    return is_auth_route(project.config.auth_route_patterns, url, route.rule or "", route.name or "")


def is_auth_route(patterns, url: str, rule: str, name: str) -> bool:
    """``url``: the path Flask serves (blueprint prefix included); ``rule``: as written on the route."""
    # config patterns may name the URL, the rule as written or the view
    texts = (url, rule, name)
    for pattern in patterns:
        if any(pattern.search(t) for t in texts):
            return True
    # URL variables name what a page acts on, not what it does: /change-email/<token> confirms an email,
    # and a view client_token(token) serving /client<token>.css takes its name from the variable.
    variables = set(_words(" ".join(v.rsplit(":", 1)[-1] for v in _URL_VARIABLE.findall(rule))))
    words = _words(_URL_VARIABLE.sub("", rule)) + [w for w in _words(name) if w not in variables]
    # from the blueprint prefix only the unambiguous words: pgAdmin's /mfa/validate is written
    # @bp.route("/validate"), while privacyIDEA's /token/init manages hardware tokens
    words += [w for w in _words(_URL_VARIABLE.sub("", url)) if w in PREFIX_AUTH_WORDS]
    pairs = set(zip(words, words[1:]))
    if NOT_AUTH & set(words) or NOT_AUTH_PAIRS & pairs:
        return False
    if AUTH_WORDS & set(words) or AUTH_PAIRS & pairs:
        return True
    if "reset" in words and {"user", "users", "auth", "account", "accounts"} & set(words + _words(url)):
        return True  # ckan's /user/reset, alerta's /auth/reset/<hash>: a password reset
    segments = [s for s in _URL_VARIABLE.sub("", url).lower().split("/") if s]
    if segments and segments[-1] in ("session", "sessions", "auth"):
        return True
    # /token/refresh, /auth/refresh, /jwt/refresh; not /models/openai/refresh
    return (
        bool(segments)
        and segments[-1] == "refresh"
        and bool({"auth", "jwt", "session", "oauth"} & set(words + segments))
    )


# POST on a collection of people creates one: an API sign-up (POST /api/users), unlike GET /api/users
# or POST /orgs/<org>/members (a variable: it acts on something that exists)
SIGNUP_COLLECTIONS = {"users", "accounts", "members"}


def is_signup_collection(url: str, methods) -> bool:
    """``url``: the path Flask serves; ``methods``: the route's methods (None: unknown, not counted)."""
    segments = [s for s in url.lower().split("/") if s]
    return bool(methods and "POST" in methods and segments and "<" not in url and segments[-1] in SIGNUP_COLLECTIONS)


# The limit docs/skill/adapting.md recommends for each kind of authentication route; the first match wins.
LIMIT_KINDS = (
    ("sign-up", "3 per hour", {"register", "registration", "signup"}, {("sign", "up"), ("create", "account")}),
    (
        "OTP",
        "3 per hour",
        {"otp", "2fa", "mfa", "totp", "tfa", "twofactor", "passcode"},
        {("two", "factor"), ("verify", "otp"), ("verify", "code")},
    ),
    ("password reset", "3 per hour", {"password", "passwd", "forgot", "reset"}, set()),
)
LOGIN_LIMIT = ("login/token", "10 per minute")


def recommended_limit(url: str, name: str, signup: bool = False) -> tuple[str, str]:
    """``(kind, limit)`` for an authentication route: sign-up, OTP and password reset 3 per hour, else 10/min."""
    if signup:
        return LIMIT_KINDS[0][:2]
    words = _words(_URL_VARIABLE.sub("", url)) + _words(name)
    pairs = set(zip(words, words[1:]))
    for kind, limit, group, group_pairs in LIMIT_KINDS:
        if group & set(words) or group_pairs & pairs:
            return kind, limit
    return LOGIN_LIMIT


def limit_hint(kind: str, limit: str) -> str:
    article = "An" if kind[0] in "AEIOU" else "A"
    return (
        f'{article} {kind} route: put @limiter.limit("{limit}") directly under its route decorator (login and token '
        "routes 10 per minute; password reset, sign-up and OTP 3 per hour)."
    )


def login_rank(project, route) -> int:
    if route.credentials in ("login_user()", "check_password()", "check_password_hash()", "verify_password()"):
        return 0  # signs a user in, whatever the URL (cookiecutter-flask's POST /)
    words = set(_words((project.full_path(route.module, route.owner, route.rule) or "") + " " + (route.name or "")))
    for rank, group in enumerate(
        (
            {"login", "signin", "logon"},
            {"session", "auth"},
            {"token", "tokens"},
            {"password", "passwd", "forgot"},
            {"register", "signup"},
        )
    ):
        if words & group:
            return rank
    return 5


def auth_routes(project):
    """Routes that accept credentials: named like login/register/reset/token/OTP routes and accepting a write
    method, or whose view checks a password, signs a user in or issues a token (any method: GET /token
    behind basic auth issues one too), unless the URL says logout/delete/revoke."""
    out = []
    for r in project.routes:
        if r.credentials and not _not_auth(project, r):
            out.append(r)
        elif (r.methods is None or r.methods & WRITE_METHODS) and auth_kind(project, r):
            out.append(r)
        elif signup_route(project, r):
            out.append(r)
    return out


# A decorator that lets only signed-in users, admins or holders of a permission in: such a POST /users is
# user management (redash, OctoPrint, PowerDNS-Admin, pybossa), not a sign-up anyone can call.
_ACCESS_DECORATOR = lazy(r"login|auth|admin|permission|role|require|superuser|staff|moderator|protect|jwt|token|allows")
_OPEN_DECORATOR = lazy(r"anon|public|optional")
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete", "expose"}


# ...or a check in the view's body: keystone's ENFORCER.enforce_call(...), gramps' require_permissions([...]),
# `if not current_user.is_admin: abort(403)`
_ACCESS_CALL = lazy(r"require|permission|enforce|authoriz|admin")
_ACCESS_ATTRS = {"is_admin", "is_superuser", "is_staff", "is_authenticated"}


def _access_controlled(decorators) -> bool:
    for d in decorators:
        name = (dotted(d.func if isinstance(d, ast.Call) else d) or "").lower()
        if name.rsplit(".", 1)[-1] in ROUTE_DECORATORS:
            continue  # @auth_bp.post("/users"): the blueprint's name, not a check
        if _ACCESS_DECORATOR.search(name) and not _OPEN_DECORATOR.search(name):
            return True
    return False


def _access_checked(func) -> bool:
    for node in ast.walk(func) if func is not None else ():
        if isinstance(node, ast.Attribute) and node.attr in _ACCESS_ATTRS:
            return True
        if isinstance(node, ast.Call):
            name = (dotted(node.func) or "").lower()
            if _ACCESS_CALL.search(name):
                return True
            if name.endswith("abort") and node.args and getattr(node.args[0], "value", None) in (401, 403):
                return True
    return False


def _class_chain(project, infos, depth: int = 3) -> list:
    """The view classes and, by name, their bases in the project (gramps' ProtectedResource holds the
    decorators = [jwt_required] its resources inherit)."""
    out, todo = [], list(infos)
    while todo and depth >= 0:
        out.extend(todo)
        todo = [b for info in todo for base in info.bases for b in project.view_classes.get(base, []) if b not in out]
        depth -= 1
    return out


def signup_route(project, route) -> bool:
    """A POST creating a user on a users/accounts/members collection that anyone may call (no access-control
    decorator). A class view's methods are read from the class (a ``post`` method or ``methods = [...]``);
    unknown methods do not count."""
    url = project.full_path(route.module, route.owner, route.rule) or ""
    if not url.rstrip("/").lower().endswith(tuple(SIGNUP_COLLECTIONS)):
        return False  # the cheap test first
    methods, decorators = route.methods, list(getattr(route.view, "decorator_list", ()))
    infos = project.view_classes.get(route.name, []) if route.class_based else []
    if methods is None and infos:
        methods = set()
        for info in infos:
            methods |= info.methods_attr or {m.upper() for m in info.methods}
    if not is_signup_collection(url, methods):
        return False
    posts = [route.view] if route.view is not None else []
    for info in _class_chain(project, infos):
        decorators += [*info.node.decorator_list, *info.decorators, *info.method_decorators]
        decorators += info.methods.get("post", [])
        posts += [n for n in info.node.body if isinstance(n, ast.FunctionDef) and n.name == "post"]
    return not _access_controlled(decorators) and not any(_access_checked(f) for f in posts)


def _not_auth(project, route) -> bool:
    """A view that checks a password to log out, delete or revoke something is not a sign-in."""
    url = project.full_path(route.module, route.owner, route.rule) or ""
    words = _words(_URL_VARIABLE.sub("", url) + " " + (route.name or ""))
    return bool((NOT_AUTH - {"list", "csrf"}) & set(words) or NOT_AUTH_PAIRS & set(zip(words, words[1:])))
