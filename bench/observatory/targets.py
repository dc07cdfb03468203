"""The three apps the observatory grades, as gunicorn targets: ``targets:bare()``, ``targets:seed()``,
``targets:reference()``. Each runs in its own gunicorn process, with PYTHONPATH pointing at the
one ``app`` package it needs (the seed and the reference are both called ``app``).

The observatory grades only ``/`` and refuses to grade a 404 ("unexpected HTTP status code"), and
none of the three apps routes ``/``. So each gets the same one-line JSON view at ``/``, added to the
app object after its factory has run: the response passes through exactly the hooks and WSGI layers
every other route of that app passes through, so the headers graded are the app's own.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify
from werkzeug.exceptions import MethodNotAllowed, NotFound

ROOT_ENDPOINT = "observatory_root"


def _with_root(app: Flask) -> Flask:
    adapter = app.url_map.bind("localhost")
    try:
        adapter.match("/", "GET")
    except (NotFound, MethodNotAllowed):
        # run.py reads "added_by" to tell the README whether the app had a `/` of its own.
        app.add_url_rule("/", ROOT_ENDPOINT, lambda: jsonify(status="ok", added_by=ROOT_ENDPOINT))
    return app


def bare() -> Flask:
    """Flask with nothing added: the score a JSON API starts from."""
    return _with_root(Flask("bare"))


def seed() -> Flask:
    """examples/seed_app exactly as the seed advice wires it."""
    from app import create_app  # examples/seed_app (PYTHONPATH)
    from app.extensions import limiter

    # The seed hard-codes storage_uri="redis://localhost:6379/0" in its Limiter(...), which wins
    # over app config; point it at the benchmark's throwaway Redis instead of a fixed port.
    limiter._storage_uri = os.environ["BENCH_REDIS_URL"]
    return _with_root(create_app("production"))


def reference() -> Flask:
    """reference/app with FLASK_CONFIG=production and its environment (see run.py)."""
    from app import create_app  # reference (PYTHONPATH)

    return _with_root(create_app())
