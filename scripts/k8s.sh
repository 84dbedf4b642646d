#!/usr/bin/env bash
# A real one-node Kubernetes for the tests, from Debian packages only (no image registry, no
# download outside Debian's archive). Everything runs inside one network namespace that this
# script creates, so the pod network (a CNI bridge on private addresses) and the Service
# addresses (kube-proxy's iptables rules) never touch the machine's own interfaces.
#
#   scripts/k8s.sh build           # Debian's kubernetes source package -> $K8S_BIN (cached, keyed by version)
#   scripts/k8s.sh up              # etcd, API server, containerd, controller-manager, scheduler, kubelet,
#                                  # kube-proxy, cluster DNS and volumes in the namespace (runs `down` first
#                                  # when an earlier run left state); waits until all of it works
#   scripts/k8s.sh image [--env K=V]... [--workdir DIR] [--cmd ARG]... DIR REF [ENTRYPOINT...]
#                                  # a one-layer image of DIR (modes and owners kept) into containerd;
#                                  # pods use it with imagePullPolicy IfNotPresent (or Never)
#   scripts/k8s.sh traefikee-image BIN REF   # the Dockerfile's runtime image around a traefikee binary:
#                                  # busybox sh/grep/sleep..., BIN's shared libraries, user 65532
#   scripts/k8s.sh whoami-image REF          # busybox httpd on :8080; GET / answers 200 "Hostname: <pod>"
#   scripts/k8s.sh exec CMD...     # run CMD in the cluster's network namespace (Service and pod
#                                  # addresses reachable), KUBECONFIG set to the admin kubeconfig
#   scripts/k8s.sh status          # exit 0 when the API answers on the host and the node is Ready
#   scripts/k8s.sh down            # stop everything started here and remove its state (logs kept)
#
# Addresses (all inside the namespace $K8S_NETNS, default traefikee-k8s, except the forwarder):
#   10.244.0.1      bridge cni0: the node's address, the pods' gateway, the cluster DNS (:53) and
#                   the API server's advertised address (:6443, also bound on 127.0.0.1 there)
#   10.244.0.0/24   pods;  10.96.0.0/24 Services (10.96.0.1 = kubernetes)
#   127.0.0.1:6443  on the host: a forwarder (socat over a unix socket) to the API server
# Kubeconfigs: $K8S_HOME/pki/admin.kubeconfig (system:masters; https://127.0.0.1:6443 works on
# the host and in the namespace) and $K8S_HOME/pki/limited.kubeconfig (user "limited": no rights).
#   KUBECONFIG=/var/tmp/traefikee-k8s/pki/admin.kubeconfig kubectl get nodes
#   scripts/k8s.sh exec wget -qO- http://<ClusterIP>:<port>/
# The node is "traefikee-node". CoreDNS and a volume provisioner cannot be built here:
# scripts/k8s-addons.py stands in for both (A records of Services, headless Services' ready
# endpoints and their pods' hostnames, TTL 1; K8S_VOLUMES hostPath volumes of 2Gi without a
# storage class, wiped and replaced once their claim is deleted). One cluster per machine,
# and no other CNI runtime (podman, another kubelet) making cni-* network namespaces while it
# runs: `down` removes the cni-* namespaces made since `up`.
#
# Environment: K8S_HOME (/var/tmp/traefikee-k8s: state, logs in $K8S_HOME/logs), K8S_NETNS,
# K8S_CACHE (/var/cache/traefikee-k8s: built binaries), K8S_API_PORT (6443), K8S_VOLUMES (6).
set -euo pipefail

K8S_VERSION=1.20.2
SRC_VERSION=1.20.5+really1.20.2-1.1+deb12u1
# Built binaries are kept outside any clone, keyed by version: a CI machine builds them once.
K8S_CACHE=${K8S_CACHE:-/var/cache/traefikee-k8s}
K8S_BIN=$K8S_CACHE/$K8S_VERSION/bin
K8S_HOME=${K8S_HOME:-/var/tmp/traefikee-k8s}
NETNS=${K8S_NETNS:-traefikee-k8s}
BINS="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy"
H=$K8S_HOME; P=$H/pki; L=$H/logs; PIDS=$H/pids; SOCK=$H/run/containerd.sock

# The cluster's addresses: they exist only inside $NETNS.
GW=10.244.0.1             # cni0: node address, pods' gateway, cluster DNS, API server's advertised address
POD_CIDR=10.244.0.0/24
SVC_CIDR=10.96.0.0/24
SVC_IP=10.96.0.1          # the `kubernetes` Service
DOMAIN=cluster.local
NODE=traefikee-node
API_PORT=${K8S_API_PORT:-6443}   # the API server in the namespace, and its forwarder on the host's 127.0.0.1
VOLUMES=${K8S_VOLUMES:-6}
APP_UID=65532             # the manifests' runAsUser; owner of the volumes' directories
PY=/usr/bin/python3       # Debian's python, which has python3-dnslib
ADDONS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/k8s-addons.py
ADMIN=$P/admin.kubeconfig
ACTIVE=/run/traefikee-k8s.active   # the K8S_HOME of the cluster that runs: one per machine
# kubelet sets these host-wide; `up` records them and `down` puts them back
KERNEL_SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes"
# paths kubelet (pod logs, device plugins), containerd (shim sockets) and libcni (results
# cache) use whatever their configuration says; `down` removes those that `up` did not find
HOST_PATHS="/var/log/pods /var/log/containers /var/lib/kubelet /run/containerd /var/lib/cni /usr/libexec/kubernetes"

