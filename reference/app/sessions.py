"""Flask's signed-cookie sessions, without the cost every request pays when no view uses them.

With a SECRET_KEY set, Flask's SecureCookieSessionInterface builds a new itsdangerous serializer
on every request (to open the session cookie) and, after the view, reads seven cookie settings
before finding there is nothing to save: about 8 us per request of a JSON API that never touches
``session`` (bench/profile.md). The serializer depends only on the keys, so it is built once per
key set; and a session nothing read, wrote or emptied needs no save. Behaviour is unchanged:
the same cookie, signature, Vary: Cookie and deletion as Flask's own interface.
"""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface


class CachedSessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._keys: tuple | None = None
        self._serializer = None

    def get_signing_serializer(self, app):
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys != self._keys:  # first request, or the app's keys changed (rotation, tests)
            self._serializer = super().get_signing_serializer(app)
            self._keys = keys
        return self._serializer

    def save_session(self, app, session, response) -> None:
        # Flask's save_session does nothing for a session that is empty, unmodified and unread.
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)
