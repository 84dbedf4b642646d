//! The manifests, as JSON values in apply order.
//!
//! Object names do not depend on the cluster name: a namespace holds one cluster, and
//! `connect --kubernetes` finds the credential Secret from the namespace alone. The cluster
//! name is in the `app.kubernetes.io/instance` label of every object.

use base64::Engine as _;
use serde_json::{json, Value};

use crate::options::InstallOptions;
use crate::target::Target;

/// The StatefulSet of controllers, its headless Service, ServiceAccount, Role, RoleBinding
/// and PodDisruptionBudget.
pub const CONTROLLER: &str = "traefikee-controller";
/// The Deployment of proxies, its LoadBalancer Service, ServiceAccount and
/// PodDisruptionBudget.
pub const PROXY: &str = "traefikee-proxy";
/// The ClusterIP Service of the mTLS API (port 55055).
pub const API_SERVICE: &str = "traefikee-api";
/// The ClusterIP Service of the dashboard (port 8080), with `dashboard` only.
pub const DASHBOARD_SERVICE: &str = "traefikee-dashboard";
/// The Secret with `CONTROL_NODE_TOKEN` and `DATA_NODE_TOKEN`.
pub const TOKENS_SECRET: &str = "traefikee-tokens";
/// The Secret with the seed archive (`seed.tar`).
pub const SEED_SECRET: &str = "traefikee-seed";
/// The Secret with the one-time API credential (`ca.pem`, `cert.pem`, `key.pem`).
pub const CREDENTIALS_SECRET: &str = "traefikee-credentials";

/// The controllers' cluster port (Raft, join, configuration feed).
pub const CLUSTER_PORT: u16 = 4242;
/// The controllers' mTLS API port.
pub const API_PORT: u16 = 55055;
/// The controllers' dashboard port.
pub const DASHBOARD_PORT: u16 = 8080;
/// The proxies' internal port: `/ping` (probes) and `/metrics`.
pub const PROXY_INTERNAL_PORT: u16 = 8082;

/// Label keys.
pub const LABEL_NAME: &str = "app.kubernetes.io/name";
pub const LABEL_INSTANCE: &str = "app.kubernetes.io/instance";
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const LABEL_COMPONENT: &str = "app.kubernetes.io/component";
/// Label values.
pub const APP: &str = "traefikee";
pub const MANAGER: &str = "traefikeectl";

/// Where things are inside the pods.
const STATE_MOUNT: &str = "/var/lib/traefikee";
/// A subdirectory: the node makes its state dir mode 0700, which it cannot do to a volume's
/// root owned by root.
const STATE_DIR: &str = "/var/lib/traefikee/state";
const RUN_DIR: &str = "/var/run/traefikee";
const SOCKET: &str = "/var/run/traefikee/traefikee.sock";
const SEED_DIR: &str = "/var/run/traefikee-seed";
/// Where the bootstrap writes the API credentials it makes; nobody reads them there (the
/// credential Secret is the one `connect` uses), and the directory is emptied before each
/// start so a restart is never refused for finding old ones.
const BOOTSTRAP_CREDENTIALS_DIR: &str = "/tmp/traefikee-credentials";

/// The sysctl that lets the proxies listen on 80 and 443 without root.
pub const UNPRIVILEGED_PORT_SYSCTL: &str = "net.ipv4.ip_unprivileged_port_start";

/// How long a deleted proxy keeps serving before it gets SIGTERM.
pub const PROXY_PRESTOP_SECONDS: u32 = 5;

/// The image's user (`traefikee`, uid and gid 65532: see the Dockerfile).
pub const RUN_AS: u32 = 65532;

/// The label selector of everything one install made.
pub fn instance_selector(cluster_name: &str) -> String {
    format!("{LABEL_MANAGED_BY}={MANAGER},{LABEL_NAME}={APP},{LABEL_INSTANCE}={cluster_name}")
}

