"""Each fault of the seed advice, demonstrated on the seed's own code (examples/seed_app) or its
exact configuration. The reference's fix for each is asserted in the test module named alongside."""

import importlib.util
import logging
import time

import pytest
from flask import Flask, Response
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from tests.support.servers import REPO_ROOT, free_port

SEED = REPO_ROOT / "examples" / "seed_app" / "app" / "middleware"


def seed_module(name: str):
    spec = importlib.util.spec_from_file_location(f"seed_{name}", SEED / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed_logged_app() -> Flask:
    app = Flask("seed")
    app.config["TESTING"] = True
    seed_module("logging").configure_request_logging(app)
    app.add_url_rule("/api/health", "health", lambda: {"status": "ok"})
    return app


def test_seed_logging_turns_an_early_abort_into_a_500():
    """Fixed in test_logging.py::test_early_abort_from_a_before_request_registered_first."""
    app = seed_logged_app()
    app.config["TESTING"] = False
    app.before_request_funcs[None].insert(0, lambda: ({"error": "unauthorized"}, 401))
    response = app.test_client().get("/api/health")
    assert response.status_code == 500  # after_request read g.start_time, which was never set
    assert "X-Request-ID" not in response.headers


def test_seed_logging_logs_nothing_when_an_exception_propagates(caplog):
    """Fixed in test_logging.py::test_unhandled_exception_is_logged_with_testing_on."""
    app = seed_logged_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    with caplog.at_level(logging.INFO), pytest.raises(RuntimeError):
        app.test_client().get("/boom")
    assert [r for r in caplog.records if r.getMessage() == "request_completed"] == []


def test_seed_logging_times_a_streamed_body_as_almost_nothing(caplog):
    """Fixed in test_logging.py::test_streamed_body_duration_covers_the_body."""
    app = seed_logged_app()

    @app.get("/stream")
    def stream():
        def chunks():
            yield "a"
            time.sleep(0.2)
            yield "b"
        return Response(chunks())

    with caplog.at_level(logging.INFO):
        app.test_client().get("/stream", buffered=True)
    [record] = [r for r in caplog.records if r.getMessage() == "request_completed"]
    assert record.duration_ms < 200


def test_default_formatter_drops_extra_fields(caplog):
    """Fixed by middleware/logging.py's JsonFormatter (every record in test_logging.py is JSON)."""
    with caplog.at_level(logging.INFO):
        seed_logged_app().test_client().get("/api/health")
    [record] = [r for r in caplog.records if r.getMessage() == "request_completed"]
    formatted = logging.Formatter(logging.BASIC_FORMAT).format(record)
    assert record.request_id not in formatted and "duration_ms" not in formatted


def test_seed_trusts_an_empty_client_request_id():
    """Fixed in test_request_id.py::test_malformed_client_ids_are_replaced."""
    response = seed_logged_app().test_client().get("/api/health", headers={"X-Request-ID": ""})
    assert response.headers["X-Request-ID"] == ""
    hostile = seed_logged_app().test_client().get("/api/health", headers={"X-Request-ID": "a" * 5000})
    assert hostile.headers["X-Request-ID"] == "a" * 5000


def seed_limited_app(storage_uri: str = "memory://") -> Flask:
    """The seed's limiter and CORS configuration, exactly as its SKILL.md shows them."""
    app = Flask("seed")
    limiter = Limiter(key_func=get_remote_address, default_limits=["200 per hour", "50 per minute"],
                      storage_uri=storage_uri)
    limiter.init_app(app)
    CORS(app, resources={r"/api/*": {"origins": ["https://app.example.com"], "supports_credentials": True,
                                     "expose_headers": ["X-Request-ID"], "max_age": 600}})
    app.add_url_rule("/api/items", "items", lambda: {"items": []}, methods=["GET", "POST"])
    return app


def test_seed_preflights_spend_the_limit_then_get_429():
    """Fixed in test_rate_limiting.py::test_preflights_never_spend_or_hit_a_limit."""
    client = seed_limited_app().test_client()
    preflight = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"}
    statuses = [client.options("/api/items", headers=preflight).status_code for _ in range(51)]
    assert statuses[:50] == [200] * 50 and statuses[50] == 429


def test_seed_429_is_html_without_retry_after_and_unreadable_cross_origin():
    """Fixed in test_rate_limiting.py::test_429_is_json_readable_cross_origin_with_every_header..."""
    client = seed_limited_app().test_client()
    for _ in range(50):
        client.get("/api/items")
    response = client.get("/api/items", headers={"Origin": "https://app.example.com"})
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Retry-After" not in response.headers
    assert "Retry-After" not in response.headers.get("Access-Control-Expose-Headers", "")


def test_seed_answers_500_everywhere_when_redis_is_unreachable():
    """Fixed in test_redis_outage.py::test_redis_stopped_mid_test_then_back."""
    app = seed_limited_app(storage_uri=f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    assert app.test_client().get("/api/items").status_code == 500
