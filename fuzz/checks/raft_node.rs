//! The Raft RPCs of the cluster port handed to a live Raft, as `raft/server.rs` does with a
//! body that decoded: a fresh controller's Raft (openraft on the node's LMDB store, entries
//! applied by the node's state machine once committed) takes a sequence of AppendEntries,
//! Vote and install-snapshot requests. Nothing may panic, in our code or in openraft's (the
//! Raft task would die: a `Fatal::Panicked` answer). Raft may stop on a storage error, which
//! is how the store refuses what it cannot keep (a snapshot whose records do not decode, a key
//! LMDB cannot hold); the rest of the input is then not sent.
//!
//! Input: JSON, an array of `{"Append": <AppendEntriesRequest>}`, `{"Vote": <VoteRequest>}` or
//! `{"Snapshot": <SnapshotChunk>}`, sent in order to a new node (id 2) with an empty log.
//!
//! openraft assumes its peers follow the protocol, and checks it with debug assertions: what
//! no correct leader sends is not sent here. An AppendEntries must pass the cluster port's
//! check (`raft::server::malformed`: entries following `prev_log_id` one index after
//! another, log ids increasing, no term above the sender's, from a leader's committed vote;
//! the cases in `fuzz/regressions/raft_node/` are what it refuses), and only
//! the first request may be one, since a second could contradict what the first committed
//! (another entry at a committed index); a snapshot goes only to a node without a log; no log
//! index is near 2^64 (openraft adds to them unchecked).
//! Votes may come at any point.

use std::sync::Arc;
use std::time::Duration;

use openraft::error::{Fatal, InstallSnapshotError, NetworkError, RPCError, RaftError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use traefikee_node::raft::network::SnapshotChunk;
use traefikee_node::raft::store::Db;
use traefikee_node::raft::{NodeAddr, NodeId, Raft, Timing, TypeConfig};

#[derive(serde::Deserialize)]
pub enum Rpc {
    Append(AppendEntriesRequest<TypeConfig>),
    Vote(VoteRequest<NodeId>),
    Snapshot(SnapshotChunk),
}

/// No log gets near 2^64 entries; openraft adds to indices without checking.
const MAX_INDEX: u64 = 1 << 48;
/// The most requests of one input: each may fsync.
const MAX_RPCS: usize = 16;
/// An RPC's answer comes within this (the node has no peers to wait for).
const ANSWER_WITHIN: Duration = Duration::from_secs(3);

pub struct RaftNode {
    runtime: tokio::runtime::Runtime,
}

impl Default for RaftNode {
    fn default() -> Self {
        Self::new()
    }
}

impl RaftNode {
    pub fn new() -> Self {
        RaftNode { runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime") }
    }

    /// Whether the input decoded as requests.
    pub fn check(&mut self, data: &[u8]) -> bool {
        let Ok(rpcs) = serde_json::from_slice::<Vec<Rpc>>(data) else { return false };
        if rpcs.is_empty() || rpcs.len() > MAX_RPCS {
            return false;
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        self.runtime.block_on(async {
            let db = Db::open(dir.path()).expect("the store opens");
            let (log, sm) = db.raft_storage();
            let config = Arc::new(Timing::default().raft_config("fuzz").validate().expect("a valid configuration"));
            let raft = Raft::new(2, config, NoPeers, log, sm).await.expect("Raft starts");
            let mut has_log = false;
            for (i, rpc) in rpcs.into_iter().enumerate() {
                let outcome = match rpc {
                    Rpc::Append(req) if i > 0 || !well_formed(&req) => None,
                    Rpc::Append(req) => {
                        has_log = true;
                        stopped(raft.append_entries(req)).await
                    }
                    Rpc::Vote(req) => stopped(raft.vote(req)).await,
                    Rpc::Snapshot(chunk) if has_log || !sane_snapshot(&chunk) => None,
                    Rpc::Snapshot(chunk) => match chunk.into_request() {
                        Ok(req) => stopped(raft.install_snapshot(req)).await,
                        Err(_) => None,
                    },
                };
                match outcome {
                    None => {}
                    Some(Fatal::StorageError(_)) => break,
                    Some(why) => panic!("request {i} stopped Raft: {why}"),
                }
            }
            let _ = raft.shutdown().await;
        });
        true
    }
}

/// Whether the cluster port lets the request through (`raft::server::malformed`), with
/// indexes a log could reach.
fn well_formed(req: &AppendEntriesRequest<TypeConfig>) -> bool {
    let ids = req.prev_log_id.iter().chain(req.entries.iter().map(|e| &e.log_id)).chain(&req.leader_commit);
    traefikee_node::raft::server::malformed(req).is_none() && ids.into_iter().all(|l| l.index <= MAX_INDEX)
}

/// Whether a snapshot chunk is as a leader sends it: from a committed vote, of a log that
/// could exist.
fn sane_snapshot(chunk: &SnapshotChunk) -> bool {
    let ids = chunk.meta.last_log_id.iter().chain(chunk.meta.last_membership.log_id());
    chunk.vote.committed && ids.into_iter().all(|l| l.index <= MAX_INDEX)
}

/// Why Raft stopped answering `call`, if it did.
async fn stopped<T, E: std::error::Error>(
    call: impl std::future::Future<Output = Result<T, RaftError<NodeId, E>>>,
) -> Option<Fatal<NodeId>> {
    match tokio::time::timeout(ANSWER_WITHIN, call).await {
        Ok(Err(RaftError::Fatal(why))) => Some(why),
        Ok(_) => None,
        Err(_) => panic!("no answer within {ANSWER_WITHIN:?}"),
    }
}

/// A node alone: every peer is unreachable (it is never asked to call one: it does not stand
/// for election, and only leaders replicate).
struct NoPeers;

#[derive(Debug)]
struct Nobody;

impl std::fmt::Display for Nobody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no peers while fuzzing")
    }
}

impl std::error::Error for Nobody {}

impl RaftNetworkFactory<TypeConfig> for NoPeers {
    type Network = NoPeers;

    async fn new_client(&mut self, _: NodeId, _: &NodeAddr) -> NoPeers {
        NoPeers
    }
}

type Sent<T, E> = Result<T, RPCError<NodeId, NodeAddr, E>>;

impl RaftNetwork<TypeConfig> for NoPeers {
    async fn append_entries(
        &mut self,
        _: AppendEntriesRequest<TypeConfig>,
        _: RPCOption,
    ) -> Sent<AppendEntriesResponse<NodeId>, RaftError<NodeId>> {
        Err(RPCError::Unreachable(Unreachable::new(&Nobody)))
    }

    async fn install_snapshot(
        &mut self,
        _: InstallSnapshotRequest<TypeConfig>,
        _: RPCOption,
    ) -> Sent<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>> {
        Err(RPCError::Network(NetworkError::new(&Nobody)))
    }

    async fn vote(&mut self, _: VoteRequest<NodeId>, _: RPCOption) -> Sent<VoteResponse<NodeId>, RaftError<NodeId>> {
        Err(RPCError::Unreachable(Unreachable::new(&Nobody)))
    }
}
