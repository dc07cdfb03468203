from __future__ import annotations

from ..findings import is_url


def render(findings, summary, rules=None) -> str:
    lines = []
    for f in findings:
        where = f.path if is_url(f.path) else f"{f.path}:{f.line}:{f.column}"
        lines.append(f"{where}: {f.rule} [{f.severity}] {f.message}")
        if f.hint:
            lines.append(f"    hint: {f.hint}")
    for note in summary.get("notes", []):
        lines.append(f"note: {note}")
    c = summary["by_severity"]
    scope = f"{summary['files_scanned']} file(s) scanned"
    if "urls" in summary:  # a live audit (--url)
        scope = f"{len(summary['urls'])} URL(s) audited"
    lines.append(
        f"{summary['total']} finding(s): {c['error']} error, {c['warning']} warning, {c['info']} info ({scope})"
    )
    return "\n".join(lines) + "\n"
