//! The apply / wait / credential / uninstall flow against kube-rs's mock service support.
//!
//! There is no Kubernetes API server on these machines (nor in CI), so the client talks to
//! a `tower_test::mock` service answered by a small in-memory stand-in for the API server:
//! it stores what is applied, lists by label selector, deletes, reports workload status as
//! ready after a number of reads, and can be told to refuse given requests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{Request, Response, StatusCode};
use kube::client::Body;
use serde_json::{json, Value};
use traefikee_kube::{
    delete_credentials, install, read_credentials, render, uninstall, Client, Credentials, InstallOptions, KubeError,
    Seed, Step, Target,
};

// ---- the stand-in API server ----------------------------------------------------------------

#[derive(Default)]
struct Fake {
    /// Collection path (`/apis/apps/v1/namespaces/ns/statefulsets`) → name → object.
    store: BTreeMap<String, BTreeMap<String, Value>>,
    /// `METHOD path` of every request, in order.
    log: Vec<String>,
    /// Refuse a PATCH of the object whose path ends with this, with this status.
    fail_patch: Option<(String, u16)>,
    /// Refuse a DELETE of the object whose path ends with this.
    fail_delete: Option<String>,
    /// How many reads of a StatefulSet or Deployment show it not ready yet (`None`: never ready).
    not_ready_reads: Option<u32>,
    reads: BTreeMap<String, u32>,
    /// Pods a pod list answers with.
    pods: Vec<Value>,
    /// Answer as Kubernetes 1.20 does: no `policy/v1`.
    old_server: bool,
    /// The minor version `/version` answers, when not the one `old_server` implies.
    minor: Option<&'static str>,
}

fn status(code: u16, reason: &str, message: &str) -> Response<Body> {
    let body = json!({
        "apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code,
    });
    respond(code, &body)
}

fn respond(code: u16, body: &Value) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap())
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

fn query_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| kv.strip_prefix(&format!("{key}=")).map(percent_decode))
}

fn matches(obj: &Value, selector: &str) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|term| {
        let (k, v) = term.split_once('=').unwrap();
        obj["metadata"]["labels"][k] == v
    })
}

impl Fake {
    /// Splits a path into (collection, name).
    fn locate(path: &str) -> (String, Option<String>) {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let prefix_len = if segments[0] == "api" { 2 } else { 3 };
        let rest = &segments[prefix_len..];
        let prefix = segments[..prefix_len].join("/");
        match rest.len() {
            1 => (format!("/{prefix}/{}", rest[0]), None),
            2 => (format!("/{prefix}/{}", rest[0]), Some(rest[1].to_string())),
            3 => (format!("/{prefix}/{}", rest.join("/")), None),
            4 => (format!("/{prefix}/{}", rest[..3].join("/")), Some(rest[3].to_string())),
            _ => panic!("unexpected path {path}"),
        }
    }

