//! Applying the manifests, waiting for the cluster, rolling back, and removing it all.

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, ListParams};
use kube::Client;
use tokio::time::Instant;

use crate::error::{reason, KubeError, NotReady};
use crate::kinds::{self, describe, name_of, removal_order, Kind, NAMESPACE, POD, PVC, SECRET, STATEFUL_SET};
use crate::options::{check, InstallOptions};
use crate::render::UNPRIVILEGED_PORT_SYSCTL as SYSCTL;
use crate::render::{
    self, api_address, instance_selector, render, API_SERVICE, APP, CONTROLLER, DASHBOARD_SERVICE, LABEL_COMPONENT,
    LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, MANAGER, PROXY, SEED_SECRET,
};
use crate::target::Target;

/// What [`install`] is doing, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Looking at the namespace and what it holds.
    Checking { namespace: String },
    /// `force`: removing the cluster the namespace holds.
    Replacing { cluster: String },
    /// Deleting an object (while replacing).
    Removing { kind: String, name: String },
    /// Server-side applying an object.
    Applying { kind: String, name: String },
    /// An apply failed: deleting an object created before it.
    RollingBack { kind: String, name: String },
    /// Controllers ready so far: a controller is ready once it knows a Raft leader.
    WaitingForControllers { ready: u32, wanted: u32 },
    /// Proxies available so far: a proxy is available once it has joined and answers /ping.
    WaitingForProxies { ready: u32, wanted: u32 },
    /// The controllers are up: deleting the seed Secret (it holds the CA key, and controller
    /// 0 must never bootstrap again).
    RemovingSeed,
    /// Everything is up.
    Ready,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Checking { namespace } => write!(f, "Checking namespace {namespace}"),
            Step::Replacing { cluster } => write!(f, "Replacing cluster {cluster}"),
            Step::Removing { kind, name } => write!(f, "Removing {kind} {name}"),
            Step::Applying { kind, name } => write!(f, "Applying {kind} {name}"),
            Step::RollingBack { kind, name } => write!(f, "Rolling back {kind} {name}"),
            Step::WaitingForControllers { ready, wanted } => {
                write!(f, "Waiting for a leader: {ready}/{wanted} controllers ready")
            }
            Step::WaitingForProxies { ready, wanted } => write!(f, "Waiting for the proxies: {ready}/{wanted} ready"),
            Step::RemovingSeed => write!(f, "Removing the seed archive"),
            Step::Ready => write!(f, "Cluster ready"),
        }
    }
}

/// What [`install`] made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub namespace: String,
    pub cluster_name: String,
    /// The API's address inside the Kubernetes cluster: `traefikee-api.<ns>.svc:55055`.
    pub api_address: String,
    /// The API's Service (ClusterIP, port 55055).
    pub api_service: String,
    /// The proxies' LoadBalancer Service (ports 80 and 443).
    pub proxy_service: String,
    /// The dashboard's Service (ClusterIP, port 8080), with `dashboard`.
    pub dashboard_service: Option<String>,
    /// Every object applied, as `Kind name`, in apply order.
    pub applied: Vec<String>,
    /// What the command should print as warnings: the seed Secret could not be deleted.
    pub warnings: Vec<String>,
}

/// How long replacing (`force`) or [`uninstall`] waits for the pods and volumes to go.
const REMOVAL_TIMEOUT: Duration = Duration::from_secs(180);
const REMOVAL_POLL: Duration = Duration::from_secs(1);

