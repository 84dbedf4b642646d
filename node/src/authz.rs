//! Who may call a controller, checked on every request against the replicated state.
//!
//! - **Node certificates** on the cluster port: a controller certificate must be the one (serial
//!   and key) the registry holds for its node, and not be revoked; Raft RPCs, which a lagging
//!   follower must accept from a leader it does not know yet, need "not revoked, and not
//!   another certificate than the one issued to a node this state knows". A node whose
//!   certificate was removed is told so (`x-traefikee-removed`), and stops when it hears it.
//! - **API credentials**: an operator certificate must be one the cluster issued (a
//!   credential record), not revoked; an enrollment certificate must still be pending. Writes
//!   and reads that expose secrets first pass a *read barrier*: the controller makes sure its
//!   state holds every write acknowledged before the request (at the leader: leadership
//!   confirmed by a quorum; on a follower: the leader's read index, applied here), so a
//!   revocation acknowledged anywhere is seen here. The state machine checks the credential
//!   again when it applies a write, in log order.
//! - **A controller back from a restart** holds a state that may miss removals made while it
//!   was away. Until it has caught up with a leader that a quorum of its peers confirms, it
//!   serves no controller but that leader (see [`Quarantine`]): a removed node cannot slip
//!   through the window between its restart and its catching up.

use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;
use traefikee_apiserver::{ApiError, Caller};
use traefikee_pki::{CertInfo, Role};

use crate::controller::{decode, Controller};
use crate::currency::NotConfirmed;
use crate::raft::NodeId;
use crate::state::{keys, NodeKind, Origin};
use crate::wire::{LeaderView, ReadIndex, REMOVED_HEADER};

/// Tells a running control node that it was removed from the cluster.
#[derive(Clone)]
pub struct RemovedSignal {
    me: NodeId,
    tx: watch::Sender<Option<String>>,
}

impl RemovedSignal {
    pub fn new(me: NodeId) -> Self {
        RemovedSignal { me, tx: watch::channel(None).0 }
    }

    /// Records why this node is out; the first reason wins.
    pub fn fire(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.tx.send_if_modified(|r| {
            if r.is_some() {
                return false;
            }
            *r = Some(reason);
            true
        });
    }

    pub fn subscribe(&self) -> watch::Receiver<Option<String>> {
        self.tx.subscribe()
    }

    /// Looks at a peer's answer: a refusal naming this node as removed fires the signal.
    pub fn check_answer(&self, from: &str, headers: &HeaderMap) {
        let named = headers.get(REMOVED_HEADER).and_then(|v| v.to_str().ok());
        if named == Some(keys::node_id_text(self.me).as_str()) {
            self.fire(format!("the control node at {from} refuses its certificate: it was removed (rm-node)"));
        }
    }
}

/// How long a restarted controller waits for a quorum to confirm a leader before it serves
/// peers unconfirmed (there may be no leader at all: the whole cluster restarting).
pub const QUARANTINE_MAX: Duration = Duration::from_secs(3);

/// A restarted controller's guard: `None` once its view is confirmed current; otherwise the
/// leader it may already serve (confirmed by a quorum, so it can catch up from it).
pub struct Quarantine(std::sync::Mutex<Option<Option<NodeId>>>);

impl Quarantine {
    pub fn new(active: bool) -> Self {
        Quarantine(std::sync::Mutex::new(active.then_some(None)))
    }

    fn get(&self) -> Option<Option<NodeId>> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set(&self, v: Option<Option<NodeId>>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = v;
    }

    pub fn is_active(&self) -> bool {
        self.get().is_some()
    }
}

/// A refusal on the cluster port; when the caller's certificate was removed, the answer says
/// so in a header the caller acts on.
#[derive(Debug)]
pub struct PeerRefusal {
    pub error: ApiError,
    pub removed: Option<NodeId>,
}

impl From<ApiError> for PeerRefusal {
    fn from(error: ApiError) -> Self {
        PeerRefusal { error, removed: None }
    }
}

impl From<crate::state::StateError> for PeerRefusal {
    fn from(e: crate::state::StateError) -> Self {
        PeerRefusal { error: e.into(), removed: None }
    }
}

impl IntoResponse for PeerRefusal {
    fn into_response(self) -> Response {
        let mut resp = self.error.into_response();
        if let Some(id) = self.removed {
            if let Ok(v) = keys::node_id_text(id).parse() {
                resp.headers_mut().insert(REMOVED_HEADER, v);
            }
        }
        resp
    }
}