/// The DNS name of controller `ordinal` inside the cluster.
pub fn controller_host(namespace: &str, ordinal: u32) -> String {
    format!("{CONTROLLER}-{ordinal}.{CONTROLLER}.{namespace}.svc")
}

/// Every controller's cluster address, in ordinal order.
pub fn controller_addresses(opts: &InstallOptions) -> Vec<String> {
    (0..opts.control_nodes).map(|i| format!("{}:{CLUSTER_PORT}", controller_host(&opts.namespace, i))).collect()
}

/// The in-cluster address of the API Service.
pub fn api_address(namespace: &str) -> String {
    format!("{API_SERVICE}.{namespace}.svc:{API_PORT}")
}

fn labels(opts: &InstallOptions, component: Option<&str>) -> Value {
    let mut l = json!({
        LABEL_NAME: APP,
        LABEL_INSTANCE: opts.cluster_name,
        LABEL_MANAGED_BY: MANAGER,
    });
    if let Some(c) = component {
        l[LABEL_COMPONENT] = json!(c);
    }
    l
}

fn selector(opts: &InstallOptions, component: &str) -> Value {
    json!({ LABEL_NAME: APP, LABEL_INSTANCE: opts.cluster_name, LABEL_COMPONENT: component })
}

fn meta(opts: &InstallOptions, name: &str, component: &str) -> Value {
    json!({ "name": name, "namespace": opts.namespace, "labels": labels(opts, Some(component)) })
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Every manifest for a server of `target`, in apply order: namespace, service accounts,
/// RBAC, secrets, services, disruption budgets, then the controllers and the proxies.
pub fn render(opts: &InstallOptions, target: &Target) -> Vec<Value> {
    let mut out = vec![
        namespace(opts),
        service_account(opts, CONTROLLER, "controller"),
        service_account(opts, PROXY, "proxy"),
        role(opts),
        role_binding(opts),
        tokens_secret(opts),
        seed_secret(opts),
        credentials_secret(opts),
        headless_service(opts),
        api_service(opts),
    ];
    if opts.dashboard {
        out.push(dashboard_service(opts));
    }
    out.push(proxy_service(opts));
    if let Some(pdb) = controller_pdb(opts, target) {
        out.push(pdb);
    }
    if let Some(pdb) = proxy_pdb(opts, target) {
        out.push(pdb);
    }
    out.push(controller_statefulset(opts, target));
    out.push(proxy_deployment(opts));
    out
}

/// The manifests as `---`-separated YAML documents, for `--dry-run -o yaml`.
pub fn render_yaml(opts: &InstallOptions, target: &Target) -> String {
    let mut out = String::new();
    for m in render(opts, target) {
        out.push_str("---\n");
        // A Value always serializes.
        out.push_str(&serde_yaml::to_string(&m).unwrap_or_default());
    }
    out
}

/// The namespace, labelled so `uninstall` knows it made it. It has no component label:
/// it belongs to both.
fn namespace(opts: &InstallOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": opts.namespace, "labels": labels(opts, None) },
    })
}

/// No pod needs to talk to the API server: the tokens are not mounted.
fn service_account(opts: &InstallOptions, name: &str, component: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta(opts, name, component),
        "automountServiceAccountToken": false,
    })
}

/// The controllers' permissions on the Kubernetes API: none today. The Role exists so that
/// the Kubernetes providers (Ingress, IngressRoute) add their read rules here and nowhere
/// wider. Proxies have no Role at all: they never talk to the orchestrator.
fn role(opts: &InstallOptions) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": meta(opts, CONTROLLER, "controller"),
        "rules": [],
    })
}

fn role_binding(opts: &InstallOptions) -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": meta(opts, CONTROLLER, "controller"),
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": CONTROLLER },
        "subjects": [{ "kind": "ServiceAccount", "name": CONTROLLER, "namespace": opts.namespace }],
    })
}

