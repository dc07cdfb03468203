"""Issue 16 items 2 and 10: the skill on an app shaped like the Flask Mega-Tutorial's, not like the
reference: `create_app(config_class=Config)` with config.py at the project root, and a root tests.py.

The project is the reference's modules with that factory and config layout. What testing.md tells
the agent to run (its copy command, verbatim) and to adapt (TESTING_CONFIG) must give passing
middleware tests without breaking the project's own tests.py; serve_dev.py must start it from a
`module.Class` FLASK_CONFIG."""

from __future__ import annotations

import os
import re
import shutil
import sys

import pytest

from tests.reference.conftest import ALLOWED_ORIGIN
from tests.skill.test_commands import split_commands
from tests.skill.tools import REPO_ROOT, fenced_blocks, run
from tests.support.http import request
from tests.support.servers import ManagedProcess, free_port

FACTORY = '''
from config import Config


def create_app(config_class=Config):
    app = Flask(__name__)
    app.config.from_object(config_class)
'''

OWN_CONFIG = '''

class TestConfig(Config):  # the app's own testing class, with the middleware settings merged in
    TESTING = True
    SECRET_KEY = "test-only"  # noqa: S105
    CORS_ORIGINS = ["https://app.example.com"]
'''

OWN_TESTS = '''import unittest

from app import create_app
from config import TestConfig


class SmokeTest(unittest.TestCase):
    def test_health(self):
        self.assertEqual(create_app(TestConfig).test_client().get("/api/health").status_code, 200)


if __name__ == "__main__":
    unittest.main()
'''


@pytest.fixture
def microblog(tmp_path):
    """config.py at the root, app/ without config.py, create_app(config_class=Config), tests.py."""
    project = tmp_path / "microblog"
    shutil.copytree(REPO_ROOT / "reference/app", project / "app", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO_ROOT / "reference/serve_dev.py", project)
    (project / "config.py").write_text((project / "app/config.py").read_text() + OWN_CONFIG)
    (project / "app/config.py").unlink()
    init = (project / "app/__init__.py").read_text()
    init, replaced = re.subn(
        r"from \.config import load_config\n(.*?)def create_app\(.*?\n.*?from_object\(load_config\(config\)\)\n",
        lambda m: m.group(1) + FACTORY.strip() + "\n", init, flags=re.S)
    assert replaced == 1, init
    (project / "app/__init__.py").write_text(init)
    (project / "tests.py").write_text(OWN_TESTS)
    return project


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "FLASK_", "PYTHONPATH"))}


def copy_commands() -> str:
    """testing.md's block that copies the template (it picks the destination, then copies)."""
    text = (REPO_ROOT / "docs/skill/testing.md").read_text(encoding="utf-8")
    [block] = [b for b in fenced_blocks(text, "bash") if "templates/test_middleware.py" in b]
    assert len(split_commands(block)) == 2, block
    return block


def test_template_next_to_a_root_tests_py(microblog):
    run(["bash", "-c", f"set -eu\nSKILL_DIR={REPO_ROOT}\n{copy_commands()}"], cwd=microblog, check=True)
    assert not (microblog / "tests").exists()  # no tests/ package to shadow tests.py
    template = microblog / "test_middleware.py"
    text = template.read_text()
    assert 'TESTING_CONFIG = "testing"' in text
    template.write_text(text.replace('TESTING_CONFIG = "testing"',
                                     "from config import TestConfig  # noqa: E402\n\nTESTING_CONFIG = TestConfig"))

    pytest_run = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=microblog,
                     env=clean_env(), timeout=300)
    assert pytest_run.returncode == 0 and re.search(r"\b8 passed\b", pytest_run.stdout), pytest_run.describe()
    own = run([sys.executable, "-m", "unittest", "tests"], cwd=microblog, env=clean_env())
    assert own.returncode == 0 and "Ran 1 test" in own.stderr, own.describe()


def test_a_tests_package_would_shadow_tests_py(microblog):
    """Why the copy command avoids tests/ here: with a tests/ package the project's own tests.py
    silently stops running."""
    (microblog / "tests").mkdir()
    (microblog / "tests/__init__.py").write_text("")
    own = run([sys.executable, "-m", "unittest", "tests"], cwd=microblog, env=clean_env())
    assert "Ran 0 tests" in own.stderr, own.describe()


@pytest.mark.parametrize(("flask_config", "origin_allowed"), [("config.TestConfig", True), (None, False)])
def test_serve_dev_takes_a_config_class(microblog, flask_config, origin_allowed):
    """FLASK_CONFIG=module.Class passes the class to create_app; unset, the factory's default
    (Config, which allows no origin) is used."""
    port = free_port()
    env = {**clean_env(), "PORT": str(port)}
    if flask_config:
        env["FLASK_CONFIG"] = flask_config
    server = ManagedProcess(argv=[sys.executable, "serve_dev.py"], port=port, cwd=str(microblog), env=env).start()
    try:
        server.wait_ready()
        response = request(port, "GET", "/api/health", headers={"Origin": ALLOWED_ORIGIN})
    finally:
        server.stop()
    assert response.status == 200, server.output()
    assert (response.header("Access-Control-Allow-Origin") == ALLOWED_ORIGIN) is origin_allowed


# whoogle-search's shape: a test/ folder (not tests/) and a sign-in that is a page, not a JSON API.
PAGES = '''
from flask import Blueprint, request

from .extensions import limiter

pages = Blueprint("pages", __name__)


@pages.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    if request.method == "POST":
        return "<p>Invalid username or password</p>"
    return '<form method="post"><input name="username"><input name="password" type="password"></form>'
'''


@pytest.fixture
def page_app(tmp_path):
    project = tmp_path / "search"
    shutil.copytree(REPO_ROOT / "reference/app", project / "app", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "app/pages.py").write_text(PAGES)
    init = (project / "app/__init__.py").read_text()
    assert init.count("    app.register_blueprint(api)\n") == 1
    (project / "app/__init__.py").write_text(init.replace(
        "    app.register_blueprint(api)\n",
        "    app.register_blueprint(api)\n    from .pages import pages\n\n    app.register_blueprint(pages)\n"))
    (project / "test").mkdir()
    (project / "test/__init__.py").write_text("")
    (project / "test/test_own.py").write_text(
        "from app import create_app\n\n\ndef test_page():\n"
        "    assert create_app('testing').test_client().get('/login').status_code == 200\n")
    return project


def test_template_in_a_test_folder_for_a_page_login(page_app):
    run(["bash", "-c", f"set -eu\nSKILL_DIR={REPO_ROOT}\n{copy_commands()}"], cwd=page_app, check=True)
    assert not (page_app / "tests").exists()  # the project's own test/ folder, not a second one
    template = page_app / "test/test_middleware.py"
    text = template.read_text()
    constants = {
        'LOGIN_PATH, LOGIN_LIMIT = "/api/auth/login", 10': 'LOGIN_PATH, LOGIN_LIMIT = "/login", 10',
        'LOGIN_ATTEMPT = {"json": {"email": "nobody@example.com", "password": "wrong"}}':
            'LOGIN_ATTEMPT = {"data": {"username": "nobody", "password": "wrong"}}',
        "LOGIN_IS_API = True": "LOGIN_IS_API = False",
    }
    for old, new in constants.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    template.write_text(text)
    pytest_run = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=page_app,
                     env=clean_env(), timeout=300)
    assert pytest_run.returncode == 0 and re.search(r"\b9 passed\b", pytest_run.stdout), pytest_run.describe()
