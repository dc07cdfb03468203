"""The probes: what a browser and an attacker would send, through Flask's test client only.

Every request goes through ``Probe.send``, which allows GET, HEAD, POST and OPTIONS only, gives each
probe its own ``REMOTE_ADDR`` (192.0.2.0/24, TEST-NET-1) so rate-limit counters of one probe never
affect another, and turns any exception into a note. Each ``check_*`` method appends
``(code, message)`` hits; ``run_all`` guards each one so one failing probe never stops the others.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter

from ..rules.auth_routes import is_auth_route, is_signup_collection, limit_hint, recommended_limit
from ..wire import FOREIGN_ORIGIN, PROBE_EMAIL, unreadable_429
from .capture import Capture, completion_missing, short
from .reports import header_names, report_5xx, report_headers, report_leaks, report_request_id_presence

MAX_AUTH_ATTEMPTS = 50
MAX_5XX_IN_A_ROW = 3
SAFE_METHODS = frozenset({"GET", "HEAD", "POST", "OPTIONS"})
_EXACT_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:]+\](:[0-9]{1,5})?")
_HEALTHY = ("health", "healthz", "status", "ping", "ready", "readyz", "live", "livez", "version")


class Probe:
    def __init__(self, app, config, capture: Capture):
        self.app = app
        self.config = config
        self.cap = capture
        self.client = app.test_client(use_cookies=False)
        self.hits: list[tuple[str, str, str]] = []  # (code, message, hint or "" for the rule's fix)
        self.notes: list[str] = []
        self.responses: list[tuple[str, str, str, object]] = []  # (kind, method, path, response)
        self.server_errors: dict[str, int] = {}
        self.requests_sent = 0
        self.saw_429 = False
        self._addr = 0
        self.canaries = {
            "password sent in the JSON body": "fmw-canary-pw-" + secrets.token_hex(8),
            "Authorization header": "fmw-canary-bearer-" + secrets.token_hex(8),
            "Cookie header": "fmw-canary-cookie-" + secrets.token_hex(8),
            "?token= query string": "fmw-canary-qs-" + secrets.token_hex(8),
        }
        self._discover()

    # -- plumbing ---------------------------------------------------------------------------

    def hit(self, code: str, message: str, hint: str = "") -> None:
        if (code, message, hint) not in self.hits:
            self.hits.append((code, message, hint))

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def fresh_addr(self) -> str:
        self._addr += 1
        return f"192.0.2.{self._addr % 254 + 1}" if self._addr < 254 else f"198.51.100.{self._addr % 254 + 1}"

    def send(self, method, path, *, kind="", headers=None, json_body=None, query=None, https=False, addr=None):
        if method not in SAFE_METHODS:  # by construction: never DELETE/PUT/PATCH
            raise ValueError(f"refusing to send {method}")
        self.requests_sent += 1
        try:
            resp = self.client.open(
                path,
                method=method,
                headers=headers or {},
                json=json_body,
                query_string=query,
                base_url="https://localhost" if https else "http://localhost",
                environ_base={"REMOTE_ADDR": addr or self.fresh_addr()},
            )
            resp.get_data()
            resp.close()
        except Exception as exc:
            self.note(f"{method} {path}: the request raised {type(exc).__name__}: {short(exc)}")
            return None
        if resp.status_code >= 500:
            self.server_errors.setdefault(f"{method} {path}", resp.status_code)
        self.responses.append((kind, method, path, resp))
        return resp

    # -- discovery --------------------------------------------------------------------------

    def _discover(self) -> None:
        rules = [r for r in self.app.url_map.iter_rules() if r.endpoint != "static"]
        plain = [r for r in rules if not r.arguments]
        segments = Counter(r.rule.strip("/").split("/")[0] for r in rules if r.rule.strip("/").count("/") >= 1)
        self.api_prefix = "/" + segments.most_common(1)[0][0] if segments else None
        gets = [r for r in plain if "GET" in (r.methods or ())]

        def score(r):
            words = set(re.split(r"[^a-z0-9]+", r.rule.lower()))
            api = bool(self.api_prefix and r.rule.startswith(self.api_prefix + "/"))
            return (not (words & set(_HEALTHY)), not api, len(r.rule))

        self.normal = min(gets, key=score).rule if gets else None
        patterns = self.config.auth_route_patterns

        def is_auth(r) -> bool:
            # the view's name, as the static scan reads it (endpoint "main.config" -> "config"); a
            # configured pattern may also name the whole endpoint
            view = r.endpoint.rsplit(".", 1)[-1]
            return is_auth_route(patterns, r.rule, r.rule, view) or any(p.search(r.endpoint) for p in patterns)

        self.auth = [r.rule for r in plain if "POST" in (r.methods or ()) and is_auth(r)]
        # POST /api/users: a sign-up, unless it turns out to need a login (user management)
        self.signups = {r.rule for r in plain if r.rule not in self.auth and is_signup_collection(r.rule, r.methods)}
        self.auth += sorted(self.signups)
        self.endpoints = {r.rule: r.endpoint for r in plain}
        skipped = [r.rule for r in rules if r.arguments and "POST" in (r.methods or ()) and is_auth(r)]
        if skipped:
            self.note("authentication routes with URL variables were not probed: " + ", ".join(skipped))
        no_get = [r.rule for r in plain if "GET" not in (r.methods or ())]
        no_post = [r.rule for r in plain if "POST" not in (r.methods or ())]
        self.method_not_allowed = ("GET", no_get[0]) if no_get else (("POST", no_post[0]) if no_post else None)
        self.non_api = [
            r.rule for r in gets if not (self.api_prefix and (r.rule + "/").startswith(self.api_prefix + "/"))
        ]
        self.origins = self._allowed_origins()

    def _allowed_origins(self) -> list[str]:
        found = []
        conf = self.app.config.get("CORS_ORIGINS")
        if isinstance(conf, str):
            conf = conf.split(",")
        if isinstance(conf, (list, tuple, set)):
            found.extend(o.strip() for o in conf if isinstance(o, str))
        # flask-cors keeps its computed resources in the closure of its after_request function.
        for funcs in self.app.after_request_funcs.values():
            for func in funcs:
                for cell in getattr(func, "__closure__", None) or ():
                    try:
                        value = cell.cell_contents
                    except ValueError:
                        continue
                    if isinstance(value, list):
                        for item in value:
                            if isinstance(item, tuple) and len(item) == 2:
                                origins = getattr(item[1], "origins", None) or (
                                    item[1].get("origins") if isinstance(item[1], dict) else None
                                )
                                if isinstance(origins, str):
                                    origins = [origins]
                                found.extend(o for o in origins or () if isinstance(o, str))
        exact = []
        for origin in found:
            if _EXACT_ORIGIN.fullmatch(origin) and origin != FOREIGN_ORIGIN and origin not in exact:
                exact.append(origin)
        return exact

    def _api_path(self, tail: str) -> str:
        return f"{self.api_prefix or ''}/__fmw_probe__/{tail}"

    # -- checks -----------------------------------------------------------------------------

    def run_all(self) -> None:
        for check in (
            self.check_basic_responses,
            self.check_request_ids,
            self.check_completion_log,
            self.check_cors_foreign,
            self.check_cors_allowed,
            self.check_auth_rate_limits,
            self.check_preflight_on_normal_route,
            self.check_canaries_sent,
        ):
            try:
                check()
            except Exception as exc:  # one failing probe never stops the others
                self.note(f"probe {check.__name__[6:]} failed: {type(exc).__name__}: {short(exc)}")
        if self.auth and not self.saw_429:
            self.note(
                "no authentication route answered 429: the 429's headers, its readability (RATE006) and "
                "preflights spending auth limits (RATE005) could not be checked"
            )
        for check in (report_headers, report_request_id_presence, report_leaks, report_5xx):
            try:
                check(self)
            except Exception as exc:
                self.note(f"report {check.__name__[7:]} failed: {type(exc).__name__}: {short(exc)}")

    def check_basic_responses(self) -> None:
        if self.normal:
            self.send("GET", self.normal, kind="ok")
        else:
            self.note("no GET route without URL variables: headers of a normal response were not checked")
        self.send("GET", self._api_path("missing"), kind="404")
        if self.method_not_allowed:
            method, path = self.method_not_allowed
            resp = self.send(method, path, kind="405")
            if resp is not None and resp.status_code != 405:
                self.note(f"{method} {path} answered {resp.status_code}, not 405")
        target = self.normal or self._api_path("https")
        resp = self.send("GET", target, kind="https", https=True)
        if resp is not None and "strict-transport-security" not in header_names(resp):
            self.hit("HDR002", f"GET {target} over HTTPS ({resp.status_code}): no Strict-Transport-Security")

    def check_request_ids(self) -> None:
        target = self.normal or self._api_path("request-id")
        hostile = {
            "control characters (ESC, BEL)": "\x1b[31mfmw\x07probe\x1b[0m",
            "5,000 characters": "f" * 5000,
            "an empty value": "",
        }
        echoed = []
        for what, value in hostile.items():
            resp = self.send("GET", target, kind="rid", headers={"X-Request-ID": value})
            if resp is not None and resp.status_code < 500 and resp.headers.get("X-Request-ID") == value:
                echoed.append(what)
        if echoed:
            self.hit(
                "LOG004", f"GET {target}: X-Request-ID comes back unchanged when the client sends " + ", ".join(echoed)
            )

    def check_completion_log(self) -> None:
        targets = [("GET", self._api_path("log"))]
        if self.normal:
            targets.insert(0, ("GET", self.normal))
        for method, path in targets:
            mark = self.cap.mark()
            resp = self.send(method, path, kind="log")
            if resp is None:
                continue
            records, text = self.cap.since(mark)
            missing = completion_missing(records, text, method, path, resp.status_code)
            if missing:
                self.hit("LOG002", f"{method} {path} ({resp.status_code}): {missing}")

    def _cors(self, method, path, origin, kind, preflight=False, request_method="POST"):
        headers = {"Origin": origin}
        if preflight:
            headers["Access-Control-Request-Method"] = request_method
            headers["Access-Control-Request-Headers"] = "content-type"
        return self.send("OPTIONS" if preflight else method, path, kind=kind, headers=headers)

    def check_cors_foreign(self) -> None:
        targets = []
        if self.normal:
            targets.append(("GET", self.normal, False, "GET"))
        targets.append(("GET", self._api_path("cors"), False, "GET"))
        preflight_path = self.auth[0] if self.auth else (self.normal or self._api_path("cors"))
        targets.append(("OPTIONS", preflight_path, True, "POST" if self.auth else "GET"))
        for origin in (FOREIGN_ORIGIN, "null"):
            allowed: dict[str, list[str]] = {}
            with_credentials: dict[str, list[str]] = {}
            for method, path, preflight, req_method in targets:
                resp = self._cors(method, path, origin, "cors", preflight, req_method)
                if resp is None:
                    continue
                acao = resp.headers.get("Access-Control-Allow-Origin")
                if acao not in ("*", origin):
                    continue
                how = "answers Access-Control-Allow-Origin: *"
                if acao != "*":
                    how = "echoes it in Access-Control-Allow-Origin"
                what = f"{'preflight' if preflight else method} {path}"
                allowed.setdefault(how, []).append(what)
                if resp.headers.get("Access-Control-Allow-Credentials", "").lower() == "true":
                    with_credentials.setdefault(how, []).append(what)
            for how, where in allowed.items():
                self.hit("CORS001", f"Origin: {origin} {how} ({', '.join(where)})")
            for how, where in with_credentials.items():
                self.hit(
                    "CORS002",
                    f"Origin: {origin} {how} together with Access-Control-Allow-Credentials: true ({', '.join(where)})",
                )

    def check_cors_allowed(self) -> None:
        if not self.origins:
            self.note(
                "no allowed CORS origin found (app.config['CORS_ORIGINS'], flask-cors options): "
                "allowed-origin checks (CORS003/004/005, RATE006 readability) were skipped"
            )
            return
        origin = self.origins[0]
        api_route = self.auth[0] if self.auth else self.normal
        if api_route:
            req_method = "POST" if self.auth else "GET"
            resp = self._cors("OPTIONS", api_route, origin, "cors", True, req_method)
            if resp is not None and resp.headers.get("Access-Control-Allow-Origin") == origin:
                if "Access-Control-Max-Age" not in resp.headers:
                    self.hit("CORS004", f"preflight {api_route} from {origin}: no Access-Control-Max-Age")
        if self.api_prefix:
            lookalike = self.api_prefix + "ary"
            resp = self._cors("GET", lookalike, origin, "cors")
            if resp is not None and resp.headers.get("Access-Control-Allow-Origin"):
                self.hit(
                    "CORS005",
                    f"GET {lookalike} (outside {self.api_prefix}/) from {origin} gets CORS headers: "
                    "the resource pattern matches more than the API prefix",
                )
        for path in self.non_api[:3]:
            resp = self._cors("GET", path, origin, "cors")
            if resp is not None and resp.headers.get("Access-Control-Allow-Origin"):
                self.hit("CORS003", f"GET {path}, a non-API route, gets CORS headers for {origin}")

    def _auth_attempt(self, path, addr, origin):
        headers = {
            "Authorization": "Bearer " + self.canaries["Authorization header"],
            "Cookie": "session=" + self.canaries["Cookie header"],
        }
        if origin:
            headers["Origin"] = origin
        body = {
            "email": PROBE_EMAIL,
            "username": PROBE_EMAIL,
            "password": self.canaries["password sent in the JSON body"],
        }
        return self.send(
            "POST",
            path,
            kind="auth",
            headers=headers,
            json_body=body,
            addr=addr,
            query={"token": self.canaries["?token= query string"]},
        )

    def check_auth_rate_limits(self) -> None:
        if not self.auth:
            self.note("no authentication route (login, password reset, sign-up, token, OTP) found in the URL map")
            return
        origin = self.origins[0] if self.origins else None
        for path in self.auth:
            addr = self.fresh_addr()
            statuses, in_a_row, limited, cors_on = [], 0, None, False
            for _ in range(MAX_AUTH_ATTEMPTS):
                resp = self._auth_attempt(path, addr, origin)
                if resp is None:
                    break
                statuses.append(resp.status_code)
                if path in self.signups and resp.status_code in (401, 403):
                    break
                if resp.status_code == 429:
                    limited = resp
                    break
                cors_on = cors_on or self._cors_for(resp, origin)
                in_a_row = in_a_row + 1 if resp.status_code >= 500 else 0
                if in_a_row >= MAX_5XX_IN_A_ROW:
                    break
            if limited is None and statuses and statuses[-1] in (401, 403) and path in self.signups:
                self.note(f"POST {path} answered {statuses[-1]}: a users collection behind a login is user "
                          "management, not a sign-up; its rate limit was not probed")
                continue
            if limited is None:
                seen = ", ".join(f"{s} x{n}" for s, n in Counter(statuses).items()) or "no response"
                msg = f"POST {path}: no 429 after {len(statuses)} attempts from one address ({seen})"
                if in_a_row >= MAX_5XX_IN_A_ROW:
                    self.hit(
                        "RATE002",
                        msg + ": the route fails instead of refusing",
                        "The limiter (or the view) errors before it can answer 429: check the rate-limit storage "
                        "(Redis reachable from this config?) and keep limits enforced when it fails "
                        "(RATELIMIT_IN_MEMORY_FALLBACK_ENABLED, RATELIMIT_SWALLOW_ERRORS).",
                    )
                else:
                    hint = limit_hint(*recommended_limit(path, self.endpoints.get(path, ""), path in self.signups))
                    self.hit("RATE002", msg, hint)
                continue
            self.saw_429 = True
            self.responses[-1] = ("429", "POST", path, limited)
            if origin and len(statuses) == 1:  # refused at once: does a preflight say CORS is on here?
                cors_on = self._cors_for(self._cors("OPTIONS", path, origin, "cors", True), origin)
            # CORS headers on a 429 only where the route's other answers have them: an HTML form route
            # outside the API (CORS003) must not be asked for them
            self._check_429(path, limited, origin if cors_on else None)
            self._check_preflights_spend(path, len(statuses) - 1, origin)

    @staticmethod
    def _cors_for(resp, origin) -> bool:
        return bool(origin) and resp is not None and resp.headers.get("Access-Control-Allow-Origin") in (origin, "*")

    def _check_429(self, path, resp, origin) -> None:
        problems = unreadable_429(
            resp.headers.get("Retry-After"),
            resp.headers.getlist("Access-Control-Allow-Origin")[:1],  # the first value, as browsers read it
            resp.headers.get("Access-Control-Expose-Headers"),
            origin,
        )
        if problems:
            self.hit("RATE006", f"POST {path} 429: " + "; ".join(problems))

    def _check_preflights_spend(self, path, limit, origin) -> None:
        addr = self.fresh_addr()
        headers = {
            "Origin": origin or FOREIGN_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
        refused = 0
        for _ in range(limit + 1):
            resp = self.send("OPTIONS", path, kind="preflight", headers=headers, addr=addr)
            if resp is not None and resp.status_code == 429:
                refused += 1
        after = self._auth_attempt(path, addr, origin)
        if refused:
            self.hit(
                "RATE005",
                f"OPTIONS {path}: {refused} of {limit + 1} preflights answered 429: preflights spend the route's limit",
            )
        elif after is not None and after.status_code == 429:
            self.hit(
                "RATE005",
                f"POST {path}: refused with 429 after {limit + 1} preflights and no request "
                f"(the limit is {limit}): preflights spend the route's limit",
            )

    def check_preflight_on_normal_route(self) -> None:
        if not self.normal:
            return
        addr = self.fresh_addr()
        headers = {
            "Origin": self.origins[0] if self.origins else FOREIGN_ORIGIN,
            "Access-Control-Request-Method": "GET",
        }
        for i in range(MAX_AUTH_ATTEMPTS + 1):
            resp = self.send("OPTIONS", self.normal, kind="preflight", headers=headers, addr=addr)
            if resp is not None and resp.status_code == 429:
                self.hit("RATE005", f"OPTIONS {self.normal}: preflight answered 429 after {i} preflights")
                return

    def check_canaries_sent(self) -> None:
        # The auth attempts carry every canary; make sure they were sent at least once elsewhere too.
        headers = {
            "Authorization": "Bearer " + self.canaries["Authorization header"],
            "Cookie": "session=" + self.canaries["Cookie header"],
        }
        query = {"token": self.canaries["?token= query string"]}
        self.send("GET", self.normal or self._api_path("canary"), kind="canary", headers=headers, query=query)
        if not self.auth:
            self.send(
                "POST",
                self._api_path("canary"),
                kind="canary",
                headers=headers,
                query=query,
                json_body={"email": PROBE_EMAIL, "password": self.canaries["password sent in the JSON body"]},
            )
