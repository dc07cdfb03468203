"""Servers that misbehave: each gives exit 2 and one line on stderr (or, after a first good answer,
findings plus notes), never a traceback. Real sockets on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.support.servers import free_port

from .rawservers import RawServer, Recorder, answer_once_then_hang, garbage, hang, reset, trickle
from .util import codes, live, one_error_line, run


def test_a_server_that_hangs_times_out_with_exit_2():
    with RawServer(hang) as server:
        proc = run("--url", f"http://127.0.0.1:{server.port}/", "--timeout", "0.5")
    assert proc.returncode == 2 and proc.stdout == ""
    assert one_error_line(proc.stderr) == (
        f"validate.py: error: GET http://127.0.0.1:{server.port}/: no complete answer within 0.5s (--timeout)"
    )


def test_a_server_trickling_bytes_is_cut_off_by_the_timeout():
    """Every read returns within the socket timeout; the per-request timeout still ends the exchange."""
    with RawServer(trickle) as server:
        proc = run("--url", f"http://127.0.0.1:{server.port}/", "--timeout", "0.5")
    assert proc.returncode == 2
    assert one_error_line(proc.stderr).endswith("no complete answer within 0.5s (--timeout)")


def test_the_overall_deadline_bounds_a_hanging_server():
    with RawServer(hang) as server:
        proc = run("--url", f"http://127.0.0.1:{server.port}/", "--timeout", "30", "--deadline", "0.5")
    assert proc.returncode == 2
    assert one_error_line(proc.stderr).endswith("no complete answer before the overall deadline of 0.5s (--deadline)")


def test_a_server_that_resets_the_connection_gives_exit_2():
    with RawServer(reset) as server:
        proc = run("--url", f"http://127.0.0.1:{server.port}/api/health")
    assert proc.returncode == 2
    assert one_error_line(proc.stderr) == (
        f"validate.py: error: GET http://127.0.0.1:{server.port}/api/health: "
        "the server closed or reset the connection without an answer"
    )


def test_a_server_that_answers_garbage_gives_exit_2():
    with RawServer(garbage) as server:
        proc = run("--url", f"http://127.0.0.1:{server.port}/")
    assert proc.returncode == 2
    line = one_error_line(proc.stderr)
    assert line.startswith(f"validate.py: error: GET http://127.0.0.1:{server.port}/: the answer is not valid HTTP (")


def test_nothing_listening_gives_exit_2():
    port = free_port()
    proc = run("--url", f"http://127.0.0.1:{port}/")
    assert proc.returncode == 2
    assert one_error_line(proc.stderr) == (
        f"validate.py: error: GET http://127.0.0.1:{port}/: connection refused (is the server running there?)"
    )


def test_tls_to_a_plain_http_server_gives_exit_2():
    with RawServer(garbage) as server:
        proc = run("--url", f"https://127.0.0.1:{server.port}/")
    assert proc.returncode == 2
    assert "TLS handshake failed" in one_error_line(proc.stderr)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://127.0.0.1/", "only http:// and https:// URLs can be audited"),
        ("http:///path", "no host"),
        ("http://127.0.0.1:99999/", "Port out of range 0-65535"),
        ("127.0.0.1:8000", "only http:// and https:// URLs can be audited"),
        ("http://127.0.0.1/a b", "spaces, control or non-ASCII characters"),
    ],
)
def test_a_bad_url_gives_exit_2(url, why):
    proc = run("--url", url)
    assert proc.returncode == 2
    line = one_error_line(proc.stderr)
    assert line.startswith(f"validate.py: error: bad URL {url!r}: ") and why in line


def test_a_server_that_hangs_after_its_first_answer_gives_findings_and_notes():
    with RawServer(answer_once_then_hang()) as server:
        code, data, _ = live(
            "--url", f"http://127.0.0.1:{server.port}/", "--timeout", "0.3", "--deadline", "1", "--fail-on", "info"
        )
        connections = server.connections
    assert code == 1
    assert codes(data) == {"HDR001", "LOG001"}  # judged on the one answer it gave
    notes = " | ".join(data["notes"])
    assert "no complete answer within 0.3s (--timeout)" in notes
    assert "(--deadline) passed" in notes
    assert connections <= 20


def test_one_unreachable_url_of_several_keeps_the_others_findings():
    down = free_port()
    with Recorder({"GET /": (200, [("Content-Type", "text/html")], b"<p>ok</p>")}) as site:
        ok = f"http://127.0.0.1:{site.port}/"
        code, data, stderr = live("--url", ok, "--url", f"http://127.0.0.1:{down}/", "--fail-on", "info")
    assert code == 2  # one host could not be audited
    assert data["urls"] == [ok] and {f["path"] for f in data["findings"]} == {ok}
    assert "HDR001" in codes(data)
    assert data["failed"] == [f"GET http://127.0.0.1:{down}/: connection refused (is the server running there?)"]
    assert f"validate.py: error: GET http://127.0.0.1:{down}/: connection refused" in stderr
