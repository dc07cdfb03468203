"""Command line: ``python scripts/validate.py [PATH ...]``. See ``--help``."""

from __future__ import annotations

import gc
import os
import sys

from . import __version__, discovery
from .config import Config, UsageError, discover_config, load_config_file
from .findings import SEVERITIES, at_or_above, sort_key
from .pipeline import build_model
from .report import FORMATS, formatter, summarize
from .rules import all_rules, run_rules
from .suppressions import apply as apply_suppressions
from .suppressions import rule_filter, split_codes

DOCS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "docs", "rules")

DESCRIPTION = """\
Statically check a Flask repository's middleware: CORS, rate limiting, security headers, request
logging/request IDs, app-factory wiring and vulnerable pins. Reads source and config text only; never
imports or runs the target's code. Needs Python >= 3.9 (PyYAML only to read a config file)."""

EPILOG = """\
rules (--list-rules for the table, --explain CODE for the full page):
{rules}

exit status:
  0  no finding at or above --fail-on (default: warning)
  1  findings at or above --fail-on
  2  usage error, bad config file, missing/unreadable path, a --url that does not answer

config file: .flask-middleware.yml (or .yaml) at the scanned root, or --config FILE:
  select: [CORS, RATE001]          # only these codes/prefixes
  ignore: [LOG001]
  per-path-ignores: {{"legacy/*.py": [APP001]}}
  auth-route-patterns: ["^/api/v1/keys"]   # extra regexes for authentication routes
  rate-limit-decorators: [my_throttle]     # custom decorators that count as rate limits
  production-config: [LiveConfig, "deploy/settings_*.py"]
  exclude: ["examples/**"]
  live-paths: {{api: /api/health, login: /api/auth/login}}   # --url: like --path
  live-origin: https://app.example.com                     # --url: like --origin

suppress one line: `# fmw: ignore[CORS004]`, `# fmw: ignore` (all), or `# noqa: CORS004`.
excluded by default: tests/, tests.py, test_*.py, *_test.py, conftest.py, migrations/, virtualenvs (.venv, venv,
any dir with pyvenv.cfg), site-packages and pip --target dirs (*.dist-info inside), node_modules, .git,
build, dist, vendor, third_party, .tox, .nox; files over 2 MB (reported as PARSE001).

examples:
  python scripts/validate.py                      # the current directory
  python scripts/validate.py --format github .    # GitHub Actions annotations
  python scripts/validate.py --format sarif . > results.sarif
  python scripts/validate.py --select CORS,RATE --fail-on error src/
  python scripts/validate.py --explain CORS005
Docs: docs/validator.md and docs/rules/<CODE>.md."""


LIVE_TIMEOUT, LIVE_DEADLINE = 10.0, 60.0  # seconds: per request, and for the whole --url run
LIVE_HELP = """\
Probe a running deployment the way a browser and an attacker see it (standard library HTTP, TLS
verified unless --insecure, redirects followed on the same host only). At most {per_host} requests per
host without --burst: the {probes}-request probe set plus same-host redirect hops. The probe set:
GET the URL; GET --path api and html; GET <api prefix>/__fmw_probe__/missing (404); GET --path
login (405); 3 GETs with a hostile X-Request-ID (a line break, 1,000 characters, non-ASCII); GET
the API path from Origin https://evil.example and null; GET the HTML page from evil.example; a
preflight on the login (else API) path from evil.example; GET API, GET HTML and a preflight from
--origin (else the site's own origin). A 2xx JSON or HTML answer at the URL makes it the API path
or the HTML page, a password form there gives the login path. --burst N (opt-in) adds up to N
POSTs to the login path, 1 preflight after its 429 and up to N preflights to the API path
({per_host} + 2N + 1 per host). Findings: HDR001-004, CORS001-004, LOG001, LOG004, RATE002,
RATE005, RATE006, APP002, located at the URL. Exit 2 when the URL does not answer (refused,
timeout, reset, not HTTP, TLS failure) or is not a valid http(s) URL."""


def _terminal_width() -> int:
    """``shutil.get_terminal_size().columns`` without importing shutil (bz2, lzma, ...: ~3 ms a run)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Args:
    """The parsed command line: what argparse's Namespace would hold, for the fast path below."""

    def __init__(self):
        self.paths, self.select, self.ignore = [], None, None
        self.format, self.fail_on, self.config = "text", "warning", None
        self.list_rules, self.explain, self.app, self.full_parse = False, None, None, False
        # --url (live audit) options: argparse's defaults, so the two parsers give the same Namespace
        self.url, self.path, self.origin, self.burst = None, None, None, 0
        self.timeout, self.deadline, self.insecure = LIVE_TIMEOUT, LIVE_DEADLINE, False


_VALUED = {"--format": ("format", FORMATS), "--fail-on": ("fail_on", SEVERITIES), "--config": ("config", None)}


