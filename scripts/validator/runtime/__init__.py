"""Runtime audit (``validate.py --app IMPORT [PATH]``): build the app, probe it with Flask's test
client (no network), report in the static scan's formats and rule codes.

Flask is imported only here, and only when ``--app`` is given, so the static validator keeps working
without Flask installed. See docs/validator.md, section "Runtime audit (--app)".
"""

from __future__ import annotations

import os
import sys

from ..config import Config, UsageError, discover_config, load_config_file
from ..findings import Finding, at_or_above
from ..report import formatter, summarize
from ..suppressions import rule_filter, split_codes


def _artifact(module, root: str, relative_to: str) -> str:
    """The app module's file, relative to ``relative_to`` (POSIX): a real file SARIF can point at."""
    path = getattr(module, "__file__", None)
    if not path:
        return module.__name__.replace(".", "/") + ".py"
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(relative_to))
    return rel.replace(os.sep, "/")


def run_app(args) -> int:
    """Entry point from cli.main when ``--app`` is given. Raises UsageError for exit status 2."""
    from .rules import register

    rules = register()
    if len(args.paths) > 1:
        raise UsageError("--app takes at most one PATH (the directory to import the app from)")
    root = args.paths[0] if args.paths else "."
    if not os.path.isdir(root):
        raise UsageError(f"{root}: no such directory")
    cfg_path = args.config or discover_config(root)
    cfg = load_config_file(cfg_path) if cfg_path else Config()
    try:
        enabled = rule_filter(cfg, split_codes(args.select), split_codes(args.ignore), rules)
    except ValueError as exc:
        raise UsageError(str(exc)) from None

    from .loader import AppLoadError, load_app

    try:
        app, module = load_app(args.app, root)
    except AppLoadError as exc:
        raise UsageError(f"--app {args.app}: {exc}") from None

    from .capture import Capture
    from .probe import Probe

    # With TESTING (or DEBUG) on, Flask re-raises view exceptions into the test client, which would
    # hide the 500 a production server answers. Probe the app as production serves it.
    app.testing = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with Capture() as capture:
        probe = Probe(app, cfg, capture)
        probe.run_all()

    path_json = _artifact(module, root, root)
    path_cwd = _artifact(module, root, ".")
    findings, shown = [], []
    for code, message, hint in probe.hits:
        if not enabled(code):
            continue
        r = rules[code]
        findings.append(Finding(code, r.severity, path_json, 1, 1, message, hint or r.fix))
    findings.sort(key=lambda f: (-f.rank, f.rule, f.message))
    shown = (
        findings
        if args.format == "json"
        else [Finding(f.rule, f.severity, path_cwd, f.line, f.column, f.message, f.hint) for f in findings]
    )
    notes = [f"--app {args.app}: {probe.requests_sent} requests sent through Flask's test client"]
    notes.extend(probe.notes)
    summary = summarize(shown, 1, notes)
    if args.format == "json":
        summary["roots"] = [os.path.normpath(root)]
        summary["app"] = args.app
    for note in notes if args.format != "text" else []:
        print(f"validate.py: note: {note}", file=sys.stderr)
    sys.stdout.write(formatter(args.format)(shown, summary, rules))
    sys.stdout.flush()
    return 1 if at_or_above(findings, args.fail_on) else 0


__all__ = ["run_app"]
