"""The reference on one Redis, Redis Sentinel and Redis Cluster, side by side in one run, and the
request stall while a Sentinel primary fails over or a Cluster node dies.

    .venv/bin/python bench/topologies.py [--rounds 3] [--seconds 5] [--failovers 3]

Throughput: the bench's reference stack (bench/stacks.py, GET /api/items under one default limit,
amount out of reach) on gunicorn with 2 sync workers, wrk -t1 -c16, storage options exactly as
ProductionConfig builds them for each URI (config.storage_options). Rounds interleave the three
storages; the table gives medians, the spread, and each storage's ratio to one Redis measured
right before it in the same round. The topologies come from tests/support/topologies.py (the
same ones the tests use: all processes on this machine, loopback).

Failover: two instances of the real reference (production config, 2 workers each) on a fresh
topology; 4 client threads send login attempts (new client address each 10 requests, via
X-Forwarded-For) without pause; the primary (Sentinel) or one node (Cluster) is SIGKILLed; the
run goes on until the sentinels name the new primary (Sentinel) plus 3 s. Reported per failover:
the longest request after the kill, the p99 after the kill, requests and 500s, time to promotion.
"""

from __future__ import annotations

import argparse
import itertools
import signal
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throughput import env_for, start_gunicorn, worker_pids, wrk  # noqa: E402

from tests.support.http import request  # noqa: E402
from tests.support.servers import ManagedProcess, RedisServer, free_port, gunicorn_argv, reference_env  # noqa: E402
from tests.support.topologies import ClusterTopology, SentinelTopology  # noqa: E402

LOGIN = "/api/auth/login"
BAD_LOGIN = {"email": "attacker@example.com", "password": "guess"}
PLAIN_APP = "tests.support.reference_apps:with_plain_route()"  # + GET /api/plain, default limit only
PYTHONPATH = f"{ROOT / 'reference'}:{ROOT}"


