//! Raft wiring: the type configuration, the LMDB store, the network and the RPC server.
//!
//! Every other module names Raft types through the aliases here.

pub mod network;
pub mod prevote;
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

/// Raft timing, set by `--raft.heartbeat-interval` and `--raft.election-timeout` (in
/// milliseconds, as etcd's flags of the same names).
///
/// openraft gives every AppendEntries one heartbeat interval to answer, so the interval must
/// exceed the round trip between controllers: the 50 ms default suits one data centre, and
/// controllers spread across regions need about 1.5 times their worst round trip, 3 times on
/// a lossy link (TCP must have time to retransmit within one interval). The election
/// timeout (default: the larger of 150 ms and three heartbeats) is the least silence after which
/// a follower stands for election; each follower draws its own between it and twice it. A
/// follower of a live leader refuses to vote for another for that long (openraft's leader
/// lease), so a dead leader is replaced about 1.5 to 2 election timeouts after its last
/// heartbeat (0.5–0.7 s by default; etcd: ~2 × 1 s, Consul ~5 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub heartbeat: Duration,
    pub election_timeout: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing::new(None, None).expect("the default timing is valid")
    }
}

/// Raft timing flags that cannot work together; the message names the flag and a good value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TimingError(String);

impl Timing {
    pub const DEFAULT_HEARTBEAT_MS: u64 = 50;

    /// The timing for the flags given; the election timeout defaults from the heartbeat.
    pub fn new(heartbeat_ms: Option<u64>, election_timeout_ms: Option<u64>) -> Result<Timing, TimingError> {
        let heartbeat = heartbeat_ms.unwrap_or(Self::DEFAULT_HEARTBEAT_MS);
        if !(10..=10_000).contains(&heartbeat) {
            return Err(TimingError(format!(
                "--raft.heartbeat-interval={heartbeat} is out of range: give 10 to 10000 milliseconds, about 1.5 times the \
                 longest round trip between control nodes"
            )));
        }
        let election = election_timeout_ms.unwrap_or((3 * heartbeat).max(150));
        if election < 3 * heartbeat || election > 120_000 {
            return Err(TimingError(format!(
                "--raft.election-timeout={election} must be at least 3 times --raft.heartbeat-interval ({}) and at \
                 most 120000 milliseconds: a follower would call elections while its leader is alive",
                3 * heartbeat
            )));
        }
        Ok(Timing { heartbeat: Duration::from_millis(heartbeat), election_timeout: Duration::from_millis(election) })
    }

    /// How long a write may wait for a quorum before it fails with "no quorum": long enough
    /// to ride out one election.
    pub fn write_timeout(&self) -> Duration {
        (self.election_timeout * 8).max(Duration::from_secs(5))
    }

    /// The openraft configuration of a cluster with this timing.
    pub fn raft_config(&self, cluster_id: &str) -> openraft::Config {
        let ms = |d: Duration| d.as_millis() as u64;
        openraft::Config {
            cluster_name: cluster_id.to_string(),
            heartbeat_interval: ms(self.heartbeat),
            election_timeout_min: ms(self.election_timeout),
            election_timeout_max: 2 * ms(self.election_timeout),
            install_snapshot_timeout: ms(self.heartbeat * 40).max(2_000),
            max_payload_entries: 512,
            snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(snapshot_every()),
            // Keep a tail after a snapshot so a briefly lagging follower catches up from the log.
            max_in_snapshot_log_to_keep: snapshot_every() / 5,
            // Elections are called by the pre-vote task (see `prevote`).
            enable_elect: false,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_defaults_derive_from_the_heartbeat_and_refuse_what_cannot_work() {
        let default = Timing::default();
        assert_eq!(default.heartbeat, Duration::from_millis(50));
        assert_eq!(default.election_timeout, Duration::from_millis(150));
        assert_eq!(default.write_timeout(), Duration::from_secs(5));
        // Controllers 100 ms apart (one way): a 300 ms heartbeat, elections after 0.9–1.8 s.
        let wan = Timing::new(Some(300), None).unwrap();
        assert_eq!(wan.election_timeout, Duration::from_millis(900));
        let config = wan.raft_config("c").validate().unwrap();
        assert_eq!((config.election_timeout_min, config.election_timeout_max), (900, 1800));
        assert!(wan.write_timeout() > 2 * Duration::from_millis(1800));
        let short = Timing::new(Some(300), Some(600)).unwrap_err();
        assert!(short.to_string().contains("at least 3 times --raft.heartbeat-interval (900)"), "{short}");
        assert!(Timing::new(Some(5), None).unwrap_err().to_string().contains("out of range"));
    }
}
