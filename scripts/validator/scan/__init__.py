"""The scanners: one module per concern, each filling its part of the project model.

    app_factory      Flask(...) apps, hooks, middleware bound to a module-level app (APP001)
    routes           routes and their URLs: decorators, add_url_rule, add_resource, blueprints, class views
    rate_limit       Flask-Limiter and home-made limiters, per-route limits and exemptions, key functions
    cors             CORS(...), @cross_origin, init_app options
    headers          response header writes, header tables, Talisman/secure/SSLify
    request_logging  logger calls (and the secrets passed to them), request IDs, completion logs
    flask_config     config classes, app.config writes, from_pyfile/from_envvar
    dependencies     requirements files, lock files, pyproject/setup.cfg/Pipfile
    deployment       how the app is served: gunicorn patches, Werkzeug handlers, nginx/Apache configs

A Python module is walked once (``walk.Walker``); every node goes to the scanners that define a visit
method for its kind. Adding a fact = a visit method (or a new module listed in SCANNERS); rules stay in
``rules/``.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re

from ..astutil import imported_name
from ..lazyre import lazy
from ..model import Module, Project
from . import (
    app_factory,
    cors,
    dependencies,
    deployment,
    flask_config,
    headers,
    rate_limit,
    request_logging,
    routes,
)
from .walk import VISITS, ModuleContext, Walker

# Walk order within a node: routes are declared before rate_limit marks the limited ones.
SCANNERS = (
    app_factory.AppFactoryScanner,
    routes.RouteScanner,
    rate_limit.RateLimitScanner,
    cors.CorsScanner,
    headers.HeaderScanner,
    request_logging.RequestLoggingScanner,
    flask_config.FlaskConfigScanner,
    deployment.DeploymentScanner,
)
_FLASK_IMPORT_TEXT = lazy(r"^\s*(?:from|import)\s+flask\b", re.M)


class ProjectScan:
    """The scanners of one project: ``scan_module`` per parsed file, then ``finish`` once."""

    def __init__(self, project: Project):
        self.project = project
        self.scanners = [cls(project) for cls in SCANNERS]
        self.handlers = {
            kind: [getattr(s, "visit_" + kind) for s in self.scanners if hasattr(s, "visit_" + kind)] for kind in VISITS
        }

    def scan_module(self, src) -> None:
        module = module_of(self.project, src)
        self.project.modules.append(module)
        self.project.is_flask = self.project.is_flask or module.is_flask
        ctx = ModuleContext(self.project, module, src)
        for s in self.scanners:
            s.begin_module(ctx)
        Walker(ctx, self.handlers).walk(src.body)
        for s in self.scanners:
            s.end_module(ctx)

    def finish(self) -> None:
        for s in self.scanners:
            s.finish()


def module_of(project: Project, src) -> Module:
    """The module's imports (top level and under if/try), its top-level constants, whether it is Flask code
    and whether it holds configuration (named like a config file, or listed in production-config)."""
    imports: dict[str, str] = {}
    constants: dict[str, ast.expr] = {}
    for stmt in src.body:
        for node in ast.walk(stmt) if isinstance(stmt, (ast.If, ast.Try)) else [stmt]:
            if isinstance(node, ast.Import):
                for a in node.names:
                    imports[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom):
                for a in node.names:
                    imports[a.asname or a.name] = imported_name(node, a)
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    constants[t.id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            constants[stmt.target.id] = stmt.value
    is_flask = any(v == "flask" or v.startswith(("flask.", "flask_")) for v in imports.values()) or bool(
        _FLASK_IMPORT_TEXT.search(src.text)
    )
    module = Module(src.rel, src.lines, imports, constants, is_flask)
    module.is_config_file = bool(flask_config.CONFIG_FILE.search(src.rel))
    base = os.path.basename(src.rel)
    for glob in project.config.production_config:
        if ("/" in glob or "*" in glob or glob.endswith((".py", ".cfg"))) and (
            fnmatch.fnmatchcase(src.rel, glob) or fnmatch.fnmatchcase(base, glob)
        ):
            module.is_config_file = True
    return module


__all__ = ["SCANNERS", "ProjectScan", "dependencies", "deployment", "module_of"]
