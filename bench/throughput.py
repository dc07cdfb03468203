"""Requests per second of bare Flask, the seed's stack and the reference stack.

    .venv/bin/python bench/throughput.py [--rounds 3] [--seconds 5]

For each stack and storage (memory://, a real Redis): in-process (Flask test client, one core)
and over HTTP (gunicorn, 2 sync workers, wrk on loopback), plus Redis commands per request read
from Redis' own INFO counters. Rounds interleave the stacks so that machine noise hits them
alike; the table reports medians and ratios to bare Flask measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.http import request  # noqa: E402
from tests.support.servers import ManagedProcess, RedisServer, free_port  # noqa: E402

STACKS = [("bare", None), ("seed", "memory"), ("seed", "redis"), ("reference", "memory"), ("reference", "redis")]
IN_PROCESS_LOOP = """
import os, sys, time
sys.path.insert(0, {bench!r})
import stacks
app = stacks.build()
client = app.test_client()
sys.stderr = open(os.devnull, "w")  # the reference logs a JSON line per request: keep the cost, drop the text
for _ in range(300):
    client.get("/api/items")
n, start = {requests}, time.perf_counter()
for _ in range(n):
    assert client.get("/api/items").status_code == 200
print(n / (time.perf_counter() - start))
"""


def env_for(stack: str, storage_uri: str | None) -> dict[str, str]:
    env = dict(os.environ, BENCH_STACK=stack, PYTHONPATH=str(ROOT / "bench"))
    if storage_uri:
        env["BENCH_STORAGE_URI"] = storage_uri
    return env


def in_process_rps(stack: str, storage_uri: str | None, requests: int) -> float:
    code = IN_PROCESS_LOOP.format(bench=str(ROOT / "bench"), requests=requests)
    out = subprocess.run([sys.executable, "-c", code], env=env_for(stack, storage_uri), check=True,
                         capture_output=True, text=True, timeout=600)
    return float(out.stdout.strip().splitlines()[-1])


def start_gunicorn(stack: str, storage_uri: str | None) -> ManagedProcess:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
            "--log-level", "warning", "stacks:build()"]
    server = ManagedProcess(argv=argv, port=port, env=env_for(stack, storage_uri)).start().wait_ready()
    for _ in range(50):  # warm both workers
        assert request(port, "GET", "/api/items").status == 200
    return server


def wrk_rps(port: int, seconds: int) -> float:
    out = subprocess.run(["wrk", "-t1", "-c16", f"-d{seconds}s", f"http://127.0.0.1:{port}/api/items"],
                         check=True, capture_output=True, text=True, timeout=seconds + 60).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"wrk saw {non_2xx.group(1)} error responses:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def redis_round_trips_per_request(redis: RedisServer, port: int, requests: int = 100) -> float:
    """Commands clients sent, read from Redis' MONITOR stream (commands a Lua script runs inside
    Redis are marked [lua] there and are not round trips)."""
    monitor = socket.create_connection(("127.0.0.1", redis.port), timeout=5)
    monitor.sendall(b"MONITOR\r\n")
    assert monitor.recv(5) == b"+OK\r\n"
    for _ in range(requests):
        request(port, "GET", "/api/items")
    request(port, "GET", "/api/items", headers={"X-Request-ID": "bench-end-marker"})
    redis.command("ECHO", "bench-end-marker")
    stream = b""
    while b"bench-end-marker" not in stream:
        stream += monitor.recv(65536)
    monitor.close()
    lines = [line for line in stream.decode("latin-1").splitlines() if line.startswith("+") and "[0 lua]" not in line]
    return (len(lines) - 1) / (requests + 1)  # minus our ECHO


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000, help="in-process requests per measurement")
    parser.add_argument("--json", type=Path, help="also write raw results here")
    args = parser.parse_args()

    redis = RedisServer().start().wait_ready()
    results: dict[str, dict[str, list[float]]] = {}
    try:
        for round_no in range(args.rounds):
            for stack, storage in STACKS:
                uri = {"memory": "memory://", "redis": redis.url, None: None}[storage]
                name = stack if storage is None else f"{stack} ({storage})"
                cell = results.setdefault(name, {"in_process": [], "http": [], "redis_cmds": []})
                cell["in_process"].append(in_process_rps(stack, uri, args.requests))
                server = start_gunicorn(stack, uri)
                try:
                    cell["http"].append(wrk_rps(server.port, args.seconds))
                    if storage == "redis":
                        cell["redis_cmds"].append(redis_round_trips_per_request(redis, server.port))
                finally:
                    server.stop()
                print(f"round {round_no + 1}: {name}: in-process {cell['in_process'][-1]:.0f} rps, "
                      f"http {cell['http'][-1]:.0f} rps", file=sys.stderr)
    finally:
        redis.stop()

    bare_in, bare_http = (statistics.median(results["bare"][k]) for k in ("in_process", "http"))
    print("| stack | in-process req/s | vs bare | HTTP (gunicorn, wrk) req/s | vs bare | Redis round trips/request |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, cell in results.items():
        in_p, http = statistics.median(cell["in_process"]), statistics.median(cell["http"])
        cmds = f"{statistics.median(cell['redis_cmds']):.2f}" if cell["redis_cmds"] else "-"
        print(f"| {name} | {in_p:,.0f} | {in_p / bare_in:.2f}x | {http:,.0f} | {http / bare_http:.2f}x | {cmds} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
