"""Small AST helpers: dotted names, literal evaluation with config/env references."""

from __future__ import annotations

import ast


def dotted(node) -> str | None:
    """``a.b.c`` for Name/Attribute chains (calls in the chain are skipped: ``a().b`` -> ``a.b``)."""
    parts = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return None
    return ".".join(reversed(parts))


_AST = ast.AST
_CTX = ast.expr_context


def iter_nodes(node):
    """ast.walk, depth-first and about twice as fast (no iter_fields/iter_child_nodes generators)."""
    stack = [node]
    pop, push = stack.pop, stack.append
    while stack:
        n = pop()
        yield n
        for name in n._fields:
            v = getattr(n, name, None)
            if v.__class__ is list:
                for x in v:
                    if isinstance(x, _AST):
                        push(x)
            elif isinstance(v, _AST) and not isinstance(v, _CTX):
                push(v)


def imported_name(node: ast.ImportFrom, alias: ast.alias) -> str:
    """What ``from <node> import <alias>`` binds: "flask_cors.CORS", ".auth.bp", ".auth" (from . import auth)."""
    module = node.module + "." if node.module else ""
    return "." * (node.level or 0) + module + alias.name


def last(name: str | None) -> str:
    return name.rsplit(".", 1)[-1] if name else ""


def call_name(call: ast.Call) -> str:
    return dotted(call.func) or ""


