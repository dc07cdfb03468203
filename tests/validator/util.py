"""Helpers: write a small tree into tmp_path and run the validator in-process (or as a CLI)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"
VALIDATE = SCRIPTS / "validate.py"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

from validator.cli import main  # noqa: E402


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def run_json(path, *args, capsys) -> tuple[int, dict]:
    capsys.readouterr()
    code = main([str(path), "--format", "json", *args])
    out = capsys.readouterr()
    assert "internal error" not in out.err, out.err
    return code, json.loads(out.out) if out.out.strip().startswith("{") else {}


def scan(tmp_path: Path, files: dict, capsys, *args) -> list[dict]:
    write_tree(tmp_path, files)
    code, data = run_json(tmp_path, *args, capsys=capsys)
    assert code in (0, 1), code
    return data["findings"]


def rules_of(findings) -> list[str]:
    return sorted(f["rule"] for f in findings)


def pairs(findings) -> set[tuple[str, str]]:
    return {(f["rule"], f["path"]) for f in findings}


def cli(*args, python=sys.executable, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, str(VALIDATE), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env=env or dict(os.environ),
        timeout=120,
    )


def model_of(root: Path, files: dict, **config):
    """The project model of a small tree (what the scanners found), for tests of scan/ modules."""
    from validator.config import Config
    from validator.pipeline import build_model

    write_tree(root, files)
    return build_model(str(root), Config(**config))
