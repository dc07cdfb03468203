"""The live checks: one small function per check, each reading the recorded exchanges of a LiveProbe
and yielding ``(code, message)`` hits with the static and ``--app`` modes' rule codes."""

from __future__ import annotations

import re

from ..rules.headers import RECOMMENDED
from ..wire import FOREIGN_ORIGIN, exposed_headers, unreadable_429

FOREIGN = (FOREIGN_ORIGIN, "null")
HEADER_KINDS = ("base", "api", "html", "404", "405")
# Servers whose banner the HDR003 contract wants gone (gunicorn, Werkzeug, uWSGI, ... send one).
APP_SERVERS = re.compile(
    r"gunicorn|werkzeug|uwsgi|waitress|uvicorn|hypercorn|cheroot|cherrypy|tornado|granian|gevent|"
    r"meinheld|bjoern|daphne|twisted|python",
    re.I,
)
# Headers that exist only to announce software; any value discloses something.
ANNOUNCING = ("X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Generator", "X-Runtime-Version")
REQUEST_ID_HEADERS = ("x-request-id", "x-correlation-id", "request-id")
RATE_HEADERS = re.compile(r"^(x-)?ratelimit-|^retry-after$", re.I)


def _names(resp) -> set:
    names = resp.names()
    if "frame-ancestors" in (resp.header("Content-Security-Policy") or ""):
        names.add("csp:frame-ancestors")
    return names


def _distinct(exchanges):
    """The first exchange of each method and path: a header check reports a response once."""
    seen, out = set(), []
    for x in exchanges:
        key = (x.resp.method, x.resp.path)
        if key not in seen:
            seen.add(key)
            out.append(x)
    return out


def _grants(x) -> bool:
    """The response lets the Origin it was sent with read it (a proxy may add a second value)."""
    return any(v.strip() in ("*", x.origin) for v in x.resp.all("Access-Control-Allow-Origin"))


def security_headers(probe):
    """HDR001 when no probed page carries any security header; else HDR002 per response lacking some
    (Strict-Transport-Security counts on https responses only: browsers ignore it over http)."""
    shown = _distinct(x for x in probe.exchanges if x.kind in HEADER_KINDS)
    security = {n for _, group in RECOMMENDED for n in group} | {"x-xss-protection", "permissions-policy"}
    if shown and not any(_names(x.resp) & security for x in shown):
        yield "HDR001", "no security header on any probed response (" + ", ".join(x.resp.label() for x in shown) + ")"
        return
    for x in shown:
        names = _names(x.resp)
        https = x.resp.url.startswith("https:")
        missing = [
            label
            for label, group in RECOMMENDED
            if not (set(group) & names) and (https or "strict-transport-security" not in group)
        ]
        if missing:
            yield "HDR002", f"{x.resp.label()} lacks " + ", ".join(missing)


def server_banner(probe):
    """HDR003 with the value seen: a Server header naming a WSGI/app server or carrying a version, and
    headers that only announce software (X-Powered-By ...). A bare proxy name (``nginx``, ``Apache``:
    what ``server_tokens off`` / ``ServerTokens Prod`` leave) passes, as the check contract says."""
    seen: dict = {}
    for x in probe.exchanges:
        for value in x.resp.all("Server"):
            if APP_SERVERS.search(value) or re.search(r"\d", value):
                seen.setdefault(("Server", value), []).append(x.resp.label())
        for name in ANNOUNCING:
            for value in x.resp.all(name):
                seen.setdefault((name, value), []).append(x.resp.label())
    for (name, value), where in seen.items():
        why = "names the application server" if name == "Server" and APP_SERVERS.search(value) else "discloses it"
        more = f" and {len(where) - 1} more" if len(where) > 1 else ""
        yield "HDR003", f"{name}: {value} is sent ({why}) on {where[0]}{more}"


