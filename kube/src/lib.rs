//! The Kubernetes side of `traefikeectl install --kubernetes` and `uninstall --kubernetes`.
//!
//! - [`render()`] / [`render_yaml()`]: every manifest, in apply order (`--dry-run -o yaml`),
//!   for a [`Target`]: the Kubernetes release the server runs ([`Target::discover`]), or the
//!   one `--kube-version` names; 1.20 to [`KubeVersion::NEWEST`] are supported;
//! - [`install`]: server-side apply with the current kubeconfig context, rollback on
//!   failure, then a wait until the controllers have a Raft leader (then the seed Secret is
//!   deleted) and the proxies are available, reported through [`Step`]s;
//! - [`read_credentials`] / [`delete_credentials`]: the one-time API credential Secret that
//!   `connect --kubernetes` consumes;
//! - [`forward_api`]: a local port forwarded to a ready controller's API (the API Service is
//!   ClusterIP, so an operator's machine reaches it through the API server);
//! - [`uninstall`]: removes what install made;
//! - [`client_from_kubeconfig`]: a client for the current context, checked to answer.
//!
//! What runs in the pods: a StatefulSet `traefikee-controller` whose pod 0 runs
//! `traefikee bootstrap --archivepath=/var/run/traefikee-seed/seed.tar --controlnodes=1`
//! while the seed Secret exists, and whose other pods (and pod 0 afterwards) run
//! `traefikee start-control-node` through the headless Service `traefikee-controller`
//! (`traefikee-controller-N.traefikee-controller.<ns>.svc:4242`); a
//! Deployment `traefikee-proxy` running `traefikee start-data-node` behind the LoadBalancer
//! Service `traefikee-proxy` (80, 443); the API behind the ClusterIP Service `traefikee-api`
//! (55055). Every object carries `app.kubernetes.io/name=traefikee`,
//! `app.kubernetes.io/instance=<cluster>`, `app.kubernetes.io/managed-by=traefikeectl` and,
//! but for the namespace, `app.kubernetes.io/component=controller|proxy`.

mod client;
mod credentials;
mod error;
mod forward;
mod install;
mod kinds;
mod options;
pub mod render;
mod target;

pub use client::{client_from_kubeconfig, client_from_kubeconfig_file};
pub use credentials::{delete_credentials, read_credentials};
pub use error::{KubeError, NotReady};
pub use forward::{forward_api, ApiForward};
pub use install::{install, uninstall, Installed, Step};
pub use options::{
    check, default_image, Credentials, InstallOptions, Seed, DEFAULT_CLUSTER_NAME, DEFAULT_NAMESPACE, MAX_SEED_ARCHIVE,
};
pub use render::{render, render_yaml};
pub use target::{KubeVersion, PdbApi, Target};

/// Re-exported so callers need no kube dependency of their own to hold a client.
pub use kube::Client;