/// Installs a cluster with the client's current context: refuses a namespace that already
/// holds one (unless `force`, which removes it first), applies every manifest of
/// [`render()`] with server-side apply (field manager `traefikeectl`), rolls back what it
/// created when an apply fails, waits until the controllers have a leader, deletes the seed
/// Secret, and waits until the proxies are available. The caller then reads the one-time
/// credential ([`crate::read_credentials`]), connects (through [`crate::forward_api`] from
/// outside the cluster), and deletes it ([`crate::delete_credentials`]).
pub async fn install(client: Client, opts: &InstallOptions, progress: &dyn Fn(Step)) -> Result<Installed, KubeError> {
    check(opts)?;
    let ns = opts.namespace.as_str();
    progress(Step::Checking { namespace: ns.into() });
    let target = Target::discover(&client).await?;
    let existing_ns = Api::<Namespace>::all(client.clone())
        .get_opt(ns)
        .await
        .map_err(|e| KubeError::from_kube(format!("reading namespace {ns}"), &e))?;
    if existing_ns.as_ref().and_then(|n| n.status.as_ref()?.phase.as_deref()) == Some("Terminating") {
        return Err(KubeError::NamespaceTerminating { namespace: ns.into() });
    }
    let ns_is_ours = existing_ns.as_ref().is_some_and(|n| label(&n.metadata.labels, LABEL_MANAGED_BY) == Some(MANAGER));

    let clusters = clusters_in(&client, ns).await?;
    if !clusters.is_empty() {
        if !opts.force {
            return Err(KubeError::ClusterExists { namespace: ns.into(), clusters: clusters.join(", ") });
        }
        for cluster in &clusters {
            progress(Step::Replacing { cluster: cluster.clone() });
            remove(&client, &target, ns, cluster, false, progress).await?;
        }
    }

    let mut created: Vec<(Kind, String)> = Vec::new();
    let mut applied = Vec::new();
    for manifest in render(opts, &target) {
        let Some(kind) = Kind::of(&manifest) else {
            // render() makes only kinds that kinds.rs knows; a test holds it to that.
            continue;
        };
        let name = name_of(&manifest).to_string();
        // A namespace someone else made is used as it is: not relabelled, never deleted.
        if kind == NAMESPACE && existing_ns.is_some() && !ns_is_ours {
            continue;
        }
        progress(Step::Applying { kind: kind.kind.into(), name: name.clone() });
        if let Err(e) = kinds::apply(&client, ns, kind, &manifest).await {
            // A namespace that was there before is not ours to delete, even if we relabelled it.
            let to_remove: Vec<_> =
                created.iter().filter(|(k, _)| !(*k == NAMESPACE && existing_ns.is_some())).cloned().collect();
            let remains = roll_back(&client, ns, &opts.cluster_name, to_remove, progress).await;
            return Err(KubeError::ApplyFailed { kind: kind.kind.into(), name, reason: reason(&e), remains });
        }
        applied.push(describe(kind, &name));
        created.push((kind, name));
    }
    // What a failed wait removes again: a namespace that was there before is not ours.
    let created: Vec<_> = created.into_iter().filter(|(k, _)| !(*k == NAMESPACE && existing_ns.is_some())).collect();

    let deadline = Instant::now() + opts.wait_timeout;
    if let Err(e) = wait_controllers(&client, opts, deadline, progress).await {
        return Err(rolled_back(e, roll_back(&client, ns, &opts.cluster_name, created, progress).await));
    }
    // Controller 0 has bootstrapped and every controller knows the leader: the seed has
    // served, and from now on a controller 0 with a new volume must join, not bootstrap.
    let mut warnings = Vec::new();
    progress(Step::RemovingSeed);
    if let Err(e) = kinds::delete(&client, ns, SECRET, SEED_SECRET).await {
        warnings.push(format!(
            "could not delete Secret {SEED_SECRET} ({}): it holds the cluster's CA key; delete it with \
             `kubectl -n {ns} delete secret {SEED_SECRET}`",
            reason(&e)
        ));
    }
    if let Err(e) = wait_proxies(&client, opts, deadline, progress).await {
        return Err(rolled_back(e, roll_back(&client, ns, &opts.cluster_name, created, progress).await));
    }
    progress(Step::Ready);
    Ok(Installed {
        namespace: ns.into(),
        cluster_name: opts.cluster_name.clone(),
        api_address: api_address(ns),
        api_service: API_SERVICE.into(),
        proxy_service: PROXY.into(),
        dashboard_service: opts.dashboard.then(|| DASHBOARD_SERVICE.into()),
        applied,
        warnings,
    })
}

