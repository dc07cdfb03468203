"""The committed bundle passes both third-party Agent Skills validators, and each validator can fail.

What they check (read from their source, versions pinned in tools.py):
- skills-ref 0.1.1 (`agentskills validate`, strictyaml): only the frontmatter keys name,
  description, license, allowed-tools, metadata, compatibility; name lowercase letters/digits/
  hyphens, <= 64 chars, no leading/trailing/double hyphen, equal to the folder name; description
  non-empty, <= 1024 chars; compatibility a string <= 500 chars.
- agentskills-tools 0.7.0 (`agentskills validate`, PyYAML): frontmatter parses as a mapping; body
  non-empty; name matches `^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`, <= 64, equals the folder name;
  description <= 1024; license a string, metadata a mapping, compatibility a *mapping* (so it
  contradicts skills-ref: this skill uses neither compatibility nor allowed-tools); evals/*.yaml.
"""

from __future__ import annotations

import pytest

from tests.skill.tools import (
    AGENTSKILLS_TOOLS,
    SKILL_NAME,
    SKILLS_REF,
    copy_committed_bundle,
    python312,
    run,
    tool_venv,
)

VALIDATORS = {
    "skills-ref": lambda: tool_venv("skills-ref", SKILLS_REF),
    "agentskills-tools": lambda: tool_venv("agentskills-tools", AGENTSKILLS_TOOLS, python=python312()),
}


@pytest.fixture(scope="module", params=sorted(VALIDATORS))
def validator(request):
    return request.param, VALIDATORS[request.param]() / "agentskills"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return copy_committed_bundle(tmp_path_factory.mktemp("bundle"))


def test_committed_bundle_is_valid(validator, bundle):
    name, exe = validator
    result = run([exe, "validate", bundle], timeout=120)
    assert result.returncode == 0, f"{name} rejected the committed bundle:\n{result.describe()}"
    assert "error" not in (result.stdout + result.stderr).lower().replace("0 errors", ""), result.describe()


def _break_name(skill_dir):
    renamed = skill_dir.with_name(SKILL_NAME + "-copy")
    skill_dir.rename(renamed)
    return renamed


def _replace_in_frontmatter(old, new):
    def breaker(skill_dir):
        path = skill_dir / "SKILL.md"
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new, 1))
        return skill_dir
    return breaker


BREAKAGES = {
    "folder name differs from name": _break_name,
    "upper-case name": _replace_in_frontmatter(f"name: {SKILL_NAME}", "name: Managing-Flask-Middleware"),
    "description over 1024 chars": _replace_in_frontmatter("description: ", "description: " + "x" * 1030),
    "no description": _replace_in_frontmatter("description: ", "summary: "),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_broken_copy_fails(validator, tmp_path, breakage):
    name, exe = validator
    skill_dir = BREAKAGES[breakage](copy_committed_bundle(tmp_path))
    result = run([exe, "validate", skill_dir], timeout=120)
    assert result.returncode != 0, f"{name} accepted a copy with {breakage}:\n{result.describe()}"
