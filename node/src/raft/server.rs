//! Raft RPC endpoints on the cluster port; only controllers whose certificate is not revoked
//! may call them (a removed node's elections never reach the others' terms).

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::routing::post;
use axum::{Json, Router};
use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotResponse, VoteRequest, VoteResponse};

use super::network::SnapshotChunk;
use super::{NodeId, TypeConfig};
use crate::cluster_port::RaftPeer;
use crate::controller::Controller;

/// The largest snapshot a controller takes in (the LMDB map is 4 GiB; a real state is
/// megabytes: 10,000 routers and 1,000 certificates back up to about 20 MB).
pub const MAX_SNAPSHOT_BYTES: u64 = 1 << 30;

pub fn routes() -> Router<Arc<Controller>> {
    Router::new()
        .route("/raft/v1/append", post(append))
        .route("/raft/v1/vote", post(vote))
        .route("/raft/v1/snapshot", post(snapshot))
        // Entries carry whole configurations; axum's default 2 MB would refuse a batch of
        // them forever (every retry is the same payload). Only unrevoked controllers get past
        // `RaftPeer`, which runs before the body is read.
        .layer(DefaultBodyLimit::max(traefikee_apiserver::MAX_BODY_BYTES))
}

/// Why an AppendEntries is not one a leader sends, if it is not: from a committed vote,
/// entries following `prev_log_id` one index after another, log ids increasing, no term
/// above the sender's. openraft trusts its peers here (debug assertions that stop Raft, a
/// log with gaps or out of order in a release build): a controller's certificate is not
/// enough to be trusted that far. Found by the `raft_node` fuzz target.
pub fn malformed(req: &AppendEntriesRequest<TypeConfig>) -> Option<&'static str> {
    let first = req.prev_log_id.map_or(Some(0), |l| l.index.checked_add(1));
    if !req.vote.committed {
        return Some("entries from a vote that is not committed");
    }
    let consecutive = req
        .entries
        .iter()
        .enumerate()
        .all(|(i, e)| first.and_then(|f| f.checked_add(i as u64)) == Some(e.log_id.index));
    if !consecutive {
        return Some("entries that do not follow prev_log_id one index after another");
    }
    let ids: Vec<_> = req.prev_log_id.iter().chain(req.entries.iter().map(|e| &e.log_id)).collect();
    if !ids.windows(2).all(|w| w[0] < w[1]) {
        return Some("log ids that do not increase");
    }
    if req.entries.iter().any(|e| e.log_id.leader_id.term > req.vote.leader_id.term) {
        return Some("entries of a term above the sender's");
    }
    None
}

async fn append(
    State(c): State<Arc<Controller>>,
    _: RaftPeer,
    Json(req): Json<AppendEntriesRequest<TypeConfig>>,
) -> Result<Json<Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>>, traefikee_apiserver::ApiError> {
    if let Some(why) = malformed(&req) {
        return Err(traefikee_apiserver::ApiError::invalid(format!("AppendEntries refused: {why}")));
    }
    let answer = c.raft.append_entries(req).await;
    if matches!(&answer, Ok(r) if !matches!(r, AppendEntriesResponse::HigherVote(_))) {
        c.leader_contact.heard();
    }
    Ok(Json(answer))
}

async fn vote(
    State(c): State<Arc<Controller>>,
    _: RaftPeer,
    Json(req): Json<VoteRequest<NodeId>>,
) -> Json<Result<VoteResponse<NodeId>, RaftError<NodeId>>> {
    Json(c.raft.vote(req).await)
}

async fn snapshot(
    State(c): State<Arc<Controller>>,
    _: RaftPeer,
    Json(chunk): Json<SnapshotChunk>,
) -> Result<
    Json<Result<InstallSnapshotResponse<NodeId>, RaftError<NodeId, InstallSnapshotError>>>,
    traefikee_apiserver::ApiError,
> {
    // openraft writes each chunk at its offset of an in-memory buffer: a chunk far out would
    // make this node allocate (and zero) up to its offset, or abort. Found by the fuzzer.
    if chunk.offset.saturating_add(chunk.data.len() as u64) > MAX_SNAPSHOT_BYTES {
        return Err(traefikee_apiserver::ApiError::invalid(format!(
            "snapshot chunk refused: it ends past {MAX_SNAPSHOT_BYTES} bytes"
        )));
    }
    let req = chunk
        .into_request()
        .map_err(|e| traefikee_apiserver::ApiError::invalid(format!("snapshot chunk data is not base64: {e}")))?;
    let answer = c.raft.install_snapshot(req).await;
    if answer.is_ok() {
        c.leader_contact.heard();
    }
    Ok(Json(answer))
}
