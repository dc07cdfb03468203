"""Behaviour 8: exactly one JSON line per request (normal, early abort, 429, unhandled exception
with TESTING on, streamed body), request_id on every record, and no secrets in the log."""

import logging
import time

import pytest
from flask import Response, stream_with_context

from tests.reference.conftest import BAD_LOGIN, LOGIN, request_lines

FIELDS = {"request_id", "method", "path", "status", "duration_ms", "remote_addr"}


def test_one_line_with_every_field(client, logs):
    response = client.get("/api/health?token=abc", environ_base={"REMOTE_ADDR": "198.51.100.4"})
    [line] = request_lines(logs())
    assert FIELDS <= line.keys()
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/health", 200)
    assert line["remote_addr"] == "198.51.100.4"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["message"] == "request completed"


def test_early_abort_from_a_before_request_registered_first(app, logs):
    """An auth check that returns 401 before any other hook: the seed's after_request logger
    crashed here (g.start_time missing) and turned the 401 into a 500."""
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: ({"error": "unauthorized"}, 401))
    response = app.test_client().get("/api/health")
    assert response.status_code == 401
    assert response.headers["X-Request-ID"]
    [line] = request_lines(logs())
    assert line["status"] == 401 and line["request_id"] == response.headers["X-Request-ID"]


def test_rate_limited_request_is_logged(client, logs):
    for _ in range(10):
        client.post(LOGIN, json=BAD_LOGIN)
    logs()
    response = client.post(LOGIN, json=BAD_LOGIN)
    [line] = request_lines(logs())
    assert response.status_code == 429 and line["status"] == 429


def test_unhandled_exception_is_logged_with_testing_on(app, logs):
    assert app.testing

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("kaboom")

    with pytest.raises(RuntimeError):
        app.test_client().get("/api/boom")
    [line] = request_lines(logs())
    assert line["status"] == 500 and line["level"] == "ERROR"
    assert "RuntimeError: kaboom" in line["exc_info"]


def test_unhandled_exception_in_production_mode(app, logs):
    app.config["TESTING"] = False

    @app.get("/api/boom")
    def boom():
        raise RuntimeError("kaboom")

    response = app.test_client().get("/api/boom")
    records = logs()
    [line] = request_lines(records)
    assert response.status_code == 500 and line["status"] == 500
    flask_error = [r for r in records if r["message"].startswith("Exception on /api/boom")]
    assert flask_error and flask_error[0]["request_id"] == response.headers["X-Request-ID"]


def test_streamed_body_duration_covers_the_body(app, logs):
    pause = 0.2

    @app.get("/api/stream")
    def stream():
        def chunks():
            yield "first\n"
            time.sleep(pause)  # the app is slow to produce the rest of the body
            yield "second\n"
        return Response(stream_with_context(chunks()), mimetype="text/plain")

    response = app.test_client().get("/api/stream", buffered=False)
    assert request_lines(logs()) == []  # not logged before the body is sent
    assert response.get_data() == b"first\nsecond\n"
    response.close()
    [line] = request_lines(logs())
    assert line["status"] == 200 and line["duration_ms"] >= pause * 1000


def test_every_record_during_a_request_carries_the_request_id(app, logs):
    @app.get("/api/work")
    def work():
        logging.getLogger("myapp.orders").warning("order %s looked odd", 42)
        return {"ok": True}

    response = app.test_client().get("/api/work")
    records = logs()
    [view_record] = [r for r in records if r["logger"] == "myapp.orders"]
    assert view_record["request_id"] == response.headers["X-Request-ID"]
    assert view_record["message"] == "order 42 looked odd"
    logging.getLogger("myapp.orders").warning("outside any request")
    [outside] = logs()
    assert "request_id" not in outside


