"""Where the time of one request goes: a sampling profile of the gunicorn workers under wrk.

    .venv/bin/python bench/profile.py [--stack reference] [--storage redis] [--seconds 10]

Starts one stack of stacks.py under gunicorn (2 sync workers, as bench/throughput.py does), puts
wrk load on it and records both workers with py-spy (sampling, native frames off, GIL-holding and
waiting samples alike), while reading the CPU time of the workers and of Redis from /proc. Prints
markdown: requests/s, CPU per request split into user and system time per process, then the
samples grouped by the layer they belong to (by innermost matching frame, most specific first)
and the top functions by own samples. With --in-process, profiles the same stack driven through
WSGI in one process instead (no server, no wrk: the application's own cost).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throughput import cpu_times, env_for, start_gunicorn, storage_uri, worker_pids  # noqa: E402

from tests.support.servers import RedisServer  # noqa: E402

# (layer, pattern on "function (file)"). A sample belongs to the innermost frame that matches one
# of these, skipping library frames (Flask, Werkzeug, json, stdlib) in between: Werkzeug's Headers
# called by the security hook count as security headers, json called by the formatter as the log.
LAYERS = [
    ("Redis round trip: send (syscall, loopback TCP)", r"send_packed_command|sendall"),
    ("Redis round trip: wait for the reply (recv)", r"read_from_socket|recv_into|can_read"),
    ("redis-py: client code (pool, packing, parsing)", r"\(redis/"),
    ("limits: strategy and storage", r"\(limits/"),
    ("rate limiting: Flask-Limiter", r"\(flask_limiter/"),
    ("rate limiting: reference fast path", r"rate_limiting\.py"),
    ("request log: logging module + JSON formatter", r"\(logging/|JsonFormatter|RequestIdFilter|_StderrHandler"),
    ("request log: WSGI middleware and request ID", r"request_id\.py|RequestLogMiddleware\._log"),
    ("CORS: flask-cors", r"\(flask_cors/|middleware/cors\.py"),
    ("security headers", r"middleware/security\.py|\(flask_talisman/"),
    ("sessions", r"\(flask/sessions\.py|sessions\.py\)|\(itsdangerous/"),
    ("limit check (floor stack)", r"^hit \(stacks\.py"),
]
# Frames that wrap the whole application: a sample that reaches one of them through Flask or
# Werkzeug frames is Flask's request handling; one that reaches it directly is the wrapper's own.
WRAPPERS = [
    ("gunicorn: write the response (syscall)", r"^write \(gunicorn/util"),
    ("gunicorn: close the connection (syscalls)", r"close_graceful|_real_close"),
    ("request log: WSGI middleware and request ID", r"middleware/logging\.py"),
    ("gunicorn: accept, parse, other", r"\(gunicorn/|\(socket\.py|\(selectors\.py"),
]
FLASK = re.compile(r"\(flask/|\(werkzeug/|stacks\.py")
TRIM = re.compile(r"^.*?(site-packages|python3\.\d+|/reference|/bench)/")


def frames_of(raw_path: Path):
    """(frames innermost first, samples) per stack of py-spy's raw (collapsed) output. A frame's
    text can contain newlines (py-spy quotes some locals), so records are joined until a count."""
    buffer = ""
    for line in raw_path.read_text(errors="replace").splitlines(keepends=True):
        buffer += line
        match = re.search(r" (\d+)\n$", buffer)
        if not match:
            continue
        stack, buffer = buffer[: match.start()].replace("\n", " "), ""
        frames = []
        for frame in stack.split(";"):
            name, _, where = frame.rpartition(" (")
            frames.append(f"{name.split()[-1] if name else frame} ({TRIM.sub('', where).rsplit(':', 1)[0]})")
        yield frames[::-1], int(match.group(1))


def layer_of(frames: list[str], layers, wrappers) -> str:
    through_flask = False
    for frame in frames:
        name = next((name for name, pattern in layers if pattern.search(frame)), None)
        if name:
            return name
        wrapper = next((name for name, pattern in wrappers if pattern.search(frame)), None)
        if wrapper:
            return "Flask + Werkzeug request handling (and the view)" if through_flask else wrapper
        through_flask = through_flask or bool(FLASK.search(frame))
    return "Flask + Werkzeug request handling (and the view)" if through_flask else "other"


def summarise(raw_path: Path, top: int) -> str:
    by_layer, own, total = collections.Counter(), collections.Counter(), 0
    layers = [(name, re.compile(pattern)) for name, pattern in LAYERS]
    wrappers = [(name, re.compile(pattern)) for name, pattern in WRAPPERS]
    for frames, count in frames_of(raw_path):
        total += count
        own[frames[0]] += count
        by_layer[layer_of(frames, layers, wrappers)] += count
    lines = [f"{total} samples", "", "| layer | share of samples |", "| --- | ---: |"]
    lines += [f"| {name} | {100 * n / total:.1f}% |" for name, n in by_layer.most_common()]
    lines += ["", "| function (own samples) | share |", "| --- | ---: |"]
    lines += [f"| `{name}` | {100 * n / total:.1f}% |" for name, n in own.most_common(top)]
    return "\n".join(lines)


def cpu_split(pids: dict[str, list[int]]) -> dict[str, tuple[float, float]]:
    return {name: cpu_times(group) for name, group in pids.items()}


IN_PROCESS = """
import os, sys, time
sys.path.insert(0, {bench!r})
import stacks
from werkzeug.test import EnvironBuilder
app = stacks.build()
environ = EnvironBuilder(path="/api/items", environ_base={{"REMOTE_ADDR": "192.0.2.1"}}).get_environ()
sys.stderr = open(os.devnull, "w")
def start_response(status, headers, exc_info=None):
    pass
