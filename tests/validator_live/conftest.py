"""Real stacks for the live audit: the seed and the reference under gunicorn, nginx in front, a TLS
gunicorn with a certificate made in the test, all on 127.0.0.1 random ports, stopped by PID."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.servers import (
    REPO_ROOT,
    ManagedProcess,
    NginxServer,
    free_port,
    gunicorn_argv,
    nginx_binary,
    reference_env,
)

SEED_DIR = REPO_ROOT / "examples" / "seed_app"
ALLOWED_ORIGIN = "https://app.example.com"  # the seed's default list and reference_env() both allow it

# The seed's create_app as written, served as the seed serves it (plain gunicorn, no config file).
# Two additions, both outside the seed's code: its limiter hard-codes redis://localhost:6379, which
# is pointed at the test's own Redis; and one ordinary API route (the "Extensions and blueprints ..."
# of the seed's create_app), because the seed's two auth routes carry their own @limiter.limit, which
# Flask-Limiter does not apply to OPTIONS: only a route under the default limits shows preflights
# refused with 429.
SEED_WSGI = '''
import os

from flask import jsonify

from app.extensions import limiter

limiter._storage_uri = os.environ["SEED_REDIS_URL"]

from app import create_app  # noqa: E402

app = create_app("production")


@app.get("/api/items")
def items():
    return jsonify(items=[])
'''


def _started(server: ManagedProcess, started: list) -> ManagedProcess:
    started.append(server)
    server.start()
    server.wait_ready()
    return server


@pytest.fixture
def servers():
    """Collects what a test starts and stops each by PID afterwards, last started first."""
    started: list[ManagedProcess] = []
    yield started
    for server in reversed(started):
        server.stop()


@pytest.fixture
def seed_server(tmp_path, redis_server, servers):
    (tmp_path / "seed_wsgi.py").write_text(SEED_WSGI)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(tmp_path), SEED_REDIS_URL=redis_server.url)
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
            "--no-control-socket", "seed_wsgi:app"]
    return _started(ManagedProcess(argv=argv, port=port, env=env, cwd=str(SEED_DIR)), servers)


@pytest.fixture
def reference_server(redis_server, servers):
    """Factory: the reference under gunicorn with reference/gunicorn.conf.py (extra gunicorn args, env)."""

    def start(*extra: str, **env: str) -> ManagedProcess:
        port = free_port()
        argv = gunicorn_argv("app:create_app('production')", port, "--workers", "1", *extra)
        environment = reference_env(RATELIMIT_STORAGE_URI=redis_server.url, **env)
        return _started(ManagedProcess(argv=argv, port=port, env=environment), servers)

    return start


@pytest.fixture
def nginx(tmp_path, servers):
    """Factory: nginx in front of an upstream port, with extra http/location directives."""
    if nginx_binary() is None:
        pytest.skip("nginx is not installed and could not be: `bash dev/setup.sh nginx` needs root and apt-get")
    count = [0]

    def start(upstream: int, http_extra: str = "", location_extra: str = "") -> ManagedProcess:
        count[0] += 1
        return _started(NginxServer(tmp_path / f"nginx{count[0]}", upstream, http_extra, location_extra), servers)

    return start


@pytest.fixture
def self_signed_cert(tmp_path):
    """A certificate for 127.0.0.1 (and its key), made here with the openssl command line."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key
