"""Rate-limiting rules (Flask-Limiter semantics: a constructor ``storage_uri`` wins over
``RATELIMIT_STORAGE_URI``; with neither, storage is ``memory://``, i.e. per process)."""

from __future__ import annotations

import ast

from ..astutil import UNKNOWN, ConfigRef, EnvRef, dotted, kwarg
from ._common import code_run_by_hooks, production_views, value_of
from .auth_routes import (
    HTTP_METHOD_VIEWS,
    WRITE_METHODS,
    auth_kind,
    auth_routes,
    limit_hint,
    login_rank,
    recommended_limit,
    signup_route,
)
from .registry import hit, rule


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
    routes = sorted(auth_routes(project), key=lambda r: login_rank(project, r))
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
        signup = signup_route(project, r) and not auth_kind(project, r) and not r.credentials
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
