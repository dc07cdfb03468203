"""Rate-limiting rules (Flask-Limiter semantics: a constructor ``storage_uri`` wins over
``RATELIMIT_STORAGE_URI``; with neither, storage is ``memory://``, i.e. per process)."""

from __future__ import annotations

import ast
import re

from ..astutil import UNKNOWN, ConfigRef, EnvRef, dotted, kwarg
from ..lazyre import lazy
from ._common import code_run_by_hooks, production_views, value_of
from .registry import hit, rule

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


def _login_rank(project, route) -> int:
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
        elif _signup(project, r):
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


def _signup(project, route) -> bool:
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


def has_rate_limiting(project) -> bool:
    return bool(project.limiter_calls or project.server_rate_limits or home_made_limiting(project))


def home_made_limiting(project) -> list:
    """Evidence of a hand-made limiter: a limit decorator or check of the project's own, or a 429 answered
    from a hook or helper (not from one view: that is a quota)."""
    views = {(r.module.rel, r.name) for r in project.routes}
    out = []
    for fact in project.rate_limit_evidence:
        if fact.kind != "429":
            out.append(fact)
            continue
        # A 429 from a hook or helper is a hand-made limiter (searxng's botdetection); one from a view
        # or an API method is a quota ("watch limit reached"), which guards no login.
        name = getattr(fact.func, "name", None)
        handler = any(
            "errorhandler" in (dotted(d.func if isinstance(d, ast.Call) else d) or "")
            for d in getattr(fact.func, "decorator_list", ())
        )  # pritunl's @app.errorhandler(429) formats a 429, it limits nothing
        if name not in HTTP_METHOD_VIEWS and (fact.module.rel, name) not in views and not handler:
            out.append(fact)
    return out


def _describe(project, r) -> str:
    methods = "/".join(sorted((r.methods & WRITE_METHODS) or r.methods)) if r.methods else "POST"
    return f"{methods} {project.full_path(r.module, r.owner, r.rule) or '?'} ({r.name})"


@rule(
    "RATE001",
    "error",
    "authentication routes but no rate limiting at all",
    fix="Add Flask-Limiter (limiter = Limiter(key_func=..., default_limits=[...]); limiter.init_app(app)) "
    "and @limiter.limit(...) on each authentication route. Account lockouts are not rate limits.",
)
def no_rate_limiting(project):
    if has_rate_limiting(project):
        return
    # name the most telling route first: a login rather than, say, an obsolete token stub
    routes = sorted(auth_routes(project), key=lambda r: _login_rank(project, r))
    if routes:
        others = f" and {len(routes) - 1} more" if len(routes) > 1 else ""
        first = _describe(project, routes[0])
        verb = "accept" if others else "accepts"
        yield hit(routes[0], f"no rate limiting anywhere, yet {first}{others} {verb} credentials")


@rule(
    "RATE002",
    "error",
    "authentication route without its own explicit rate limit (or exempted)",
    fix="Put @limiter.limit(...) under the route decorator: '10 per minute' on login and token routes, "
    "'3 per hour' on password reset, sign-up and OTP routes.",
)
def auth_route_unlimited(project):
    # Judged on its own (the contract): with no limiter at all, RATE001 says so once and each auth route
    # is still named here, so the fix list and a SARIF/JSON consumer see every route that needs a limit.
    seen = set()
    for r in auth_routes(project):
        if (r.module.rel, r.name) in seen:
            continue  # one view under two @route decorators: one finding
        seen.add((r.module.rel, r.name))
        url = project.full_path(r.module, r.owner, r.rule) or ""
        signup = _signup(project, r) and not auth_kind(project, r) and not r.credentials
        hint = limit_hint(*recommended_limit(url, r.name or "", signup))
        if r.exempt:
            yield hit(r, f"authentication route {_describe(project, r)} is exempt from rate limiting", hint)
        elif not r.limited:
            yield hit(r, f"authentication route {_describe(project, r)} has no explicit rate limit of its own", hint)


def _non_empty(node) -> bool:
    """A limits argument that sets something: not missing, not [] / () / None / ''."""
    if node is None:
        return False
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return bool(node.elts)
    return not (isinstance(node, ast.Constant) and not node.value)


