#!/usr/bin/env bash
# `traefikeectl list-nodes` against a 3-controller cluster, beside `etcdctl member list`
# against a 3-member etcd, in one hyperfine run (issue 3). etcdctl is timed both over plain
# HTTP and with mutual TLS, since traefikeectl always does an mTLS handshake.
# Needs: etcd, etcdctl, hyperfine, openssl (Debian: etcd-server etcd-client hyperfine openssl).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in etcd etcdctl hyperfine openssl; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 1; }
done
work=$(mktemp -d /tmp/bench-cli.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  TRAEFIKEE_LOCAL_DIR="$work/cluster" scripts/local-cluster.sh down >/dev/null 2>&1 || true
  [ "${KEEP:-}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet -p traefikee-node -p traefikee-cli
TRAEFIKEE_LOCAL_DIR="$work/cluster" scripts/local-cluster.sh up >/dev/null
export XDG_CONFIG_HOME="$work/config"
ctl="$PWD/target/release/traefikeectl"
"$ctl" connect --onpremise.mtlscertsdir="$work/cluster/credentials" --onpremise.apiaddress=127.0.0.2:55055 --name=bench >/dev/null

# etcd: one plain cluster, one with client-certificate authentication.
pki="$work/etcd-pki"; mkdir -p "$pki"
openssl ecparam -name prime256v1 -genkey -noout -out "$pki/ca.key" 2>/dev/null
openssl req -x509 -new -key "$pki/ca.key" -subj /CN=etcd-ca -days 2 -out "$pki/ca.pem" 2>/dev/null
issue() { # name san extended-usage
  openssl ecparam -name prime256v1 -genkey -noout -out "$pki/$1.key" 2>/dev/null
  openssl req -new -key "$pki/$1.key" -subj "/CN=$1" -out "$pki/$1.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=%s\n' "$2" "$3" >"$pki/$1.ext"
  openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.pem" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
    -extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null
}
issue server "IP:127.0.1.1,IP:127.0.1.2,IP:127.0.1.3,IP:127.0.2.1,IP:127.0.2.2,IP:127.0.2.3" serverAuth,clientAuth
issue client "DNS:client" clientAuth

start_etcd() { # prefix scheme extra-args...
  local prefix=$1 scheme=$2; shift 2
  local cluster=""
  for i in 1 2 3; do cluster+="${cluster:+,}e$i=http://$prefix.$i:2380"; done
  for i in 1 2 3; do
    etcd --name "e$i" --data-dir "$work/etcd-$prefix-$i" \
      --listen-client-urls "$scheme://$prefix.$i:2379" --advertise-client-urls "$scheme://$prefix.$i:2379" \
      --listen-peer-urls "http://$prefix.$i:2380" --initial-advertise-peer-urls "http://$prefix.$i:2380" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token "$prefix-$$" "$@" \
      >"$work/etcd-$prefix-$i.log" 2>&1 &
    pids+=($!)
  done
}
start_etcd 127.0.1 http
start_etcd 127.0.2 https --client-cert-auth --trusted-ca-file="$pki/ca.pem" --cert-file="$pki/server.pem" --key-file="$pki/server.key"
tls=(--cacert="$pki/ca.pem" --cert="$pki/client.pem" --key="$pki/client.key")
for _ in $(seq 100); do
  etcdctl --endpoints=http://127.0.1.1:2379 member list >/dev/null 2>&1 &&
    etcdctl --endpoints=https://127.0.2.1:2379 "${tls[@]}" member list >/dev/null 2>&1 && break
  sleep 0.2
done

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"
"$ctl" list-nodes
etcdctl --endpoints=http://127.0.1.1:2379 member list
hyperfine -N --warmup 10 --runs "${RUNS:-200}" --export-markdown "$work/result.md" --export-json "$work/result.json" \
  -n "traefikeectl list-nodes (mTLS)" "$ctl list-nodes" \
  -n "etcdctl member list (plain HTTP)" "etcdctl --endpoints=http://127.0.1.1:2379 member list" \
  -n "etcdctl member list (mTLS)" "etcdctl --endpoints=https://127.0.2.1:2379 ${tls[*]} member list"
cat "$work/result.md"
python3 - "$work/result.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%s: median %.1f ms" % (r["command"], r["median"] * 1000))
PY
