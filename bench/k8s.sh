#!/usr/bin/env bash
# The figures of install --kubernetes on a real Kubernetes (BENCHMARKS.md, "Kubernetes"):
# runs cli/tests/real_kubernetes.rs and prints what it measured (install to connected, the
# failover when the leader's pod is deleted, failed requests during each HA step at 50 req/s,
# uninstall), and how long the Kubernetes binaries took to be ready (a cold build, or the
# cache). Needs root, as the test does.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
scripts/k8s.sh build
echo "Kubernetes binaries ready in $(( $(date +%s) - started ))s"
cargo build -q -p traefikee-cli -p traefikee-node
started=$(date +%s)
cargo nextest run --workspace -E 'binary(real_kubernetes)' --no-capture 2>&1 | grep -E '^\[k8s\]|PASS|FAIL|panicked'
echo "real-Kubernetes test: $(( $(date +%s) - started ))s"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"
