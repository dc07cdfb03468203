"""Requests per second, latency and memory of bare Flask, the seed's stack, the reference stack,
Flask-Talisman alone and the reference with each layer switched off.

    .venv/bin/python bench/throughput.py [--rounds 3] [--seconds 5] [--rss-requests 100000]

For each stack: in-process (Flask test client, one core) and over HTTP (gunicorn, 2 sync workers,
wrk -t1 -c16 on loopback, the same flags for every stack): requests/s, wrk's p50 and p99 latency,
the CPU time the workers and Redis spent per request (/proc), and Redis commands per request read
from Redis' MONITOR stream. Rounds interleave the stacks so that machine noise hits them alike;
the table reports medians and the spread over rounds. A last pass sends --rss-requests requests to
each stack and reads every worker's RSS after a short warm-up and at the end (growth = a leak or
an unbounded cache).

Bare Flask runs on its own gunicorn for the whole run and is measured right before every other
stack; each "vs bare" is the median over rounds of those back-to-back ratios, so a minute of
another tenant's load hits both sides of a ratio instead of one row.

--before COMMIT also measures the reference as it was at COMMIT (exported with git archive to a
temporary directory), so an optimisation is compared with its starting point in the same run.
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
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.http import request  # noqa: E402
from tests.support.servers import ManagedProcess, RedisServer, free_port  # noqa: E402

# (row name, BENCH_* environment, storage: None | "memory" | "redis")
STACKS: list[tuple[str, dict[str, str], str | None]] = [
    ("bare", {"BENCH_STACK": "bare"}, None),
    ("floor: bare + one limit hit (redis)", {"BENCH_STACK": "floor"}, "redis"),
    ("seed (memory)", {"BENCH_STACK": "seed"}, "memory"),
    ("seed (redis)", {"BENCH_STACK": "seed"}, "redis"),
    ("reference (memory)", {"BENCH_STACK": "reference"}, "memory"),
    ("reference (redis)", {"BENCH_STACK": "reference"}, "redis"),
    ("reference (redis), no hiredis", {"BENCH_STACK": "reference", "BENCH_PARSER": "python"}, "redis"),
    ("Flask-Talisman alone", {"BENCH_STACK": "talisman"}, None),
    ("reference (redis) - request log", {"BENCH_STACK": "reference", "BENCH_WITHOUT": "log"}, "redis"),
    ("reference (redis) - security headers", {"BENCH_STACK": "reference", "BENCH_WITHOUT": "security"}, "redis"),
    ("reference (redis) - CORS", {"BENCH_STACK": "reference", "BENCH_WITHOUT": "cors"}, "redis"),
    ("reference - rate limiting", {"BENCH_STACK": "reference", "BENCH_WITHOUT": "limiter"}, None),
]
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


def env_for(stack_env: dict[str, str], storage_uri: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    env.update(stack_env, PYTHONPATH=str(ROOT / "bench"))
    if storage_uri:
        env["BENCH_STORAGE_URI"] = storage_uri
    return env


def in_process_rps(env: dict[str, str], requests: int) -> float:
    code = IN_PROCESS_LOOP.format(bench=str(ROOT / "bench"), requests=requests)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True,
                         timeout=600)
    return float(out.stdout.strip().splitlines()[-1])


def start_gunicorn(env: dict[str, str]) -> ManagedProcess:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
            "--log-level", "warning", "stacks:build()"]
    server = ManagedProcess(argv=argv, port=port, env=env).start().wait_ready()
    for _ in range(50):  # warm both workers
        assert request(port, "GET", "/api/items").status == 200
    return server


def _milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def cpu_times(pids: list[int]) -> tuple[float, float]:
    """(user, system) CPU seconds the processes have used so far (/proc/<pid>/stat utime, stime)."""
    user = system = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        user, system = user + int(fields[11]), system + int(fields[12])
    tick = os.sysconf("SC_CLK_TCK")
    return user / tick, system / tick


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    return sum(cpu_times(pids))


def storage_uri(storage: str | None, redis: RedisServer | None) -> str | None:
    """The BENCH_STORAGE_URI of a stack's storage: None (no limiter storage), "memory" or "redis"."""
    return {"memory": "memory://", "redis": redis.url if redis else None, None: None}[storage]


def worker_pids(server: ManagedProcess) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]


