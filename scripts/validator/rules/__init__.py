"""The static rules. Each rule is one small function over the project model, registered with ``@rule``
(``registry.py``); the modules below group them by concern, like the scanners in ``scan/`` that fill the
model. Adding a rule = one function in one of these modules, its doc page ``docs/rules/<CODE>.md`` and
its tests in ``tests/validator/rules/``.
"""

from __future__ import annotations

import sys

from ..findings import Finding
from .registry import RULES, Rule

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable


def _load():
    from . import app_factory, cors, dependencies, headers, parse, rate_limit, request_logging  # noqa: F401


def all_rules() -> dict[str, Rule]:
    # Always: importing one rule module on its own (live/rules.py reads rules.headers) registers only
    # its rules, so "RULES is not empty" does not mean "every module is loaded". Re-imports are free.
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
