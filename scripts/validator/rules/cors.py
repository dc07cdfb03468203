"""CORS rules. Matching semantics follow flask-cors 6.0.x (flask_cors/core.py):

* a string containing any of ``*\\]?$^[]()`` is compiled as a regex, otherwise compared literally
  (origins case-insensitively, paths case-sensitively);
* regexes are applied with ``pattern.match`` -- anchored at the start only, never at the end;
* ``resources`` defaults to ``r"/*"`` and ``origins`` to ``"*"``; app config ``CORS_*`` keys fill in
  options the call does not pass.
"""

from __future__ import annotations

import ast
import re

from ..astutil import UNKNOWN, iter_strings, source_lines
from ..lazyre import lazy
from ._common import (
    call_kwargs,
    code_run_by_hooks,
    production_views,
    resolve_config_value,
    truthy,
    value_of,
)
from .headers import RESPONSE_HOOKS
from .registry import hit, rule

REGEX_HINT = frozenset("*\\]?$^[]()")
PROBE_ORIGINS = ("https://evil-attacker.invalid",)
API_PATH = lazy(r"^/(?:api|v\d+|graphql|rest|rpc)(?:/|$|\b)", re.I)
MISSING = object()


def probably_regex(s: str) -> bool:
    return not REGEX_HINT.isdisjoint(s)


def _compile(s: str, flags=0):
    try:
        return re.compile(s, flags)
    except (re.error, RecursionError, OverflowError):
        return None


