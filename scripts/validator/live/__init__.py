"""Live audit (``validate.py --url URL``): probe a running deployment over HTTP(S) the way a browser and
an attacker see it, and report with the static and ``--app`` modes' rule codes, formats and exit codes.

Standard library only (http.client, ssl). See docs/validator.md, section "Live audit (--url)", for the
probe set; probes.py sends it, rules.py judges it, http.py enforces the manners (budget, timeouts,
same-host redirects, TLS verification).
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit

from ..config import Config, UsageError, discover_config, load_config_file
from ..findings import Finding, at_or_above
from ..report import formatter, summarize
from ..suppressions import rule_filter, split_codes
from .http import Client, LiveError, check_url, host_key
from .probes import PROBE_SET_SIZE, LiveProbe

PATH_KINDS = ("api", "html", "login")
REDIRECT_ALLOWANCE = 5  # same-host redirect hops, counted in the per-host budget
MAX_BURST = 1000


def max_requests_per_host(burst: int = 0) -> int:
    """The documented ceiling: the probe set plus redirect hops; --burst N adds N POSTs, 1 preflight after
    the 429 and N preflights to the API path."""
    return PROBE_SET_SIZE + REDIRECT_ALLOWANCE + (2 * burst + 1 if burst else 0)


def parse_paths(values, configured: dict) -> dict:
    paths = dict(configured)
    for value in values or []:
        kind, eq, path = value.partition("=")
        kind = kind.strip().lower()
        if not eq or kind not in PATH_KINDS:
            raise UsageError(f"--path {value!r}: expected KIND=PATH with KIND one of {', '.join(PATH_KINDS)}")
        paths[kind] = path.strip()
    for kind, path in paths.items():
        if not path.startswith("/") or path.startswith("//") or any(c in path for c in " \r\n\t#"):
            raise UsageError(f"--path {kind}={path!r}: a path on the audited host starting with '/'")
    return paths


def _options(args):
    if args.paths or args.app is not None:
        raise UsageError("--url audits a running server: it takes no PATH and no --app")
    if not (0 < args.timeout <= 300) or not (0 < args.deadline <= 3600):
        raise UsageError("--timeout must be in (0, 300] and --deadline in (0, 3600] seconds")
    if not (0 <= args.burst <= MAX_BURST):
        raise UsageError(f"--burst must be between 0 (off) and {MAX_BURST}")
    cfg_path = args.config or discover_config(".")
    cfg = load_config_file(cfg_path) if cfg_path else Config()
    paths = parse_paths(args.path, cfg.live_paths)
    origin = args.origin or cfg.live_origin
    if origin:
        try:
            parts = urlsplit(check_url(origin))
        except LiveError:
            parts = None
        if parts is None or parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            raise UsageError(f"--origin {origin!r}: expected an origin like https://app.example.com") from None
        origin = origin.rstrip("/")
    return cfg, paths, origin


def run_live(args) -> int:
    """Entry point from cli.main when ``--url`` is given. Raises UsageError for exit status 2."""
    from ..runtime.rules import register

    rules = register()
    from .rules import CHECKS

    cfg, paths, origin = _options(args)
    try:
        enabled = rule_filter(cfg, split_codes(args.select), split_codes(args.ignore), rules)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    urls = []
    for url in args.url:
        try:
            urls.append(check_url(url))
        except LiveError as exc:
            raise UsageError(str(exc)) from None

    client = Client(args.timeout, args.deadline, args.insecure, max_requests_per_host(args.burst))
    findings, notes, audited, failed = [], [], [], []
    if args.insecure:
        notes.append("--insecure: TLS certificates were NOT verified; a man in the middle would go unnoticed")
    for url in urls:
        probe = LiveProbe(client, url, paths, origin, args.burst)
        try:
            probe.run()
        except LiveError as exc:
            if len(urls) == 1:
                raise UsageError(str(exc)) from None
            # One host down must not hide the others' findings: report them, then exit 2 for this one.
            failed.append(str(exc))
            continue
        audited.append(url)
        for check in CHECKS:
            for code, message in check(probe):
                if enabled(code):
                    r = rules[code]
                    findings.append(Finding(code, r.severity, url, 1, 1, message, r.fix))
        notes.extend(f"{url}: {n}" for n in probe.notes)
    for key, count in client.sent.items():
        notes.append(f"{count} request(s) sent to {key} (at most {max_requests_per_host(args.burst)})")
    findings = list(dict.fromkeys(findings))
    findings.sort(key=lambda f: (f.path, -f.rank, f.rule, f.message))
    summary = summarize(findings, 0, notes)
    summary["urls"] = audited
    if failed:
        summary["failed"] = failed  # JSON: the hosts that could not be audited, as on stderr
    if args.format != "text":
        for note in notes:
            print(f"validate.py: note: {note}", file=sys.stderr)
    sys.stdout.write(formatter(args.format)(findings, summary, rules))
    sys.stdout.flush()
    for error in failed:
        print(f"validate.py: error: {error}", file=sys.stderr)
    if failed:
        return 2
    return 1 if at_or_above(findings, args.fail_on) else 0


__all__ = ["host_key", "max_requests_per_host", "run_live"]
