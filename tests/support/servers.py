"""Real servers for tests: each on 127.0.0.1 and a free port, polled until ready, stopped by PID.

Nothing here sleeps a fixed time to wait for a server: readiness is a successful connection (and,
for Redis, a PING answered), checked in a short poll loop with a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO_ROOT / "reference"


def free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1 (closed again, so the server can bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float = 20.0, interval: float = 0.02, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; raise with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
            if result:
                return result
        except Exception as exc:  # the server is not up yet: keep polling
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what} (last error: {last_error!r})")


def port_accepts(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True


@dataclass
class ManagedProcess:
    """A child process we own; ``stop()`` signals it by PID and reaps it."""

    argv: list[str]
    port: int
    env: dict[str, str] | None = None
    cwd: str | None = None
    log_path: Path | None = None
    proc: subprocess.Popen | None = field(default=None, init=False)

    def start(self) -> ManagedProcess:
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix="server-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        with open(self.log_path, "wb") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=self.cwd,
                start_new_session=True,  # its own process group, so stop() also reaches forked workers
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def wait_ready(self, timeout: float = 20.0) -> ManagedProcess:
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited with {self.proc.returncode}:\n{self.output()}")
            return port_accepts(self.port)

        try:
            wait_until(ready, timeout=timeout, what=f"{self.argv[0]} on port {self.port}")
        except (TimeoutError, RuntimeError):
            self.stop()
            raise
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=timeout)


def redis_server_binary() -> str:
    path = shutil.which("redis-server")
    if not path:
        raise RuntimeError(
            "redis-server is not installed: run `bash dev/setup.sh` (it installs it with apt-get as root)"
        )
    return path


class RedisServer(ManagedProcess):
    """A throwaway redis-server: no persistence, no protected-mode surprises, loopback only."""

    def __init__(self, port: int | None = None):
        port = port or free_port()
        super().__init__(
            argv=[
                redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes",
                "--dir", tempfile.gettempdir(), "--daemonize", "no", "--loglevel", "warning",
            ],
            port=port,
        )

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def wait_ready(self, timeout: float = 20.0) -> RedisServer:
        super().wait_ready(timeout)
        wait_until(lambda: self.ping(), timeout=timeout, what="redis PING")
        return self

    def ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")

    def command(self, *args: str) -> bytes:
        """Send one RESP command over a raw socket (keeps the helper free of client-library state)."""
        payload = f"*{len(args)}\r\n".encode() + b"".join(
            f"${len(a.encode())}\r\n{a}\r\n".encode() for a in args
        )
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(payload)
            return s.recv(65536)


def gunicorn_argv(app_spec: str, port: int, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "--config", str(REFERENCE_DIR / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}", *extra, app_spec,
    ]


def reference_env(**overrides: str) -> dict[str, str]:
    """Environment for a reference-app server process: production settings that pass validation."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RATELIMIT_", "CORS_", "TRUSTED_"))}
    env.update(
        FLASK_CONFIG="production",
        SECRET_KEY="test-secret-key-not-for-production-use-0123456789",
        CORS_ORIGINS="https://app.example.com",
        PYTHONPATH=str(REFERENCE_DIR),
    )
    env.update(overrides)
    return env


def nginx_binary() -> str | None:
    """nginx from PATH or Debian's /usr/sbin (not on a non-root PATH); None if not installed."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


NGINX_CONF = """\
worker_processes 1;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/client_body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    {http_extra}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_max_temp_file_size 0;
            {location_extra}
        }}
    }}
}}
"""


class NginxServer(ManagedProcess):
    """A throwaway nginx reverse proxy in front of 127.0.0.1:``upstream``: its own prefix directory,
    generated config, error log and pid file there, in the foreground (``daemon off``)."""

    def __init__(self, directory: Path, upstream: int, http_extra: str = "", location_extra: str = ""):
        binary = nginx_binary()
        if binary is None:
            raise RuntimeError("nginx is not installed: run `bash dev/setup.sh nginx` (apt-get, as root)")
        port = free_port()
        directory.mkdir(parents=True, exist_ok=True)
        conf = directory / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                dir=directory, port=port, upstream=upstream, http_extra=http_extra, location_extra=location_extra
            )
        )
        super().__init__(
            argv=[binary, "-p", str(directory), "-c", str(conf), "-g", f"daemon off; pid {directory}/nginx.pid;"],
            port=port,
            log_path=directory / "stderr.log",
        )
