"""--url against real stacks: the seed and the reference under gunicorn, the reference behind nginx
(clean, tokens on, a wildcard CORS header added), and over TLS with a certificate made in the test."""

from __future__ import annotations

import pytest

from tests.support.http import request

from .conftest import ALLOWED_ORIGIN
from .util import codes, live, messages, one_error_line, run

SEED_PATHS = ("--path", "login=/api/auth/login", "--path", "api=/api/items")
REFERENCE_PATHS = ("--path", "login=/api/auth/login", "--path", "api=/api/health")


def test_seed_under_gunicorn_shows_what_the_wire_carries(seed_server):
    url = f"http://127.0.0.1:{seed_server.port}/"
    code, data, _ = live("--url", url, *SEED_PATHS, "--origin", ALLOWED_ORIGIN, "--burst", "51")
    assert f"{url}: POST /api/auth/login (429, text/html): the 429's body is text/html, not JSON" in data["notes"]
    assert code == 1
    assert codes(data) == {"HDR003", "HDR004", "LOG004", "RATE005", "RATE006"}
    assert all(f["path"] == url and f["line"] == 1 for f in data["findings"])
    [banner] = messages(data, "HDR003")
    assert banner.startswith("Server: gunicorn is sent (names the application server) on GET / (404")
    [xss] = messages(data, "HDR004")
    assert "X-XSS-Protection: 1; mode=block" in xss
    [echo] = messages(data, "LOG004")
    assert echo.endswith("when the client sends 1,000 characters, non-ASCII bytes")  # gunicorn 400s the line break
    [preflight] = messages(data, "RATE005")
    assert preflight.startswith("OPTIONS /api/items: preflight ") and "answered 429" in preflight
    [unreadable] = messages(data, "RATE006")
    assert unreadable == (
        "POST /api/auth/login 429 (attempt 11 of --burst 51): no Retry-After"
    )


def test_seed_without_burst_sends_no_post_and_stays_in_budget(seed_server):
    code, data, _ = live("--url", f"http://127.0.0.1:{seed_server.port}/", *SEED_PATHS, "--origin", ALLOWED_ORIGIN)
    assert code == 1
    assert codes(data) == {"HDR003", "HDR004", "LOG004"}
    # the 15-request set minus the 3 that need an HTML page (the seed serves none)
    assert "12 request(s) sent to 127.0.0.1 (at most 20)" in data["notes"]


def test_reference_under_gunicorn_is_clean(reference_server):
    server = reference_server()
    url = f"http://127.0.0.1:{server.port}/"
    code, data, _ = live(
        "--url", url, *REFERENCE_PATHS, "--origin", ALLOWED_ORIGIN, "--burst", "11", "--fail-on", "info"
    )
    assert (code, data["findings"]) == (0, [])
    # 12 probes (no HTML page) + 10 admitted POSTs + the 429 + 1 preflight after it + 11 free preflights
    assert "35 request(s) sent to 127.0.0.1 (at most 43)" in data["notes"]


def test_reference_behind_nginx_is_clean(reference_server, nginx):
    upstream = reference_server(TRUSTED_PROXY_COUNT="1")
    proxy = nginx(upstream.port, http_extra="server_tokens off;", location_extra="proxy_hide_header Server;")
    # What "clean" means on the wire: nginx's bare product name, no version (the HDR003 contract's
    # `server_tokens off` with the upstream header hidden); stock nginx cannot drop its own header.
    assert request(proxy.port, "GET", "/api/health").all("Server") == ["nginx"]
    code, data, _ = live(
        "--url", f"http://127.0.0.1:{proxy.port}/", *REFERENCE_PATHS, "--origin", ALLOWED_ORIGIN,
        "--burst", "11", "--fail-on", "info",
    )
    assert (code, data["findings"]) == (0, [])


def test_nginx_with_server_tokens_on_discloses_its_version(reference_server, nginx):
    proxy = nginx(reference_server(TRUSTED_PROXY_COUNT="1").port)
    code, data, _ = live("--url", f"http://127.0.0.1:{proxy.port}/api/health", "--fail-on", "info")
    assert code == 1 and codes(data) == {"HDR003"}
    [banner] = messages(data, "HDR003")
    assert banner.startswith("Server: nginx/1.") and "(discloses it)" in banner


def test_nginx_adding_a_wildcard_cors_header_is_caught(reference_server, nginx):
    proxy = nginx(
        reference_server(TRUSTED_PROXY_COUNT="1").port,
        http_extra="server_tokens off;",
        location_extra='add_header Access-Control-Allow-Origin "*" always;',
    )
    code, data, _ = live(
        "--url", f"http://127.0.0.1:{proxy.port}/", *REFERENCE_PATHS, "--origin", ALLOWED_ORIGIN
    )
    assert code == 1
    assert "CORS001" in codes(data)
    assert messages(data, "CORS001") == [
        "Origin: https://evil.example answers Access-Control-Allow-Origin: * "
        "(GET /api/health, preflight /api/auth/login)",
        "Origin: null answers Access-Control-Allow-Origin: * (GET /api/health)",
    ]


@pytest.fixture
def tls_reference(reference_server, self_signed_cert):
    cert, key = self_signed_cert
    server = reference_server("--certfile", str(cert), "--keyfile", str(key))
    return server, f"https://127.0.0.1:{server.port}/", cert


def test_tls_is_verified_by_default(tls_reference):
    _, url, _ = tls_reference
    proc = run("--url", url, *REFERENCE_PATHS)
    assert proc.returncode == 2 and proc.stdout == ""
    line = one_error_line(proc.stderr)
    assert line.startswith(f"validate.py: error: GET {url}: TLS certificate verification failed (")
    assert line.endswith("--insecure skips the check")


def test_insecure_audits_and_says_so(tls_reference):
    _, url, _ = tls_reference
    proc = run("--url", url, *REFERENCE_PATHS, "--origin", ALLOWED_ORIGIN, "--insecure", "--fail-on", "info")
    assert proc.returncode == 0, proc.stdout
    assert "note: --insecure: TLS certificates were NOT verified" in proc.stdout
    code, data, err = live("--url", url, *REFERENCE_PATHS, "--insecure", "--fail-on", "info")
    assert (code, data["findings"]) == (0, [])  # HSTS is checked on https: the reference sends it
    assert "validate.py: note: --insecure: TLS certificates were NOT verified" in err


def test_a_trusted_certificate_verifies(tls_reference):
    _, url, cert = tls_reference
    code, data, _ = live("--url", url, *REFERENCE_PATHS, "--fail-on", "info", env={"SSL_CERT_FILE": str(cert)})
    assert (code, data["findings"]) == (0, [])
    assert not any("--insecure" in n for n in data["notes"])