    fn handle(&mut self, method: &str, path: &str, query: &str, body: &[u8]) -> Response<Body> {
        self.log.push(format!("{method} {path}"));
        if path == "/version" {
            let minor = self.minor.unwrap_or(if self.old_server { "20" } else { "36" });
            return respond(200, &json!({ "major": "1", "minor": minor, "gitVersion": format!("v1.{minor}.2") }));
        }
        if path.starts_with("/apis/policy/v1/") && self.old_server {
            return status(404, "NotFound", "the server could not find the requested resource");
        }
        if path == "/apis/policy/v1" {
            if self.old_server {
                return status(404, "NotFound", "the server could not find the requested resource");
            }
            return respond(
                200,
                &json!({ "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "policy/v1", "resources": [
                    { "name": "poddisruptionbudgets", "singularName": "", "namespaced": true,
                      "kind": "PodDisruptionBudget", "verbs": ["create", "delete", "get", "list", "patch"] },
                ] }),
            );
        }
        let (collection, name) = Fake::locate(path);
        match (method, name) {
            ("GET", None) => {
                let selector = query_param(query, "labelSelector").unwrap_or_default();
                let items: Vec<Value> = if collection.ends_with("/pods") {
                    self.pods.clone()
                } else {
                    self.store.get(&collection).into_iter().flat_map(|c| c.values().cloned()).collect()
                };
                let items: Vec<Value> = items.into_iter().filter(|o| matches(o, &selector)).collect();
                respond(200, &json!({ "apiVersion": "v1", "kind": "List", "metadata": {}, "items": items }))
            }
            ("GET", Some(name)) => match self.store.get(&collection).and_then(|c| c.get(&name)).cloned() {
                Some(mut obj) => {
                    self.add_status(&collection, &name, &mut obj);
                    respond(200, &obj)
                }
                None => status(404, "NotFound", &format!("{name} not found")),
            },
            ("PATCH", Some(name)) => {
                assert_eq!(query_param(query, "fieldManager").as_deref(), Some("traefikeectl"), "{query}");
                assert_eq!(query_param(query, "force").as_deref(), Some("true"), "{query}");
                if let Some((suffix, code)) = &self.fail_patch {
                    if path.ends_with(suffix.as_str()) {
                        return status(*code, "Refused", "admission webhook \"policy\" denied the request");
                    }
                }
                let mut obj: Value = serde_json::from_slice(body).unwrap();
                assert_eq!(obj["metadata"]["name"], name.as_str());
                obj["metadata"]["generation"] = json!(1);
                obj["metadata"]["uid"] = json!(format!("uid-{name}"));
                self.store.entry(collection).or_default().insert(name, obj.clone());
                respond(200, &obj)
            }
            ("DELETE", Some(name)) => {
                if self.fail_delete.as_deref().is_some_and(|s| path.ends_with(s)) {
                    return status(500, "InternalError", "etcd is on fire");
                }
                match self.store.get_mut(&collection).and_then(|c| c.remove(&name)) {
                    Some(obj) => respond(200, &obj),
                    None => status(404, "NotFound", &format!("{name} not found")),
                }
            }
            _ => status(405, "MethodNotAllowed", &format!("{method} {path}")),
        }
    }

    /// Workloads report ready replicas once `not_ready_reads` reads have passed.
    fn add_status(&mut self, collection: &str, name: &str, obj: &mut Value) {
        let workload = collection.ends_with("/statefulsets") || collection.ends_with("/deployments");
        if !workload {
            return;
        }
        let reads = self.reads.entry(format!("{collection}/{name}")).or_default();
        *reads += 1;
        let ready = self.not_ready_reads.is_some_and(|n| *reads > n);
        let replicas = obj["spec"]["replicas"].as_u64().unwrap();
        let shown = if ready { replicas } else { replicas.min(*reads as u64 - 1) };
        let shown = if self.not_ready_reads.is_none() { 0 } else { shown };
        obj["status"] = json!({
            "observedGeneration": 1,
            "replicas": replicas,
            "readyReplicas": shown,
            "availableReplicas": shown,
            "updatedReplicas": replicas,
        });
    }

    fn names(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .store
            .values()
            .flat_map(|c| c.values())
            .map(|o| format!("{} {}", o["kind"].as_str().unwrap(), o["metadata"]["name"].as_str().unwrap()))
            .collect();
        all.sort();
        all
    }
}

