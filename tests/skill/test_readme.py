"""README.md "## Install the skill": the commands and CI snippets work as written.

The only substitution is the repository URL (`https://github.com/<owner>/managing-flask-middleware`),
replaced by a clone of the committed HEAD; everything else runs verbatim.
"""

from __future__ import annotations

import os
import re
import shlex
import sys

import pytest
import yaml

from tests.skill.installer import skills_add
from tests.skill.test_precommit import FAULTY_APP, _make_repo, _reference_files
from tests.skill.tools import CACHE_DIR, PRE_COMMIT, REPO_ROOT, SKILL_NAME, clone_head, fenced_blocks, run, tool_venv

URL = "https://github.com/<owner>/managing-flask-middleware"


def section() -> str:
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Install the skill")
    end = text.index("\n## ", start + 3)
    return text[start:end]


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    return clone_head(tmp_path_factory.mktemp("readme-clone") / SKILL_NAME)


@pytest.mark.slow
def test_install_command(clone, tmp_path):
    [command] = [c for c in fenced_blocks(section(), "bash") if "skills add" in c]
    argv = shlex.split(command)
    assert argv[:3] == ["npx", "skills", "add"] and argv[3] == URL
    options = argv[4:]
    assert options == ["--skill", SKILL_NAME, "--agent", "claude-code", "codex"]
    # skills_add runs the same options (plus -y/--copy/--json for a non-interactive check).
    (tmp_path / "home").mkdir()
    result, report = skills_add(clone, tmp_path, tmp_path / "home")
    assert [e["status"] for e in report] == ["installed"], result.describe()


def _actions_steps():
    [block] = [b for b in fenced_blocks(section(), "yaml") if "setup-python" in b]
    steps = yaml.safe_load(block)
    return [step["run"] for step in steps if "run" in step]


@pytest.mark.slow
def test_github_actions_steps(clone, tmp_path):
    install, validate = _actions_steps()
    assert install == f'pip install "git+{URL}@main"'
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], check=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("VIRTUAL_ENV", None)
    # `git+<url>@main`: pip clones the URL and checks out main, exactly what a local git URL does.
    local = install.replace(URL, f"file://{clone}")
    result = run(["bash", "-c", local + " --quiet"], env=env, timeout=600)
    assert result.returncode == 0, result.describe()
    faulty = _make_repo(tmp_path / "faulty", FAULTY_APP)
    result = run(["bash", "-c", validate], cwd=faulty, env=env, timeout=120)
    assert result.returncode == 1, result.describe()
    assert re.search(r"^::(error|warning) file=app/__init__.py", result.stdout, re.M), result.describe()
    clean = _make_repo(tmp_path / "clean", _reference_files(clone))
    result = run(["bash", "-c", validate], cwd=clean, env=env, timeout=120)
    assert result.returncode == 0, result.describe()


@pytest.mark.slow
def test_pre_commit_config(clone, tmp_path):
    [block] = [b for b in fenced_blocks(section(), "yaml") if "repos:" in b]
    config = block.replace(URL, str(clone))
    assert yaml.safe_load(config)["repos"][0]["hooks"] == [{"id": "validate-flask-middleware"}]
    bin_dir = tool_venv("pre-commit", PRE_COMMIT)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "VIRTUAL_ENV"))},
           "HOME": str(tmp_path), "PRE_COMMIT_HOME": str(CACHE_DIR / "pre-commit-home"),
           "PRE_COMMIT_COLOR": "never"}
    outcomes = {}
    for name, files in (("faulty", FAULTY_APP), ("clean", _reference_files(clone))):
        repo = _make_repo(tmp_path / name, {**files, ".pre-commit-config.yaml": config})
        result = run([bin_dir / "pre-commit", "run", "--all-files"], cwd=repo, env=env, timeout=900)
        outcomes[name] = result
    assert outcomes["faulty"].returncode == 1 and "CORS002" in outcomes["faulty"].stdout, \
        outcomes["faulty"].describe()
    assert outcomes["clean"].returncode == 0, outcomes["clean"].describe()