/// Removes everything [`install`] made for `cluster_name` in `namespace` (every object
/// labelled `app.kubernetes.io/managed-by=traefikeectl` and
/// `app.kubernetes.io/instance=<cluster_name>`, the controllers' volumes included), then the
/// namespace if install created it. Waits (up to three minutes) for the pods and volumes to
/// be gone. Returns what it deleted, as `Kind name`: empty when nothing was there.
pub async fn uninstall(client: Client, namespace: &str, cluster_name: &str) -> Result<Vec<String>, KubeError> {
    let target = Target::discover(&client).await?;
    remove(&client, &target, namespace, cluster_name, true, &|_| {}).await
}

/// A wait that failed, with what its rollback could not remove.
fn rolled_back(e: KubeError, left: Vec<String>) -> KubeError {
    match e {
        KubeError::NotReady(mut n) => {
            n.remains = left;
            KubeError::NotReady(n)
        }
        other => other,
    }
}

/// The instance labels of the traefikee clusters (controller StatefulSets) in `namespace`.
async fn clusters_in(client: &Client, ns: &str) -> Result<Vec<String>, KubeError> {
    let selector = format!("{LABEL_NAME}={APP},{LABEL_COMPONENT}=controller");
    let list = Api::<StatefulSet>::namespaced(client.clone(), ns)
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| KubeError::from_kube(format!("listing the StatefulSets of namespace {ns}"), &e))?;
    let clusters: BTreeSet<String> = list
        .items
        .iter()
        .map(|s| {
            label(&s.metadata.labels, LABEL_INSTANCE)
                .map(str::to_string)
                .unwrap_or_else(|| s.metadata.name.clone().unwrap_or_default())
        })
        .collect();
    Ok(clusters.into_iter().collect())
}

fn label<'a>(labels: &'a Option<std::collections::BTreeMap<String, String>>, key: &str) -> Option<&'a str> {
    labels.as_ref()?.get(key).map(String::as_str)
}

/// Deletes `created` in reverse order, then the volumes the StatefulSet may have claimed.
/// Returns what could not be deleted.
async fn roll_back(
    client: &Client,
    ns: &str,
    cluster: &str,
    created: Vec<(Kind, String)>,
    progress: &dyn Fn(Step),
) -> Vec<String> {
    let mut remains = Vec::new();
    let made_namespace = created.iter().any(|(k, _)| *k == NAMESPACE);
    let mut namespace_last = None;
    for (kind, name) in created.into_iter().rev() {
        if kind == NAMESPACE {
            namespace_last = Some(name);
            continue;
        }
        progress(Step::RollingBack { kind: kind.kind.into(), name: name.clone() });
        if let Err(e) = kinds::delete(client, ns, kind, &name).await {
            remains.push(format!("{} ({})", describe(kind, &name), reason(&e)));
        }
    }
    // Claims made from the StatefulSet's template: unless the namespace goes anyway.
    if !made_namespace {
        match kinds::names(client, ns, PVC, &instance_selector(cluster)).await {
            Ok(claims) => {
                for name in claims {
                    progress(Step::RollingBack { kind: PVC.kind.into(), name: name.clone() });
                    if let Err(e) = kinds::delete(client, ns, PVC, &name).await {
                        remains.push(format!("{} ({})", describe(PVC, &name), reason(&e)));
                    }
                }
            }
            Err(e) => remains.push(format!("the volumes labelled {} ({})", instance_selector(cluster), reason(&e))),
        }
    }
    if let Some(name) = namespace_last {
        progress(Step::RollingBack { kind: NAMESPACE.kind.into(), name: name.clone() });
        if let Err(e) = kinds::delete(client, ns, NAMESPACE, &name).await {
            remains.push(format!("{} ({})", describe(NAMESPACE, &name), reason(&e)));
        }
    }
    remains
}

