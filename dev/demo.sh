#!/usr/bin/env bash
# The main job, from a fresh clone: the validator on the bundled example app (the seed advice as
# written: it must find the seed's faults, exit 1) and on the reference (it must be clean, exit 0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/setup.sh
py=.venv/bin/python

echo "== validator on examples/seed_app (the seed advice, wired as written) =="
set +e
$py scripts/validate.py examples/seed_app
seed_status=$?
set -e
if [ "$seed_status" -ne 1 ]; then
  echo "demo: expected findings (exit 1) on examples/seed_app, got exit $seed_status" >&2
  exit 1
fi

echo
echo "== validator on reference/ (the code the skill teaches) =="
$py scripts/validate.py --fail-on info reference

echo
echo "demo: ok: seed_app flagged (exit 1), reference clean (exit 0)"
