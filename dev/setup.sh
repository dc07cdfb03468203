#!/usr/bin/env bash
# Idempotent set-up on a fresh Debian machine: a virtualenv with the pinned test tooling, and the
# system programs the real-server tests need (redis-server, redis-cli; chromium and nginx when
# named, as dev/test.sh does; wrk for bench/). Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
# pip is quiet unless something changes; the stamp skips the resolver when requirements did not change.
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python requirements"
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi

# System packages: only what is missing, only with apt and root (otherwise say what to install).
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)  # redis-cli --cluster create (tests/support/topologies.py)
for pkg in "$@"; do
  case "$pkg" in
    wrk) command -v wrk >/dev/null || need+=(wrk) ;;
    chromium) { command -v chromium >/dev/null && command -v chromedriver >/dev/null; } || need+=(chromium chromium-driver) ;;
    nginx) { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; } || need+=(nginx) ;;
    *) need+=("$pkg") ;;
  esac
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: apt-get install ${need[*]}"
    apt-get update -qq >/dev/null
    # policy-rc.d 101 stops Debian's postinst from starting a system redis on :6379; tests start their own.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
  else
    echo "setup: please install: ${need[*]} (needs root and apt-get)" >&2
    exit 2
  fi
fi
