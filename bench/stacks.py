"""The stacks the throughput bench compares, as WSGI apps (`stacks:build()` for gunicorn).

Chosen by environment:
- BENCH_STACK: bare | floor | seed | reference | talisman
- BENCH_STORAGE_URI: memory:// or a redis://, redis+sentinel:// or redis+cluster:// URL (seed, reference,
  floor)
- BENCH_WITHOUT: reference layers to switch off, comma-separated: log, security, cors, limiter
- BENCH_REFERENCE: the reference tree to import (default reference/; the bench points it at an
  exported older commit to measure before and after side by side)
- BENCH_PARSER=python: redis-py's pure-Python parser even when hiredis is installed

Each app gets GET /api/items under its stack's default limits, with the amounts raised out of
reach so every measured request is a 200 that still pays the full limit check (same number of
limits, same storage round trips). Only one stack is imported per process: the seed and the
reference are both a package named `app`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask, jsonify

ROOT = Path(__file__).resolve().parents[1]
HUGE = 1_000_000_000
ITEMS = [{"id": i, "name": f"item {i}"} for i in range(10)]
LAYERS = {  # BENCH_WITHOUT name -> the configure_* call in create_app() made a no-op
    "log": "configure_request_logging",
    "security": "configure_security_headers",
    "cors": "configure_cors",
    "limiter": "configure_rate_limiting",
}


def items():
    return jsonify(items=ITEMS)


def bare() -> Flask:
    app = Flask("bare")
    app.add_url_rule("/api/items", "items", items)
    return app


def _storage_options(options: dict) -> dict:
    if os.environ.get("BENCH_PARSER") == "python":
        from redis._parsers import _RESP3Parser

        return {**options, "parser_class": _RESP3Parser}
    return options


def floor(storage_uri: str) -> Flask:
    """Bare Flask plus the one storage call the reference makes per request (limits + redis-py,
    the reference's strategy, key prefix and storage options) and nothing else: what an exact limit
    shared by every worker costs through the required libraries, before any middleware."""
    sys.path.insert(0, str(ROOT / "reference"))
    from flask import request
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import STRATEGIES

    from app.config import Config

    storage = storage_from_string(storage_uri, **_storage_options(Config.RATELIMIT_STORAGE_OPTIONS))
    strategy = STRATEGIES[Config.RATELIMIT_STRATEGY](storage)
    limit = parse(f"{HUGE} per second")
    app = bare()

    @app.before_request
    def hit():
        if not strategy.hit(limit, Config.RATELIMIT_KEY_PREFIX, request.remote_addr, request.endpoint):
            return "limited", 429
        return None

    return app


def seed(storage_uri: str) -> Flask:
    sys.path.insert(0, str(ROOT / "examples" / "seed_app"))
    from flask_limiter.util import get_remote_address

    from app import create_app
    from app.extensions import limiter

    # The seed's limiter as written (two default limits), re-initialised in place (its modules
    # already hold a reference) with the bench's storage and out-of-reach amounts.
    limiter.__init__(
        key_func=get_remote_address,
        default_limits=[f"{HUGE} per hour", f"{HUGE} per minute"],
        storage_uri=storage_uri,
    )

    application = create_app("production")
    application.add_url_rule("/api/items", "items", items)
    return application


def reference(storage_uri: str) -> Flask:
    sys.path.insert(0, os.environ.get("BENCH_REFERENCE", str(ROOT / "reference")))
    from app import config

    # Per second, not per minute: a moving window keeps one entry per admitted request for the
    # whole window, and with an unreachable amount limits' in-memory list would hold a minute of
    # benchmark traffic (100k+ entries, each insert O(n)), which no real limit (300 per minute)
    # ever holds. The Redis calls are the same either way.
    config.Config.RATELIMIT_DEFAULT = f"{HUGE} per second"
    # The options ProductionConfig builds for this URI (Sentinel and Cluster differ), where the
    # reference has them (an exported older commit may not).
    options = (config.storage_options(storage_uri) if hasattr(config, "storage_options")
               else config.Config.RATELIMIT_STORAGE_OPTIONS)
    config.Config.RATELIMIT_STORAGE_OPTIONS = _storage_options(options)
    config.DevelopmentConfig.RATELIMIT_STORAGE_URI = storage_uri
    config.DevelopmentConfig.DEBUG = False
    import app as package

    for layer in filter(None, os.environ.get("BENCH_WITHOUT", "").split(",")):
        setattr(package, LAYERS[layer], lambda app: None)
    application = package.create_app("development")
    application.add_url_rule("/api/items", "items", items)
    return application


def talisman() -> Flask:
    """Flask-Talisman alone, with its defaults except force_https (the bench speaks plain HTTP)."""
    from flask_talisman import Talisman

    app = bare()
    Talisman(app, force_https=False)
    return app


def build() -> Flask:
    stack = os.environ["BENCH_STACK"]
    if stack in ("bare", "talisman"):
        return {"bare": bare, "talisman": talisman}[stack]()
    builders = {"floor": floor, "seed": seed, "reference": reference}
    return builders[stack](os.environ.get("BENCH_STORAGE_URI", "memory://"))