def xss_protection(probe):
    """HDR004: the deprecated ``X-XSS-Protection: 1; mode=block`` (or any enabling value) is sent."""
    hits = [x for x in probe.exchanges if (x.resp.header("X-XSS-Protection") or "").strip().startswith("1")]
    if hits:
        first = hits[0].resp
        yield "HDR004", (
            f"{first.label()} sends X-XSS-Protection: {first.header('X-XSS-Protection')} "
            f"({len(hits)} of {len(probe.exchanges)} responses)"
        )


def cors_foreign(probe):
    """CORS001 when a foreign origin (https://evil.example, null) is granted by ``*`` or by echoing it;
    CORS002 when Access-Control-Allow-Credentials: true comes with it."""
    for origin in FOREIGN:
        granted: dict = {}
        with_credentials: dict = {}
        for x in probe.exchanges:
            if x.origin != origin or not _grants(x):
                continue
            how = "is echoed in Access-Control-Allow-Origin"
            if "*" in [v.strip() for v in x.resp.all("Access-Control-Allow-Origin")]:
                how = "answers Access-Control-Allow-Origin: *"
            what = f"{'preflight' if x.resp.method == 'OPTIONS' else x.resp.method} {x.resp.path}"
            granted.setdefault(how, []).append(what)
            if (x.resp.header("Access-Control-Allow-Credentials") or "").lower() == "true":
                with_credentials.setdefault(how, []).append(what)
        for how, where in granted.items():
            yield "CORS001", f"Origin: {origin} {how} ({', '.join(where)})"
        for how, where in with_credentials.items():
            yield "CORS002", f"Origin: {origin} {how} with Access-Control-Allow-Credentials: true ({', '.join(where)})"


def cors_on_html(probe):
    """CORS003: the HTML page (not an API path) answers an Origin with CORS headers."""
    for x in _distinct(x for x in probe.exchanges if x.area == "html" and x.origin):
        if x.resp.header("Access-Control-Allow-Origin") is not None:
            yield "CORS003", (
                f"GET {x.resp.path}, an HTML page, answers Origin: {x.origin} with "
                f"Access-Control-Allow-Origin: {x.resp.header('Access-Control-Allow-Origin')}"
            )


def preflight_max_age(probe):
    """CORS004: a preflight that is granted but carries no Access-Control-Max-Age (every call pays it)."""
    for x in probe.exchanges:
        if x.kind == "preflight" and _grants(x) and x.resp.header("Access-Control-Max-Age") is None:
            yield "CORS004", f"preflight {x.resp.path} from {x.origin} ({x.resp.status}): no Access-Control-Max-Age"
            return


def rate_headers_exposed(probe):
    """RATE006: a response granted to an origin carries rate-limit headers its JavaScript cannot read."""
    for x in probe.exchanges:
        if not x.origin or not _grants(x) or x.resp.method == "OPTIONS" or x.kind == "burst":
            continue
        exposed = exposed_headers(x.resp.header("Access-Control-Expose-Headers"))
        hidden = sorted({k for k, _ in x.resp.headers if RATE_HEADERS.match(k) and k.lower() not in exposed})
        if hidden and "*" not in exposed:
            yield "RATE006", f"{x.resp.label()} for {x.origin}: {', '.join(hidden)} not exposed to its JavaScript"
            return


def request_id_returned(probe):
    """LOG001: responses without a request ID header."""
    # A hostile ID the server refused with a 400 before the app saw it says nothing either way.
    answered = [x for x in probe.exchanges if not (x.kind.startswith("rid:") and x.resp.status == 400)]
    lacking = [x for x in answered if not (x.resp.names() & set(REQUEST_ID_HEADERS))]
    if not lacking:
        return
    if len(lacking) == len(answered):
        yield "LOG001", f"none of the {len(answered)} responses carries X-Request-ID"
    else:
        shown = ", ".join(x.resp.label() for x in _distinct(lacking)[:3])
        yield "LOG001", f"{len(lacking)} of {len(answered)} responses carry no X-Request-ID, e.g. {shown}"


