"""Live checks judged on recorded exchanges directly, for cases a recording server cannot stage."""

from __future__ import annotations

from types import SimpleNamespace

from tests.validator import util  # noqa: F401  (puts scripts/ on sys.path)
from validator.live.rules import request_id_returned


def exchange(kind: str, status: int, path: str, headers=()):
    names = {h.lower() for h in headers}
    resp = SimpleNamespace(status=status, method="GET", path=path, names=lambda: names,
                           label=lambda: f"GET {path} ({status}, application/json)")
    return SimpleNamespace(kind=kind, resp=resp)


def test_log001_does_not_count_a_hostile_id_the_server_refused():
    # gunicorn answers a request ID holding a line break with its own 400, before the app: that
    # response says nothing about the app's request IDs, and "12 of 13" would read as if one had one.
    probe = SimpleNamespace(exchanges=[
        exchange("page", 200, "/"), exchange("api", 200, "/api/health"), exchange("rid:a line break", 400, "/api"),
    ])
    assert list(request_id_returned(probe)) == [("LOG001", "none of the 2 responses carries X-Request-ID")]
    probe.exchanges.append(exchange("rid:1,000 characters", 200, "/api/health", ["X-Request-ID"]))
    assert list(request_id_returned(probe)) == [
        ("LOG001", "2 of 3 responses carry no X-Request-ID, e.g. GET / (200, application/json), "
                   "GET /api/health (200, application/json)")
    ]
