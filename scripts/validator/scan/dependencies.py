"""Declared dependencies: requirements*.txt / *.in, pyproject.toml (PEP 621 and Poetry), setup.cfg,
setup.py, Pipfile and the lock files (Pipfile.lock, poetry.lock, uv.lock), read line by line."""

from __future__ import annotations

import os
import re

from ..lazyre import lazy
from ..model import Project, Requirement

_REQ_LINE = lazy(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*((?:[<>=!~]=?|===)[^;#]*)?")
_QUOTED_REQ = lazy(r"""["']\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*((?:[<>=!~]=?)[^"';]*)["';]""")
_POETRY_DEP = lazy(
    r"""^\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\s*=\s*(?:["']([^"']*)["']|\{[^}]*?version\s*=\s*["']([^"']*)["'])"""
)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def scan_requirements(project: Project, full: str, rel: str) -> None:
    with open(full, encoding="utf-8", errors="replace") as fh:
        text = fh.read(2 * 1024 * 1024)
    base = os.path.basename(rel)
    lines = text.splitlines()
    if base == "Pipfile.lock":
        import json  # only here: a text-format run then never imports json

        data = json.loads(text)
        for section in ("default", "develop"):
            for name, info in (data.get(section) or {}).items():
                version = info.get("version") if isinstance(info, dict) else None
                if isinstance(version, str):
                    line = next((i + 1 for i, ln in enumerate(lines) if f'"{name}"' in ln), 1)
                    project.requirements.append(Requirement(_norm(name), version, rel, line, "lock"))
        return
    if base in ("poetry.lock", "uv.lock"):  # [[package]] name = "..." / version = "..." in both
        name = None
        for i, ln in enumerate(lines):
            m = re.match(r'^name\s*=\s*"([^"]+)"', ln)
            if m:
                name = m.group(1)
            m = re.match(r'^version\s*=\s*"([^"]+)"', ln)
            if m and name:
                project.requirements.append(Requirement(_norm(name), "==" + m.group(1), rel, i + 1, "lock"))
                name = None
        return
    section = ""
    for i, ln in enumerate(lines):
        stripped = ln.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]").strip().lower()
            continue
        if base in ("pyproject.toml", "Pipfile", "setup.py", "setup.cfg"):
            if base == "Pipfile" or ("poetry" in section and "dependencies" in section):
                m = _POETRY_DEP.match(ln)
                if m and m.group(1).lower() != "python":
                    spec = m.group(2) if m.group(2) is not None else m.group(3)
                    project.requirements.append(
                        Requirement(
                            _norm(m.group(1)),
                            spec or "",
                            rel,
                            i + 1,
                            "pipfile" if base == "Pipfile" else "poetry",
                        )
                    )
                    continue
            if base == "setup.cfg":
                m = _REQ_LINE.match(ln)
                if ln.startswith((" ", "\t")) and m and m.group(2):
                    project.requirements.append(Requirement(_norm(m.group(1)), m.group(2).strip(), rel, i + 1))
                continue
            for m in _QUOTED_REQ.finditer(ln):
                project.requirements.append(Requirement(_norm(m.group(1)), m.group(2).strip(), rel, i + 1))
            continue
        if stripped.startswith(("#", "-")) or not stripped:
            continue
        m = _REQ_LINE.match(stripped)
        if m:
            project.requirements.append(Requirement(_norm(m.group(1)), (m.group(2) or "").strip(), rel, i + 1))
