"""--app on a factory that takes a config class, with config.py at the project root (the Mega-Tutorial's
shape: config.py with `class Config`, app/__init__.py with `def create_app(config_class=Config)`, microblog.py).

TestConfig turns rate limiting off, so which class the factory received shows in the report: the default
Config gives no finding, TestConfig gives RATE002 (no 429 after 50 attempts).
"""

from __future__ import annotations

import pytest

from .util import audit, messages, run, write_mega_tutorial

NO_429 = "POST /api/auth/login: no 429 after 50 attempts from one address (401 x50)"


@pytest.mark.parametrize(
    "spec",
    [
        "microblog",  # the module-level app = create_app()
        "microblog:create_app",  # the factory with its defaults
        "app",  # Flask's find_best_app calls create_app() itself
        "microblog:create_app(config.Config)",
        "app:create_app(Config)",  # a bare name from the factory's module (app/__init__.py imports Config)
        "app:create_app(config_class=config.Config)",
    ],
)
def test_default_config_class_forms_build_the_real_app(tmp_path, spec):
    code, data, err = audit(write_mega_tutorial(tmp_path), spec, "--fail-on", "info")
    assert (code, data.get("findings")) == (0, []), err
    assert data["app"] == spec


@pytest.mark.parametrize(
    "spec",
    [
        "microblog:create_app(config.TestConfig)",  # dotted: import config, take TestConfig
        "app:create_app(TestConfig)",  # bare, not in app/__init__.py: found in the root config module
        "microblog:create_app(TestConfig)",
        "app:create_app(config_class=config.TestConfig)",
    ],
)
def test_the_named_config_class_is_the_one_passed(tmp_path, spec):
    code, data, err = audit(write_mega_tutorial(tmp_path), spec)
    assert code == 1, err
    assert messages(data, "RATE002") == [NO_429]
    assert [f["rule"] for f in data["findings"]] == ["RATE002"]


def test_a_config_class_from_another_root_module(tmp_path):
    write_mega_tutorial(tmp_path)
    (tmp_path / "tests.py").write_text("from config import Config\n\n\nclass AuditConfig(Config):\n"
                                       "    RATELIMIT_ENABLED = False\n")
    code, data, err = audit(tmp_path, "app:create_app(tests.AuditConfig)")
    assert (code, messages(data, "RATE002")) == (1, [NO_429]), err


FAILURES = {
    # a config-name string passed to a factory that wants a class: say how to pass the class
    "string_for_a_class": ("app:create_app('testing')",
                           "ImportStringError: no object named 'testing' to load the config from: if create_app "
                           "takes a config class, name the class instead of a string, e.g. "
                           "create_app(config.TestConfig)"),
    "unknown_bare_name": ("app:create_app(StagingConfig)",
                          "argument 'StagingConfig': no 'StagingConfig' in 'app', nor in a root 'config' module"),
    "missing_attribute": ("microblog:create_app(config.StagingConfig)",
                          "argument 'config.StagingConfig': 'config' has no attribute 'StagingConfig'"),
    "missing_module": ("microblog:create_app(settings.Config)",
                       "argument 'settings.Config': no module 'settings' importable from the app's directory"),
    "missing_factory": ("microblog:make_app(config.Config)", "Failed to find attribute 'make_app' in 'microblog'"),
    "not_a_factory": ("microblog:app(config.Config)", "'app' in 'microblog' is not a factory function"),
    "wrong_arguments": ("app:create_app(config.Config, 1, 2)",
                        "the factory 'create_app' in 'app' could not be called with these arguments"),
    "not_literal_nor_name": ("app:create_app(config.Config())", "Failed to parse arguments as literal values"),
    "factory_raises": ("app:create_app(config.Broken)", "failed: RuntimeError: DATABASE_URL is not set"),
    "attribute_raises": ("app:create_app(config.Lazy)",
                         "argument 'config.Lazy': reading 'Lazy' failed: RuntimeError: settings not loaded"),
    "not_flask": ("app:create_app(config.Config, wrap=True)",
                  "A valid Flask application was not obtained (the factory returned dict)"),
}


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_failures_exit_2_with_one_line(tmp_path, case):
    spec, needle = FAILURES[case]
    write_mega_tutorial(tmp_path)
    with (tmp_path / "config.py").open("a") as fh:
        fh.write("\n\nclass Broken(Config):\n    DATABASE_URL = None\n\n\ndef __getattr__(name):\n"
                 "    if name == 'Lazy':\n        raise RuntimeError('settings not loaded')\n"
                 "    raise AttributeError(name)\n")
    init = tmp_path / "app" / "__init__.py"
    init.write_text(init.read_text().replace("def create_app(config_class=Config):",
                                             "def create_app(config_class=Config, wrap=False):\n"
                                             "    if wrap:\n        return {'app': None}\n"
                                             "    if getattr(config_class, 'DATABASE_URL', '') is None:\n"
                                             "        raise RuntimeError('DATABASE_URL is not set')"))
    proc = run("--app", spec, tmp_path, "--format", "json")
    assert proc.returncode == 2, proc
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"validate.py: error: --app {spec}: "), proc.stderr
    assert needle in lines[0]


def test_help_and_auditing_doc_name_the_config_class_forms():
    from .util import REPO

    help_text = " ".join(run("--help").stdout.split())
    assert "microblog:create_app" in help_text and "\"app:create_app(config.TestConfig)\"" in help_text
    doc = (REPO / "docs" / "skill" / "auditing.md").read_text()
    for form in ("\"app:create_app('testing')\"", "\"microblog:create_app(config.TestConfig)\"",
                 "\"app:create_app(TestConfig)\""):
        assert form in doc, form