/// What a controller certificate is being checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerUse {
    /// Raft RPCs: not revoked, and the issued certificate of a node this state knows; an
    /// unknown node is let through (Raft's membership decides the rest, and a lagging
    /// follower must accept a leader that joined after the point it has reached).
    Raft,
    /// Everything else: a control node of the registry.
    Member,
    /// "Who leads?": answered even while this node catches up after a restart, so that a
    /// whole cluster restarting can find out that nobody leads yet.
    Probe,
}

fn removed_refusal(id: NodeId) -> PeerRefusal {
    PeerRefusal {
        error: ApiError::forbidden(format!(
            "node {} was removed from the cluster: its certificate is revoked",
            keys::node_id_text(id)
        ))
        .with_hint("start that machine again with a fresh --statedir and a join token to bring it back"),
        removed: Some(id),
    }
}

pub fn node_id_of(info: &CertInfo) -> Result<NodeId, ApiError> {
    u64::from_str_radix(&info.identity.id, 16)
        .map_err(|_| ApiError::forbidden("the certificate does not name a node id"))
}

impl Controller {
    /// Checks a controller certificate presented on the cluster port.
    pub async fn authorize_controller(&self, peer: &CertInfo, usage: PeerUse) -> Result<NodeId, PeerRefusal> {
        if peer.identity.role != Role::Controller {
            return Err(ApiError::forbidden(format!(
                "a {} certificate may not call this endpoint",
                peer.identity.role
            ))
            .into());
        }
        let id = node_id_of(peer)?;
        if let (Some(leader), false) = (self.quarantine.get(), usage == PeerUse::Probe) {
            if leader != Some(id) {
                return Err(ApiError::unavailable(
                    "this control node is catching up with the cluster after a restart; it serves its peers once a quorum confirmed its view",
                )
                .into());
            }
        }
        let lookup = |c: &Controller| c.db.read(|v| Ok((v.is_revoked(&peer.serial)?, v.node(id)?)));
        let (revoked, record) = lookup(self).map_err(ApiError::from)?;
        if revoked {
            return Err(removed_refusal(id));
        }
        if matches!(usage, PeerUse::Raft | PeerUse::Probe) {
            // A node this state knows must present the certificate and key it was issued
            // (anyone holding the CA key can mint another with its id and serial); one this
            // state does not know yet may be a leader that joined after the point it has
            // reached.
            return match &record {
                Some(r) if !issued_to(r, peer) => Err(not_issued_to(peer, id).into()),
                _ => Ok(id),
            };
        }
        let record = match record {
            Some(r) => Some(r),
            // Not known here: this state may trail the leader (a node that joined a moment
            // ago). The leader decides; a follower asks the caller to try again.
            None if self.leader() == Some(self.id()) => {
                self.read_barrier().await?;
                let (revoked, record) = lookup(self).map_err(ApiError::from)?;
                if revoked {
                    return Err(removed_refusal(id));
                }
                record
            }
            None => {
                return Err(ApiError::unavailable(format!(
                    "this control node does not know node {} yet",
                    keys::node_id_text(id)
                ))
                .with_hint("ask again in a moment, or ask the leader")
                .into())
            }
        };
        match record {
            Some(r) if r.kind == NodeKind::Controller && issued_to(&r, peer) => Ok(id),
            Some(_) => Err(not_issued_to(peer, id).into()),
            None => Err(ApiError::forbidden(format!(
                "node {} is not a control node of this cluster",
                keys::node_id_text(id)
            ))
            .into()),
        }
    }

