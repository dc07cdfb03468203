"""An installed agent skill inside a project is not the project's code: the audit skips it."""

import json
import subprocess
import sys

from tests.support.servers import REPO_ROOT

FAULTY = 'from flask import Flask\nfrom flask_cors import CORS\napp = Flask(__name__)\nCORS(app, origins="*")\n'


def scan(root):
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "validate.py"), str(root), "--format", "json"],
                            capture_output=True, text=True, timeout=60)
    return result.returncode, {f["path"] for f in json.loads(result.stdout)["findings"]}


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
