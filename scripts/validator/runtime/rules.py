"""Rules only the runtime audit (``--app``) can observe, registered next to the static ones.

They join the shared registry for ``--app``, ``--url``, ``--list-rules`` and ``--explain`` (``register()``);
their static check yields nothing, so a static scan never reports them. Their pages live in
``docs/rules/<CODE>.md``.
"""

from __future__ import annotations

from ..rules import RULES, Rule, all_rules

RUNTIME_RULES = (
    (
        "APP002",
        "warning",
        "(--app, --url) a route answered 5xx to a harmless probe request",
        "Make the route answer its normal status: a storage or config error at request time (e.g. Redis down "
        "without RATELIMIT_SWALLOW_ERRORS / in-memory fallback) must not turn into a 500.",
    ),
    (
        "RATE005",
        "warning",
        "(--app, --url) CORS preflights spend (or are refused by) the rate limit",
        "Exempt OPTIONS from the limiter: @limiter.request_filter returning request.method == 'OPTIONS'.",
    ),
    (
        "RATE006",
        "warning",
        "(--app, --url) a 429 is not readable by the allowed origin's JavaScript",
        "Send Retry-After on the 429 and list it in CORS expose_headers; keep CORS headers on error responses.",
    ),
)


def _no_static_check(project):
    return iter(())


def register() -> dict:
    """Add the runtime-only rules to the registry (loading the static rules first) and return it."""
    rules = all_rules()  # loads the static rule modules before RULES is touched
    for code, severity, summary, fix in RUNTIME_RULES:
        RULES.setdefault(code, Rule(code, severity, summary, _no_static_check, fix))
    return all_rules() if len(rules) != len(RULES) else rules
