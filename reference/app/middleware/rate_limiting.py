"""Rate limits in Redis, shared by every worker, answered as JSON a cross-origin page can read
(and as a small HTML page where a browser loaded a page, e.g. a login form's POST).

Settings live in config.py (RATELIMIT_*). The reasons behind them:
- moving-window strategy: a fixed window admits twice the limit across a window edge.
- one Redis round trip per request: rate-limit headers are added to 429 responses only, because
  Flask-Limiter's per-response headers cost two more Redis reads on every request.
- Redis outage policy, per-process fallback: when Redis fails, each worker keeps enforcing the
  same limits from memory (so auth routes stay limited, at most workers x limit), the request is
  never a 500, and a hung Redis costs one 0.25 s timeout before the fallback takes over.
  Flask-Limiter re-checks Redis with exponential backoff (1, 2, 4 ... 32 s) and shares limits
  again once it answers. On a Redis Cluster the fallback is per node instead (cluster_storage.py):
  only the keys of a failed node count in memory.
- preflights are exempt (extensions.py); health checks are exempt (api.py).
- a form route answering GET and POST limits only the POST: ``@limiter.limit("10 per minute",
  methods=["POST"])``, or every page load would spend an attempt.
- Flask-Limiter keeps the key prefix, strategy and default limits of the FIRST app it is bound to
  in a process (only the storage is rebuilt per init_app). One app per process, as under gunicorn,
  is fine; tests that need different limiter settings need separate processes.
- a fast path for the default limit (DefaultLimitFastPath below): Flask-Limiter re-resolves and
  re-parses every limit on every request, about 40 us of Python per request on top of the
  storage call (bench/profile.md). For routes that only carry the default limit, the same storage
  call is made directly, with the same key, so counters are shared with Flask-Limiter's own path.
  Everything else (decorated or exempted routes, 429s, storage errors, the in-memory fallback)
  still runs Flask-Limiter's own code.
"""

from __future__ import annotations

import logging
import time

from flask import current_app, jsonify, make_response, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded
from flask_limiter.util import get_qualified_name
from markupsafe import escape

from ..errors import wants_json
from ..extensions import limiter
from . import cluster_storage  # noqa: F401 - redis+cluster:// falls back per node (its docstring)

log = logging.getLogger(__name__)


def configure_rate_limiting(app) -> None:
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, rate_limit_exceeded)
    DefaultLimitFastPath(limiter).install(app)


def rate_limit_exceeded(error: RateLimitExceeded):
    """A 429 with Retry-After and the X-RateLimit-* headers (Flask-Limiter's own has neither):
    JSON for the API and JSON clients, a short HTML page for a browser on a page (errors.wants_json)."""
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
    message = f"Too many requests: the limit is {error.description}."
    if wants_json():
        response = jsonify(error="rate_limited", message=message, retry_after=retry_after)
    else:
        response = make_response(_HTML_429.format(message=escape(message), seconds=retry_after))
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    response.headers["X-RateLimit-Limit"] = str(limit.amount)
    response.headers["X-RateLimit-Remaining"] = "0"
    response.headers["X-RateLimit-Reset"] = str(reset_at)
    return response


_HTML_429 = """<!doctype html>
<html lang="en">
<title>429 Too Many Requests</title>
<h1>Too Many Requests</h1>
<p>{message} Try again in {seconds} seconds.</p>
"""

_STANDARD = object()  # plan: let Flask-Limiter's own before_request check handle this endpoint
_FAST = "reference.rate_limit_fast_path"  # environ key: this request was admitted by the fast path