log() { echo "[k8s $(date +%T)] $*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { date +%s%3N; }
since() { local d=$(( $(now_ms) - $1 )); printf '%d.%ds' $((d / 1000)) $(( d % 1000 / 100 )); }

apt_install() {
  apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "$@" >/dev/null; }
}

runtime_packages() {
  local need=()
  command -v etcd >/dev/null || need+=(etcd-server etcd-client)
  command -v containerd >/dev/null || need+=(containerd)
  command -v runc >/dev/null || need+=(runc)
  [ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
  command -v kubectl >/dev/null || need+=(kubernetes-client)
  command -v iptables >/dev/null || need+=(iptables)
  command -v conntrack >/dev/null || need+=(conntrack)
  command -v ip >/dev/null || need+=(iproute2)
  command -v sysctl >/dev/null || need+=(procps)
  command -v python3 >/dev/null || need+=(python3)
  # the cluster DNS and volume stand-in (k8s-addons.py), the API forwarder, images' busybox
  $PY -c 'import dnslib' 2>/dev/null || need+=(python3-dnslib)
  command -v socat >/dev/null || need+=(socat)
  command -v curl >/dev/null || need+=(curl)
  command -v openssl >/dev/null || need+=(openssl)
  command -v strip >/dev/null || need+=(binutils)
  { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)
  if [ ${#need[@]} -gt 0 ]; then log "apt: ${need[*]}"; apt_install "${need[@]}"; fi
}

build() {
  local ok=1 b
  for b in $BINS pause; do [ -x "$K8S_BIN/$b" ] || ok=0; done
  runtime_packages
  if [ $ok = 1 ]; then log "Kubernetes $K8S_VERSION binaries cached in $K8S_BIN"; return 0; fi
  local W=$K8S_CACHE/$K8S_VERSION/work
  rm -rf "$W"; mkdir -p "$W/dl" "$W/apt/lists/partial" "$W/apt/cache" "$W/apt/sources.d"
  log "apt: build dependencies"
  apt_install golang-1.19-go rsync make gcc libc6-dev
  # deb-src twins of the machine's own apt sources, in a private apt state: apt's own
  # configuration is left alone.
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] && sed 's/^Types:.*$/Types: deb-src/' "$f" >"$W/apt/sources.d/$(basename "$f")"
  done
  if [ -f /etc/apt/sources.list ]; then sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >"$W/apt/sources.list"
  else : >"$W/apt/sources.list"; fi
  local A=(-o "Dir::Etc::SourceList=$W/apt/sources.list" -o "Dir::Etc::SourceParts=$W/apt/sources.d"
           -o "Dir::State::Lists=$W/apt/lists" -o "Dir::Cache=$W/apt/cache")
  log "apt: Debian's source package kubernetes $SRC_VERSION"
  apt-get "${A[@]}" update -q >/dev/null
  # The exact version first; when Debian has replaced it, any version built from the same
  # upstream tarball (1.20.5+really1.20.2), which is all this build uses.
  if ! (cd "$W/dl" && apt-get "${A[@]}" source --download-only -q "kubernetes=$SRC_VERSION" >"$W/apt.log" 2>&1); then
    log "kubernetes=$SRC_VERSION is not in the archive any more: trying the current source package"
    (cd "$W/dl" && apt-get "${A[@]}" source --download-only -q kubernetes >>"$W/apt.log" 2>&1) || true
  fi
  if [ ! -f "$W/dl/kubernetes_1.20.5+really1.20.2.orig.tar.gz" ]; then
    cat "$W/apt.log" >&2
    echo "Debian's source package of kubernetes 1.20.5+really1.20.2 cannot be downloaded (above: apt's output)" >&2
    exit 1
  fi
  tar xzf "$W/dl/kubernetes_1.20.5+really1.20.2.orig.tar.gz" -C "$W"
  printf "KUBE_GIT_COMMIT='faecb196815e248d3ecfb03c680a4507229c2a56'\nKUBE_GIT_TREE_STATE='clean'\nKUBE_GIT_VERSION='v%s'\nKUBE_GIT_MAJOR='1'\nKUBE_GIT_MINOR='20'\n" \
    "$K8S_VERSION" >"$W/version.env"
  log "go build: $BINS (about 10 minutes of two cores, once)"
  (cd "$W/kubernetes-$K8S_VERSION" \
    && PATH=/usr/lib/go-1.19/bin:$PATH HOME=$W GOPATH=$W/gopath GOCACHE=$W/gocache KUBE_GIT_VERSION_FILE=$W/version.env \
       make WHAT="$(printf 'cmd/%s ' $BINS)" >"$W/build.log" 2>&1) || { tail -30 "$W/build.log" >&2; exit 1; }
  mkdir -p "$K8S_BIN.tmp"
  for b in $BINS; do cp "$W/kubernetes-$K8S_VERSION/_output/bin/$b" "$K8S_BIN.tmp/"; done
  # the pause program of the pod sandboxes, from the same source
  gcc -Os -static -o "$K8S_BIN.tmp/pause" "$W/kubernetes-$K8S_VERSION/build/pause/linux/pause.c"
  strip "$K8S_BIN.tmp/pause"
  rm -rf "$K8S_BIN"; mv "$K8S_BIN.tmp" "$K8S_BIN"
  rm -rf "$W"   # gigabytes of sources and build output; the binaries are kept
  log "built: $(cd "$K8S_BIN" && ls | tr '\n' ' ')"
}

# ------------------------------------------------------------------------------------ up

inns() { nsenter --net="/run/netns/$NETNS" "$@"; }    # keeps the mount namespace (unlike ip netns exec)
kc() { kubectl --kubeconfig "$ADMIN" "$@"; }

start() { # name command...: a daemon in the cluster's namespace, in its own process group
  local name=$1; shift
  setsid nsenter --net="/run/netns/$NETNS" "$@" >>"$L/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name"
}

start_host() { # name command...: a daemon in the host's namespace (the API forwarder only)
  local name=$1; shift
  setsid "$@" >>"$L/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name"
}

all_alive() { # fails, naming it, when a daemon started here has exited
  local f
  for f in "$PIDS"/*; do
    [ -e "$f" ] || continue
    kill -0 "$(cat "$f")" 2>/dev/null || { log "$(basename "$f") exited; end of $L/$(basename "$f").log:"
      tail -15 "$L/$(basename "$f").log" >&2; return 1; }
  done
}

wait_for() { # what seconds command...: polls every 0.2 s until the command succeeds
  local what=$1 secs=$2 t0; shift 2; t0=$(now_ms)
  until "$@" >/dev/null 2>&1; do
    all_alive || die "$what: a component exited"
    [ $(( $(now_ms) - t0 )) -lt $(( secs * 1000 )) ] \
      || die "$what: not ready after ${secs}s (logs in $L; '$0 down' stops what runs)"
    sleep 0.2
  done
  log "$what: ready after $(since "$t0")"
}

pki() {
  mkdir -p "$P"; (
  cd "$P"
  # EC keys: quick to make. The API server signs service account tokens with the RSA key.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.crt \
    -days 365 -subj /CN=traefikee-k8s-ca 2>/dev/null
  sign() { # name subject [subjectAltName]: a client cert, or a server+client cert with SANs
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
    { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature"
      if [ -n "${3:-}" ]; then echo "subjectAltName=$3"; echo "extendedKeyUsage=serverAuth,clientAuth"
      else echo "extendedKeyUsage=clientAuth"; fi; } >"$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 365 \
      -extfile "$1.ext" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
  }
  sign apiserver /CN=kube-apiserver "IP:127.0.0.1,IP:$GW,IP:$SVC_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$DOMAIN"
  sign kubelet "/O=system:nodes/CN=system:node:$NODE" "IP:$GW,IP:127.0.0.1,DNS:$NODE,DNS:localhost"
  sign admin "/O=system:masters/CN=admin"
  sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  sign controller-manager /CN=system:kube-controller-manager
  sign scheduler /CN=system:kube-scheduler
  sign kube-proxy /CN=system:kube-proxy      # bound to system:node-proxier by default
  sign limited /CN=limited                   # no groups, no bindings: every write is refused
  openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  chmod 600 ./*.key
  local u
  for u in admin controller-manager scheduler kubelet kube-proxy limited; do cat >"$u.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: traefikee-k8s
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 ca.crt)
users:
- name: $u
  user:
    client-certificate-data: $(base64 -w0 "$u.crt")
    client-key-data: $(base64 -w0 "$u.key")
contexts:
- name: traefikee-k8s
  context: {cluster: traefikee-k8s, user: $u}
current-context: traefikee-k8s
KC
  chmod 600 "$u.kubeconfig"
  done )
}

configs() {
  mkdir -p "$H/cni/net.d" "$H/var/cni" "$H/volumes"
  # The pods' network: veths on the bridge cni0 (made by `up` beforehand, with the gateway
  # address), addresses from host-local, a default route through 10.244.0.1 where kube-proxy's
  # rules turn Service addresses into pod addresses. containerd adds each pod's loopback itself.
  cat >"$H/cni/net.d/10-traefikee-k8s.conflist" <<EOC
{
  "cniVersion": "0.4.0",
  "name": "traefikee-k8s",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "hairpinMode": true, "ipMasq": false,
      "ipam": {
        "type": "host-local", "dataDir": "$H/var/cni",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$GW"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOC
  cat >"$H/containerd.toml" <<EOC
version = 2
root = "$H/var/containerd"
state = "$H/run/containerd"
plugin_dir = ""
[grpc]
  address = "$SOCK"
[plugins."io.containerd.internal.v1.opt"]
  path = "$H/var/containerd-opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "local/pause:1"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # root here lacks CAP_SYS_RESOURCE and cannot lower oom_score_adj: without this, every
  # sandbox fails "can't get final child's PID from pipe: EOF"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$H/run/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$H/cni/net.d"
EOC
  # pods with dnsPolicy Default; ClusterFirst pods get 10.244.0.1 and the cluster's search list
  # only (the host's search domains would otherwise be appended)
  echo "nameserver $GW" >"$H/resolv.conf"
  cat >"$H/kubelet.yaml" <<EOC
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 0.0.0.0
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: $P/ca.crt}}
authorization: {mode: Webhook}
tlsCertFile: $P/kubelet.crt
tlsPrivateKeyFile: $P/kubelet.key
cgroupDriver: cgroupfs
failSwapOn: false
clusterDNS: [$GW]
clusterDomain: $DOMAIN
resolvConf: $H/resolv.conf
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
# imported images cannot be pulled again: never collect them
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
allowedUnsafeSysctls: ["net.ipv4.ip_unprivileged_port_start"]
volumePluginDir: $H/var/kubelet/volume-plugins
# Ready 2 s after it is (not 10); the status is still posted only when it changes, or each minute
nodeStatusUpdateFrequency: 2s
nodeStatusReportFrequency: 1m
EOC
}

netns_up() {
  ip netns add "$NETNS"
  ip -n "$NETNS" link set lo up
  ip -n "$NETNS" link add cni0 type bridge
  ip -n "$NETNS" addr add "$GW/24" dev cni0
  ip -n "$NETNS" link set cni0 up
  # connections opened in the namespace itself (k8s.sh exec) to Service addresses need a route
  # before kube-proxy's DNAT picks a pod; nothing leaves the namespace, there is no default route
  ip -n "$NETNS" route add "$SVC_CIDR" dev cni0 src "$GW"
  inns sysctl -qw net.ipv4.ip_forward=1
}

# the checks `up` waits for
etcd_ok() { inns env ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:2379 --command-timeout=1s endpoint health; }
api_ok() { curl -sf --max-time 2 --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" "https://127.0.0.1:$API_PORT/readyz"; }
node_ready() { [ "$(kc get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; }
dns_ok() { [ "$(inns "$PY" "$ADDONS" resolve "kubernetes.default.svc.$DOMAIN" "$GW")" = "$SVC_IP" ]; }
proxy_ok() { # kube-proxy's rules for the kubernetes Service, and a request through them
  inns iptables-save -t nat | grep -q -- "-A KUBE-SERVICES -d $SVC_IP/32" \
    && inns curl -sf --max-time 2 --cacert "$P/ca.crt" "https://$SVC_IP/readyz"
}
volumes_ok() {
  [ "$(kc get pv -l traefikee-k8s/volume-slot -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -cx Available)" -ge "$VOLUMES" ]
}
default_sa_ok() { kc -n default get serviceaccount default; }

up() {
  local t0 b; t0=$(now_ms)
  for b in $BINS pause; do [ -x "$K8S_BIN/$b" ] || die "$K8S_BIN/$b missing: run '$0 build' first"; done
  runtime_packages
  [ -f "$ADDONS" ] || die "$ADDONS missing"
  if [ -d "$PIDS" ] || [ -e "/run/netns/$NETNS" ] || [ -d "$H/run" ]; then
    log "state of an earlier run: down first"; down
  fi
  # one cluster per machine: two would share kubelet's host paths and the pods' namespaces
  local other pid; other=$(cat "$ACTIVE" 2>/dev/null || true)
  if [ -n "$other" ] && [ "$other" != "$H" ]; then
    for pid in $(cat "$other"/pids/* 2>/dev/null); do
      kill -0 "$pid" 2>/dev/null \
        && die "another cluster of this script runs (K8S_HOME=$other): one per machine; 'K8S_HOME=$other $0 down' stops it"
    done
  fi
  if ss -Hltn "sport = :$API_PORT" | grep -q .; then die "port $API_PORT is taken on the host: set K8S_API_PORT"; fi
  echo "$H" >"$ACTIVE"
  rm -rf "$L"; mkdir -p "$L" "$PIDS" "$H/run" "$H/var" "$H/images"
  # what only `down` must undo: the kernel settings kubelet changes, and host paths that
  # kubelet, containerd and libcni write to whatever their configuration says
  sysctl -e $KERNEL_SYSCTLS >"$H/sysctl.before" 2>/dev/null || true
  ip netns list | awk '{print $1}' >"$H/netns.before"
  : >"$H/paths.created"
  for b in $HOST_PATHS; do
    [ -e "$b" ] || echo "$b" >>"$H/paths.created"
  done
  log "up: network namespace $NETNS (cni0 $GW/24, pods $POD_CIDR, Services $SVC_CIDR)"
  netns_up
  pki; configs

  start etcd etcd --name traefikee-k8s --data-dir "$H/var/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster traefikee-k8s=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381
  start containerd containerd --config "$H/containerd.toml"
  wait_for etcd 30 etcd_ok
  start kube-apiserver "$K8S_BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
    --bind-address=0.0.0.0 --secure-port="$API_PORT" --insecure-port=0 --advertise-address="$GW" \
    --service-cluster-ip-range="$SVC_CIDR" \
    --client-ca-file="$P/ca.crt" --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
    --kubelet-client-certificate="$P/apiserver-kubelet-client.crt" --kubelet-client-key="$P/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$P/ca.crt" --kubelet-preferred-address-types=InternalIP \
    --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
    --service-account-issuer="https://kubernetes.default.svc.$DOMAIN" \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction --allow-privileged=true \
    --profiling=false
  # the host reaches the API server through a unix socket that both namespaces see
  start api-forward-netns socat "UNIX-LISTEN:$H/run/apiserver.sock,fork,unlink-early,mode=600" "TCP:127.0.0.1:$API_PORT,nodelay"
  start_host api-forward-host socat "TCP-LISTEN:$API_PORT,bind=127.0.0.1,reuseaddr,fork,nodelay" "UNIX-CONNECT:$H/run/apiserver.sock"
  wait_for containerd 30 ctr -a "$SOCK" version
  mkdir -p "$H/images/pause" && cp "$K8S_BIN/pause" "$H/images/pause/pause"
  image "$H/images/pause" local/pause:1 /pause; rm -rf "$H/images/pause"
  wait_for kube-apiserver 90 api_ok

  start kube-controller-manager "$K8S_BIN/kube-controller-manager" --kubeconfig="$P/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$P/controller-manager.kubeconfig" --authorization-kubeconfig="$P/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=10257 --port=0 --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
    --cluster-signing-cert-file="$P/ca.crt" --cluster-signing-key-file="$P/ca.key" \
    --pvclaimbinder-sync-period=2s
  start kube-scheduler "$K8S_BIN/kube-scheduler" --kubeconfig="$P/scheduler.kubeconfig" \
    --authentication-kubeconfig="$P/scheduler.kubeconfig" --authorization-kubeconfig="$P/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=10259 --port=0 --leader-elect=false
  start kubelet "$K8S_BIN/kubelet" --config="$H/kubelet.yaml" --kubeconfig="$P/kubelet.kubeconfig" \
    --container-runtime=remote --container-runtime-endpoint="unix://$SOCK" --pod-infra-container-image=local/pause:1 \
    --hostname-override="$NODE" --node-ip="$GW" --root-dir="$H/var/kubelet" --cert-dir="$H/var/kubelet/pki" \
    --containerd="$SOCK" --oom-score-adj=0
  # --masquerade-all: a pod reaching a Service backed by a pod on the same bridge gets its
  # answer back through the gateway's conntrack entry
  start kube-proxy "$K8S_BIN/kube-proxy" --kubeconfig="$P/kube-proxy.kubeconfig" --hostname-override="$NODE" \
    --proxy-mode=iptables --masquerade-all --cluster-cidr="$POD_CIDR" \
    --healthz-bind-address=127.0.0.1:10256 --metrics-bind-address=127.0.0.1:10249 \
    --conntrack-max-per-core=0 --conntrack-tcp-timeout-established=0 --conntrack-tcp-timeout-close-wait=0 \
    --oom-score-adj=0
  start addons env API="https://127.0.0.1:$API_PORT" CA="$P/ca.crt" CERT="$P/admin.crt" KEY="$P/admin.key" \
    DNS_ADDR="$GW" DOMAIN="$DOMAIN" VOLUMES="$VOLUMES" VOLUME_DIR="$H/volumes" VOLUME_UID="$APP_UID" \
    "$PY" -u "$ADDONS" serve
  wait_for "node $NODE Ready" 120 node_ready
  wait_for "cluster DNS ($GW:53)" 60 dns_ok
  wait_for "kube-proxy (kubernetes Service $SVC_IP)" 60 proxy_ok
  wait_for "$VOLUMES volumes Available" 60 volumes_ok
  wait_for "service account default/default" 60 default_sa_ok
  log "up in $(since "$t0"): KUBECONFIG=$ADMIN (https://127.0.0.1:$API_PORT); '$0 exec CMD' runs in the pods' network"
}

# -------------------------------------------------------------------------------- images

image() { # [--env K=V]... [--workdir DIR] [--cmd ARG]... DIR REF [ENTRYPOINT...]
  local opts=()
  while [ $# -gt 0 ]; do
    case $1 in
      --env|--workdir|--cmd) [ $# -ge 2 ] || die "$1 needs a value"; opts+=("$1" "$2"); shift 2 ;;
      --) shift; break ;;
      -*) die "image: unknown option $1" ;;
      *) break ;;
    esac
  done
  [ $# -ge 2 ] || die "usage: $0 image [--env K=V]... [--workdir DIR] [--cmd ARG]... DIR REF [ENTRYPOINT...]"
  local dir=$1 ref=$2 out t0; shift 2; t0=$(now_ms)
  [ -d "$dir" ] || die "image: $dir is not a directory"
  [ -S "$SOCK" ] || die "image: containerd is not running ($SOCK): '$0 up' first"
  mkdir -p "$H/images"; out=$(mktemp "$H/images/image.XXXXXX")
  "$PY" - "$dir" "$ref" "$out" "${opts[@]}" -- "$@" <<'PYEOF' || { rm -f "$out" "$out.layer"; die "image: $ref not built"; }
import hashlib, json, os, platform, sys, tarfile
root, ref, out = sys.argv[1:4]
rest = sys.argv[4:]; cut = rest.index("--"); opts, entrypoint = rest[:cut], rest[cut + 1:]
env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
workdir, cmd = "/", []
for key, value in zip(opts[::2], opts[1::2]):
    if key == "--env":
        env = [e for e in env if e.split("=", 1)[0] != value.split("=", 1)[0]] + [value]
    elif key == "--workdir":
        workdir = value
    else:
        cmd.append(value)

class Hashing:  # the layer's digest while it is written
    def __init__(self, f): self.f, self.h = f, hashlib.sha256()
    def write(self, b): self.h.update(b); return self.f.write(b)

def numeric(ti):  # numeric owners only, as in any image layer
    ti.uname = ti.gname = ""
    return ti

with open(out + ".layer", "wb") as f:
    w = Hashing(f)
    with tarfile.open(fileobj=w, mode="w|", format=tarfile.GNU_FORMAT) as t:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in dirnames + sorted(filenames):
                path = os.path.join(dirpath, name)
                t.add(path, arcname=os.path.relpath(path, root), recursive=False, filter=numeric)
    diff = w.h.hexdigest()
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
config = json.dumps({
    "architecture": arch, "os": "linux",
    "config": {"Entrypoint": entrypoint or None, "Cmd": cmd or None, "Env": env, "WorkingDir": workdir},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff]},
    "history": [{"created_by": "scripts/k8s.sh image"}],
}).encode()
digest = hashlib.sha256(config).hexdigest()
manifest = json.dumps([{"Config": digest + ".json", "RepoTags": [ref], "Layers": [diff + "/layer.tar"]}]).encode()
with tarfile.open(out, "w") as t:
    import io
    for name, data in ((digest + ".json", config), ("manifest.json", manifest)):
        ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
    t.add(out + ".layer", arcname=diff + "/layer.tar")
os.unlink(out + ".layer")
PYEOF
  ctr -a "$SOCK" -n k8s.io images import "$out" >/dev/null || { rm -f "$out"; die "image: ctr import of $ref failed"; }
  rm -f "$out"
  log "image $ref: $(du -sh "$dir" | cut -f1) imported in $(since "$t0")"
}

busybox_into() { # ROOT APPLET...: the static busybox as /bin/busybox, applets as symlinks in /bin
  local root=$1 a; shift
  install -d -m 0755 "$root/bin" "$root/usr/bin"
  install -m 0755 /bin/busybox "$root/bin/busybox"
  for a in "$@"; do ln -sf busybox "$root/bin/$a"; done
  ln -sf /bin/busybox "$root/usr/bin/env"
}

users_into() { # ROOT NAME: root, nobody and NAME (uid/gid 65532)
  install -d -m 0755 "$1/etc"
  printf 'root:x:0:0:root:/root:/bin/sh\n%s:x:%d:%d::/nonexistent:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' \
    "$2" "$APP_UID" "$APP_UID" >"$1/etc/passwd"
  printf 'root:x:0:\n%s:x:%d:\nnogroup:x:65534:\n' "$2" "$APP_UID" >"$1/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$1/etc/nsswitch.conf"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$1/etc/hosts"
  : >"$1/etc/resolv.conf"; : >"$1/etc/hostname"
  install -d -m 1777 "$1/tmp"
}

APPLETS="sh ash grep egrep sleep cat ls env echo printf test [ true false id hostname ps kill mkdir rm cp mv ln
  chmod touch head tail sed awk tr cut wc sort uniq tee find xargs date stat readlink dirname basename
  expr seq timeout wget nc nslookup netstat ip df du which uname pwd"

traefikee_image() { # BIN REF: the Dockerfile's runtime image, built around a given binary
  [ $# = 2 ] || die "usage: $0 traefikee-image BIN REF"
  local bin=$1 ref=$2 root lib
  [ -x "$bin" ] || die "traefikee-image: $bin is not an executable"
  mkdir -p "$H/images"; root=$(mktemp -d "$H/images/traefikee.XXXXXX"); CLEANUP+=("$root")
  chmod 0755 "$root"
  busybox_into "$root" $APPLETS
  users_into "$root" traefikee
  install -d -m 0755 "$root/usr/local/bin" "$root/var/lib" "$root/var/run"
  install -d -m 0700 -o "$APP_UID" -g "$APP_UID" "$root/var/lib/traefikee" "$root/var/run/traefikee"
  cp "$bin" "$root/usr/local/bin/traefikee"
  if readelf -S "$bin" 2>/dev/null | grep -q '\.debug_'; then
    strip --strip-debug "$root/usr/local/bin/traefikee"   # symbols stay, for backtraces
  fi
  chmod 0755 "$root/usr/local/bin/traefikee"
  # its shared libraries and the dynamic loader, at the paths it was linked against
  for lib in $(ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    install -d -m 0755 "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  image --env TRAEFIKEE_SOCKET=/var/run/traefikee/traefikee.sock --workdir /var/lib/traefikee --cmd --help \
    "$root" "$ref" traefikee
}

whoami_image() { # REF: busybox httpd on 0.0.0.0:8080; GET / answers 200 "Hostname: <pod name>"...
  [ $# = 1 ] || die "usage: $0 whoami-image REF"
  local root
  mkdir -p "$H/images"; root=$(mktemp -d "$H/images/whoami.XXXXXX"); CLEANUP+=("$root")
  chmod 0755 "$root"
  busybox_into "$root" $APPLETS httpd
  users_into "$root" whoami
  install -d -m 0755 "$root/www/cgi-bin"
  # busybox httpd runs cgi-bin/index.cgi for a directory without index.html: GET / (any user)
  # (shell builtins only: one fork and exec of busybox per request; HOSTNAME comes from the runtime)
  cat >"$root/www/cgi-bin/index.cgi" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
printf 'Hostname: %s\nRequest: %s %s\nHost: %s\nUser-Agent: %s\nX-Forwarded-For: %s\nX-Forwarded-Server: %s\nRemoteAddr: %s\n' \
  "${HOSTNAME:-unknown}" "$REQUEST_METHOD" "$REQUEST_URI" "$HTTP_HOST" "$HTTP_USER_AGENT" "$HTTP_X_FORWARDED_FOR" \
  "$HTTP_X_FORWARDED_SERVER" "$REMOTE_ADDR"
CGI
  chmod 0755 "$root/www/cgi-bin/index.cgi"
  # httpd as PID 1 would ignore SIGTERM (pods would take their whole grace period to stop):
  # a shell that exits on it runs httpd in the foreground (-f: no daemon) as its child
  image "$root" "$1" /bin/sh -c "trap 'exit 0' TERM INT; /bin/httpd -f -p 0.0.0.0:8080 -h /www & wait"
}

# ------------------------------------------------------------------------- exec, status

exec_in() {
  [ $# -gt 0 ] || die "usage: $0 exec CMD..."
  [ -e "/run/netns/$NETNS" ] || die "network namespace $NETNS does not exist: '$0 up' first"
  export KUBECONFIG=$ADMIN
  exec ip netns exec "$NETNS" "$@"
}

status() {
  if [ -f "$ADMIN" ] && api_ok >/dev/null 2>&1; then
    if node_ready 2>/dev/null; then log "up: API https://127.0.0.1:$API_PORT, node $NODE Ready"; return 0; fi
    log "API answers, node $NODE not Ready"; return 1
  fi
  log "down (no API server on https://127.0.0.1:$API_PORT)"; return 1
}

# ---------------------------------------------------------------------------------- down

stop_all() { # name...: SIGTERM to each (its process group), SIGKILL what is left after 2 s (the state goes anyway)
  local n pid pids=() t0; t0=$(now_ms)
  for n in "$@"; do
    [ -f "$PIDS/$n" ] || continue
    pid=$(cat "$PIDS/$n"); rm -f "$PIDS/$n"
    kill -0 "$pid" 2>/dev/null || continue
    pids+=("$pid")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  while :; do
    local left=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
    [ ${#left[@]} -gt 0 ] || break
    if [ $(( $(now_ms) - t0 )) -ge 2000 ]; then
      for pid in "${left[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; done
      break
    fi
    sleep 0.1
  done
  log "stopped $* in $(since "$t0")"
}

kill_netns_pids() { # ns: SIGKILL every process whose network namespace it is
  local pid pids
  pids=$(ip netns pids "$1" 2>/dev/null || true)
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
  [ -z "$pids" ] || log "killed $(echo $pids | wc -w) leftover process(es) in $1"
}

pod_netns() { # the pods' network namespaces that this cluster made (not there before `up`)
  ip netns list 2>/dev/null | awk '{print $1}' | grep '^cni-' | { if [ -f "$H/netns.before" ]; then grep -vxF -f "$H/netns.before"; else cat; fi; } || true
}

mounts_under() { awk -v h="$H/" '{gsub(/\\040/, " ", $2)} index($2 "/", h) == 1 {print $2}' /proc/mounts | sort -r; }

down() {
  local t0 c m ns; t0=$(now_ms)
  if [ ! -d "$PIDS" ] && [ ! -d "$H/run" ] && [ ! -f "$H/sysctl.before" ] && [ ! -e "/run/netns/$NETNS" ]; then
    if [ "$(cat "$ACTIVE" 2>/dev/null)" = "$H" ]; then rm -f "$ACTIVE"; fi
    log "down: nothing runs"; return 0
  fi
  # first what would restart or reconfigure containers, then the containers themselves
  stop_all kubelet kube-proxy kube-controller-manager kube-scheduler addons
  if [ -S "$SOCK" ] && ctr -a "$SOCK" version >/dev/null 2>&1; then
    local t1 cs; t1=$(now_ms); cs=$(ctr -a "$SOCK" -n k8s.io containers ls -q 2>/dev/null || true)
    for c in $(ctr -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr -a "$SOCK" -n k8s.io tasks kill -a -s SIGKILL "$c" >/dev/null 2>&1 || true
    done
    for c in $cs; do
      ctr -a "$SOCK" -n k8s.io tasks delete -f "$c" >/dev/null 2>&1 || true
      ctr -a "$SOCK" -n k8s.io containers delete "$c" >/dev/null 2>&1 || true
    done
    log "killed and deleted $(echo $cs | wc -w) container(s) in $(since "$t1")"
  fi
  stop_all containerd kube-apiserver api-forward-host api-forward-netns etcd
  # anything left (containerd shims, pods' processes): by PID, through their namespaces
  for ns in $(pod_netns); do kill_netns_pids "$ns"; done
  [ -e "/run/netns/$NETNS" ] && kill_netns_pids "$NETNS"
  # mounts that kubelet and containerd left (volumes, rootfs, shm), deepest first; nothing
  # is deleted below a path still mounted
  for _ in 1 2 3 4 5; do
    m=$(mounts_under); [ -n "$m" ] || break
    echo "$m" | while read -r c; do umount "$c" 2>/dev/null || umount -l "$c" 2>/dev/null || true; done
  done
  [ -z "$(mounts_under)" ] || die "still mounted under $H: $(mounts_under | tr '\n' ' ')"
  log "unmounted what was left under $H"
  for ns in $(pod_netns); do ip netns delete "$ns" 2>/dev/null || true; done
  if [ -e "/run/netns/$NETNS" ]; then ip netns delete "$NETNS"; fi
  # kubelet's cgroups (cgroupfs driver), innermost first, now that their processes are gone
  for c in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  if [ -f "$H/sysctl.before" ]; then
    sed 's/ = /=/' "$H/sysctl.before" | while read -r kv; do sysctl -qw "$kv" 2>/dev/null || true; done
  fi
  # host paths kubelet and libcni write to whatever their configuration says: their entries
  # for this cluster, the directories themselves when `up` found none
  if [ -d "$H/var/kubelet/pods" ]; then
    for c in "$H"/var/kubelet/pods/*; do if [ -e "$c" ]; then rm -rf /var/log/pods/*_"$(basename "$c")"; fi; done
  fi
  if [ -d /var/log/containers ]; then find /var/log/containers -maxdepth 1 -xtype l -lname '/var/log/pods/*' -delete; fi
  if [ -d /var/lib/cni/results ] && [ -f "$H/netns.before" ]; then
    find /var/lib/cni/results -newer "$H/netns.before" \( -name 'traefikee-k8s-*' -o -name 'cni-loopback-*' \) -delete
  fi
  if [ -f "$H/paths.created" ]; then
    while read -r c; do case " $HOST_PATHS " in *" $c "*) rm -rf "$c" ;; esac; done <"$H/paths.created"
  fi
  # the state; the logs stay for a post-mortem (the next `up` clears them)
  find "$H" -mindepth 1 -maxdepth 1 ! -name logs -exec rm -rf --one-file-system {} +
  if [ "$(cat "$ACTIVE" 2>/dev/null)" = "$H" ]; then rm -f "$ACTIVE"; fi
  log "down in $(since "$t0"): no process, mount or network namespace left (logs kept in $L)"
}

CLEANUP=()
cleanup() { local d; for d in "${CLEANUP[@]}"; do rm -rf "$d"; done; }
trap cleanup EXIT

case "${1:-}" in
  build) build ;;
  up) up ;;
  image) shift; image "$@" ;;
  traefikee-image) shift; traefikee_image "$@" ;;
  whoami-image) shift; whoami_image "$@" ;;
  exec) shift; exec_in "$@" ;;
  status) status ;;
  down) down ;;
  *) echo "usage: $0 build | up | image [--env K=V]... [--workdir DIR] [--cmd ARG]... DIR REF [ENTRYPOINT...] |" \
          "traefikee-image BIN REF | whoami-image REF | exec CMD... | status | down" >&2; exit 2 ;;
esac
