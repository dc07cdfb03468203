"""Running the real skills CLI (npx skills@1.7.4 on node@22) in a sandbox: HOME is a temp dir and
npm's cache is a directory under .cache/ that only npx fills, so nothing depends on the user's ~/.npm."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from tests.skill.tools import CACHE_DIR, NODE, SKILL_NAME, SKILLS_CLI, run


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


def install_into(project, head_clone, home):
    project.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    result, report = skills_add(head_clone, project, home)
    assert result.returncode == 0, result.describe()
    entries = [e for e in report if e.get("name") == SKILL_NAME]
    assert entries and all(e.get("status") == "installed" for e in entries), result.describe()
    return project