fn tokens_secret(opts: &InstallOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(opts, TOKENS_SECRET, "controller"),
        "type": "Opaque",
        "data": {
            "CONTROL_NODE_TOKEN": b64(opts.seed.control_token.as_bytes()),
            "DATA_NODE_TOKEN": b64(opts.seed.data_token.as_bytes()),
        },
    })
}

fn seed_secret(opts: &InstallOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(opts, SEED_SECRET, "controller"),
        "type": "Opaque",
        "data": { "seed.tar": b64(&opts.seed.archive) },
    })
}

fn credentials_secret(opts: &InstallOptions) -> Value {
    let c = &opts.seed.enrollment;
    json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta(opts, CREDENTIALS_SECRET, "controller"),
        "type": "Opaque",
        "data": {
            "ca.pem": b64(c.ca_pem.as_bytes()),
            "cert.pem": b64(c.cert_pem.as_bytes()),
            "key.pem": b64(c.key_pem.as_bytes()),
        },
    })
}

/// Peer discovery: `traefikee-controller-N.traefikee-controller.<ns>.svc` resolves as soon
/// as the pod has an address, ready or not (a controller is ready only once there is a
/// leader, which needs the others to find it first).
fn headless_service(opts: &InstallOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(opts, CONTROLLER, "controller"),
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": true,
            "selector": selector(opts, "controller"),
            "ports": [
                { "name": "cluster", "port": CLUSTER_PORT, "targetPort": "cluster", "protocol": "TCP" },
                { "name": "api", "port": API_PORT, "targetPort": "api", "protocol": "TCP" },
            ],
        },
    })
}

fn api_service(opts: &InstallOptions) -> Value {
    controller_service(opts, API_SERVICE, "api", API_PORT)
}

fn dashboard_service(opts: &InstallOptions) -> Value {
    controller_service(opts, DASHBOARD_SERVICE, "dashboard", DASHBOARD_PORT)
}

/// A ClusterIP Service in front of one named port of the controllers.
fn controller_service(opts: &InstallOptions, name: &str, port_name: &str, port: u16) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(opts, name, "controller"),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(opts, "controller"),
            "ports": [{ "name": port_name, "port": port, "targetPort": port_name, "protocol": "TCP" }],
        },
    })
}

fn proxy_service(opts: &InstallOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(opts, PROXY, "proxy"),
        "spec": {
            "type": "LoadBalancer",
            "selector": selector(opts, "proxy"),
            "ports": [
                { "name": "http", "port": 80, "targetPort": "http", "protocol": "TCP" },
                { "name": "https", "port": 443, "targetPort": "https", "protocol": "TCP" },
            ],
        },
    })
}

/// How many controllers a voluntary disruption must leave running: a majority, so the Raft
/// cluster keeps its quorum. `None` for a single controller: a budget could then only
/// block node drains forever, and there is no quorum to keep.
pub fn controller_min_available(control_nodes: u32) -> Option<u32> {
    (control_nodes > 1).then_some(control_nodes / 2 + 1)
}

/// How many proxies a voluntary disruption must leave running: one, when there are several.
pub fn proxy_min_available(data_nodes: u32) -> Option<u32> {
    (data_nodes > 1).then_some(1)
}

fn controller_pdb(opts: &InstallOptions, target: &Target) -> Option<Value> {
    let min = controller_min_available(opts.control_nodes)?;
    Some(json!({
        "apiVersion": target.pdb.api_version(),
        "kind": "PodDisruptionBudget",
        "metadata": meta(opts, CONTROLLER, "controller"),
        "spec": { "minAvailable": min, "selector": { "matchLabels": selector(opts, "controller") } },
    }))
}

fn proxy_pdb(opts: &InstallOptions, target: &Target) -> Option<Value> {
    let min = proxy_min_available(opts.data_nodes)?;
    Some(json!({
        "apiVersion": target.pdb.api_version(),
        "kind": "PodDisruptionBudget",
        "metadata": meta(opts, PROXY, "proxy"),
        "spec": { "minAvailable": min, "selector": { "matchLabels": selector(opts, "proxy") } },
    }))
}

