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