def test_secrets_never_reach_the_log(app, logs):
    app.config["TESTING"] = False

    @app.post("/api/boom")
    def boom():
        raise RuntimeError("kaboom")

    secret_headers = {"Authorization": "Bearer auth-header-secret", "Cookie": "session=cookie-secret"}
    client = app.test_client()
    client.post(LOGIN + "?token=query-secret", json={"email": "a@example.com", "password": "pw-secret-1"},
                headers=secret_headers)
    client.post("/api/boom?api_key=query-secret", data="password=pw-secret-1", headers=secret_headers)
    for _ in range(10):
        client.post(LOGIN + "?token=query-secret", json={"email": "a@example.com", "password": "pw-secret-1"})
    text = repr(logs())
    for secret in ("auth-header-secret", "cookie-secret", "query-secret", "pw-secret-1", "token="):
        assert secret not in text


def test_log_lines_are_single_json_lines_even_for_hostile_paths(client, capsys):
    capsys.readouterr()
    client.get("/api/%0Afake%1B%C2%85line")
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line]
    assert len(lines) == 1 and "\x1b" not in err and "\x85" not in err


def test_body_closed_from_another_thread(app, logs):
    """Thread-pool adapters (WSGI under ASGI) may close the body in another thread: the line is
    still written once and nothing raises."""
    import threading

    statuses = []
    body = app.wsgi_app(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/api/health", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
         "wsgi.url_scheme": "http", "wsgi.input": __import__("io").BytesIO(), "REMOTE_ADDR": "192.0.2.7"},
        lambda status, headers, exc_info=None: statuses.append(status),
    )
    b"".join(body)
    errors = []
    closer = threading.Thread(target=lambda: _close(body, errors))
    closer.start()
    closer.join()
    assert errors == [] and statuses == ["200 OK"]
    [line] = request_lines(logs())
    assert line["status"] == 200 and line["remote_addr"] == "192.0.2.7"
    from app.middleware.request_id import current_request_id

    assert current_request_id.get() is None  # nothing leaked into this thread's later records


def test_an_explicit_request_id_in_extra_is_kept(app, logs):
    """Apps often log extra={"request_id": ...} themselves: that must neither raise (a LogRecord
    factory setting the attribute first makes makeRecord raise KeyError) nor be overwritten."""

    @app.get("/api/own-id")
    def own_id():
        logging.getLogger("myapp").warning("explicit", extra={"request_id": "mine-123"})
        return {"ok": True}

    response = app.test_client().get("/api/own-id")
    assert response.status_code == 200
    [record] = [r for r in logs() if r["logger"] == "myapp"]
    assert record["request_id"] == "mine-123"


def test_records_from_a_streamed_body_carry_the_request_id(app, logs):
    @app.get("/api/stream-logs")
    def stream_logs():
        def chunks():
            yield "a"
            logging.getLogger("myapp.stream").warning("while streaming")
            yield "b"
        return Response(chunks(), mimetype="text/plain")

    response = app.test_client().get("/api/stream-logs")
    [record] = [r for r in logs() if r["logger"] == "myapp.stream"]
    assert record["request_id"] == response.headers["X-Request-ID"]


def _close(body, errors):
    try:
        body.close()
    except Exception as exc:
        errors.append(exc)


def test_timestamp_is_exactly_what_datetime_would_write():
    """JsonFormatter formats the date and time once per second; the result must match
    datetime.fromtimestamp(created, utc).isoformat(timespec="milliseconds") to the character,
    including microsecond rounding up to the next second."""
    import random
    from datetime import datetime, timezone

    from app.middleware.logging import JsonFormatter

    formatter = JsonFormatter()
    rng = random.Random(13)
    stamps = [1_700_000_000 + rng.random() * 86_400 * 400 for _ in range(3000)]
    stamps += [1_700_000_000.9999996, 1_700_000_000.9999994, 1_700_000_001.0005, 1_700_000_000.123,
               1_700_000_059.999, 1_700_000_060.0]
    for created in sorted(stamps):  # sorted: consecutive records share the cached second
        record = logging.makeLogRecord({"created": created, "msg": "x"})
        expected = datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds")
        assert __import__("json").loads(formatter.format(record))["ts"] == expected, created
