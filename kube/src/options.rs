//! What `install --kubernetes` is asked for, and the checks on it.

use std::time::Duration;

use crate::KubeError;

/// The namespace `install --kubernetes` uses unless told otherwise.
pub const DEFAULT_NAMESPACE: &str = "traefikee";
/// The cluster name unless told otherwise.
pub const DEFAULT_CLUSTER_NAME: &str = "traefikee";

/// The image the manifests reference unless told otherwise: this crate's version.
pub fn default_image() -> String {
    format!("ghcr.io/traefikee/traefikee:{}", env!("CARGO_PKG_VERSION"))
}

/// Everything `install --kubernetes` needs. Build it with `..Default::default()` for the
/// fields the command line does not set.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Where everything goes (created, and labelled as ours, if it does not exist).
    pub namespace: String,
    /// The cluster's name: the `app.kubernetes.io/instance` label of every object and the
    /// bootstrap's `--clustername`. Object names do not depend on it (one cluster per
    /// namespace), so `connect --kubernetes` needs only the namespace.
    pub cluster_name: String,
    /// Controllers (Raft voters): the StatefulSet's replicas. Odd numbers make sense; an
    /// even number renders all the same ([`check`] warns).
    pub control_nodes: u32,
    /// Proxies: the Deployment's replicas.
    pub data_nodes: u32,
    /// Serve the dashboard on the controllers (port 8080) behind a ClusterIP Service.
    pub dashboard: bool,
    /// The `traefikee` image, e.g. `ghcr.io/traefikee/traefikee:0.1.0`.
    pub image: String,
    /// What the first controller bootstraps from, and the secrets that go with it.
    pub seed: Seed,
    /// Replace a cluster that the namespace already holds (its state is deleted).
    pub force: bool,
    /// Size of each controller's persistent volume (a Kubernetes quantity).
    pub storage_size: String,
    /// StorageClass of the controllers' volumes (`None`: the cluster's default class).
    pub storage_class: Option<String>,
    /// How long [`install`](crate::install) waits for the controllers and the proxies.
    pub wait_timeout: Duration,
    /// How often [`install`](crate::install) looks at their status while it waits.
    pub poll_interval: Duration,
    /// How long a pod may be stuck on what waiting does not fix (an image that cannot be
    /// pulled, a node refusing the pod) before [`install`](crate::install) stops waiting and
    /// rolls back.
    pub stuck_timeout: Duration,
}

impl Default for InstallOptions {
    fn default() -> Self {
        InstallOptions {
            namespace: DEFAULT_NAMESPACE.into(),
            cluster_name: DEFAULT_CLUSTER_NAME.into(),
            control_nodes: 3,
            data_nodes: 2,
            dashboard: false,
            image: default_image(),
            seed: Seed::default(),
            force: false,
            storage_size: "1Gi".into(),
            storage_class: None,
            wait_timeout: Duration::from_secs(300),
            poll_interval: Duration::from_secs(2),
            stuck_timeout: Duration::from_secs(30),
        }
    }
}

/// Materials the caller generates with the project's PKI; this crate only stores them in
/// Secrets.
#[derive(Clone, Default)]
pub struct Seed {
    /// A backup archive the first controller bootstraps from
    /// (`traefikee bootstrap --archivepath=/var/run/traefikee-seed/seed.tar`).
    pub archive: Vec<u8>,
    /// `CONTROL_NODE_TOKEN`, for the other controllers.
    pub control_token: String,
    /// `DATA_NODE_TOKEN`, for the proxies.
    pub data_token: String,
    /// The one-time API credential `connect --kubernetes` reads, then deletes.
    pub enrollment: Credentials,
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seed").field("archive_bytes", &self.archive.len()).finish_non_exhaustive()
    }
}

/// An mTLS credential: the cluster CA, a client certificate and its key (PEM).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
    }
}

/// A Secret holds at most 1 MiB; leave room for the object's metadata.
pub const MAX_SEED_ARCHIVE: usize = 768 * 1024;

