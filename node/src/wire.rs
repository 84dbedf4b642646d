//! Bodies exchanged on the cluster port (4242) between nodes.

use serde::{Deserialize, Serialize};

use traefikee_apiserver::types::ConfigRefusal;

use crate::raft::NodeId;
use crate::state::{Command, NodeKind, Origin};

/// `POST /cluster/v1/join`: a new node presents a token and a CSR.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub token: String,
    pub kind: NodeKind,
    pub name: String,
    /// Advertised cluster address of a control node; for a data node, where it listens.
    pub address: String,
    pub api_address: Option<String>,
    pub csr_pem: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinResponse {
    pub node_id: u64,
    pub cert_pem: String,
    pub ca_pem: String,
    pub cluster_id: String,
    pub cluster_name: String,
    pub controllers: Vec<PeerInfo>,
}

/// A control node as other nodes need to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerInfo {
    pub id: u64,
    pub name: String,
    pub address: String,
    pub api_address: Option<String>,
}

/// `POST /cluster/v1/promote`: a joined control node whose server is up asks to become a
/// Raft member.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PromoteResponse {
    pub voter: bool,
}

/// `POST /cluster/v1/heartbeat`: a node says it is alive. Data nodes add what they run and
/// who they are, so a controller can list them again if they were forgotten while down.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Heartbeat {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    /// The version the node serves.
    #[serde(default)]
    pub config_version: Option<u64>,
    /// The newest version it received and refused to serve, and why.
    #[serde(default)]
    pub config_refused: Option<ConfigRefusal>,
    /// The node stops for good (`start-data-node --leave-on-stop`): forget it now.
    #[serde(default)]
    pub leaving: bool,
}

/// `POST /cluster/v1/heartbeat` answer: the controllers, so nodes learn new ones, and the
/// leader, whose configuration feed is the freshest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeartbeatResponse {
    pub controllers: Vec<PeerInfo>,
    #[serde(default)]
    pub leader: Option<u64>,
}

/// `GET /cluster/v1/config?after=N`: the deployed configuration once its version exceeds N
/// (204 when the wait ends with nothing newer).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfigUpdate {
    pub version: u64,
    /// The document as JSON text.
    pub document: String,
}

/// `POST /cluster/v1/abort`: the bootstrap node gave up; joined control nodes stop.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbortRequest {
    pub reason: String,
}

/// `POST /cluster/v1/write`: a controller forwards a write to the leader. The leader builds
/// the Raft entry (time, audit actor) itself; the state machine checks the origin's
/// credential when it applies it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteRequest {
    pub origin: Origin,
    pub command: Command,
    /// Sent again, with the same id, when an answer was lost: applied once.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// `POST /cluster/v1/remove`: a controller forwards `rm-node` to the leader.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveRequest {
    pub node: NodeId,
    pub origin: Origin,
}

/// `POST /cluster/v1/read-index` answer: the leader confirmed its leadership with a quorum;
/// a follower that has applied `index` reads state at least as new as any acknowledged write.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReadIndex {
    pub index: u64,
}

/// `GET /cluster/v1/leader`: who this controller follows, for a restarted controller that
/// must find the leader a quorum agrees on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeaderView {
    pub leader: Option<NodeId>,
    pub term: u64,
}

/// Response header on a refusal of the cluster port meaning "your certificate was removed
/// from the cluster": the node that gets it stops.
pub const REMOVED_HEADER: &str = "x-traefikee-removed";

/// Header carrying how many times a request was forwarded between controllers.
pub const HOPS_HEADER: &str = "x-traefikee-hops";
/// Forwarding stops after this many hops (a leader that moved twice while we forwarded).
pub const MAX_HOPS: u32 = 3;
