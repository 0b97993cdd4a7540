#!/usr/bin/env bash
# Load test of the tutorial request (POST /simulate with {}) with wrk, on loopback only, bounded in time.
#   scripts/loadtest.sh                       # 60 s per configuration, the numbers quoted in the README
#   DURATION=6 scripts/loadtest.sh            # a quick end-to-end run (CI does this)
# Configurations: the service at 1 and 2 workers, and the bare app (the route alone, no middleware) at 1 worker.
# Exits non-zero if any request failed or answered other than 2xx.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "loadtest: wrk not found (apt-get install wrk; make system-tools does)" >&2; exit 1; }
exec "${PYTHON:-.venv/bin/python}" scripts/loadtest.py