def kwarg(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def has_kwarg(call: ast.Call, name: str) -> bool:
    return any(kw.arg == name for kw in call.keywords)


def cached_on(node, key: str, compute):
    """compute(node), once per syntax-tree node: the result is kept on the node, so it goes away with the
    tree (no table to clear between scans) and rules asking again get it for free."""
    store = node.__dict__
    if key not in store:
        store[key] = compute(node)
    return store[key]


def source_lines(lines: list[str], node) -> str:
    """The whole source lines a node spans (decorators excluded): cheap, and enough for keyword tests."""
    return "".join(lines[node.lineno - 1 : getattr(node, "end_lineno", None) or node.lineno])


def local_assigns(func) -> dict:
    """name -> first value assigned to it in the function (``x = ...``; once per function)."""
    if func is None:
        return {}
    return cached_on(func, "_fmw_local_assigns", _first_assignments)


def _first_assignments(func) -> dict:
    out: dict = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out.setdefault(node.targets[0].id, node.value)
    return out


def str_const(node) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class Unknown:
    """A value the checker cannot know statically."""

    def __repr__(self):
        return "<unknown>"


UNKNOWN = Unknown()


# Plain value classes rather than frozen dataclasses: importing `dataclasses` costs ~15 ms of start-up.
class EnvRef:
    """``os.environ[name]`` / ``os.getenv(name, default)``: known only at run time."""

    __slots__ = ("default", "has_default", "name")

    def __init__(self, name: str, default: object = None, has_default: bool = False):
        self.name = name
        self.default = default  # UNKNOWN-free python value or None
        self.has_default = has_default

    def __eq__(self, other):
        if not isinstance(other, EnvRef):
            return NotImplemented
        return (self.name, self.default, self.has_default) == (other.name, other.default, other.has_default)

    def __hash__(self):
        return hash((self.name, self.has_default))

    def __repr__(self):
        return f"EnvRef({self.name!r}, {self.default!r}, {self.has_default!r})"


class ConfigRef:
    """``app.config[key]`` / ``app.config.get(key, default)``: resolved against the production config."""

    __slots__ = ("default", "has_default", "key")

    def __init__(self, key: str, default: object = None, has_default: bool = False):
        self.key = key
        self.default = default
        self.has_default = has_default

    def __eq__(self, other):
        if not isinstance(other, ConfigRef):
            return NotImplemented
        return (self.key, self.default, self.has_default) == (other.key, other.default, other.has_default)

    def __hash__(self):
        return hash((self.key, self.has_default))

    def __repr__(self):
        return f"ConfigRef({self.key!r}, {self.default!r}, {self.has_default!r})"


def _is_environ(node) -> bool:
    name = dotted(node) or ""
    return name in ("os.environ", "environ") or name.endswith(".environ")


def evaluate(node, consts: dict | None = None, local: dict | None = None, depth: int = 0):
    """Best-effort literal value. Returns python values, EnvRef, ConfigRef or UNKNOWN."""
    if node is None or depth > 12:
        return UNKNOWN
    consts = consts or {}
    local = local or {}
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [evaluate(e, consts, local, depth + 1) for e in node.elts]
    if isinstance(node, ast.Dict):
        return _evaluate_dict(node, consts, local, depth)
    if isinstance(node, ast.Name):
        if node.id in local:
            value = local[node.id]
            return evaluate(value, consts, {}, depth + 1) if isinstance(value, ast.AST) else value
        if node.id in consts:
            return evaluate(consts[node.id], consts, {}, depth + 1)
        return UNKNOWN
    if isinstance(node, ast.Subscript):
        return _evaluate_subscript(node)
    if isinstance(node, ast.Call):
        return _evaluate_call(node, consts, local, depth)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
        # X or default: model as "X, falling back to the last literal"
        first = evaluate(node.values[0], consts, local, depth + 1)
        fallback = evaluate(node.values[-1], consts, local, depth + 1)
        if isinstance(first, EnvRef) and not first.has_default:
            return EnvRef(first.name, fallback, True)
        if isinstance(first, ConfigRef) and not first.has_default:
            return ConfigRef(first.key, fallback, True)
        return first if not isinstance(first, Unknown) else UNKNOWN
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a = evaluate(node.left, consts, local, depth + 1)
        b = evaluate(node.right, consts, local, depth + 1)
        if isinstance(a, str) and isinstance(b, str):
            return a + b
        if isinstance(a, list) and isinstance(b, list):
            return a + b
    return UNKNOWN


def _evaluate_dict(node: ast.Dict, consts, local, depth) -> dict:
    out = {}
    for k, v in zip(node.keys, node.values):
        if k is None:  # {**OTHER, ...}
            inner = evaluate(v, consts, local, depth + 1)
            if isinstance(inner, dict):
                out.update(inner)
            continue
        key = evaluate(k, consts, local, depth + 1)
        if isinstance(key, (str, int, float, bool)) or key is None:
            out[key] = evaluate(v, consts, local, depth + 1)
    return out


def _evaluate_subscript(node: ast.Subscript):
    """``os.environ["X"]`` -> EnvRef, ``app.config["X"]`` -> ConfigRef."""
    key = node.slice
    if isinstance(key, ast.Index):  # pragma: no cover - Python 3.8 shape
        key = key.value  # type: ignore[attr-defined]
    k = str_const(key)
    if k is not None:
        if _is_environ(node.value):
            return EnvRef(k)
        base = dotted(node.value) or ""
        if base.endswith("config"):
            return ConfigRef(k)
    return UNKNOWN


def _evaluate_call(node: ast.Call, consts, local, depth):
    """os.getenv/environ.get, config.get, str methods on known strings, list()/tuple()/re.compile()/bool()."""
    fname = dotted(node.func) or ""
    args = node.args
    if fname in ("os.getenv", "getenv") or (
        fname.endswith(".get") and isinstance(node.func, ast.Attribute) and _is_environ(node.func.value)
    ):
        if args and str_const(args[0]) is not None:
            if len(args) > 1:
                return EnvRef(args[0].value, evaluate(args[1], consts, local, depth + 1), True)
            default = kwarg(node, "default")
            if default is not None:
                return EnvRef(args[0].value, evaluate(default, consts, local, depth + 1), True)
            return EnvRef(args[0].value)
    if fname.endswith("config.get") and args and str_const(args[0]) is not None:
        if len(args) > 1:
            return ConfigRef(args[0].value, evaluate(args[1], consts, local, depth + 1), True)
        return ConfigRef(args[0].value)
    if isinstance(node.func, ast.Attribute) and node.func.attr in ("split", "strip", "lower", "rstrip"):
        inner = evaluate(node.func.value, consts, local, depth + 1)
        if isinstance(inner, EnvRef):
            return inner
        if isinstance(inner, str) and node.func.attr == "split":
            sep = str_const(args[0]) if args else None
            return [p.strip() for p in inner.split(sep)] if sep else inner.split()
        if isinstance(inner, str):
            return getattr(inner, node.func.attr)()
    if fname in ("list", "tuple", "set", "frozenset", "sorted") and len(args) == 1:
        return evaluate(args[0], consts, local, depth + 1)
    if fname in ("re.compile", "compile") and args:
        return evaluate(args[0], consts, local, depth + 1)
    if fname == "bool" and args:
        return evaluate(args[0], consts, local, depth + 1)
    return UNKNOWN


def iter_strings(value):
    """Flatten an evaluated value into its string members (env defaults included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple, set)):
        for v in value:
            yield from iter_strings(v)
    elif isinstance(value, EnvRef) and value.has_default:
        yield from iter_strings(value.default)


def node_text(src_lines: list[str], node) -> str:
    try:
        start, end = node.lineno - 1, (getattr(node, "end_lineno", None) or node.lineno)
        return "".join(src_lines[start:end])
    except (AttributeError, IndexError):
        return ""


def words(identifier: str) -> list[str]:
    """Split snake_case / camelCase / kebab into lower-case words."""
    import re

    out = []
    for part in re.split(r"[^A-Za-z0-9]+", identifier):
        out.extend(w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", part))
    return [w for w in out if w]
