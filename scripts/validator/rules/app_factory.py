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
        what = "blueprint" if fact.owner not in fact.module.apps and fact.owner != "current_app" else "app"
        yield hit(
            fact,
            f"{fact.kind} is set up at import time on the module-level {what} `{fact.owner}`, outside an "
            "application factory: tests and other configurations cannot get a fresh, differently configured app",
        )
