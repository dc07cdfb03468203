"""The stable result type shared by the static checker, the report formatters and (later) runtime checks.

A ``Finding`` is plain data: ``rule`` (e.g. ``"CORS001"``), ``severity`` (``"error"``, ``"warning"`` or
``"info"``), ``path`` (POSIX, relative to the scanned root), 1-based ``line``, 1-based ``column``, a
one-sentence ``message`` and a ``hint`` saying how to fix it. Formatters take ``list[Finding]``.
"""

from __future__ import annotations

SEVERITIES = ("info", "warning", "error")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
FIELDS = ("rule", "severity", "path", "line", "column", "message", "hint")  # JSON key order


class Finding:
    # A plain class rather than a frozen dataclass: importing `dataclasses` costs ~15 ms of start-up.
    # Compared and hashed by value, like the dataclass was.
    __slots__ = ("column", "hint", "line", "message", "path", "rule", "severity")

    def __init__(self, rule: str, severity: str, path: str, line: int, column: int, message: str, hint: str = ""):
        self.rule = rule
        self.severity = severity
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        self.hint = hint

    def _key(self) -> tuple:
        return tuple(getattr(self, name) for name in FIELDS)

    def __eq__(self, other):
        return self._key() == other._key() if isinstance(other, Finding) else NotImplemented

    def __hash__(self):
        return hash(self._key())

    def __repr__(self):
        return "Finding({})".format(", ".join(repr(v) for v in self._key()))

    def to_dict(self) -> dict:
        """The JSON object of a finding, keys in field order."""
        return {name: getattr(self, name) for name in FIELDS}

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]


def is_url(path: str) -> bool:
    """A live-audit (--url) finding is located at the URL it was seen on, not in a file."""
    return "://" in path


def at_or_above(findings: list[Finding], level: str) -> list[Finding]:
    threshold = SEVERITY_RANK[level]
    return [f for f in findings if SEVERITY_RANK[f.severity] >= threshold]


def sort_key(f: Finding):
    return (f.path, f.line, f.column, f.rule)
