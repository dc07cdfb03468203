#!/usr/bin/env python3
"""Grade bare Flask, the seed's headers and the reference app with the MDN HTTP Observatory.

    sudo bash bench/observatory/run.sh        # or: .venv/bin/python bench/observatory/run.py

The observatory scans a *hostname*: http://HOST/ and https://HOST/ on the default ports, so each
app is served the way a production API is reached: gunicorn with TLS on 127.0.0.1:443 (a throwaway
CA and certificate made here with openssl, deleted afterwards, trusted by the scanner through
NODE_EXTRA_CA_CERTS) and a plain-HTTP server on 127.0.0.1:80 that redirects to https. Binding
80/443 needs root. The scanner (npm @mdn/mdn-http-observatory, its CLI src/scan.js) is installed
into .cache/observatory with --ignore-scripts, because its install step downloads the HSTS preload
and TLD lists; an empty preload list ({}) stands in, and nothing on localhost could be preloaded.

Only 127.0.0.1 is ever scanned or contacted. Every process started here (redis-server, gunicorn,
node) is stopped by PID before the script exits, whatever happens. Writes results.json and
README.md next to this file.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from tests.support.servers import (  # noqa: E402 - needs the repo root on sys.path first
    REFERENCE_DIR,
    ManagedProcess,
    RedisServer,
    gunicorn_argv,
    reference_env,
)

SCAN_HOST = "127.0.0.1"  # the certificate carries IP:127.0.0.1 and DNS:localhost
OBSERVATORY_PACKAGE = "@mdn/mdn-http-observatory"
OBSERVATORY_VERSION = "1.4.8"
CACHE_DIR = REPO / ".cache" / "observatory"
PACKAGE_DIR = CACHE_DIR / "node_modules" / "@mdn" / "mdn-http-observatory"
SEED_DIR = REPO / "examples" / "seed_app"
ROOT_MARKER = "observatory_root"  # targets.ROOT_ENDPOINT, in the body of the `/` view it adds

TARGETS = {
    "bare": "Bare Flask (no middleware)",
    "seed": "Seed (examples/seed_app: the seed SKILL.md's after_request headers)",
    "reference": "Reference (reference/app, production config)",
}

# Security headers compared across the responses (the observatory grades the first six).
SECURITY_HEADERS = [
    "content-security-policy", "strict-transport-security", "x-content-type-options",
    "x-frame-options", "referrer-policy", "cross-origin-resource-policy",
    "cross-origin-opener-policy", "permissions-policy", "cache-control", "x-xss-protection",
]
HEADERS_SHOWN = [*SECURITY_HEADERS, "set-cookie", "access-control-allow-origin", "server"]

# Why a test cannot reach its best modifier for a cookie-free JSON API served on localhost.
OUT_OF_REACH = {
    "strict-transport-security": (
        "`hsts-preloaded` (+5) needs the host on the browsers' HSTS preload list (hstspreload.org: "
        "a registrable domain, `max-age` >= 1 year, `includeSubDomains`, `preload`, then "
        "submission). 127.0.0.1/localhost can never be on it; the scan runs with an empty list."
    ),
    "subresource-integrity": (
        "`sri-implemented-*` (+5) is given only to an HTML page whose `<script>`s carry "
        "`integrity=`. A JSON API loads no scripts: `sri-not-implemented-response-not-html` (0) "
        "is the best a non-HTML response can get."
    ),
    "cookies": (
        "`cookies-secure-with-httponly-sessions-and-samesite` (+5) needs a cookie set at `/`. A "
        "token-based API sets none (`cookies-not-found`, 0); adding a cookie only for the grade "
        "would add state and attack surface, not security."
    ),
}


# --- scanner -------------------------------------------------------------------------------------

def ensure_observatory() -> Path:
    if not (PACKAGE_DIR / "src" / "scan.js").exists():
        if not shutil.which("npm"):
            sys.exit("npm is missing: apt-get install nodejs npm (the observatory needs Node.js >= 20)")
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        manifest = CACHE_DIR / "package.json"
        if not manifest.exists():
            manifest.write_text('{"private": true}\n')
        print(f"observatory: npm install {OBSERVATORY_PACKAGE}@{OBSERVATORY_VERSION} into {CACHE_DIR}")
        subprocess.run(
            ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error",
             f"{OBSERVATORY_PACKAGE}@{OBSERVATORY_VERSION}"],
            cwd=CACHE_DIR, check=True, timeout=600,
        )
    preload = PACKAGE_DIR / "conf" / "hsts-preload.json"
    if not preload.exists():  # what the skipped postinstall would have downloaded
        preload.write_text("{}\n")
    return PACKAGE_DIR


def score_table(package: Path) -> dict:
    """Per test: its title and the modifier of every possible result, read from the package."""
    script = """
      const { SCORE_TABLE } = await import("./src/grader/charts.js");
      const { ALL_RESULTS } = await import("./src/constants.js");
      const out = {};
      for (const r of ALL_RESULTS) {
        out[r.name] = { title: r.title, results: Object.fromEntries(
          r.possibleResults.map((e) => [e, SCORE_TABLE.get(e)?.modifier ?? 0])) };
      }
      console.log(JSON.stringify(out));
    """
    done = subprocess.run(["node", "--input-type=module", "-e", script], cwd=package,
                          capture_output=True, text=True, check=True, timeout=60)
    return json.loads(done.stdout)


def scan(package: Path, ca_file: Path) -> dict:
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(ca_file)}
    done = subprocess.run(["node", "src/scan.js", SCAN_HOST], cwd=package, env=env,
                          capture_output=True, text=True, timeout=180)
    try:
        result = json.loads(done.stdout)
    except ValueError:
        raise RuntimeError(f"scanner output is not JSON:\n{done.stdout}\n{done.stderr}") from None
    if "error" in result:
        raise RuntimeError(f"scanner error: {result['error']}")
    # An untrusted certificate would not stop the scan: it retries unverified and grades that.
    if any(test["result"].endswith("invalid-cert") for test in result["tests"].values()):
        raise RuntimeError("the scanner did not trust the throwaway CA (NODE_EXTRA_CA_CERTS)")
    return result


# --- TLS and the :80 redirect ---------------------------------------------------------------------

def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a leaf certificate for localhost/127.0.0.1, valid for two days."""
    ca_key, ca_cert = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ext = directory / "server.ext"
    ext.write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
    )

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_cert,
            "-days", "2", "-subj", "/CN=managing-flask-middleware observatory bench CA (throwaway)",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
            "-out", cert, "-days", "2", "-extfile", ext)
    return ca_cert, cert, key


