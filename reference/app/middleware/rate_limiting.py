"""Rate limits in Redis, shared by every worker, answered as JSON a cross-origin page can read.

Settings live in config.py (RATELIMIT_*). The reasons behind them:
- moving-window strategy: a fixed window admits twice the limit across a window edge.
- one Redis round trip per request: rate-limit headers are added to 429 responses only, because
  Flask-Limiter's per-response headers cost two more Redis reads on every request.
- Redis outage policy, per-process fallback: when Redis fails, each worker keeps enforcing the
  same limits from memory (so auth routes stay limited, at most workers x limit), the request is
  never a 500, and a hung Redis costs one 0.25 s timeout before the fallback takes over.
  Flask-Limiter re-checks Redis with exponential backoff (1, 2, 4 ... 32 s) and shares limits
  again once it answers.
- preflights are exempt (extensions.py); health checks are exempt (api.py).
- Flask-Limiter keeps the key prefix, strategy and default limits of the FIRST app it is bound to
  in a process (only the storage is rebuilt per init_app). One app per process, as under gunicorn,
  is fine; tests that need different limiter settings need separate processes.
"""

from __future__ import annotations

import logging
import time

from flask import jsonify
from flask_limiter.errors import RateLimitExceeded

from ..extensions import limiter

log = logging.getLogger(__name__)


def configure_rate_limiting(app) -> None:
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, rate_limit_exceeded)


def rate_limit_exceeded(error: RateLimitExceeded):
    """A JSON 429 with Retry-After and the X-RateLimit-* headers (HTML without them by default)."""
    limit = error.limit.limit
    retry_after, reset_at = limit.get_expiry(), int(time.time()) + limit.get_expiry()
    current = limiter.current_limit
    if current is not None:
        try:
            reset_at = current.reset_at  # exact for the moving window; one more storage read
            # Flask-Limiter rounds reset_at up by a second; never promise more than one window.
            retry_after = min(limit.get_expiry(), max(1, reset_at - int(time.time())))
        except Exception:  # storage failed mid-request: the window length is a safe upper bound
            log.warning("rate-limit storage failed while answering a 429", exc_info=True)
    response = jsonify(
        error="rate_limited",
        message=f"Too many requests: the limit is {error.description}.",
        retry_after=retry_after,
    )
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    response.headers["X-RateLimit-Limit"] = str(limit.amount)
    response.headers["X-RateLimit-Remaining"] = "0"
    response.headers["X-RateLimit-Reset"] = str(reset_at)
    return response
