//! The cluster port (4242): Raft RPCs, joins, promotions, forwarded writes and heartbeats.
//!
//! TLS client certificates are optional here so a new node can join with its token alone;
//! every other endpoint demands the role it needs through an extractor.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use traefikee_apiserver::ApiError;
use traefikee_pki::{CertInfo, Role};

use crate::authz::{PeerRefusal, PeerUse};
use crate::controller::{Committed, Controller};
use crate::raft::NodeId;
use crate::state::keys;
use crate::transport::Peer;
use crate::wire::{
    AbortRequest, ConfigUpdate, Heartbeat, HeartbeatResponse, JoinRequest, JoinResponse, LeaderView, PromoteResponse,
    ReadIndex, RemoveRequest, WriteRequest, HOPS_HEADER,
};

/// A control node of the registry, with the unrevoked certificate issued to it (see
/// [`crate::authz`] and [`PeerUse::Member`]).
pub struct ControllerPeer(pub NodeId);

/// A controller certificate as Raft RPCs need it ([`PeerUse::Raft`]).
pub struct RaftPeer(pub NodeId);

/// A controller certificate as "who leads?" needs it, even while this node catches up
/// ([`PeerUse::Probe`]).
pub struct ProbingPeer(pub NodeId);

/// The controller certificate of the request, checked for `usage`.
async fn controller_peer(parts: &Parts, c: &Controller, usage: PeerUse) -> Result<NodeId, PeerRefusal> {
    let info = peer_with_role(parts, &[Role::Controller])?;
    c.authorize_controller(&info, usage).await
}

impl FromRequestParts<Arc<Controller>> for ControllerPeer {
    type Rejection = PeerRefusal;
    async fn from_request_parts(parts: &mut Parts, c: &Arc<Controller>) -> Result<Self, PeerRefusal> {
        controller_peer(parts, c, PeerUse::Member).await.map(ControllerPeer)
    }
}

impl FromRequestParts<Arc<Controller>> for RaftPeer {
    type Rejection = PeerRefusal;
    async fn from_request_parts(parts: &mut Parts, c: &Arc<Controller>) -> Result<Self, PeerRefusal> {
        controller_peer(parts, c, PeerUse::Raft).await.map(RaftPeer)
    }
}

impl FromRequestParts<Arc<Controller>> for ProbingPeer {
    type Rejection = PeerRefusal;
    async fn from_request_parts(parts: &mut Parts, c: &Arc<Controller>) -> Result<Self, PeerRefusal> {
        controller_peer(parts, c, PeerUse::Probe).await.map(ProbingPeer)
    }
}

/// A caller holding a controller or proxy certificate of this cluster; the handler checks
/// the proxy's registration.
pub struct NodePeer(pub CertInfo);

fn peer_with_role(parts: &Parts, roles: &[Role]) -> Result<CertInfo, ApiError> {
    let Some(Peer(Some(info))) = parts.extensions.get::<Peer>() else {
        return Err(ApiError::unauthenticated("this endpoint needs a node certificate of the cluster"));
    };
    if !roles.contains(&info.identity.role) {
        return Err(ApiError::forbidden(format!("a {} certificate may not call this endpoint", info.identity.role)));
    }
    Ok(info.clone())
}

impl<S: Send + Sync> FromRequestParts<S> for NodePeer {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        peer_with_role(parts, &[Role::Controller, Role::Proxy]).map(NodePeer)
    }
}

impl Controller {
    /// A node certificate on the endpoints both kinds of node use: a controller of the
    /// registry, or a registered (or returning) data node.
    async fn authorize_node(&self, peer: &CertInfo, hello: Option<&Heartbeat>) -> Result<NodeId, PeerRefusal> {
        match peer.identity.role {
            Role::Proxy => Ok(self.check_member(peer, hello).await?),
            _ => self.authorize_controller(peer, PeerUse::Member).await,
        }
    }
}

