"""The rule registry: each rule is a function over the project model registered with ``@rule``.

A rule function takes the ``Project`` and yields ``Hit``s (where, what); the registry knows each rule's
code, severity, summary and fix hint, and ``run_rules`` (``__init__``) turns hits into ``Finding``s.
"""

from __future__ import annotations

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
