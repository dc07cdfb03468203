"""HTTP Basic auth on every page (whoogle-search's `auth_required`): adapting.md's shared limit,
run as written there, counts failed attempts only, across every route behind the decorator; a
client that keeps guessing is refused with a readable 429, one with the password spends nothing."""

from __future__ import annotations

import base64
import functools

import pytest
from flask import Blueprint, request

from tests.reference.conftest import ServerLikeClient
from tests.skill.tools import REPO_ROOT, fenced_blocks

LIMIT = 10


def credentials(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"user:{password}".encode()).decode()}


def adapting_md_shared_limit() -> str:
    """The statement adapting.md shows (the block's first paragraph), not a copy of it."""
    text = (REPO_ROOT / "docs/skill/adapting.md").read_text(encoding="utf-8")
    [block] = [b for b in fenced_blocks(text, "python") if "deduct_when" in b]
    return block.split("\n\n", 1)[0]


def auth_required(view):
    @functools.wraps(view)
    def decorated(*args, **kwargs):
        auth = request.authorization
        if auth and auth.username == "user" and auth.password == "right":
            return view(*args, **kwargs)
        return "Not logged in", 401, {"WWW-Authenticate": 'Basic realm="Login Required"'}

    return decorated


def make_pages() -> Blueprint:
    from app.extensions import limiter

    namespace = {"limiter": limiter}
    exec(adapting_md_shared_limit(), namespace)  # the documented statement itself
    basic_auth_limit = namespace["basic_auth_limit"]
    pages = Blueprint("pages", __name__)

    @pages.route("/config", methods=["GET", "POST"])
    @basic_auth_limit
    @auth_required
    def config():
        return "<p>settings</p>"

    @pages.route("/search")
    @basic_auth_limit
    @auth_required
    def search():
        return "<p>results</p>"

    return pages


@pytest.fixture(scope="module")
def pages():
    # Once per process: Flask-Limiter keeps the limits of a decorated view by its name, so
    # decorating the same views again for a second app would add a second shared limit to them.
    return make_pages()


@pytest.fixture
def site(pages):
    from app import create_app

    app = create_app("testing")  # memory:// storage: fresh counters per app
    app.test_client_class = ServerLikeClient
    app.register_blueprint(pages)
    return app.test_client()


def test_correct_credentials_spend_nothing(site):
    good = credentials("right")
    assert {site.get("/search", headers=good).status_code for _ in range(LIMIT * 3)} == {200}


def test_failed_attempts_on_any_protected_route_share_one_limit(site):
    bad = credentials("guess")
    attempts = [site.post("/config", headers=bad).status_code for _ in range(LIMIT // 2)]
    attempts += [site.get("/search", headers=bad).status_code for _ in range(LIMIT - LIMIT // 2)]
    assert attempts == [401] * LIMIT
    refused = site.post("/config", headers={**credentials("right"), "Accept": "text/html"})
    assert refused.status_code == 429 and refused.mimetype == "text/html"  # a page's 429 is a page
    assert int(refused.headers["Retry-After"]) > 0
    assert site.get("/search", headers=credentials("guess")).status_code == 429
