"""The real installer: `npx skills add <clone> --skill managing-flask-middleware` installs the bundle.

The source is a `git clone` of the committed HEAD, so files that are not committed cannot make this
pass. HOME points at a temp dir (no user config, no global skills) and npm's cache is a directory
under .cache/ that only npx itself fills, so the result does not depend on the user's ~/.npm.
"""

from __future__ import annotations

import json

import pytest

from tests.skill.installer import install_into, skills_add
from tests.skill.tools import SKILL_NAME

INSTALL_DIRS = (".claude/skills", ".agents/skills")  # claude-code; codex uses the shared .agents dir
MUST_HAVE = (
    "SKILL.md",
    "LICENSE",
    "scripts/validate.py",
    "reference/app/__init__.py",
    "reference/app/extensions.py",
    "reference/app/config.py",
    "reference/app/middleware/cors.py",
    "reference/app/middleware/rate_limiting.py",
    "reference/app/middleware/security.py",
    "reference/app/middleware/logging.py",
    "reference/app/middleware/request_id.py",
    "reference/app/middleware/proxy.py",
    "docs/skill/pitfalls.md",
)


@pytest.mark.slow
def test_skills_add_installs_the_bundle(tmp_path, head_clone):
    project = install_into(tmp_path / "project", head_clone, tmp_path / "home")
    for base in INSTALL_DIRS:
        installed = project / base / SKILL_NAME
        missing = [rel for rel in MUST_HAVE if not (installed / rel).is_file()]
        assert not missing, f"{installed} lacks {missing}"
        assert (installed / "SKILL.md").read_bytes() == (head_clone / "SKILL.md").read_bytes()
    lock = json.loads((project / "skills-lock.json").read_text())
    assert SKILL_NAME in lock["skills"]
    assert not (tmp_path / "home" / ".claude").exists(), "a project install must not write to HOME"


@pytest.mark.slow
def test_wrong_skill_name_is_reported_not_installed(tmp_path, head_clone):
    # The CLI exits 0 either way; only the JSON status tells the difference. This is why the test
    # above checks the status, and why this one exists: to show that check can fail.
    (tmp_path / "home").mkdir()
    result, report = skills_add(head_clone, tmp_path, tmp_path / "home", skill="no-such-skill")
    assert all(entry.get("status") != "installed" for entry in report), result.describe()
    assert not (tmp_path / ".claude" / "skills" / SKILL_NAME).exists()
