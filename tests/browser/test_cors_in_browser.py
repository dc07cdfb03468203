"""CORS, request IDs and rate limits as a browser sees them.

CORS is enforced by browsers only: a server-side test can check which headers are sent, but only a
browser shows what a page's JavaScript can actually do with them. Each test loads a frontend page
in headless Chromium and calls the reference API with fetch(), credentials included.
"""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.slow

LOGIN = "/api/auth/login"
HEALTH = "/api/health"
WRONG_PASSWORD = {"email": "demo@example.com", "password": "not the password"}
LOGIN_LIMIT = 10  # reference/app/api.py: @limiter.limit("10 per minute")
UUID_HEX = re.compile(r"[0-9a-f]{32}")


def _log_lines(entries, method, path):
    return [e for e in entries if e["method"] == method and e["path"] == path]


def _redis_keys(redis) -> list[str]:
    """KEYS * through the raw RESP helper: an array of bulk strings."""
    lines = redis.command("KEYS", "*").decode().split("\r\n")
    assert lines[0].startswith("*"), lines
    return lines[2:-1:2]


def test_allowed_origin_reads_json_and_request_id(browser, api, allowed_frontend, fresh_limits):
    browser.open(allowed_frontend.page)
    assert browser.run("origin") == allowed_frontend.origin

    health = browser.run("get", api.base + HEALTH)
    assert health["fetched"], health
    assert health["status"] == 200
    assert health["body"] == {"status": "ok"}
    # Readable only because the API lists it in Access-Control-Expose-Headers.
    assert UUID_HEX.fullmatch(health["headers"]["X-Request-ID"])
    assert "x-request-id" in health["readableHeaderNames"]

    # A preflighted, credentialed JSON POST carrying the page's own request ID (an allowed header).
    login = browser.run(
        "postJson", api.base + LOGIN,
        {"email": "demo@example.com", "password": "correct horse battery staple"},
        {"X-Request-ID": "browser-e2e-0001"},
    )
    assert login["fetched"], login
    assert login["status"] == 200
    assert login["body"]["token_type"] == "Bearer"
    assert len(login["body"]["access_token"]) >= 32
    assert login["headers"]["X-Request-ID"] == "browser-e2e-0001"


def test_other_origin_is_blocked_by_the_browser(browser, api, other_frontend, fresh_limits):
    browser.open(other_frontend.page)
    assert browser.run("origin") == other_frontend.origin
    browser.console()  # drop messages from earlier pages
    mark = api.log_mark()

    # The page itself works: a same-origin request from it succeeds.
    own = browser.run("get", other_frontend.origin + "/probe.js")
    assert own["fetched"] and own["status"] == 200

    # A simple GET is sent and answered, but the browser withholds the response from the page.
    health = browser.run("get", api.base + HEALTH)
    assert health == {"fetched": False, "errorName": "TypeError", "errorMessage": "Failed to fetch"}
    # A JSON POST never leaves the browser: its preflight gets no Access-Control-Allow-Origin.
    login = browser.run("postJson", api.base + LOGIN, WRONG_PASSWORD)
    assert login["fetched"] is False and login["errorName"] == "TypeError"

    entries = api.wait_for_requests(mark, 2)
    assert [e["status"] for e in _log_lines(entries, "GET", HEALTH)] == [200]
    assert [e["status"] for e in _log_lines(entries, "OPTIONS", LOGIN)] == [200]
    assert _log_lines(entries, "POST", LOGIN) == []

    # Blocked by CORS, and not by anything else (Private Network Access, mixed content, ...).
    console = "\n".join(browser.console())
    blocked = f"from origin '{other_frontend.origin}' has been blocked by CORS policy"
    assert console.count(blocked) == 2, console
    assert "No 'Access-Control-Allow-Origin' header is present" in console
    assert "Private Network" not in console and "address space" not in console


def test_rate_limit_429_is_readable_and_preflights_spend_nothing(
    browser, api, allowed_frontend, fresh_limits
):
    browser.open(allowed_frontend.page)
    mark = api.log_mark()

    # 1. Twenty preflights and no POST at all: X-Not-Allowed is not in Access-Control-Allow-Headers,
    #    so each preflight succeeds at the server and the browser then refuses to send the POST.
    #    Unique query strings defeat Chromium's preflight cache (keyed by URL), so each is sent.
    refused = browser.run("sequence", [
        ["postJson", [f"{api.base}{LOGIN}?refused={i}", WRONG_PASSWORD, {"X-Not-Allowed": "1"}]]
        for i in range(20)
    ])
    assert {(r["fetched"], r.get("errorName")) for r in refused} == {(False, "TypeError")}
    preflights_only = api.wait_for_requests(mark, 20)
    assert len(_log_lines(preflights_only, "OPTIONS", LOGIN)) == 20
    assert _redis_keys(api.redis) == []  # twenty preflights wrote no counter at all

    # 2. Fifteen login attempts, each with its own preflight.
    attempts = browser.run("sequence", [
        ["postJson", [f"{api.base}{LOGIN}?attempt={i}", WRONG_PASSWORD]] for i in range(15)
    ])
    assert all(a["fetched"] for a in attempts), attempts
    statuses = [a["status"] for a in attempts]
    assert statuses == [401] * LOGIN_LIMIT + [429] * 5

    # The page can read the 429: status, JSON body and the exposed rate-limit headers.
    limited = attempts[LOGIN_LIMIT]
    assert limited["body"]["error"] == "rate_limited"
    retry_after = limited["body"]["retry_after"]
    assert isinstance(retry_after, int) and 1 <= retry_after <= 60
    assert limited["headers"]["Retry-After"] == str(retry_after)
    assert limited["headers"]["X-RateLimit-Limit"] == str(LOGIN_LIMIT)
    assert limited["headers"]["X-RateLimit-Remaining"] == "0"
    assert UUID_HEX.fullmatch(limited["headers"]["X-Request-ID"])
    assert limited["headers"]["Content-Type"] == "application/json"

    # The server saw 35 preflights, all answered 200 (none limited, even after the limit was hit),
    # and exactly the 15 POSTs the page sent.
    entries = api.wait_for_requests(mark, 20 + 15 + 15)
    preflights = _log_lines(entries, "OPTIONS", LOGIN)
    posts = _log_lines(entries, "POST", LOGIN)
    assert len(preflights) == 35 and {e["status"] for e in preflights} == {200}
    # Same statuses, order not compared: two workers append to one log, and a worker may write its
    # line after the browser already has the response and the other worker has logged the next one.
    assert sorted(e["status"] for e in posts) == sorted(statuses)

    # Redis holds one counter, the login limit's moving window, with exactly the 10 accepted hits.
    (key,) = _redis_keys(api.redis)
    assert key.endswith("/api.login/10/1/minute"), key
    assert api.redis.command("LLEN", key) == b":10\r\n"
