"""Build the project model: discover files, read and parse each once, hand it to the scanners.

discovery.walk       which files: Python sources, requirements, deployment and server configs
parsing.parse_source each Python file read and parsed once (lazily: only blocks that can hold a fact)
scan.scan_module     one walk over each tree; every node goes to the concerns that registered for it
scan.* (non-Python)  requirements, Dockerfile/Procfile/..., nginx/Apache configs, line by line
scan.finish          cross-module resolution once everything is read; then rules read the model
"""

from __future__ import annotations

import os
import re

from . import discovery, parsing, scan
from .config import Config
from .lazyre import lazy
from .model import Project

# flask itself, not only an extension: a FastAPI project with a stale `from flask_migrate import` is no Flask app
_FLASK_IMPORT = lazy(rb"^[ \t]*(?:from|import)[ \t]+flask\b", re.M)


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(discovery.MAX_BYTES + 1)


def _read_sources(project: Project, files: discovery.Discovered) -> list[tuple[str, str, bytes]]:
    raws: list[tuple[str, str, bytes]] = []
    for full, rel in files.python:
        try:
            size = os.path.getsize(full)
            if size > discovery.MAX_BYTES:
                project.parse_problems.append((rel, 1, 1, f"skipped: larger than {discovery.MAX_BYTES // 2**20} MB"))
                continue
            raws.append((full, rel, _read(full)))
        except OSError as exc:
            project.parse_problems.append((rel, 1, 1, f"cannot read: {exc.strerror or exc}"))
    return raws


def build_model(root: str, config: Config, files: discovery.Discovered | None = None, lazy: bool = True) -> Project:
    project = Project(root=root, config=config)
    if files is None:
        files = discovery.walk(root, config.exclude)
    # Read everything first: a tree where no module imports flask is not parsed at all.
    raws = _read_sources(project, files)
    if not any(_FLASK_IMPORT.search(raw) for _f, _r, raw in raws):
        project.files_seen = len(raws)
        return project
    scanner = scan.ProjectScan(project)
    extra_words = tuple(d.lower().rsplit(".", 1)[-1] for d in config.rate_limit_decorators)
    for full, rel, raw in raws:
        try:
            src = parsing.parse_source(
                full, rel, raw, lazy=lazy, all_routes=bool(config.auth_route_patterns), extra_words=extra_words
            )
        except parsing.ParseFailure as exc:
            project.parse_problems.append((rel, exc.line, exc.col, exc.reason))
            continue
        try:
            scanner.scan_module(src)
        except RecursionError:
            project.parse_problems.append((rel, 1, 1, "too deeply nested to analyse"))
    text_files = (
        (files.requirements, scan.dependencies.scan_requirements, "requirements file"),
        (files.server_configs, scan.deployment.scan_server_conf, "server config"),
        (files.deployment, scan.deployment.scan_deployment_file, "deployment file"),
    )
    for found, scan_file, what in text_files:
        for full, rel in found:
            try:
                scan_file(project, full, rel)
            except (OSError, UnicodeDecodeError, ValueError):
                project.parse_problems.append((rel, 1, 1, f"cannot read {what}"))
    scanner.finish()
    _check_flask_is_used(project)
    return project


def _check_flask_is_used(project: Project) -> None:
    """A repository that imports flask somewhere but builds no Flask app, defines no blueprint and declares
    no flask package among its dependencies has moved on (tasking-manager: FastAPI with a stale Flask-era
    module): it is not judged as a Flask application."""
    if not project.is_flask or project.app_sites or project.blueprint_url_prefixes or not project.requirements:
        return
    if not any(r.name == "flask" or r.name.startswith("flask-") for r in project.requirements):
        project.is_flask = False
        project.not_flask = "no Flask app is built and no flask package is declared among the dependencies"