/// A client whose requests `fake` answers.
fn client(fake: &Arc<Mutex<Fake>>) -> Client {
    let (service, mut handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let fake = fake.clone();
    tokio::spawn(async move {
        while let Some((request, send)) = handle.next_request().await {
            let (parts, body) = request.into_parts();
            let body = body.collect_bytes().await.unwrap();
            if parts.method == http::Method::PATCH {
                assert_eq!(parts.headers["content-type"], "application/apply-patch+yaml");
            }
            let response = fake.lock().unwrap().handle(
                parts.method.as_str(),
                parts.uri.path(),
                parts.uri.query().unwrap_or_default(),
                &body,
            );
            send.send_response(response);
        }
    });
    Client::new(service, "default")
}

fn seed() -> Seed {
    Seed {
        archive: b"seed archive".to_vec(),
        control_token: "ctl".into(),
        data_token: "data".into(),
        enrollment: Credentials { ca_pem: "CA".into(), cert_pem: "CERT".into(), key_pem: "KEY".into() },
    }
}

fn opts() -> InstallOptions {
    InstallOptions {
        seed: seed(),
        // The stand-in answers at once; the deadline is the only bound on a wait.
        poll_interval: Duration::from_millis(1),
        wait_timeout: Duration::from_secs(30),
        ..Default::default()
    }
}

fn recorder() -> (Arc<Mutex<Vec<Step>>>, impl Fn(Step)) {
    let steps = Arc::new(Mutex::new(Vec::new()));
    let s = steps.clone();
    (steps, move |step| s.lock().unwrap().push(step))
}

fn every_rendered(o: &InstallOptions) -> Vec<String> {
    let mut all: Vec<String> = render(o, &Target::default())
        .iter()
        .map(|m| format!("{} {}", m["kind"].as_str().unwrap(), m["metadata"]["name"].as_str().unwrap()))
        .collect();
    all.sort();
    all
}

fn without_seed(names: Vec<String>) -> Vec<String> {
    names.into_iter().filter(|n| n != "Secret traefikee-seed").collect()
}

fn requests(fake: &Arc<Mutex<Fake>>, method: &str) -> Vec<String> {
    fake.lock().unwrap().log.iter().filter(|l| l.starts_with(method)).cloned().collect()
}

/// A cluster "old" as a previous install left it.
fn with_cluster(fake: &Arc<Mutex<Fake>>, name: &str) {
    let o = InstallOptions { cluster_name: name.into(), ..opts() };
    let mut f = fake.lock().unwrap();
    for m in render(&o, &Target::default()) {
        let kind = m["kind"].as_str().unwrap();
        let path = match kind {
            "Namespace" => "/api/v1/namespaces".to_string(),
            "StatefulSet" => "/apis/apps/v1/namespaces/traefikee/statefulsets".to_string(),
            "Deployment" => "/apis/apps/v1/namespaces/traefikee/deployments".to_string(),
            "Secret" => "/api/v1/namespaces/traefikee/secrets".to_string(),
            _ => continue,
        };
        f.store.entry(path).or_default().insert(m["metadata"]["name"].as_str().unwrap().into(), m);
    }
}

// ---- the tests ------------------------------------------------------------------------------

#[tokio::test]
async fn install_applies_everything_in_order_and_waits_for_the_cluster() {
    let fake = Arc::new(Mutex::new(Fake { not_ready_reads: Some(2), ..Default::default() }));
    let (steps, progress) = recorder();
    let o = opts();
    let installed = install(client(&fake), &o, &progress).await.unwrap();

    assert_eq!(installed.api_address, "traefikee-api.traefikee.svc:55055");
    assert_eq!(installed.proxy_service, "traefikee-proxy");
    assert_eq!(installed.dashboard_service, None);
    assert_eq!(installed.warnings, Vec::<String>::new());
    assert_eq!(installed.applied.len(), render(&o, &Target::default()).len());
    // Everything is there but the seed, deleted once the cluster was up.
    assert_eq!(fake.lock().unwrap().names(), without_seed(every_rendered(&o)));

    // Applied in render order, each announced before it is applied.
    let rendered: Vec<Step> = render(&o, &Target::default())
        .iter()
        .map(|m| Step::Applying {
            kind: m["kind"].as_str().unwrap().into(),
            name: m["metadata"]["name"].as_str().unwrap().into(),
        })
        .collect();
    let steps = steps.lock().unwrap().clone();
    let applying: Vec<Step> = steps.iter().filter(|s| matches!(s, Step::Applying { .. })).cloned().collect();
    assert_eq!(applying, rendered);
    let patches = requests(&fake, "PATCH");
    assert_eq!(patches.len(), rendered.len());
    assert_eq!(patches[0], "PATCH /api/v1/namespaces/traefikee");
    assert_eq!(patches.last().unwrap(), "PATCH /apis/apps/v1/namespaces/traefikee/deployments/traefikee-proxy");

    // Then the wait, reported as the counts change, until everything is ready.
    let waits: Vec<&Step> = steps.iter().skip_while(|s| !matches!(s, Step::WaitingForControllers { .. })).collect();
    assert_eq!(
        waits,
        [
            &Step::WaitingForControllers { ready: 0, wanted: 3 },
            &Step::WaitingForControllers { ready: 1, wanted: 3 },
            &Step::WaitingForControllers { ready: 3, wanted: 3 },
            &Step::RemovingSeed,
            &Step::WaitingForProxies { ready: 0, wanted: 2 },
            &Step::WaitingForProxies { ready: 1, wanted: 2 },
            &Step::WaitingForProxies { ready: 2, wanted: 2 },
            &Step::Ready,
        ]
    );
    assert_eq!(requests(&fake, "DELETE"), ["DELETE /api/v1/namespaces/traefikee/secrets/traefikee-seed"]);
}

#[tokio::test]
async fn connect_reads_the_credential_then_deletes_it() {
    let fake = Arc::new(Mutex::new(Fake { not_ready_reads: Some(0), ..Default::default() }));
    install(client(&fake), &opts(), &|_| {}).await.unwrap();

    let creds = read_credentials(client(&fake), "traefikee").await.unwrap();
    assert_eq!(creds, seed().enrollment);
    delete_credentials(client(&fake), "traefikee").await.unwrap();
    assert!(
        requests(&fake, "DELETE").contains(&"DELETE /api/v1/namespaces/traefikee/secrets/traefikee-credentials".into())
    );

    // Once used, it is gone, and saying so is the error.
    let err = read_credentials(client(&fake), "traefikee").await.unwrap_err();
    assert!(matches!(err, KubeError::NoCredentials { .. }), "{err}");
    assert!(err.to_string().contains("already used"), "{err}");
    // Deleting again is fine.
    delete_credentials(client(&fake), "traefikee").await.unwrap();
}

#[tokio::test]
async fn a_damaged_credential_secret_is_reported() {
    let fake = Arc::new(Mutex::new(Fake::default()));
    fake.lock().unwrap().store.entry("/api/v1/namespaces/ns/secrets".into()).or_default().insert(
        "traefikee-credentials".into(),
        json!({ "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "traefikee-credentials" },
                "data": { "ca.pem": "Q0E=", "cert.pem": "Q0VSVA==" } }),
    );
    let err = read_credentials(client(&fake), "ns").await.unwrap_err();
    assert!(err.to_string().contains("has no key.pem"), "{err}");
}

#[tokio::test]
async fn a_namespace_holding_a_cluster_is_refused_without_force() {
    let fake = Arc::new(Mutex::new(Fake { not_ready_reads: Some(0), ..Default::default() }));
    with_cluster(&fake, "old");
    let before = fake.lock().unwrap().names();
    let err = install(client(&fake), &opts(), &|_| {}).await.unwrap_err();
    assert!(matches!(err, KubeError::ClusterExists { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("namespace traefikee already holds the traefikee cluster old"), "{msg}");
    assert!(msg.contains("pass --force to replace it"), "{msg}");
    // Nothing was changed.
    assert!(requests(&fake, "PATCH").is_empty() && requests(&fake, "DELETE").is_empty());
    assert_eq!(fake.lock().unwrap().names(), before);
}

#[tokio::test]
async fn force_replaces_the_cluster() {
    let fake = Arc::new(Mutex::new(Fake { not_ready_reads: Some(0), ..Default::default() }));
    with_cluster(&fake, "old");
    let (steps, progress) = recorder();
    let o = InstallOptions { force: true, cluster_name: "new".into(), ..opts() };
    install(client(&fake), &o, &progress).await.unwrap();
    let steps = steps.lock().unwrap().clone();
    assert!(steps.contains(&Step::Replacing { cluster: "old".into() }), "{steps:?}");
    let deletes = requests(&fake, "DELETE");
    assert!(deletes.contains(&"DELETE /apis/apps/v1/namespaces/traefikee/statefulsets/traefikee-controller".into()));
    // The old cluster's namespace was ours, so it is relabelled rather than deleted.
    assert!(!deletes.contains(&"DELETE /api/v1/namespaces/traefikee".into()), "{deletes:?}");
    let f = fake.lock().unwrap();
    assert_eq!(f.names(), without_seed(every_rendered(&o)));
    let sts = &f.store["/apis/apps/v1/namespaces/traefikee/statefulsets"]["traefikee-controller"];
    assert_eq!(sts["metadata"]["labels"]["app.kubernetes.io/instance"], "new");
    assert_eq!(f.store["/api/v1/namespaces"]["traefikee"]["metadata"]["labels"]["app.kubernetes.io/instance"], "new");
}

#[tokio::test]
async fn a_failed_apply_rolls_back_what_was_created() {
    let fake = Arc::new(Mutex::new(Fake {
        fail_patch: Some(("/statefulsets/traefikee-controller".into(), 422)),
        ..Default::default()
    }));
    let (steps, progress) = recorder();
    let err = install(client(&fake), &opts(), &progress).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, KubeError::ApplyFailed { kind, remains, .. } if kind == "StatefulSet" && remains.is_empty()),
        "{msg}"
    );
    assert!(msg.contains("applying StatefulSet traefikee-controller failed"), "{msg}");
    assert!(msg.contains("admission webhook"), "{msg}");
    assert!(msg.contains("everything created before it was removed again"), "{msg}");

    // Nothing is left, and the deletions ran in reverse order, the namespace last.
    assert_eq!(fake.lock().unwrap().names(), Vec::<String>::new());
    let deletes = requests(&fake, "DELETE");
    assert_eq!(
        deletes.first().unwrap(),
        "DELETE /apis/policy/v1/namespaces/traefikee/poddisruptionbudgets/traefikee-proxy"
    );
    assert_eq!(deletes.last().unwrap(), "DELETE /api/v1/namespaces/traefikee");
    assert_eq!(deletes.len(), 13, "{deletes:?}");
    let steps = steps.lock().unwrap();
    assert!(steps.contains(&Step::RollingBack { kind: "Secret".into(), name: "traefikee-seed".into() }));
    assert!(!steps.iter().any(|s| matches!(s, Step::WaitingForControllers { .. })));
}

#[tokio::test]
async fn a_failed_rollback_says_exactly_what_remains() {
    let fake = Arc::new(Mutex::new(Fake {
        fail_patch: Some(("/deployments/traefikee-proxy".into(), 500)),
        fail_delete: Some("/secrets/traefikee-seed".into()),
        ..Default::default()
    }));
    let err = install(client(&fake), &opts(), &|_| {}).await.unwrap_err();
    let msg = err.to_string();
    let KubeError::ApplyFailed { remains, .. } = &err else { panic!("{msg}") };
    assert_eq!(remains.len(), 1, "{remains:?}");
    assert!(remains[0].starts_with("Secret traefikee-seed"), "{remains:?}");
    assert!(msg.contains("the rollback could not remove Secret traefikee-seed"), "{msg}");
    assert_eq!(fake.lock().unwrap().names(), ["Secret traefikee-seed"]);
}

#[tokio::test]
async fn forbidden_says_which_rights_are_missing() {
    let fake = Arc::new(Mutex::new(Fake {
        fail_patch: Some(("/roles/traefikee-controller".into(), 403)),
        ..Default::default()
    }));
    let err = install(client(&fake), &opts(), &|_| {}).await.unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("applying Role traefikee-controller failed: forbidden"), "{msg}");
    assert!(msg.contains("RBAC"), "{msg}");
    assert_eq!(fake.lock().unwrap().names(), Vec::<String>::new());
}