deadline = time.monotonic() + {seconds}
while time.monotonic() < deadline:
    body = app(dict(environ), start_response)
    for _ in body:
        pass
    body.close()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", default="reference")
    parser.add_argument("--storage", default="redis", choices=["redis", "memory", "none"])
    parser.add_argument("--without", default="", help="BENCH_WITHOUT for the reference")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--raw", type=Path, help="keep py-spy's raw output here (re-read with --summarise)")
    parser.add_argument("--summarise", type=Path, help="only summarise an earlier --raw file")
    args = parser.parse_args()
    if args.summarise:
        print(summarise(args.summarise, args.top))
        return
    py_spy = str(Path(sys.executable).parent / "py-spy")
    py_spy = py_spy if Path(py_spy).is_file() else shutil.which("py-spy")
    if not py_spy:
        sys.exit("profile.py: py-spy is not installed (bash dev/setup.sh installs requirements-dev.txt)")

    redis = RedisServer().start().wait_ready() if args.storage == "redis" else None
    uri = storage_uri(None if args.storage == "none" else args.storage, redis)
    env = env_for({"BENCH_STACK": args.stack, "BENCH_WITHOUT": args.without}, uri)
    raw = args.raw or Path(tempfile.mkdtemp()) / "profile.raw"
    title = f"{args.stack} ({args.storage}{', without ' + args.without if args.without else ''})"
    try:
        if args.in_process:
            code = IN_PROCESS.format(bench=str(ROOT / "bench"), seconds=args.seconds)
            subprocess.run([py_spy, "record", "--rate", str(args.rate), "--format", "raw", "--output", str(raw),
                            "--", sys.executable, "-c", code], env=env, check=True, capture_output=True)
            print(f"## {title}, in process (WSGI calls in a loop)\n\n{summarise(raw, args.top)}")
            return
        server = start_gunicorn(env)
        try:
            pids = {"workers": worker_pids(server)}
            if redis:
                pids["redis"] = [redis.pid]
            load = subprocess.Popen(["wrk", "-t1", "-c16", f"-d{args.seconds + 2}s",
                                     f"http://127.0.0.1:{server.port}/api/items"], stdout=subprocess.PIPE, text=True)
            pids["wrk"] = [load.pid]
            time.sleep(1)
            before = cpu_split(pids)
            spy = subprocess.run([py_spy, "record", "--pid", str(server.pid), "--subprocesses", "--rate",
                                  str(args.rate), "--duration", str(args.seconds), "--nonblocking", "--format", "raw",
                                  "--output", str(raw)], capture_output=True, text=True)
            after = cpu_split(pids)
            out = load.communicate()[0]
            if spy.returncode:
                raise RuntimeError(spy.stderr)
        finally:
            server.stop()
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        requests = rps * args.seconds
        print(f"## {title} over HTTP: {rps:,.0f} req/s under py-spy\n")
        print("| process | user us/request | system us/request |\n| --- | ---: | ---: |")
        for name in pids:
            user, system = (after[name][i] - before[name][i] for i in range(2))
            print(f"| {name} | {user / requests * 1e6:.0f} | {system / requests * 1e6:.0f} |")
        print(f"\n{summarise(raw, args.top)}")
    finally:
        if redis:
            redis.stop()


if __name__ == "__main__":
    main()
