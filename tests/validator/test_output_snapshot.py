"""The validator's complete output on the bundled examples, byte for byte (dev/validator_snapshot.py).

A refactor must not change a single finding: this test fails on any changed message, location, order,
exit status or stderr line. When findings change on purpose, re-record and review the diff:
    .venv/bin/python dev/validator_snapshot.py update tests/validator/snapshots examples/seed_app reference
"""

from __future__ import annotations

import subprocess
import sys

from .util import REPO

TREES = ("examples/seed_app", "reference")


def test_output_on_bundled_examples_is_unchanged():
    proc = subprocess.run(
        [sys.executable, "dev/validator_snapshot.py", "check", "tests/validator/snapshots", *TREES],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "8 of 8 outputs unchanged" in proc.stdout
