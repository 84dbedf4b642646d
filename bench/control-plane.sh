#!/usr/bin/env bash
# Control-plane figures of issue 2, traefikee beside a 3-member etcd in the same run:
# join time, replicated write latency (fsync on), and leader failover (kill -9 to the next
# committed write). Needs etcd (Debian: apt-get install -y etcd-server).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v etcd >/dev/null || { echo "error: etcd not found; apt-get install -y etcd-server" >&2; exit 1; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
echo "disk under \$TMPDIR: $(df -h "${TMPDIR:-/tmp}" | awk 'NR==2 {print $1" "$2}')"
BENCH_KILLS="${BENCH_KILLS:-10}" BENCH_WRITES="${BENCH_WRITES:-500}" BENCH_JOINS="${BENCH_JOINS:-4}" \
  cargo bench -p traefikee-node --bench control_plane