def split_top_alternatives(pattern: str) -> list[str]:
    out, depth, cls, cur, i = [], 0, False, [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            cur.append(pattern[i : i + 2])
            i += 2
            continue
        if cls:
            cls = ch != "]"
        elif ch == "[":
            cls = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append("".join(cur))
            cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    out.append("".join(cur))
    return out


def end_anchored(pattern: str) -> bool:
    return all(b.endswith(("$", "\\Z")) and not b.endswith("\\$") for b in split_top_alternatives(pattern))


def is_catch_all_origin(s: str) -> bool:
    if s.strip() == "*":
        return True
    if not probably_regex(s):
        return False
    rx = _compile(s, re.IGNORECASE)
    return bool(rx and all(rx.match(p) for p in PROBE_ORIGINS))


def literal_prefix(pattern: str) -> str:
    out, i = [], 0
    if pattern.startswith("^"):
        i = 1
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            out.append(pattern[i + 1])
            i += 2
            continue
        if ch in ".*+?[](){}|^$\\":
            # a quantifier applies to the previous char: drop it from the literal prefix
            if ch in "*?{" and out:
                out.pop()
            break
        out.append(ch)
        i += 1
    return "".join(out)


def resource_escapes(pattern: str) -> str | None:
    """An example path outside the API prefix that the resource pattern also matches, if any."""
    if not isinstance(pattern, str) or not probably_regex(pattern):
        return None
    rx = _compile(pattern)
    if rx is None:
        return None
    base = literal_prefix(pattern).rstrip("/")
    if not base or base == "/":
        return None
    for probe in (base + "ary", base + "-internal", base + "_admin", base + ".php"):
        if rx.match(probe):
            return probe
    return None


def is_catch_all_resource(pattern) -> bool:
    if not isinstance(pattern, str):
        return False
    if pattern.strip() in ("*", ".*", "/*", "/.*", "^/.*", "^.*$", "^/.*$", "/(.*)"):
        return True
    if not probably_regex(pattern):
        return False
    rx = _compile(pattern)
    return bool(rx and rx.match("/zz-not-an-api/page") and rx.match("/"))


def cors_entries(project, fact, lookup):
    """(resource pattern, options) per resource of a CORS(...) / cross_origin(...) call."""
    kwargs = {k: value_of(fact, v) for k, v in call_kwargs(fact).items()}
    for kw in fact.node.keywords:  # CORS(app, **CORS_OPTIONS)
        if kw.arg is None:
            spread = resolve_config_value(project, value_of(fact, kw.value), lookup)
            if isinstance(spread, dict):
                kwargs = {**kwargs, **{k: v for k, v in spread.items() if isinstance(k, str)}}
            else:  # options we cannot see: none of them is known to be missing
                for name in ("resources", "origins", "max_age", "supports_credentials"):
                    kwargs.setdefault(name, UNKNOWN)
    if fact.kind == "cross_origin":
        yield None, kwargs
        return
    if fact.kind == "socketio":  # engine.io echoes an allowed Origin, with credentials unless told not to
        yield (
            None,
            {
                "origins": kwargs.get("cors_allowed_origins"),
                "supports_credentials": kwargs.get("cors_credentials", True),
            },
        )
        return
    resources = kwargs.pop("resources", MISSING)
    if resources is MISSING:
        a = lookup("CORS_RESOURCES")
        resources = a.value if a is not None else r"/*"
    resources = resolve_config_value(project, resources, lookup)
    if isinstance(resources, dict):
        for pattern, opts in resources.items():
            merged = dict(kwargs)
            if isinstance(opts, dict):
                merged.update(opts)
            yield pattern, merged
    elif isinstance(resources, str):
        yield resources, kwargs
    elif isinstance(resources, list):
        for pattern in resources:
            yield pattern, kwargs
    else:
        yield UNKNOWN, kwargs


def option(project, opts, name, config_key, lookup, default=MISSING):
    if name in opts:
        return resolve_config_value(project, opts[name], lookup)
    a = lookup(config_key)
    if a is not None:
        return a.value
    return default


def origin_strings(value):
    """Strings the origins option can be, in production (env defaults included)."""
    if value is MISSING:
        return ["*"]
    return [s for s in iter_strings(value) if isinstance(s, str)]


def _views(project):
    return production_views(project)


def _cors_facts(project):
    return [f for f in project.cors_calls if not f.in_dev_branch and not _switched_off(project, f.guard)]


def _switched_off(project, flag) -> bool:
    """``if app.config["ENABLE_CORS"]:`` with ENABLE_CORS false in every production config (Superset)."""
    if not flag:
        return False
    values = []
    for _label, lookup in _views(project):
        a = lookup(flag)
        if a is None:
            return False
        values.append(a.value)
    return bool(values) and all(v is False or v == 0 or v is None or v == "" for v in values)


def _origins(project, opts, lookup):
    """The origins a CORS configuration allows: its `origins` option, else CORS_ORIGINS config."""
    return option(project, opts, "origins", "CORS_ORIGINS", lookup)


def _cors_configurations(project):
    """(call, config label, resource pattern, options, lookup) for every CORS call as each
    production config view sees it: the loop the origin and pattern rules share, computed once per
    project (alerta has 96 @cross_origin() views and four rules read them)."""
    cached = getattr(project, "_cors_configurations", None)
    if cached is None:
        cached = [
            (fact, label, pattern, opts, lookup)
            for fact in _cors_facts(project)
            for label, lookup in _views(project)
            for pattern, opts in cors_entries(project, fact, lookup)
        ]
        project._cors_configurations = cached
    return cached


def _acao_ops(project):
    return [
        h
        for h in project.header_ops
        if h.name.lower() == "access-control-allow-origin"
        and h.op in ("set", "setdefault", "add")
        and not h.in_dev_branch  # FitTrackee: `if app.debug:` only
    ]


def _acao_problem(h) -> str | None:
    if isinstance(h.value, str) and h.value.strip() == "*":
        return "wildcard"
    if h.reflects_origin and not h.conditional_on_origin:
        return "reflected"
    return None


@rule(
    "CORS001",
    "error",
    "CORS allows any origin (wildcard, catch-all regex or reflected Origin)",
    fix="List exact origins, e.g. CORS(app, resources={r'^/api/.*$': {'origins': ['https://app.example.com']}}).",
)
def wildcard_origin(project):
    for fact, label, _pattern, opts, lookup in _cors_configurations(project):
        origins = _origins(project, opts, lookup)
        bad = [s for s in origin_strings(origins) if is_catch_all_origin(s)]
        if bad:
            how = "no origins (flask-cors defaults to '*')" if origins is MISSING else f"origins {bad[0]!r}"
            yield hit(fact, f"{fact.kind}() allows every origin: {how} in the {label} configuration")
    for h in _acao_ops(project):
        problem = _acao_problem(h)
        if problem == "wildcard":
            yield hit(h, "Access-Control-Allow-Origin: * is set by hand")
        elif problem == "reflected":
            yield hit(
                h,
                "the request Origin is reflected into Access-Control-Allow-Origin with no allow-list check",
            )


@rule(
    "CORS002",
    "error",
    "credentials allowed together with a wildcard or reflected origin",
    fix="Allow credentials only with an explicit list of exact https origins.",
)
def credentials_with_wildcard(project):
    for fact, label, _pattern, opts, lookup in _cors_configurations(project):
        creds = option(project, opts, "supports_credentials", "CORS_SUPPORTS_CREDENTIALS", lookup, False)
        if not truthy(creds):
            continue
        origins = _origins(project, opts, lookup)
        if any(is_catch_all_origin(s) for s in origin_strings(origins)):
            yield hit(
                fact,
                f"{fact.kind}() sends credentials to any origin ({label} configuration): "
                "every site can read authenticated responses",
            )
    by_func = {}
    for h in project.header_ops:
        if h.name.lower() == "access-control-allow-credentials" and str(h.value).lower() == "true":
            by_func.setdefault(id(h.func), []).append(h)
    for h in _acao_ops(project):
        creds = by_func.get(id(h.func), [])
        if _acao_problem(h) and any(not _exclusive_branches(h.func, h.line, c.line) for c in creds):
            yield hit(h, "Access-Control-Allow-Credentials: true with a wildcard/reflected Allow-Origin")


def _exclusive_branches(func, line_a: int, line_b: int) -> bool:
    """The two lines sit in different branches of one `if` (udata sends `*` to untrusted origins and
    credentials only to trusted ones): they never run for the same request."""
    if func is None or line_a == line_b:
        return False
    for node in ast.walk(func):
        if isinstance(node, ast.If) and node.orelse:
            in_body = [node.body[0].lineno <= line <= node.body[-1].end_lineno for line in (line_a, line_b)]
            in_else = [node.orelse[0].lineno <= line <= node.orelse[-1].end_lineno for line in (line_a, line_b)]
            if (in_body[0] and in_else[1]) or (in_else[0] and in_body[1]):
                return True
    return False


@rule(
    "CORS003",
    "warning",
    "CORS applied to every route although the app serves non-API pages",
    fix="Scope CORS to the API: CORS(app, resources={r'^/api(?:/.*)?$': {...}}).",
)
def cors_everywhere(project):
    non_api = _non_api_paths(project)
    if not non_api and not project.render_template_used:
        return
    for fact in _cors_facts(project):
        if fact.kind != "CORS":
            continue
        owner = (fact.owner or "").rsplit(".", 1)[-1]
        if owner in project.blueprint_prefixes or "bp" in owner.lower() or "blueprint" in owner.lower():
            continue
        lookup = _views(project)[0][1]
        for pattern, _opts in cors_entries(project, fact, lookup):
            if is_catch_all_resource(pattern):
                example = non_api[0] if non_api else "rendered pages"
                yield hit(fact, f"CORS covers every path ({pattern!r}) including non-API routes such as {example}")
                break
    for h in _app_wide_acao(project):
        example = non_api[0] if non_api else "rendered pages"
        yield hit(h, f"hand-written CORS headers go on every response, including non-API routes such as {example}")
        break


def _non_api_paths(project) -> list[str]:
    non_api = []
    candidates = [(r.module, r.owner, r.rule) for r in project.routes] + list(project.text_routes)
    for module, owner, path in candidates:
        full = project.full_path(module, owner, path)
        if full is not None and not API_PATH.match(full or "/"):
            non_api.append(full or "/")
    return non_api


def _hook_covers_pages(project, hook) -> bool:
    """An app's hook covers every route; a blueprint's after_request only the blueprint's own routes."""
    owner = (hook.owner or "").rsplit(".", 1)[-1]
    key = project.blueprint_key(hook.module, hook.owner) if hook.owner else None
    if (
        hook.kind == "after_app_request"
        or not owner
        or (
            key not in project.blueprint_url_prefixes and "bp" not in owner.lower() and "blueprint" not in owner.lower()
        )
    ):
        return True
    own = [r for r in project.routes if r.module is hook.module and r.owner == hook.owner]
    return any(not API_PATH.match(project.full_path(r.module, r.owner, r.rule) or "/") for r in own)


def _app_wide_acao(project) -> list:
    """Hand-written Access-Control-Allow-Origin written on every response: in a response hook, not only
    for API paths (cve-search tests request.path or the URL for "/api/" first)."""
    hooks = code_run_by_hooks(project, RESPONSE_HOOKS, _hook_covers_pages)
    out = []
    for h in _acao_ops(project):
        if h.func is None or not hooks.covers(h.module, h.line):
            continue
        text = source_lines(h.module.lines, h.func)
        scoped = ("request.path", "request.url", "url_rule", "request.endpoint", '"/api', "'/api")
        if not any(word in text for word in scoped):
            out.append(h)
    return out


@rule(
    "CORS004",
    "info",
    "no preflight max_age: every cross-origin call pays an extra OPTIONS round trip",
    fix="Set max_age (e.g. 600) in the CORS options or CORS_MAX_AGE.",
)
def no_max_age(project):
    acao = _acao_ops(project)  # hand-written CORS answers preflights too (Flask's automatic OPTIONS)
    if acao and not any(h.name.lower() == "access-control-max-age" for h in project.header_ops):
        yield hit(acao[0], "hand-written CORS sets Access-Control-Allow-Origin but never Access-Control-Max-Age: "
                  "browsers re-send the preflight for every request")  # fmt: skip
    if project.config_assign("CORS_MAX_AGE") is not None:
        return
    lookup = _views(project)[0][1]
    decorators = []
    for fact in _cors_facts(project):
        if any("max_age" not in opts for _pattern, opts in cors_entries(project, fact, lookup)):
            if fact.kind == "cross_origin":
                decorators.append(fact)
                continue
            if fact.kind == "socketio":
                yield hit(fact, "Socket.IO (engine.io) answers CORS preflights without Access-Control-Max-Age")
                continue
            yield hit(fact, f"{fact.kind}() sets no max_age, so browsers re-send the preflight for every request")
    if decorators:  # alerta has 96 @cross_origin(): one CORS_MAX_AGE fixes them all, so one finding
        more = f" (and {len(decorators) - 1} more @cross_origin())" if len(decorators) > 1 else ""
        yield hit(
            decorators[0],
            f"cross_origin() sets no max_age{more}, so browsers re-send the preflight for every request",
        )


@rule(
    "CORS005",
    "warning",
    "CORS pattern not anchored: matches more than intended (flask-cors uses re.match)",
    fix="Anchor regexes at both ends: r'^https://([a-z0-9-]+\\.)?example\\.com$', r'^/api(?:/.*)?$'.",
)
def unanchored(project):
    for fact, _label, pattern, opts, lookup in _cors_configurations(project):
        escape = resource_escapes(pattern)
        if escape:
            yield hit(
                fact,
                f"resource pattern {pattern!r} is a regex matched as a prefix: it also "
                f"covers {escape!r}, outside the API",
            )
        origins = _origins(project, opts, lookup)
        for s in origin_strings(origins):
            if probably_regex(s) and not is_catch_all_origin(s) and not end_anchored(s):
                yield hit(
                    fact,
                    f"origin regex {s!r} is not anchored at the end: re.match also accepts "
                    f"e.g. {s.rstrip('$')}.attacker.net",
                )


@rule(
    "CORS006",
    "warning",
    "production CORS origins include plain-http or localhost origins",
    fix="Production origins come from the environment and are exact https origins; keep localhost in "
    "the development config only.",
)
def insecure_origin(project):
    for fact, label, _pattern, opts, lookup in _cors_configurations(project):
        origins = _origins(project, opts, lookup)
        for s in origin_strings(origins):
            low = s.lower()
            if low.startswith("http://") or re.search(r"//(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])", low):
                creds = option(project, opts, "supports_credentials", "CORS_SUPPORTS_CREDENTIALS", lookup, False)
                what = "make credentialed calls" if truthy(creds) else "read the API's responses"
                yield hit(
                    fact,
                    f"origin {s!r} is allowed in the {label} configuration: "
                    f"plain http or a developer machine can {what}",
                )
                break
