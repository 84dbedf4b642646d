#!/usr/bin/env bash
# Issue 12 figures: list-nodes latency and leader stability under a connection flood beside a
# quiet run, and the time from `credentials revoke` / `rm-node` until every controller refuses
# (one of them stopped during the change and restarted). Real processes on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
BENCH_CALLS="${BENCH_CALLS:-200}" BENCH_FLOOD="${BENCH_FLOOD:-3000}" \
  cargo bench -p traefikee-node --bench security
