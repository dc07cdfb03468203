"""SKILL.md itself: spec-conformant frontmatter, a lean body, links that resolve, code that matches
the reference, and rule codes that match the validator."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

from tests.skill.tools import (
    REPO_ROOT,
    SKILL_NAME,
    committed_files,
    fenced_blocks,
    frontmatter,
    run,
    skill_markdown_files,
)

SKILL_MD = REPO_ROOT / "SKILL.md"
SPEC_FIELDS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
RULE_CODE = re.compile(r"\b(?:CORS|RATE|HDR|LOG|APP|DEP)\d{3}\b")


def _meta_and_body():
    fm, body = frontmatter(SKILL_MD.read_text(encoding="utf-8"))
    return yaml.safe_load(fm), body


def test_frontmatter_uses_only_spec_fields():
    meta, _ = _meta_and_body()
    assert set(meta) <= SPEC_FIELDS, set(meta) - SPEC_FIELDS
    assert meta["name"] == SKILL_NAME
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["name"]) and len(meta["name"]) <= 64
    # metadata is a string-to-string map in the spec (strictyaml reads every value as a string)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.get("metadata", {}).items())


def test_frontmatter_is_safe_for_every_parser():
    fm, _ = frontmatter(SKILL_MD.read_text(encoding="utf-8"))
    # skills-ref and agentskills-tools split the file at the first '---' after the opening one.
    assert "---" not in fm
    # One plain scalar per line: no YAML feature that strictyaml, PyYAML and the CLI's JS yaml
    # might read differently (block scalars, anchors, flow collections).
    assert not re.search(r"^\s*\w[\w-]*:\s*[>|&*\[{]", fm, re.M), fm


def test_description_says_what_and_when_with_the_users_words():
    meta, _ = _meta_and_body()
    description = meta["description"]
    assert 0 < len(description) <= 1024
    lowered = description.lower()
    for phrase in ("cors", "rate limit", "security headers", "request id", "request logging",
                   "flask middleware audit", "create_app", "use when"):
        assert phrase in lowered, f"description lacks {phrase!r}"


def test_license_is_mit_with_a_license_file():
    meta, _ = _meta_and_body()
    assert meta["license"] == "MIT"
    text = (REPO_ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "WITHOUT WARRANTY OF ANY KIND" in text
    assert "LICENSE" in committed_files()


def test_body_is_lean():
    _, body = _meta_and_body()
    lines = SKILL_MD.read_text(encoding="utf-8").count("\n")
    assert lines <= 500, f"SKILL.md has {lines} lines; the spec recommends at most 500"
    assert len(body.split()) < 5000


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_PATH = re.compile(r"`((?:reference|docs|scripts|examples)/[^`\s*]+)`")


def test_every_link_and_named_path_resolves():
    problems = []
    for page in skill_markdown_files():
        text = page.read_text(encoding="utf-8")
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            resolved = (page.parent / target.split("#")[0]).resolve()
            # SKILL.md paths are relative to the skill root; pages link relative to themselves.
            if not resolved.exists():
                problems.append(f"{page.relative_to(REPO_ROOT)}: link {target}")
        for path in CODE_PATH.findall(text):
            if not (REPO_ROOT / path.rstrip("/")).exists():
                problems.append(f"{page.relative_to(REPO_ROOT)}: path `{path}`")
    assert not problems, "missing:\n" + "\n".join(problems)


def test_linked_files_are_committed():
    tracked = set(committed_files())
    for page in skill_markdown_files():
        assert str(page.relative_to(REPO_ROOT)) in tracked, f"{page} is not committed"
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            rel = (page.parent / target.split("#")[0]).resolve().relative_to(REPO_ROOT)
            assert str(rel) in tracked, f"{page.name} links to {rel}, which is not committed"


def test_create_app_block_mirrors_the_reference():
    text = SKILL_MD.read_text(encoding="utf-8")
    marker = "<!-- mirror: reference/app/__init__.py"
    assert marker in text
    block = fenced_blocks(text[text.index(marker):], "python")[0]
    reference = (REPO_ROOT / "reference" / "app" / "__init__.py").read_text(encoding="utf-8")
    assert block == reference, "SKILL.md's create_app() block differs from reference/app/__init__.py"


def test_rule_codes_match_the_validator():
    listed = run([sys.executable, REPO_ROOT / "scripts" / "validate.py", "--list-rules"], timeout=60)
    assert listed.returncode == 0, listed.describe()
    validator_codes = set(RULE_CODE.findall(listed.stdout))
    skill_codes = set(RULE_CODE.findall(SKILL_MD.read_text(encoding="utf-8")))
    assert validator_codes, listed.describe()
    assert not skill_codes - validator_codes, f"SKILL.md cites unknown codes {skill_codes - validator_codes}"
    assert not validator_codes - skill_codes, f"SKILL.md has no rule for {validator_codes - skill_codes}"


def test_no_other_skill_md_for_the_installer_to_pick_up():
    # skills@1.7.4 stops at a valid root SKILL.md, but falls back to searching skills/, .agents/skills
    # and the whole tree (up to 5 levels) when the root one is invalid; it also skips any file
    # named metadata.json when copying. Keep both out of the bundle.
    names = [Path(p) for p in committed_files()]
    assert [str(p) for p in names if p.name.lower() == "skill.md"] == ["SKILL.md"]
    assert not [p for p in names if p.name == "metadata.json"]


def test_dependency_step_names_every_runtime_floor():
    """Procedure A step 7 is what the agent adds to the app's dependency file. A floor of
    requirements.txt it does not name (whoogle-search pinned Werkzeug==3.1.6 below our >=3.1.9) is
    found only when pip refuses the file; pyyaml is the validator's, not the app's."""
    _, body = _meta_and_body()
    [step] = re.findall(r"^7\. \*\*Add dependencies\*\*.*?(?=^8\. )", body, re.S | re.M)
    step = " ".join(step.split())
    missing = []
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        m = re.match(r"([A-Za-z0-9_.-]+)>=([\d.]+)", line)
        if not m or m.group(1) == "pyyaml":
            continue
        if not re.search(rf"(?i)\b{re.escape(m.group(1))} >= {re.escape(m.group(2))}\b", step):
            missing.append(f"{m.group(1)}>={m.group(2)}")
    assert missing == [], step
    assert "pin" in step  # what to do when the file already pins the package


def test_copy_step_names_every_module_create_app_imports():
    """Step 2 is the agent's copy list: a module the reference create_app imports but the list
    leaves out (errors.py, in the whoogle-search trial) is missing when step 3 wires it."""
    _, body = _meta_and_body()
    [step] = re.findall(r"^2\. \*\*Copy the modules\*\*.*?(?=^3\. )", body, re.S | re.M)
    init = (REPO_ROOT / "reference/app/__init__.py").read_text()
    modules = set(re.findall(r"^from \.(\w+) import", init, re.M)) - {"middleware", "api"}  # api: the demo
    missing = sorted(m for m in modules if f"reference/app/{m}.py" not in step)
    assert "middleware" in init and "reference/app/middleware/*.py" in step.replace('"$SKILL_DIR"/', "")
    assert missing == [], step


def test_the_wsgi_entry_builds_the_production_app():
    """The module-level app the conversion keeps is what gunicorn/waitress serve. `create_app()`
    without an argument is the development config when FLASK_CONFIG is unset (DEBUG, a published
    SECRET_KEY, memory:// limits); in the whoogle-search trial `python -m app` ran exactly that."""
    from_reference = subprocess_config_of("create_app()")
    assert from_reference == ("DevelopmentConfig", True)  # why the entry must name production
    adapting = (REPO_ROOT / "docs/skill/adapting.md").read_text(encoding="utf-8")
    _, body = _meta_and_body()
    for name, text in (("SKILL.md", body), ("adapting.md", adapting)):
        flat = " ".join(text.split())
        assert "app = create_app()` only in the WSGI entry" not in flat, name
        assert "`app = create_app(\"production\")` only in the WSGI entry" in flat, name
        assert "create_app(config_name=None)" not in flat, name  # the reference's parameter is `config`


def subprocess_config_of(call: str) -> tuple[str, bool]:
    code = ("import os; os.environ.pop('FLASK_CONFIG', None)\nfrom app import create_app\n"
            f"from app.config import load_config\napp = {call}\n"
            "print(type(load_config(None)).__name__, app.debug)")
    done = run([sys.executable, "-c", code], cwd=REPO_ROOT / "reference", check=True)
    name, debug = done.stdout.split()
    return name, debug == "True"
