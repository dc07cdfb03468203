from __future__ import annotations

import json


def render(findings, summary, rules=None) -> str:
    data = {"findings": [f.to_dict() for f in findings]}
    data.update(summary)
    return json.dumps(data, indent=2) + "\n"
