"""Every shell command SKILL.md and docs/skill/*.md show works as written.

The commands run exactly as an agent would run them: from the root of a project into which the real
installer put the skill (`.claude/skills/managing-flask-middleware`, the SKILL_DIR the first block
sets). Two projects: a copy of examples/seed_app (the validator must report findings, exit 1) and
a copy of reference/ (the validator must be clean, exit 0). Nothing is substituted in the text.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.skill.tools import REPO_ROOT, fenced_blocks, run, skill_markdown_files

VALIDATE = '"$SKILL_DIR/scripts/validate.py"'
INFO_OPTIONS = ("--help", "--list-rules", "--explain")


def split_commands(block: str) -> list[str]:
    """Top-level commands of a bash block: a chunk of lines ends where `bash -n` accepts it and it
    does not end in a line continuation (so loops and if-blocks stay whole)."""
    commands, chunk = [], []
    for line in block.splitlines():
        if not chunk and (not line.strip() or line.lstrip().startswith("#")):
            continue
        chunk.append(line)
        text = "\n".join(chunk)
        if text.rstrip().endswith("\\"):
            continue
        if subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True).returncode == 0:
            commands.append(text)
            chunk = []
    assert not chunk, f"unterminated shell text: {chunk}"
    return commands


def all_commands() -> list[tuple[str, str]]:
    found = []
    for page in skill_markdown_files():
        for block in fenced_blocks(page.read_text(encoding="utf-8"), "bash"):
            for command in split_commands(block):
                found.append((str(page.relative_to(REPO_ROOT)), command))
    return found


def expected_exit(command: str, kind: str) -> int:
    if VALIDATE in command and not any(opt in command for opt in INFO_OPTIONS):
        return 1 if kind == "seed" else 0  # an audit: the seed has findings, the reference none
    return 0


def test_commands_are_found():
    commands = [c for _, c in all_commands()]
    assert any(c.startswith("SKILL_DIR=") for c in commands)
    assert sum(VALIDATE in c for c in commands) >= 5
    # Every validator command goes through $SKILL_DIR, so it works from the user's project root.
    loose = [c for c in commands if "validate.py" in c and VALIDATE not in c]
    assert not loose, loose


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["seed", "reference"])
def test_commands_run_as_written(kind, installed_project_factory, tmp_path):
    project = installed_project_factory(kind)
    # One bash session per page, commands in order (SKILL_DIR set by the first one stays set), each
    # followed by a marker with its exit status. `python` is this test's interpreter, as the
    # agent's would be the project's.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # A wrapper, not a symlink: Python finds its virtualenv from the path it was started by, and a
    # symlink elsewhere would run the bare interpreter without the project's packages.
    wrapper = bin_dir / "python"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("SKILL_DIR", None)
    failures = []
    by_page: dict[str, list[str]] = {}
    for page, command in all_commands():
        by_page.setdefault(page, []).append(command)
    for page, commands in by_page.items():
        script = ["exec 2>&1", "SKILL_DIR=.claude/skills/managing-flask-middleware"]
        for i, command in enumerate(commands):
            script += [command, f"printf '\\n@@rc {i} %s\\n' $?"]
        result = run(["bash", "-c", "\n".join(script)], cwd=project, env=env, timeout=600)
        outputs = re.split(r"\n@@rc (\d+) (\d+)\n", "\n" + result.stdout)
        seen = {int(outputs[j]): (int(outputs[j + 1]), outputs[j - 1]) for j in range(1, len(outputs) - 1, 3)}
        for i, command in enumerate(commands):
            if i not in seen:
                failures.append(f"[{page}] never ran: {command}\n{result.describe()}")
                continue
            rc, output = seen[i]
            want = expected_exit(command, kind)
            if rc != want:
                failures.append(f"[{page}] exit {rc}, expected {want}: {command}\n{output[-3000:]}")
            elif VALIDATE in command and "Traceback" in output:
                failures.append(f"[{page}] crashed: {command}\n{output[-3000:]}")
    assert not failures, f"in {kind} project {project}:\n\n" + "\n\n".join(failures)


def test_copy_loop_copies_only_missing_modules(tmp_path):
    """The step-2 loop never overwrites an existing module."""
    loop = next(c for _, c in all_commands() if "reference/app/middleware/*.py" in c)
    (tmp_path / "app" / "middleware").mkdir(parents=True)
    (tmp_path / "app" / "middleware" / "cors.py").write_text("# the app's own\n")
    result = run(["bash", "-c", f"SKILL_DIR={shlex.quote(str(REPO_ROOT))}\n{loop}"], cwd=tmp_path, check=True)
    assert (tmp_path / "app" / "middleware" / "cors.py").read_text() == "# the app's own\n"
    assert "merge by hand: app/middleware/cors.py" in result.stdout
    copied = sorted(p.name for p in (tmp_path / "app" / "middleware").iterdir())
    expected = sorted(p.name for p in (REPO_ROOT / "reference/app/middleware").glob("*.py"))
    assert copied == expected


def run_test_template(app_dir: Path, tmp_path: Path):
    """Copy ``app_dir`` and docs/skill/templates/test_middleware.py into a fresh project, run pytest."""
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    shutil.copytree(app_dir, project / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "docs/skill/templates/test_middleware.py", project / "tests")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "FLASK_"))}
    env["PYTHONPATH"] = str(project)
    return run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", project,
                "tests"], cwd=project, env=env, timeout=300)


def test_test_template_passes_against_the_reference(tmp_path):
    """What docs/skill/testing.md tells the agent to copy passes unchanged on the reference app."""
    result = run_test_template(REPO_ROOT / "reference" / "app", tmp_path)
    assert result.returncode == 0, result.describe()
    assert re.search(r"\b8 passed\b", result.stdout), result.describe()  # every test in the template


def test_template_tests_fail_on_the_seed(tmp_path):
    """...and the same tests catch the seed's faults, so they are worth copying."""
    result = run_test_template(REPO_ROOT / "examples/seed_app/app", tmp_path)
    assert result.returncode == 1, result.describe()
    assert re.search(r"\b\d+ failed\b", result.stdout), result.describe()
