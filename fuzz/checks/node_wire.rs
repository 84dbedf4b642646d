//! What the cluster port (4242) decodes from a peer: the Raft RPC bodies (AppendEntries with
//! its log entries, Vote, install-snapshot chunks), the other cluster endpoints' bodies and
//! the answers a node decodes from a controller. Decoding is refused or succeeds, never a
//! panic; what decodes encodes to a value that decodes to the same (so a Raft entry reads the
//! same on every replica and after a restart), and the zstd-packed configuration texts come
//! back exactly.
//!
//! Input of [`raft`]: one byte choosing the endpoint (modulo 3: append, vote, snapshot), then
//! the JSON body. Input of [`cluster`]: one byte choosing the body (modulo [`CLUSTER_KINDS`]),
//! then the JSON text, except kind 8, whose payload is raw zstd data for a packed text.

use base64::Engine;
use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotResponse, VoteRequest, VoteResponse};
use openraft::EntryPayload;
use serde::de::DeserializeOwned;
use serde::Serialize;
use traefikee_apiserver::ErrorBody;
use traefikee_node::controller::Committed;
use traefikee_node::raft::network::SnapshotChunk;
use traefikee_node::raft::prevote::{PreVote, PreVoteAnswer};
use traefikee_node::raft::{NodeId, TypeConfig};
use traefikee_node::state::{Command, Request};
use traefikee_node::wire::{
    AbortRequest, ConfigUpdate, Heartbeat, HeartbeatResponse, JoinRequest, JoinResponse, LeaderView, PromoteResponse,
    ReadIndex, RemoveRequest, WriteRequest,
};

/// Decodes `value`'s encoding again and checks that encoding that gives the same JSON.
pub fn settles<T: Serialize + DeserializeOwned>(value: &T) -> T {
    let first = serde_json::to_value(value).expect("a decoded value encodes");
    let text = first.to_string();
    let again: T = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the encoding of a decoded value does not decode: {e}\n{text}"));
    let second = serde_json::to_value(&again).expect("a decoded value encodes");
    assert_eq!(first, second, "encoding, decoding and encoding again changed the value");
    again
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_json::from_slice(body).ok()
}

/// Decodes and checks one body of the kind `T`; whether it decoded.
fn body<T: Serialize + DeserializeOwned>(body: &[u8]) -> bool {
    decode::<T>(body).map(|v| settles(&v)).is_some()
}

/// As [`body`], for types that compare: the value itself comes back.
fn same<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(body: &[u8]) -> bool {
    let Some(value) = decode::<T>(body) else { return false };
    assert_eq!(settles(&value), value);
    true
}

/// Whether the Raft RPC body decoded.
pub fn raft(data: &[u8]) -> bool {
    let Some((&selector, payload)) = data.split_first() else { return false };
    match selector % 3 {
        0 => {
            let Some(req) = decode::<AppendEntriesRequest<TypeConfig>>(payload) else { return false };
            let again = settles(&req);
            assert_eq!(again.entries.len(), req.entries.len());
            for (entry, back) in req.entries.iter().zip(&again.entries) {
                assert_eq!(entry.log_id, back.log_id);
                assert!(entry.payload == back.payload, "an entry's payload changed by encoding it");
                if let EntryPayload::Normal(request) = &entry.payload {
                    assert_eq!(&settles(request), request);
                }
            }
            true
        }
        1 => same::<VoteRequest<NodeId>>(payload),
        _ => {
            let Some(chunk) = decode::<SnapshotChunk>(payload) else { return false };
            let chunk = settles(&chunk);
            if let Ok(req) = chunk.into_request() {
                let back = SnapshotChunk {
                    vote: req.vote,
                    meta: req.meta.clone(),
                    offset: req.offset,
                    data: base64::engine::general_purpose::STANDARD.encode(&req.data),
                    done: req.done,
                };
                assert!(back.into_request().ok() == Some(req), "a snapshot chunk changed by encoding it");
            }
            true
        }
    }
}

/// How many kinds of body [`cluster`] tells apart.
pub const CLUSTER_KINDS: u8 = 21;

/// Whether the cluster-port body decoded.
pub fn cluster(data: &[u8]) -> bool {
    let Some((&selector, payload)) = data.split_first() else { return false };
    match selector % CLUSTER_KINDS {
        0 => body::<JoinRequest>(payload),
        1 => body::<Heartbeat>(payload),
        2 => {
            let Some(req) = decode::<WriteRequest>(payload) else { return false };
            let again = settles(&req);
            assert_eq!(
                (&again.origin, &again.command, &again.request_id),
                (&req.origin, &req.command, &req.request_id)
            );
            true
        }
        3 => {
            let Some(req) = decode::<RemoveRequest>(payload) else { return false };
            let again = settles(&req);
            assert_eq!((again.node, &again.origin), (req.node, &req.origin));
            true
        }
        4 => body::<AbortRequest>(payload),
        5 => body::<PreVote>(payload),
        6 => same::<NodeId>(payload),
        7 => same::<Request>(payload),
        8 => packed(payload),
        9 => body::<JoinResponse>(payload),
        10 => body::<HeartbeatResponse>(payload),
        11 => body::<ConfigUpdate>(payload),
        12 => body::<LeaderView>(payload),
        13 => body::<ReadIndex>(payload),
        14 => body::<PreVoteAnswer>(payload),
        15 => body::<PromoteResponse>(payload),
        16 => body::<Committed>(payload),
        17 => body::<Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>>(payload),
        18 => body::<Result<VoteResponse<NodeId>, RaftError<NodeId>>>(payload),
        19 => body::<Result<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>>>(payload),
        _ => body::<ErrorBody>(payload),
    }
}

/// Raw zstd data as the packed document of a deploy entry: it unpacks or is refused, and
/// what unpacks packs and unpacks to the same text.
fn packed(zstd: &[u8]) -> bool {
    let text = format!("zstd:{}", base64::engine::general_purpose::STANDARD.encode(zstd));
    let json = serde_json::json!({ "Deploy": { "document": text, "summary": "" } });
    let Ok(command) = serde_json::from_value::<Command>(json) else { return false };
    assert_eq!(settles(&command), command);
    true
}
