"""Report formatters. Each takes a list of Finding (plus a small summary dict) and returns text."""

from __future__ import annotations

from . import github, json_format, sarif, text

FORMATTERS = {
    "text": text.render,
    "json": json_format.render,
    "sarif": sarif.render,
    "github": github.render,
}


def summarize(findings, files_scanned: int = 0, notes=None) -> dict:
    counts = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return {
        "files_scanned": files_scanned,
        "total": len(findings),
        "by_severity": counts,
        "notes": list(notes or []),
    }
