//! The replicated state: what Raft entries carry and what the state machine keeps.
//!
//! Records live under string keys in one LMDB database (see [`keys`]); each command touches
//! only the keys it changes, in the same transaction that advances `last_applied`. Checks
//! that must be linearizable (a token still current, a name still free, an enrollment not yet
//! used) are made here, at apply time, not by the controller that proposed the command.

mod apply;
mod packed;
mod read;
#[cfg(test)]
mod tests;

pub use read::{SmDb, StateError};

pub use apply::{apply, origin_refused, MOVED_ON};
pub use read::StateView;

use serde::{Deserialize, Serialize};
pub use traefikee_records::{
    keys, now_ms, rfc3339, AuditRecord, BootstrapPlan, ClusterRecord, ConfigRecord, Consumption, CredentialRecord,
    EnrollmentRecord, Issued, NodeKind, NodeRecord, ProviderRecord, TokenRecord, UnixMillis,
};

/// A Raft entry's payload: who asked, when, and what. Built by the leader that proposes it
/// (a forwarded write carries only its [`Origin`] and [`Command`]), so the time and the audit
/// actor never come from a request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// How the audit trail names the origin.
    pub actor: String,
    pub at: UnixMillis,
    /// Entries written before origins were recorded have none.
    #[serde(default)]
    pub origin: Option<Origin>,
    pub command: Command,
    /// Chosen by the controller that received the write; the state machine applies an id
    /// once (see [`keys::REQUEST_PREFIX`]), so a write whose answer was lost can be sent again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Request {
    pub fn new(origin: Origin, command: Command) -> Self {
        Request { actor: origin.actor(), at: now_ms(), origin: Some(origin), command, request_id: None }
    }

    pub fn with_request_id(mut self, id: Option<String>) -> Self {
        self.request_id = id;
        self
    }
}

/// A new request id: 128 random bits.
pub fn new_request_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Who asked for a command, as authenticated by the controller that received the request.
/// A credential's serial travels with it: the state machine refuses the command if that
/// credential was revoked by an earlier entry, whichever controller proposed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// An operator's personal certificate.
    Operator { name: String, serial: String },
    /// A one-time enrollment certificate, being exchanged.
    Enrollment { id: String, serial: String },
    /// Root on a control node, through its local socket.
    Local { node: String },
    /// The cluster itself: bootstrap, a join admitted by token, a data node coming back,
    /// the leader's cleanup.
    System { what: String },
}

impl Origin {
    pub fn system(what: impl Into<String>) -> Self {
        Origin::System { what: what.into() }
    }

    /// The API caller as an origin; `node` names the controller whose socket a local caller
    /// used.
    pub fn of_caller(caller: &traefikee_apiserver::Caller, node: &str) -> Self {
        use traefikee_apiserver::Caller;
        match caller {
            Caller::Local => Origin::Local { node: node.to_string() },
            Caller::Operator { name, serial } => Origin::Operator { name: name.clone(), serial: serial.clone() },
            Caller::Enrollment { id, serial } => Origin::Enrollment { id: id.clone(), serial: serial.clone() },
        }
    }

    /// How the audit trail names it.
    pub fn actor(&self) -> String {
        match self {
            Origin::Operator { name, .. } => format!("operator {name}"),
            Origin::Enrollment { id, .. } => format!("enrollment {id}"),
            Origin::Local { .. } => "local socket".to_string(),
            Origin::System { what } => what.clone(),
        }
    }

    /// The serial of the credential that must still be valid when the command applies.
    pub fn credential_serial(&self) -> Option<&str> {
        match self {
            Origin::Operator { serial, .. } | Origin::Enrollment { serial, .. } => Some(serial),
            Origin::Local { .. } | Origin::System { .. } => None,
        }
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
    /// `rm-node`: the node leaves the registry and its certificate is revoked. Removing a
    /// control node also replaces the join tokens it knew.
    RemoveNode {
        id: u64,
        #[serde(default)]
        tokens: Option<(TokenRecord, TokenRecord)>,
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
        /// The providers' version (`keys::PROVIDERS_VERSION`) it was validated against, merged
        /// with their configurations: refused if a provider changed since (the proposer
        /// validates again). Deploys do not refuse each other: each is valid with the same
        /// providers. Entries written before providers existed have none.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base: Option<u64>,
    },
    /// What a provider gives, from the leader that runs it.
    Provide {
        provider: String,
        update: ProviderUpdate,
    },
    /// A backup restored in one step, checked by the controller that proposed it.
    Restore(Box<Restore>),
}

/// A provider's news.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderUpdate {
    /// A new configuration, validated merged with the state at configuration version `base`;
    /// refused if another version was made since.
    Config {
        #[serde(with = "packed")]
        document: String,
        summary: String,
        base: u64,
    },
    /// It failed; what it gave before stays.
    Failed { error: String },
    /// It works again, and gives what it gave before.
    Healthy,
    /// It is no longer configured: its elements leave the configuration.
    Removed,
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
    /// Node certificates the cluster issued (serial, node id): data nodes of the archive's
    /// cluster may come back.
    #[serde(default)]
    pub issued: Vec<(String, Issued)>,
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
    /// The command made `version` the deployed configuration (deploy, restore): returned by
    /// the write itself, never read back afterwards (another deploy may have come since).
    Deployed {
        version: u64,
    },
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
