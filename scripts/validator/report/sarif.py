"""SARIF 2.1.0 (OASIS errata01 schema), one run, rules in tool.driver.rules."""

from __future__ import annotations

import json

from .. import __version__
from ..findings import is_url

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _location(f) -> dict:
    if is_url(f.path):  # a live-audit finding: the absolute URL, no source region
        return {"physicalLocation": {"artifactLocation": {"uri": f.path}}}
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": max(f.line, 1), "startColumn": max(f.column, 1)},
        }
    }


def render(findings, summary, rules=None) -> str:
    rules = rules or {}
    used = sorted({f.rule for f in findings} | set(rules))
    index = {code: i for i, code in enumerate(used)}
    descriptors = []
    for code in used:
        r = rules.get(code)
        d = {
            "id": code,
            "name": code,
            "shortDescription": {"text": r.summary if r else code},
            "helpUri": f"https://github.com/7a336e6e/skills/blob/main/docs/rules/{code}.md",
            "defaultConfiguration": {"level": LEVEL[r.severity] if r else "warning"},
        }
        if r and r.fix:
            d["help"] = {"text": r.fix}
        descriptors.append(d)
    results = []
    for f in findings:
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": LEVEL[f.severity],
                "message": {"text": f.message + (f" Hint: {f.hint}" if f.hint else "")},
                "locations": [_location(f)],
            }
        )
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "flask-middleware-validator",
                        "version": __version__,
                        "informationUri": "https://github.com/7a336e6e/skills",
                        "rules": descriptors,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2) + "\n"
