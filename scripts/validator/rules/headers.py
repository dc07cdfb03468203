"""Security-header rules."""

from __future__ import annotations

from ..astutil import UNKNOWN
from ..model import SECURITY_HEADERS
from .dependencies import upper_bound
from .registry import hit, rule

RECOMMENDED = (
    ("X-Content-Type-Options", ("x-content-type-options",)),
    ("X-Frame-Options or CSP frame-ancestors", ("x-frame-options", "csp:frame-ancestors")),
    ("Strict-Transport-Security", ("strict-transport-security",)),
    ("Content-Security-Policy", ("content-security-policy",)),
    ("Referrer-Policy", ("referrer-policy",)),
)
# flask-talisman keyword -> header it controls (all on by default)
TALISMAN_DEFAULTS = {
    "content_type_options": "x-content-type-options",
    "frame_options": "x-frame-options",
    "strict_transport_security": "strict-transport-security",
    "content_security_policy": "content-security-policy",
    "referrer_policy": "referrer-policy",
}


def _disabled(value) -> bool:
    """A Talisman option turned off: None, False, "" or an empty policy."""
    return value is None or value is False or value == "" or value == {}


def set_headers(project) -> set[str]:
    names: set[str] = set()
    for h in project.header_ops:
        if h.op in ("set", "setdefault", "add"):
            low = h.name.lower()
            names.add(low)
            if low == "content-security-policy" and isinstance(h.value, str) and "frame-ancestors" in h.value:
                names.add("csp:frame-ancestors")
    for lib in project.header_libs:
        if lib.kind == "secure":
            names.update(n for _, group in RECOMMENDED for n in group)
            continue
        if lib.kind == "sslify":
            names.add("strict-transport-security")
            continue
        for kw, header in TALISMAN_DEFAULTS.items():
            if lib.kind == "talisman-view" or kw not in lib.options or not _disabled(lib.options[kw]):
                names.add(header)
    for conf in project.server_confs:
        for low, (value, _line) in conf.headers.items():
            names.add(low)
            if low == "content-security-policy" and "frame-ancestors" in value:
                names.add("csp:frame-ancestors")
    return names


RESPONSE_HOOKS = ("after_request", "after_app_request")


def hook_header_writes(project) -> list:
    """Computed-name header writes made by a response hook (searxng copies settings.yml's headers,
    pgAdmin takes the names from config values). The same write in a view sets that view's headers only
    (httpbin's /response-headers, Mailu's nginx auth answers)."""
    hook_funcs = {id(h.func) for h in project.hooks if h.kind in RESPONSE_HOOKS and h.func is not None}
    hook_names = {(h.target or "").rsplit(".", 1)[-1] for h in project.hooks if h.kind in RESPONSE_HOOKS}
    return [
        w
        for w in project.computed_header_writes
        if w.func is not None and (id(w.func) in hook_funcs or getattr(w.func, "name", None) in hook_names)
    ]


def has_mechanism(project) -> bool:
    return (
        bool(project.header_libs)
        or bool(hook_header_writes(project))
        or any(h.name.lower() in SECURITY_HEADERS for h in project.header_ops)
        or any(SECURITY_HEADERS.intersection(c.headers) for c in project.server_confs)
    )


@rule(
    "HDR001",
    "warning",
    "no security-header mechanism at all",
    fix="Add an after_request hook that setdefault()s the headers (or flask-talisman / server add_header).",
)
def no_mechanism(project):
    if not has_mechanism(project):
        yield hit(
            project.anchor,
            "nothing sets security headers: no response hook, flask-talisman, `secure` or server config "
            "(nginx add_header, Apache Header set) in the repository sets any of them",
        )


@rule(
    "HDR002",
    "warning",
    "a recommended security header is never set",
    fix="Set X-Content-Type-Options: nosniff, X-Frame-Options: DENY (or CSP frame-ancestors), "
    "Strict-Transport-Security, Content-Security-Policy and Referrer-Policy.",
)
def missing_headers(project):
    # Judged on its own: with no mechanism at all (HDR001) all five are missing, and this finding names them.
    names = set_headers(project)
    missing = [label for label, group in RECOMMENDED if not (set(group) & names)]
    if missing:
        writes = [h for h in project.header_ops if h.op in ("set", "setdefault", "add")]
        where = (
            project.header_libs[0]
            if project.header_libs
            else next((h for h in writes if h.name.lower() in SECURITY_HEADERS), None)
            or next(iter(hook_header_writes(project)), None)
        )
        target = where if where is not None else project.anchor
        note = ""
        if hook_header_writes(project):
            w = hook_header_writes(project)[0]
            note = f" (not counted: headers whose names are computed at run time, {w.module.rel}:{w.line})"
        yield hit(target, "never set: " + ", ".join(missing) + note)


