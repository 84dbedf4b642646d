#!/usr/bin/env bash
# Issue 7: time from `traefikeectl install --local` to a healthy, connected 3+2 cluster
# (the command returns once every node is up, the profile is saved and list-nodes answers).
# Each run installs into a fresh XDG home and is uninstalled before the next.
#
# Usage: bench/install.sh   (BENCH_RUNS=10 by default; needs hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "error: hyperfine is missing (apt-get install -y hyperfine)" >&2; exit 1; }

cargo build --release -q -p traefikee-node -p traefikee-cli
BIN="${CARGO_TARGET_DIR:-target}/release"
HOME_DIR="$(mktemp -d)"
trap '"$BIN/traefikeectl" uninstall --local --clustername=bench >/dev/null 2>&1 || true; rm -rf "$HOME_DIR"' EXIT
export HOME="$HOME_DIR" XDG_DATA_HOME="$HOME_DIR/data" XDG_CONFIG_HOME="$HOME_DIR/config" TRAEFIKEE_BIN="$BIN/traefikee"

hyperfine --runs "${BENCH_RUNS:-10}" --export-markdown "$HOME_DIR/install.md" \
  --prepare "$BIN/traefikeectl uninstall --local --clustername=bench >/dev/null 2>&1 || true" \
  -n "install --local (3 controllers + 2 proxies)" \
  "$BIN/traefikeectl --clustername=bench install --local --controlnodes=3 --datanodes=2"
cat "$HOME_DIR/install.md"