def request_id_echo(probe):
    """LOG004: a hostile client X-Request-ID comes back unchanged (unfolded, for the line break)."""
    echoed, path = [], ""
    for x in probe.exchanges:
        if not x.kind.startswith("rid:") or x.resp.status >= 500:
            continue
        back = x.resp.header("X-Request-ID")
        unfolded = {x.sent_id, x.sent_id.replace("\r\n", ""), x.sent_id.replace("\r\n ", " ")}
        if back is not None and back in unfolded:
            echoed.append(x.kind[4:])
            path = x.resp.path
    if echoed:
        yield "LOG004", f"GET {path}: X-Request-ID comes back unchanged when the client sends " + ", ".join(echoed)


def burst_answer(probe):
    """Under --burst: RATE002 when no 429 came; RATE006 when the 429 has no Retry-After or, on a route
    whose other answers carry CORS headers for the origin, is not readable by it. An HTML body is a note,
    as in --app: clients act on status and Retry-After (docs/rules/RATE006.md)."""
    burst = [x for x in probe.exchanges if x.kind == "burst"]
    if not burst:
        return
    limited = [x for x in burst if x.resp.status == 429]
    if not limited:
        counts: dict = {}
        for x in burst:
            counts[x.resp.status] = counts.get(x.resp.status, 0) + 1
        seen = ", ".join(f"{s} x{n}" for s, n in counts.items())
        yield "RATE002", f"POST {burst[0].resp.path}: no 429 in {len(burst)} attempts (--burst {probe.burst}): {seen}"
        return
    x = limited[0]
    if "json" not in x.resp.media_type:
        probe.note(f"{x.resp.label()}: the 429's body is {x.resp.media_type or 'untyped'}, not JSON")
    # CORS on the 429 only where the route has CORS (CORS003 keeps it off pages): an answer before the
    # 429, or a preflight, to the same path that granted the allowed origin.
    cors_route = any(
        _grants(y) for y in probe.exchanges
        if y.origin == x.origin and y.resp.path == x.resp.path and y.resp.status != 429 and y is not x
    )
    problems = unreadable_429(
        x.resp.header("Retry-After"),
        x.resp.all("Access-Control-Allow-Origin"),  # any value, as _grants reads it (a proxy may add one)
        x.resp.header("Access-Control-Expose-Headers"),
        x.origin if cors_route else None,
    )
    if problems:
        where = f"POST {x.resp.path} 429 (attempt {len(burst)} of --burst {probe.burst})"
        yield "RATE006", f"{where}: " + "; ".join(problems)


def preflight_after_429(probe):
    """RATE005: the preflight sent right after the login path's 429 is refused with 429 too."""
    for x in probe.exchanges:
        if x.kind == "after-429" and x.resp.status == 429:
            yield "RATE005", (
                f"OPTIONS {x.resp.path}: the preflight right after the 429 is a 429 too: "
                "preflights are refused by the route's limit"
            )


def preflights_limited(probe):
    """RATE005: one of the --burst preflights to the API path is answered 429 (a default limit spent)."""
    sent = [x for x in probe.exchanges if x.kind == "preflight-burst"]
    if sent and sent[-1].resp.status == 429:
        yield "RATE005", (
            f"OPTIONS {sent[-1].resp.path}: preflight {len(sent)} of at most {probe.burst} answered 429: "
            "preflights spend the limit, and the browser sees a CORS error"
        )


def server_errors(probe):
    """APP002: any probe answered 5xx."""
    failed = _distinct(x for x in probe.exchanges if x.resp.status >= 500)
    if failed:
        yield "APP002", f"{len(failed)} probe(s) answered 5xx: " + "; ".join(x.resp.label() for x in failed[:5])


CHECKS = (
    security_headers,
    server_banner,
    xss_protection,
    cors_foreign,
    cors_on_html,
    preflight_max_age,
    rate_headers_exposed,
    request_id_returned,
    request_id_echo,
    burst_answer,
    preflight_after_429,
    preflights_limited,
    server_errors,
)
