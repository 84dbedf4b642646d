//! Request and response bodies of the API, one per operation.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `GET /api/v1/cluster`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ClusterInfo {
    pub id: String,
    pub name: String,
    /// traefikee version of the answering controller.
    pub version: String,
    /// Name of the current Raft leader, if one is known.
    pub leader: Option<String>,
    /// sha256 pin of the cluster CA's public key, as carried by join tokens.
    pub ca_fingerprint: String,
    /// Every control node and the addresses it serves.
    pub controllers: Vec<ControllerEndpoint>,
    /// Name of the controller that answered.
    pub answered_by: String,
    /// Raft progress of the controller that answered.
    pub raft: RaftStatus,
    /// Set when the answering controller cannot confirm its state with a quorum (it is cut
    /// off, or Raft stopped on it): what it shows may be stale, and `leader` is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Where a controller's Raft log stands, as `etcdctl endpoint status` would show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RaftStatus {
    pub term: u64,
    pub last_log_index: Option<u64>,
    pub last_applied_index: Option<u64>,
    /// Last entry covered by the latest snapshot.
    pub snapshot_index: Option<u64>,
    /// Entries up to here were removed from the log (compacted into a snapshot).
    pub purged_index: Option<u64>,
    pub voters: Vec<String>,
    pub learners: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ControllerEndpoint {
    pub name: String,
    /// Cluster port (Raft, join, configuration feed).
    pub cluster_address: String,
    /// mTLS API address.
    pub api_address: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, PartialOrd, Ord)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodeRole {
    ControlNode,
    DataNode,
}

impl NodeRole {
    pub fn label(self) -> &'static str {
        match self {
            NodeRole::ControlNode => "CONTROL NODE",
            NodeRole::DataNode => "DATA NODE",
        }
    }
}

/// Whether a node is a full member of the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Membership {
    /// A voter (control node) or a registered data node.
    Accepted,
    /// A control node still catching up as a Raft learner.
    Pending,
}

/// Whether a node answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Ready,
    Down,
}

/// Whether a node takes work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Availability {
    Active,
}

/// One node as `list-nodes` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NodeInfo {
    pub id: String,
    pub name: String,
    pub role: NodeRole,
    pub leader: bool,
    pub membership: Membership,
    pub status: Status,
    pub availability: Availability,
    /// Cluster address of a control node; empty for data nodes.
    pub address: String,
    pub api_address: Option<String>,
    /// RFC 3339 time the node joined.
    pub joined_at: String,
    /// Milliseconds since the answering controller last heard from the node.
    pub last_seen_ms: Option<u64>,
    /// Configuration version a data node reports it runs.
    #[serde(default)]
    pub config_version: Option<u64>,
    /// The newest version a data node refused to run, and why (it keeps running
    /// `config_version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_refused: Option<ConfigRefusal>,
}

/// A configuration version a data node could not serve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConfigRefusal {
    pub version: u64,
    pub error: String,
}

/// `GET /api/v1/nodes`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NodeList {
    pub nodes: Vec<NodeInfo>,
    /// Set when the answering controller cannot confirm its state with a quorum: the list
    /// may be stale and names no leader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// `DELETE /api/v1/nodes/{node}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RemovedNode {
    pub removed: NodeInfo,
}

/// `GET /api/v1/tokens`, `POST /api/v1/tokens/rotate`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Tokens {
    pub control_node_token: String,
    pub data_node_token: String,
}

/// `POST /api/v1/credentials/exchange`, called with a one-time enrollment credential: the
/// caller sends a CSR for a key it generated and gets a personal certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExchangeRequest {
    /// Operator name for the certificate, when the enrollment credential does not fix one.
    pub name: Option<String>,
    pub csr_pem: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExchangeResponse {
    pub name: String,
    pub cert_pem: String,
    pub ca_pem: String,
    pub cluster_id: String,
    pub cluster_name: String,
    /// API addresses of every controller, so clients can fail over.
    pub api_addresses: Vec<String>,
}

/// `POST /api/v1/credentials`: a one-time credential for another operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCredentialRequest {
    pub name: String,
}

/// A one-time credential to hand to an operator, who exchanges it with `traefikeectl connect`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewCredential {
    pub name: String,
    pub id: String,
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    pub expires_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CredentialKind {
    /// A personal certificate.
    Operator,
    /// A one-time credential waiting to be exchanged.
    Enrollment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CredentialStatus {
    Active,
    /// An enrollment credential not exchanged yet.
    Pending,
    /// An enrollment credential already exchanged.
    Used,
    Revoked,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CredentialInfo {
    pub kind: CredentialKind,
    pub name: String,
    /// Certificate serial (operator) or enrollment id.
    pub id: String,
    pub serial: String,
    pub status: CredentialStatus,
    pub created_at: String,
    pub expires_at: String,
}

/// `GET /api/v1/credentials`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CredentialList {
    pub credentials: Vec<CredentialInfo>,
}

/// `POST /api/v1/credentials/revoke`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Operator name, certificate serial or enrollment id.
    pub credential: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Revoked {
    pub revoked: Vec<CredentialInfo>,
}

/// One change to the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub seq: u64,
    /// RFC 3339 time of the change.
    pub at: String,
    /// Who made it: an operator, the local socket, a joining node's token, the bootstrap.
    pub actor: String,
    pub action: String,
    pub detail: String,
}

