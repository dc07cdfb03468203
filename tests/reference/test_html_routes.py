"""Issue 16 items 5, 6, 7: an app that also serves HTML pages (a login form answering GET and POST)
next to its API. The form's limit counts POSTs only; its 429, 404 and 405 are HTML while the API's
stay JSON; pages get the page CSP, the API its own. The page blueprint below is what
docs/skill/adapting.md shows."""

from __future__ import annotations

import pytest
from flask import Blueprint, request

from tests.reference.conftest import ServerLikeClient

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = {"username": "someone", "password": "guess"}
FORM_LIMIT = 3


def make_pages(limiter) -> Blueprint:
    pages = Blueprint("pages", __name__)

    @pages.route("/login", methods=["GET", "POST"])
    @limiter.limit(f"{FORM_LIMIT} per minute", methods=["POST"])  # page loads are not attempts
    def login():
        if request.method == "POST":
            return "<p>Invalid username or password</p>", 200
        return '<form method="post"><input name="username"><input name="password" type="password"></form>'

    @pages.route("/signup", methods=["GET", "POST"])
    @limiter.limit(f"{FORM_LIMIT} per minute")  # unscoped: every page load counts
    def signup():
        return "<form method='post'></form>"

    return pages


@pytest.fixture
def site():
    """The reference app plus the page blueprint, wired as adapting.md says: the security hook
    told which blueprints render pages (None: app-level routes and unknown URLs)."""
    from app import create_app
    from app.extensions import limiter
    from app.middleware.security import configure_security_headers, set_security_headers

    app = create_app("testing")
    app.test_client_class = ServerLikeClient
    app.register_blueprint(make_pages(limiter))
    app.after_request_funcs[None].remove(set_security_headers)  # create_app's API-only choice
    configure_security_headers(app, html_blueprints={"pages", None})
    return app.test_client()


def test_page_loads_do_not_spend_a_post_only_limit(site):
    assert [site.get("/login", headers=BROWSER).status_code for _ in range(FORM_LIMIT * 3)] == [200] * 9
    posts = [site.post("/login", data=FORM, headers=BROWSER).status_code for _ in range(FORM_LIMIT + 1)]
    assert posts == [200] * FORM_LIMIT + [429]
    assert site.get("/login", headers=BROWSER).status_code == 200  # the page still loads


def test_an_unscoped_limit_counts_page_loads(site):
    """The defect methods=["POST"] fixes: three page loads use up the sign-up form's attempts."""
    assert [site.get("/signup").status_code for _ in range(FORM_LIMIT)] == [200] * FORM_LIMIT
    assert site.post("/signup", data=FORM).status_code == 429


def test_429_of_a_form_is_html_and_of_the_api_json(site):
    for _ in range(FORM_LIMIT):
        site.post("/login", data=FORM, headers=BROWSER)
    page = site.post("/login", data=FORM, headers=BROWSER)
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert "Too Many Requests" in page.get_data(as_text=True)
    assert int(page.headers["Retry-After"]) > 0
    as_json = site.post("/login", data=FORM, headers={"Accept": "application/json"})  # fetch() from a page
    assert as_json.status_code == 429 and as_json.is_json and as_json.json["error"] == "rate_limited"
    assert int(as_json.headers["Retry-After"]) > 0

    for _ in range(10):
        site.post("/api/auth/login", json=FORM, headers=BROWSER)
    api = site.post("/api/auth/login", json=FORM, headers=BROWSER)  # the API answers JSON whatever Accept says
    assert api.status_code == 429 and api.is_json and int(api.headers["Retry-After"]) > 0


@pytest.mark.parametrize(("path", "headers", "kind"), [
    ("/no-such-page", BROWSER, "text/html"),
    ("/no-such-page", {}, "text/html"),
    ("/no-such-page", {"Accept": "application/json"}, "application/json"),
    ("/api/no-such-route", BROWSER, "application/json"),
    ("/api/no-such-route", {}, "application/json"),
])
def test_404_is_json_only_for_the_api_or_a_json_client(site, path, headers, kind):
    response = site.get(path, headers=headers)
    assert response.status_code == 404 and response.mimetype == kind
    if kind == "application/json":
        assert response.json["error"] == "not_found"
    else:
        assert "<h1>Not Found</h1>" in response.get_data(as_text=True)


def test_405_of_a_page_is_html_and_keeps_allow(site):
    response = site.put("/login", headers=BROWSER)
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_pages_and_the_api_each_get_their_own_csp(site):
    from app.middleware.security import API_CSP, HTML_CSP

    page, api, missing = site.get("/login"), site.get("/api/health"), site.get("/no-such-page")
    assert page.headers["Content-Security-Policy"] == HTML_CSP
    assert missing.headers["Content-Security-Policy"] == HTML_CSP  # None: unknown URLs render as pages
    assert api.headers["Content-Security-Policy"] == API_CSP
    assert "default-src 'self'" in HTML_CSP and "frame-ancestors 'none'" in HTML_CSP
    assert "object-src 'none'" in HTML_CSP and "form-action 'self'" in HTML_CSP
    for _ in range(FORM_LIMIT + 1):
        limited = site.post("/login", data=FORM)
    assert limited.status_code == 429 and limited.headers["Content-Security-Policy"] == HTML_CSP
    for name in ("X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "X-XSS-Protection"):
        assert page.headers[name] == api.headers[name]


def test_without_html_blueprints_every_response_gets_the_api_csp(client):
    from app.middleware.security import API_CSP

    assert client.get("/no-such-page", headers=BROWSER).headers["Content-Security-Policy"] == API_CSP


def test_pages_can_get_the_apps_own_csp_built_from_config():
    """whoogle-search's pages need inline styles, data: images and a frame whose origin comes from
    the environment: the policy is built at start-up, so configure_security_headers takes it."""
    from app import create_app
    from app.extensions import limiter
    from app.middleware.security import API_CSP, configure_security_headers, set_security_headers

    app = create_app("testing")
    app.register_blueprint(make_pages(limiter))
    app.after_request_funcs[None].remove(set_security_headers)
    page_csp = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-src https://tl.example.org"
    configure_security_headers(app, html_blueprints={"pages", None}, html_csp=page_csp)
    client = app.test_client()
    page, api, missing = client.get("/login"), client.get("/api/health"), client.get("/no-such-page")
    assert page.headers["Content-Security-Policy"] == page_csp
    assert missing.headers["Content-Security-Policy"] == page_csp
    assert api.headers["Content-Security-Policy"] == API_CSP
    assert page.headers["X-Frame-Options"] == api.headers["X-Frame-Options"] == "DENY"
