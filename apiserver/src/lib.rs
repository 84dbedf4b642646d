//! The REST API every controller serves, on its mTLS port and on its local socket.
//!
//! This crate owns the wire contract: one request and one response type per operation, one
//! JSON error shape, the router, who may call what, and the OpenAPI document generated from
//! the types. It declares [`ControlPlane`], which the node implements, so it never depends on
//! the node itself.

mod auth;
mod error;
pub mod idempotency;
pub mod openapi;
mod routes;
pub mod types;

pub use auth::{Caller, Transport};
pub use error::{ApiError, ErrorBody, ErrorCode};
pub use routes::router;

use async_trait::async_trait;
use types::*;

/// What the API needs from the control plane. Reads come from the answering controller's
/// state; writes go through Raft, forwarded to the leader when needed.
///
/// Which checks are fresh: every write and every read that exposes a secret (tokens, backup,
/// configuration, credentials) is authorized against a state that holds every acknowledged
/// write; the diagnostic reads (`/cluster`, `/nodes`, `/audit`) answer from the controller's
/// state as it is, so they work on a controller cut off from the leader.
#[async_trait]
pub trait ControlPlane: Send + Sync + 'static {
    /// Whether a caller's credential is valid: issued by the cluster, not revoked, and for a
    /// one-time credential not used yet. `fresh` checks must see every write acknowledged
    /// before the call (they guard writes and reads that expose secrets); others may answer
    /// from this controller's state as it is.
    /// `key_sha256` is the hash of the certificate's public key (none for the local socket).
    async fn authorize(&self, caller: &Caller, key_sha256: Option<&str>, fresh: bool) -> Result<(), ApiError>;
    /// The cluster id, for checking that a certificate belongs to this cluster.
    fn cluster_id(&self) -> String;

    async fn cluster_info(&self) -> Result<ClusterInfo, ApiError>;
    async fn list_nodes(&self) -> Result<NodeList, ApiError>;
    async fn remove_node(&self, caller: &Caller, node: &str) -> Result<RemovedNode, ApiError>;
    async fn tokens(&self) -> Result<Tokens, ApiError>;
    async fn rotate_tokens(&self, caller: &Caller) -> Result<Tokens, ApiError>;
    /// Exchanges the caller's one-time enrollment credential for a personal certificate.
    async fn exchange(&self, caller: &Caller, req: ExchangeRequest) -> Result<ExchangeResponse, ApiError>;
    async fn create_credential(&self, caller: &Caller, req: CreateCredentialRequest)
        -> Result<NewCredential, ApiError>;
    async fn list_credentials(&self) -> Result<CredentialList, ApiError>;
    async fn revoke_credential(&self, caller: &Caller, req: RevokeRequest) -> Result<Revoked, ApiError>;
    async fn audit(&self, limit: usize) -> Result<AuditLog, ApiError>;
    /// Validates and (unless a dry run) commits a configuration.
    async fn deploy(&self, caller: &Caller, req: DeployRequest) -> Result<DeployResult, ApiError>;
    async fn config(&self) -> Result<DeployedConfig, ApiError>;
    /// The providers the deployed configuration enables and how each is doing.
    async fn providers(&self) -> Result<ProviderList, ApiError>;
    /// A backup archive (plain tar, see `traefikee-backup`) of the replicated state at one
    /// committed index.
    async fn backup(&self, caller: &Caller) -> Result<Vec<u8>, ApiError>;
    /// Checks a plain backup archive and, unless a dry run, restores it through Raft.
    async fn restore(&self, caller: &Caller, archive: Vec<u8>, query: RestoreQuery) -> Result<RestoreResult, ApiError>;
}

/// The largest request body: a backup archive or a configuration of tens of thousands of
/// routers and certificates.
pub const MAX_BODY_BYTES: usize = 256 << 20;

/// The version of this build, reported by `version` commands and the cluster info.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