/// Non-root, no privilege escalation, no capabilities, read-only root file system: every
/// path a node writes is a volume.
fn container_security() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "readOnlyRootFilesystem": true,
        "runAsNonRoot": true,
        "capabilities": { "drop": ["ALL"] },
    })
}

fn pod_security(sysctls: Option<Value>) -> Value {
    let mut s = json!({
        "runAsNonRoot": true,
        "runAsUser": RUN_AS,
        "runAsGroup": RUN_AS,
        "fsGroup": RUN_AS,
        "fsGroupChangePolicy": "OnRootMismatch",
        "seccompProfile": { "type": "RuntimeDefault" },
    });
    if let Some(sysctls) = sysctls {
        s["sysctls"] = sysctls;
    }
    s
}

/// Spread the pods of a component over the nodes when there are enough nodes.
fn spread(opts: &InstallOptions, component: &str) -> Value {
    json!({
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{
                "weight": 100,
                "podAffinityTerm": {
                    "topologyKey": "kubernetes.io/hostname",
                    "labelSelector": { "matchLabels": selector(opts, component) },
                },
            }],
        },
    })
}

fn pod_env(token_key: &str) -> Value {
    json!([
        { "name": "POD_NAME", "valueFrom": { "fieldRef": { "fieldPath": "metadata.name" } } },
        // Read by --token; kept out of the command line so it shows in no process list.
        { "name": "TRAEFIKEE_TOKEN", "valueFrom": { "secretKeyRef": { "name": TOKENS_SECRET, "key": token_key } } },
        // Read by --traefikeesocket, so `kubectl exec ... traefikee list-nodes` works as is.
        { "name": "TRAEFIKEE_SOCKET", "value": SOCKET },
    ])
}

/// Single-quotes `s` for `sh`.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The controllers' start script. While the seed Secret exists (during install), ordinal 0
/// bootstraps the cluster from the seed archive, and resumes from its state dir on a
/// restart (`bootstrap` does that by itself). Every other controller, and ordinal 0 once
/// install has deleted the seed, runs `start-control-node`: it restarts from its state dir,
/// or joins through the other controllers if its volume is new, so a controller 0 that lost
/// its volume rejoins the cluster instead of founding a second one.
pub fn controller_script(opts: &InstallOptions) -> String {
    let ns = &opts.namespace;
    let advertise = format!("\"${{POD_NAME}}.{CONTROLLER}.{ns}.svc:{CLUSTER_PORT}\"");
    let common = format!(
        "--statedir={STATE_DIR} --traefikeesocket={SOCKET} --listen=0.0.0.0:{CLUSTER_PORT} \
         --advertise={advertise} --api.addr=0.0.0.0:{API_PORT} --name=\"${{POD_NAME}}\"{dashboard}",
        dashboard = if opts.dashboard { " --dashboard" } else { "" },
    );
    let peers = controller_addresses(opts).join(" ");
    format!(
        r#"set -eu
ordinal="${{POD_NAME##*-}}"
if [ "$ordinal" = "0" ] && [ -f {SEED_DIR}/seed.tar ]; then
  rm -rf {creds}
  exec traefikee bootstrap --archivepath={SEED_DIR}/seed.tar --clustername={name} --controlnodes=1 --mtlscertsoutputdir={creds} {common}
fi
peers=""
for p in {peers}; do
  case "$p" in "${{POD_NAME}}".*) ;; *) peers="${{peers:+$peers,}}$p" ;; esac
done
exec traefikee start-control-node --peeraddresses="$peers" {common}
"#,
        creds = BOOTSTRAP_CREDENTIALS_DIR,
        name = sh_quote(&opts.cluster_name),
    )
}

