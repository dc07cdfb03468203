#!/usr/bin/env python3
"""Record the validator's complete output on some trees, or check that it is still byte-for-byte the same.

    python dev/validator_snapshot.py record DIR TREE...   # write DIR/<tree>.<format> for every format
    python dev/validator_snapshot.py check DIR TREE...    # compare, print a diff per changed file, exit 1
    python dev/validator_snapshot.py update DIR TREE...   # like record, for an intended change of findings

Used around refactors ("no finding changes"): record with the old code, check with the new. Each tree is
scanned once per output format (text, json, sarif, github) with ``--fail-on info``, and the file holds the
exit status, stdout and stderr, so a changed message, location, order, exit code or crash all show. Run it
from the repository root with relative tree paths: text/github/sarif paths are relative to the current
directory. ``tests/validator/test_output_snapshot.py`` checks the bundled examples against
``tests/validator/snapshots/``; a real-app corpus (fetched trees, never committed) is recorded under /tmp.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VALIDATE = REPO / "scripts" / "validate.py"
FORMATS = ("text", "json", "sarif", "github")


def snapshot_name(tree: str) -> str:
    """A file name for a tree path: examples/seed_app -> examples_seed_app."""
    return os.path.normpath(tree).strip("/").replace("/", "_") or "root"


def run(tree: str, fmt: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(VALIDATE), tree, "--format", fmt, "--fail-on", "info"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}"


def outputs(trees: list[str]) -> dict[str, str]:
    """{"<tree>.<format>": output} for every tree and format (two at a time: the machine has two cores)."""
    jobs = [(tree, fmt) for tree in trees for fmt in FORMATS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda job: run(*job), jobs)
    return {f"{snapshot_name(tree)}.{fmt}": out for (tree, fmt), out in zip(jobs, results)}


def record(directory: Path, trees: list[str]) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in outputs(trees).items():
        (directory / name).write_text(text, encoding="utf-8")
    print(f"recorded {len(trees)} tree(s) x {len(FORMATS)} formats in {directory}")
    return 0


def check(directory: Path, trees: list[str]) -> int:
    changed = 0
    for name, text in outputs(trees).items():
        path = directory / name
        if not path.is_file():
            print(f"{name}: no recorded output in {directory}")
            changed += 1
            continue
        before = path.read_text(encoding="utf-8")
        if before != text:
            changed += 1
            diff = difflib.unified_diff(
                before.splitlines(keepends=True), text.splitlines(keepends=True), f"recorded/{name}", f"now/{name}"
            )
            sys.stdout.writelines(diff)
    total = len(trees) * len(FORMATS)
    print(f"{total - changed} of {total} outputs unchanged" + (f", {changed} changed" if changed else ""))
    return 1 if changed else 0


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] not in ("record", "check", "update"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    command, directory, trees = argv[0], Path(argv[1]), argv[2:]
    missing = [t for t in trees if not os.path.exists(t)]
    if missing:
        print(f"validator_snapshot.py: no such tree: {', '.join(missing)}", file=sys.stderr)
        return 2
    return check(directory, trees) if command == "check" else record(directory, trees)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