#[tokio::test]
async fn a_namespace_made_by_someone_else_is_used_as_it_is() {
    let fake = Arc::new(Mutex::new(Fake {
        fail_patch: Some(("/deployments/traefikee-proxy".into(), 500)),
        ..Default::default()
    }));
    let theirs = json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "traefikee", "labels": { "team": "edge" } } });
    fake.lock()
        .unwrap()
        .store
        .entry("/api/v1/namespaces".into())
        .or_default()
        .insert("traefikee".into(), theirs.clone());
    install(client(&fake), &opts(), &|_| {}).await.unwrap_err();
    assert!(!requests(&fake, "PATCH").contains(&"PATCH /api/v1/namespaces/traefikee".into()));
    assert!(!requests(&fake, "DELETE").contains(&"DELETE /api/v1/namespaces/traefikee".into()));
    assert_eq!(fake.lock().unwrap().store["/api/v1/namespaces"]["traefikee"], theirs);
}

#[tokio::test]
async fn a_terminating_namespace_is_refused() {
    let fake = Arc::new(Mutex::new(Fake::default()));
    fake.lock().unwrap().store.entry("/api/v1/namespaces".into()).or_default().insert(
        "traefikee".into(),
        json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "traefikee" }, "status": { "phase": "Terminating" } }),
    );
    let err = install(client(&fake), &opts(), &|_| {}).await.unwrap_err();
    assert!(err.to_string().contains("is being deleted"), "{err}");
    assert!(requests(&fake, "PATCH").is_empty());
}

