"""Production settings come from the environment and unsafe values stop the app from starting."""

import subprocess
import sys

import pytest

from tests.support.servers import REFERENCE_DIR, reference_env

SAFE = {
    "SECRET_KEY": "s" * 40,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6399/0",
    "CORS_ORIGINS": "https://app.example.com, https://admin.example.com",
}


def production(**overrides):
    from app.config import ProductionConfig

    env = {**SAFE, **overrides}
    return ProductionConfig({k: v for k, v in env.items() if v is not None})


def test_safe_environment_is_read():
    config = production(TRUSTED_PROXY_COUNT="2", RATELIMIT_KEY_PREFIX="shop")
    assert config.CORS_ORIGINS == ["https://app.example.com", "https://admin.example.com"]
    assert config.TRUSTED_PROXY_COUNT == 2
    assert config.RATELIMIT_STORAGE_URI.startswith("redis://")
    assert config.RATELIMIT_KEY_PREFIX == "shop"


def test_trusted_proxy_count_defaults_to_zero():
    assert production().TRUSTED_PROXY_COUNT == 0


@pytest.mark.parametrize(("overrides", "message"), [
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "RATELIMIT_STORAGE_URI"),
    ({"RATELIMIT_STORAGE_URI": None}, "RATELIMIT_STORAGE_URI"),
    ({"CORS_ORIGINS": "*"}, "not an exact origin"),
    ({"CORS_ORIGINS": ""}, "CORS_ORIGINS must list"),
    ({"CORS_ORIGINS": " , "}, "CORS_ORIGINS must list"),
    ({"CORS_ORIGINS": r"https://.*\.example\.com"}, "not an exact origin"),
    ({"CORS_ORIGINS": "https://app.example.com/path"}, "not an exact origin"),
    ({"CORS_ORIGINS": "http://app.example.com"}, "must use https"),
    ({"SECRET_KEY": None}, "SECRET_KEY"),
    ({"SECRET_KEY": "short"}, "SECRET_KEY"),
    ({"TRUSTED_PROXY_COUNT": "-1"}, "TRUSTED_PROXY_COUNT"),
    ({"TRUSTED_PROXY_COUNT": "one"}, "TRUSTED_PROXY_COUNT"),
])
def test_unsafe_values_are_refused_with_a_clear_message(overrides, message):
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="refusing to start") as excinfo:
        production(**overrides)
    assert message in str(excinfo.value)


@pytest.mark.parametrize("uri", [
    "redis://127.0.0.1:6379/0",
    "rediss://:secret@redis.internal:6380/0",
    "redis+unix:///run/redis.sock",
    "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379/mymaster",
    "redis+sentinel://:p%40ss@sentinel-a:26379/cache",
    "redis+cluster://10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000",
    "redis+cluster://:secret@[::1]:7000",
])
def test_shared_storage_uris_are_accepted(uri):
    assert production(RATELIMIT_STORAGE_URI=uri).RATELIMIT_STORAGE_URI == uri


@pytest.mark.parametrize(("uri", "problem"), [
    ("memory://", "must be a shared Redis storage"),
    ("valkey://127.0.0.1:6379", "must be a shared Redis storage"),  # needs the valkey client
    ("mongodb://db:27017", "must be a shared Redis storage"),
    ("redis+sentinel://10.0.0.1:26379", "service name"),
    ("redis+sentinel://10.0.0.1,10.0.0.2:26379/mymaster", "host:port"),
    ("redis+cluster://10.0.0.1:7000/0", "one keyspace"),
    ("redis+cluster://", "host:port"),
])
def test_other_storage_uris_are_refused_naming_the_accepted_forms(uri, problem):
    from app.config import STORAGE_FORMS, ConfigError

    with pytest.raises(ConfigError) as excinfo:
        production(RATELIMIT_STORAGE_URI=uri)
    assert problem in str(excinfo.value)
    assert all(form in str(excinfo.value) for form in STORAGE_FORMS)


def test_storage_options_bound_every_topology():
    """Same timeouts and no retries for all; the sentinels' connections too; auth decoded."""
    options = {scheme: production(RATELIMIT_STORAGE_URI=uri).RATELIMIT_STORAGE_OPTIONS for scheme, uri in [
        ("redis", "redis://:p%40ss@h:6379/0"),
        ("sentinel", "redis+sentinel://app:p%40ss@h:26379/mymaster"),
        ("cluster", "redis+cluster://:p%40ss@h:7000"),
    ]}
    for kwargs in options.values():
        assert kwargs["socket_timeout"] == 0.25 and kwargs["socket_connect_timeout"] == 0.25
        assert kwargs["retry"].get_retries() == 0
    assert "password" not in options["redis"]  # redis-py decodes redis:// URIs itself
    assert options["sentinel"]["password"] == options["cluster"]["password"] == "p@ss"
    assert options["sentinel"]["username"] == "app"
    assert options["sentinel"]["sentinel_kwargs"] == {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}
    assert "sentinel_kwargs" not in options["cluster"]


def test_every_problem_is_reported_at_once():
    from app.config import ConfigError

    with pytest.raises(ConfigError) as excinfo:
        production(SECRET_KEY=None, RATELIMIT_STORAGE_URI="memory://", CORS_ORIGINS="*")
    text = str(excinfo.value)
    assert "SECRET_KEY" in text and "RATELIMIT_STORAGE_URI" in text and "CORS_ORIGINS" in text


def test_http_origin_is_accepted_on_loopback_only():
    assert production(CORS_ORIGINS="http://127.0.0.1:5173").CORS_ORIGINS == ["http://127.0.0.1:5173"]


def test_unknown_config_name_is_an_error():
    from app import create_app
    from app.config import ConfigError

    with pytest.raises(ConfigError, match="unknown config"):
        create_app("staging")


def test_gunicorn_refuses_to_boot_on_unsafe_environment():
    """A real gunicorn boot with memory storage and a wildcard origin exits non-zero, saying why."""
    argv = [sys.executable, "-m", "gunicorn", "--config", str(REFERENCE_DIR / "gunicorn.conf.py"),
            "--bind", "127.0.0.1:0", "--workers", "1"]
    env = reference_env(RATELIMIT_STORAGE_URI="memory://", CORS_ORIGINS="*")
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "refusing to start with unsafe production settings" in result.stderr
    assert "RATELIMIT_STORAGE_URI" in result.stderr and "CORS_ORIGINS" in result.stderr


def test_create_app_takes_a_config_name_or_a_config_class(monkeypatch):
    """Issue 16 item 2: create_app("testing"), create_app(TestingConfig) and an app's own subclass
    configure the same app; a class is instantiated, so ProductionConfig still checks the environment."""
    from app import create_app
    from app.config import ConfigError, ProductionConfig, TestingConfig

    class OwnTestConfig(TestingConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    by_name, by_class, own = create_app("testing"), create_app(TestingConfig), create_app(OwnTestConfig)
    for app in (by_class, own):
        assert app.testing and app.config["CORS_ORIGINS"] == by_name.config["CORS_ORIGINS"]
    assert own.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    assert own.test_client().get("/api/health", headers={"Origin": "https://app.example.com"}).headers[
        "Access-Control-Allow-Origin"] == "https://app.example.com"

    for name, value in {**SAFE, "CORS_ORIGINS": "*"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        create_app(ProductionConfig)
    instance = production()
    assert create_app(instance).config["CORS_ORIGINS"] == instance.CORS_ORIGINS