fn controller_statefulset(opts: &InstallOptions, target: &Target) -> Value {
    let mut ports = vec![
        json!({ "name": "cluster", "containerPort": CLUSTER_PORT, "protocol": "TCP" }),
        json!({ "name": "api", "containerPort": API_PORT, "protocol": "TCP" }),
    ];
    if opts.dashboard {
        ports.push(json!({ "name": "dashboard", "containerPort": DASHBOARD_PORT, "protocol": "TCP" }));
    }
    let mut claim_spec = json!({
        "accessModes": ["ReadWriteOnce"],
        "resources": { "requests": { "storage": opts.storage_size } },
    });
    if let Some(class) = &opts.storage_class {
        claim_spec["storageClassName"] = json!(class);
    }
    let mut sts = json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta(opts, CONTROLLER, "controller"),
        "spec": {
            "serviceName": CONTROLLER,
            "replicas": opts.control_nodes,
            "podManagementPolicy": "Parallel",
            "updateStrategy": { "type": "RollingUpdate" },
            "selector": { "matchLabels": selector(opts, "controller") },
            "template": {
                "metadata": { "labels": labels(opts, Some("controller")) },
                "spec": {
                    "serviceAccountName": CONTROLLER,
                    "automountServiceAccountToken": false,
                    "enableServiceLinks": false,
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": pod_security(None),
                    "affinity": spread(opts, "controller"),
                    "containers": [{
                        "name": "controller",
                        "image": opts.image,
                        "imagePullPolicy": "IfNotPresent",
                        "command": ["/bin/sh", "-c", controller_script(opts)],
                        "env": pod_env("CONTROL_NODE_TOKEN"),
                        "ports": ports,
                        // Ready once this controller knows a Raft leader; the socket exists
                        // only once the node has joined.
                        "readinessProbe": {
                            "exec": { "command": [
                                "/bin/sh", "-c",
                                format!("traefikee status -o json --traefikeesocket={SOCKET} | grep -q '\"leader\": *\"'"),
                            ] },
                            "initialDelaySeconds": 2,
                            "periodSeconds": 5,
                            "timeoutSeconds": 5,
                            "failureThreshold": 3,
                        },
                        // Alive while the cluster port accepts connections (bound first
                        // thing); losing quorum must not restart every controller.
                        "livenessProbe": {
                            "tcpSocket": { "port": "cluster" },
                            "initialDelaySeconds": 10,
                            "periodSeconds": 10,
                            "timeoutSeconds": 5,
                            "failureThreshold": 6,
                        },
                        "resources": {
                            "requests": { "cpu": "100m", "memory": "128Mi" },
                            "limits": { "memory": "512Mi" },
                        },
                        "securityContext": container_security(),
                        "volumeMounts": [
                            { "name": "state", "mountPath": STATE_MOUNT },
                            { "name": "run", "mountPath": RUN_DIR },
                            { "name": "tmp", "mountPath": "/tmp" },
                            { "name": "seed", "mountPath": SEED_DIR, "readOnly": true },
                        ],
                    }],
                    "volumes": [
                        { "name": "run", "emptyDir": {} },
                        { "name": "tmp", "emptyDir": {} },
                        // Deleted once the cluster is up: the pods start without it from then on.
                        {
                            "name": "seed",
                            "secret": { "secretName": SEED_SECRET, "defaultMode": 0o440, "optional": true },
                        },
                    ],
                },
            },
            "volumeClaimTemplates": [{
                "metadata": { "name": "state", "labels": labels(opts, Some("controller")) },
                "spec": claim_spec,
            }],
        },
    });
    // Older servers refuse the field; there, uninstall deletes the claims itself (it does
    // anyway: they carry the instance labels).
    if target.pvc_retention_policy() {
        sts["spec"]["persistentVolumeClaimRetentionPolicy"] =
            json!({ "whenDeleted": "Delete", "whenScaled": "Retain" });
    }
    sts
}