/// Deletes what one install made, and with `delete_namespace` the namespace if install
/// created it for this cluster; then waits for the pods and claims to be gone.
async fn remove(
    client: &Client,
    target: &Target,
    ns: &str,
    cluster: &str,
    delete_namespace: bool,
    progress: &dyn Fn(Step),
) -> Result<Vec<String>, KubeError> {
    let selector = instance_selector(cluster);
    let mut removed = Vec::new();
    let mut failed = Vec::new();
    let mut last_reason = String::new();
    for kind in removal_order(target) {
        let names = kinds::names(client, ns, kind, &selector)
            .await
            .map_err(|e| KubeError::from_kube(format!("listing the {}s labelled {selector}", kind.kind), &e))?;
        for name in names {
            progress(Step::Removing { kind: kind.kind.into(), name: name.clone() });
            match kinds::delete(client, ns, kind, &name).await {
                Ok(true) => removed.push(describe(kind, &name)),
                Ok(false) => {}
                Err(e) => {
                    last_reason = reason(&e);
                    failed.push(describe(kind, &name));
                }
            }
        }
    }
    if delete_namespace {
        let namespace = Api::<Namespace>::all(client.clone())
            .get_opt(ns)
            .await
            .map_err(|e| KubeError::from_kube(format!("reading namespace {ns}"), &e))?;
        let ours = namespace.as_ref().is_some_and(|n| {
            label(&n.metadata.labels, LABEL_MANAGED_BY) == Some(MANAGER)
                && label(&n.metadata.labels, LABEL_INSTANCE) == Some(cluster)
        });
        if ours {
            progress(Step::Removing { kind: NAMESPACE.kind.into(), name: ns.into() });
            match kinds::delete(client, ns, NAMESPACE, ns).await {
                Ok(true) => removed.push(describe(NAMESPACE, ns)),
                Ok(false) => {}
                Err(e) => {
                    last_reason = reason(&e);
                    failed.push(describe(NAMESPACE, ns));
                }
            }
        }
    }
    if !failed.is_empty() {
        return Err(KubeError::RemoveFailed { reason: last_reason, remains: failed });
    }
    wait_gone(client, ns, &selector).await?;
    Ok(removed)
}

/// Waits until no pod, claim or StatefulSet of the selector is left (they go
/// asynchronously: pods finish their grace period, claims wait for their pods).
async fn wait_gone(client: &Client, ns: &str, selector: &str) -> Result<(), KubeError> {
    let deadline = Instant::now() + REMOVAL_TIMEOUT;
    loop {
        let mut left = Vec::new();
        for kind in [STATEFUL_SET, POD, PVC] {
            let names = kinds::names(client, ns, kind, selector)
                .await
                .map_err(|e| KubeError::from_kube(format!("listing the {}s labelled {selector}", kind.kind), &e))?;
            left.extend(names.iter().map(|n| describe(kind, n)));
        }
        if left.is_empty() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(KubeError::RemoveFailed {
                reason: format!("still terminating after {}s", REMOVAL_TIMEOUT.as_secs()),
                remains: left,
            });
        }
        tokio::time::sleep(REMOVAL_POLL).await;
    }
}

async fn wait_controllers(
    client: &Client,
    opts: &InstallOptions,
    deadline: Instant,
    progress: &dyn Fn(Step),
) -> Result<(), KubeError> {
    let api = Api::<StatefulSet>::namespaced(client.clone(), &opts.namespace);
    let wanted = opts.control_nodes;
    let read = || async {
        let sts = api
            .get(CONTROLLER)
            .await
            .map_err(|e| KubeError::from_kube(format!("reading StatefulSet {CONTROLLER}"), &e))?;
        let status = sts.status.unwrap_or_default();
        let ready = count(status.ready_replicas);
        let current = status.observed_generation >= sts.metadata.generation;
        Ok((ready, current && ready >= wanted))
    };
    let show = |ready| progress(Step::WaitingForControllers { ready, wanted });
    wait_for(client, opts, "controller", wanted, deadline, read, show).await
}

