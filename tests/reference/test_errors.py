"""API errors are JSON (a frontend parsing JSON must not get Flask's HTML error page)."""

import pytest


@pytest.mark.parametrize(("method", "path", "status", "error"), [
    ("GET", "/api/nope", 404, "not_found"),
    ("GET", "/api/auth/login", 405, "method_not_allowed"),
    ("GET", "/api/forbidden", 403, "forbidden"),
    ("GET", "/api/boom", 500, "internal_server_error"),
])
def test_errors_are_json(production_like, method, path, status, error):
    response = production_like.open(path, method=method)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.json["error"] == error and response.json["message"]
    assert "kaboom" not in response.get_data(as_text=True)  # no exception detail leaks


def test_405_keeps_its_allow_header(production_like):
    response = production_like.get("/api/auth/login")
    assert set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}


def test_redirects_stay_redirects(production_like):
    response = production_like.get("/api/slash")
    assert response.status_code == 308 and response.headers["Location"].endswith("/api/slash/")
