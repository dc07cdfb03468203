"""PARSE001: a file the checker could not read or parse (reported, never fatal)."""

from __future__ import annotations

from .registry import hit, rule


@rule(
    "PARSE001",
    "info",
    "file could not be parsed and was skipped",
    fix="Fix the syntax/encoding, or exclude the file (exclude: in .flask-middleware.yml).",
)
def parse_problem(project):
    for path, line, col, reason in project.parse_problems:
        yield hit((path, line, col), f"not analysed: {reason}")