async fn wait_proxies(
    client: &Client,
    opts: &InstallOptions,
    deadline: Instant,
    progress: &dyn Fn(Step),
) -> Result<(), KubeError> {
    let api = Api::<Deployment>::namespaced(client.clone(), &opts.namespace);
    let wanted = opts.data_nodes;
    let read = || async {
        let deployment =
            api.get(PROXY).await.map_err(|e| KubeError::from_kube(format!("reading Deployment {PROXY}"), &e))?;
        let status = deployment.status.unwrap_or_default();
        let ready = count(status.available_replicas);
        let updated = count(status.updated_replicas);
        let current = status.observed_generation >= deployment.metadata.generation;
        Ok((ready, current && ready >= wanted && updated >= wanted))
    };
    let show = |ready| progress(Step::WaitingForProxies { ready, wanted });
    wait_for(client, opts, "proxy", wanted, deadline, read, show).await
}

/// Polls `read` (ready count, done) until done; stops early when a pod of `component` stays
/// stuck for `opts.stuck_timeout`, and at the deadline.
async fn wait_for<R, F>(
    client: &Client,
    opts: &InstallOptions,
    component: &str,
    wanted: u32,
    deadline: Instant,
    read: R,
    show: impl Fn(u32),
) -> Result<(), KubeError>
where
    R: Fn() -> F,
    F: std::future::Future<Output = Result<(u32, bool), KubeError>>,
{
    let started = Instant::now();
    let mut shown = None;
    let mut stuck_since: Option<Instant> = None;
    let mut last_error;
    loop {
        // A failed read (an API server restarting, a timeout) is retried until the deadline:
        // the cluster being installed is not torn down for one lost answer.
        let (ready, done) = match read().await {
            Ok(status) => {
                last_error = None;
                status
            }
            Err(e) => {
                last_error = Some(e.to_string());
                (shown.unwrap_or(0), false)
            }
        };
        if shown != Some(ready) {
            shown = Some(ready);
            show(ready);
        }
        if done {
            return Ok(());
        }
        let pods = component_pods(client, opts, component).await;
        let stuck: Vec<String> = pods.as_deref().unwrap_or_default().iter().filter_map(pod_stuck).collect();
        if stuck.is_empty() {
            stuck_since = None;
        } else if stuck_since.get_or_insert_with(Instant::now).elapsed() >= opts.stuck_timeout {
            let waited = format!("after {}s: a pod cannot start", started.elapsed().as_secs());
            return Err(not_ready(opts, component, ready, wanted, waited, stuck));
        }
        if Instant::now() >= deadline {
            let mut details: Vec<String> = match pods {
                Ok(pods) => pods.iter().filter_map(pod_problem).take(5).collect(),
                Err(e) => vec![e],
            };
            details.extend(last_error);
            let waited = format!("after {:?} (--wait-timeout)", opts.wait_timeout);
            return Err(not_ready(opts, component, ready, wanted, waited, details));
        }
        tokio::time::sleep(opts.poll_interval.min(deadline - Instant::now())).await;
    }
}

fn count(n: Option<i32>) -> u32 {
    n.unwrap_or(0).max(0) as u32
}

/// The pods of `component`, or why they cannot be listed.
async fn component_pods(client: &Client, opts: &InstallOptions, component: &str) -> Result<Vec<Pod>, String> {
    let selector = format!("{},{LABEL_COMPONENT}={component}", render::instance_selector(&opts.cluster_name));
    Api::<Pod>::namespaced(client.clone(), &opts.namespace)
        .list(&ListParams::default().labels(&selector))
        .await
        .map(|l| l.items)
        .map_err(|e| format!("cannot list the pods: {}", reason(&e)))
}

fn not_ready(
    opts: &InstallOptions,
    component: &str,
    ready: u32,
    wanted: u32,
    waited: String,
    details: Vec<String>,
) -> KubeError {
    KubeError::NotReady(Box::new(NotReady {
        what: if component == "proxy" { "proxies".into() } else { "controllers".into() },
        ready,
        wanted,
        waited,
        namespace: opts.namespace.clone(),
        cluster: opts.cluster_name.clone(),
        details,
        remains: Vec::new(),
    }))
}

