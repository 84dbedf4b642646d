//! The records of a traefikee cluster's replicated state, the keys they live under, and the
//! seed a new cluster starts from.
//!
//! Control nodes keep these records in LMDB (each under its key, as JSON); backups carry
//! them (`traefikee-backup`); `traefikeectl install --kubernetes` writes a [`seed`] archive of
//! them that the first controller bootstraps from. They live in their own crate so that the
//! CLI can build that archive without depending on the node.

pub mod keys;
pub mod names;
pub mod seed;

use serde::{Deserialize, Serialize};
use traefikee_pki::{CaBundle, JoinToken, TokenRole};

/// Milliseconds since the Unix epoch. Commands carry their time so every replica applies the
/// same value.
pub type UnixMillis = i64;

pub fn now_ms() -> UnixMillis {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn rfc3339(ms: UnixMillis) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// The cluster's identity and CA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRecord {
    pub id: String,
    pub name: String,
    pub created_at: UnixMillis,
    pub ca: CaBundle,
    /// Set while a bootstrap node waits for the control nodes it was asked for.
    pub bootstrap: Option<BootstrapPlan>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootstrapPlan {
    pub bootstrap_node: u64,
    pub control_nodes: u32,
}

/// A join token. The full text is kept: `traefikee env` must print it on any controller after
/// the bootstrap node is gone, and the replicated state holds the CA key anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub role: TokenRole,
    pub token: String,
    pub created_at: UnixMillis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Controller,
    Proxy,
}

/// A node of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    pub id: u64,
    pub name: String,
    pub kind: NodeKind,
    /// Advertised cluster address (controllers) or the address the node reports (proxies).
    pub address: String,
    pub api_address: Option<String>,
    pub joined_at: UnixMillis,
    pub cert_serial: String,
    /// SHA-256 of the certificate's public key; records from before it was kept have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_sha256: Option<String>,
}

impl NodeRecord {
    /// Whether `again` is this node joining again: the same name, kind and address, and the
    /// same key, which its certificate request proves it holds (a join whose answer was lost,
    /// retried with the key the node kept). A record without a key never matches.
    pub fn rejoined_by(&self, again: &NodeRecord) -> bool {
        self.name == again.name
            && self.kind == again.kind
            && self.address == again.address
            && self.key_sha256.is_some()
            && self.key_sha256 == again.key_sha256
    }
}

/// A node certificate the cluster issued (the record under `issued/<serial>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    pub node: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_sha256: Option<String>,
}

/// A one-time API credential (written at bootstrap, or by `credentials create`).
/// `consumed` is set, once, when it is exchanged for a personal operator credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentRecord {
    pub id: String,
    pub serial: String,
    pub created_at: UnixMillis,
    pub consumed: Option<Consumption>,
    /// The operator name the exchanged credential will carry; the bootstrap credential lets
    /// the connecting operator choose.
    #[serde(default)]
    pub for_name: Option<String>,
    #[serde(default)]
    pub not_after: UnixMillis,
    #[serde(default)]
    pub created_by: String,
    #[serde(default)]
    pub revoked: Option<Consumption>,
}

/// A personal operator credential (a client certificate of role operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRecord {
    pub serial: String,
    pub name: String,
    pub created_at: UnixMillis,
    pub not_after: UnixMillis,
    /// The enrollment it was exchanged for.
    pub enrollment: String,
    pub revoked: Option<Consumption>,
    /// SHA-256 of the certificate's public key; records from before it was kept have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_sha256: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consumption {
    pub at: UnixMillis,
    pub by: String,
}

/// The deployed configuration. `version` is assigned when the deploy is applied: one more
/// than the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigRecord {
    pub version: u64,
    /// The validated document (static and dynamic parts) as JSON text, exactly what proxies
    /// receive and validate again.
    pub document: String,
    pub deployed_at: UnixMillis,
    pub deployed_by: String,
    /// Counts, for the audit trail and `get config`.
    pub summary: String,
}

/// What a provider (etcd, Consul, Redis...) last gave the cluster, and how it is doing. Its
/// configuration stays until it gives a new one that the cluster accepts: an unreachable store
/// or a bad key tree leaves the routes it produced before in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ProviderRecord {
    /// `etcd`, `consul`, `redis`: the suffix of its elements' names.
    pub name: String,
    /// Its dynamic configuration (JSON, unqualified names), once it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    #[serde(default)]
    pub summary: String,
    /// When the configuration last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_at: Option<UnixMillis>,
    /// The cluster's configuration version that change made.
    #[serde(default)]
    pub changed_in: u64,
    /// Why its last attempt failed, while it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_since: Option<UnixMillis>,
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: u64,
    pub at: UnixMillis,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// A random cluster id in the style of TraefikEE's: 25 characters of base 36.
pub fn new_cluster_id() -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..25).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect()
}

/// A fresh pair of join tokens (control, data) pinned to `ca`.
pub fn new_tokens(ca: &CaBundle) -> Result<(TokenRecord, TokenRecord), traefikee_pki::PkiError> {
    let pin = ca.pin()?;
    let now = now_ms();
    let rec = |role| TokenRecord { role, token: JoinToken::generate(role, pin).to_string(), created_at: now };
    Ok((rec(TokenRole::Control), rec(TokenRole::Data)))
}