    /// After a restart: finds the leader a quorum of the voters confirms, serves it alone
    /// until this state has caught up with it, then every peer. Gives up confirming (and
    /// serves every peer, with a warning) after [`QUARANTINE_MAX`]: with no leader, elections
    /// need this node.
    pub fn spawn_quarantine(self: &std::sync::Arc<Self>) {
        if !self.quarantine.is_active() {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            loop {
                match me.confirm_leader().await {
                    Confirmed::Leader(id, addr) => {
                        me.quarantine.set(Some(Some(id)));
                        if me.catch_up_with(&addr).await {
                            me.quarantine.set(None);
                            tracing::info!(
                                leader = %keys::node_id_text(id),
                                "caught up with the cluster after a restart ({} ms); serving every peer",
                                started.elapsed().as_millis()
                            );
                            return;
                        }
                    }
                    Confirmed::NoLeader => {
                        me.quarantine.set(None);
                        tracing::info!("a quorum of control nodes knows no leader; serving every peer");
                        return;
                    }
                    Confirmed::NotYet => {}
                }
                if started.elapsed() >= QUARANTINE_MAX {
                    me.quarantine.set(None);
                    tracing::warn!(
                        "no quorum confirmed a leader within {}s of the restart; serving every peer unconfirmed",
                        QUARANTINE_MAX.as_secs()
                    );
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
    }

    /// Asks every other voter who leads; a leader (or "none") counts once a quorum of the
    /// voters, this one included, names it.
    async fn confirm_leader(&self) -> Confirmed {
        let voters = self.voters();
        let quorum = voters.len() / 2 + 1;
        let others: Vec<(NodeId, String)> = {
            let m = self.raft.metrics().borrow().clone();
            let membership = m.membership_config.membership().clone();
            voters
                .iter()
                .filter(|v| **v != self.id())
                .filter_map(|v| membership.get_node(v).map(|n| (*v, n.addr.clone())))
                .collect()
        };
        if others.is_empty() {
            return Confirmed::NoLeader;
        }
        // Answers are counted as they come: a voter that is down must not hold the probe past
        // this node's election timeout.
        let mut asks: futures::stream::FuturesUnordered<_> = others
            .iter()
            .map(|(_, addr)| {
                let req =
                    self.peers.get(format!("https://{addr}/cluster/v1/leader")).timeout(Duration::from_millis(300));
                async move {
                    match req.send().await {
                        Ok(resp) => decode::<LeaderView>(resp).await.ok(),
                        Err(_) => None,
                    }
                }
            })
            .collect();
        let mut named: std::collections::BTreeMap<NodeId, usize> = std::collections::BTreeMap::new();
        let mut nobody = 0;
        while let Some(answer) = futures::StreamExt::next(&mut asks).await {
            match answer.and_then(|a| a.leader.map(Some).or(Some(None))) {
                Some(Some(id)) => *named.entry(id).or_insert(0) += 1,
                Some(None) => nobody += 1,
                None => {}
            }
            // A leader counts once a quorum, this node included (it knows nothing newer),
            // names it; "nobody leads" needs a quorum of the others and no leader named.
            if let Some((&id, _)) = named.iter().find(|(_, n)| **n + 1 >= quorum) {
                if id == self.id() {
                    return Confirmed::NoLeader;
                }
                return match others.iter().find(|(v, _)| *v == id) {
                    Some((_, addr)) => Confirmed::Leader(id, addr.clone()),
                    None => Confirmed::NotYet,
                };
            }
        }
        if named.is_empty() && nobody >= quorum {
            return Confirmed::NoLeader;
        }
        Confirmed::NotYet
    }

    /// Waits until this state has applied the read index of the leader at `addr`.
    async fn catch_up_with(&self, addr: &str) -> bool {
        match self.leader_read_index(addr, self.timing.write_timeout()).await {
            Ok(index) => self.catch_up_to(index, self.timing.write_timeout()).await.is_ok(),
            Err(_) => false,
        }
    }

    /// Asks the leader at `addr` for its read index (see [`Controller::read_index`]).
    pub(crate) async fn leader_read_index(&self, addr: &str, timeout: Duration) -> Result<u64, NotConfirmed> {
        let url = format!("https://{addr}/cluster/v1/read-index");
        let resp = self
            .peers
            .post(&url)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| NotConfirmed::new(format!("the leader at {addr} did not answer ({e})")))?;
        let answer: ReadIndex =
            decode(resp).await.map_err(|e| NotConfirmed::new(format!("the leader at {addr}: {}", e.message)))?;
        Ok(answer.index)
    }

    /// Waits until this controller's state holds every write acknowledged before the call,
    /// or refuses: without it, a controller that was down or cut off could answer from a
    /// state that misses a revocation.
    pub async fn read_barrier(&self) -> Result<(), ApiError> {
        let deadline = Instant::now() + self.timing.write_timeout();
        let stale = |why: NotConfirmed| {
            ApiError::unavailable(format!(
                "this control node cannot confirm that its view of the cluster is current: {why}"
            ))
            .with_hint(
                "try again, or through another control node; `traefikee list-nodes --details` shows which are down",
            )
        };
        // A leader that just died is still the one known here until the next election: ask
        // whoever leads, again, until the deadline.
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.confirm_current(remaining.min(Duration::from_secs(1))).await {
                Ok(_) => return Ok(()),
                Err(why) if Instant::now() + Duration::from_millis(50) >= deadline => return Err(stale(why)),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// On the leader: the read index for a follower's barrier, after a quorum confirmed the
    /// leadership.
    pub async fn read_index(&self) -> Result<ReadIndex, ApiError> {
        match tokio::time::timeout(self.timing.write_timeout(), self.raft.get_read_log_id()).await {
            Ok(Ok((read, _))) => Ok(ReadIndex { index: read.map(|l| l.index).unwrap_or(0) }),
            Ok(Err(e)) => Err(ApiError::unavailable(format!("not the leader: {e}"))),
            Err(_) => Err(ApiError::unavailable("a quorum did not confirm the leadership in time")),
        }
    }

    /// Before an action with effects outside the state machine (a membership change): the
    /// origin's credential must still be valid, by a current state.
    pub async fn confirm_origin(&self, origin: &Origin) -> Result<(), ApiError> {
        if origin.credential_serial().is_none() {
            return Ok(());
        }
        self.read_barrier().await?;
        // The same check the state machine makes when the command applies.
        match self.db.read(|v| crate::state::origin_refused(v, origin))? {
            Some(why) => Err(ApiError::unauthenticated(format!("{why}; nothing was changed"))),
            None => Ok(()),
        }
    }

    /// Checks an API caller. `fresh` requests (writes, reads that expose secrets) pass the
    /// read barrier first; others are checked against this controller's state as it is.
    pub async fn authorize_caller(&self, caller: &Caller, key: Option<&str>, fresh: bool) -> Result<(), ApiError> {
        if matches!(caller, Caller::Local) {
            // Root on the machine may do anything, but reads what is current, as everyone:
            // a controller cut off from the others must not hand out tokens or a
            // configuration the cluster has since replaced.
            return if fresh { self.read_barrier().await } else { Ok(()) };
        }
        if fresh {
            self.read_barrier().await?;
            return self.check_caller(caller, key)?.unwrap_or_else(|| Err(not_issued(caller)));
        }
        match self.check_caller(caller, key)? {
            Some(verdict) => verdict,
            // Issued a moment ago, perhaps through another controller: look again, current.
            None => {
                self.read_barrier().await?;
                self.check_caller(caller, key)?.unwrap_or_else(|| Err(not_issued(caller)))
            }
        }
    }

    /// The verdict on a caller by this controller's state, or `None` when the state does not
    /// know its credential.
    fn check_caller(&self, caller: &Caller, key: Option<&str>) -> Result<Option<Result<(), ApiError>>, ApiError> {
        let revoked = |serial: &str| {
            ApiError::unauthenticated(format!("the client certificate {serial} has been revoked"))
                .with_hint("ask an operator for a new credential (`traefikeectl credentials create`)")
        };
        match caller {
            Caller::Local => Ok(Some(Ok(()))),
            Caller::Operator { name, serial } => {
                let (record, is_revoked) = self.db.read(|v| Ok((v.credential(serial)?, v.is_revoked(serial)?)))?;
                Ok(match record {
                    _ if is_revoked => Some(Err(revoked(serial))),
                    Some(r) if r.revoked.is_some() => Some(Err(revoked(serial))),
                    Some(r) if &r.name == name && r.key_sha256.as_deref().is_none_or(|k| Some(k) == key) => {
                        Some(Ok(()))
                    }
                    Some(_) => Some(Err(not_issued(caller))),
                    None => None,
                })
            }
            Caller::Enrollment { id, serial } => {
                let (record, is_revoked) = self.db.read(|v| Ok((v.enrollment(id)?, v.is_revoked(serial)?)))?;
                Ok(match record {
                    _ if is_revoked => Some(Err(revoked(serial))),
                    Some(r) if &r.serial != serial => Some(Err(not_issued(caller))),
                    Some(r) if r.revoked.is_some() => Some(Err(revoked(serial))),
                    Some(r) => match &r.consumed {
                        Some(used) => Some(Err(crate::controller::already_used(used))),
                        None => Some(Ok(())),
                    },
                    None => None,
                })
            }
        }
    }
}

enum Confirmed {
    Leader(NodeId, String),
    NoLeader,
    NotYet,
}

/// Whether `peer` is the certificate, for the key, that the cluster issued to node `r`.
pub(crate) fn issued_to(r: &crate::state::NodeRecord, peer: &CertInfo) -> bool {
    r.cert_serial == peer.serial && r.key_sha256.as_ref().is_none_or(|k| *k == peer.key_sha256)
}

pub(crate) fn not_issued_to(peer: &CertInfo, id: NodeId) -> ApiError {
    ApiError::forbidden(format!(
        "the certificate {} is not the one the cluster issued to node {}",
        peer.serial,
        keys::node_id_text(id)
    ))
}

fn not_issued(caller: &Caller) -> ApiError {
    let serial = match caller {
        Caller::Operator { serial, .. } | Caller::Enrollment { serial, .. } => serial.as_str(),
        Caller::Local => "",
    };
    ApiError::unauthenticated(format!("the client certificate {serial} was not issued by this cluster's API"))
        .with_hint("connect with a credential from `traefikeectl credentials create`")
}
