"""The project: every fact gathered from one scanned root, grouped by the scanner that fills it, and the
few questions rules ask of them (which URL a route serves, where project-wide findings point)."""

from __future__ import annotations

import os

from .records import (
    ConfigAssign,
    ConfigClass,
    Fact,
    HeaderLib,
    HeaderOp,
    KeyFunc,
    LogCall,
    Module,
    RequestIdRead,
    Requirement,
    Route,
    ServedBy,
    ServerConf,
    ViewClass,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    import ast

    from ..config import Config


class Project:
    """Every fact gathered from one scanned root, grouped by concern (the scanner that fills each group
    is named in brackets: ``scan/<name>.py``)."""

    def __init__(self, root: str, config: Config):
        self.root = root
        self.config = config
        # [pipeline] what was read
        self.modules: list[Module] = []
        self.parse_problems: list[tuple[str, int, int, str]] = []
        self.files_seen = 0
        self.is_flask = False
        self.not_flask = "no module imports flask"  # why the rules do not apply, when is_flask is False
        self._modules_by_rel: dict[str, Module] | None = None
        # [walk] every definition, by name: project decorators, key functions, validators are looked up here
        self.functions: dict[str, list[tuple[Module, ast.AST]]] = {}
        # [app_factory] where apps are built and middleware is bound to them
        self.app_sites: list[Fact] = []  # Flask(...) calls, or calls of a Flask subclass
        self.flask_subclasses: set[str] = set()
        self.hooks: list[Fact] = []  # after_request etc. (func in .node)
        self.module_bindings: list[Fact] = []  # middleware or hooks bound at module level, judged in finish
        self.module_setup: list[Fact] = []  # middleware bound at import time outside a factory (APP001)
        # [routes] routes, blueprints, class-based views
        self.routes: list[Route] = []
        self.text_routes: list = []  # (module, owner, path) found by regex, unparsed blocks too
        self.view_classes: dict[str, list[ViewClass]] = {}
        self.blueprint_prefixes: dict[str, str] = {}  # blueprint variable name -> url_prefix (any module)
        # (module path, variable) -> url_prefix ("" if none) of every Blueprint(...), after register_blueprint
        self.blueprint_url_prefixes: dict[tuple[str, str], str] = {}
        # (module path, variable) of an Api(bp) -> the blueprint it is built on, as written there
        self.api_parents: dict[tuple[str, str], str] = {}
        self.render_template_used = False
        # [rate_limit]
        self.limiter_calls: list[Fact] = []  # Limiter(...)
        self.limiter_names: set[str] = set()
        self.rate_decorator_names = {d.strip() for d in config.rate_limit_decorators}  # from the config file
        self.rate_key_funcs: list[KeyFunc] = []  # key_func of Limiter(...) / limiter.limit(...)
        self.rate_limit_evidence: list[Fact] = []
        self.limited_targets: set[str] = set()  # names wrapped by limiter.limit(...)(x)
        self.exempt_targets: set[str] = set()
        # [cors]
        self.cors_calls: list[Fact] = []  # CORS(...) / cross_origin(...), init_app options merged in
        # [headers]
        self.header_ops: list[HeaderOp] = []
        self.header_libs: list[HeaderLib] = []  # Talisman(...), secure, SSLify(...)
        self.computed_header_writes: list[Fact] = []  # response.headers[name] = ... with a name not known statically
        # [flask_config]
        self.config_classes: dict[str, list[ConfigClass]] = {}
        self.loose_config: list[ConfigAssign] = []
        self.env_config_loading: list[Fact] = []  # from_envvar / from_prefixed_env
        # [request_logging]
        self.log_calls: list[LogCall] = []
        self.request_id_reads: list[RequestIdRead] = []
        self.request_id_evidence: list[Fact] = []
        self.completion_log: Fact | None = None  # a log call with method, path, status and duration
        self.access_log_with_duration = False
        # [dependencies]
        self.requirements: list[Requirement] = []
        # [deployment]
        self.server_confs: list[ServerConf] = []
        self.server_rate_limits: list[tuple[str, int]] = []  # nginx limit_req (path, line)
        self.servers: list[ServedBy] = []  # what starts the app (deployment files, app.run(), ...)
        self.uwsgi_logging_disabled = False  # disable-logging in a uWSGI config or command
        self.server_header_suppression: list[Fact | tuple[str, int]] = []

    def __repr__(self):
        return f"Project({self.root!r}, {len(self.modules)} modules)"

    def config_assigns(self):
        """Every configuration assignment: app.config writes and config-file constants, then config classes."""
        yield from self.loose_config
        for classes in self.config_classes.values():
            for c in classes:
                yield from c.assigns.values()

    def config_assign(self, key: str) -> ConfigAssign | None:
        """The first assignment of ``key`` anywhere, whatever the configuration (production or not)."""
        return next((a for a in self.config_assigns() if a.key == key), None)

    def module_named(self, importer: Module, dotted_module: str) -> Module | None:
        """The scanned module that ``importer`` means by ``dotted_module`` (".auth", "app.api")."""
        name = dotted_module.lstrip(".")
        level = len(dotted_module) - len(name)
        if level:
            package = os.path.dirname(importer.rel)
            for _ in range(level - 1):
                package = os.path.dirname(package)
            path = "/".join(p for p in (package, name.replace(".", "/")) if p)
            # `from . import app`: the package itself, whatever module shares its name
            wanted = (path + ".py", path + "/__init__.py") if name else (path + "/__init__.py",)
        else:  # absolute: match at any depth (src/ layouts, examples/...)
            path = name.replace(".", "/")
            wanted = (path + ".py", path + "/__init__.py")
        for rel in wanted:
            found = self.module_at(rel)
            if found is not None:
                return found
        if not level:
            matches = [m for m in self.modules if m.rel.endswith(tuple("/" + w for w in wanted))]
            if len(matches) == 1:
                return matches[0]
        return None

    def module_at(self, rel: str) -> Module | None:
        if self._modules_by_rel is None:
            self._modules_by_rel = {m.rel: m for m in self.modules}
        return self._modules_by_rel.get(rel)

    @staticmethod
    def split_origin(origin: str) -> tuple[str, str]:
        """(module, name) of an import origin: ".auth.bp" -> (".auth", "bp"), ".app" -> (".", "app"),
        "..app" -> ("..", "app") (the relative dots belong to the module)."""
        name = origin.lstrip(".")
        dots = origin[: len(origin) - len(name)]
        mod, _, attr = name.rpartition(".")
        return dots + mod, attr

    def blueprint_key(self, module: Module, name: str | None) -> tuple[str, str] | None:
        """(module path, variable) where the blueprint ``name`` used in ``module`` was defined."""
        if not name:
            return None
        head, _, rest = name.partition(".")
        origin = module.imports.get(head)
        if origin is None:
            return None if rest else (module.rel, name)
        mod, attr = self.split_origin(origin + ("." + rest if rest else ""))
        home = self.module_named(module, mod) if mod else None
        if home is None:
            return None
        for _ in range(3):  # a package re-exporting it: account/__init__.py has `from .views import account`
            if (home.rel, attr) in self.blueprint_url_prefixes or attr not in home.imports:
                break
            mod, attr = self.split_origin(home.imports[attr])
            nxt = self.module_named(home, mod) if mod.strip(".") else None
            if nxt is None:
                break
            home = nxt
        return home.rel, attr

    def url_prefix(self, module: Module, owner: str | None) -> str:
        key = self.blueprint_key(module, owner)
        if key is not None:
            parent = self.api_parents.get(key) if key not in self.blueprint_url_prefixes else None
            if parent and parent != key[1]:
                home = self.module_at(key[0])
                return self.url_prefix(home, parent) if home else ""
            # unknown key: a blueprint made by a Blueprint subclass or a helper, prefix unknown
            return self.blueprint_url_prefixes.get(key, "")
        # imported in a way not followed: go by the variable name when every blueprint so named agrees
        named = {v for (_rel, var), v in self.blueprint_url_prefixes.items() if var == (owner or "").rsplit(".", 1)[-1]}
        return named.pop() if len(named) == 1 else ""

    def full_path(self, module: Module, owner: str | None, rule: str | None) -> str | None:
        """The URL a route serves: its blueprint's url_prefix joined to the rule, as Flask's
        BlueprintSetupState does (register_blueprint's url_prefix overrides Blueprint's)."""
        if rule is None:
            return None
        prefix = self.url_prefix(module, owner)
        if not prefix:
            return rule
        return "/".join((prefix.rstrip("/"), rule.lstrip("/"))) if rule else prefix

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