def fast_parse(argv: list[str]):
    """Parse the everyday command line (paths, --format, --select, --ignore, --fail-on, --config) without
    argparse, whose import with gettext and locale is ~10% of a small repository's scan. Anything else
    (help, errors, abbreviations, ``--``, a value or path starting with ``-``) returns None and goes to
    argparse, so the two never disagree on a command line this accepts: a test compares them."""
    args = _Args()
    it = iter(argv)
    paths_done = False  # argparse takes PATH... as one run: a path after "a --format json" is an error
    for arg in it:
        if not arg.startswith("-"):
            if paths_done:
                return None
            args.paths.append(arg)
            continue
        paths_done = bool(args.paths)
        name, eq, value = arg.partition("=")
        if name == "--full-parse" and not eq:
            args.full_parse = True
            continue
        if name not in _VALUED and name not in ("--select", "--ignore"):
            return None
        if not eq:
            value = next(it, None)
            if value is None or value.startswith("-"):
                return None
        if name in ("--select", "--ignore"):
            attr = name[2:]
            setattr(args, attr, (getattr(args, attr) or []) + [value])
            continue
        attr, choices = _VALUED[name]
        if choices is not None and value not in choices:
            return None
        setattr(args, attr, value)
    return args


def _live_arguments(p) -> None:
    """The --url options, in their own help section with the probe set."""
    from .live import PROBE_SET_SIZE, max_requests_per_host

    live = p.add_argument_group(
        "live audit (--url)",
        LIVE_HELP.format(per_host=max_requests_per_host(), probes=PROBE_SET_SIZE),
    )
    live.add_argument(
        "--url",
        action="append",
        metavar="URL",
        help="audit this running http(s) deployment over the network instead of scanning files; repeatable",
    )
    live.add_argument(
        "--path",
        action="append",
        metavar="KIND=PATH",
        help="api=/api/health, html=/, login=/api/auth/login: paths on the host to probe (config: live-paths)",
    )
    live.add_argument(
        "--origin",
        metavar="ORIGIN",
        help="an origin the site allows (https://app.example.com), for the allowed-origin checks "
        "(config: live-origin)",
    )
    live.add_argument(
        "--burst",
        type=int,
        default=0,
        metavar="N",
        help="opt in to the rate-limit probe: up to N POSTs to the login path, 1 preflight after the 429, "
        "up to N preflights to the API path",
    )
    live.add_argument("--timeout", type=float, default=LIVE_TIMEOUT, metavar="S", help="per request (default 10)")
    live.add_argument("--deadline", type=float, default=LIVE_DEADLINE, metavar="S", help="whole run (default 60)")
    live.add_argument("--insecure", action="store_true", help="do not verify TLS certificates (said in the output)")


