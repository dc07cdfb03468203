"""The validator's layout stays readable: no import circle, no file over 500 lines, no function over 80
lines (unless a comment at its top says why it must be longer), and a model that is only data."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from .util import SCRIPTS

PACKAGE = SCRIPTS / "validator"
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 80
LONG_FILE_REASON = "# longer than 500 lines because"
LONG_FUNCTION_REASON = "# longer than 80 lines because"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SCRIPTS).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Modules of the package that ``name`` imports anywhere in its file (function-level imports included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range((node.level or 1) - 1):
                base = base.rpartition(".")[0]
            origin = (base + "." + node.module if node.module else base) if node.level else node.module
            out.add(origin)
            out.update(f"{origin}.{a.name}" for a in node.names)  # `from . import cors`: a submodule
    return {m for m in out if m in known and m != name}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle():
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert graph["validator.pipeline"] >= {"validator.scan", "validator.parsing", "validator.discovery"}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_model_is_only_data():
    """The model package holds classes: it builds nothing and imports nothing but itself and the config type."""
    known = modules()
    for name in ("validator.model", "validator.model.records", "validator.model.project"):
        imported = imports_of(name, known[name], known)
        assert {m for m in imported if not m.startswith("validator.model")} <= {"validator.config"}, name
        tree = ast.parse(known[name].read_text(encoding="utf-8"))
        functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
        assert functions == [], f"{name} defines functions {functions}: building the model belongs in pipeline.py"


def test_no_python_file_under_scripts_is_too_long():
    too_long = []
    for path in sorted(SCRIPTS.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_FILE_LINES and LONG_FILE_REASON not in text[:2000]:
            too_long.append(f"{path.relative_to(SCRIPTS)}: {len(text.splitlines())} lines")
    assert too_long == []


def test_no_function_under_scripts_is_too_long():
    too_long = []
    for path in sorted(SCRIPTS.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = node.end_lineno - node.lineno + 1
            head = "\n".join(lines[node.lineno - 1 : node.body[0].lineno + 2])
            if length > MAX_FUNCTION_LINES and LONG_FUNCTION_REASON not in head:
                too_long.append(f"{path.relative_to(SCRIPTS)}:{node.lineno} {node.name}: {length} lines")
    assert too_long == []


def test_every_scanner_is_registered_and_documented():
    """A scan module that defines a Scanner is listed in SCANNERS and named in the package docstring."""
    from validator import scan

    listed = {cls.__module__.rsplit(".", 1)[-1] for cls in scan.SCANNERS}
    defined = {p.stem for p in (PACKAGE / "scan").glob("*.py") if "(Scanner):" in p.read_text(encoding="utf-8")}
    assert defined == listed
    for name in defined | {"dependencies"}:
        assert f"    {name} " in scan.__doc__, name


def test_every_rule_is_registered_whatever_module_was_imported_first():
    """One rule module imported on its own (live/rules.py reads rules.headers) registers only its
    own rules; the registry must still hand out all of them. In a fresh interpreter, as a user's
    import order would be; the suite's own order once made 250 in-process scans exit 2."""
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import validator.live.rules\n"
        "from validator.rules import all_rules\n"
        "print(' '.join(sorted(all_rules())))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(SCRIPTS)], capture_output=True, text=True, check=True)
    codes = out.stdout.split()
    assert {"APP001", "CORS001", "DEP001", "HDR001", "LOG001", "PARSE001", "RATE001", "RATE008"} <= set(codes)
