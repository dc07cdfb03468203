"""Configuration per environment.

Development and testing run with no outside services. Production takes every setting from the
environment and refuses to start on a value that would silently weaken a protection: the failure
is a clear message at boot, not a quiet downgrade discovered after an incident.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from redis.backoff import NoBackoff
from redis.retry import Retry


class ConfigError(RuntimeError):
    """Raised by ``ProductionConfig`` when the environment holds unsafe or missing values."""


# An exact origin: scheme, host, optional port; no path, no wildcard, no regex metacharacters.
# flask-cors compares such strings literally (case-insensitively); anything with `*\]?$^[]()`
# would be compiled as a regex and matched with re.match, i.e. as a prefix.
_EXACT_ORIGIN = re.compile(r"(https?)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(:[0-9]{1,5})?")
_LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


class Config:
    SECRET_KEY: str | None = None
    TRUSTED_PROXY_COUNT = 0  # reverse proxies in front of the app that append X-Forwarded-For
    CORS_ORIGINS: list[str] = []

    # Flask-Limiter (see middleware/rate_limiting.py for why each value is what it is).
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_STRATEGY = "moving-window"  # exact over any window: no 2x burst at a fixed-window edge
    RATELIMIT_DEFAULT = "300 per minute"
    RATELIMIT_KEY_PREFIX = "reference-api"  # several apps can share one Redis without sharing counters
    RATELIMIT_HEADERS_ENABLED = False  # headers are added to 429s only: each header set costs 2 Redis reads
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: same limits, per process (documented policy)
    RATELIMIT_SWALLOW_ERRORS = True  # a storage error never turns into a 500
    # redis-py 8 defaults: 5 s socket timeouts and 10 retries with backoff, so a hung Redis would
    # stall every request for seconds. Fail fast instead and let the in-memory fallback take over.
    RATELIMIT_STORAGE_OPTIONS = {
        "socket_timeout": 0.25,
        "socket_connect_timeout": 0.25,
        "retry": Retry(NoBackoff(), 0),
    }


# Shared storages production accepts; anything else (memory://, a typo) stops the start-up.
STORAGE_FORMS = (
    "redis://[:password@]host:port/db",
    "rediss://[:password@]host:port/db",
    "redis+unix:///path/to/redis.sock",
    "redis+sentinel://[:password@]host:port[,host:port...]/service_name",
    "redis+cluster://[:password@]host:port[,host:port...]",
)
_STORAGE_SCHEMES = tuple(form.partition("://")[0] for form in STORAGE_FORMS)
_MULTI_HOST = ("redis+sentinel", "redis+cluster")  # several hosts, credentials passed as options
# Redis Cluster and hash slots: with the moving window (and the fixed window) one limit for one
# client is ONE key, "LIMITS:LIMITER/<prefix>/<client>/<endpoint>/<amount>/<n>/<unit>", so it can
# live in any slot and needs no hash tag (tests/reference/test_redis_topologies.py finds each key
# on one node). The sliding-window counter uses two keys; limits wraps them in {...} itself. Never
# put {...} in RATELIMIT_KEY_PREFIX: it would become the hash tag of every key of the app, i.e.
# all limits on one node.


def storage_options(uri: str) -> dict:
    """RATELIMIT_STORAGE_OPTIONS for ``uri``: the same 0.25 s bound on every topology."""
    options = dict(Config.RATELIMIT_STORAGE_OPTIONS)
    scheme = uri.partition("://")[0]
    if scheme in _MULTI_HOST:
        # limits hands these schemes the URI's user and password without percent-decoding them
        # (redis:// URIs are decoded by redis-py); pass them decoded, so both forms behave alike.
        parts = urlsplit(uri)
        if parts.username:
            options["username"] = unquote(parts.username)
        if parts.password:
            options["password"] = unquote(parts.password)
    if scheme == "redis+sentinel":
        # The options above reach the primary's connections. The sentinels' own connections get
        # only sentinel_kwargs, and limits always passes one (so redis-py does not copy the
        # socket_* options over): without this line they keep redis-py's 5 s default.
        options["sentinel_kwargs"] = {k: options[k] for k in ("socket_timeout", "socket_connect_timeout")}
    # redis+cluster: ``retry`` is RedisCluster's own argument there (no command retries, so no
    # topology-refresh loop while a node is down); the socket_* options reach every node. The
    # scheme is served by middleware/cluster_storage.py (registered when rate_limiting.py is
    # imported): a failed node sends only its own keys to per-process memory, not every key.
    return options


class DevelopmentConfig(Config):
    DEBUG = True
    SECRET_KEY = "dev-only-secret-key"  # noqa: S105 - never used outside development
    CORS_ORIGINS = ["http://localhost:3000", "http://127.0.0.1:3000"]


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-secret-key"  # noqa: S105
    CORS_ORIGINS = ["https://app.example.com"]


class ProductionConfig(Config):
    """Reads the environment when instantiated (not at import), then validates it.

    Required: ``SECRET_KEY``, ``RATELIMIT_STORAGE_URI`` (one of ``STORAGE_FORMS``: one Redis,
    Sentinel or Cluster),
    ``CORS_ORIGINS`` (comma-separated exact origins). Optional: ``TRUSTED_PROXY_COUNT`` (default 0),
    ``RATELIMIT_DEFAULT``, ``RATELIMIT_KEY_PREFIX`` (one per app sharing a Redis).
    """

    def __init__(self, environ: Mapping[str, str] | None = None):
        env = os.environ if environ is None else environ
        problems: list[str] = []

        self.SECRET_KEY = env.get("SECRET_KEY", "")
        if len(self.SECRET_KEY) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")

        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "").strip()
        problem = _storage_problem(self.RATELIMIT_STORAGE_URI)
        if problem:
            problems.append(
                f"RATELIMIT_STORAGE_URI {problem} (got {self.RATELIMIT_STORAGE_URI or 'nothing'!r}); accepted: "
                + ", ".join(STORAGE_FORMS) + ". In-process memory storage gives every worker its own counters"
            )
        else:
            self.RATELIMIT_STORAGE_OPTIONS = storage_options(self.RATELIMIT_STORAGE_URI)

        self.CORS_ORIGINS = [o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()]
        if not self.CORS_ORIGINS:
            problems.append("CORS_ORIGINS must list the exact origins of the frontends, comma-separated")
        for origin in self.CORS_ORIGINS:
            problem = _origin_problem(origin)
            if problem:
                problems.append(f"CORS_ORIGINS entry {origin!r} {problem}")

        raw_count = env.get("TRUSTED_PROXY_COUNT", "0").strip()
        if not raw_count.isdigit():
            problems.append(f"TRUSTED_PROXY_COUNT must be a whole number >= 0 (got {raw_count!r})")
        else:
            self.TRUSTED_PROXY_COUNT = int(raw_count)

        self.RATELIMIT_DEFAULT = env.get("RATELIMIT_DEFAULT", Config.RATELIMIT_DEFAULT)
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX", Config.RATELIMIT_KEY_PREFIX)

        if problems:
            raise ConfigError(
                "refusing to start with unsafe production settings:\n  - " + "\n  - ".join(problems)
            )


def _storage_problem(uri: str) -> str | None:
    scheme = uri.partition("://")[0]
    if scheme not in _STORAGE_SCHEMES:
        return "must be a shared Redis storage"
    if scheme in _MULTI_HOST:
        parts = urlsplit(uri)
        hosts = parts.netloc.rpartition("@")[2].split(",")
        if not all(re.fullmatch(r"(\[[0-9A-Fa-f:]+\]|[^:/\[\]]+):[0-9]{1,5}", host.strip()) for host in hosts):
            return "must list host:port for every sentinel or cluster node"
        path = parts.path.strip("/")
        if scheme == "redis+sentinel" and not path:
            return "must end with the Sentinel service name (/mymaster)"
        if scheme == "redis+cluster" and path:
            return "must not name a database or service: a Redis Cluster has one keyspace"
    return None


def _origin_problem(origin: str) -> str | None:
    match = _EXACT_ORIGIN.fullmatch(origin)
    if not match:
        return "is not an exact origin like https://app.example.com (no wildcard, path or regex)"
    scheme, host = match.group(1), match.group(2).lower()
    if scheme == "http" and host not in _LOOPBACK_HOSTS:
        return "must use https (plain http is accepted for loopback hosts only)"
    return None


config_by_name = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(config: str | type | object | None) -> object:
    """The config object for a name (``"testing"``), a config class (``TestingConfig``, or an
    app's own ``Config`` subclass) or a ready instance. Default: ``$FLASK_CONFIG``, else development.
    Classes are instantiated, so ProductionConfig reads and checks the environment here."""
    if isinstance(config, type):
        return config()
    if config is not None and not isinstance(config, str):
        return config
    name = config or os.environ.get("FLASK_CONFIG", "development")
    try:
        return config_by_name[name]()
    except KeyError:
        raise ConfigError(f"unknown config {name!r}; choose one of {', '.join(config_by_name)}") from None
