#!/usr/bin/env bash
# Backup and restore figures of issue 6: a cluster holding 10,000 routers and 1,000 TLS
# certificates (real ECDSA certificates and keys, inline PEM), timed with hyperfine:
# `traefikeectl backup` (plain and encrypted), `backup inspect`, `restore`; and beside it,
# in the same run, `etcdctl snapshot save` on a one-member etcd holding the same data (one
# key per router and per certificate, as Traefik's KV providers store them).
#
# Needs: hyperfine, openssl, python3, etcd + etcdctl (Debian: etcd-server etcd-client).
# Usage: bench/backup.sh   (BENCH_ROUTERS=10000 BENCH_CERTS=1000 BENCH_RUNS=10)
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in hyperfine openssl python3 etcd etcdctl; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found" >&2; exit 1; }
done
ROUTERS="${BENCH_ROUTERS:-10000}"
CERTS="${BENCH_CERTS:-1000}"
RUNS="${BENCH_RUNS:-10}"
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release -p traefikee-node -p traefikee-cli --bins >&2
BIN="$PWD/$TARGET/release"

TMP=$(mktemp -d /tmp/tkee-bench-backup.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r)"

# --- the data -----------------------------------------------------------------------------
echo "generating $CERTS certificates..." >&2
mkdir -p "$TMP/certs"
for i in $(seq 1 "$CERTS"); do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 90 \
    -subj "/CN=h$i.example.com" -addext "subjectAltName=DNS:h$i.example.com" \
    -keyout "$TMP/certs/$i.key" -out "$TMP/certs/$i.crt" 2>/dev/null
done
python3 - "$TMP" "$ROUTERS" "$CERTS" <<'PY'
import json, sys
tmp, routers, certs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
doc = {"entryPoints": {"web": {"address": ":18480"}, "websecure": {"address": ":18443", "http": {"tls": {}}}},
       "http": {"routers": {}, "services": {"app": {"loadBalancer": {"servers": [{"url": "http://127.0.0.1:9"}]}}}},
       "tls": {"certificates": []}}
kv = {}
for i in range(routers):
    r = {"entryPoints": ["websecure"], "rule": f"Host(`app-{i}.example.com`) && PathPrefix(`/api/v{i % 5}`)",
         "service": "app", "tls": {}}
    doc["http"]["routers"][f"r{i}"] = r
    kv[f"traefik/http/routers/r{i}"] = json.dumps(r)
for i in range(1, certs + 1):
    c = {"certFile": open(f"{tmp}/certs/{i}.crt").read(), "keyFile": open(f"{tmp}/certs/{i}.key").read()}
    doc["tls"]["certificates"].append(c)
    kv[f"traefik/tls/certificates/{i}"] = json.dumps(c)
json.dump(doc, open(f"{tmp}/config.json", "w"))
json.dump(kv, open(f"{tmp}/kv.json", "w"))
PY
echo "configuration: $(du -h "$TMP/config.json" | cut -f1) of JSON ($ROUTERS routers, $CERTS certificates)"

# --- traefikee: one controller, a connected traefikeectl ----------------------------------
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config"
mkdir -p "$HOME"
"$BIN/traefikee" bootstrap --listen=127.0.0.1:18442 --api.addr=127.0.0.1:18455 --name=bench \
  --statedir="$TMP/state" --traefikeesocket="$TMP/sock" --mtlscertsoutputdir="$TMP/creds" >"$TMP/node.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 200); do [ -f "$TMP/creds/key.pem" ] && break; sleep 0.05; done
"$BIN/traefikeectl" connect --onpremise.mtlscertsdir="$TMP/creds" --onpremise.apiaddress=127.0.0.1:18455 --name=bench >/dev/null
"$BIN/traefikeectl" deploy --configfile="$TMP/config.json" >&2
printf 'a passphrase for the benchmark\n' >"$TMP/pass"
"$BIN/traefikeectl" backup --file="$TMP/plain.tar" >&2
"$BIN/traefikeectl" backup --file="$TMP/sealed.tar" --passphrase-file="$TMP/pass" >&2
"$BIN/traefikeectl" backup --file="$TMP/gzip.tar" --gzip >&2

# --- etcd with the same data -----------------------------------------------------------------
etcd --name bench --data-dir "$TMP/etcd" --listen-client-urls http://127.0.0.1:18479 \
  --advertise-client-urls http://127.0.0.1:18479 --listen-peer-urls http://127.0.0.1:18481 \
  --initial-advertise-peer-urls http://127.0.0.1:18481 --initial-cluster bench=http://127.0.0.1:18481 \
  >"$TMP/etcd.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 200); do etcdctl --endpoints=127.0.0.1:18479 endpoint health >/dev/null 2>&1 && break; sleep 0.05; done
python3 - "$TMP/kv.json" <<'PY'
import base64, http.client, json, sys
kv = json.load(open(sys.argv[1]))
conn = http.client.HTTPConnection("127.0.0.1", 18479)
b64 = lambda s: base64.b64encode(s.encode()).decode()
for k, v in kv.items():
    conn.request("POST", "/v3/kv/put", json.dumps({"key": b64(k), "value": b64(v)}), {"content-type": "application/json"})
    r = conn.getresponse(); r.read()
    assert r.status == 200, r.status
PY
ETCD="etcdctl --endpoints=127.0.0.1:18479"
echo "etcd keys: $($ETCD get --prefix traefik/ --keys-only | grep -c .)"
$ETCD snapshot save "$TMP/etcd.db" >/dev/null 2>&1

echo
echo "## Backup and restore, $ROUTERS routers + $CERTS certificates (hyperfine, $RUNS runs)"
echo
CTL="$BIN/traefikeectl"
hyperfine -N --runs "$RUNS" --style basic --export-markdown "$TMP/times.md" \
  -n "traefikeectl backup (plain)" "$CTL backup --force --file=$TMP/b1.tar" \
  -n "traefikeectl backup --gzip" "$CTL backup --force --gzip --file=$TMP/b2.tar" \
  -n "traefikeectl backup --passphrase-file (scrypt 2^18)" "$CTL backup --force --file=$TMP/b3.tar --passphrase-file=$TMP/pass" \
  -n "traefikeectl backup inspect (plain)" "$CTL backup inspect $TMP/plain.tar" \
  -n "traefikeectl restore (plain)" "$CTL restore --file=$TMP/plain.tar" \
  -n "traefikeectl restore (encrypted)" "$CTL restore --file=$TMP/sealed.tar --passphrase-file=$TMP/pass" \
  -n "etcdctl snapshot save" "$ETCD snapshot save $TMP/etcd.db" >&2
cat "$TMP/times.md"
echo
echo "| archive | size |"
echo "|---|---|"
for f in plain sealed gzip; do echo "| traefikee $f | $(du -k "$TMP/$f.tar" | cut -f1) KiB |"; done
echo "| etcd snapshot | $(du -k "$TMP/etcd.db" | cut -f1) KiB |"
echo
echo "controller RSS after the runs: $(awk '/VmRSS/ {print $2}' "/proc/${PIDS[0]}/status") KiB"
