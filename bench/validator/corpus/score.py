"""Score the validator against hand labels of real Flask applications, per repository and rule.

Usage: .venv/bin/python bench/validator/corpus/score.py [--apps DIR] [--write] [TREE ...]

Each labels/<tree>.yml holds a reviewer's verdict per catalogue rule (violation / ok / na, with the
evidence), judged against ../shared/spec/checks.md before the validator's output was looked at. The trees
are public repositories checked out at the labelled commit under --apps (default $BENCH_APPS or
/tmp/apps; fetched, never committed). A rule counts as reported for a repository when the validator
gives at least one finding of it (any severity). Per rule and repository:
    TP: labelled violation and reported     FN: labelled violation, not reported
    FP: reported, labelled ok or na         TN: neither
precision = TP / (TP + FP), recall = TP / (TP + FN). --write records the table in RESULTS.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
VALIDATE = REPO / "scripts" / "validate.py"
RULES = [
    *(f"CORS00{i}" for i in range(1, 5)),
    *(f"RATE00{i}" for i in range(1, 5)),
    *(f"HDR00{i}" for i in range(1, 5)),
    *(f"LOG00{i}" for i in range(1, 5)),
    "APP001",
]


def load_labels(names: list[str] | None = None) -> dict[str, dict]:
    labels = {}
    for path in sorted((HERE / "labels").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if names and data["tree"] not in names:
            continue
        missing = [r for r in RULES if r not in data["rules"]]
        if missing:
            raise SystemExit(f"{path.name}: no verdict for {', '.join(missing)}")
        labels[data["tree"]] = data
    return labels


def reported(tree: Path) -> dict[str, list[dict]]:
    proc = subprocess.run(
        [sys.executable, str(VALIDATE), str(tree), "--format", "json", "--fail-on", "info"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{tree}: validator exited {proc.returncode}: {proc.stderr.strip()}")
    by_rule: dict[str, list[dict]] = {}
    for f in json.loads(proc.stdout)["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
    return by_rule


def score(labels: dict[str, dict], apps: Path) -> tuple[dict, list[tuple]]:
    trees = [t for t in labels if (apps / t).is_dir()]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outputs = dict(zip(trees, pool.map(lambda t: reported(apps / t), trees)))
    counts = {rule: {"TP": 0, "FP": 0, "FN": 0, "TN": 0} for rule in RULES}
    rows = []
    for tree in trees:
        for rule in RULES:
            verdict = labels[tree]["rules"][rule]["verdict"]
            found = outputs[tree].get(rule, [])
            outcome = ("TP" if found else "FN") if verdict == "violation" else ("FP" if found else "TN")
            counts[rule][outcome] += 1
            if outcome in ("FP", "FN"):
                rows.append((tree, rule, outcome, labels[tree]["rules"][rule], found))
    return counts, rows


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "-"


def report(counts: dict, rows: list[tuple], ntrees: int) -> str:
    total = {k: sum(c[k] for c in counts.values()) for k in ("TP", "FP", "FN", "TN")}
    out = [
        f"{ntrees} repositories x {len(RULES)} rules: TP {total['TP']}, FP {total['FP']}, FN {total['FN']}, "
        f"TN {total['TN']}; precision {ratio(total['TP'], total['TP'] + total['FP'])}, "
        f"recall {ratio(total['TP'], total['TP'] + total['FN'])}",
        "",
        "| rule | TP | FP | FN | TN | precision | recall |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rule, c in counts.items():
        out.append(
            f"| {rule} | {c['TP']} | {c['FP']} | {c['FN']} | {c['TN']} | {ratio(c['TP'], c['TP'] + c['FP'])} | "
            f"{ratio(c['TP'], c['TP'] + c['FN'])} |"
        )
    out += ["", "Disagreements (FP: reported but labelled ok/na; FN: labelled violation, not reported):", ""]
    for tree, rule, outcome, label, found in rows:
        where = f"{found[0]['path']}:{found[0]['line']}" if found else ", ".join(label.get("where") or [])[:100]
        conf = " (low-confidence label)" if label.get("confidence") == "low" else ""
        out.append(f"- {tree} {rule} {outcome}{conf}: {where} - {label.get('why', '')}"[:400])
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    apps = Path(os.environ.get("BENCH_APPS", "/tmp/apps"))
    write = "--write" in argv
    argv = [a for a in argv if a != "--write"]
    if argv[:1] == ["--apps"]:
        apps, argv = Path(argv[1]), argv[2:]
    labels = load_labels(argv or None)
    counts, rows = score(labels, apps)
    text = report(counts, rows, len([t for t in labels if (apps / t).is_dir()]))
    sys.stdout.write(text)
    if write:
        (HERE / "RESULTS.md").write_text("# Validator vs hand labels\n\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
