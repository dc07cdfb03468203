"""The real installer: `npx skills add <clone> --skill managing-flask-middleware` installs the bundle.

The source is a `git clone` of the committed HEAD, so files that are not committed cannot make this
pass. HOME points at a temp dir (no user config, no global skills) and npm's cache is a directory
under .cache/ that only npx itself fills, so the result does not depend on the user's ~/.npm.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.skill.tools import CACHE_DIR, NODE, REPO_ROOT, SKILL_NAME, SKILLS_CLI, clone_head, run

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


def skills_add(source, project, home, skill=SKILL_NAME, timeout=600):
    npx = shutil.which("npx")
    if not npx:
        pytest.fail("npx is not on PATH: install Node.js (npm) to run the installer test")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "CI": "true",
        "npm_config_cache": str(CACHE_DIR / "npm"),  # filled by npx only; never the user's ~/.npm
        "npm_config_update_notifier": "false",
        "npm_config_fund": "false",
        "npm_config_audit": "false",
        "DISABLE_TELEMETRY": "1",  # skills CLI: no telemetry or audit calls to skills.sh
        "DO_NOT_TRACK": "1",
    }
    for key in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "no_proxy", "NO_PROXY",
                "npm_config_registry", "NPM_CONFIG_REGISTRY", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"):
        if key in os.environ:
            env[key] = os.environ[key]
    argv = [npx, "--yes", "-p", NODE, "-p", SKILLS_CLI, "--", "skills", "add", str(source),
            "--skill", skill, "--agent", "claude-code", "codex", "--copy", "-y", "--json"]
    result = run(argv, cwd=project, env=env, timeout=timeout)
    try:
        report = json.loads(result.stdout[result.stdout.index("["):])
    except ValueError:
        pytest.fail("skills add printed no JSON report:\n" + result.describe())
    return result, report


@pytest.fixture(scope="session")
def head_clone(tmp_path_factory):
    return clone_head(tmp_path_factory.mktemp("clone") / SKILL_NAME)


def install_into(project, head_clone, home):
    project.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    result, report = skills_add(head_clone, project, home)
    assert result.returncode == 0, result.describe()
    entries = [e for e in report if e.get("name") == SKILL_NAME]
    assert entries and all(e.get("status") == "installed" for e in entries), result.describe()
    return project


@pytest.fixture(scope="session")
def installed_project_factory(tmp_path_factory, head_clone):
    """project_factory(kind): a temp project holding a copy of ``examples/seed_app`` (kind "seed") or
    of ``reference`` (kind "reference"), with the skill installed into it by the real CLI."""
    made = {}

    def factory(kind):
        if kind not in made:
            root = tmp_path_factory.mktemp(f"project-{kind}")
            source = REPO_ROOT / ("examples/seed_app" if kind == "seed" else "reference")
            project = root / "project"
            shutil.copytree(source, project, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            made[kind] = install_into(project, head_clone, root / "home")
        return made[kind]

    return factory


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
