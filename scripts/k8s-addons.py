#!/usr/bin/python3
"""Cluster add-ons of scripts/k8s.sh, for a cluster that has neither CoreDNS nor a dynamic
volume provisioner (neither can be built here). Needs Debian's python3-dnslib (/usr/bin/python3).

  k8s-addons.py serve   # run by `k8s.sh up` inside the cluster's network namespace
  k8s-addons.py resolve NAME [SERVER]   # one A query; prints the addresses, exit 1 if none

serve does two jobs, from watches of the API server (list, then watch; relist on errors):

* Cluster DNS on $DNS_ADDR:53, UDP and TCP, TTL 1:
    <svc>.<ns>.svc.<domain>             A: the ClusterIP; a headless Service: its ready endpoint
                                        addresses (with publishNotReadyAddresses, all of them)
    <hostname>.<svc>.<ns>.svc.<domain>  A: that endpoint (StatefulSet pods of a headless Service)
    <a-b-c-d>.<ns>.pod.<domain>         A: a.b.c.d
  other record types of a known name: NOERROR without answers; anything else: NXDOMAIN (no
  upstream: the cluster's network namespace has no way out anyway).
* Volumes: keeps $VOLUMES hostPath PersistentVolumes Available (2Gi, ReadWriteOnce, Retain, no
  storage class), directories $VOLUME_DIR/pvN owned $VOLUME_UID:$VOLUME_UID mode 0700. A
  volume whose claim was deleted (Released) is deleted, its directory wiped, and a fresh
  Available one takes its place.

Settings come from the environment: API (https://127.0.0.1:6443), CA, CERT, KEY (admin
credentials), DNS_ADDR, DOMAIN (cluster.local), VOLUMES (6), VOLUME_DIR, VOLUME_UID (65532),
DNS_LOG=1 logs every query.
"""
import ipaddress
import json
import os
import shutil
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request

ENV = os.environ
API = ENV.get("API", "https://127.0.0.1:6443")
DOMAIN = ENV.get("DOMAIN", "cluster.local").strip(".").lower()
VOLUME_LABEL = "traefikee-k8s/volume-slot"


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, flush=True)


