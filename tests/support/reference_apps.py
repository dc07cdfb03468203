"""Reference apps with one extra route, for gunicorn tests (``app_spec`` in the gunicorn_server
fixture): ``tests.support.reference_apps:with_plain_route()``.

The reference API has no route that carries only the default limit (health is exempt, the auth
routes have their own limits); a user's app has many. ``GET /api/plain`` is one.
"""

from __future__ import annotations

import os


def with_plain_route():
    from flask import jsonify

    from app import create_app  # reference/app (PYTHONPATH)

    app = create_app(os.environ.get("FLASK_CONFIG", "production"))
    app.add_url_rule("/api/plain", "plain", lambda: jsonify(ok=True))
    return app
