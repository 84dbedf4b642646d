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
}

/// `GET /api/v1/nodes`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NodeList {
    pub nodes: Vec<NodeInfo>,
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
