"""The pipeline: a tree is a Flask project only when a module imports flask itself."""

from .util import scan


def test_no_flask_no_findings(tmp_path, capsys):
    files = {"main.py": "import aiohttp\nprint('hello')\n", "requirements.txt": "flask-cors==3.0.0\n"}
    assert scan(tmp_path, files, capsys) == []


def test_an_extension_import_alone_is_not_a_flask_project(tmp_path, capsys):
    """tasking-manager moved to FastAPI; a stale `from flask_migrate import Migrate` remained in manage.py."""
    files = {"manage.py": "from flask_migrate import Migrate\n", "main.py": "from fastapi import FastAPI\n"}
    assert scan(tmp_path, files, capsys) == []
