#!/usr/bin/env bash
# Starts (or stops) a 3-control-node traefikee cluster on this machine, the on-premise
# guide's way: a bootstrap node on 127.0.0.1 and control nodes on 127.0.0.2-4.
#   scripts/local-cluster.sh up     # build, bootstrap, join, list the nodes
#   scripts/local-cluster.sh down   # stop everything and remove the state
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${TRAEFIKEE_LOCAL_DIR:-$PWD/.local-cluster}"
bin="$PWD/target/release/traefikee"

down() {
  for pidfile in "$dir"/*.pid; do
    [ -e "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
  done
  rm -rf "$dir"
  echo "local cluster stopped and removed"
}

node_flags() { # name ip
  echo "--listen=$2:4242 --advertise=$2:4242 --api.addr=$2:55055 --name=$1 --statedir=$dir/$1/state --traefikeesocket=$dir/$1.sock"
}

up() {
  [ -e "$dir" ] && { echo "error: $dir exists; run '$0 down' first" >&2; exit 1; }
  cargo build --release --quiet -p traefikee-node
  mkdir -p "$dir"
  # shellcheck disable=SC2046
  "$bin" bootstrap $(node_flags bootstrap 127.0.0.1) --controlnodes=3 --timeout=60 \
    --mtlscertsoutputdir="$dir/credentials" >"$dir/bootstrap.log" 2>&1 &
  echo $! >"$dir/bootstrap.pid"
  for _ in $(seq 100); do "$bin" env --traefikeesocket="$dir/bootstrap.sock" >/dev/null 2>&1 && break; sleep 0.1; done
  token=$("$bin" env --traefikeesocket="$dir/bootstrap.sock" | grep CONTROL_NODE_TOKEN | cut -d '"' -f2)
  for i in 1 2 3; do
    # shellcheck disable=SC2046
    # The token goes through the environment: argv is world-readable in /proc.
    TRAEFIKEE_TOKEN="$token" "$bin" start-control-node $(node_flags "control-node-$i" "127.0.0.$((i + 1))") \
      --peeraddresses=127.0.0.1:4242 >"$dir/control-node-$i.log" 2>&1 &
    echo $! >"$dir/control-node-$i.pid"
  done
  wait "$(cat "$dir/bootstrap.pid")"
  rm -f "$dir/bootstrap.pid"
  for _ in $(seq 50); do
    "$bin" list-nodes --traefikeesocket="$dir/control-node-1.sock" 2>/dev/null | grep -q "Current Leader" && break
    sleep 0.1
  done
  "$bin" list-nodes --details --traefikeesocket="$dir/control-node-1.sock"
  echo
  echo "try: $bin list-nodes --traefikeesocket=$dir/control-node-1.sock"
  echo "API credentials for traefikeectl: $dir/credentials"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
