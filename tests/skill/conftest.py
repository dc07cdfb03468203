"""Session fixtures for the skill tests: one clone of HEAD, projects with the skill installed."""

from __future__ import annotations

import shutil

import pytest

from tests.skill.installer import install_into
from tests.skill.tools import REPO_ROOT, SKILL_NAME, clone_head


@pytest.fixture(scope="session")
def head_clone(tmp_path_factory):
    return clone_head(tmp_path_factory.mktemp("clone") / SKILL_NAME)


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
