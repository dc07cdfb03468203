"""Trust exactly as many reverse proxies as there are, and no client-supplied header beyond them."""

from werkzeug.middleware.proxy_fix import ProxyFix


def configure_proxy(app) -> None:
    """Behind N proxies, take the client address and scheme from the N-th X-Forwarded-* value
    from the right: the one our own outermost proxy appended. Values further left came from the
    client and are ignored, so rotating fake X-Forwarded-For values cannot dodge a rate limit.
    With no proxy (TRUSTED_PROXY_COUNT=0) the headers are ignored entirely.

    X-Forwarded-Host is not trusted: proxies commonly pass a client's value through unchanged.
    """
    count = app.config["TRUSTED_PROXY_COUNT"]
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
