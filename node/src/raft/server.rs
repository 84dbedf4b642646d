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

async fn append(
    State(c): State<Arc<Controller>>,
    _: RaftPeer,
    Json(req): Json<AppendEntriesRequest<TypeConfig>>,
) -> Json<Result<AppendEntriesResponse<NodeId>, RaftError<NodeId>>> {
    let answer = c.raft.append_entries(req).await;
    if matches!(&answer, Ok(r) if !matches!(r, AppendEntriesResponse::HigherVote(_))) {
        c.leader_contact.heard();
    }
    Json(answer)
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
    let req = chunk
        .into_request()
        .map_err(|e| traefikee_apiserver::ApiError::invalid(format!("snapshot chunk data is not base64: {e}")))?;
    let answer = c.raft.install_snapshot(req).await;
    if answer.is_ok() {
        c.leader_contact.heard();
    }
    Ok(Json(answer))
}
