"""Build the Flask app named by a Flask-style ``--app`` string, or explain in one line why not.

``IMPORT`` follows ``flask --app``: ``module``, ``module:name``, ``module:factory(args)`` with literal
arguments, or ``path/to/file.py[:...]``. Without a name, Flask's ``find_best_app`` rules apply (``app``
or ``application``, the only Flask instance, else ``create_app()``/``make_app()``). Flask's own
``find_best_app``/``find_app_by_string``/``prepare_import`` do the work, so behaviour matches the CLI.
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

    try:
        app = find_app_by_string(module, name) if name else find_best_app(module)
    except NoAppException as exc:
        raise AppLoadError(
            f"{import_str!r}: {' '.join(str(exc.message if hasattr(exc, 'message') else exc).split())}"
        ) from None
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise AppLoadError(f"building the app from {import_str!r} failed: {_one_line(exc)}") from None
    return app, module
