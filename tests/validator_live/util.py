"""Run ``validate.py --url ...`` in a subprocess, as CI would, and parse its output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from tests.support.servers import REPO_ROOT

VALIDATE = REPO_ROOT / "scripts" / "validate.py"


def run(*args, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SSL_CERT_FILE")}
    environment.update(env or {})
    with tempfile.TemporaryDirectory() as empty:  # no .flask-middleware.yml to discover (the repo has one)
        proc = subprocess.run(
            [sys.executable, str(VALIDATE), *map(str, args)],
            capture_output=True, text=True, cwd=cwd or empty, env=environment, timeout=300,
        )
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    return proc


def live(*args, env: dict | None = None) -> tuple[int, dict, str]:
    """Exit status, parsed JSON report and stderr of ``validate.py --format json ARGS``."""
    proc = run("--format", "json", *args, env=env)
    data = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    return proc.returncode, data, proc.stderr


def codes(data: dict) -> set[str]:
    return {f["rule"] for f in data.get("findings", [])}


def messages(data: dict, code: str) -> list[str]:
    return [f["message"] for f in data.get("findings", []) if f["rule"] == code]


def one_error_line(stderr: str) -> str:
    """The single ``validate.py: error: ...`` line an exit-2 run prints (and nothing else)."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("validate.py: error: "), stderr
    return lines[0]
