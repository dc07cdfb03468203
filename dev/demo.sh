#!/usr/bin/env bash
# Main job: the validator on the bundled seed app (must find its faults: exit 1) and on the
# reference (must be clean: exit 0), statically and as a running app (--app).
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/setup.sh
py=.venv/bin/python

# expect_exit CODE WHAT COMMAND...: run COMMAND, fail the demo unless it exits with CODE.
expect_exit() {
  local want=$1 what=$2 got=0
  shift 2
  echo "== $what (expected: exit $want)"
  "$@" || got=$?
  if [ "$got" -ne "$want" ]; then
    echo "demo: FAIL: $what exited $got, expected $want" >&2
    exit 1
  fi
  echo
}

expect_exit 1 "validate.py examples/seed_app (the seed advice as written)" \
  $py scripts/validate.py examples/seed_app
expect_exit 0 "validate.py reference (the reference stack)" \
  $py scripts/validate.py reference
expect_exit 0 "validate.py --app \"app:create_app('testing')\" reference (runtime audit)" \
  $py scripts/validate.py --app "app:create_app('testing')" reference --fail-on info

seed_rules=$($py scripts/validate.py examples/seed_app --format json | $py -c \
  'import json,sys; d=json.load(sys.stdin); print(d["total"], "finding(s):", ", ".join(sorted({f["rule"] for f in d["findings"]})))' || true)
echo "demo: OK: seed_app -> exit 1 ($seed_rules); reference -> exit 0 (clean, static and --app)"