fn proxy_deployment(opts: &InstallOptions) -> Value {
    let peers = controller_addresses(opts).join(",");
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(opts, PROXY, "proxy"),
        "spec": {
            "replicas": opts.data_nodes,
            "strategy": { "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": 0, "maxSurge": 1 } },
            "selector": { "matchLabels": selector(opts, "proxy") },
            "template": {
                "metadata": { "labels": labels(opts, Some("proxy")) },
                "spec": {
                    "serviceAccountName": PROXY,
                    "automountServiceAccountToken": false,
                    "enableServiceLinks": false,
                    "terminationGracePeriodSeconds": 30,
                    // Entry points listen on 80 and 443 without root or capabilities.
                    "securityContext": pod_security(Some(json!([
                        { "name": UNPRIVILEGED_PORT_SYSCTL, "value": "0" },
                    ]))),
                    "affinity": spread(opts, "proxy"),
                    "containers": [{
                        "name": "proxy",
                        "image": opts.image,
                        "imagePullPolicy": "IfNotPresent",
                        "command": ["traefikee"],
                        "args": [
                            "start-data-node",
                            format!("--peeraddresses={peers}"),
                            format!("--statedir={STATE_DIR}"),
                            format!("--traefikeesocket={SOCKET}"),
                            "--name=$(POD_NAME)",
                            format!("--metrics.addr=0.0.0.0:{PROXY_INTERNAL_PORT}"),
                            // A deleted pod's replacement is another node: forget this one
                            // at once rather than list it DOWN for the grace period.
                            "--leave-on-stop".to_string(),
                        ],
                        "env": pod_env("DATA_NODE_TOKEN"),
                        "ports": [
                            { "name": "http", "containerPort": 80, "protocol": "TCP" },
                            { "name": "https", "containerPort": 443, "protocol": "TCP" },
                            { "name": "internal", "containerPort": PROXY_INTERNAL_PORT, "protocol": "TCP" },
                        ],
                        // /ping answers once the proxy has joined (which waits for the
                        // controllers: up to 10 minutes here), and 503 while it stops.
                        "startupProbe": {
                            "httpGet": { "path": "/ping", "port": "internal" },
                            "periodSeconds": 5,
                            "timeoutSeconds": 3,
                            "failureThreshold": 120,
                        },
                        "readinessProbe": {
                            "httpGet": { "path": "/ping", "port": "internal" },
                            "periodSeconds": 5,
                            "timeoutSeconds": 3,
                            "failureThreshold": 2,
                        },
                        "livenessProbe": {
                            "httpGet": { "path": "/ping", "port": "internal" },
                            "periodSeconds": 10,
                            "timeoutSeconds": 5,
                            "failureThreshold": 6,
                        },
                        // The pod leaves the Service's endpoints as soon as it is deleted,
                        // but load balancers and kube-proxy learn it a moment later: keep
                        // serving meanwhile, then SIGTERM turns /ping to 503, stops
                        // accepting and lets requests in flight finish.
                        "lifecycle": { "preStop": { "exec": { "command": ["sleep", PROXY_PRESTOP_SECONDS.to_string()] } } },
                        "resources": {
                            "requests": { "cpu": "100m", "memory": "64Mi" },
                            "limits": { "memory": "512Mi" },
                        },
                        "securityContext": container_security(),
                        "volumeMounts": [
                            { "name": "state", "mountPath": STATE_MOUNT },
                            { "name": "run", "mountPath": RUN_DIR },
                            { "name": "tmp", "mountPath": "/tmp" },
                        ],
                    }],
                    // The last configuration survives a container restart, not a new pod.
                    "volumes": [
                        { "name": "state", "emptyDir": {} },
                        { "name": "run", "emptyDir": {} },
                        { "name": "tmp", "emptyDir": {} },
                    ],
                },
            },
        },
    })
}
