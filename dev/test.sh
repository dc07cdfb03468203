#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, starts its own servers
# (Redis, gunicorn, Werkzeug, nginx, Chromium) on 127.0.0.1 random ports, and lints.
set -euo pipefail
cd "$(dirname "$0")/.."
bash dev/setup.sh chromium nginx
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
