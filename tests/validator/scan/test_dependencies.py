"""scan/dependencies.py: requirement lines of every file format, with their line numbers."""

from ..util import model_of


def test_requirements_of_several_formats(tmp_path):
    project = model_of(
        tmp_path,
        {
            "app.py": "from flask import Flask\n",
            "requirements.txt": "# pinned\nFlask==3.1.2\nflask_cors[extra]>=6.0.1 ; python_version > '3.8'\n",
            "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nflask-limiter = "^3.5"\n',
            "uv.lock": '[[package]]\nname = "redis"\nversion = "5.0.1"\n',
        },
    )
    found = sorted((r.path, r.line, r.name, r.spec, r.kind) for r in project.requirements)
    assert found == [
        ("pyproject.toml", 3, "flask-limiter", "^3.5", "poetry"),
        ("requirements.txt", 2, "flask", "==3.1.2", "pep508"),
        ("requirements.txt", 3, "flask-cors", ">=6.0.1", "pep508"),
        ("uv.lock", 3, "redis", "==5.0.1", "lock"),
    ]
