"""Rule registry. Each rule is one small function over the project model, registered with ``@rule``.

A rule function takes the ``Project`` and yields ``Hit``s; the registry turns them into ``Finding``s
with the rule's code and severity. Adding a rule = one function in one of the modules below, its doc
page in ``docs/rules/<CODE>.md`` and its tests.
"""

from __future__ import annotations

import sys

from ..findings import Finding

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable, Iterable


# Plain classes rather than frozen dataclasses: importing `dataclasses` costs ~15 ms of start-up.
class Hit:
    __slots__ = ("col", "hint", "line", "message", "path")

    def __init__(self, path: str, line: int, col: int, message: str, hint: str = ""):
        self.path = path
        self.line = line
        self.col = col
        self.message = message
        self.hint = hint

    def __repr__(self):
        return f"Hit({self.path}:{self.line}:{self.col}, {self.message!r})"


class Rule:
    __slots__ = ("check", "code", "fix", "severity", "summary")

    def __init__(self, code: str, severity: str, summary: str, check: Callable[..., Iterable[Hit]], fix: str = ""):
        self.code = code
        self.severity = severity
        self.summary = summary
        self.check = check
        self.fix = fix

    def __repr__(self):
        return f"Rule({self.code!r}, {self.severity!r})"


RULES: dict[str, Rule] = {}


def rule(code: str, severity: str, summary: str, fix: str = ""):
    def register(func):
        RULES[code] = Rule(code, severity, summary, func, fix)
        return func

    return register


def hit(where, message: str, hint: str = "") -> Hit:
    """``where``: a Fact/Route/HeaderOp/ConfigAssign (has .module/.line/.col) or (path, line, col)."""
    if isinstance(where, tuple):
        path, line, col = where[0], where[1], (where[2] if len(where) > 2 else 1)
    else:
        path = where.module.rel if hasattr(where, "module") else where.path
        line, col = where.line, getattr(where, "col", 1)
    return Hit(path, max(int(line or 1), 1), max(int(col or 1), 1), message, hint)


def _load():
    from . import app_factory, cors, dependencies, headers, logging_rules, parse, rate_limit  # noqa: F401


def all_rules() -> dict[str, Rule]:
    if not RULES:
        _load()
    return dict(sorted(RULES.items()))


def run_rules(project, enabled: Callable[[str], bool]) -> list[Finding]:
    findings: list[Finding] = []
    for code, r in all_rules().items():
        if not enabled(code):
            continue
        if not project.is_flask:
            continue  # not a Flask project: no findings at all (the CLI prints a note)
        try:
            hits = list(r.check(project))
        except (RecursionError, Exception) as exc:  # never a traceback for the user
            print(f"validate.py: internal error in rule {code}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        seen = set()
        for h in hits:
            key = (h.path, h.line, h.col, h.message)
            if key in seen:
                continue
            seen.add(key)
            findings.append(Finding(code, r.severity, h.path, h.line, h.col, h.message, h.hint or r.fix))
    return findings
