#!/usr/bin/env bash
# Main job: the validator on the bundled seed app (must find its faults: exit 1) and on the
# reference (must be clean at warning level: exit 0).
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/setup.sh

echo "== python scripts/validate.py examples/seed_app   (the seed advice as written; expected: exit 1)"
set +e
.venv/bin/python scripts/validate.py examples/seed_app
seed_rc=$?
set -e
if [ "$seed_rc" -ne 1 ]; then
  echo "demo: FAIL: expected exit 1 (findings) on examples/seed_app, got $seed_rc" >&2
  exit 1
fi

echo
echo "== python scripts/validate.py reference   (the reference stack; expected: exit 0)"
set +e
.venv/bin/python scripts/validate.py reference
ref_rc=$?
set -e
if [ "$ref_rc" -ne 0 ]; then
  echo "demo: FAIL: expected exit 0 on reference/, got $ref_rc" >&2
  exit 1
fi

echo
echo "== python scripts/validate.py --app \"app:create_app('testing')\" reference   (runtime audit; expected: exit 0)"
.venv/bin/python scripts/validate.py --app "app:create_app('testing')" reference --fail-on info

seed_n=$(.venv/bin/python scripts/validate.py examples/seed_app --format json | .venv/bin/python -c \
  'import json,sys; d=json.load(sys.stdin); print(d["total"], "finding(s):", ", ".join(sorted({f["rule"] for f in d["findings"]})))' || true)
echo
echo "demo: OK: seed_app -> exit 1 ($seed_n); reference -> exit 0 (clean, static and --app)"