class RedirectToHttps(BaseHTTPRequestHandler):
    """What a production edge does on port 80: a permanent redirect to the same path over https."""

    def _redirect(self):
        self.send_response(301)
        self.send_header("Location", f"https://{SCAN_HOST}{self.path}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = do_POST = do_OPTIONS = _redirect

    def log_message(self, *args):
        pass


def serve_redirects() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 80), RedirectToHttps)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def assert_ports_free(*ports: int) -> None:
    for port in ports:
        with socket.socket() as s:
            # As the servers will: reuse a port that only has TIME_WAIT leftovers of a last run.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except PermissionError:
                sys.exit(f"cannot bind 127.0.0.1:{port}: run as root (the observatory scans ports 80/443)")
            except OSError as exc:
                sys.exit(f"127.0.0.1:{port} is in use ({exc}); stop whatever listens there first")


# --- the apps ------------------------------------------------------------------------------------

def start_target(name: str, cert: Path, key: Path, redis: RedisServer, workdir: Path) -> ManagedProcess:
    pythonpath = {"bare": [HERE], "seed": [SEED_DIR, HERE], "reference": [REFERENCE_DIR, HERE]}[name]
    if name == "reference":
        env = reference_env(CORS_ORIGINS="https://app.example.com",
                            RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{redis.port}/0")
    else:
        env = {k: v for k, v in os.environ.items() if k != "FLASK_CONFIG"}
        env["BENCH_REDIS_URL"] = f"redis://127.0.0.1:{redis.port}/1"
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    # The same gunicorn settings for all three (reference/gunicorn.conf.py), TLS on 127.0.0.1:443.
    argv = gunicorn_argv(f"targets:{name}()", 443, "--workers", "1",
                         "--certfile", str(cert), "--keyfile", str(key))
    return ManagedProcess(argv=argv, port=443, env=env, cwd=str(workdir),
                          log_path=workdir / f"{name}.log").start()


def fetch(path: str, ca_file: Path) -> dict:
    """One HTTPS GET to the app under test, verified against the throwaway CA."""
    context = ssl.create_default_context(cafile=str(ca_file))
    conn = http.client.HTTPSConnection(SCAN_HOST, 443, context=context, timeout=10)
    try:
        conn.request("GET", path, headers={"Accept": "text/html,*/*"})
        response = conn.getresponse()
        body = response.read()
        return {"status": response.status,
                "headers": {k.lower(): v for k, v in response.getheaders()},
                "body": body[:300].decode("utf-8", "replace")}
    finally:
        conn.close()


def measure(name: str, package: Path, ca_file: Path, cert: Path, key: Path, redis: RedisServer,
            workdir: Path) -> dict:
    process = start_target(name, cert, key, redis, workdir)
    try:
        process.wait_ready(timeout=30)
        probes = {path: fetch(path, ca_file) for path in ("/", "/api/health", "/no-such-page")}
        result = scan(package, ca_file)
        result["probes"] = probes
        return result
    finally:
        process.stop()


# --- report --------------------------------------------------------------------------------------

def modifier_text(test: dict) -> str:
    value = test.get("scoreModifier", 0)
    return f"{value:+d}" if value else "0"


def _root_note(results: dict) -> str:
    added = [n for n in results if ROOT_MARKER in results[n]["probes"]["/"]["body"]]
    own = [n for n in results if n not in added]
    note = ""
    if added:
        note += ("These apps route no `/` of their own, so `bench/observatory/targets.py` adds one: "
                 f"{', '.join(added)}.")
    if own:
        note += f" These answer `/` themselves: {', '.join(own)}."
    ref = results.get("reference")
    if ref and "reference" in added:
        missing = ref["probes"]["/no-such-page"]
        note += (f" (Without it the reference answers `/` like any unrouted path: {missing['status']}, "
                 f"`{missing['headers'].get('content-type')}`.)")
    return note.strip()


def render_readme(results: dict, table: dict, meta: dict) -> str:
    names = [n for n in TARGETS if n in results]
    best = {test: max(info["results"].values()) for test, info in table.items()}
    lines = [
        "# MDN HTTP Observatory: bare Flask, the seed's headers, the reference",
        "",
        "Generated by `bash bench/observatory/run.sh` (root: it binds 127.0.0.1:80 and :443). "
        "Do not edit by hand; re-run instead.",
        "",
        f"Measured {meta['date']} with {OBSERVATORY_PACKAGE} {meta['observatory']} "
        f"(algorithm version {meta['algorithm']}), Node.js {meta['node']}, Python {meta['python']}, "
        f"Flask {meta['flask']}, gunicorn {meta['gunicorn']}.",
        "",
        "## How",
        "",
        "Each app runs under gunicorn with `reference/gunicorn.conf.py` and TLS on 127.0.0.1:443 "
        "(a throwaway CA made at run time with openssl, trusted by the scanner through "
        "`NODE_EXTRA_CA_CERTS`); 127.0.0.1:80 answers every request with a 301 to the same path "
        "over https. The scanner's own CLI (`node src/scan.js 127.0.0.1`) then grades it exactly as "
        "the public observatory grades a site: it fetches `http://127.0.0.1/` (following redirects) "
        "and `https://127.0.0.1/`, sends a CORS preflight, and scores the response to `/`.",
        "",
        "The observatory grades only `/`, and refuses to grade a 404 (\"Site did respond with an "
        "unexpected HTTP status code 404\"). "
        + _root_note(results)
        + " The added view is the same one-line JSON view for each app, registered on the app object "
        "after its factory has run, so its response passes through every hook and WSGI layer of "
        "the app like any other route; the last table shows that the reference sends the same "
        "security headers on `/`, on `/api/health` and on a 404.",
        "",
        "The seed runs as `examples/seed_app` wires it, except that its hard-coded "
        "`redis://localhost:6379/0` is pointed at the benchmark's throwaway Redis.",
        "",
        "## Scores",
        "",
        "| App | Grade | Score | Tests passed |",
        "| --- | --- | --- | --- |",
    ]
    for name in names:
        s = results[name]["scan"]
        lines.append(f"| {TARGETS[name]} | **{s['grade']}** | **{s['score']}** | "
                     f"{s['testsPassed']}/{s['testsQuantity']} |")
    top = 100 + sum(best.values())
    lines += [
        "",
        f"The scale starts at 100 and tops out at {top} (100 plus the best modifier of every test; "
        "bonuses count only once the penalties leave at least 90).",
        "",
        "## Each test",
        "",
        "Result and score modifier; the last column is the best modifier the test can give.",
        "",
        "| Test | " + " | ".join(name for name in names) + " | best |",
        "| --- | " + " | ".join("---" for _ in names) + " | --- |",
    ]
    for test, info in table.items():
        cells = []
        for name in names:
            t = results[name]["tests"][test]
            mark = "pass" if t.get("pass") else "FAIL"
            cells.append(f"`{t['result']}` {modifier_text(t)} ({mark})")
        lines.append(f"| {info['title']} | " + " | ".join(cells) + f" | {best[test]:+d} |")

    ref = results.get("reference")
    if ref:
        lines += ["", "## Points the reference does not get, and why", ""]
        missing = []
        for test, info in table.items():
            got = ref["tests"][test].get("scoreModifier", 0)
            if got < best[test]:
                missing.append((test, info["title"], best[test] - got))
        if not missing:
            lines.append("None: the reference gets the best modifier of every test.")
        for test, title, points in missing:
            reason = OUT_OF_REACH.get(test, "**Reachable: the reference should be fixed.**")
            lines.append(f"- **{title}** ({points} points): {reason}")
        lines += ["", f"So {top - sum(p for _, _, p in missing)} is the reference's ceiling here"
                  + (" and it reaches it." if all(t in OUT_OF_REACH for t, _, _ in missing) else ".")]

    lines += ["", "## Headers on `/`", "", "| Header | " + " | ".join(names) + " |",
              "| --- | " + " | ".join("---" for _ in names) + " |"]
    for header in HEADERS_SHOWN:
        cells = [results[n]["probes"]["/"]["headers"].get(header) for n in names]
        if any(cells):
            lines.append(f"| `{header}` | " + " | ".join(f"`{c}`" if c else "—" for c in cells) + " |")

    if ref:
        lines += ["", "## The reference: same headers on every kind of response", "",
                  "| Path | Status | Content-Type | Security headers identical to `/` |",
                  "| --- | --- | --- | --- |"]
        root = {h: ref["probes"]["/"]["headers"].get(h) for h in SECURITY_HEADERS}
        for path, probe in ref["probes"].items():
            same = {h: probe["headers"].get(h) for h in SECURITY_HEADERS} == root
            lines.append(f"| `{path}` | {probe['status']} | `{probe['headers'].get('content-type')}` | "
                         f"{'yes' if same else 'NO'} |")
    lines += ["", "Raw scanner output (plus these probes): [results.json](results.json).", ""]
    return "\n".join(lines)


def versions(package: Path) -> dict:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout
    algorithm = json.loads(subprocess.run(
        ["node", "--input-type=module", "-e",
         'const c = await import("./src/constants.js"); console.log(c.ALGORITHM_VERSION)'],
        cwd=package, capture_output=True, text=True, check=True).stdout)
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "observatory": json.loads((package / "package.json").read_text())["version"],
        "algorithm": algorithm,
        "node": node.strip(),
        "python": platform.python_version(),
        "flask": version("flask"),
        "gunicorn": version("gunicorn"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", metavar="{bare,seed,reference}",
                        help="apps to grade (default: all three)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave README/results")
    args = parser.parse_args()
    unknown = set(args.targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown app(s): {', '.join(sorted(unknown))}")
    args.targets = args.targets or list(TARGETS)

    if not shutil.which("node"):
        sys.exit("node is missing: apt-get install nodejs npm (Node.js >= 20)")
    assert_ports_free(80, 443)
    package = ensure_observatory()
    table = score_table(package)

    results: dict[str, dict] = {}
    workdir = Path(tempfile.mkdtemp(prefix="observatory-bench-"))
    redis = redirects = None
    try:
        ca_file, cert, key = make_certificates(workdir)
        redis = RedisServer().start().wait_ready()
        redirects = serve_redirects()
        for name in args.targets:
            print(f"observatory: grading {name} ...", flush=True)
            results[name] = measure(name, package, ca_file, cert, key, redis, workdir)
            s = results[name]["scan"]
            print(f"observatory: {name}: {s['grade']} {s['score']} "
                  f"({s['testsPassed']}/{s['testsQuantity']} tests passed)", flush=True)
    except BaseException:
        for log in sorted(workdir.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}", file=sys.stderr)
        raise
    finally:
        if redirects is not None:
            redirects.shutdown()
            redirects.server_close()
        if redis is not None:
            redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)  # the CA key goes with it

    if not args.no_write and set(results) == set(TARGETS):
        meta = versions(package)
        (HERE / "results.json").write_text(json.dumps(
            {"meta": meta, "results": results}, indent=2, sort_keys=True) + "\n")
        (HERE / "README.md").write_text(render_readme(results, table, meta))
        print(f"observatory: wrote {HERE / 'README.md'} and results.json")
    elif not args.no_write:
        print("observatory: README.md is written only when all three apps were graded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