class Api:
    def __init__(self):
        self.ctx = ssl.create_default_context(cafile=ENV["CA"])
        self.ctx.load_cert_chain(ENV["CERT"], ENV["KEY"])

    def open(self, method, path, body=None, timeout=10.0):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(API + path, data=data, method=method,
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
        return urllib.request.urlopen(req, context=self.ctx, timeout=timeout)

    def call(self, method, path, body=None):
        with self.open(method, path, body) as r:
            return json.load(r)


class Informer(threading.Thread):
    """A list+watch cache of one resource list (e.g. /api/v1/services), keyed by namespace/name."""

    def __init__(self, api, path, on_change):
        super().__init__(daemon=True, name=path)
        self.api, self.path, self.on_change = api, path, on_change
        self.items, self.synced = {}, threading.Event()

    @staticmethod
    def key(o):
        m = o["metadata"]
        return m.get("namespace", ""), m["name"]

    def run(self):
        sep = "&" if "?" in self.path else "?"
        while True:
            try:
                lst = self.api.call("GET", self.path)
                rv = lst["metadata"]["resourceVersion"]
                self.items = {self.key(o): o for o in lst.get("items") or []}
                self.synced.set()
                self.on_change()
                while True:
                    url = f"{self.path}{sep}watch=1&allowWatchBookmarks=true&timeoutSeconds=240&resourceVersion={rv}"
                    with self.api.open("GET", url, timeout=300) as stream:
                        for line in stream:
                            ev = json.loads(line)
                            kind, o = ev.get("type"), ev.get("object") or {}
                            if kind == "ERROR":
                                raise RuntimeError(f"watch: {o.get('message')}")
                            rv = o["metadata"]["resourceVersion"]
                            if kind == "BOOKMARK":
                                continue
                            items = dict(self.items)
                            if kind == "DELETED":
                                items.pop(self.key(o), None)
                            else:
                                items[self.key(o)] = o
                            self.items = items
                            self.on_change()
            except Exception as e:  # the API server restarting, a 410 Gone: list again
                log(f"{self.path}: {e}; listing again")
                time.sleep(0.5)


# ---------------------------------------------------------------- DNS

class Records:
    def __init__(self, services, endpoints):
        self.services, self.endpoints = services, endpoints
        self.names = {}  # fully qualified name (no trailing dot) -> [IPv4 addresses]
        self.zones = {DOMAIN, "svc." + DOMAIN, "pod." + DOMAIN}
        self.lock = threading.Lock()

    def rebuild(self):
        with self.lock:
            names, zones = {}, {DOMAIN, "svc." + DOMAIN, "pod." + DOMAIN}
            eps = self.endpoints.items
            for (ns, name), svc in list(self.services.items.items()):
                spec = svc.get("spec") or {}
                fq = f"{name}.{ns}.svc.{DOMAIN}".lower()
                zones.add(f"{ns}.svc.{DOMAIN}".lower())
                zones.add(f"{ns}.pod.{DOMAIN}".lower())
                cip = spec.get("clusterIP")
                if spec.get("type") == "ExternalName":
                    names[fq] = []
                elif cip and cip != "None":
                    names[fq] = [cip]
                else:
                    ips = []
                    for subset in (eps.get((ns, name)) or {}).get("subsets") or []:
                        for a in subset.get("addresses") or []:
                            ips.append(a["ip"])
                            if a.get("hostname"):
                                names.setdefault(f"{a['hostname']}.{fq}".lower(), []).append(a["ip"])
                    names[fq] = ips
            if names != self.names:
                old = self.names
                for n in sorted(set(names) | set(old)):
                    if names.get(n) != old.get(n):
                        log(f"dns: {n} -> {' '.join(names[n]) if n in names else '(gone)'}")
            self.names, self.zones = names, zones

    def lookup(self, qname):
        """(known, [addresses]) for a lower-case name without the trailing dot."""
        names = self.names
        if qname in names:
            return True, names[qname]
        suffix = f".pod.{DOMAIN}"
        if qname.endswith(suffix):
            parts = qname[: -len(suffix)].split(".")
            if len(parts) == 2:
                try:
                    ip = ipaddress.IPv4Address(parts[0].replace("-", "."))
                    return True, [str(ip)]
                except ValueError:
                    pass
        return qname in self.zones, []


def dns_server(records, addr):
    from dnslib import QTYPE, RCODE, RR, A
    from dnslib.server import BaseResolver, DNSLogger, DNSServer

    verbose = ENV.get("DNS_LOG") == "1"

    class Resolver(BaseResolver):
        def resolve(self, request, handler):
            reply = request.reply()
            q = request.q
            name = str(q.qname).rstrip(".").lower()
            known, ips = records.lookup(name)
            if not known or (not ips and name in records.names):
                # unknown, or a headless Service without addresses: NXDOMAIN (as CoreDNS)
                reply.header.rcode = RCODE.NXDOMAIN
            elif q.qtype in (QTYPE.A, QTYPE.ANY):
                for ip in ips:
                    reply.add_answer(RR(q.qname, QTYPE.A, rdata=A(ip), ttl=1))
            if verbose:
                log(f"dns: {QTYPE[q.qtype]} {name} -> {RCODE[reply.header.rcode]} {' '.join(ips)}")
            return reply

    quiet = DNSLogger("-request,-reply,-truncated,-error", logf=lambda s: log("dns:", s))
    resolver = Resolver()
    for tcp in (False, True):
        DNSServer(resolver, address=addr, port=53, tcp=tcp, logger=quiet).start_thread()
    log(f"dns: serving {DOMAIN} on {addr}:53 (udp, tcp)")


# ---------------------------------------------------------------- volumes

class Volumes:
    def __init__(self, api, pvs, count, root, uid):
        self.api, self.pvs, self.count, self.root, self.uid = api, pvs, count, root, uid
        self.wake = threading.Event()
        self.generation = {}
        self.expect = {}  # slot -> (name, deadline): created, not yet seen by the watch

    def run(self):
        while True:
            try:
                self.reconcile()
            except Exception as e:
                log(f"volumes: {e}")
            self.wake.wait(2)
            self.wake.clear()

    def reconcile(self):
        if not self.pvs.synced.is_set():
            return
        slots = {}
        for (_, name), pv in list(self.pvs.items.items()):
            slot = (pv["metadata"].get("labels") or {}).get(VOLUME_LABEL)
            if slot is None:
                continue
            slots[int(slot)] = pv
            phase = (pv.get("status") or {}).get("phase")
            if phase in ("Released", "Failed") and not pv["metadata"].get("deletionTimestamp"):
                claim = (pv["spec"].get("claimRef") or {})
                log(f"volumes: {name} {phase} (claim {claim.get('namespace')}/{claim.get('name')} deleted): deleting")
                try:
                    self.api.call("DELETE", f"/api/v1/persistentvolumes/{name}")
                except urllib.error.HTTPError as e:
                    if e.code != 404:
                        raise
        seen = {name for (_, name) in self.pvs.items}
        for slot, (name, deadline) in list(self.expect.items()):
            if name in seen or time.monotonic() > deadline:
                del self.expect[slot]
        for slot in range(self.count):
            if slot not in slots and slot not in self.expect:
                self.create(slot)

    def create(self, slot):
        path = os.path.join(self.root, f"pv{slot}")
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
        os.chown(path, self.uid, self.uid)
        os.chmod(path, 0o700)
        while True:
            gen = self.generation.get(slot, 0) + 1
            self.generation[slot] = gen
            name = f"pv{slot}-{gen}"
            body = {
                "apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": name, "labels": {VOLUME_LABEL: str(slot)}},
                "spec": {
                    "capacity": {"storage": "2Gi"},
                    "accessModes": ["ReadWriteOnce"],
                    "persistentVolumeReclaimPolicy": "Retain",
                    "volumeMode": "Filesystem",
                    "hostPath": {"path": path, "type": "Directory"},
                },
            }
            try:
                self.api.call("POST", "/api/v1/persistentvolumes", body)
                log(f"volumes: {name} Available at {path}")
                self.expect[slot] = (name, time.monotonic() + 30)
                return
            except urllib.error.HTTPError as e:
                if e.code != 409:  # 409: the name is still taken (a restart of this daemon)
                    raise


