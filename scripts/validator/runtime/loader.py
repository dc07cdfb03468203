"""Build the Flask app named by a Flask-style ``--app`` string, or explain in one line why not.

``IMPORT`` follows ``flask --app``: ``module``, ``module:name``, ``module:factory(args)`` with literal
arguments, or ``path/to/file.py[:...]``. Without a name, Flask's ``find_best_app`` rules apply (``app``
or ``application``, the only Flask instance, else ``create_app()``/``make_app()``). Flask's own
``find_best_app``/``find_app_by_string``/``prepare_import`` do the work, so behaviour matches the CLI.

One addition to Flask's forms: a factory argument may also name an object, for factories that take a
config class (``create_app(config_class=Config)``, the Flask Mega-Tutorial's shape):
``microblog:create_app(config.TestConfig)`` imports ``config`` and passes its ``TestConfig``;
a bare ``create_app(TestConfig)`` is looked up in the ``--app`` module, then in the factory's own
module, then in a ``config`` module importable from PATH.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import sys


class AppLoadError(Exception):
    """The app could not be imported or built: exit status 2 with this one-line message."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def load_app(import_str: str, path: str):
    """Return ``(app, module)``; raise AppLoadError (with a one-line message) on any failure."""
    try:
        import flask  # noqa: F401
        from flask.cli import NoAppException, find_app_by_string, find_best_app, prepare_import
    except ImportError as exc:
        raise AppLoadError(f"--app needs Flask importable by this Python ({_one_line(exc)})") from None

    import_str = import_str.strip()
    if not import_str:
        raise AppLoadError("--app needs an import string such as \"app:create_app('testing')\"")
    module_part, name = [*re.split(r":(?![\\/])", import_str, maxsplit=1), None][:2]
    if name is not None:
        try:  # reject a malformed name before importing anything (Flask would import first)
            ast.parse(name.strip(), mode="eval")
        except SyntaxError:
            raise AppLoadError(f"Failed to parse {name!r} as an attribute name or function call") from None
    root = os.path.abspath(path)
    if module_part.endswith(".py") or "/" in module_part or os.sep in module_part:
        file_path = module_part if os.path.isabs(module_part) else os.path.join(root, module_part)
        if not os.path.exists(file_path):
            raise AppLoadError(f"{module_part}: no such file under {path}")
        if sys.path[0] != root:
            sys.path.insert(0, root)
        module_name = prepare_import(file_path)
    else:
        module_name = module_part
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", module_name):
            raise AppLoadError(f"{import_str!r}: {module_name!r} is not a module name")
        sys.path.insert(0, root)

    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise AppLoadError(f"could not import {module_name!r} from {path} ({_one_line(exc)})") from None
        raise AppLoadError(f"importing {module_name!r} failed: {_one_line(exc)}") from None
    except BaseException as exc:  # SystemExit, ConfigError, anything the import runs
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise AppLoadError(f"importing {module_name!r} failed: {_one_line(exc)}") from None

    call = _call_with_names(name) if name else None
    if call is not None:
        return _build_from_call(module, import_str, *call), module
    try:
        app = find_app_by_string(module, name) if name else find_best_app(module)
    except NoAppException as exc:
        raise AppLoadError(
            f"{import_str!r}: {' '.join(str(exc.message if hasattr(exc, 'message') else exc).split())}"
        ) from None
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise AppLoadError(f"building the app from {import_str!r} failed: {_config_hint(exc, name)}") from None
    return app, module


def _config_hint(exc: BaseException, name: str | None) -> str:
    """The failure in one line; when a string argument went to ``config.from_object()`` of a factory that
    takes a config class (werkzeug's ImportStringError), say how to pass the class instead."""
    import_name = getattr(exc, "import_name", None)
    if type(exc).__name__ != "ImportStringError" or not isinstance(import_name, str) or not name:
        return _one_line(exc)
    factory = name.split("(", 1)[0].strip()
    return (
        f"ImportStringError: no object named {import_name!r} to load the config from: if {factory} takes a "
        f"config class, name the class instead of a string, e.g. {factory}(config.TestConfig)"
    )


def _is_dotted_name(node) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _call_with_names(name: str):
    """``(factory, args, kwargs)`` as AST nodes when ``name`` is a factory call with at least one argument
    that names an object (``config.TestConfig``); None otherwise, and Flask parses it."""
    expr = ast.parse(name.strip(), mode="eval").body
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Name):
        return None
    values = [*expr.args, *(kw.value for kw in expr.keywords)]
    if not any(_is_dotted_name(v) for v in values):
        return None
    return expr.func.id, expr.args, expr.keywords


_MISSING = object()


