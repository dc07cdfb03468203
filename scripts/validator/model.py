"""The project model: every fact the rules need, as plain data.

``pipeline.build_model`` fills it (discovery, parsing once, then the concern scanners in ``scan/``);
rules only read it. Nothing here parses or walks code: the classes hold facts and answer a few
questions about them (which URL a route serves, where project-wide findings point).
"""

from __future__ import annotations

import ast
import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    from .config import Config

# Plain classes rather than dataclasses: importing `dataclasses` (and `inspect` with it) and generating
# the methods cost ~25 ms of start-up on every run. Same names, fields and constructor signatures;
# instances compare by identity (nothing compares them by value) and the records use __slots__.


class Module:
    __slots__ = ("apps", "constants", "imports", "is_config_file", "is_flask", "lines", "rel")

    def __init__(
        self,
        rel: str,
        lines: list[str],
        imports: dict[str, str],  # alias -> dotted origin ("CORS" -> "flask_cors.CORS")
        constants: dict[str, ast.expr],  # module-level NAME = <expr>
        is_flask: bool = False,
        is_config_file: bool = False,
    ):
        self.rel = rel
        self.lines = lines
        self.imports = imports
        self.constants = constants
        self.is_flask = is_flask
        self.is_config_file = is_config_file
        self.apps: set[str] = set()  # variables bound to a Flask app at module level (app = Flask(...))

    def __repr__(self):
        return f"Module({self.rel!r})"


class Fact:
    """A call or statement of interest with its location."""

    __slots__ = (
        "col",
        "func",
        "guard",
        "in_dev_branch",
        "kind",
        "line",
        "module",
        "module_level",
        "node",
        "owner",
        "target",
    )

    def __init__(
        self,
        kind: str,
        module: Module,
        node: ast.AST,
        line: int,
        col: int,
        func: ast.AST | None = None,  # enclosing function, if any
        module_level: bool = False,
        target: str | None = None,  # name it was assigned to, if any
        owner: str | None = None,  # e.g. the app/blueprint variable the call applies to
        in_dev_branch: bool = False,
    ):
        self.kind = kind
        self.module = module
        self.node = node
        self.line = line
        self.col = col
        self.func = func
        self.module_level = module_level
        self.target = target
        self.owner = owner
        self.in_dev_branch = in_dev_branch
        self.guard: str | None = None  # config flag of an enclosing `if app.config["ENABLE_X"]:`

    def __repr__(self):
        return f"Fact({self.kind!r}, {self.module.rel}:{self.line}:{self.col})"


