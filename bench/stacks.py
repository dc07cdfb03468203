"""The three stacks the throughput bench compares, as WSGI apps (`stacks:build()` for gunicorn).

Chosen by environment: BENCH_STACK = bare | seed | reference, BENCH_STORAGE_URI = memory:// or a
redis:// URL. Each app gets GET /api/items under its stack's default limits, with the amounts
raised out of reach so every measured request is a 200 that still pays the full limit check
(same number of limits, same storage round trips). Only one stack is imported per process: the
seed and the reference are both a package named `app`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask, jsonify

ROOT = Path(__file__).resolve().parents[1]
HUGE = 1_000_000_000
ITEMS = [{"id": i, "name": f"item {i}"} for i in range(10)]


def items():
    return jsonify(items=ITEMS)


def bare() -> Flask:
    app = Flask("bare")
    app.add_url_rule("/api/items", "items", items)
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
    sys.path.insert(0, str(ROOT / "reference"))
    from app import config

    config.Config.RATELIMIT_DEFAULT = f"{HUGE} per minute"
    config.DevelopmentConfig.RATELIMIT_STORAGE_URI = storage_uri
    config.DevelopmentConfig.DEBUG = False
    from app import create_app

    application = create_app("development")
    application.add_url_rule("/api/items", "items", items)
    return application


def build() -> Flask:
    stack = os.environ["BENCH_STACK"]
    if stack == "bare":
        return bare()
    return {"seed": seed, "reference": reference}[stack](os.environ.get("BENCH_STORAGE_URI", "memory://"))
