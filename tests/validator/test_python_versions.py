"""The CLI runs on the oldest and newest supported Pythons (pyenv interpreters, when present)."""

import json
import subprocess
from pathlib import Path

import pytest

from .test_seed_and_reference import SEED_FAULTS
from .util import REPO, cli, write_tree

PYTHONS = {v: Path(f"/root/.pyenv/versions/{v}/bin/python") for v in ("3.9.18", "3.13.0")}


def _has_yaml(python: Path) -> bool:
    return subprocess.run([str(python), "-c", "import yaml"], capture_output=True).returncode == 0


@pytest.mark.parametrize("version", sorted(PYTHONS))
def test_cli_on_seed_and_reference(version):
    python = PYTHONS[version]
    if not python.exists():
        pytest.skip(f"Python {version} not installed at {python}")
    proc = cli("examples/seed_app", "--format", "json", python=str(python))
    assert proc.returncode == 1, proc.stderr
    assert {(f["rule"], f["path"]) for f in json.loads(proc.stdout)["findings"]} == SEED_FAULTS
    assert "Traceback" not in proc.stderr
    if (REPO / "reference" / "app").is_dir():
        assert cli("reference", python=str(python)).returncode == 0


@pytest.mark.parametrize("version", sorted(PYTHONS))
def test_config_file_needs_pyyaml_only_when_present(version, tmp_path):
    python = PYTHONS[version]
    if not python.exists():
        pytest.skip(f"Python {version} not installed at {python}")
    write_tree(
        tmp_path,
        {
            "app.py": "from flask import Flask\nfrom flask_cors import CORS\n"
            "def create_app():\n    app = Flask(__name__)\n    CORS(app)\n    return app\n",
            ".flask-middleware.yml": "select: [CORS001]\n",
        },
    )
    proc = cli(tmp_path, python=str(python))
    if _has_yaml(python):
        assert proc.returncode == 1 and "CORS001" in proc.stdout
    else:  # the no-config path works without PyYAML; reading a config file says what is missing
        assert proc.returncode == 2 and "needs PyYAML" in proc.stderr and "Traceback" not in proc.stderr
