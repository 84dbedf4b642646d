//! Raft RPC client: HTTPS with mutual TLS to the other controllers' cluster port.
//!
//! Connection failures become `Unreachable` so openraft backs off instead of hammering a dead
//! peer; any other transport failure is a `Network` error, retried at once.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest,
    VoteResponse,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{NodeAddr, NodeId, SnapshotMeta, TypeConfig, Vote};

/// Creates connections to peers; shares one HTTP client (and its connection pool).
#[derive(Clone)]
pub struct Network {
    client: reqwest::Client,
}

impl Network {
    pub fn new(client: reqwest::Client) -> Self {
        Network { client }
    }
}

impl RaftNetworkFactory<TypeConfig> for Network {
    type Network = Connection;

    async fn new_client(&mut self, target: NodeId, node: &NodeAddr) -> Connection {
        Connection { client: self.client.clone(), target, addr: node.addr.clone() }
    }
}

pub struct Connection {
    client: reqwest::Client,
    target: NodeId,
    addr: String,
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

impl Connection {
    async fn call<Req, Resp, E>(&self, path: &str, body: &Req, timeout: Duration) -> RpcResult<Resp, E>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let url = format!("https://{}{path}", self.addr);
        let resp = self.client.post(&url).timeout(timeout).json(body).send().await.map_err(|e| {
            if e.is_connect() || e.is_timeout() {
                RPCError::Unreachable(Unreachable::new(&e))
            } else {
                RPCError::Network(NetworkError::new(&e))
            }
        })?;
        let status = resp.status();
        if !status.is_success() {
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
        self.call("/raft/v1/append", &rpc, option.hard_ttl()).await
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
