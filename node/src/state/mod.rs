//! The replicated state: what Raft entries carry and what the state machine keeps.
//!
//! Records live under string keys in one LMDB database (see [`keys`]); each command touches
//! only the keys it changes, in the same transaction that advances `last_applied`. Checks
//! that must be linearizable (a token still current, a name still free, an enrollment not yet
//! used) are made here, at apply time, not by the controller that proposed the command.

mod apply;
mod packed;
mod read;

pub use read::{SmDb, StateError};

pub use apply::apply;
pub use read::StateView;

use serde::{Deserialize, Serialize};
pub use traefikee_records::{
    keys, now_ms, rfc3339, AuditRecord, BootstrapPlan, ClusterRecord, ConfigRecord, Consumption, CredentialRecord,
    EnrollmentRecord, NodeKind, NodeRecord, TokenRecord, UnixMillis,
};

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
