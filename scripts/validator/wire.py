"""What the two modes that send requests share: ``--app`` (runtime/, Flask's test client) and ``--url``
(live/, real sockets) send the same probe values and judge a 429 the same way."""

from __future__ import annotations

FOREIGN_ORIGIN = "https://evil.example"  # an origin no site allows
PROBE_EMAIL = "probe@invalid.example"  # RFC 2606: never a real mailbox


def exposed_headers(value: str | None) -> set[str]:
    """Access-Control-Expose-Headers, lower-cased: what cross-origin JavaScript may read."""
    return {h.strip().lower() for h in (value or "").split(",")}


def unreadable_429(retry_after: str | None, allow_origins: list, expose: str | None, origin: str | None) -> list:
    """RATE006's problems with a 429: no Retry-After; and, when ``origin`` is given (the route has CORS
    for it), no Access-Control-Allow-Origin for it or a Retry-After its JavaScript may not read."""
    problems = []
    if retry_after is None:
        problems.append("no Retry-After")
    if origin:
        if not any(v is not None and v.strip() in (origin, "*") for v in allow_origins):
            problems.append(f"no Access-Control-Allow-Origin for {origin}, so the page sees a network error")
        elif retry_after is not None and not ({"retry-after", "*"} & exposed_headers(expose)):
            problems.append("Retry-After is not listed in Access-Control-Expose-Headers")
    return problems
