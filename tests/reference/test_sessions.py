"""sessions.py: Flask's signed-cookie sessions behave exactly as with Flask's own interface (set,
read, Vary: Cookie, clear, key rotation) while an unused session costs nothing to save."""

import pytest
from flask import session


@pytest.fixture
def session_app(app):
    @app.post("/api/session")
    def write():
        session["user"] = "ada"
        return {"ok": True}

    @app.get("/api/session")
    def read():
        return {"user": session.get("user")}

    @app.delete("/api/session")
    def clear():
        session.clear()
        return {"ok": True}

    return app


def test_a_route_that_never_touches_the_session_sends_no_cookie_and_no_vary(client):
    response = client.get("/api/health")
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_session_written_read_and_cleared(session_app):
    client = session_app.test_client()
    unread = client.get("/api/session")  # read while empty: nothing to save, but the answer depends on it
    assert unread.get_json() == {"user": None} and "Set-Cookie" not in unread.headers
    assert "Cookie" in unread.headers["Vary"]
    written = client.post("/api/session")
    assert written.headers["Set-Cookie"].startswith("session=")
    assert "HttpOnly" in written.headers["Set-Cookie"]
    read = client.get("/api/session")
    assert read.get_json() == {"user": "ada"}
    assert "Cookie" in read.headers["Vary"]  # the response depends on the cookie
    cleared = client.delete("/api/session")
    assert "Expires=Thu, 01 Jan 1970" in cleared.headers["Set-Cookie"]
    assert client.get("/api/session").get_json() == {"user": None}


def test_rotated_secret_key_is_honoured(session_app):
    client = session_app.test_client()
    client.post("/api/session")
    old_key = session_app.secret_key
    session_app.secret_key = "rotated-" + old_key  # the cached serializer must not keep the old key
    assert client.get("/api/session").get_json() == {"user": None}
    session_app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    client.post("/api/session")  # signed with the new key now
    session_app.secret_key = "rotated-again-" + old_key
    session_app.config["SECRET_KEY_FALLBACKS"] = ["rotated-" + old_key]
    assert client.get("/api/session").get_json() == {"user": "ada"}  # accepted through the fallback