def build_parser():
    import argparse  # only for --help, errors and uncommon command lines: see fast_parse

    class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
        # argparse creates a formatter for every add_argument() and, given no width, sizes it via shutil.
        def __init__(self, prog, indent_increment=2, max_help_position=24, width=None):
            width = _terminal_width() - 2 if width is None else width
            super().__init__(prog, indent_increment, max_help_position, width)

    rules = all_rules()
    table = "\n".join(f"  {r.code:<8} {r.severity:<7} {r.summary}" for r in rules.values())
    p = argparse.ArgumentParser(
        prog="validate.py",
        description=DESCRIPTION,
        epilog=EPILOG.format(rules=table),
        formatter_class=_HelpFormatter,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="repositories, directories or files (default: .)")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default): path:line:col: RULE message + hint; json; sarif (2.1.0); "
        "github (workflow-command annotations)",
    )
    p.add_argument(
        "--select",
        action="append",
        metavar="CODES",
        help="only these rule codes or prefixes, comma-separated (e.g. CORS,RATE001)",
    )
    p.add_argument("--ignore", action="append", metavar="CODES", help="skip these rule codes or prefixes")
    p.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        default="warning",
        help="lowest severity that makes the exit status 1 (default: warning)",
    )
    p.add_argument(
        "--config",
        metavar="FILE",
        help="YAML config file (default: .flask-middleware.y(a)ml at the scanned root)",
    )
    p.add_argument("--list-rules", action="store_true", help="print the rules with severity and summary")
    p.add_argument("--explain", metavar="RULE", help="print the documentation page of a rule")
    p.add_argument(
        "--app",
        metavar="IMPORT",
        help="runtime audit instead of the static scan: build the app named as for flask --app "
        "(module, module:app, \"app:create_app('testing')\"; a factory taking a config class: "
        "microblog:create_app, \"app:create_app(config.TestConfig)\") from PATH and probe it with Flask's "
        "test client (docs/validator.md, Runtime audit)",
    )
    _live_arguments(p)
    p.add_argument("--full-parse", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def documented_rules() -> dict:
    """Every rule with a page: the static ones and those only --app can observe."""
    from .runtime.rules import register  # no Flask import: just the runtime rules' metadata

    return register()


def explain(code: str) -> int:
    rules = documented_rules()
    code = code.strip().upper()
    if code not in rules:
        raise UsageError(f"unknown rule {code!r}; known: {', '.join(rules)}")
    path = os.path.join(DOCS_DIR, f"{code}.md")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as fh:
            sys.stdout.write(fh.read())
    else:
        r = rules[code]
        sys.stdout.write(f"# {code} ({r.severity})\n\n{r.summary}\n\nFix: {r.fix}\n")
    return 0


def list_rules() -> int:
    for r in documented_rules().values():
        print(f"{r.code:<8} {r.severity:<7} {r.summary}")
    return 0


def scan(path: str, args, cli_select, cli_ignore):
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such file or directory")
    if os.path.isdir(path):
        root, files = path, None
        if not os.access(path, os.R_OK | os.X_OK):
            raise UsageError(f"{path}: directory is not readable")
    else:
        root = os.path.dirname(path) or "."
        files = discovery.single_file(path)
        if not os.access(path, os.R_OK):
            raise UsageError(f"{path}: file is not readable")
    cfg_path = args.config or discover_config(root)
    cfg = load_config_file(cfg_path) if cfg_path else Config()
    try:
        enabled = rule_filter(cfg, cli_select, cli_ignore, all_rules())
    except ValueError as exc:
        raise UsageError(str(exc)) from None

    # The scan builds and keeps many AST nodes, so the cyclic garbage collector would rescan a growing
    # heap again and again (5-10% of the time on a large tree) for no garbage: it is paused meanwhile.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        project = build_model(root, cfg, files, lazy=not args.full_parse)
        findings = run_rules(project, enabled)
    finally:
        if gc_was_enabled:
            gc.enable()
    lines_by_path = {m.rel: m.lines for m in project.modules}

    def read_line(rel, lineno):
        lines = lines_by_path.get(rel)
        if lines is None:
            try:
                with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
                    lines = fh.read(discovery.MAX_BYTES).splitlines()
            except OSError:
                lines = []
            lines_by_path[rel] = lines
        return lines[lineno - 1] if 0 < lineno <= len(lines) else ""

    findings = apply_suppressions(findings, read_line, cfg.per_path_ignores)
    notes = []
    if not project.is_flask:
        notes.append(f"{path}: {project.not_flask}; no Flask rules were applied")
    nfiles = max(len(project.modules), project.files_seen) + len(project.parse_problems)
    return root, findings, nfiles, notes


def main(argv=None) -> int:
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        args = fast_parse(argv) or build_parser().parse_args(argv)
        if args.list_rules:
            return list_rules()
        if args.explain:
            return explain(args.explain)
        if args.url:
            from .live import run_live

            return run_live(args)
        live_only = (args.path, args.origin, args.burst, args.insecure, args.timeout != LIVE_TIMEOUT,
                     args.deadline != LIVE_DEADLINE)
        if any(live_only):
            raise UsageError("--path, --origin, --burst, --insecure, --timeout and --deadline go with --url")
        if args.app is not None:
            from .runtime import run_app

            return run_app(args)
        cli_select, cli_ignore = split_codes(args.select), split_codes(args.ignore)
        all_findings, shown, notes, nfiles = [], [], [], 0
        paths = args.paths or ["."]
        for path in paths:
            root, findings, n, path_notes = scan(path, args, cli_select, cli_ignore)
            nfiles += n
            notes.extend(path_notes)
            findings.sort(key=sort_key)
            all_findings.extend(findings)
            if args.format == "json":
                shown.extend(findings)
            else:
                # text/github/sarif locate files from the current directory
                prefix = "" if os.path.normpath(root) == "." else os.path.normpath(root)
                for f in findings:
                    shown.append(
                        f.__class__(
                            f.rule,
                            f.severity,
                            (prefix + "/" + f.path if prefix else f.path).replace(os.sep, "/"),
                            f.line,
                            f.column,
                            f.message,
                            f.hint,
                        )
                    )
        summary = summarize(shown, nfiles, notes)
        if args.format == "json":
            summary["roots"] = [os.path.normpath(p) for p in paths]
        for note in notes if args.format != "text" else []:
            print(f"validate.py: note: {note}", file=sys.stderr)
        out = formatter(args.format)(shown, summary, all_rules())
        sys.stdout.write(out)
        sys.stdout.flush()
        return 1 if at_or_above(all_findings, args.fail_on) else 0
    except UsageError as exc:
        print(f"validate.py: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # never a traceback
        import textwrap  # only on this path: ~1.5 ms of start-up otherwise

        print(
            textwrap.shorten(f"validate.py: internal error: {type(exc).__name__}: {exc}", 300),
            file=sys.stderr,
        )
        return 2


def run() -> None:
    """The command: main(), then exit without tearing down the syntax trees and facts one by one. Freeing a
    large repository's model object by object takes longer than some whole scans (0.2-0.3 s on 200k
    lines); the output is flushed first, and nothing else is left to clean up."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        code = code or 1
    os._exit(code)
