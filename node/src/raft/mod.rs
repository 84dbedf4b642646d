//! Raft wiring: the type configuration, the LMDB store, the network and the RPC server.
//!
//! Every other module names Raft types through the aliases here.

pub mod network;
pub mod server;
pub mod store;

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::state::{Request, Response};

/// How controllers reach each other: the advertised cluster address (`host:port`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeAddr {
    pub addr: String,
}

impl fmt::Display for NodeAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.addr)
    }
}

openraft::declare_raft_types!(
    /// The Raft type configuration of a traefikee control plane.
    pub TypeConfig:
        D = Request,
        R = Response,
        NodeId = u64,
        Node = NodeAddr,
        SnapshotData = std::io::Cursor<Vec<u8>>,
);

pub type NodeId = u64;
pub type Raft = openraft::Raft<TypeConfig>;
pub type Entry = openraft::Entry<TypeConfig>;
pub type LogId = openraft::LogId<NodeId>;
pub type Vote = openraft::Vote<NodeId>;
pub type StorageError = openraft::StorageError<NodeId>;
pub type StoredMembership = openraft::StoredMembership<NodeId, NodeAddr>;
pub type SnapshotMeta = openraft::SnapshotMeta<NodeId, NodeAddr>;
pub type Snapshot = openraft::Snapshot<TypeConfig>;
pub type RaftMetrics = openraft::RaftMetrics<NodeId, NodeAddr>;

/// Entries between two snapshots; `TRAEFIKEE_RAFT_SNAPSHOT_EVERY` overrides it (tests use a
/// small value to exercise compaction and snapshot installs).
fn snapshot_every() -> u64 {
    std::env::var("TRAEFIKEE_RAFT_SNAPSHOT_EVERY").ok().and_then(|v| v.parse().ok()).filter(|v| *v > 0).unwrap_or(5_000)
}

/// Raft timing. openraft 0.9 lets a follower of an established leader stand for election
/// only after a lease (`election_timeout_max`) plus an election timeout, so with 150–300 ms a
/// dead leader is replaced about 0.5–0.7 s after its last heartbeat (etcd: ~2 × 1 s by
/// default, Consul ~5 s), while a follower still needs nine missed 50 ms heartbeats before it
/// starts an election on a loaded machine.
pub fn config(cluster_id: &str) -> openraft::Config {
    openraft::Config {
        cluster_name: cluster_id.to_string(),
        heartbeat_interval: 50,
        election_timeout_min: 150,
        election_timeout_max: 300,
        install_snapshot_timeout: 2_000,
        max_payload_entries: 512,
        snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(snapshot_every()),
        // Keep a tail after a snapshot so a briefly lagging follower catches up from the log.
        max_in_snapshot_log_to_keep: snapshot_every() / 5,
        ..Default::default()
    }
}

/// How long a write may wait for a quorum before it fails with "no quorum".
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
