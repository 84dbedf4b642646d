#!/usr/bin/env bash
# The checked history of issue 13, run longer than in CI: concurrent clients against three
# control nodes that are killed and cut off, then every acknowledged write checked.
#   scripts/history.sh [SECONDS]   (default 300; needs root for the network namespaces)
set -euo pipefail
cd "$(dirname "$0")/.."
export TRAEFIKEE_HISTORY_SECS="${1:-300}"
# Plain cargo test: nextest would stop a test that runs for minutes.
exec cargo test -p traefikee-node --test history -- --nocapture
