#!/usr/bin/env bash
# Data plane benchmark (issue 4): throughput and p99 through one proxy — traefikee, nginx and
# HAProxy side by side, same backend, same wrk client, same CPU pinning — then routing cost with
# 10 / 1,000 / 10,000 routers, then the time to load and swap a 10,000-router configuration and
# the memory it takes.
#
# Pinning (2-core machine): each proxy gets CPU 1 alone (one worker: nginx worker_processes 1,
# HAProxy nbthread 1, traefikee one tokio worker); wrk and the backend share CPU 0.
#
# Usage: bench/proxy.sh   (BENCH_DURATION=10s BENCH_CONNECTIONS=64 BENCH_RUNS=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
PROXY_CPU="${BENCH_PROXY_CPU:-1}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
BACKEND=127.0.0.1:18080
TMP="$(mktemp -d)"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null 2>&1; }
export PATH="$PATH:/usr/sbin:/sbin"
if ! need nginx || ! need haproxy; then
  echo "installing nginx and haproxy (Debian packages)" >&2
  apt-get install -y nginx haproxy >/dev/null || { apt-get update >/dev/null && apt-get install -y nginx haproxy >/dev/null; }
fi
for tool in wrk nginx haproxy taskset; do
  need "$tool" || { echo "error: $tool is missing" >&2; exit 1; }
done

cargo build --release -q -p traefikee-proxy --examples
EX="${CARGO_TARGET_DIR:-target}/release/examples"

start() { # start CPU NAME CMD...
  local cpu="$1" name="$2"; shift 2
  taskset -c "$cpu" "$@" >"$TMP/$name.log" 2>&1 &
  PIDS+=("$!")
}

wait_port() {
  for _ in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/${1%:*}/${1#*:}") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "error: nothing listens on $1" >&2; exit 1
}

stop_last() { local pid="${PIDS[-1]}"; kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; unset 'PIDS[-1]'; }

# run_wrk URL [HOST] -> "req/s p99"
run_wrk() {
  local url="$1" host="${2:-}" args=()
  [ -n "$host" ] && args=(-H "Host: $host")
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d2s "${args[@]}" "$url" >/dev/null
  taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "${args[@]}" "$url" >"$TMP/wrk.out"
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")
  p99=$(awk '$1 == "99%" {print $2}' "$TMP/wrk.out")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$TMP/wrk.out")
  [ -n "$non2xx" ] && echo "warning: $non2xx non-2xx answers for $url" >&2
  echo "$rps $p99"
}

start "$CLIENT_CPU" backend "$EX/bench_backend" "$BACKEND"
wait_port "$BACKEND"

# --- proxies -----------------------------------------------------------------------------
cat >"$TMP/traefikee.yaml" <<YAML
entryPoints:
  web:
    address: "127.0.0.1:18081"
http:
  routers:
    r: {rule: "PathPrefix(\`/\`)", service: s}
  services:
    s: {loadBalancer: {servers: [{url: "http://$BACKEND"}]}}
YAML

mkdir -p "$TMP/nginx"
cat >"$TMP/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  upstream backend { server $BACKEND; keepalive 256; }
  server {
    listen 127.0.0.1:18082;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
    }
  }
}
NGINX

cat >"$TMP/haproxy.cfg" <<HAPROXY
global
  nbthread 1
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  option http-keep-alive
  http-reuse always
frontend fe
  bind 127.0.0.1:18083
  default_backend be
backend be
  option forwardfor
  server s1 $BACKEND
HAPROXY

# Each target runs BENCH_RUNS times, rounds interleaved so that background noise spreads over
# all of them; the median run (by req/s) is reported.
RUNS="${BENCH_RUNS:-3}"
declare -A RESULTS
start_target() {
  case "$1" in
    direct) ;;
    traefikee) start "$PROXY_CPU" traefikee env TRAEFIKEE_WORKERS=1 "$EX/standalone" "$TMP/traefikee.yaml"; wait_port 127.0.0.1:18081 ;;
    nginx) start "$PROXY_CPU" nginx nginx -p "$TMP/nginx" -c "$TMP/nginx.conf"; wait_port 127.0.0.1:18082 ;;
    haproxy) start "$PROXY_CPU" haproxy haproxy -db -f "$TMP/haproxy.cfg"; wait_port 127.0.0.1:18083 ;;
  esac
}
url_of() {
  case "$1" in
    direct) echo "http://$BACKEND/" ;;
    traefikee) echo "http://127.0.0.1:18081/" ;;
    nginx) echo "http://127.0.0.1:18082/" ;;
    haproxy) echo "http://127.0.0.1:18083/" ;;
  esac
}
TRAEFIKEE_RSS=0
for round in $(seq 1 "$RUNS"); do
  for t in direct traefikee nginx haproxy; do
    start_target "$t"
    RESULTS[$t]+="$(run_wrk "$(url_of "$t")")"$'\n'
    if [ "$t" = traefikee ]; then TRAEFIKEE_RSS=$(awk '/VmRSS/ {print $2}' "/proc/${PIDS[-1]}/status"); fi
    [ "$t" != direct ] && stop_last
  done
done
median() { printf '%s' "$1" | grep . | sort -n -k1,1 | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }
declare -A RPS P99
for t in direct traefikee nginx haproxy; do
  read -r RPS[$t] P99[$t] < <(median "${RESULTS[$t]}")
done

echo
echo "## Throughput through one proxy (wrk -t1 -c$CONNECTIONS -d$DURATION, median of $RUNS runs; proxy on CPU $PROXY_CPU, wrk+backend on CPU $CLIENT_CPU)"
echo
echo "| target | req/s | p99 | ratio to direct | all runs (req/s p99) |"
echo "|---|---|---|---|---|"
for t in direct traefikee nginx haproxy; do
  ratio=$(awk -v a="${RPS[$t]}" -v b="${RPS[direct]}" 'BEGIN { printf "%.2f", a / b }')
  runs=$(printf '%s' "${RESULTS[$t]}" | grep . | paste -sd ';' -)
  echo "| $t | ${RPS[$t]} | ${P99[$t]} | $ratio | $runs |"
done
echo
echo "traefikee RSS after a run: ${TRAEFIKEE_RSS} KiB"

# --- routing cost ------------------------------------------------------------------------
echo
echo "## Routing cost (traefikee, request for a router in the middle of the table, median of $RUNS runs)"
echo
echo "| routers | req/s | p99 | RSS (KiB) |"
echo "|---|---|---|---|"
for n in 10 1000 10000; do
  "$EX/bench_tool" routers "$n" "http://$BACKEND" "127.0.0.1:18081" >"$TMP/routers-$n.yaml"
  start "$PROXY_CPU" "traefikee-$n" env TRAEFIKEE_WORKERS=1 "$EX/standalone" "$TMP/routers-$n.yaml"
  wait_port 127.0.0.1:18081
  mid=$(( (n / 2) / 2 * 2 ))
  runs=""
  for _ in $(seq 1 "$RUNS"); do
    runs+="$(run_wrk "http://127.0.0.1:18081/api/$mid/x" "h$mid.example.com")"$'\n'
  done
  read -r rps p99 < <(median "$runs")
  rss=$(awk '/VmRSS/ {print $2}' "/proc/${PIDS[-1]}/status")
  echo "| $n | $rps | $p99 | $rss |"
  stop_last
done

# --- load and swap -----------------------------------------------------------------------
echo
echo "## Load and swap of a 10,000-router configuration (bench_tool swap 10000)"
echo
echo '```'
"$EX/bench_tool" swap 10000
echo '```'