class DefaultLimitFastPath:
    """Replaces Flask-Limiter's before_request check by a direct storage call where that is exact.

    Flask-Limiter's check resolves the limits of the endpoint from scratch on every request
    (exemptions, blueprint and decorated limits, re-parsing the limit strings, ordered sets).
    For an endpoint whose only limit is one plain default limit, the answer never changes, so it
    is resolved once (by Flask-Limiter itself) and cached. A request to such an endpoint then
    costs one ``limiter.limiter.hit()``: the configured strategy and storage, with the key
    Flask-Limiter would use (prefix, client key, endpoint), so both paths share one counter.

    Only a request that is *admitted* ends here. Flask-Limiter's own check runs instead when the
    endpoint has decorated, blueprint or several limits, when the hit is refused (it answers the
    429, calls on_breach and logs), when storage fails or is marked dead (fallback and recovery),
    and for every configuration this class does not reproduce (see ``_plain``). It relies on a
    few Flask-Limiter 4 attributes; if they are missing it logs a warning and stays off.
    """

    def __init__(self, extension: Limiter):
        self.limiter = extension
        self.plans: dict[str, object] = {}

    def install(self, app) -> bool:
        if not self.limiter.enabled:
            return False  # RATELIMIT_ENABLED = False: Flask-Limiter registered no hooks
        before, after = app.before_request_funcs.get(None, []), app.after_request_funcs.get(None, [])
        teardown = app.teardown_request_funcs.get(None, [])
        standard = self.limiter._check_request_limit
        # Flask-Limiter's after_request (deduct_when limits, X-RateLimit-* headers) and teardown
        # (resets its per-request state) hooks; neither has work on a fast-path request.
        self.after_hook = next((f for f in after if getattr(f, "args", None) == (self.limiter,)), None)
        self.teardown_hook = next((f for f in teardown if getattr(f, "__self__", None) is self.limiter), None)
        needed = ("_storage_dead", "_request_filters", "_marked_for_limiting", "_key_prefix", "_meta_limits",
                  "_headers_enabled", "_in_memory_fallback_enabled")
        manager = self.limiter.limit_manager
        if (standard not in before or not self.after_hook or not self.teardown_hook
                or not all(hasattr(self.limiter, name) for name in needed)
                or not all(hasattr(manager, name) for name in ("_default_limits", "_application_limits"))):
            log.warning("Flask-Limiter internals changed: the default-limit fast path is off")
            return False
        before[before.index(standard)] = self.check
        after[after.index(self.after_hook)] = self.after_request
        teardown[teardown.index(self.teardown_hook)] = self.teardown_request
        return True

    def after_request(self, response):
        if request.environ.get(_FAST) and not self.limiter._headers_enabled:
            return response
        return self.after_hook(response)

    def teardown_request(self, error=None) -> None:
        if not request.environ.get(_FAST):
            self.teardown_hook(error)

    def check(self) -> None:
        extension = self.limiter
        endpoint = extension.identify_request()  # request.endpoint, or RATELIMIT_REQUEST_IDENTIFIER
        plan = self.plans.get(endpoint)
        if plan is None:
            plan = self.plans[endpoint] = self._plan(endpoint)
        if plan is _STANDARD or extension._storage_dead or extension.limit_manager.has_hints(endpoint):
            return extension._check_request_limit()
        if not plan or any(exempt() for exempt in extension._request_filters):
            return None  # no limit applies (exempt route, no endpoint) or a request_filter exempts it
        limit, scope = plan
        key = limit.key_func()
        if not key:
            return extension._check_request_limit()
        args = [extension._key_prefix, key, scope] if extension._key_prefix else [key, scope]
        try:
            admitted = extension.limiter.hit(limit.limit, *args)
        except Exception:
            # Exactly what Flask-Limiter does when its own storage call fails, so that a hung
            # Redis costs one timeout, not two: mark the storage dead, then let its path answer.
            if extension._in_memory_fallback_enabled and not extension._storage_dead:
                extension.logger.warning("Rate limit storage unreachable - falling back to in-memory storage")
                extension._storage_dead = True
            return extension._check_request_limit()
        if not admitted:
            # Refused: Flask-Limiter's path checks again (a refused moving-window hit stores
            # nothing) and builds the 429 with its context, on_breach callbacks and log line.
            return extension._check_request_limit()
        # limiter.current_limit works in views as on Flask-Limiter's own path.
        context = extension.context
        context.view_rate_limit = RequestLimit(extension, limit.limit, args, False, False)
        context.view_rate_limits = [context.view_rate_limit]
        request.environ[_FAST] = True
        return None

    def _plan(self, endpoint: str):
        """``(limit, scope)``, ``()`` when no limit applies, or _STANDARD; computed once per endpoint."""
        extension = self.limiter
        if not endpoint or endpoint.split(".")[-1] == "static":
            return ()  # Flask-Limiter never limits these (404s, static files)
        view = current_app.view_functions.get(endpoint)
        name = get_qualified_name(view) if view else ""
        if name in extension._marked_for_limiting or extension._meta_limits:
            return _STANDARD  # a decorated route: its limits are checked inside the view
        defaults, decorated = extension.limit_manager.resolve_limits(
            current_app, endpoint, request.blueprint, name, True, False
        )
        if decorated or len(defaults) > 1 or not self._plain(defaults):
            return _STANDARD
        return (defaults[0], endpoint) if defaults else ()

    def _plain(self, limits) -> bool:
        """Limits whose outcome depends on nothing but the storage: fixed strings, cost 1, no
        per-method, scope, shared, exempt_when or deduct_when option."""
        manager = self.limiter.limit_manager
        providers = [group.limit_provider for group in manager._default_limits + manager._application_limits]
        return not any(callable(provider) for provider in providers) and all(
            limit.cost == 1 and not (limit.per_method or limit.scope or limit.shared or limit.methods
                                     or limit.exempt_when or limit.deduct_when or limit.meta_limits)
            for limit in limits
        )
