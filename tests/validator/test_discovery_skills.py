"""An installed agent skill inside a project is not the project's code: the audit skips it."""

import json
import subprocess
import sys

from tests.support.servers import REPO_ROOT

FAULTY = 'from flask import Flask\nfrom flask_cors import CORS\napp = Flask(__name__)\nCORS(app, origins="*")\n'


def run_validator(root, *options):
    argv = [sys.executable, str(REPO_ROOT / "scripts" / "validate.py"), str(root), "--format", "json", *options]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return result.returncode, json.loads(result.stdout)["findings"]


def scan(root):
    code, findings = run_validator(root)
    return code, {f["path"] for f in findings}


def test_installed_skill_folders_are_skipped(tmp_path):
    for agent_dir in (".claude/skills/some-skill", ".agents/skills/some-skill"):
        skill = tmp_path / agent_dir
        (skill / "examples").mkdir(parents=True)
        (skill / "SKILL.md").write_text("---\nname: some-skill\ndescription: x\n---\n")
        (skill / "examples" / "app.py").write_text(FAULTY)
    (tmp_path / "app.py").write_text(FAULTY)
    code, paths = scan(tmp_path)
    assert code == 1 and paths == {"app.py"}


def test_a_skill_repository_itself_is_still_scanned(tmp_path):
    (tmp_path / "SKILL.md").write_text("---\nname: some-skill\ndescription: x\n---\n")
    (tmp_path / "app.py").write_text(FAULTY)
    code, paths = scan(tmp_path)
    assert code == 1 and paths == {"app.py"}


def test_reading_a_response_header_is_not_trusting_a_client_id(tmp_path):
    """LOG004 is about request headers; a client or probe comparing a response's X-Request-ID is not."""
    (tmp_path / "app.py").write_text(
        "from flask import Flask, request\napp = Flask(__name__)\n"
        "def check(resp):\n    return resp.headers.get('X-Request-ID')\n"
        "def trusting():\n    return request.headers.get('X-Request-ID')\n"
    )
    _, findings = run_validator(tmp_path, "--select", "LOG004")
    assert [f["line"] for f in findings] == [6]
