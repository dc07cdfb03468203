"""Inline and per-path suppressions.

* ``# fmw: ignore[CODE1,CODE2]`` on the finding's line suppresses those codes (prefixes allowed:
  ``[CORS]``); a bare ``# fmw: ignore`` suppresses every finding on the line.
* ruff/flake8 style ``# noqa: CODE1, CODE2`` is honoured when it names one of our codes (a bare
  ``# noqa`` is left to the linters and does not silence the validator).
* ``per-path-ignores`` in the config file: ``{glob: [codes]}``.
"""

from __future__ import annotations

import fnmatch
import re

from .findings import Finding
from .lazyre import lazy

_FMW = lazy(r"#\s*fmw:\s*ignore(?:\[([A-Za-z0-9_,\s]*)\])?", re.I)
_NOQA = lazy(r"#\s*noqa:\s*([A-Z0-9_,\s]+)", re.I)


def codes_match(code: str, selectors) -> bool:
    return any(code == s or code.startswith(s) for s in selectors if s)


def split_codes(values) -> list[str]:
    """--select/--ignore values (repeatable, comma-separated) as upper-case codes or prefixes."""
    out = []
    for v in values or []:
        out.extend(c.strip().upper() for c in v.split(",") if c.strip())
    return out


def rule_filter(cfg, cli_select, cli_ignore, known):
    """Which rules report, for every mode: --select replaces the config file's select, --ignore adds
    to its ignore. A code or prefix that names no rule in ``known`` raises ValueError (the callers'
    usage error)."""
    select = list(cli_select) or cfg.select
    ignore = list(cfg.ignore) + list(cli_ignore)
    for code in list(select) + ignore:
        if not any(k.startswith(code) for k in known):
            raise ValueError(f"unknown rule code or prefix {code!r} (see --list-rules)")

    def enabled(code: str) -> bool:
        return (not select or codes_match(code, select)) and not codes_match(code, ignore)

    return enabled


def line_suppresses(line: str, code: str) -> bool:
    if "#" not in line:  # most flagged lines carry no comment: spare compiling the two patterns
        return False
    m = _FMW.search(line)
    if m:
        if m.group(1) is None:
            return True
        if codes_match(code, [c.strip().upper() for c in m.group(1).split(",")]):
            return True
    m = _NOQA.search(line)
    if m and codes_match(code, [c.strip().upper() for c in re.split(r"[,\s]+", m.group(1)) if c.strip()]):
        return True
    return False


def apply(findings: list[Finding], read_line, per_path_ignores: dict[str, list[str]]) -> list[Finding]:
    """read_line(path, lineno) -> str ('' when unknown)."""
    out = []
    for f in findings:
        if any(
            fnmatch.fnmatchcase(f.path, glob) and codes_match(f.rule, codes) for glob, codes in per_path_ignores.items()
        ):
            continue
        if line_suppresses(read_line(f.path, f.line), f.rule):
            continue
        out.append(f)
    return out
