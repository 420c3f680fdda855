#!/usr/bin/env bash
# The main job on a fresh machine: install, then run the whole array in a lab with a failover.
# Arguments go to `lbarray demo` (e.g. --seconds 30).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node bin/lbarray.js demo "$@"
