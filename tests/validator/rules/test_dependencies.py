"""DEP001: dependencies pinned below the release that fixes a known advisory."""

import pytest

from ..util import rules_of, scan


@pytest.mark.parametrize(
    "fname,content,expected",
    [
        ("requirements.txt", "flask-cors==4.0.0\nflask==3.1.3\n", ["DEP001"]),
        ("requirements.txt", "Flask==3.1.2\n", ["DEP001"]),
        ("requirements.txt", "flask<3.1\nflask_cors~=5.0\n", ["DEP001", "DEP001"]),
        ("requirements.txt", "flask>=3.0\nflask-cors>=4\n", []),
        ("requirements.txt", "flask==3.1.3\nflask-cors==6.0.1\n", []),
        ("requirements/prod.txt", "flask-cors<=6.0.0  # pinned\n", ["DEP001"]),
        ("pyproject.toml", '[project]\nname = "x"\ndependencies = ["flask==3.0.0", "flask-cors>=6.0.1"]\n', ["DEP001"]),
        (
            "pyproject.toml",
            '[tool.poetry.dependencies]\npython = "^3.9"\nflask = "^2.3"\nflask-cors = {version = "^6.0.1"}\n',
            ["DEP001"],
        ),
        ("setup.cfg", "[options]\ninstall_requires =\n    flask==2.0.1\n", ["DEP001"]),
        ("setup.py", 'from setuptools import setup\nsetup(install_requires=["Flask-Cors==3.0.10"])\n', ["DEP001"]),
        ("Pipfile", '[packages]\nflask = "==3.0.0"\nflask-cors = "*"\n', ["DEP001"]),
        ("poetry.lock", '[[package]]\nname = "flask-cors"\nversion = "5.0.0"\n', ["DEP001"]),
        ("docker/requirements.txt", "flask==2.3.3\n", ["DEP001"]),  # deployed, though its name starts "doc"
        ("requirements-docs.txt", "flask==2.3.3\n", []),  # a documentation build
        ("uv.lock", '[[package]]\nname = "flask"\nversion = "3.1.2"\nsource = { registry = "x" }\n', ["DEP001"]),
        (
            "Pipfile.lock",
            '{"default": {"flask": {"version": "==3.1.3"}, "flask-cors": {"version": "==6.0.0"}}}',
            ["DEP001"],
        ),
    ],
)
def test_dep001(tmp_path, capsys, fname, content, expected):
    files = {"app.py": "from flask import Flask\n", fname: content}
    assert rules_of(scan(tmp_path, files, capsys, "--select", "DEP")) == expected


def _dep001_hints(tmp_path, capsys, requirements: str) -> list[str]:
    files = {"app.py": "from flask import Flask\n", "requirements.txt": requirements}
    return [f["hint"] for f in scan(tmp_path, files, capsys, "--select", "DEP001")]


def test_dep001_hint_names_the_companion_pins_to_raise(tmp_path, capsys):
    """Issue 16: raising Flask to 3.1.3 conflicts with the Werkzeug/itsdangerous pins of a Flask 2.2 set, and
    Flask 2.3+ needs blinker, which such a set does not pin."""
    hints = _dep001_hints(tmp_path, capsys, "Flask==2.2.5\nWerkzeug==2.2.3\nitsdangerous==2.1.2\nJinja2==3.1.2\n")
    assert hints == [
        "Raise flask to >=3.1.3 together with the pins below its own minimums: Werkzeug>=3.1.0 (now ==2.2.3), "
        "itsdangerous>=2.2.0 (now ==2.1.2) (pip cannot install flask 3.1.3 while they are lower); if you pin "
        "every package, also add blinker>=1.9.0 (required since flask 2.3.0)."
    ]


def test_dep001_hint_names_only_pins_that_are_too_low(tmp_path, capsys):
    hints = _dep001_hints(tmp_path, capsys, "flask==3.0.3\nwerkzeug==3.1.3\nblinker==1.7.0\n")
    assert hints == [
        "Raise flask to >=3.1.3 together with the pins below its own minimums: blinker>=1.9.0 (now ==1.7.0) "
        "(pip cannot install flask 3.1.3 while they are lower)."
    ]
    assert _dep001_hints(tmp_path, capsys, "flask<3.1\n") == ["Raise flask to >=3.1.3."]
    # flask-cors has no companion table: the rule's own fix
    found = scan(tmp_path, {"requirements.txt": "flask-cors==4.0.0\n"}, capsys, "--select", "DEP001")
    fix = "Raise the pin (or cap) to at least the first fixed release the message names."
    assert [f["hint"] for f in found] == [fix]


def test_companion_minimums_are_flask_3_1_3s_own():
    """The table is Flask 3.1.3's Requires-Dist, read from the installed distribution's metadata."""
    import re
    import sys
    from importlib.metadata import requires, version

    from ..util import REPO

    sys.path.insert(0, str(REPO / "scripts"))
    from validator.rules.dependencies import ADVISORIES, COMPANIONS

    assert version("flask") == ".".join(map(str, ADVISORIES["flask"][0])) == "3.1.3"
    declared = {}
    for req in requires("flask"):
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", req.split(";")[0].strip())
        if m and "extra" not in req and "python_version" not in req:
            declared[m.group(1).lower()] = tuple(int(p) for p in m.group(2).split("."))
    assert {name: minimum for name, (_, minimum) in COMPANIONS["flask"].items()} == declared


def test_adapting_md_names_the_same_minimums():
    import sys

    from ..util import REPO

    sys.path.insert(0, str(REPO / "scripts"))
    from validator.rules.dependencies import COMPANIONS

    text = " ".join((REPO / "docs" / "skill" / "adapting.md").read_text().split())
    for label, minimum in COMPANIONS["flask"].values():
        assert f"{label} >= {'.'.join(map(str, minimum))}" in text, label


def test_dep001_hint_reads_companions_from_the_flagged_file_only(tmp_path, capsys):
    """A monorepo's other service, a legacy set or a docs build pin their own Werkzeug: not this file's."""
    files = {
        "app.py": "from flask import Flask\n",
        "requirements.txt": "flask==3.0.3\nblinker==1.9.0\n",
        "legacy/requirements.txt": "flask==3.1.3\nwerkzeug==2.0.0\n",
        "docs/requirements.txt": "markupsafe==0.23\n",
    }
    found = scan(tmp_path, files, capsys, "--select", "DEP001")
    assert [(f["path"], f["hint"]) for f in found] == [("requirements.txt", "Raise flask to >=3.1.3.")]