/// Checks the options before anything is rendered or applied. Returns the warnings the
/// command should print (an even number of controllers), or an error for options that
/// cannot work.
pub fn check(opts: &InstallOptions) -> Result<Vec<String>, KubeError> {
    let invalid = |msg: String| Err(KubeError::InvalidOptions(msg));
    if let Err(why) = dns_label(&opts.namespace) {
        return invalid(format!("--namespace={:?} is not a valid namespace name: {why}", opts.namespace));
    }
    if let Err(why) = label_value(&opts.cluster_name) {
        return invalid(format!("--clustername={:?} cannot be a Kubernetes label value: {why}", opts.cluster_name));
    }
    if opts.control_nodes == 0 || opts.control_nodes > 99 {
        return invalid(format!("--controlnodes={} must be between 1 and 99", opts.control_nodes));
    }
    if opts.data_nodes > 1000 {
        return invalid(format!("--datanodes={} is more than 1000", opts.data_nodes));
    }
    if opts.image.trim().is_empty() || opts.image.chars().any(char::is_whitespace) {
        return invalid(format!("the image {:?} is not an image reference", opts.image));
    }
    if opts.seed.archive.len() > MAX_SEED_ARCHIVE {
        return invalid(format!(
            "the seed archive is {} KiB; a Kubernetes Secret holds at most 1 MiB (limit here: {} KiB)",
            opts.seed.archive.len() / 1024,
            MAX_SEED_ARCHIVE / 1024
        ));
    }
    let mut warnings = Vec::new();
    if opts.control_nodes > 1 && opts.control_nodes.is_multiple_of(2) {
        warnings.push(format!(
            "--controlnodes={} is even: it tolerates no more failures than {} control nodes would",
            opts.control_nodes,
            opts.control_nodes - 1
        ));
    }
    Ok(warnings)
}

/// An RFC 1123 label (namespace names).
fn dns_label(s: &str) -> Result<(), &'static str> {
    if s.is_empty() || s.len() > 63 {
        return Err("it must have 1 to 63 characters");
    }
    if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err("it may hold only lowercase letters, digits and '-'");
    }
    if s.starts_with('-') || s.ends_with('-') {
        return Err("it must start and end with a letter or a digit");
    }
    Ok(())
}

/// A label value: at most 63 characters, alphanumerics with `-`, `_`, `.` inside.
fn label_value(s: &str) -> Result<(), &'static str> {
    if s.is_empty() || s.len() > 63 {
        return Err("it must have 1 to 63 characters");
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        return Err("it may hold only letters, digits, '-', '_' and '.'");
    }
    let edge = |b: u8| b.is_ascii_alphanumeric();
    if !edge(s.as_bytes()[0]) || !edge(s.as_bytes()[s.len() - 1]) {
        return Err("it must start and end with a letter or a digit");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_without_warnings() {
        assert_eq!(check(&InstallOptions::default()).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn even_controllers_warn() {
        let w = check(&InstallOptions { control_nodes: 4, ..Default::default() }).unwrap();
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("--controlnodes=4 is even"), "{w:?}");
        assert!(check(&InstallOptions { control_nodes: 1, ..Default::default() }).unwrap().is_empty());
    }

    #[test]
    fn bad_options_are_refused() {
        for (opts, needle) in [
            (InstallOptions { namespace: "Traefikee".into(), ..Default::default() }, "--namespace"),
            (InstallOptions { namespace: "-a".into(), ..Default::default() }, "--namespace"),
            (InstallOptions { namespace: "a".repeat(64), ..Default::default() }, "--namespace"),
            (InstallOptions { cluster_name: "my cluster".into(), ..Default::default() }, "--clustername"),
            (InstallOptions { control_nodes: 0, ..Default::default() }, "--controlnodes=0"),
            (InstallOptions { image: " ".into(), ..Default::default() }, "image"),
            (
                InstallOptions {
                    seed: Seed { archive: vec![0; MAX_SEED_ARCHIVE + 1], ..Default::default() },
                    ..Default::default()
                },
                "1 MiB",
            ),
        ] {
            let err = check(&opts).unwrap_err().to_string();
            assert!(err.contains(needle), "{err}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let seed = Seed {
            archive: vec![1, 2, 3],
            control_token: "ctl-secret".into(),
            data_token: "data-secret".into(),
            enrollment: Credentials { ca_pem: "CA".into(), cert_pem: "CERT".into(), key_pem: "KEY-SECRET".into() },
        };
        let shown = format!("{:?}", InstallOptions { seed, ..Default::default() });
        assert!(!shown.contains("secret") && !shown.contains("SECRET"), "{shown}");
    }
}
