"""Report formatters. Each takes a list of Finding (plus a small summary dict) and returns text."""

from __future__ import annotations

FORMATS = ("github", "json", "sarif", "text")


def formatter(name: str):
    """The ``render(findings, summary, rules)`` of a format. Only the chosen format's module is imported
    (json and sarif need the json package; a run uses one format)."""
    if name == "json":
        from .json_format import render
    elif name == "sarif":
        from .sarif import render
    elif name == "github":
        from .github import render
    elif name == "text":
        from .text import render
    else:
        raise KeyError(name)
    return render


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
