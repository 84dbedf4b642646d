//! Raft RPC client: HTTPS with mutual TLS to the other controllers' cluster port.
//!
//! Connection failures become `Unreachable` so openraft backs off instead of hammering a dead
//! peer; any other transport failure is a `Network` error, retried at once.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use openraft::error::{
    InstallSnapshotError, NetworkError, PayloadTooLarge, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{NodeAddr, NodeId, SnapshotMeta, TypeConfig, Vote};
use crate::authz::RemovedSignal;

/// Creates connections to peers; shares one HTTP client (and its connection pool).
#[derive(Clone)]
pub struct Network {
    client: reqwest::Client,
    removed: RemovedSignal,
}

impl Network {
    /// `removed` fires when a peer answers that this node's certificate was removed.
    pub fn new(client: reqwest::Client, removed: RemovedSignal) -> Self {
        Network { client, removed }
    }
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Connection;

    async fn new_client(&mut self, target: NodeId, node: &NodeAddr) -> Connection {
        Connection { client: self.client.clone(), target, addr: node.addr.clone(), removed: self.removed.clone() }
    }
}

pub struct Connection {
    client: reqwest::Client,
    target: NodeId,
    addr: String,
    removed: RemovedSignal,
}

/// An install-snapshot chunk on the wire, with its data in base64 rather than a JSON array.
#[derive(Serialize, Deserialize)]
pub struct SnapshotChunk {
    pub vote: Vote,
    pub meta: SnapshotMeta,
    pub offset: u64,
    pub data: String,
    pub done: bool,
}

impl SnapshotChunk {
    pub fn into_request(self) -> Result<InstallSnapshotRequest<TypeConfig>, base64::DecodeError> {
        Ok(InstallSnapshotRequest {
            vote: self.vote,
            meta: self.meta,
            offset: self.offset,
            data: B64.decode(self.data)?,
            done: self.done,
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Message(String);

type RpcResult<T, E> = Result<T, RPCError<NodeId, NodeAddr, E>>;

/// An AppendEntries body above this is split: openraft gives the whole call one heartbeat
/// interval, and a follower must receive, parse and fsync it in that time. One entry is
/// always sent, however large (configuration documents are compressed, see `state::packed`).
const APPEND_BODY_TARGET: usize = 512 << 10;

/// How many of `entries` entries to send when they encode to `body_len` bytes.
fn entries_hint(entries: usize, body_len: usize) -> Option<u64> {
    if entries <= 1 || body_len <= APPEND_BODY_TARGET {
        return None;
    }
    Some(((entries * APPEND_BODY_TARGET / body_len) as u64).clamp(1, entries as u64 - 1))
}

impl Connection {
    async fn call<Req, Resp, E>(&self, path: &str, body: &Req, timeout: Duration) -> RpcResult<Resp, E>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let body = serde_json::to_vec(body).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        self.send(path, body, timeout).await
    }

    async fn send<Resp, E>(&self, path: &str, body: Vec<u8>, timeout: Duration) -> RpcResult<Resp, E>
    where
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let url = format!("https://{}{path}", self.addr);
        let request = self.client.post(&url).timeout(timeout).header(reqwest::header::CONTENT_TYPE, "application/json");
        let resp = request.body(body).send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() {
                RPCError::Unreachable(Unreachable::new(&e))
            } else {
                RPCError::Network(NetworkError::new(&e))
            }
        })?;
        let status = resp.status();
        if !status.is_success() {
            self.removed.check_answer(&self.addr, resp.headers());
            let text = resp.text().await.unwrap_or_default();
            return Err(RPCError::Network(NetworkError::new(&Message(format!("{url}: HTTP {status}: {text}")))));
        }
        let result: Result<Resp, E> = resp.json().await.map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<TypeConfig> for Connection {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<NodeId>, RaftError<NodeId>> {
        let body = serde_json::to_vec(&rpc).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        if let Some(hint) = entries_hint(rpc.entries.len(), body.len()) {
            return Err(RPCError::PayloadTooLarge(PayloadTooLarge::new_entries_hint(hint)));
        }
        self.send("/raft/v1/append", body, option.hard_ttl()).await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>> {
        let chunk = SnapshotChunk {
            vote: rpc.vote,
            meta: rpc.meta,
            offset: rpc.offset,
            data: B64.encode(&rpc.data),
            done: rpc.done,
        };
        self.call("/raft/v1/snapshot", &chunk, option.hard_ttl()).await
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<NodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<NodeId>, RaftError<NodeId>> {
        self.call("/raft/v1/vote", &rpc, option.hard_ttl()).await
    }
}

#[cfg(test)]
mod tests {
    use super::{entries_hint, APPEND_BODY_TARGET};

    #[test]
    fn small_payloads_and_single_entries_are_sent_whole() {
        assert_eq!(entries_hint(512, APPEND_BODY_TARGET), None);
        assert_eq!(entries_hint(1, APPEND_BODY_TARGET * 10), None);
        assert_eq!(entries_hint(0, APPEND_BODY_TARGET * 10), None);
    }

    #[test]
    fn large_batches_are_cut_to_fit_and_always_shrink() {
        assert_eq!(entries_hint(100, APPEND_BODY_TARGET * 4), Some(25));
        assert_eq!(entries_hint(3, APPEND_BODY_TARGET * 3), Some(1));
        // Three entries barely over the target: send two, never all three again.
        assert_eq!(entries_hint(3, APPEND_BODY_TARGET + 1), Some(2));
        assert_eq!(entries_hint(2, APPEND_BODY_TARGET * 100), Some(1));
    }
}
