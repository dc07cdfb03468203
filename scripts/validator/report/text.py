from __future__ import annotations


def render(findings, summary, rules=None) -> str:
    lines = []
    for f in findings:
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.rule} [{f.severity}] {f.message}")
        if f.hint:
            lines.append(f"    hint: {f.hint}")
    for note in summary.get("notes", []):
        lines.append(f"note: {note}")
    c = summary["by_severity"]
    lines.append(
        f"{summary['total']} finding(s): {c['error']} error, {c['warning']} warning, {c['info']} info "
        f"({summary['files_scanned']} file(s) scanned)"
    )
    return "\n".join(lines) + "\n"