def _memory(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower().startswith("memory://")
    if isinstance(value, EnvRef):
        return value.has_default and isinstance(value.default, str) and value.default.lower().startswith("memory")
    return False


@rule(
    "RATE003",
    "error",
    "rate-limit storage is in-process memory in production",
    fix="Use a shared store in production: RATELIMIT_STORAGE_URI = os.environ['RATELIMIT_STORAGE_URI'] "
    "(redis://, redis+sentinel:// or redis+cluster://), or Limiter(storage_uri=...).",
)
def memory_storage(project):
    for fact in project.limiter_calls:
        if fact.in_dev_branch:
            continue
        node = kwarg(fact.node, "storage_uri")
        views = production_views(project)
        if node is not None:
            value = value_of(fact, node)
            if isinstance(value, ConfigRef):
                for label, lookup in views:
                    a = lookup(value.key)
                    v = a.value if a is not None else (value.default if value.has_default else UNKNOWN)
                    if _memory(v):
                        yield hit(a or fact, f"{value.key} is memory:// in the {label} configuration")
            elif _memory(value):
                yield hit(
                    fact,
                    "Limiter(storage_uri=...) is memory:// (or defaults to it): every worker process counts separately",
                )
            continue
        for label, lookup in views:
            a = _storage_setting(project, lookup)
            if a is None:
                # the contract: a setting the repository does not ship for production is not set, even
                # where config is also read from the environment (from_envvar, from_prefixed_env)
                also = " (nor does the repository set it for the config it reads from the environment)" if (
                    project.env_config_loading
                ) else ""  # fmt: skip
                yield hit(
                    fact,
                    f"no storage_uri and no RATELIMIT_STORAGE_URI in the {label} configuration{also}: "
                    "Flask-Limiter falls back to memory://",
                )
            elif _memory(a.value) or a.value is None:
                yield hit(a, f"RATELIMIT_STORAGE_URI is {a.value or 'None'} in the {label} configuration: memory://")


def _storage_setting(project, lookup):
    """The production RATELIMIT_STORAGE_URI (or the older _URL) assignment. One that only copies another key
    the production config never sets (invenio-app copies _URL into _URI when present) provides nothing:
    the other assignments of the key are looked at instead."""
    for key in ("RATELIMIT_STORAGE_URI", "RATELIMIT_STORAGE_URL"):
        a = lookup(key)
        if a is not None and isinstance(a.value, ConfigRef) and lookup(a.value.key) is None:
            others = [b for b in project.loose_config if b.key == key and not isinstance(b.value, ConfigRef)]
            a = others[-1] if others else None
        if a is not None:
            return a
    return None


_REDIS_SCHEMES = ("redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster",
                  "valkey", "valkeys", "valkey+unix", "valkey+sentinel", "valkey+cluster")


def _redis_uri(value) -> str | None:
    """The URI when ``value`` is (or defaults to) a Redis-family storage URI; else None (unknown, other)."""
    if isinstance(value, EnvRef) and value.has_default:
        value = value.default
    if isinstance(value, str) and value.strip().lower().partition("://")[0] in _REDIS_SCHEMES:
        return value.strip()
    return None


@rule(
    "RATE008",
    "warning",
    "Redis rate-limit storage without a socket timeout",
    fix="RATELIMIT_STORAGE_OPTIONS = {'socket_timeout': 0.25, 'socket_connect_timeout': 0.25, "
    "'retry': Retry(NoBackoff(), 0)} (reference/app/config.py: storage_options()).",
)
def storage_without_timeout(project):
    """Only a storage known to be Redis (a literal URI, or an env lookup's default) with options that are
    missing or a literal dict without socket_timeout: options built at run time may well set it."""
    for fact in project.limiter_calls:
        if fact.in_dev_branch:
            continue
        node, ctor_options = kwarg(fact.node, "storage_uri"), kwarg(fact.node, "storage_options")
        for label, lookup in production_views(project):
            where = fact
            if node is not None:
                uri = value_of(fact, node)
                if isinstance(uri, ConfigRef):
                    a = lookup(uri.key)
                    uri, where = (a.value, a) if a is not None else (uri.default, fact)
            else:
                a = _storage_setting(project, lookup)
                uri, where = (a.value, a) if a is not None else (None, fact)
            uri = _redis_uri(uri)
            if uri is None or "socket_timeout=" in uri:  # redis-py reads ?socket_timeout= from a redis:// URI
                continue
            if ctor_options is not None:
                options = value_of(fact, ctor_options)
            else:
                a = lookup("RATELIMIT_STORAGE_OPTIONS")
                options = a.value if a is not None else {}
            if isinstance(options, dict) and "socket_timeout" not in options:
                yield hit(where, f"the {label} rate-limit storage is Redis ({uri.partition('://')[0]}://) with no "
                          "socket_timeout: redis-py then waits 5 s per command, with retries, so a Redis that "
                          "hangs stalls every worker on every limited request")
                break


@rule(
    "RATE004",
    "warning",
    "no default or application-wide rate limit",
    fix="Limiter(..., default_limits=['300 per minute']) or RATELIMIT_DEFAULT in the config.",
)
def no_default_limits(project):
    if any(project.config_assign(k) is not None for k in ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION")):
        return
    yield from _home_made_without_default(project)
    for fact in project.limiter_calls:
        # global_limits: Flask-Limiter < 1.0's name for default_limits (formspree)
        if not any(_non_empty(kwarg(fact.node, k)) for k in ("default_limits", "application_limits", "global_limits")):
            yield hit(
                fact,
                "Limiter has no default_limits/application_limits: routes without a decorator are unlimited",
            )


@rule(
    "RATE007",
    "warning",
    "rate-limit key taken from a client-controlled header",
    fix="Key on request.remote_addr (flask_limiter.util.get_remote_address) and let werkzeug's ProxyFix, "
    "configured with the number of trusted proxies, set it from X-Forwarded-For.",
)
def spoofable_key(project):
    for key in project.rate_key_funcs:
        if key.client_source == "get_ipaddr":
            yield hit(
                key,
                "key_func=get_ipaddr keys limits on the first X-Forwarded-For entry, which the client writes: "
                "a new value per request escapes every limit",
            )
        elif key.client_source:
            name = dotted(key.expr) or "lambda"
            yield hit(
                key,
                f"the rate-limit key {name} reads {key.client_source}: a client sending a new value per "
                "request escapes every limit (unless only a proxy that overwrites it can reach the app)",
            )


REQUEST_HOOKS = ("before_request", "before_app_request")


def _home_made_without_default(project):
    """A home-made throttle is a limiter without defaults unless it runs on every request (a before_request
    hook: aleph's, searxng's): CTFd's @ratelimit, Mailu's checks in the login views."""
    if project.limiter_calls or project.server_rate_limits:
        return
    evidence = home_made_limiting(project)
    if not evidence:
        return
    hooks = code_run_by_hooks(project, REQUEST_HOOKS)
    if any(hooks.covers(f.module, f.line) for f in evidence):
        return
    first = min(evidence, key=lambda f: (f.module.rel, f.line))
    where = f"here and in {len(evidence) - 1} more place(s)" if len(evidence) > 1 else "here only"
    yield hit(first, f"rate limiting is home-made and applied route by route ({where}): other routes are "
              "unlimited, with no default limit")  # fmt: skip
