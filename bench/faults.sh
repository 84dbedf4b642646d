#!/usr/bin/env bash
# Issue 13 figures: time to a committed write after the leader is cut off or killed (median
# and max over BENCH_ROUNDS rounds, default 10), failed requests and p99 through a data node
# during each fault. Each node in its own network namespace: needs root, iproute2, iptables.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
BENCH_ROUNDS="${BENCH_ROUNDS:-10}" cargo bench -p traefikee-node --bench faults
