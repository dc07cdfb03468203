"""Per-request cost of each reference middleware layer, in-process.

    .venv/bin/python bench/layers.py

The same minimal app with and without one layer, driven straight through WSGI (no test client),
in interleaved rounds so machine noise hits every variant alike; prints medians and the cost
each layer adds over the bare app.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))

from flask import Flask, jsonify
from werkzeug.test import EnvironBuilder

from app.middleware import cors, logging, security

ROUNDS, REQUESTS = 15, 1000


def make_app(*configure) -> Flask:
    app = Flask("layers")
    app.config["CORS_ORIGINS"] = ["https://app.example.com"]
    for configure_layer in configure:
        configure_layer(app)
    app.add_url_rule("/api/items", "items", lambda: jsonify(items=[1, 2, 3]))
    return app


def microseconds_per_request(app: Flask, environ: dict) -> float:
    def start_response(status, headers, exc_info=None):
        pass

    started = time.perf_counter()
    for _ in range(REQUESTS):
        body = app(dict(environ), start_response)
        for _chunk in body:
            pass
        body.close()  # as a server does: the request log is written here
    return (time.perf_counter() - started) / REQUESTS * 1e6


def main() -> None:
    variants = {
        "bare": make_app(),
        "request log": make_app(logging.configure_request_logging),
        "security headers": make_app(security.configure_security_headers),
        "cors": make_app(cors.configure_cors),
    }
    environ = EnvironBuilder(path="/api/items", environ_base={"REMOTE_ADDR": "192.0.2.1"}).get_environ()
    sys.stderr = open(os.devnull, "w")  # keep the log line's cost, drop its text
    timings: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(ROUNDS):
        for name, app in variants.items():
            timings[name].append(microseconds_per_request(app, environ))
    bare = statistics.median(timings["bare"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:18s} {median:7.1f} us/request  (+{median - bare:5.1f})", file=sys.__stdout__)


if __name__ == "__main__":
    main()
