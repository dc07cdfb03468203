"""Behaviour 7: a client X-Request-ID is kept only when strict; otherwise a fresh one; every
response carries one; a valid W3C traceparent is honoured (its trace_id logged), parsed strictly."""

import re
import sys

import pytest

from tests.reference.conftest import parse_log_lines, request_lines
from tests.support.http import request
from tests.support.servers import REFERENCE_DIR, ManagedProcess, free_port, reference_env

FRESH_ID = re.compile(r"[0-9a-f]{32}")
VALID_TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.mark.parametrize("client_id", [
    "abc", "0b7c7c4e-8d5e-4e6b-9a51-2f7b1c1f6a2d", "01HZX3YV6Q2W8K4R5T7M9N0P1S", "svc.req_42-x", "a" * 128,
])
def test_well_formed_client_ids_are_kept(client, client_id):
    assert client.get("/api/health", headers={"X-Request-ID": client_id}).headers["X-Request-ID"] == client_id


@pytest.mark.parametrize("client_id", [
    "", " ", "a" * 129, "has space", "semi;colon", "\x1b[31mred\x1b[0m", "line\x85break", "ünïcode",
    "quote\"d", "<script>",
])
def test_malformed_client_ids_are_replaced(client, client_id):
    response = client.get("/api/health", headers={"X-Request-ID": client_id})
    assert FRESH_ID.fullmatch(response.headers["X-Request-ID"])


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/health", 200), ("GET", "/nope", 404), ("GET", "/api/auth/login", 405),
    ("POST", "/api/auth/login", 400),
])
def test_every_response_carries_an_id(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert FRESH_ID.fullmatch(response.headers["X-Request-ID"])


def test_ids_are_unique(client):
    ids = {client.get("/api/health").headers["X-Request-ID"] for _ in range(50)}
    assert len(ids) == 50


@pytest.mark.parametrize(("traceparent", "trace_id"), [
    (VALID_TRACEPARENT, "4bf92f3577b34da6a3ce929d0e0e4736"),
    (VALID_TRACEPARENT.upper(), None),                                   # hex must be lowercase
    ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", None),   # all-zero trace id
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", None),   # all-zero parent id
    ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", None),   # version ff is invalid
    ("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", None),    # short trace id
    (VALID_TRACEPARENT + "-extra", None),                                # v00 has exactly 4 fields
    ("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\x1b", None),
])
def test_traceparent_is_parsed_strictly(client, logs, traceparent, trace_id):
    client.get("/api/health", headers={"traceparent": traceparent})
    [line] = request_lines(logs())
    assert line.get("trace_id") == trace_id


def test_hostile_ids_over_a_real_socket_never_reach_logs_or_responses():
    """Raw bytes the test client would refuse to send: ESC, C1 NEL (0x85), an obs-folded header,
    60 KB. The dev server as the README starts it; its stderr is the log."""
    port = free_port()
    server = ManagedProcess(
        argv=[sys.executable, "serve_dev.py"], port=port, cwd=str(REFERENCE_DIR),
        env=reference_env(FLASK_CONFIG="development", PORT=str(port)),
    ).start()
    hostile = [
        [b"X-Request-ID: \x1b[2J\x1b[31mFAKE LOG LINE"],
        [b"X-Request-ID: abc\x85def"],
        [b"X-Request-ID: abc", b" folded-continuation"],
        [b"X-Request-ID: " + b"A" * 60_000],
        [b"X-Request-ID:"],
    ]
    try:
        server.wait_ready()
        ids = []
        for lines in hostile:
            response = request(port, "GET", "/api/health", raw_header_lines=lines)
            assert response.status == 200
            ids.append(response.header("X-Request-ID"))
    finally:
        server.stop()
    assert all(FRESH_ID.fullmatch(i) for i in ids), ids
    output = server.output()
    assert "\x1b" not in output and "\x85" not in output and "AAAAAAAAAA" not in output
    logged = [r["request_id"] for r in request_lines(parse_log_lines(output))]
    assert logged == ids