#[tokio::test]
async fn a_cluster_that_never_gets_ready_times_out_with_the_pods_reasons() {
    let pod = stuck_pod();
    let fake = Arc::new(Mutex::new(Fake { not_ready_reads: None, pods: vec![pod], ..Default::default() }));
    let o = InstallOptions { wait_timeout: Duration::from_millis(50), ..opts() };
    let err = install(client(&fake), &o, &|_| {}).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, KubeError::NotReady(_)), "{msg}");
    assert!(msg.contains("only 0 of 3 controllers ready after 50ms (--wait-timeout)"), "{msg}");
    assert!(msg.contains("traefikee-controller-0: ImagePullBackOff (Back-off pulling image)"), "{msg}");
    assert!(msg.contains("everything applied was removed again"), "{msg}");
    // Rolled back: nothing of the failed install is left.
    assert_eq!(fake.lock().unwrap().names(), Vec::<String>::new());
}

#[tokio::test]
async fn a_pod_that_cannot_start_stops_the_wait_early_and_rolls_back() {
    let fake = Arc::new(Mutex::new(Fake { not_ready_reads: None, pods: vec![stuck_pod()], ..Default::default() }));
    let o = InstallOptions { stuck_timeout: Duration::ZERO, wait_timeout: Duration::from_secs(3600), ..opts() };
    let (steps, progress) = recorder();
    let err = install(client(&fake), &o, &progress).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(&err, KubeError::NotReady(n) if n.remains.is_empty()), "{msg}");
    assert!(msg.contains("a pod cannot start"), "{msg}");
    assert!(msg.contains("traefikee-controller-0: ImagePullBackOff (Back-off pulling image)"), "{msg}");
    assert_eq!(fake.lock().unwrap().names(), Vec::<String>::new());
    assert!(steps.lock().unwrap().contains(&Step::RollingBack { kind: "Namespace".into(), name: "traefikee".into() }));
}

