#!/usr/bin/env bash
# Grade bare Flask, the seed's headers and the reference with the MDN HTTP Observatory (run.py).
# Needs root (binds 127.0.0.1:80 and :443), node/npm, openssl, and the venv from dev/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || bash dev/setup.sh
exec .venv/bin/python bench/observatory/run.py "$@"
