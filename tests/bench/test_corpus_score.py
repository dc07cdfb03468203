"""bench/validator/corpus/score.py: the corpus figures in RESULTS.md/HOLDOUT.md come from this scorer, so its
counting is tested on a labelled tree made here (a real validator run, no recorded output)."""

import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SCORE = REPO / "bench" / "validator" / "corpus" / "score.py"
sys.path.insert(0, str(SCORE.parent))
from score import RULES  # noqa: E402

APP = """from flask import Flask, request


def create_app():
    app = Flask(__name__)

    @app.post("/login")
    def login():
        return {"user": request.form["username"]}

    return app
"""


def _label(tree: str, violations: set[str]) -> dict:
    verdict = {r: {"verdict": "violation" if r in violations else "na", "where": [], "why": "test"} for r in RULES}
    return {"tree": tree, "rules": verdict}


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCORE), *args], capture_output=True, text=True, timeout=120)


def test_scores_per_repository_and_rule_and_names_unscored_trees(tmp_path):
    apps, labels = tmp_path / "apps", tmp_path / "labels"
    (apps / "mini").mkdir(parents=True)
    (apps / "mini" / "app.py").write_text(APP)
    labels.mkdir()
    # RATE001 labelled and reported (TP); CORS001 labelled, not reported (FN); RATE002 reported, labelled na (FP)
    (labels / "mini.yml").write_text(yaml.safe_dump(_label("mini", {"RATE001", "CORS001"})))
    (labels / "gone.yml").write_text(yaml.safe_dump(_label("gone", set())))
    proc = _run("--labels", str(labels), "--apps", str(apps))
    assert proc.returncode == 0, proc.stderr
    rows = {line.split(" | ")[0].strip("| "): line for line in proc.stdout.splitlines() if line.startswith("| ")}
    assert rows["RATE001"].startswith("| RATE001 | 1 | 0 | 0 | 0 |")
    assert rows["CORS001"].startswith("| CORS001 | 0 | 0 | 1 | 0 |")
    assert rows["RATE002"].startswith("| RATE002 | 0 | 1 | 0 | 0 |")
    assert proc.stdout.startswith("1 repositories x 17 rules")
    assert "1 labelled tree(s) not under" in proc.stderr and "gone" in proc.stderr


def test_unknown_tree_and_missing_label_directory_are_errors(tmp_path):
    proc = _run("--labels", str(REPO / "bench" / "validator" / "corpus" / "labels"), "--apps", str(tmp_path), "nope")
    assert proc.returncode == 1 and "no label" in proc.stderr and "nope" in proc.stderr
    proc = _run("--labels", str(tmp_path / "none"))
    assert proc.returncode == 2 and "not a directory" in proc.stderr