#[tokio::test]
async fn a_pod_the_node_refuses_names_the_fix() {
    let mut pod = stuck_pod();
    pod["metadata"]["name"] = json!("traefikee-controller-1");
    pod["status"] = json!({
        "phase": "Failed", "reason": "SysctlForbidden",
        "message": "Pod forbidden sysctl: \"net.ipv4.ip_unprivileged_port_start\" not allowlisted",
    });
    let fake = Arc::new(Mutex::new(Fake { not_ready_reads: None, pods: vec![pod], ..Default::default() }));
    let o = InstallOptions { stuck_timeout: Duration::ZERO, ..opts() };
    let msg = install(client(&fake), &o, &|_| {}).await.unwrap_err().to_string();
    assert!(msg.contains("traefikee-controller-1: SysctlForbidden"), "{msg}");
    assert!(msg.contains("--allowed-unsafe-sysctls=net.ipv4.ip_unprivileged_port_start"), "{msg}");
}

#[tokio::test]
async fn a_kubernetes_1_20_server_gets_what_it_serves() {
    let fake = Arc::new(Mutex::new(Fake { not_ready_reads: Some(0), old_server: true, ..Default::default() }));
    install(client(&fake), &opts(), &|_| {}).await.unwrap();
    let patches = requests(&fake, "PATCH");
    assert!(patches.iter().any(|p| p.starts_with("PATCH /apis/policy/v1beta1/")), "{patches:?}");
    assert!(!patches.iter().any(|p| p.contains("/policy/v1/")), "{patches:?}");
    let sts =
        fake.lock().unwrap().store["/apis/apps/v1/namespaces/traefikee/statefulsets"]["traefikee-controller"].clone();
    assert!(sts["spec"].get("persistentVolumeClaimRetentionPolicy").is_none(), "{sts}");

    let removed = uninstall(client(&fake), "traefikee", "traefikee").await.unwrap();
    assert!(removed.contains(&"PodDisruptionBudget traefikee-controller".to_string()), "{removed:?}");
    assert_eq!(fake.lock().unwrap().names(), Vec::<String>::new());
}

