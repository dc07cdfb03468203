"""Helpers for the skill tests: the committed bundle, third-party tools in cached venvs, commands.

Third-party tools are installed by the tests themselves (pip from PyPI, npx from the npm registry)
into ``.cache/`` at the repository root (gitignored), so a fresh clone needs nothing but Python,
``git`` and ``npx`` on PATH. Versions are pinned: a new release of a validator cannot change what
these tests prove without a commit here.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = Path(os.environ.get("SKILL_TESTS_CACHE", REPO_ROOT / ".cache" / "skill-tests"))
SKILL_NAME = "managing-flask-middleware"

SKILLS_REF = "skills-ref==0.1.1"  # PyPI: the Agent Skills reference validator (`agentskills validate`)
AGENTSKILLS_TOOLS = "agentskills-tools==0.7.0"  # PyPI: another `agentskills validate`; Python >= 3.12
PRE_COMMIT = "pre-commit==4.7.0"
SKILLS_CLI = "skills@1.7.4"  # npm: `npx skills add`; needs Node >= 22.20, fetched as node@22
NODE = "node@22"


@dataclass
class Result:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return (
            f"$ {' '.join(self.argv)}\n-> exit {self.returncode}\n"
            f"--- stdout ---\n{self.stdout[-6000:]}\n--- stderr ---\n{self.stderr[-6000:]}"
        )


def run(argv: list[str], *, cwd: Path | str | None = None, env: dict[str, str] | None = None,
        timeout: float = 300, check: bool = False) -> Result:
    """Run a command, capture everything, never hang: a timeout is a test failure with the output."""
    try:
        proc = subprocess.run(
            [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        command = " ".join(map(str, argv))
        raise AssertionError(f"timed out after {timeout}s: {command}\n{out}\n{err}") from None
    result = Result([str(a) for a in argv], proc.returncode, proc.stdout, proc.stderr)
    if check and proc.returncode != 0:
        raise AssertionError("command failed:\n" + result.describe())
    return result


@contextmanager
def _lock(name: str):
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with open(CACHE_DIR / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def python312() -> str:
    """A Python >= 3.12 interpreter for agentskills-tools: $SKILL_TESTS_PY312, python3.12/3.13 on
    PATH, or pyenv's 3.12.1."""
    candidates = [
        os.environ.get("SKILL_TESTS_PY312"),
        shutil.which("python3.13"),
        shutil.which("python3.12"),
        "/root/.pyenv/versions/3.12.1/bin/python",
        os.path.expanduser("~/.pyenv/versions/3.12.1/bin/python"),
    ]
    if sys.version_info >= (3, 12):
        candidates.insert(0, sys.executable)
    for candidate in candidates:
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        probe = subprocess.run(  # pyenv shims exist for versions that are not selected: try it
            [candidate, "-c", "import sys; sys.exit(sys.version_info < (3, 12))"], capture_output=True
        )
        if probe.returncode == 0:
            return candidate
    raise AssertionError(
        "agentskills-tools needs Python >= 3.12 and none was found: install python3.12 or set "
        "SKILL_TESTS_PY312 to its path"
    )


def tool_venv(name: str, requirement: str, python: str = sys.executable) -> Path:
    """A venv under CACHE_DIR with ``requirement`` installed; returns its bin directory."""
    venv = CACHE_DIR / "venvs" / re.sub(r"[^A-Za-z0-9.]+", "-", f"{name}-{requirement}")
    bin_dir = venv / "bin"
    stamp = venv / ".installed"
    with _lock(venv.name):
        if not stamp.exists():
            if venv.exists():
                shutil.rmtree(venv)
            run([python, "-m", "venv", venv], check=True, timeout=300)
            run([bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 requirement], check=True, timeout=600)
            stamp.write_text(requirement + "\n")
    return bin_dir


def committed_files(repo: Path = REPO_ROOT) -> list[str]:
    return run(["git", "ls-files", "-z"], cwd=repo, check=True).stdout.strip("\0").split("\0")


def copy_committed_bundle(dest_parent: Path, folder_name: str = SKILL_NAME) -> Path:
    """Copy exactly what ``git ls-files`` lists into ``dest_parent/folder_name`` (the spec requires
    the folder to be named like the skill)."""
    dest = dest_parent / folder_name
    for rel in committed_files():
        src = REPO_ROOT / rel
        if not src.is_file():  # listed but deleted in the working tree
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def clone_head(dest: Path) -> Path:
    """``git clone`` of the repository's committed HEAD: uncommitted files do not count."""
    run(["git", "clone", "--quiet", "--no-hardlinks", REPO_ROOT, dest], check=True, timeout=120)
    # The README installs `@main`; a clone made from a branch's worktree has no local main: make it HEAD.
    run(["git", "-C", dest, "checkout", "--quiet", "-B", "main"], check=True, timeout=60)
    return dest


def skill_markdown_files() -> list[Path]:
    """SKILL.md and the pages it links to under docs/skill/."""
    return [REPO_ROOT / "SKILL.md", *sorted((REPO_ROOT / "docs" / "skill").glob("*.md"))]


FENCE = re.compile(r"^([ \t]*)```(\w*)[^\n]*\n(.*?)^\1```[ \t]*$", re.S | re.M)


def fenced_blocks(text: str, lang: str) -> list[str]:
    """Bodies of fenced code blocks in ``lang``, including blocks indented inside list items."""
    return [textwrap.dedent(body) for _indent, found, body in FENCE.findall(text) if found == lang]


def frontmatter(text: str) -> tuple[str, str]:
    """(frontmatter text, body) split the way both Python validators split it."""
    assert text.startswith("---\n"), "SKILL.md must start with a '---' line"
    end = text.index("\n---\n", 3)
    return text[4:end], text[end + 5:]
