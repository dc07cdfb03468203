"""Helpers shared by rules: production configuration view, local assignments, CORS option resolution."""

from __future__ import annotations

import ast

from ..astutil import UNKNOWN, ConfigRef, EnvRef, dotted, evaluate, kwarg, local_assigns
from ..lazyre import lazy

PROD_NAME = lazy(r"(?i)prod")
DEV_NAME = lazy(r"(?i)dev|test|local|debug|ci\b|staging")
# a config file that is an example to copy, not what runs: config.example.py, settings.sample.py
SAMPLE_FILE = lazy(r"(?i)example|sample|template|\.dist\b|default_?template")


def is_prod_class(project, name: str) -> bool:
    wanted = [
        g for g in project.config.production_config if "/" not in g and "*" not in g and not g.endswith((".py", ".cfg"))
    ]
    if wanted:
        return name in wanted
    return bool(PROD_NAME.search(name))


def class_chain(project, cls, seen=None):
    seen = seen or set()
    if cls.name in seen:
        return
    seen.add(cls.name)
    yield cls
    for base in cls.bases:
        for candidate in project.config_classes.get(base, []):
            yield from class_chain(project, candidate, seen)


def production_views(project):
    """Each production 'view' is a list of dicts, first match wins: a prod class chain + loose config.

    Returns [(label, lookup)] where lookup(key) -> ConfigAssign | None.
    """
    loose = [
        a
        for a in project.loose_config
        if not a.dev_only
        and not (a.scope.startswith("file:") and _not_production_file(a.scope.rsplit("/", 1)[-1]))
    ]

    def loose_lookup(key):
        found = [a for a in loose if a.key == key]
        return found[-1] if found else None

    prod = [c for cs in project.config_classes.values() for c in cs if is_prod_class(project, c.name)]
    views = []
    for cls in prod:

        def lookup(key, cls=cls):
            for c in class_chain(project, cls):
                if key in c.assigns:
                    return c.assigns[key]
            return loose_lookup(key)

        views.append((cls.name, lookup))
    if not views:
        others = [
            c
            for cs in project.config_classes.values()
            for c in cs
            if not DEV_NAME.search(c.name) and any(k.isupper() for k in c.assigns)
        ]

        def lookup_any(key):
            a = loose_lookup(key)
            if a is not None:
                return a
            for c in others:
                for cc in class_chain(project, c):
                    if key in cc.assigns:
                        return cc.assigns[key]
            return None

        views.append(("production", lookup_any))
    return views


def value_of(fact, node):
    return evaluate(node, fact.module.constants, local_assigns(fact.func))


def resolve_config_value(project, value, view_lookup):
    """ConfigRef -> the production value (or its default); other values pass through."""
    if isinstance(value, ConfigRef):
        a = view_lookup(value.key)
        if a is not None:
            return a.value
        return value.default if value.has_default else UNKNOWN
    return value


def truthy(value) -> bool:
    if isinstance(value, EnvRef):
        return bool(value.has_default and value.default and str(value.default).lower() not in ("0", "false", "no"))
    return value is True or (isinstance(value, str) and value.lower() in ("true", "1", "yes"))


def call_kwargs(fact) -> dict:
    return {kw.arg: kw.value for kw in fact.node.keywords if kw.arg}


def owner_name(fact):
    return fact.owner or (dotted(kwarg(fact.node, "app")) if isinstance(fact.node, ast.Call) else None)


class HookCode:
    """The source lines that run on every request through hooks: the hook functions, and the project
    functions they call or are decorated with, nested functions included (ckan's
    set_cors_headers_for_response, searxng's limiter.pre_request, security_monkey's @crossdomain)."""

    def __init__(self):
        self.ranges: dict[str, list[tuple[int, int]]] = {}  # module path -> (first, last line)

    def add(self, module, func) -> None:
        self.ranges.setdefault(module.rel, []).append((func.lineno, func.end_lineno))

    def covers(self, module, line: int) -> bool:
        return any(first <= line <= last for first, last in self.ranges.get(module.rel, ()))


def code_run_by_hooks(project, kinds, accept=None) -> HookCode:
    """What runs through the hooks of ``kinds`` (only those ``accept(project, hook)`` keeps, if given)."""
    code = HookCode()
    for h in project.hooks:
        if h.kind not in kinds or (accept is not None and not accept(project, h)):
            continue
        hooks = [(h.module, h.func)] if h.func is not None else []
        hooks += project.functions.get((h.target or "").rsplit(".", 1)[-1], [])
        for module, f in hooks:
            code.add(module, f)
            names = {_last_name(n.func) for n in ast.walk(f) if isinstance(n, ast.Call)}
            names |= {_last_name(d.func if isinstance(d, ast.Call) else d) for d in f.decorator_list}
            for name in names - {""}:
                for home, g in project.functions.get(name, []):
                    code.add(home, g)
    return code


def _last_name(node) -> str:
    return (dotted(node) or "").rsplit(".", 1)[-1]


def _not_production_file(name: str) -> bool:
    """A development/test config file, or a sample to copy (only what the repository runs is production)."""
    return bool(DEV_NAME.search(name) or SAMPLE_FILE.search(name))