#[tokio::test]
async fn a_server_older_than_1_20_is_refused_before_anything_is_applied() {
    let fake = Arc::new(Mutex::new(Fake { old_server: true, minor: Some("19"), ..Default::default() }));
    let err = install(client(&fake), &opts(), &|_| {}).await.unwrap_err().to_string();
    assert!(err.contains("Kubernetes 1.19 is not supported") && err.contains("1.20 and later"), "{err}");
    assert!(requests(&fake, "PATCH").is_empty());
}

fn stuck_pod() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "traefikee-controller-0", "labels": {
            "app.kubernetes.io/name": "traefikee", "app.kubernetes.io/instance": "traefikee",
            "app.kubernetes.io/managed-by": "traefikeectl", "app.kubernetes.io/component": "controller" } },
        "status": {
            "phase": "Pending",
            "conditions": [{ "type": "Ready", "status": "False" }],
            "containerStatuses": [{
                "name": "controller", "image": "ghcr.io/traefikee/traefikee:0.1.0", "imageID": "", "ready": false,
                "restartCount": 0,
                "state": { "waiting": { "reason": "ImagePullBackOff", "message": "Back-off pulling image" } },
            }],
        },
    })
}

#[tokio::test]
async fn uninstall_removes_what_install_made_and_only_that() {
    let fake = Arc::new(Mutex::new(Fake { not_ready_reads: Some(0), ..Default::default() }));
    let o = InstallOptions { dashboard: true, ..opts() };
    install(client(&fake), &o, &|_| {}).await.unwrap();
    let other =
        json!({ "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "mine", "labels": { "app": "x" } } });
    fake.lock().unwrap().store.get_mut("/api/v1/namespaces/traefikee/secrets").unwrap().insert("mine".into(), other);

    // Another cluster name removes nothing.
    assert_eq!(uninstall(client(&fake), "traefikee", "other").await.unwrap(), Vec::<String>::new());

    let mut removed = uninstall(client(&fake), "traefikee", "traefikee").await.unwrap();
    removed.sort();
    assert_eq!(removed, without_seed(every_rendered(&o)));
    assert_eq!(fake.lock().unwrap().names(), ["Secret mine"]);
    // Workloads go first (after install's own deletion of the seed), the namespace last.
    let deletes = requests(&fake, "DELETE");
    assert!(deletes[1].contains("/deployments/"), "{deletes:?}");
    assert_eq!(deletes.last().unwrap(), "DELETE /api/v1/namespaces/traefikee");
    // Again: nothing left to remove.
    assert_eq!(uninstall(client(&fake), "traefikee", "traefikee").await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn no_kubeconfig_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = traefikee_kube::client_from_kubeconfig_file(&missing).await.err().unwrap();
    let msg = err.to_string();
    assert!(msg.starts_with("no kubeconfig found (KUBECONFIG, ~/.kube/config)"), "{msg}");
    assert!(msg.contains(missing.to_str().unwrap()), "{msg}");
}

#[tokio::test]
async fn an_unreachable_api_server_is_named() {
    // Port 1 on the loopback address: nothing listens there, the connection is refused.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:1\n\
         contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .unwrap();
    let err = traefikee_kube::client_from_kubeconfig_file(&file).await.err().unwrap();
    let msg = err.to_string();
    assert!(matches!(err, KubeError::Unreachable { .. }), "{msg}");
    assert!(msg.contains("cannot reach the Kubernetes API server at https://127.0.0.1:1/"), "{msg}");
}

#[tokio::test]
async fn a_kubeconfig_without_a_current_context_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config");
    std::fs::write(&file, "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n").unwrap();
    let err = traefikee_kube::client_from_kubeconfig_file(&file).await.err().unwrap();
    assert!(matches!(err, KubeError::Kubeconfig { .. }), "{err}");
    assert!(err.to_string().contains("kubectl config current-context"), "{err}");
}

fn controller_pod(name: &str, ready: bool) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": name, "labels": {
            "app.kubernetes.io/name": "traefikee", "app.kubernetes.io/instance": "traefikee",
            "app.kubernetes.io/managed-by": "traefikeectl", "app.kubernetes.io/component": "controller" } },
        "status": { "phase": "Running", "conditions": [{ "type": "Ready", "status": if ready { "True" } else { "False" } }] },
    })
}