def wrk(port: int, seconds: int, pids: list[int] = ()) -> dict[str, float]:
    """requests/s, p50 and p99 latency (ms), the request count of one wrk run and the CPU time
    ``pids`` (workers, Redis) spent per request, in microseconds: unlike requests/s, CPU time per
    request barely moves when another tenant's load takes CPU away from the run."""
    cpu_before = cpu_seconds(pids)
    out = subprocess.run(["wrk", "-t1", "-c16", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{port}/api/items"],
                         check=True, capture_output=True, text=True, timeout=seconds + 60).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"wrk saw {non_2xx.group(1)} error responses:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {
        "cpu_us": (cpu_seconds(pids) - cpu_before) / requests * 1e6,
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _milliseconds(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": _milliseconds(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "requests": requests,
    }


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


def worker_rss_mib(server: ManagedProcess) -> list[float]:
    rss = []
    for pid in worker_pids(server):
        status = Path(f"/proc/{pid}/status").read_text()
        rss.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
    return rss


def rss_after(env: dict[str, str], total: int) -> dict[str, float]:
    """Worker RSS (MiB, the larger of the two) after a 2 s warm-up and after ``total`` requests."""
    server = start_gunicorn(env)
    try:
        sent = wrk(server.port, 2)["requests"]
        warm = max(worker_rss_mib(server))
        while sent < total:
            sent += wrk(server.port, 5)["requests"]
        return {"warm": warm, "end": max(worker_rss_mib(server)), "requests": sent}
    finally:
        server.stop()


def export_reference(commit: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="reference-before-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "reference"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "reference"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000, help="in-process requests per measurement")
    parser.add_argument("--rss-requests", type=int, default=100_000, help="requests per stack for RSS (0: skip)")
    parser.add_argument("--before", metavar="COMMIT", help="also measure the reference as it was at COMMIT")
    parser.add_argument("--only", help="regular expression: measure only the rows whose name matches")
    parser.add_argument("--json", type=Path, help="also write raw results here")
    args = parser.parse_args()

    stacks = list(STACKS)
    if args.before:
        before = str(export_reference(args.before))
        for storage in ("memory", "redis"):
            stacks.insert(4, (f"reference @{args.before[:7]} ({storage})",
                              {"BENCH_STACK": "reference", "BENCH_REFERENCE": before}, storage))
    if args.only:
        stacks = [s for s in stacks if s[0] == "bare" or re.search(args.only, s[0])]

    redis = RedisServer().start().wait_ready()
    bare_env = env_for({"BENCH_STACK": "bare"}, None)
    bare_server = start_gunicorn(bare_env)  # kept up: measured right before every other stack
    results: dict[str, dict[str, list]] = {}

    def measure(name: str, env: dict[str, str], server: ManagedProcess, storage: str | None) -> dict:
        cell = results.setdefault(name, {key: [] for key in ("in_process", "http", "p50", "p99", "cpu_us",
                                                             "redis_cmds", "vs_bare_in", "vs_bare_http",
                                                             "vs_bare_cpu")})
        cell["in_process"].append(in_process_rps(env, args.requests))
        pids = worker_pids(server) + ([redis.pid] if storage == "redis" else [])
        run = wrk(server.port, args.seconds, pids)
        for key in ("p50", "p99", "cpu_us"):
            cell[key].append(run[key])
        cell["http"].append(run["rps"])
        if storage == "redis":
            cell["redis_cmds"].append(redis_round_trips_per_request(redis, server.port))
        return cell

    try:
        for round_no in range(args.rounds):
            for name, stack_env, storage in stacks:
                if name == "bare":
                    continue
                # Bare Flask, then the stack, back to back: the ratio of the pair is what the table
                # reports, so load that another tenant puts on the machine for a minute hits both.
                bare = measure("bare", bare_env, bare_server, None)
                env = env_for(stack_env, storage_uri(storage, redis))
                server = start_gunicorn(env)
                try:
                    cell = measure(name, env, server, storage)
                finally:
                    server.stop()
                cell["vs_bare_in"].append(cell["in_process"][-1] / bare["in_process"][-1])
                cell["vs_bare_http"].append(cell["http"][-1] / bare["http"][-1])
                cell["vs_bare_cpu"].append(bare["cpu_us"][-1] / cell["cpu_us"][-1])
                print(f"round {round_no + 1}: {name}: in-process {cell['in_process'][-1]:.0f} rps "
                      f"({cell['vs_bare_in'][-1]:.2f}x), http {cell['http'][-1]:.0f} rps "
                      f"({cell['vs_bare_http'][-1]:.2f}x of {bare['http'][-1]:.0f}), p50 {cell['p50'][-1]:.2f} ms, "
                      f"p99 {cell['p99'][-1]:.2f} ms, cpu {cell['cpu_us'][-1]:.0f} us/request",
                      file=sys.stderr, flush=True)
        bare_server.stop()
        if args.rss_requests:
            for name, stack_env, storage in stacks:
                uri = storage_uri(storage, redis)
                results[name]["rss"] = rss_after(env_for(stack_env, uri), args.rss_requests)
                print(f"rss: {name}: {results[name]['rss']}", file=sys.stderr, flush=True)
    finally:
        bare_server.stop()
        redis.stop()

    print("| stack | in-process req/s | vs bare | HTTP req/s (min-max) | vs bare (min-max) | p50 / p99 ms | "
          "server CPU us/request | vs bare | worker RSS MiB after warm-up -> 100k | Redis round trips/request |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, cell in results.items():
        in_p, http = statistics.median(cell["in_process"]), statistics.median(cell["http"])
        cmds = f"{statistics.median(cell['redis_cmds']):.2f}" if cell["redis_cmds"] else "-"
        rss = f"{cell['rss']['warm']:.1f} -> {cell['rss']['end']:.1f}" if "rss" in cell else "-"
        ratios = cell["vs_bare_http"] or [1.0]
        print(f"| {name} | {in_p:,.0f} | {statistics.median(cell['vs_bare_in'] or [1.0]):.2f}x | {http:,.0f} "
              f"({min(cell['http']):,.0f}-{max(cell['http']):,.0f}) | {statistics.median(ratios):.2f}x "
              f"({min(ratios):.2f}-{max(ratios):.2f}) | {statistics.median(cell['p50']):.2f} / "
              f"{statistics.median(cell['p99']):.2f} | {statistics.median(cell['cpu_us']):.0f} | "
              f"{statistics.median(cell['vs_bare_cpu'] or [1.0]):.2f}x | {rss} | {cmds} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