/// Waiting reasons that do not go away by waiting.
const STUCK_REASONS: [&str; 7] = [
    "ErrImagePull",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

/// Why a node refuses to run a pod (besides `OutOf<resource>`): admission, not a crash.
const REFUSED_BY_NODE: [&str; 5] =
    ["SysctlForbidden", "NodeAffinity", "NodeSelectorMismatching", "UnexpectedAdmissionError", "AppArmor"];

/// Why a pod cannot start, when it is something waiting does not fix; `None` otherwise.
fn pod_stuck(pod: &Pod) -> Option<String> {
    if pod.metadata.deletion_timestamp.is_some() {
        return None;
    }
    let status = pod.status.as_ref()?;
    // Refused by the node (SysctlForbidden, OutOfcpu, ...): its replacements will be too. A
    // pod failed for another reason (evicted, its node shut down) is replaced and may work.
    if status.phase.as_deref() == Some("Failed") {
        let reason = status.reason.as_deref().unwrap_or_default();
        let refused = REFUSED_BY_NODE.contains(&reason) || reason.starts_with("OutOf");
        return if refused { pod_problem(pod) } else { None };
    }
    let waiting = status.container_statuses.iter().flatten().filter_map(|cs| cs.state.as_ref()?.waiting.as_ref());
    if waiting.clone().any(|w| w.reason.as_deref().is_some_and(|r| STUCK_REASONS.contains(&r))) {
        return pod_problem(pod);
    }
    None
}

fn condition<'a>(pod: &'a Pod, kind: &str) -> Option<&'a k8s_openapi::api::core::v1::PodCondition> {
    pod.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == kind)
}

/// Whether the pod's Ready condition is true.
pub(crate) fn pod_ready(pod: &Pod) -> bool {
    condition(pod, "Ready").is_some_and(|c| c.status == "True")
}

/// Why a pod is not ready, in a few words; `None` for a ready pod.
fn pod_problem(pod: &Pod) -> Option<String> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let status = pod.status.as_ref();
    if pod_ready(pod) {
        return None;
    }
    if status.and_then(|s| s.phase.as_deref()) == Some("Failed") {
        let why = status.and_then(|s| s.reason.as_deref()).unwrap_or("Failed");
        let mut text = format!("{name}: {why}");
        if let Some(m) = status.and_then(|s| s.message.as_deref()) {
            text.push_str(&format!(" ({m})"));
        }
        if why == "SysctlForbidden" {
            text.push_str(&format!(
                "; the proxies need net.ipv4.ip_unprivileged_port_start to listen on 80 and 443 without root: \
                 a safe sysctl from Kubernetes 1.22, before that allow it on the nodes with the kubelet's \
                 --allowed-unsafe-sysctls={SYSCTL}"
            ));
        }
        return Some(text);
    }
    if let Some(c) = condition(pod, "PodScheduled").filter(|c| c.status == "False") {
        let why = c.message.clone().or_else(|| c.reason.clone()).unwrap_or_else(|| "not scheduled".into());
        return Some(format!("{name}: not scheduled: {why}"));
    }
    for cs in status.and_then(|s| s.container_statuses.as_ref()).into_iter().flatten() {
        let state = cs.state.as_ref();
        if let Some(w) = state.and_then(|s| s.waiting.as_ref()) {
            let mut text = format!("{name}: {}", w.reason.as_deref().unwrap_or("waiting"));
            if let Some(m) = &w.message {
                text.push_str(&format!(" ({m})"));
            }
            if let Some(t) = cs.last_state.as_ref().and_then(|s| s.terminated.as_ref()) {
                text.push_str(&format!(", last exit code {}", t.exit_code));
            }
            return Some(text);
        }
        if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
            return Some(format!("{name}: exited with code {}", t.exit_code));
        }
    }
    Some(format!("{name}: not ready ({})", status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".into())))
}