/// `GET /api/v1/audit`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
}

/// Query of `GET /api/v1/audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// How many of the newest entries (default 100, at most 10000).
    pub limit: Option<usize>,
}

/// Format of a configuration text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum ConfigFormat {
    #[default]
    Yaml,
    Toml,
    Json,
}

impl ConfigFormat {
    /// The format a file's extension names (`.yml`, `.yaml`, `.toml`, `.json`, any case).
    pub fn from_path(path: &std::path::Path) -> Option<ConfigFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "yml" | "yaml" => Some(ConfigFormat::Yaml),
            "toml" => Some(ConfigFormat::Toml),
            "json" => Some(ConfigFormat::Json),
            _ => None,
        }
    }
}

/// An entry point given on the command line (`--entryPoints='Name:https Address::443 TLS'`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryPointFlag {
    pub name: String,
    pub address: String,
    /// Terminate TLS on this entry point (with the certificates of the `tls` section, or the
    /// default certificate).
    #[serde(default)]
    pub tls: bool,
}

/// A key-value provider given by TraefikEE v1's flags (`--consul.endpoint=10.10.0.10:8500
/// --consul.prefix=traefik`); the same as `providers.consul` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderFlag {
    /// `consul`, `etcd` or `redis`.
    pub kind: String,
    pub endpoints: Vec<String>,
    /// The root key (default `traefik`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Consul's ACL token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `GET /api/v1/providers`: the providers the deployed configuration enables, and how each
/// is doing. They run on the leader controller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProviderList {
    pub providers: Vec<ProviderInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProviderInfo {
    /// `etcd`, `consul`, `redis`: the suffix of the names it gives (`whoami@etcd`).
    pub name: String,
    pub endpoints: Vec<String>,
    pub root_key: String,
    /// `ok` (its configuration is running), `error` (it fails; what it gave before still
    /// runs), `waiting` (nothing from it yet), `removed` (no longer configured).
    pub status: String,
    /// What its running configuration holds.
    pub summary: String,
    /// When its configuration last changed, and the version that made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_change: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// Why it fails, while it does, and since when.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<String>,
}

/// `POST /api/v1/config`: validate, then (unless `dry_run`) replace the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct DeployRequest {
    /// A configuration in Traefik's format, static and dynamic keys together. Without it, the
    /// deployed routers, services and middlewares are kept and the entry points replaced.
    #[serde(default)]
    pub content: Option<String>,
    #[serde(default)]
    pub format: ConfigFormat,
    /// Entry points added to (or replacing those of) the configuration.
    #[serde(default)]
    pub entry_points: Vec<EntryPointFlag>,
    /// Entry points that routers naming none attach to.
    #[serde(default)]
    pub default_entry_points: Vec<String>,
    /// Validate only; change nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// Providers given by TraefikEE v1's flags, added to (or replacing those of) the
    /// configuration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<ProviderFlag>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeployResult {
    /// The version now deployed; none for a dry run.
    pub version: Option<u64>,
    pub dry_run: bool,
    /// What the configuration holds.
    pub summary: String,
}

/// `GET /api/v1/config`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeployedConfig {
    pub version: u64,
    pub deployed_at: String,
    pub deployed_by: String,
    pub summary: String,
    /// The configuration, static and dynamic keys together, in Traefik's format.
    #[schema(value_type = Object)]
    pub document: serde_json::Value,
    /// What each provider the configuration enables gave (its dynamic configuration, names as
    /// it gave them); proxies run them merged with the document, as `name@provider`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[schema(value_type = Object)]
    pub providers: std::collections::BTreeMap<String, serde_json::Value>,
}

/// `POST /api/v1/restore` query.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RestoreQuery {
    /// Restore an archive taken from another cluster (its configuration only).
    #[serde(default)]
    pub force: bool,
    /// Run every check and report what would change, without changing anything.
    #[serde(default)]
    pub dry_run: bool,
}

/// Where a restored archive came from, as its manifest says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BackupOrigin {
    pub cluster_id: String,
    pub cluster_name: String,
    pub created_at: String,
    pub raft_index: u64,
    pub tool_version: String,
}

/// What a restore changed (or, for a dry run, would change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RestoreResult {
    pub from: BackupOrigin,
    pub dry_run: bool,
    /// The configuration version the restored configuration runs as; none for a dry run or
    /// an archive without a configuration.
    pub version: Option<u64>,
    /// The restored configuration's summary, if the archive holds one.
    pub config: Option<String>,
    /// Whether the join tokens were restored (only from an archive of this cluster).
    pub tokens: bool,
    /// Operator and one-time credential records restored or merged.
    pub credentials: usize,
    /// Certificate revocations restored (revocations are only ever added).
    pub revocations: usize,
}