def serve():
    api = Api()
    services = Informer(api, "/api/v1/services", lambda: records.rebuild())
    endpoints = Informer(api, "/api/v1/endpoints", lambda: records.rebuild())
    records = Records(services, endpoints)
    volumes = None
    pvs = Informer(api, f"/api/v1/persistentvolumes?labelSelector={VOLUME_LABEL}",
                   lambda: volumes and volumes.wake.set())
    volumes = Volumes(api, pvs, int(ENV.get("VOLUMES", "6")), ENV["VOLUME_DIR"], int(ENV.get("VOLUME_UID", "65532")))
    dns_server(records, ENV["DNS_ADDR"])
    for i in (services, endpoints, pvs):
        i.start()
    log(f"volumes: keeping {volumes.count} under {volumes.root}")
    volumes.run()


def resolve(name, server):
    from dnslib import QTYPE, DNSRecord
    reply = DNSRecord.parse(DNSRecord.question(name).send(server, 53, timeout=1))
    ips = [str(rr.rdata) for rr in reply.rr if rr.rtype == QTYPE.A]
    print(" ".join(ips))
    return 0 if ips else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["serve"]:
        serve()
    elif sys.argv[1:2] == ["resolve"] and len(sys.argv) in (3, 4):
        sys.exit(resolve(sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else ENV.get("DNS_ADDR", "10.244.0.1")))
    else:
        sys.exit(__doc__)
