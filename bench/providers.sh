#!/usr/bin/env bash
# Provider propagation of issue 16: a key written to etcd until all five proxies of a 3+5
# cluster serve the route it changes, with 1 and with 10,001 routers in etcd, and the leader's
# CPU and memory while it follows the changes. Needs Debian's etcd-server and etcd-client.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v etcd >/dev/null || { echo "error: etcd not found; apt-get install -y etcd-server etcd-client" >&2; exit 1; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
BENCH_WRITES="${BENCH_WRITES:-100}" BENCH_BIG_WRITES="${BENCH_BIG_WRITES:-20}" \
  BENCH_BIG_ROUTERS="${BENCH_BIG_ROUTERS:-10000}" cargo bench -p traefikee-node --bench providers
