"""GitHub Actions workflow commands: one ::error/::warning/::notice annotation per finding."""

from __future__ import annotations

from ..findings import is_url

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_prop(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def render(findings, summary, rules=None) -> str:
    out = []
    for f in findings:
        msg = f.message + (f" (hint: {f.hint})" if f.hint else "")
        if is_url(f.path):  # no file to annotate: a workflow-level annotation naming the URL
            out.append(f"::{LEVEL[f.severity]} title={_escape_prop(f.rule)}::{_escape_data(f.path + ': ' + msg)}")
            continue
        out.append(
            f"::{LEVEL[f.severity]} file={_escape_prop(f.path)},line={f.line},col={f.column},"
            f"title={_escape_prop(f.rule)}::{_escape_data(msg)}"
        )
    c = summary["by_severity"]
    out.append(f"{summary['total']} finding(s): {c['error']} error, {c['warning']} warning, {c['info']} info")
    return "\n".join(out) + "\n"
