"""The pre-commit hook works from a clone of the committed HEAD, as a user's .pre-commit-config would.

`pre-commit try-repo <clone> validate-flask-middleware --all-files` runs in a throwaway git repo:
it fails on a small faulty Flask app and passes on a clean copy of the reference app. pre-commit
itself (pinned) is installed by the test into a venv under .cache/; it then pip-installs the hook
repository (the `[project]` in pyproject.toml) from PyPI-reachable build requirements.
"""

from __future__ import annotations

import os

import pytest
import yaml

from tests.skill.tools import CACHE_DIR, PRE_COMMIT, REPO_ROOT, SKILL_NAME, clone_head, run, tool_venv

HOOK_ID = "validate-flask-middleware"

FAULTY_APP = {
    "app/__init__.py": '''from flask import Flask
from flask_cors import CORS

app = Flask(__name__)
CORS(app, origins="*", supports_credentials=True)


@app.after_request
def headers(response):
    response.headers["X-XSS-Protection"] = "1; mode=block"
    response.headers.pop("Server", None)
    return response


@app.post("/login")
def login():
    return "ok"
''',
    "requirements.txt": "flask==3.0.0\nflask-cors==4.0.0\n",
}


def test_hook_definition():
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    [hook] = [h for h in hooks if h["id"] == HOOK_ID]
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False  # the validator audits the repository as a whole
    scripts = [line for line in (REPO_ROOT / "pyproject.toml").read_text().splitlines()
               if line.startswith(hook["entry"].split()[0] + " =")]
    assert scripts, f"pyproject.toml declares no console script {hook['entry']!r}"


def _git(repo, *args):
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return run(["git", "-C", repo, *args], env=env, check=True)


def _make_repo(path, files):
    path.mkdir(parents=True)
    _git(path, "init", "-q")
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    _git(path, "add", "-A")
    _git(path, "commit", "-q", "-m", "app")
    return path


def _reference_files(clone):
    """The committed reference app (from the clone, so it matches the committed validator)."""
    files = {}
    for path in (clone / "reference").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            files[str(path.relative_to(clone / "reference"))] = path.read_text()
    files["requirements.txt"] = (clone / "requirements.txt").read_text()
    return files


@pytest.fixture(scope="module")
def try_repo(tmp_path_factory):
    bin_dir = tool_venv("pre-commit", PRE_COMMIT)
    clone = clone_head(tmp_path_factory.mktemp("hook-clone") / SKILL_NAME)
    home = tmp_path_factory.mktemp("pc-home")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "VIRTUAL_ENV"))},
        "HOME": str(home),
        # Its own cache dir: pre-commit caches hook environments by repo + revision.
        "PRE_COMMIT_HOME": str(CACHE_DIR / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never",
    }

    def run_hook(repo):
        return run([bin_dir / "pre-commit", "try-repo", clone, HOOK_ID, "--all-files", "--verbose"],
                   cwd=repo, env=env, timeout=900)

    run_hook.clone = clone
    return run_hook


@pytest.mark.slow
def test_hook_fails_on_a_faulty_app(try_repo, tmp_path):
    result = try_repo(_make_repo(tmp_path / "faulty", FAULTY_APP))
    assert result.returncode == 1, result.describe()
    out = result.stdout
    assert "Failed" in out, result.describe()
    for code in ("CORS002", "HDR003", "HDR004", "RATE001", "DEP001"):
        assert code in out, f"{code} missing from the hook output:\n{result.describe()}"


@pytest.mark.slow
def test_hook_passes_on_the_reference(try_repo, tmp_path):
    result = try_repo(_make_repo(tmp_path / "clean", _reference_files(try_repo.clone)))
    assert result.returncode == 0, result.describe()
    assert "Passed" in result.stdout, result.describe()

