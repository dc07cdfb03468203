"""Security headers on every response Flask produces, including 404, 405, 429 and 500.

Values are for a JSON API that no page should frame, embed or cache. Blueprints that render HTML
pages get HTML_CSP instead (``configure_security_headers(app, html_blueprints=...)``); every other
header is the same for both. A view can override any of them by setting the header itself: the
hook only fills in headers the response does not have.

The ``Server`` header is NOT handled here: the WSGI server adds it after Flask returns, so
``response.headers.pop("Server")`` removes nothing. See gunicorn.conf.py and serve_dev.py.
"""

from flask import request

# An API response loads nothing and may not be framed. OWASP REST Security Cheat Sheet
# ("Security Headers": default-src 'none'; frame-ancestors 'none'); MDN CSP.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# A server-rendered page loads its own scripts, styles, images and fonts and posts its forms to
# this origin; no inline script, no plugins (object-src), no <base> or form target elsewhere, no
# framing. OWASP Content Security Policy Cheat Sheet; MDN CSP. A page that loads from a CDN adds
# that origin to the directive it needs (script-src 'self' https://cdn.example.com).
HTML_CSP = ("default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
            "object-src 'none'")

SECURITY_HEADERS = {
    # Stop MIME sniffing of responses. MDN: X-Content-Type-Options; OWASP Secure Headers Project.
    "X-Content-Type-Options": "nosniff",
    # API_CSP, or HTML_CSP for the blueprints that render pages (configure_security_headers).
    "Content-Security-Policy": API_CSP,
    # For browsers without CSP frame-ancestors. OWASP Clickjacking Defense Cheat Sheet.
    "X-Frame-Options": "DENY",
    # An API has no reason to leak its URLs to others. MDN Referrer-Policy; OWASP Secure Headers.
    "Referrer-Policy": "no-referrer",
    # Other origins may not load responses as no-cors subresources (does not affect CORS fetch).
    # MDN Cross-Origin-Resource-Policy; OWASP Secure Headers Project.
    "Cross-Origin-Resource-Policy": "same-origin",
    # Isolate our browsing context from cross-origin openers. MDN Cross-Origin-Opener-Policy.
    "Cross-Origin-Opener-Policy": "same-origin",
    # Deny powerful features nothing here uses. OWASP Secure Headers Project (Permissions-Policy).
    "Permissions-Policy": "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()",
    # Responses may carry personal data or tokens: keep them out of every cache.
    # OWASP REST Security Cheat Sheet ("Cache-Control: no-store").
    "Cache-Control": "no-store",
    # The XSS auditor is gone from browsers and `1; mode=block` could be abused to leak data;
    # OWASP and MDN advise 0 (or omitting the header). The seed's `1; mode=block` is deprecated.
    "X-XSS-Protection": "0",
}

# Two years, all subdomains: the value hstspreload.org requires and MDN recommends. Sent only on
# HTTPS (RFC 6797 s7.2: ignored over HTTP); behind a TLS-terminating proxy, ProxyFix's x_proto
# makes request.is_secure true.
HSTS_VALUE = "max-age=63072000; includeSubDomains"


_HEADERS = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS.items())


def set_security_headers(response, headers=_HEADERS):
    # One pass over the response's headers, then one extend: this hook runs on every response,
    # and nine Headers.setdefault() calls would rescan the header list nine times.
    present = {name.lower() for name in response.headers.keys()}
    missing = [(name, value) for lower, name, value in headers if lower not in present]
    if request.is_secure and "strict-transport-security" not in present:
        missing.append(("Strict-Transport-Security", HSTS_VALUE))
    response.headers.extend(missing)
    return response


def configure_security_headers(app, html_blueprints=(), html_csp=HTML_CSP) -> None:
    """``html_blueprints``: names of the blueprints that render HTML pages (``"auth"``, ``"main"``;
    ``None`` for routes on the app itself and for 404s of unknown URLs); they get ``html_csp``,
    every other response API_CSP. The choice follows the matched route, so a page's 429 gets the
    page policy; a 404 or 405 matched no route and counts as ``None``. ``html_csp``: HTML_CSP, or
    the app's own page policy when its pages need more (inline styles, a frame origin from config)."""
    pages = frozenset(html_blueprints)
    if not pages:
        app.after_request(set_security_headers)
        return
    page_headers = tuple((lower, name, html_csp if lower == "content-security-policy" else value)
                         for lower, name, value in _HEADERS)

    def set_security_headers_by_blueprint(response):
        return set_security_headers(response, page_headers if request.blueprint in pages else _HEADERS)

    app.after_request(set_security_headers_by_blueprint)
