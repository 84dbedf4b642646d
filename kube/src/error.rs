//! Errors, each saying what failed and what to do about it.

/// What can go wrong talking to Kubernetes. Every message is meant to be shown as is.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// No kubeconfig: neither `$KUBECONFIG` nor `~/.kube/config`, and not inside a pod.
    #[error(
        "no kubeconfig found (KUBECONFIG, ~/.kube/config): {reason}; point KUBECONFIG at the cluster's kubeconfig, or \
         run `kubectl config view` to check it"
    )]
    NoKubeconfig { reason: String },

    /// A kubeconfig that cannot be used (no current context, a bad file, unreadable certificates).
    #[error("the kubeconfig cannot be used: {reason}; check it with `kubectl config view` and `kubectl config current-context`")]
    Kubeconfig { reason: String },

    /// The API server of the current context does not answer.
    #[error(
        "cannot reach the Kubernetes API server at {url}: {reason}; check the current context \
         (`kubectl config current-context`) and that the cluster is up (`kubectl version`)"
    )]
    Unreachable { url: String, reason: String },

    /// The API server refused the current context's credentials.
    #[error("the Kubernetes API server at {url} refused the current context's credentials: {reason}; log in again or fix the kubeconfig")]
    Unauthorized { url: String, reason: String },

    /// RBAC forbids something install or uninstall needs.
    #[error(
        "forbidden: {action}: {reason}; the current context's user needs the right to manage namespaces, \
         service accounts, roles, role bindings, secrets, services, pod disruption budgets, statefulsets \
         and deployments in the namespace (e.g. cluster-admin, or admin on the namespace)"
    )]
    Forbidden { action: String, reason: String },

    /// The namespace already holds a traefikee cluster, and `force` was not given.
    #[error(
        "namespace {namespace} already holds the traefikee cluster {clusters}; pass --force to replace it \
         (its state is deleted), or choose another --namespace"
    )]
    ClusterExists { namespace: String, clusters: String },

    /// The namespace is being deleted.
    #[error("namespace {namespace} is being deleted; wait until it is gone (`kubectl get namespace {namespace}`) and try again")]
    NamespaceTerminating { namespace: String },

    /// Options that cannot work.
    #[error("{0}")]
    InvalidOptions(String),

    /// Applying a manifest failed. `remains` lists what is left in the cluster after the
    /// rollback (empty: nothing was left behind).
    #[error("{}", apply_failed(kind, name, reason, remains))]
    ApplyFailed { kind: String, name: String, reason: String, remains: Vec<String> },

    /// Replacing (`force`) or uninstalling did not finish: these objects are still there.
    #[error("could not remove {}: {reason}", remains.join(", "))]
    RemoveFailed { reason: String, remains: Vec<String> },

    /// The controllers or the proxies did not become ready in time, or a pod cannot start
    /// (its image cannot be pulled, the node refuses it). Everything applied was removed
    /// again but what [`NotReady::remains`] lists.
    #[error("{0}")]
    NotReady(Box<NotReady>),

    /// The server's Kubernetes release is older than install supports.
    #[error("Kubernetes {version} is not supported: traefikeectl installs on Kubernetes {oldest} and later")]
    Unsupported { version: String, oldest: String },

    /// The one-time credential Secret is not there (already used, or no install here).
    #[error(
        "namespace {namespace} has no Secret {secret} with a one-time API credential: it was already used by \
         `traefikeectl connect`, or traefikee is not installed there; a connected operator can make one with \
         `traefikeectl credentials create NAME`"
    )]
    NoCredentials { namespace: String, secret: String },

    /// The credential Secret lacks a key or holds something that is not text.
    #[error("the Secret {secret} in namespace {namespace} is damaged: {reason}")]
    BadCredentials { namespace: String, secret: String, reason: String },

    /// No controller pod is ready to forward the API to.
    #[error(
        "no controller of namespace {namespace} is ready to serve the API; check them with \
         `kubectl -n {namespace} get pods -l app.kubernetes.io/component=controller`"
    )]
    NoReadyController { namespace: String },

    /// Any other refusal or failure of the API server.
    #[error("{action}: {reason}")]
    Api { action: String, reason: String },
}

fn apply_failed(kind: &str, name: &str, reason: &str, remains: &[String]) -> String {
    let left = if remains.is_empty() {
        "everything created before it was removed again".to_string()
    } else {
        format!("the rollback could not remove {}: delete by hand what is left", remains.join(", "))
    };
    format!("applying {kind} {name} failed: {reason}; {left}")
}

/// What [`KubeError::NotReady`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReady {
    /// `controllers` or `proxies`.
    pub what: String,
    pub ready: u32,
    pub wanted: u32,
    /// How long install waited, or why it stopped waiting early.
    pub waited: String,
    pub namespace: String,
    pub cluster: String,
    /// What the pods say about why they are not ready.
    pub details: Vec<String>,
    /// What the rollback could not remove.
    pub remains: Vec<String>,
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let NotReady { what, ready, wanted, waited, namespace, cluster, details, remains } = self;
        write!(f, "only {ready} of {wanted} {what} ready {waited}")?;
        if !details.is_empty() {
            write!(f, " ({})", details.join("; "))?;
        }
        if remains.is_empty() {
            write!(f, "; everything applied was removed again")
        } else {
            write!(
                f,
                "; the rollback could not remove {}: remove it with `traefikeectl uninstall --kubernetes \
                 --namespace={namespace} --clustername={cluster}`",
                remains.join(", ")
            )
        }
    }
}

impl KubeError {
    /// Classifies an error of the Kubernetes client during `action` ("applying Secret x").
    pub(crate) fn from_kube(action: impl Into<String>, e: &kube::Error) -> KubeError {
        let action = action.into();
        match e {
            kube::Error::Api(status) if status.code == 403 => {
                KubeError::Forbidden { action, reason: status.message.clone() }
            }
            other => KubeError::Api { action, reason: reason(other) },
        }
    }
}

/// What the API server said, or why it could not be asked; for a 403, with what to do.
pub(crate) fn reason(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) if status.code == 403 => format!(
            "forbidden: {}; the current context's user lacks the RBAC rights for it (cluster-admin, or admin on \
             the namespace, has them)",
            status.message
        ),
        kube::Error::Api(status) if status.message.is_empty() => format!("HTTP {} {}", status.code, status.reason),
        kube::Error::Api(status) => status.message.clone(),
        other => error_chain(other),
    }
}

/// An error and its sources, `: `-separated, without repeating a source its parent already
/// shows.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// Whether `e` is the API server's 404.
pub(crate) fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}