def throughput(rounds: int, seconds: int) -> None:
    single = RedisServer().start().wait_ready()
    sentinel, cluster = SentinelTopology().start(), ClusterTopology().start()
    storages = {"one Redis": (single.url, [single]),
                "Sentinel (1 primary, 1 replica, 3 sentinels)": (sentinel.url, [sentinel.primary, sentinel.replica,
                                                                             *sentinel.sentinels]),
                "Cluster (3 primaries)": (cluster.url, cluster.nodes)}
    cells = {name: {"rps": [], "p50": [], "p99": [], "ratio": [], "cpu_us": []} for name in storages}
    try:
        for _ in range(rounds):
            base = None
            for name, (uri, processes) in storages.items():
                server = start_gunicorn(env_for({"BENCH_STACK": "reference"}, uri))
                try:
                    # CPU per request of the workers and every Redis process (replica and sentinels
                    # included): steadier than req/s when other tenants load the machine.
                    result = wrk(server.port, seconds, worker_pids(server) + [p.pid for p in processes])
                finally:
                    server.stop()
                base = base or result["rps"]
                for key in ("rps", "p50", "p99", "cpu_us"):
                    cells[name][key].append(result[key])
                cells[name]["ratio"].append(result["rps"] / base)
    finally:
        for topology in (single, sentinel, cluster):
            topology.stop()
    print(f"\n{rounds} rounds x {seconds} s, gunicorn 2 sync workers, wrk -t1 -c16, GET /api/items\n")
    print("| storage | HTTP req/s (min-max) | vs one Redis | p50 / p99 ms | server CPU us/request (workers + Redis) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, cell in cells.items():
        print(f"| {name} | {statistics.median(cell['rps']):,.0f} ({min(cell['rps']):,.0f}-{max(cell['rps']):,.0f}) "
              f"| {statistics.median(cell['ratio']):.2f}x ({min(cell['ratio']):.2f}-{max(cell['ratio']):.2f}) "
              f"| {statistics.median(cell['p50']):.2f} / {statistics.median(cell['p99']):.2f} "
              f"| {statistics.median(cell['cpu_us']):.0f} ({min(cell['cpu_us']):.0f}-{max(cell['cpu_us']):.0f}) |")


def failover(kind: str) -> dict:
    topology = SentinelTopology().start() if kind == "sentinel" else ClusterTopology().start()
    servers = []
    try:
        for _ in range(2):
            port = free_port()
            env = reference_env(RATELIMIT_STORAGE_URI=topology.url, TRUSTED_PROXY_COUNT="1", PYTHONPATH=PYTHONPATH,
                                RATELIMIT_DEFAULT="20 per minute")
            argv = gunicorn_argv(PLAIN_APP, port, "--workers", "2")
            servers.append(ManagedProcess(argv=argv, port=port, env=env).start().wait_ready())
        samples: list[tuple[str, float, float, int]] = []  # (path, started, seconds, status)
        stop = threading.Event()
        clients = itertools.count(1)
        errors: list[str] = []

        def hammer(index: int) -> None:
            path = "/api/plain" if index % 2 else LOGIN  # the fast path / Flask-Limiter's own path
            while not stop.is_set():
                client = f"10.9.{index}.{next(clients) % 250}"
                for i in range(10):
                    started = time.perf_counter()
                    try:
                        if path == LOGIN:
                            status = request(servers[i % 2].port, "POST", LOGIN, json_body=BAD_LOGIN,
                                             headers={"X-Forwarded-For": client}, timeout=30).status
                        else:
                            status = request(servers[i % 2].port, "GET", path,
                                             headers={"X-Forwarded-For": client}, timeout=30).status
                    except OSError as exc:  # counted, never hidden: a reset connection is a failure too
                        status = 599
                        errors.append(f"{type(exc).__name__}: {exc}")
                    samples.append((path, started, time.perf_counter() - started, status))

        for i in range(16):  # warm every worker (its first request loads modules and Lua scripts)
            request(servers[i % 2].port, "POST", LOGIN, json_body=BAD_LOGIN, headers={"X-Forwarded-For": "10.8.0.1"})
            request(servers[i % 2].port, "GET", "/api/plain", headers={"X-Forwarded-For": "10.8.0.1"})
        threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2)  # bench only: two seconds of traffic before the kill
        killed = time.perf_counter()
        if kind == "sentinel":
            topology.kill_primary()
            while topology.master_port() != topology.replica.port:
                time.sleep(0.01)
            promoted = time.perf_counter() - killed
        else:
            topology.nodes[0].stop(signal.SIGKILL)
            promoted = float("nan")
        time.sleep(3)
        stop.set()
        for thread in threads:
            thread.join()
        if errors:
            print(f"{kind}: {len(errors)} connection errors, e.g. {errors[0]}", file=sys.stderr)
        result = {"promoted": promoted, "500s": sum(1 for *_, status in samples if status >= 500)}
        for path in (LOGIN, "/api/plain"):
            before = [s for p, t, s, _ in samples if p == path and t + s < killed]
            after = sorted(s for p, t, s, _ in samples if p == path and t + s >= killed)
            result[path] = {"before": max(before), "longest": after[-1], "requests": len(after)}
        return result
    finally:
        for server in servers:
            server.stop()
        topology.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--failovers", type=int, default=3, help="failovers per topology (0: skip)")
    args = parser.parse_args()
    if args.rounds:
        throughput(args.rounds, args.seconds)
    if not args.failovers:
        return
    print("\n| failure (2 instances x 2 workers, 4 clients) | promoted after s | route | longest request "
          "before the kill s | longest request after the kill s | requests after the kill | 500s |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for kind, label in (("sentinel", "Sentinel: primary SIGKILLed"), ("cluster", "Cluster: 1 of 3 nodes SIGKILLed")):
        runs = [failover(kind) for _ in range(args.failovers)]
        promoted = "-" if kind == "cluster" else " / ".join(f"{r['promoted']:.2f}" for r in runs)
        for path in (LOGIN, "/api/plain"):
            cells = [" / ".join(f"{r[path][key]:.3f}" for r in runs) for key in ("before", "longest")]
            requests = " / ".join(str(r[path]["requests"]) for r in runs)
            print(f"| {label} | {promoted} | {path} | {cells[0]} | {cells[1]} | {requests} "
                  f"| {sum(r['500s'] for r in runs)} |")


if __name__ == "__main__":
    main()