fn hops(headers: &HeaderMap) -> u32 {
    headers.get(HOPS_HEADER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

pub fn router(controller: Arc<Controller>) -> Router {
    Router::new()
        .merge(crate::raft::server::routes())
        // A join is a token, a name, two addresses and a CSR: a few KB.
        .route("/cluster/v1/join", post(join).layer(DefaultBodyLimit::max(JOIN_BODY_LIMIT)))
        .route("/cluster/v1/read-index", post(read_index))
        .route("/cluster/v1/leader", axum::routing::get(leader))
        .route("/cluster/v1/promote", post(promote))
        .route("/cluster/v1/write", post(write).layer(DefaultBodyLimit::max(traefikee_apiserver::MAX_BODY_BYTES)))
        .route("/cluster/v1/remove", post(remove))
        .route("/cluster/v1/heartbeat", post(heartbeat))
        .route("/cluster/v1/config", axum::routing::get(config_feed))
        .route("/cluster/v1/nodes", axum::routing::get(nodes))
        .route("/cluster/v1/abort", post(abort))
        .route("/cluster/v1/elect", post(elect))
        .route("/cluster/v1/prevote", post(prevote))
        .route("/cluster/v1/currency", axum::routing::get(currency))
        .fallback(|| async { ApiError::not_found("no such endpoint on the cluster port") })
        .with_state(controller)
}

type C = State<Arc<Controller>>;

/// The largest join body accepted from a caller without a certificate.
pub const JOIN_BODY_LIMIT: usize = 64 << 10;

async fn join(State(c): C, headers: HeaderMap, Json(req): Json<JoinRequest>) -> Result<Json<JoinResponse>, ApiError> {
    c.join(req, hops(&headers)).await.map(Json)
}

/// A controller asks to be promoted; a forwarding controller passes the node id in the body.
async fn promote(
    State(c): C,
    headers: HeaderMap,
    ControllerPeer(caller): ControllerPeer,
    body: Option<Json<NodeId>>,
) -> Result<Json<PromoteResponse>, ApiError> {
    let node = match body {
        Some(Json(id)) if hops(&headers) > 0 => id,
        _ => caller,
    };
    c.promote(node, hops(&headers)).await.map(Json)
}

/// A write forwarded by a control node of the registry; the entry is built here.
async fn write(
    State(c): C,
    headers: HeaderMap,
    _: ControllerPeer,
    Json(req): Json<WriteRequest>,
) -> Result<Json<Committed>, ApiError> {
    c.write_hops(req, hops(&headers)).await.map(Json)
}

async fn remove(
    State(c): C,
    headers: HeaderMap,
    _: ControllerPeer,
    Json(req): Json<RemoveRequest>,
) -> Result<Json<()>, ApiError> {
    c.remove(req, hops(&headers)).await.map(Json)
}

/// A follower's read barrier asks the leader for the index to reach.
async fn read_index(State(c): C, _: ControllerPeer) -> Result<Json<ReadIndex>, ApiError> {
    c.read_index().await.map(Json)
}

/// Who this controller follows (a restarted controller asks every voter).
async fn leader(State(c): C, ProbingPeer(_): ProbingPeer) -> Json<LeaderView> {
    let m = c.raft.metrics().borrow().clone();
    Json(LeaderView { leader: m.current_leader, term: m.current_term })
}

async fn heartbeat(
    State(c): C,
    NodePeer(peer): NodePeer,
    body: Option<Json<Heartbeat>>,
) -> Result<Json<HeartbeatResponse>, PeerRefusal> {
    let hello = body.map(|Json(b)| b).unwrap_or_default();
    let id = c.authorize_node(&peer, Some(&hello)).await?;
    if hello.leaving {
        c.forget_leaving(id).await.map_err(PeerRefusal::from)?;
    } else {
        c.record_heartbeat(id, &hello);
    }
    Ok(Json(HeartbeatResponse { controllers: c.controllers()?, leader: c.confirmed_leader() }))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedQuery {
    #[serde(default)]
    after: u64,
    /// How long to hold the request open when nothing newer is deployed (default 20 s).
    #[serde(default)]
    wait_ms: Option<u64>,
}

/// The configuration feed: answers as soon as a version newer than `after` is applied here,
/// or with 204 when the wait ends. Data nodes hold one of these open at all times.
///
/// "Nothing newer" is only said by a controller whose state is confirmed current (see
/// [`crate::currency`]): one cut off from the quorum answers 503 instead, at once or as soon
/// as it loses its confirmation while the request waits, and the data node asks another.
async fn config_feed(
    State(c): C,
    NodePeer(peer): NodePeer,
    Query(q): Query<FeedQuery>,
) -> Result<axum::response::Response, PeerRefusal> {
    use axum::response::IntoResponse;
    c.authorize_node(&peer, None).await?;
    let wait = Duration::from_millis(q.wait_ms.unwrap_or(20_000).min(60_000));
    let deadline = tokio::time::Instant::now() + wait;
    let mut applied = c.db.applied();
    if c.db.read(|v| v.config_version())? < q.after && c.raft.ensure_linearizable().await.is_ok() {
        // The data node runs a version this cluster, read at its leader, does not have: it
        // comes from another history (the cluster was bootstrapped from an older backup).
        // The cluster's configuration is the one to serve.
        if let Some((version, document)) = c.running_config().await?.filter(|(version, _)| *version < q.after) {
            tracing::warn!(node = %peer.identity.id, runs = q.after, sends = version, "a data node runs a version this cluster never had");
            return Ok(Json(ConfigUpdate { version, document: document.to_string() }).into_response());
        }
    }
    loop {
        if c.db.read(|v| v.config_version())? > q.after {
            // The node may have been removed while it waited.
            c.authorize_node(&peer, None).await?;
            if let Some((version, document)) = c.running_config().await? {
                return Ok(Json(ConfigUpdate { version, document: document.to_string() }).into_response());
            }
        }
        if let Some(why) = c.staleness() {
            return Err(ApiError::unavailable(why)
                .with_hint("the data node asks another control node and keeps routing meanwhile")
                .into());
        }
        let check = tokio::time::Instant::now() + c.confirm_every();
        tokio::select! {
            changed = applied.changed() => if changed.is_err() { break },
            _ = tokio::time::sleep_until(deadline.min(check)) => if tokio::time::Instant::now() >= deadline { break },
        }
    }
    Ok(axum::http::StatusCode::NO_CONTENT.into_response())
}

/// The node list, for a data node's local `list-nodes`.
async fn nodes(
    State(c): C,
    NodePeer(peer): NodePeer,
) -> Result<Json<traefikee_apiserver::types::NodeList>, PeerRefusal> {
    c.authorize_node(&peer, None).await?;
    Ok(Json(traefikee_apiserver::types::NodeList { nodes: c.node_infos()?, warning: c.staleness() }))
}

/// The bootstrap node gave up waiting: a control node that joined it stops.
async fn abort(
    State(c): C,
    ControllerPeer(from): ControllerPeer,
    Json(req): Json<AbortRequest>,
) -> Result<Json<()>, ApiError> {
    let plan = c.cluster_record()?.bootstrap;
    if plan.map(|p| p.bootstrap_node) != Some(from) {
        return Err(ApiError::forbidden(format!(
            "only the bootstrap node may abort; {} is not it",
            keys::node_id_text(from)
        )));
    }
    c.abort.send_replace(Some(req.reason));
    Ok(Json(()))
}

/// A follower confirms its state with the leader's lease (see [`crate::currency`]).
async fn currency(State(c): C, _: ControllerPeer) -> Result<Json<crate::currency::LeaderCurrency>, ApiError> {
    c.leader_currency().map(Json)
}

/// Another voter asks whether there is a leader before it stands for election.
async fn prevote(
    State(c): C,
    _: RaftPeer,
    Json(ask): Json<crate::raft::prevote::PreVote>,
) -> Json<crate::raft::prevote::PreVoteAnswer> {
    Json(c.answer_prevote(&ask))
}

/// The bootstrap node handed over: start an election now rather than after a timeout. The
/// bootstrap node has already left the registry, so an unrevoked controller certificate is
/// enough, as for Raft itself.
async fn elect(State(c): C, _: RaftPeer) -> Result<Json<()>, ApiError> {
    c.raft.trigger().elect().await.map_err(crate::controller::internal)?;
    Ok(Json(()))
}

#[cfg(test)]
mod tests {
    use traefikee_pki::Identity;

    use super::*;

    fn parts_with(peer: Option<Role>) -> Parts {
        let mut req = axum::http::Request::new(());
        let info = peer.map(|role| CertInfo {
            identity: Identity::new("c", role, "00000000000000aa"),
            serial: "01".into(),
            not_after: time::OffsetDateTime::now_utc(),
            key_sha256: String::new(),
        });
        req.extensions_mut().insert(Peer(info));
        req.into_parts().0
    }

    #[test]
    fn role_guards_admit_only_their_roles() {
        use traefikee_apiserver::ErrorCode::*;
        let code = |peer, roles: &[Role]| peer_with_role(&parts_with(peer), roles).err().map(|e| e.code);
        assert_eq!(code(None, &[Role::Controller]), Some(Unauthenticated));
        assert_eq!(code(Some(Role::Proxy), &[Role::Controller]), Some(Forbidden));
        assert_eq!(code(Some(Role::Operator), &[Role::Controller, Role::Proxy]), Some(Forbidden));
        assert_eq!(code(Some(Role::Enrollment), &[Role::Controller]), Some(Forbidden));
        assert_eq!(code(Some(Role::Controller), &[Role::Controller]), None);
        assert_eq!(code(Some(Role::Proxy), &[Role::Controller, Role::Proxy]), None);
    }
}
