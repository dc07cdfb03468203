"""Per-request cost of each reference layer, in process, and of the Redis call under it.

    .venv/bin/python bench/layers.py [--rounds 15]

Part 1: the same minimal Flask app with and without one layer, driven straight through WSGI (no
test client, no server), in interleaved rounds so machine noise hits every variant alike; prints
the median cost each variant adds over the bare app. Rate limiting is measured both through
Flask-Limiter's own per-request check and through the reference's fast path, on memory:// and on
a real Redis, each variant with its own Limiter instance.

Part 2: one rate-limit hit, peeled layer by layer: a raw socket PING and EVALSHA of limits' moving
window script, redis-py's evalsha, limits' MovingWindowRateLimiter.hit; wall time, client CPU time
and Redis' own CPU time (INFO cpu) per call.

Part 3: the three strategies on Redis: CPU per hit on both sides, and how many requests each
admits in the 0.3 s around a window edge.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "reference"))

from flask import Flask, jsonify  # noqa: E402
from flask_limiter import Limiter  # noqa: E402
from flask_limiter.util import get_remote_address  # noqa: E402
from werkzeug.middleware.proxy_fix import ProxyFix  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from app.config import Config  # noqa: E402
from app.middleware import cors, logging, security  # noqa: E402
from app.middleware.rate_limiting import DefaultLimitFastPath  # noqa: E402
from app.sessions import CachedSessionInterface  # noqa: E402
from tests.support.servers import RedisServer  # noqa: E402

REQUESTS = 1000
ORIGIN = "https://app.example.com"


def make_app(*configure) -> Flask:
    app = Flask("layers")
    app.config["CORS_ORIGINS"] = [ORIGIN]
    for configure_layer in configure:
        configure_layer(app)
    app.add_url_rule("/api/items", "items", lambda: jsonify(items=[1, 2, 3]))
    return app


def limiter_layer(storage_uri: str, fast: bool):
    def configure(app: Flask) -> None:
        limiter = Limiter(key_func=get_remote_address, default_limits=["1000000000 per second"],
                          storage_uri=storage_uri, strategy=Config.RATELIMIT_STRATEGY,
                          key_prefix=f"layers-{fast}", storage_options=Config.RATELIMIT_STORAGE_OPTIONS)
        limiter.request_filter(lambda: False)  # the reference has one request filter (preflights)
        limiter.init_app(app)
        if fast:
            assert DefaultLimitFastPath(limiter).install(app)

    return configure


def secret_key(session_interface=None):
    def configure(app: Flask) -> None:
        app.config["SECRET_KEY"] = "k" * 40
        if session_interface:
            app.session_interface = session_interface

    return configure


def proxy_fix(app: Flask) -> None:
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1)


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


def layer_costs(redis: RedisServer, rounds: int) -> None:
    plain = EnvironBuilder(path="/api/items", environ_base={"REMOTE_ADDR": "192.0.2.1"}).get_environ()
    with_origin = {**plain, "HTTP_ORIGIN": ORIGIN}
    variants = {
        "bare Flask": (make_app(), plain),
        "request log (WSGI middleware, JSON line)": (make_app(logging.configure_request_logging), plain),
        "security headers (after_request)": (make_app(security.configure_security_headers), plain),
        "CORS, request without Origin": (make_app(cors.configure_cors), plain),
        "CORS, request with an allowed Origin": (make_app(cors.configure_cors), with_origin),
        "ProxyFix (1 proxy)": (make_app(proxy_fix), plain),
        "SECRET_KEY, Flask's session interface": (make_app(secret_key()), plain),
        "SECRET_KEY, sessions.CachedSessionInterface": (make_app(secret_key(CachedSessionInterface())), plain),
        "Flask-Limiter's check, memory://": (make_app(limiter_layer("memory://", False)), plain),
        "fast path, memory://": (make_app(limiter_layer("memory://", True)), plain),
        "Flask-Limiter's check, Redis": (make_app(limiter_layer(redis.url, False)), plain),
        "fast path, Redis": (make_app(limiter_layer(redis.url, True)), plain),
    }
    stderr, sys.stderr = sys.stderr, open(os.devnull, "w")  # keep the log line's cost, drop its text
    try:
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for app, environ in variants.values():
            microseconds_per_request(app, environ)  # warm-up
        for _ in range(rounds):
            for name, (app, environ) in variants.items():
                timings[name].append(microseconds_per_request(app, environ))
    finally:
        sys.stderr = stderr
    bare = statistics.median(timings["bare Flask"])
    print(f"| layer (in process, WSGI calls, bare Flask {bare:.1f} us) | added per request | spread (min-max) |")
    print("| --- | ---: | ---: |")
    for name, values in timings.items():
        if name != "bare Flask":
            print(f"| {name} | +{statistics.median(values) - bare:.1f} us | "
                  f"{min(values) - bare:+.1f} to {max(values) - bare:+.1f} |")


def redis_cpu_seconds(redis: RedisServer) -> float:
    """CPU time the Redis server has used so far (INFO cpu: user + system)."""
    info = redis.command("INFO", "cpu").decode()
    return sum(float(v) for v in re.findall(r"used_cpu_(?:sys|user):([\d.]+)", info))


def redis_call_costs(redis: RedisServer, rounds: int) -> None:
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import MovingWindowRateLimiter

    storage = storage_from_string(redis.url, **Config.RATELIMIT_STORAGE_OPTIONS)
    strategy, item = MovingWindowRateLimiter(storage), parse("300 per minute")
    strategy.hit(item, "warm-up")  # loads the Lua script
    client, sha = storage.storage, storage.lua_acquire_moving_window.sha
    raw = socket.create_connection(("127.0.0.1", redis.port))
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def raw_command(*args: bytes) -> None:
        raw.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
        raw.recv(100)

    counter = iter(range(10**9))
    calls = {
        "raw socket: PING": lambda: raw_command(b"PING"),
        "raw socket: EVALSHA of the moving-window script": lambda: raw_command(
            b"EVALSHA", sha.encode(), b"1", b"LIMITS:raw/%d" % (next(counter) % 50),
            str(time.time()).encode(), b"300", b"60", b"1"),
        "redis-py: evalsha": lambda: client.evalsha(sha, 1, f"LIMITS:py/{next(counter) % 50}", time.time(), 300, 60, 1),
        "limits: MovingWindowRateLimiter.hit": lambda: strategy.hit(item, "limits", str(next(counter) % 50)),
    }
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            cpu, process, wall = redis_cpu_seconds(redis), time.process_time(), time.perf_counter()
            for _ in range(REQUESTS):
                call()
            results[name].append(((time.perf_counter() - wall) / REQUESTS * 1e6,
                                  (time.process_time() - process) / REQUESTS * 1e6,
                                  (redis_cpu_seconds(redis) - cpu) / REQUESTS * 1e6))
    print("\n| one call (50 keys of up to 300 entries) | wall us | client CPU us | Redis CPU us |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in results.items():
        wall, client_cpu, server_cpu = (statistics.median(v[i] for v in values) for i in range(3))
        print(f"| {name} | {wall:.1f} | {client_cpu:.1f} | {server_cpu:.1f} |")


def strategy_costs(redis: RedisServer, rounds: int) -> None:
    """The three Flask-Limiter strategies on Redis: cost of one hit, and what each admits around
    a window edge (limit 10 per 2 s: one hit at t0, a burst just before t0 + 2 s, another just
    after; an exact limit admits 10 in any 2 s)."""
    from limits import parse
    from limits.storage import storage_from_string
    from limits.strategies import STRATEGIES

    storage = storage_from_string(redis.url, **Config.RATELIMIT_STORAGE_OPTIONS)
    names = ("moving-window", "sliding-window-counter", "fixed-window")
    cost: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    item = parse("300 per minute")
    counter = iter(range(10**9))
    for _ in range(rounds):
        for name in names:
            strategy = STRATEGIES[name](storage)
            cpu, process = redis_cpu_seconds(redis), time.process_time()
            for _ in range(REQUESTS):
                strategy.hit(item, "cost", name, str(next(counter) % 50))
            client_cpu = (time.process_time() - process) / REQUESTS * 1e6
            cost[name].append((client_cpu, (redis_cpu_seconds(redis) - cpu) / REQUESTS * 1e6))
    edge = parse("10 per 2 seconds")
    admitted = {}
    for name in names:
        strategy, key = STRATEGIES[name](storage), f"edge-{time.time()}"
        start = time.time()
        strategy.hit(edge, key)
        time.sleep(max(0.0, start + 1.85 - time.time()))
        before = sum(strategy.hit(edge, key) for _ in range(20))
        time.sleep(max(0.0, start + 2.15 - time.time()))
        after = sum(strategy.hit(edge, key) for _ in range(20))
        admitted[name] = (before, after)
    print("\n| strategy (Redis) | client CPU us/hit | Redis CPU us/hit | round trips | admitted in 0.3 s around "
          "a window edge (limit 10 per 2 s, 1 hit at t0) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in names:
        client_cpu, server_cpu = (statistics.median(v[i] for v in cost[name]) for i in range(2))
        before, after = admitted[name]
        print(f"| {name} | {client_cpu:.1f} | {server_cpu:.1f} | 1 | {before} + {after} = {before + after} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    redis = RedisServer().start().wait_ready()
    try:
        layer_costs(redis, args.rounds)
        redis_call_costs(redis, args.rounds)
        strategy_costs(redis, args.rounds)
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