#[tokio::test]
async fn the_api_forward_needs_a_ready_controller() {
    let fake = Arc::new(Mutex::new(Fake {
        pods: vec![controller_pod("traefikee-controller-0", false)],
        ..Default::default()
    }));
    let err = traefikee_kube::forward_api(client(&fake), "traefikee").await.unwrap_err();
    assert!(matches!(err, KubeError::NoReadyController { .. }), "{err}");
    assert!(err.to_string().contains("no controller of namespace traefikee is ready"), "{err}");

    // With one ready, it listens on the loopback address. (The forwarded stream itself is a
    // websocket upgrade through the API server, which the mock service cannot provide.)
    fake.lock().unwrap().pods.push(controller_pod("traefikee-controller-2", true));
    let forward = traefikee_kube::forward_api(client(&fake), "traefikee").await.unwrap();
    assert!(forward.local_addr.ip().is_loopback());
    assert_ne!(forward.local_addr.port(), 0);
}

#[tokio::test]
async fn a_seed_that_cannot_be_deleted_is_a_warning() {
    let fake = Arc::new(Mutex::new(Fake {
        not_ready_reads: Some(0),
        fail_delete: Some("/secrets/traefikee-seed".into()),
        ..Default::default()
    }));
    let installed = install(client(&fake), &opts(), &|_| {}).await.unwrap();
    assert_eq!(installed.warnings.len(), 1, "{:?}", installed.warnings);
    assert!(installed.warnings[0].contains("kubectl -n traefikee delete secret traefikee-seed"));
}
