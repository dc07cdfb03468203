"""The records of the project model: one class per kind of fact (a module, a call of interest, a route,
a header write, a config assignment, a requirement, a server config, what serves the app). Plain data."""

from __future__ import annotations

import ast

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


class HeaderLib(Fact):
    """A library that sends security headers: ``kind`` talisman (Talisman(app, ...), a subclass of it, or a
    talisman instance's per-view decorator), secure, sslify. ``options``: the keyword values it is given,
    evaluated, spreads (``**Config.TALISMAN_SETTINGS``) included; set once every module is read."""

    __slots__ = ("options",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.options: dict[str, object] = {}


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
        "credentials",
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
        # the call that shows the view checks credentials or issues a token ("login_user", "check_password"...)
        self.credentials: str | None = None

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


# Response headers that are security controls (lower case): what counts as a header mechanism
# (rules/headers.py) and what marks a literal table of headers (scan/headers.py) come from this one list.
SECURITY_HEADERS = frozenset(
    "x-content-type-options x-frame-options strict-transport-security content-security-policy referrer-policy "
    "x-xss-protection permissions-policy feature-policy cross-origin-opener-policy cross-origin-embedder-policy "
    "cross-origin-resource-policy x-permitted-cross-domain-policies".split()
)
