//! The replicated state: what Raft entries carry and what the state machine keeps.
//!
//! Records live under string keys in one LMDB database (see [`keys`]); each command touches
//! only the keys it changes, in the same transaction that advances `last_applied`. Checks
//! that must be linearizable (a token still current, a name still free, an enrollment not yet
//! used) are made here, at apply time, not by the controller that proposed the command.

mod apply;
pub mod keys;
mod packed;
mod read;

pub use read::{SmDb, StateError};

pub use apply::apply;
pub use read::StateView;

use serde::{Deserialize, Serialize};
use traefikee_pki::{CaBundle, TokenRole};

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

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub seq: u64,
    pub at: UnixMillis,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// A Raft entry's payload: who asked, when, and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub actor: String,
    pub at: UnixMillis,
    pub command: Command,
}

impl Request {
    pub fn new(actor: impl Into<String>, command: Command) -> Self {
        Request { actor: actor.into(), at: now_ms(), command }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    /// First entry of a cluster, written by the bootstrap node.
    InitCluster(Box<InitCluster>),
    /// A node joined with a token (`token_id` must still be current) or rejoined.
    AddNode {
        node: NodeRecord,
        token_id: String,
    },
    /// `rm-node`: the node leaves the registry and its certificate is revoked.
    RemoveNode {
        id: u64,
    },
    /// A data node silent for longer than the grace period leaves the list; its certificate
    /// stays valid so it re-registers when it comes back.
    ForgetNode {
        id: u64,
    },
    /// A data node with a valid, unrevoked certificate that is not in the registry (it was
    /// forgotten while down) registers again.
    Reinstate {
        node: NodeRecord,
    },
    RotateTokens {
        control: TokenRecord,
        data: TokenRecord,
    },
    /// The bootstrap node handed the cluster over and leaves.
    FinishBootstrap,
    /// `credentials create`: a new one-time credential.
    CreateEnrollment(EnrollmentRecord),
    /// An enrollment is used, once, for a personal credential.
    ExchangeEnrollment {
        enrollment: String,
        credential: CredentialRecord,
    },
    /// Certificates that no endpoint accepts any more.
    Revoke {
        serials: Vec<String>,
    },
    /// A new configuration, already validated by the controller that proposed it.
    Deploy {
        #[serde(with = "packed")]
        document: String,
        summary: String,
    },
    /// A backup restored in one step, checked by the controller that proposed it.
    Restore(Box<Restore>),
}

/// What a restore brings back. The configuration replaces the running one (as a new
/// version, so proxies apply it like a deploy); the join tokens replace the current ones;
/// credential records are merged so that nothing revoked or consumed since the backup comes
/// back to life, and revocations are only ever added. Node records are never touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restore {
    /// "backup of <name> (<id>) taken <time> at index <n>", for the audit trail.
    pub source: String,
    pub config: Option<RestoredConfig>,
    /// Keep the archive's configuration version (a cluster bootstrapped from the archive)
    /// rather than deploy it as the next version.
    #[serde(default)]
    pub keep_version: bool,
    pub tokens: Option<(TokenRecord, TokenRecord)>,
    pub enrollments: Vec<EnrollmentRecord>,
    pub credentials: Vec<CredentialRecord>,
    /// Revoked serials and when they were revoked.
    pub revoked: Vec<(String, UnixMillis)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoredConfig {
    #[serde(with = "packed")]
    pub document: String,
    pub summary: String,
    /// Its version in the archive.
    pub version: u64,
}

/// Everything a new cluster starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitCluster {
    pub cluster: ClusterRecord,
    pub control: TokenRecord,
    pub data: TokenRecord,
    pub node: NodeRecord,
    pub enrollment: EnrollmentRecord,
}

/// What applying a command gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Response {
    Done,
    Refused(Refusal),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub kind: RefusalKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefusalKind {
    Conflict,
    NotFound,
    Unauthorized,
    Invalid,
}

impl Response {
    pub fn refused(kind: RefusalKind, message: impl Into<String>) -> Self {
        Response::Refused(Refusal { kind, message: message.into() })
    }
}
