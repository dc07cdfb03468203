"""Helpers: write a small Flask app into tmp_path and audit it through the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VALIDATE = REPO / "scripts" / "validate.py"

HEADER = """\
import logging
import re
import uuid

from flask import Flask, g, jsonify, request
"""


def run(*args, cwd=None, python=sys.executable) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [python, str(VALIDATE), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env=env,
        timeout=120,
    )


def audit(target, app="probeapp:app", *args) -> tuple[int, dict, str]:
    """Exit status, parsed JSON report and stderr of ``validate.py --app APP TARGET --format json``."""
    proc = run("--app", app, target, "--format", "json", *args)
    assert "Traceback" not in proc.stderr, proc.stderr
    data = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    return proc.returncode, data, proc.stderr


def write_app(tmp_path: Path, body: str, name: str = "probeapp.py") -> Path:
    (tmp_path / name).write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return tmp_path


def codes(data: dict) -> set[str]:
    return {f["rule"] for f in data.get("findings", [])}


def messages(data: dict, code: str) -> list[str]:
    return [f["message"] for f in data.get("findings", []) if f["rule"] == code]


def write_mega_tutorial(tmp_path: Path) -> Path:
    """config.py + app/__init__.py (create_app(config_class=Config)) + microblog.py, as in the Mega-Tutorial."""
    from .apps import MEGA_CONFIG, MEGA_ENTRY, mega_tutorial_package

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text(HEADER + mega_tutorial_package(), encoding="utf-8")
    (tmp_path / "config.py").write_text(textwrap.dedent(MEGA_CONFIG), encoding="utf-8")
    (tmp_path / "microblog.py").write_text(textwrap.dedent(MEGA_ENTRY), encoding="utf-8")
    return tmp_path
