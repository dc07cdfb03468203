"""Fixtures for the reference app: in-process apps, JSON log capture, and real gunicorn servers."""

from __future__ import annotations

import json

import pytest
from flask import abort
from flask.testing import FlaskClient

from tests.support.servers import ManagedProcess, free_port, gunicorn_argv, reference_env

ALLOWED_ORIGIN = "https://app.example.com"  # TestingConfig's and reference_env()'s origin
LOGIN = "/api/auth/login"
BAD_LOGIN = {"email": "attacker@example.com", "password": "guess"}


class ServerLikeClient(FlaskClient):
    """Buffers and closes every response, as a real WSGI server closes the body iterator.
    (Werkzeug's client leaves an unbuffered response open, so nothing "after the body" runs.)"""

    def open(self, *args, buffered=True, **kwargs):
        return super().open(*args, buffered=buffered, **kwargs)


@pytest.fixture
def app():
    from app import create_app

    app = create_app("testing")
    app.test_client_class = ServerLikeClient
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def production_like(app):
    """The testing app with TESTING off (an exception becomes a 500 response, as in production)
    and a few routes that fail on purpose."""
    app.config["TESTING"] = False

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("kaboom")

    @app.get("/api/forbidden")
    def forbidden():
        abort(403)

    @app.get("/api/slash/")
    def slash():
        return {"ok": True}

    return app.test_client()


def parse_log_lines(text: str) -> list[dict]:
    """Every JSON log record in ``text`` (non-JSON lines, e.g. gunicorn's own, are skipped)."""
    records = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return records


def request_lines(records: list[dict]) -> list[dict]:
    return [r for r in records if r.get("logger") == "request"]


@pytest.fixture
def logs(capsys):
    """Call to get the JSON records the app wrote to stderr since the last call."""

    def read() -> list[dict]:
        return parse_log_lines(capsys.readouterr().err)

    read()  # drop anything from set-up
    return read


@pytest.fixture
def gunicorn_server():
    """Factory: ``gunicorn_server(workers=3, app_spec=None, **env)`` starts the reference under
    gunicorn with reference/gunicorn.conf.py on a random port, stopped by PID at teardown."""
    started: list[ManagedProcess] = []

    def start(workers: int = 1, app_spec: str | None = None, **env: str) -> ManagedProcess:
        port = free_port()
        extra = ["--workers", str(workers)]
        argv = gunicorn_argv(app_spec or "app:create_app('production')", port, *extra)
        server = ManagedProcess(argv=argv, port=port, env=reference_env(**env)).start()
        started.append(server)
        return server.wait_ready()

    yield start
    for server in started:
        server.stop()
