"""The stable result type shared by the static checker, the report formatters and (later) runtime checks.

A ``Finding`` is plain data: ``rule`` (e.g. ``"CORS001"``), ``severity`` (``"error"``, ``"warning"`` or
``"info"``), ``path`` (POSIX, relative to the scanned root), 1-based ``line``, 1-based ``column``, a
one-sentence ``message`` and a ``hint`` saying how to fix it. Formatters take ``list[Finding]``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    path: str
    line: int
    column: int
    message: str
    hint: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]


def at_or_above(findings: list[Finding], level: str) -> list[Finding]:
    threshold = SEVERITY_RANK[level]
    return [f for f in findings if SEVERITY_RANK[f.severity] >= threshold]


def sort_key(f: Finding):
    return (f.path, f.line, f.column, f.rule)