def _attr(obj, attr: str, what: str):
    """``getattr`` that turns whatever a module ``__getattr__`` or property raises into one line."""
    try:
        return getattr(obj, attr, _MISSING)
    except Exception as exc:
        raise AppLoadError(f"{what}: reading {attr!r} failed: {_one_line(exc)}") from None


def _walk(obj, name: str, attrs: list[str], what: str):
    for attr in attrs:
        value = _attr(obj, attr, what)
        if value is _MISSING:
            raise AppLoadError(f"{what}: {name!r} has no attribute {attr!r}") from None
        obj, name = value, f"{name}.{attr}"
    return obj


def _import_attr(dotted: str, what: str):
    """The object ``a.b.C`` names: the longest importable module prefix, then attributes."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:i])
        try:
            obj = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
                continue  # not a module: try a shorter prefix
            raise AppLoadError(f"{what}: importing {module_name!r} failed: {_one_line(exc)}") from None
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            raise AppLoadError(f"{what}: importing {module_name!r} failed: {_one_line(exc)}") from None
        return _walk(obj, module_name, parts[i:], what)
    raise AppLoadError(f"{what}: no module {parts[0]!r} importable from the app's directory") from None


def _resolve_argument(node, module, factory):
    """A factory argument: a literal as Flask reads it, or the object a (dotted) name refers to."""
    if not _is_dotted_name(node):
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            raise AppLoadError(
                f"argument {ast.unparse(node)!r} is neither a literal nor a (dotted) name such as config.TestConfig"
            ) from None
    text = ast.unparse(node)
    what = f"argument {text!r}"
    head, _, rest = text.partition(".")
    # where a name can live: the --app module, the factory's own module (app/__init__.py imports Config)
    scopes = [module, sys.modules.get(getattr(factory, "__module__", None) or "")]
    for scope in scopes:
        value = _attr(scope, head, what) if scope is not None else _MISSING
        if value is not _MISSING:
            return _walk(value, head, rest.split(".") if rest else [], what)
    if rest:
        return _import_attr(text, what)
    try:  # a bare class name: the project's root config module (config.py next to the entry point)
        config = importlib.import_module("config")
    except ModuleNotFoundError as exc:
        if exc.name != "config":
            raise AppLoadError(f"{what}: importing 'config' failed: {_one_line(exc)}") from None
        config = None
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise AppLoadError(f"{what}: importing 'config' failed: {_one_line(exc)}") from None
    value = _attr(config, head, what) if config is not None else _MISSING
    if value is not _MISSING:
        return value
    places = " or ".join(repr(s.__name__) for s in dict.fromkeys(s for s in scopes if s is not None))
    also = ", nor in a root 'config' module" if config is not None else " (and no root 'config' module)"
    raise AppLoadError(f"{what}: no {head!r} in {places}{also}; name its module, e.g. config.{head}") from None


def _build_from_call(module, import_str: str, factory_name: str, arg_nodes, keyword_nodes):
    """Call ``module.factory_name`` with resolved arguments, with Flask's checks and messages."""
    import inspect

    from flask import Flask

    try:  # Flask's own test: did the call fail, or something inside the factory?
        from flask.cli import _called_with_wrong_args
    except ImportError:  # a private helper: without it, any TypeError is reported as the factory's

        def _called_with_wrong_args(f):
            return False

    factory = _attr(module, factory_name, import_str)
    if factory is _MISSING:
        raise AppLoadError(f"{import_str!r}: Failed to find attribute {factory_name!r} in {module.__name__!r}.")
    if not inspect.isfunction(factory):
        raise AppLoadError(f"{import_str!r}: {factory_name!r} in {module.__name__!r} is not a factory function")
    if any(kw.arg is None for kw in keyword_nodes):
        raise AppLoadError(f"{import_str!r}: **kwargs cannot be given on the command line")
    args = [_resolve_argument(a, module, factory) for a in arg_nodes]
    kwargs = {kw.arg: _resolve_argument(kw.value, module, factory) for kw in keyword_nodes}
    try:
        app = factory(*args, **kwargs)
    except TypeError as exc:
        if _called_with_wrong_args(factory):
            raise AppLoadError(
                f"{import_str!r}: the factory {factory_name!r} in {module.__name__!r} could not be called with "
                f"these arguments ({_one_line(exc)})"
            ) from None
        raise AppLoadError(f"building the app from {import_str!r} failed: {_one_line(exc)}") from None
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise AppLoadError(f"building the app from {import_str!r} failed: {_one_line(exc)}") from None
    if not isinstance(app, Flask):
        raise AppLoadError(
            f"{import_str!r}: A valid Flask application was not obtained (the factory returned {type(app).__name__})."
        )
    return app
