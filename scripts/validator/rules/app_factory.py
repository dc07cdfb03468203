"""APP001: middleware wired on a module-level app instead of inside create_app()."""

from __future__ import annotations

from .registry import hit, rule


@rule(
    "APP001",
    "warning",
    "middleware configured at module level outside an application factory",
    fix="Create extensions unbound at module level (limiter = Limiter(key_func=...)) and bind them in "
    "create_app(): CORS(app, ...), limiter.init_app(app), hooks registered there.",
)
def module_level_middleware(project):
    for fact in project.module_setup:
        what = "app" if _is_app(project, fact.module, fact.owner) else "blueprint"
        yield hit(
            fact,
            f"{fact.kind} is set up at import time on the module-level {what} `{fact.owner}`, outside an "
            "application factory: tests and other configurations cannot get a fresh, differently configured app",
        )


def _is_app(project, module, name) -> bool:
    """``name`` is a Flask app in ``module``: built there, ``current_app``, or imported from the module
    that builds it (``from . import app``, ``from pkg import app`` in a routes module)."""
    if name in module.apps or name == "current_app":
        return True
    origin = module.imports.get(name, "")
    source_module, _, attribute = origin.rpartition(".")
    source = project.module_named(module, source_module or ".") if origin else None
    return source is not None and attribute in source.apps
