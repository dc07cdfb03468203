"""Score the validator against hand labels of real Flask applications, per repository and rule.

Usage: .venv/bin/python bench/validator/corpus/score.py [--labels DIR] [--apps DIR] [--write FILE] [TREE ...]

Each labels/<tree>.yml holds a reviewer's verdict per catalogue rule (violation / ok / na, with the
evidence), judged against ../shared/spec/checks.md before the validator's output was looked at. The trees
are public repositories checked out at the labelled commit under --apps (default $BENCH_APPS or
/tmp/apps; fetched, never committed). A rule counts as reported for a repository when the validator
gives at least one finding of it (any severity). Per rule and repository:
    TP: labelled violation and reported     FN: labelled violation, not reported
    FP: reported, labelled ok or na         TN: neither
precision = TP / (TP + FP), recall = TP / (TP + FN). --write FILE records the tables and, per repository and
rule, what was judged and what the validator says (RESULTS.md, HOLDOUT.md). --labels: default labels/;
holdout/ holds the second set.
"""

from __future__ import annotations

import argparse
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


def load_labels(names: list[str] | None = None, directory: Path = HERE / "labels") -> dict[str, dict]:
    labels = {}
    for path in sorted(directory.glob("*.yml")):
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


def score(labels: dict[str, dict], apps: Path, outputs: dict | None = None) -> tuple[dict, list[tuple]]:
    trees = [t for t in labels if (apps / t).is_dir()]
    if outputs is None:
        outputs = run_all(trees, apps)
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


def run_all(trees: list[str], apps: Path) -> dict:
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(trees, pool.map(lambda t: reported(apps / t), trees)))


def matrix(labels: dict[str, dict], outputs: dict) -> str:
    """Per repository and rule: judged/reported, V = violation, - = none (ok or na), * = a low-confidence label."""
    out = ["| repository | " + " | ".join(RULES) + " |", "| --- |" + " :-: |" * len(RULES)]
    for tree in sorted(outputs, key=str.lower):
        cells = []
        for rule in RULES:
            label = labels[tree]["rules"][rule]
            judged = "V" if label["verdict"] == "violation" else "-"
            said = "V" if outputs[tree].get(rule) else "-"
            mark = "*" if label.get("confidence") == "low" else ""
            cell = f"{judged}/{said}{mark}"
            cells.append(f"**{cell}**" if judged != said else cell)
        out.append(f"| {labels[tree]['repo']} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


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


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=HERE / "labels", help="label directory (default labels/)")
    parser.add_argument(
        "--apps",
        type=Path,
        default=Path(os.environ.get("BENCH_APPS", "/tmp/apps")),
        help="where the labelled trees are checked out (default $BENCH_APPS or /tmp/apps)",
    )
    parser.add_argument("--write", type=Path, metavar="FILE", help="also record the report in FILE")
    parser.add_argument("trees", nargs="*", metavar="TREE", help="score only these labelled trees")
    args = parser.parse_args(argv)
    if not args.labels.is_dir():
        parser.error(f"--labels: not a directory: {args.labels}")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    apps, directory, write, names = args.apps, args.labels, args.write, args.trees
    labels = load_labels(names or None, directory)
    unknown = sorted(set(names) - set(labels))
    if unknown:
        raise SystemExit(f"no label in {directory} for: {', '.join(unknown)}")
    trees = [t for t in labels if (apps / t).is_dir()]
    absent = sorted(set(labels) - set(trees))
    if absent:  # scored on fewer repositories than labelled: say so, never silently
        print(
            f"note: {len(absent)} labelled tree(s) not under {apps}, not scored: {', '.join(absent)}", file=sys.stderr
        )
    outputs = run_all(trees, apps)
    counts, rows = score(labels, apps, outputs)
    text = report(counts, rows, len(trees))
    sys.stdout.write(text)
    if write:
        legend = (
            "Per repository and rule, judged/reported: V = violation, - = none (ok or na), * = low-confidence label; "
            "bold where they differ.\n\n"
        )
        write.write_text(f"# Validator vs hand labels ({directory.name}/)\n\n" + text + "\n" + legend
                         + matrix(labels, outputs), encoding="utf-8")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
