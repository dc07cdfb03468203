"""Walk a scanned root: which files to read, which to skip (tests, virtualenvs, vendored code, ...)."""

from __future__ import annotations

import fnmatch
import os

EXCLUDED_DIRS = frozenset(
    {
        "tests",
        "test",
        "migrations",
        "alembic",
        ".venv",
        "venv",
        "site-packages",
        "node_modules",
        ".git",
        ".hg",
        ".svn",
        "build",
        "dist",
        "vendor",
        "vendored",
        "third_party",
        ".tox",
        ".nox",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".eggs",
        ".hypothesis",
        ".idea",
        ".vscode",
    }
)
MAX_BYTES = 2 * 1024 * 1024

REQUIREMENT_NAMES = ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock")
SERVER_CONF_EXT = (".conf", ".nginx", ".vhost", ".htaccess", ".conf.template", ".conf.j2", ".conf.jnj", ".conf.tmpl")


# How an app is started: container and process files, scripts, compose/k8s manifests, uWSGI ini files.
DEPLOYMENT_NAMES = ("Procfile", "Containerfile", "fly.toml", "Caddyfile", "app.yaml", "app.yml")
DEPLOYMENT_EXT = (".sh", ".service", ".ini", ".dockerfile")
DEPLOYMENT_DIRS = ("deploy", "docker", "k8s", "kube", "kubernetes", "helm", "chart", "charts", "openshift", "ops")


_LIST_OF = {"python": "python", "requirements": "requirements", "server": "server_configs", "deployment": "deployment"}


class Discovered:
    # A plain class rather than a dataclass: importing `dataclasses` costs ~15 ms of start-up.
    __slots__ = ("deployment", "python", "requirements", "server_configs")

    def __init__(
        self,
        python: list[tuple[str, str]],  # (absolute path, path relative to the root)
        requirements: list[tuple[str, str]],
        server_configs: list[tuple[str, str]],
        deployment: list[tuple[str, str]] | None = None,
    ):
        self.python = python
        self.requirements = requirements
        self.server_configs = server_configs
        self.deployment = [] if deployment is None else deployment

    def add(self, kind: str, full: str, rel: str) -> None:
        getattr(self, _LIST_OF[kind]).append((full, rel))


def is_test_file(name: str) -> bool:
    return (
        name in ("conftest.py", "tests.py")
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith("_test.py")
    )


def _matches(rel: str, globs: list[str]) -> bool:
    for glob in globs:
        g = glob.rstrip("/")
        if fnmatch.fnmatchcase(rel, g) or fnmatch.fnmatchcase(rel + "/", g) or rel == g:
            return True
        if rel.startswith(g + "/"):
            return True
        if g.endswith("/**") and (rel == g[:-3] or rel.startswith(g[:-2])):
            return True
    return False


def classify(rel: str, name: str) -> str | None:
    lower = name.lower()
    if name in REQUIREMENT_NAMES:
        return "requirements"
    if lower.endswith(".py"):
        return "python"
    if lower.endswith((".txt", ".in")) and (
        "requirement" in lower or "constraint" in lower or "/requirements/" in "/" + rel.lower()
    ):
        return "requirements"
    if lower.endswith(SERVER_CONF_EXT) or lower in ("nginx.conf", "httpd.conf", "apache2.conf", ".htaccess"):
        return "server"
    if name in DEPLOYMENT_NAMES or name.startswith(("Dockerfile", "Procfile")) or lower.endswith(DEPLOYMENT_EXT):
        return "deployment"
    if lower.endswith((".yml", ".yaml")) and (
        "compose" in lower or any(part in DEPLOYMENT_DIRS for part in rel.lower().split("/")[:-1])
    ):
        return "deployment"
    return None


def walk(root: str, extra_excludes: list[str]) -> Discovered:
    out = Discovered([], [], [])
    seen_dirs: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        try:
            st = os.stat(dirpath)
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                dirnames[:] = []
                continue
            seen_dirs.add(key)
        except OSError:
            dirnames[:] = []
            continue
        rel_dir = os.path.relpath(dirpath, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
        # Below the root, a virtualenv or an installed agent skill (.claude/skills/*, .agents/skills/*:
        # a folder with a SKILL.md) is someone else's code, like site-packages. The root itself is
        # always scanned, so auditing a skill's own repository still works.
        if rel_dir and ("pyvenv.cfg" in filenames or "SKILL.md" in filenames):
            dirnames[:] = []
            continue
        # `pip install --target libs/` (bazarr vendors 112 packages so): *.dist-info next to the packages
        if rel_dir and any(d.endswith(".dist-info") for d in dirnames):
            dirnames[:] = []
            continue
        keep = []
        for d in sorted(dirnames):
            rel = f"{rel_dir}/{d}" if rel_dir else d
            if d in EXCLUDED_DIRS or d.endswith(".egg-info") or _matches(rel, extra_excludes):
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            rel = f"{rel_dir}/{name}" if rel_dir else name
            full = os.path.join(dirpath, name)
            if not os.path.isfile(full):  # directories named *.py, broken links, sockets
                continue
            kind = classify(rel, name)
            if kind is None or _matches(rel, extra_excludes):
                continue
            if kind == "python" and is_test_file(name):
                continue
            if name == "setup.py":
                out.add("python", full, rel)  # packaging, or app code named setup.py (eq-questionnaire-runner)
            out.add(kind, full, rel)
    return out


def single_file(path: str) -> Discovered:
    out = Discovered([], [], [])
    name = os.path.basename(path)
    kind = classify(name, name) or "python"
    out.add(kind, path, name)
    return out