class LogCall(Fact):
    """A call of a logger method. ``secret`` says what sensitive value it is passed ("`password`",
    "the Authorization header") or is None; set once every module is read."""

    __slots__ = ("secret",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.secret: str | None = None


class RequestIdRead(Fact):
    """A read of a client-supplied request-ID header; ``validated``: checked before use (fullmatch...)."""

    __slots__ = ("validated",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validated = False


class KeyFunc(Fact):
    """The key_func of a Limiter or limit (``expr``: the expression passed); ``client_source``: what in it
    reads a client-controlled address ("get_ipaddr", "the X-Forwarded-For request header"), or None."""

    __slots__ = ("client_source", "expr")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.expr: ast.expr | None = None
        self.client_source: str | None = None


class Route:
    __slots__ = (
        "class_based",
        "col",
        "exempt",
        "limited",
        "line",
        "methods",
        "module",
        "name",
        "owner",
        "rule",
        "view",
    )

    def __init__(
        self,
        module: Module,
        line: int,
        col: int,
        rule: str | None,
        methods: set[str] | None,  # None: unknown (treat as "may accept POST")
        name: str,  # view function / endpoint / class name
        owner: str | None,  # app or blueprint variable name
        limited: bool = False,
        exempt: bool = False,
        class_based: bool = False,
        view: ast.AST | None = None,  # the decorated view function, for @route declarations
    ):
        self.module = module
        self.line = line
        self.col = col
        self.rule = rule
        self.methods = methods
        self.name = name
        self.owner = owner
        self.limited = limited
        self.exempt = exempt
        self.class_based = class_based
        self.view = view

    def __repr__(self):
        return f"Route({self.rule!r}, {self.module.rel}:{self.line})"


class ViewClass:
    """A class as a class-based view sees it (MethodView, flask-restful/restx Resource, View): its methods'
    decorators, ``decorators``/``method_decorators`` attributes and a ``methods = [...]`` attribute."""

    __slots__ = ("bases", "decorators", "method_decorators", "methods", "methods_attr", "module", "node")

    def __init__(self, node: ast.ClassDef, module: Module, bases: list[str]):
        self.node = node
        self.module = module
        self.bases = bases
        self.methods: dict[str, list[ast.expr]] = {}  # method name -> its decorators
        self.decorators: list[ast.expr] = []  # class attribute `decorators = [...]`
        self.method_decorators: list[ast.expr] = []  # flask-restful `method_decorators`
        self.methods_attr: set[str] | None = None  # `methods = ["GET", "POST"]`

    def __repr__(self):
        return f"ViewClass({self.node.name!r}, {self.module.rel})"


class HeaderOp:
    __slots__ = (
        "col",
        "conditional_on_origin",
        "func",
        "in_dev_branch",
        "line",
        "module",
        "name",
        "op",
        "reflects_origin",
        "value",
        "value_node",
    )

    def __init__(
        self,
        module: Module,
        line: int,
        col: int,
        op: str,  # set | setdefault | add | pop | del | remove | dict
        name: str,  # header name as written
        value: object = None,  # evaluated value (str, UNKNOWN, ...)
        value_node: ast.AST | None = None,
        func: ast.AST | None = None,
        conditional_on_origin: bool = False,
    ):
        self.module = module
        self.line = line
        self.col = col
        self.op = op
        self.name = name
        self.value = value
        self.value_node = value_node
        self.func = func
        self.conditional_on_origin = conditional_on_origin
        self.in_dev_branch = False  # written under `if app.debug:` and the like
        self.reflects_origin = False  # the value is the request's Origin (directly or through a local)

    def __repr__(self):
        return f"HeaderOp({self.op!r}, {self.name!r}, {self.module.rel}:{self.line})"


class ConfigAssign:
    __slots__ = ("col", "dev_only", "key", "line", "module", "scope", "value")

    def __init__(
        self,
        key: str,
        value: object,  # evaluated value
        module: Module,
        line: int,
        col: int,
        scope: str,  # "class:<Name>" | "loose"
        dev_only: bool = False,
    ):
        self.key = key
        self.value = value
        self.module = module
        self.line = line
        self.col = col
        self.scope = scope
        self.dev_only = dev_only

    def __repr__(self):
        return f"ConfigAssign({self.key!r}, {self.value!r}, {self.module.rel}:{self.line})"


class ConfigClass:
    __slots__ = ("assigns", "bases", "line", "module", "name")

    def __init__(
        self, name: str, bases: list[str], module: Module, line: int, assigns: dict[str, ConfigAssign] | None = None
    ):
        self.name = name
        self.bases = bases
        self.module = module
        self.line = line
        self.assigns = {} if assigns is None else assigns

    def __repr__(self):
        return f"ConfigClass({self.name!r}, {self.module.rel}:{self.line})"


class Requirement:
    __slots__ = ("kind", "line", "name", "path", "spec")

    def __init__(
        self,
        name: str,  # normalised: lower-case, "_" -> "-"
        spec: str,
        path: str,
        line: int,
        kind: str = "pep508",  # pep508 | poetry | lock
    ):
        self.name = name
        self.spec = spec
        self.path = path
        self.line = line
        self.kind = kind

    def __repr__(self):
        return f"Requirement({self.name!r}, {self.spec!r}, {self.path}:{self.line})"


class ServerConf:
    __slots__ = ("features", "headers", "kind", "rel")

    def __init__(
        self,
        rel: str,
        kind: str,  # nginx | apache | unknown
        headers: dict[str, tuple[str, int]] | None = None,  # lower name -> (value, line)
        features: dict[str, int] | None = None,  # feature -> line
    ):
        self.rel = rel
        self.kind = kind
        self.headers = {} if headers is None else headers
        self.features = {} if features is None else features

    def __repr__(self):
        return f"ServerConf({self.rel!r}, {self.kind!r})"


class ServedBy:
    """How the app is started: ``server`` (gunicorn, werkzeug, uwsgi, waitress, gevent, ...) named by a
    deployment file line (``Dockerfile``: ``CMD gunicorn ...``) or by code (``app.run()``)."""

    __slots__ = ("header", "line", "rel", "server", "text")

    def __init__(self, server: str, rel: str, line: int, text: str = "", header: str | None = None):
        self.server = server
        self.rel = rel
        self.line = line
        self.text = text  # the command or call, shortened
        self.header = header  # the Server header it sends by default ("Server: gunicorn"), None if none

    def __repr__(self):
        return f"ServedBy({self.server!r}, {self.rel}:{self.line})"


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
        self.module_setup: list[Fact] = []  # middleware bound to a module-level app (APP001)
        # [routes] routes, blueprints, class-based views
        self.routes: list[Route] = []
        self.text_routes: list = []  # (module, owner, path) found by regex, unparsed blocks too
        self.view_classes: dict[str, list[ViewClass]] = {}
        self.blueprint_prefixes: dict[str, str] = {}  # blueprint variable name -> url_prefix (any module)
        # (module path, variable) -> url_prefix ("" if none) of every Blueprint(...), after register_blueprint
        self.blueprint_url_prefixes: dict[tuple[str, str], str] = {}
        self.render_template_used = False
        # [rate_limit]
        self.limiter_calls: list[Fact] = []  # Limiter(...)
        self.limiter_names: set[str] = set()
        self.rate_key_funcs: list[KeyFunc] = []  # key_func of Limiter(...) / limiter.limit(...)
        self.rate_limit_evidence: list[Fact] = []
        self.limited_targets: set[str] = set()  # names wrapped by limiter.limit(...)(x)
        self.exempt_targets: set[str] = set()
        # [cors]
        self.cors_calls: list[Fact] = []  # CORS(...) / cross_origin(...), init_app options merged in
        # [headers]
        self.header_ops: list[HeaderOp] = []
        self.header_libs: list[Fact] = []  # Talisman(...), secure, SSLify(...)
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
        self.servers: list[ServedBy] = []  # what starts the app (deployment files, app.run(), ...)
        self.server_header_suppression: list[Fact | tuple[str, int]] = []

    def __repr__(self):
        return f"Project({self.root!r}, {len(self.modules)} modules)"

    def module_named(self, importer: Module, dotted_module: str) -> Module | None:
        """The scanned module that ``importer`` means by ``dotted_module`` (".auth", "app.api")."""
        name = dotted_module.lstrip(".")
        level = len(dotted_module) - len(name)
        if level:
            package = os.path.dirname(importer.rel)
            for _ in range(level - 1):
                package = os.path.dirname(package)
            path = "/".join(p for p in (package, name.replace(".", "/")) if p)
            wanted = (path + ".py", path + "/__init__.py")
        else:  # absolute: match at any depth (src/ layouts, examples/...)
            path = name.replace(".", "/")
            wanted = (path + ".py", path + "/__init__.py")
        if self._modules_by_rel is None:
            self._modules_by_rel = {m.rel: m for m in self.modules}
        for rel in wanted:
            if rel in self._modules_by_rel:
                return self._modules_by_rel[rel]
        if not level:
            matches = [m for m in self.modules if m.rel.endswith(tuple("/" + w for w in wanted))]
            if len(matches) == 1:
                return matches[0]
        return None

    def blueprint_key(self, module: Module, name: str | None) -> tuple[str, str] | None:
        """(module path, variable) where the blueprint ``name`` used in ``module`` was defined."""
        if not name:
            return None
        head, _, rest = name.partition(".")
        origin = module.imports.get(head)
        if origin is None:
            return None if rest else (module.rel, name)
        full = origin + ("." + rest if rest else "")
        mod, _, attr = full.rpartition(".")
        home = self.module_named(module, mod) if mod.strip(".") else None
        if home is None:
            return None
        for _ in range(3):  # a package re-exporting it: account/__init__.py has `from .views import account`
            if (home.rel, attr) in self.blueprint_url_prefixes or attr not in home.imports:
                break
            mod, _, attr = home.imports[attr].rpartition(".")
            nxt = self.module_named(home, mod) if mod.strip(".") else None
            if nxt is None:
                break
            home = nxt
        return home.rel, attr

    def url_prefix(self, module: Module, owner: str | None) -> str:
        key = self.blueprint_key(module, owner)
        if key is not None:
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


# Response headers that are security controls (lower case): what counts as a header mechanism
# (rules/headers.py) and what marks a literal table of headers (scan/headers.py) come from this one list.
SECURITY_HEADERS = frozenset(
    "x-content-type-options x-frame-options strict-transport-security content-security-policy referrer-policy "
    "x-xss-protection permissions-policy feature-policy cross-origin-opener-policy cross-origin-embedder-policy "
    "cross-origin-resource-policy x-permitted-cross-domain-policies".split()
)