@rule(
    "HDR003",
    "warning",
    "the Server header is not suppressed where the server adds it",
    fix="Suppress it in the server: a gunicorn.conf.py patching gunicorn.http.wsgi.Response.default_headers, "
    "nginx `server_tokens off` in front (it drops the upstream Server), Apache `ServerTokens Prod`, a "
    "Werkzeug request handler overriding version_string, waitress `ident=''`; popping it in Flask removes nothing.",
)
def server_header(project):
    if project.server_header_suppression:
        return
    pops = [h for h in project.header_ops if h.op in ("pop", "del", "remove") and h.name.lower() == "server"]
    for h in pops:
        yield hit(
            h,
            f"{h.op} of the Server header in Flask code is ineffective: the WSGI server "
            "(gunicorn, Werkzeug) adds Server after Flask returns",
        )
    if pops:
        return
    announcing = [s for s in project.servers if s.header]
    if project.servers and not announcing:
        return  # served only by servers that send no Server header of their own (gevent's pywsgi, mod_wsgi)
    if announcing:
        # Name the production server (a Dockerfile's gunicorn, waitress.serve) before a dev-only app.run().
        s = min(announcing, key=lambda s: s.server == "werkzeug")
        yield hit(
            (s.rel, s.line, 1),
            f"served by {s.server} ({s.text}), which sends `{s.header}`, and "
            "nothing in the repository removes it (no gunicorn patch, nginx server_tokens off, Apache ServerTokens "
            "Prod)",
        )
        return
    yield hit(
        project.anchor,
        "nothing in the repository suppresses the Server header: gunicorn and the Werkzeug server send one "
        "(with a version), and no gunicorn patch, nginx server_tokens off or Apache ServerTokens Prod is shipped",
    )


def _talisman_pinned_old(project) -> bool:
    for req in project.requirements:
        if req.name in ("flask-talisman", "talisman"):
            bound = upper_bound(req.spec, req.kind)
            # x_xss_protection defaulted to True until 1.1.0 (flask_talisman/talisman.py at v1.0.0 and v1.1.0)
            if bound and (bound[0] < (1, 1, 0) if bound[1] else bound[0] <= (1, 1, 0)):
                return True
    return False


@rule(
    "HDR004",
    "warning",
    "deprecated X-XSS-Protection: 1; mode=block",
    fix="Send X-XSS-Protection: 0 (the XSS auditor is gone and mode=block enabled XS-leaks); rely on CSP.",
)
def xss_protection(project):
    for h in project.header_ops:
        if (
            h.name.lower() == "x-xss-protection"
            and h.op in ("set", "setdefault", "add")
            and isinstance(h.value, str)
            and h.value.strip().startswith("1")
        ):
            yield hit(h, f"X-XSS-Protection: {h.value} is deprecated and can create XS-leaks; send 0")
    for assign in project.config_assigns():
        # pgAdmin: X_XSS_PROTECTION = "1; mode=block" in config.py, sent by a hook reading the config
        if assign.key.replace("_", "-").lower() == "x-xss-protection" and str(assign.value).strip().startswith("1"):
            yield hit(assign, f"X-XSS-Protection: {assign.value} is configured ({assign.key}); send 0")
    for conf in project.server_confs:
        value = conf.headers.get("x-xss-protection")
        if value and value[0].strip().startswith("1"):
            yield hit((conf.rel, value[1], 1), f"X-XSS-Protection: {value[0]} is deprecated; send 0")
    old = _talisman_pinned_old(project)
    for lib in project.header_libs:
        if lib.kind != "talisman":
            continue
        value = lib.options.get("x_xss_protection", UNKNOWN)
        explicit_on = value is True
        if explicit_on or (old and "x_xss_protection" not in lib.options):
            why = "x_xss_protection=True" if explicit_on else "flask-talisman < 1.1 (pinned) sends it by default"
            yield hit(lib, f"Talisman sends X-XSS-Protection: 1; mode=block ({why})")
