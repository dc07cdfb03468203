"""The project model: every fact the rules need, gathered in one pass over the repository.

``build_model(root, config)`` walks the tree (``discovery``), parses each Python file once
(``parsing``), and lets ``extract`` fill the dataclasses below. Rules only read this model.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass, field

from . import discovery, parsing
from .config import Config


@dataclass
class Module:
    rel: str
    lines: list[str] = field(repr=False)
    imports: dict[str, str] = field(repr=False)  # alias -> dotted origin ("CORS" -> "flask_cors.CORS")
    constants: dict[str, ast.expr] = field(repr=False)  # module-level NAME = <expr>
    is_flask: bool = False
    is_config_file: bool = False


@dataclass
class Fact:
    """A call or statement of interest with its location."""

    kind: str
    module: Module
    node: ast.AST = field(repr=False)
    line: int
    col: int
    func: ast.AST | None = field(default=None, repr=False)  # enclosing function, if any
    module_level: bool = False
    target: str | None = None  # name it was assigned to, if any
    owner: str | None = None  # e.g. the app/blueprint variable the call applies to
    in_dev_branch: bool = False


@dataclass
class Route:
    module: Module
    line: int
    col: int
    rule: str | None
    methods: set[str] | None  # None: unknown (treat as "may accept POST")
    name: str  # view function / endpoint / class name
    owner: str | None  # app or blueprint variable name
    limited: bool = False
    exempt: bool = False
    class_based: bool = False


@dataclass
class HeaderOp:
    module: Module
    line: int
    col: int
    op: str  # set | setdefault | add | pop | del | remove | dict
    name: str  # header name as written
    value: object = None  # evaluated value (str, UNKNOWN, ...)
    value_node: ast.AST | None = None
    func: ast.AST | None = None
    conditional_on_origin: bool = False


@dataclass
class ConfigAssign:
    key: str
    value: object  # evaluated value
    module: Module
    line: int
    col: int
    scope: str  # "class:<Name>" | "loose"
    dev_only: bool = False


@dataclass
class ConfigClass:
    name: str
    bases: list[str]
    module: Module
    line: int
    assigns: dict[str, ConfigAssign] = field(default_factory=dict)


@dataclass
class Requirement:
    name: str  # normalised: lower-case, "_" -> "-"
    spec: str
    path: str
    line: int
    kind: str = "pep508"  # pep508 | poetry | lock


@dataclass
class ServerConf:
    rel: str
    kind: str  # nginx | apache | unknown
    headers: dict[str, tuple[str, int]] = field(default_factory=dict)  # lower name -> (value, line)
    features: dict[str, int] = field(default_factory=dict)  # feature -> line


@dataclass
class Project:
    root: str
    config: Config
    modules: list[Module] = field(default_factory=list)
    parse_problems: list[tuple[str, int, int, str]] = field(default_factory=list)
    is_flask: bool = False
    app_sites: list[Fact] = field(default_factory=list)  # Flask(...) calls
    cors_calls: list[Fact] = field(default_factory=list)  # CORS(...) / cross_origin(...)
    limiter_calls: list[Fact] = field(default_factory=list)  # Limiter(...)
    limiter_names: set[str] = field(default_factory=set)
    rate_limit_evidence: list[Fact] = field(default_factory=list)
    limited_targets: set[str] = field(default_factory=set)  # names wrapped by limiter.limit(...)(x)
    exempt_targets: set[str] = field(default_factory=set)
    routes: list[Route] = field(default_factory=list)
    route_paths: list[str] = field(default_factory=list)  # every route rule seen (incl. lazily)
    text_routes: list = field(default_factory=list)  # (module, owner, path) found by regex, unparsed too
    blueprint_prefixes: dict[str, str] = field(default_factory=dict)
    render_template_used: bool = False
    hooks: list[Fact] = field(default_factory=list)  # after_request etc. (func in .node)
    header_ops: list[HeaderOp] = field(default_factory=list)
    header_libs: list[Fact] = field(default_factory=list)  # Talisman(...), secure
    config_classes: dict[str, list[ConfigClass]] = field(default_factory=dict)
    loose_config: list[ConfigAssign] = field(default_factory=list)
    env_config_loading: list[Fact] = field(default_factory=list)  # from_envvar / from_prefixed_env
    log_calls: list[Fact] = field(default_factory=list)
    request_id_reads: list[Fact] = field(default_factory=list)
    request_id_evidence: list[Fact] = field(default_factory=list)
    module_setup: list[Fact] = field(default_factory=list)  # APP001 candidates
    requirements: list[Requirement] = field(default_factory=list)
    server_confs: list[ServerConf] = field(default_factory=list)
    server_header_suppression: list[Fact | tuple[str, int]] = field(default_factory=list)
    access_log_with_duration: bool = False
    files_seen: int = 0

    @property
    def anchor(self) -> tuple[str, int, int]:
        """Where project-wide findings point: the first Flask(...) or the first flask-importing module."""

        def score(fact):
            fname = getattr(fact.func, "name", "") or ""
            base = fact.module.rel.rsplit("/", 1)[-1]
            return (
                0
                if "app" in fname.lower() or "factory" in fname.lower()
                else 1
                if base in ("__init__.py", "app.py", "wsgi.py", "main.py", "application.py")
                else 2,
                fact.module.rel.count("/"),
                fact.module.rel,
            )

        if self.app_sites:
            fact = min(self.app_sites, key=score)
            return fact.module.rel, fact.line, fact.col
        flask_modules = [m for m in self.modules if m.is_flask]
        if flask_modules:
            mod = min(
                flask_modules,
                key=lambda m: (m.rel.startswith(("docs/", "doc/", "scripts/", "bin/")), m.rel.count("/"), m.rel),
            )
            return mod.rel, 1, 1
        return (self.modules[0].rel if self.modules else "."), 1, 1


_FLASK_IMPORT = re.compile(rb"^[ \t]*(?:from|import)[ \t]+flask", re.M)


def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(discovery.MAX_BYTES + 1)


def build_model(root: str, config: Config, files: discovery.Discovered | None = None, lazy: bool = True) -> Project:
    from . import extract

    project = Project(root=root, config=config)
    if files is None:
        files = discovery.walk(root, config.exclude)
    # Read everything first: a tree where no module imports flask is not parsed at all.
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
    if not any(_FLASK_IMPORT.search(raw) for _f, _r, raw in raws):
        project.files_seen = len(raws)
        return project
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
            extract.extract_module(project, src)
        except RecursionError:
            project.parse_problems.append((rel, 1, 1, "too deeply nested to analyse"))
    for full, rel in files.requirements:
        try:
            extract.extract_requirements(project, full, rel)
        except (OSError, UnicodeDecodeError, ValueError):
            project.parse_problems.append((rel, 1, 1, "cannot read requirements file"))
    for full, rel in files.server_configs:
        try:
            extract.extract_server_conf(project, full, rel)
        except (OSError, UnicodeDecodeError, ValueError):
            continue
    extract.finish(project)
    return project
