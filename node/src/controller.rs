//! A running control node: its Raft handle, its view of the cluster, and the operations that
//! must run on the leader (joins, promotions, removals), forwarded there when needed.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openraft::error::{ClientWriteError, RaftError};
use openraft::ChangeMembers;
use serde::de::DeserializeOwned;
use serde::Serialize;
use traefikee_apiserver::types::{Availability, ConfigRefusal, Membership, NodeInfo, NodeRole, Status};
use traefikee_apiserver::{ApiError, Caller};
use traefikee_pki::{Identity, JoinToken, Role, TokenRole, Validity};

use crate::raft::network::Network;
use crate::raft::store::Db;
use crate::raft::{NodeAddr, NodeId, Raft, Timing};
use crate::state::{
    self, keys, Command, NodeKind, NodeRecord, Origin, RefusalKind, Request, Response, StateError, TokenRecord,
};
use crate::statedir::{NodeIdentity, StateDir};
use crate::wire::{
    JoinRequest, JoinResponse, PeerInfo, PromoteResponse, RemoveRequest, WriteRequest, HOPS_HEADER, MAX_HOPS,
};

/// What to do after a write whose outcome is unknown.
pub const MAYBE_APPLIED_HINT: &str = "check before trying again: `traefikeectl get config` shows the configuration \
     version in force, `traefikeectl list-nodes --details` what every node runs";

/// A node counts as DOWN once nothing was heard from it for this long.
pub const DOWN_AFTER: Duration = Duration::from_secs(3);
/// How often every node reports to every controller.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);

/// What a controller last heard from a node.
#[derive(Debug, Clone)]
struct Seen {
    at: Instant,
    config_version: Option<u64>,
    config_refused: Option<ConfigRefusal>,
}

pub struct Controller {
    pub identity: NodeIdentity,
    pub advertise: String,
    pub api_address: Option<String>,
    pub raft: Raft,
    pub db: Db,
    /// HTTPS client authenticated as this controller.
    pub peers: reqwest::Client,
    last_seen: Mutex<HashMap<NodeId, Seen>>,
    /// Data nodes silent for longer than this leave the list (the leader forgets them).
    pub grace_period: Duration,
    started: Instant,
    /// Membership changes run one at a time: Raft refuses a change while another is in flight.
    pub membership_lock: tokio::sync::Mutex<()>,
    /// Fires when the bootstrap node gives up and this node must stop.
    pub abort: tokio::sync::watch::Sender<Option<String>>,
    /// Parses and validations of configuration documents run here, off the async runtime and
    /// one at a time, so that Raft heartbeats never wait behind a large or hostile document.
    parsing: Arc<tokio::sync::Semaphore>,
    /// Fires, with the reason, when this node learns that it was removed from the cluster.
    pub removed: crate::authz::RemovedSignal,
    /// The serial of this node's certificate.
    pub own_serial: String,
    /// Set while a restarted controller catches up (see `authz`).
    pub quarantine: crate::authz::Quarantine,
    /// Raft timing, and the write timeout derived from it.
    pub timing: Timing,
    /// When this controller last proved its state current (see `currency`).
    pub currency: crate::currency::Currency,
    /// When this controller last heard a leader (see `raft::prevote`).
    pub leader_contact: crate::raft::prevote::LeaderContact,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller").field("id", &self.identity.node_id).field("name", &self.identity.name).finish()
    }
}

pub fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e.to_string())
}

impl From<StateError> for ApiError {
    fn from(e: StateError) -> Self {
        internal(e)
    }
}

/// A command's result and the log index it was committed at.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Committed {
    pub response: Response,
    pub index: u64,
}

/// What went wrong forwarding a request to another controller.
enum Forwarded<T> {
    Answer(Result<T, ApiError>),
    /// The request never reached the peer: safe to send again.
    NotSent(String),
    /// Sent, but no answer came (a timeout, a dropped connection): the peer may have acted.
    Lost(String),
}

/// An HTTPS client for talking to controllers as `identity`.
pub fn peer_client(identity: &NodeIdentity) -> Result<reqwest::Client, anyhow::Error> {
    let tls = traefikee_pki::tls::client_config(
        traefikee_pki::tls::ServerTrust::Cluster {
            ca_pem: identity.ca_pem.clone(),
            cluster_id: Some(identity.cluster_id.clone()),
        },
        Some((&identity.cert_pem, &identity.key_pem)),
    )?;
    // HTTP/2 pings find a connection that went silent (a peer cut off, a link that dropped
    // everything for a while) within seconds, instead of after TCP's retransmission backoff:
    // requests on it fail and the next ones open a fresh connection.
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls((*tls).clone())
        .connect_timeout(Duration::from_secs(1))
        .pool_idle_timeout(Duration::from_secs(30))
        .http2_keep_alive_interval(Duration::from_secs(1))
        .http2_keep_alive_timeout(Duration::from_secs(2))
        .http2_keep_alive_while_idle(true)
        .tcp_keepalive(Duration::from_secs(10))
        .build()?)
}

impl Controller {
    /// Opens the node's Raft storage and starts Raft. Serving the cluster port is the
    /// caller's job (see `server`).
    pub async fn start(
        identity: NodeIdentity,
        statedir: &StateDir,
        advertise: String,
        api_address: Option<String>,
        grace_period: Duration,
        timing: Timing,
    ) -> Result<Arc<Controller>, anyhow::Error> {
        let db = Db::open(&statedir.raft_dir())?;
        let peers = peer_client(&identity)?;
        let own_serial = traefikee_pki::inspect_cert_pem(&identity.cert_pem)?.serial;
        // A state dir that already holds a cluster may miss what happened while this node was
        // away: it serves its peers only once it has caught up.
        let restarted = db.read(|v| v.cluster())?.is_some();
        let (log, sm) = db.raft_storage();
        let config = Arc::new(timing.raft_config(&identity.cluster_id).validate()?);
        let removed = crate::authz::RemovedSignal::new(identity.node_id);
        let raft = Raft::new(identity.node_id, config, Network::new(peers.clone(), removed.clone()), log, sm).await?;
        Ok(Arc::new(Controller {
            identity,
            advertise,
            api_address,
            raft,
            db,
            peers,
            last_seen: Mutex::new(HashMap::new()),
            grace_period,
            started: Instant::now(),
            membership_lock: tokio::sync::Mutex::new(()),
            abort: tokio::sync::watch::channel(None).0,
            removed,
            own_serial,
            parsing: Arc::new(tokio::sync::Semaphore::new(1)),
            quarantine: crate::authz::Quarantine::new(restarted),
            timing,
            currency: Default::default(),
            leader_contact: Default::default(),
        }))
    }

    pub fn id(&self) -> NodeId {
        self.identity.node_id
    }

    pub fn leader(&self) -> Option<NodeId> {
        self.raft.metrics().borrow().current_leader
    }

    pub(crate) fn leader_addr(&self) -> Option<(NodeId, String)> {
        let m = self.raft.metrics().borrow().clone();
        let leader = m.current_leader?;
        let node = m.membership_config.membership().get_node(&leader)?.clone();
        Some((leader, node.addr))
    }

    pub fn voters(&self) -> BTreeSet<NodeId> {
        self.raft.metrics().borrow().membership_config.membership().voter_ids().collect()
    }

    pub fn members(&self) -> BTreeSet<NodeId> {
        self.raft.metrics().borrow().membership_config.membership().nodes().map(|(id, _)| *id).collect()
    }

    // ---- liveness -------------------------------------------------------------------------

    pub fn record_heartbeat(&self, node: NodeId, hello: &crate::wire::Heartbeat) {
        let seen = Seen {
            at: Instant::now(),
            config_version: hello.config_version,
            config_refused: hello.config_refused.clone(),
        };
        self.last_seen.lock().unwrap_or_else(|p| p.into_inner()).insert(node, seen);
    }

    fn seen(&self, node: NodeId) -> Option<Seen> {
        self.last_seen.lock().unwrap_or_else(|p| p.into_inner()).get(&node).cloned()
    }

    fn since_seen(&self, node: NodeId) -> Option<Duration> {
        if node == self.id() {
            return Some(Duration::ZERO);
        }
        self.seen(node).map(|s| s.at.elapsed())
    }

    pub fn is_ready(&self, node: NodeId) -> bool {
        self.since_seen(node).is_some_and(|d| d < DOWN_AFTER)
    }

    /// Controllers of the registry, as peers.
    pub fn controllers(&self) -> Result<Vec<PeerInfo>, StateError> {
        Ok(self
            .db
            .read(|v| v.nodes())?
            .into_iter()
            .filter(|n| n.kind == NodeKind::Controller)
            .map(|n| PeerInfo { id: n.id, name: n.name, address: n.address, api_address: n.api_address })
            .collect())
    }

    /// Reports to every other controller once a second, so each one knows who is alive; a
    /// controller that just appeared in the registry is told at once.
    pub fn spawn_heartbeats(self: &Arc<Self>) {
        let this = Arc::downgrade(self);
        let mut applied = self.db.applied();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut told = std::collections::HashSet::new();
            loop {
                let everyone = tokio::select! {
                    _ = tick.tick() => true,
                    changed = applied.changed() => {
                        if changed.is_err() {
                            return;
                        }
                        false
                    }
                };
                let Some(me) = this.upgrade() else { return };
                if me.db.read(|v| v.is_revoked(&me.own_serial)).unwrap_or(false) {
                    me.removed.fire("its removal (rm-node) is in its own copy of the cluster state");
                }
                let Ok(peers) = me.controllers() else { continue };
                for peer in peers.into_iter().filter(|p| p.id != me.id()) {
                    if !everyone && told.contains(&peer.id) {
                        continue;
                    }
                    told.insert(peer.id);
                    let client = me.peers.clone();
                    let removed = me.removed.clone();
                    tokio::spawn(async move {
                        let url = format!("https://{}/cluster/v1/heartbeat", peer.address);
                        if let Ok(resp) = client.post(url).timeout(Duration::from_millis(900)).send().await {
                            removed.check_answer(&peer.address, resp.headers());
                        }
                    });
                }
            }
        });
    }

    /// On the leader, forgets data nodes silent for longer than the grace period. A node
    /// never heard from counts as heard when this controller started watching.
    pub fn spawn_cleanup(self: &Arc<Self>) {
        let this = Arc::downgrade(self);
        let every = (self.grace_period / 4).clamp(Duration::from_millis(200), Duration::from_secs(5));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut leading_since: Option<Instant> = None;
            loop {
                tick.tick().await;
                let Some(me) = this.upgrade() else { return };
                if me.leader() != Some(me.id()) {
                    leading_since = None;
                    continue;
                }
                let since = *leading_since.get_or_insert_with(Instant::now);
                let Ok(nodes) = me.db.read(|v| v.nodes()) else { continue };
                for node in nodes.into_iter().filter(|n| n.kind == NodeKind::Proxy) {
                    let last = me.seen(node.id).map(|s| s.at).unwrap_or(since).max(since).max(me.started);
                    if last.elapsed() > me.grace_period {
                        tracing::info!(node = %node.name, "data node silent past the grace period; forgetting it");
                        let _ = me.write(Origin::system("cleanup"), Command::ForgetNode { id: node.id }).await;
                    }
                }
            }
        });
    }

    /// Checks that a node certificate belongs to a registered, unrevoked node; a data node
    /// that was only forgotten (cleanup) is registered again from what it says of itself.
    pub async fn check_member(
        &self,
        peer: &traefikee_pki::CertInfo,
        hello: Option<&crate::wire::Heartbeat>,
    ) -> Result<NodeId, ApiError> {
        let id = crate::authz::node_id_of(peer)?;
        let (record, revoked) = self.db.read(|v| Ok((v.node(id)?, v.is_revoked(&peer.serial)?)))?;
        if revoked {
            return Err(ApiError::forbidden("this node was removed from the cluster (its certificate is revoked)")
                .with_hint("join again with a token and a fresh --statedir"));
        }
        if let Some(r) = record {
            if !crate::authz::issued_to(&r, peer) {
                return Err(crate::authz::not_issued_to(peer, id));
            }
            return Ok(id);
        }
        match (peer.identity.role, hello) {
            (Role::Proxy, Some(h)) if h.name.is_some() => {
                // What a data node says of itself is data: the same rules as at join.
                let name = h.name.as_deref().unwrap_or_default();
                traefikee_records::names::check_node_name(name).map_err(|e| ApiError::invalid(e.to_string()))?;
                check_address(h.address.as_deref().unwrap_or_default())?;
                let node = NodeRecord {
                    id,
                    name: h.name.clone().unwrap_or_default(),
                    kind: NodeKind::Proxy,
                    address: h.address.clone().unwrap_or_default(),
                    api_address: None,
                    joined_at: state::now_ms(),
                    cert_serial: peer.serial.clone(),
                    key_sha256: Some(peer.key_sha256.clone()),
                };
                self.write(Origin::system(format!("data node {}", node.name)), Command::Reinstate { node }).await?;
                Ok(id)
            }
            _ => Err(ApiError::forbidden("this node is not in the cluster's registry")),
        }
    }

    // ---- reads ----------------------------------------------------------------------------

    /// The node list as this controller sees it.
    pub fn node_infos(&self) -> Result<Vec<NodeInfo>, ApiError> {
        let records = self.db.read(|v| v.nodes())?;
        let leader = self.confirmed_leader();
        let voters = self.voters();
        let mut out: Vec<NodeInfo> = records
            .into_iter()
            .map(|r| {
                let since = self.since_seen(r.id);
                let reported = match r.kind {
                    NodeKind::Proxy => self.seen(r.id),
                    NodeKind::Controller => None,
                };
                NodeInfo {
                    id: keys::node_id_text(r.id),
                    role: match r.kind {
                        NodeKind::Controller => NodeRole::ControlNode,
                        NodeKind::Proxy => NodeRole::DataNode,
                    },
                    leader: leader == Some(r.id),
                    membership: match r.kind {
                        NodeKind::Controller if !voters.contains(&r.id) => Membership::Pending,
                        _ => Membership::Accepted,
                    },
                    status: if since.is_some_and(|d| d < DOWN_AFTER) { Status::Ready } else { Status::Down },
                    availability: Availability::Active,
                    address: r.address,
                    api_address: r.api_address,
                    joined_at: state::rfc3339(r.joined_at),
                    last_seen_ms: since.map(|d| d.as_millis() as u64),
                    config_version: reported.as_ref().and_then(|s| s.config_version),
                    config_refused: reported.and_then(|s| s.config_refused),
                    name: r.name,
                }
            })
            .collect();
        out.sort_by(|a, b| a.role.cmp(&b.role).then_with(|| a.name.cmp(&b.name)));
        Ok(out)
    }

    pub fn cluster_record(&self) -> Result<state::ClusterRecord, ApiError> {
        self.db
            .read(|v| v.cluster())?
            .ok_or_else(|| ApiError::unavailable("this node has not received the cluster state yet"))
    }

    pub fn tokens(&self) -> Result<(TokenRecord, TokenRecord), ApiError> {
        let (c, d) = self.db.read(|v| Ok((v.token(TokenRole::Control)?, v.token(TokenRole::Data)?)))?;
        match (c, d) {
            (Some(c), Some(d)) => Ok((c, d)),
            _ => Err(ApiError::unavailable("this node has not received the cluster state yet")),
        }
    }

    /// Runs a parse or validation of a configuration on the blocking pool, one at a time.
    pub async fn parse<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        // The permit goes with the work: a caller that gives up does not free the place of
        // a parse that still runs.
        let turn = self.parsing.clone().acquire_owned().await.map_err(internal)?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work()
        })
        .await
        .map_err(internal)?
    }

    // ---- writes ---------------------------------------------------------------------------

    /// Commits a command through Raft, forwarding it to the leader when this node is not.
    /// A refusal from the state machine becomes an API error; the configuration version the
    /// command deployed, if any, is returned.
    pub async fn write(&self, origin: Origin, command: Command) -> Result<Option<u64>, ApiError> {
        // The client's Idempotency-Key, scoped to the caller (one caller cannot make another's
        // write look applied), or a new id: either way a retry below applies at most once.
        let request_id = match traefikee_apiserver::idempotency::current() {
            Some(key) => {
                use sha2::Digest;
                let caller = serde_json::to_string(&origin).map_err(internal)?;
                let digest = sha2::Sha256::digest(format!("{caller}\n{key}"));
                digest[..16].iter().map(|b| format!("{b:02x}")).collect()
            }
            None => state::new_request_id(),
        };
        let request = WriteRequest { origin, command, request_id: Some(request_id) };
        let committed = self.write_hops(request, 0).await?;
        // Read-your-writes: the caller reads this node's state next, which may trail the leader.
        self.db.applied_at_least(committed.index, self.timing.write_timeout()).await;
        match committed.response {
            Response::Done => Ok(None),
            Response::Deployed { version } => Ok(Some(version)),
            Response::Refused(r) => Err(match r.kind {
                RefusalKind::Conflict => ApiError::conflict(r.message),
                RefusalKind::NotFound => ApiError::not_found(r.message),
                RefusalKind::Unauthorized => ApiError::unauthenticated(r.message),
                RefusalKind::Invalid => ApiError::invalid(r.message),
            }),
        }
    }

    /// As [`Controller::write`], counting forwarding hops, returning the raw response and the
    /// index it was committed at.
    ///
    /// A failure says "nothing was changed" only when no leader can have received the entry;
    /// once one may have, the change may still commit after the failure is reported, and the
    /// message says so.
    pub async fn write_hops(&self, req: WriteRequest, hops: u32) -> Result<Committed, ApiError> {
        let deadline = Instant::now() + self.timing.write_timeout();
        let mut maybe_applied = false;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.no_quorum(maybe_applied));
            }
            let entry = Request::new(req.origin.clone(), req.command.clone()).with_request_id(req.request_id.clone());
            match tokio::time::timeout(remaining, self.raft.client_write(entry)).await {
                // Not refused as "not the leader": the entry may be in this node's log.
                Err(_) => return Err(self.no_quorum(true)),
                Ok(Ok(resp)) => return Ok(Committed { response: resp.data, index: resp.log_id.index }),
                Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(fwd)))) => {
                    if hops >= MAX_HOPS {
                        return Err(ApiError::unavailable("the leader moved while the request was being forwarded")
                            .with_hint("try again; nothing was changed"));
                    }
                    let (Some(leader_id), Some(leader)) = (fwd.leader_id, fwd.leader_node) else {
                        // An election is under way.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    // A leader cut off or dead since it was last heard from would hold the
                    // request for the whole timeout: an attempt with an id to retry by gets
                    // an election's worth of time, then goes to whoever leads by then.
                    let attempt = match req.request_id {
                        Some(_) => remaining.min(self.forward_attempt()),
                        None => remaining,
                    };
                    let sent = self.forward::<_, Committed>(&leader.addr, "/cluster/v1/write", &req, hops + 1, attempt);
                    // An election here means that leader lost its followers: a write with an
                    // id goes again, at once, to whoever wins.
                    let outcome = match req.request_id {
                        Some(_) => tokio::select! {
                            outcome = sent => outcome,
                            () = self.leader_moved_from(leader_id) => {
                                Forwarded::Lost(format!("the leader at {} lost its leadership", leader.addr))
                            }
                        },
                        None => sent.await,
                    };
                    match outcome {
                        Forwarded::Answer(answer) => return answer,
                        Forwarded::NotSent(why) => {
                            tracing::debug!("leader {} unreachable ({why}); retrying", leader.addr);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Forwarded::Lost(why) if req.request_id.is_some() => {
                            // Applied at most once whatever happened to the first attempt.
                            tracing::info!("{why}; sending the write again, to the leader known now");
                            maybe_applied = true;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Forwarded::Lost(why) => {
                            return Err(ApiError::unavailable(format!(
                                "{why}; the change may or may not have been applied"
                            ))
                            .with_hint(MAYBE_APPLIED_HINT))
                        }
                    }
                }
                Ok(Err(e)) => {
                    return Err(ApiError::unavailable(format!(
                        "Raft failed on control node {} while the change was being committed ({e}): it may or may \
                         not have been applied",
                        self.identity.name
                    ))
                    .with_hint(MAYBE_APPLIED_HINT))
                }
            }
        }
    }

    /// Resolves once this node no longer follows `leader` (an election began or ended).
    async fn leader_moved_from(&self, leader: NodeId) {
        let mut metrics = self.raft.metrics();
        if metrics.wait_for(|m| m.current_leader != Some(leader)).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// How long one forwarded attempt of a write may take: enough to commit through a healthy
    /// leader, short enough to try a new leader after an election.
    fn forward_attempt(&self) -> Duration {
        (self.timing.election_timeout * 4).max(Duration::from_secs(1))
    }

    /// The write timed out. `maybe_applied`: a leader may hold the entry, which can still
    /// commit.
    fn no_quorum(&self, maybe_applied: bool) -> ApiError {
        let voters = self.voters();
        let ready = voters.iter().filter(|v| self.is_ready(**v)).count();
        let needed = voters.len() / 2 + 1;
        let secs = self.timing.write_timeout().as_secs_f64();
        let why = if ready < needed {
            format!("{ready} of {} control nodes answer this one and {needed} are needed", voters.len())
        } else if self.staleness().is_some() {
            "this control node is cut off from the others".to_string()
        } else {
            "the control nodes answer, but Raft did not commit in time (an election, or links slower than \
             --raft.heartbeat-interval allows)"
                .to_string()
        };
        if maybe_applied {
            ApiError::unavailable(format!(
                "no quorum: the change was not confirmed within {secs}s ({why}); it may or may not have been applied"
            ))
            .with_hint(MAYBE_APPLIED_HINT)
        } else {
            ApiError::unavailable(format!("no quorum: no leader took the change within {secs}s ({why})")).with_hint(
                "nothing was changed; bring the control nodes that are DOWN back (`traefikee list-nodes --details`), \
                 or try another control node",
            )
        }
    }

    /// Sends a request to another controller's cluster port.
    async fn forward<Req: Serialize, Resp: DeserializeOwned>(
        &self,
        addr: &str,
        path: &str,
        body: &Req,
        hops: u32,
        timeout: Duration,
    ) -> Forwarded<Resp> {
        let url = format!("https://{addr}{path}");
        let sent = self.peers.post(&url).header(HOPS_HEADER, hops).json(body).timeout(timeout).send().await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) if e.is_connect() => return Forwarded::NotSent(e.to_string()),
            Err(e) => return Forwarded::Lost(format!("the leader at {addr} did not answer ({e})")),
        };
        Forwarded::Answer(decode(resp).await)
    }

    /// Runs `local` if this node leads, or forwards the request to the leader's `path`,
    /// waiting up to the write timeout for a leader to be known.
    async fn on_leader<Req, Resp, F, Fut>(&self, path: &str, body: &Req, hops: u32, local: F) -> Result<Resp, ApiError>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Resp, ApiError>>,
    {
        let deadline = Instant::now() + self.timing.write_timeout();
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.no_quorum(false));
            }
            match self.leader_addr() {
                Some((leader, _)) if leader == self.id() => return local().await,
                Some((_, addr)) if hops < MAX_HOPS => {
                    match self.forward(&addr, path, body, hops + 1, remaining).await {
                        Forwarded::Answer(a) => return a,
                        Forwarded::NotSent(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                        Forwarded::Lost(why) => {
                            return Err(ApiError::unavailable(format!(
                                "{why}; the change may or may not have been applied"
                            ))
                            .with_hint(MAYBE_APPLIED_HINT))
                        }
                    }
                }
                Some(_) => return Err(ApiError::unavailable("the leader moved while the request was being forwarded")),
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    // ---- joining --------------------------------------------------------------------------

    /// Admits a node that presented a join token (on the leader, or forwarded there).
    pub async fn join(&self, req: JoinRequest, hops: u32) -> Result<JoinResponse, ApiError> {
        self.on_leader("/cluster/v1/join", &req, hops, || self.join_local(&req)).await
    }

    async fn join_local(&self, req: &JoinRequest) -> Result<JoinResponse, ApiError> {
        let token: JoinToken = req.token.parse().map_err(|e: traefikee_pki::PkiError| {
            ApiError::unauthenticated(e.to_string()).with_hint("copy the token whole from `traefikee env`")
        })?;
        let (wanted, what) = match req.kind {
            NodeKind::Controller => (TokenRole::Control, "a control node"),
            NodeKind::Proxy => (TokenRole::Data, "a data node"),
        };
        if token.role != wanted {
            return Err(ApiError::forbidden(format!(
                "this is a {}; {what} joins with the {}",
                token.role.describe(),
                wanted.describe()
            ))
            .with_hint(format!("use {} from `traefikee env`", env_var(wanted))));
        }
        let (control, data) = self.tokens()?;
        let current = if wanted == TokenRole::Control { control } else { data };
        let current: JoinToken = current.token.parse().map_err(internal)?;
        if current.id != token.id || !token.matches_hash(&current.secret_hash()) {
            return Err(ApiError::unauthenticated(format!(
                "the {} is not valid for this cluster: it is wrong or was rotated",
                wanted.describe()
            ))
            .with_hint(format!("get the current one with `traefikee env` ({})", env_var(wanted))));
        }
        traefikee_records::names::check_node_name(&req.name)
            .map_err(|e| ApiError::invalid(e.to_string()).with_hint("start the node again with --name=NAME"))?;
        check_address(&req.address)?;
        if let Some(api) = &req.api_address {
            check_address(api)?;
        }
        let existing = self.db.read(|v| v.nodes())?;
        if let Some(other) = existing.iter().find(|n| n.name == req.name) {
            return Err(ApiError::conflict(format!(
                "a node named {:?} is already in the cluster (id {})",
                req.name,
                keys::node_id_text(other.id)
            ))
            .with_hint("give this node another name with --name, or remove the old one with `traefikee rm-node`"));
        }
        let node_id = loop {
            let id: u64 = rand::random();
            if id != 0 && !existing.iter().any(|n| n.id == id) {
                break id;
            }
        };
        let cluster = self.cluster_record()?;
        let role = match req.kind {
            NodeKind::Controller => Role::Controller,
            NodeKind::Proxy => Role::Proxy,
        };
        let identity = Identity::new(&cluster.id, role, keys::node_id_text(node_id));
        let ips: Vec<IpAddr> = [Some(req.address.as_str()), req.api_address.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(host_ip)
            .collect();
        let cert = cluster
            .ca
            .issue_for_csr(&req.csr_pem, &identity, &ips, Validity::NODE)
            .map_err(|e| ApiError::invalid(format!("the certificate request is not acceptable: {e}")))?;
        let node = NodeRecord {
            id: node_id,
            name: req.name.clone(),
            kind: req.kind,
            address: req.address.clone(),
            api_address: req.api_address.clone(),
            joined_at: state::now_ms(),
            cert_serial: cert.serial.clone(),
            key_sha256: Some(key_of(&cert.cert_pem)?),
        };
        self.write(
            Origin::system(format!("join token {}", token.id)),
            Command::AddNode { node, token_id: token.id.clone() },
        )
        .await?;
        tracing::info!(node = %req.name, id = %keys::node_id_text(node_id), kind = ?req.kind, "node joined");
        Ok(JoinResponse {
            node_id,
            cert_pem: cert.cert_pem,
            ca_pem: cluster.ca.cert_pem.clone(),
            cluster_id: cluster.id,
            cluster_name: cluster.name,
            controllers: self.controllers()?,
        })
    }

    /// Makes a joined control node a Raft learner, then a voter (unless a bootstrap is
    /// pending: the bootstrap node promotes everyone at once when all have come).
    pub async fn promote(&self, node: NodeId, hops: u32) -> Result<PromoteResponse, ApiError> {
        self.on_leader("/cluster/v1/promote", &node, hops, || self.promote_local(node)).await
    }

    async fn promote_local(&self, node_id: NodeId) -> Result<PromoteResponse, ApiError> {
        let _serial = self.membership_lock.lock().await;
        let node = self.db.read(|v| v.node(node_id))?.ok_or_else(|| {
            ApiError::not_found(format!("node {} is not in the cluster (was it removed?)", keys::node_id_text(node_id)))
        })?;
        if node.kind != NodeKind::Controller {
            return Err(ApiError::forbidden("only control nodes join the Raft membership"));
        }
        if !self.members().contains(&node_id) {
            let add = self.raft.add_learner(node_id, NodeAddr { addr: node.address.clone() }, true);
            match tokio::time::timeout(Duration::from_secs(60), add).await {
                Ok(Ok(_)) => tracing::info!(node = %node.name, "added as learner"),
                Ok(Err(e)) => {
                    return Err(ApiError::unavailable(format!("could not add {} as a learner: {e}", node.name)))
                }
                Err(_) => return Err(ApiError::unavailable(format!("{} did not catch up within 60s", node.name))),
            }
        }
        if self.cluster_record()?.bootstrap.is_some() {
            return Ok(PromoteResponse { voter: false });
        }
        if !self.voters().contains(&node_id) {
            let change = self.raft.change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([node_id])), false);
            match tokio::time::timeout(self.timing.write_timeout(), change).await {
                Ok(Ok(_)) => tracing::info!(node = %node.name, "promoted to voter"),
                Ok(Err(e)) => return Err(ApiError::unavailable(format!("could not promote {}: {e}", node.name))),
                Err(_) => return Err(self.no_quorum(true)),
            }
        }
        Ok(PromoteResponse { voter: true })
    }

    // ---- removal --------------------------------------------------------------------------

    /// Finds a node by exact name or id.
    pub fn find_node(&self, key: &str) -> Result<NodeRecord, ApiError> {
        let nodes = self.db.read(|v| v.nodes())?;
        nodes.into_iter().find(|n| n.name == key || keys::node_id_text(n.id) == key.to_ascii_lowercase()).ok_or_else(
            || {
                ApiError::not_found(format!("no node named or with id {key:?}"))
                    .with_hint("`list-nodes --details` shows names and ids")
            },
        )
    }

    /// Removes a node; a control node leaves the Raft membership first. The leader checks
    /// that the origin's credential is still valid before it changes anything.
    pub async fn remove(&self, req: RemoveRequest, hops: u32) -> Result<(), ApiError> {
        self.on_leader("/cluster/v1/remove", &req, hops, || self.remove_local(req.node, req.origin.clone())).await
    }

    /// Removes a node on this controller, which must lead (`traefikee recover`).
    pub async fn remove_node(&self, node_id: NodeId, origin: Origin) -> Result<(), ApiError> {
        self.remove_local(node_id, origin).await
    }

    async fn remove_local(&self, node_id: NodeId, origin: Origin) -> Result<(), ApiError> {
        self.confirm_origin(&origin).await?;
        let _serial = self.membership_lock.lock().await;
        let node = self
            .db
            .read(|v| v.node(node_id))?
            .ok_or_else(|| ApiError::not_found(format!("no node with id {}", keys::node_id_text(node_id))))?;
        let voters = self.voters();
        if voters.contains(&node_id) {
            let remaining: Vec<NodeId> = voters.iter().copied().filter(|v| *v != node_id).collect();
            if remaining.is_empty() {
                return Err(ApiError::conflict(format!(
                    "{} is the last control node; removing it would destroy the cluster",
                    node.name
                )));
            }
            let ready = remaining.iter().filter(|v| self.is_ready(**v)).count();
            let needed = remaining.len() / 2 + 1;
            if ready < needed {
                return Err(ApiError::conflict(format!(
                    "removing {} would break quorum: {ready} of the {} remaining control nodes answer and {needed} are needed",
                    node.name,
                    remaining.len()
                ))
                .with_hint("bring the control nodes that are DOWN back first, or remove those instead"));
            }
        }
        if self.members().contains(&node_id) {
            let changes = if voters.contains(&node_id) {
                ChangeMembers::RemoveVoters(BTreeSet::from([node_id]))
            } else {
                ChangeMembers::RemoveNodes(BTreeSet::from([node_id]))
            };
            match tokio::time::timeout(self.timing.write_timeout(), self.raft.change_membership(changes, false)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => return Err(ApiError::unavailable(format!("could not change the membership: {e}"))),
                Err(_) => return Err(self.no_quorum(true)),
            }
        }
        // A removed control node knew the join tokens: replace them in the same entry, so it
        // cannot bring a node of its own back in.
        let tokens = match node.kind {
            NodeKind::Controller => Some(new_tokens(&self.cluster_record()?.ca).map_err(internal)?),
            NodeKind::Proxy => None,
        };
        // If this node removed itself it is no longer leader: `write` forwards to the new one.
        self.write(origin, Command::RemoveNode { id: node_id, tokens }).await.map(|_| ())
    }

    pub async fn rotate_tokens(&self, caller: &Caller) -> Result<(), ApiError> {
        let ca = self.cluster_record()?.ca;
        let (control, data) = new_tokens(&ca).map_err(internal)?;
        self.write(self.origin_of(caller), Command::RotateTokens { control, data }).await.map(|_| ())
    }

    /// The origin of an API caller of this controller.
    pub fn origin_of(&self, caller: &Caller) -> Origin {
        Origin::of_caller(caller, &self.identity.name)
    }
}

pub use traefikee_records::new_tokens;

/// The environment variable the guide uses for a token.
pub fn env_var(role: TokenRole) -> &'static str {
    match role {
        TokenRole::Control => "CONTROL_NODE_TOKEN",
        TokenRole::Data => "DATA_NODE_TOKEN",
    }
}

/// The public key hash of a certificate the cluster just issued.
pub fn key_of(cert_pem: &str) -> Result<String, ApiError> {
    traefikee_pki::inspect_cert_pem(cert_pem).map(|i| i.key_sha256).map_err(internal)
}

/// An address a node reports: `host:port` text without control characters or spaces.
fn check_address(addr: &str) -> Result<(), ApiError> {
    let ok = addr.len() <= 261 && addr.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!("invalid address {addr:?}: use host:port in plain ASCII")))
    }
}

/// The IP of a `host:port` address, when the host is an IP.
pub fn host_ip(addr: &str) -> Option<IpAddr> {
    addr.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())
}

/// Decodes an answer of the cluster port or the API: the body on success, the error shape
/// otherwise.
pub async fn decode<T: DeserializeOwned>(resp: reqwest::Response) -> Result<T, ApiError> {
    let status = resp.status();
    let bytes = resp.bytes().await.map_err(|e| ApiError::unavailable(format!("reading the answer: {e}")))?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| internal(format!("unexpected answer: {e}")));
    }
    match serde_json::from_slice::<traefikee_apiserver::ErrorBody>(&bytes) {
        Ok(body) => Err(body.error),
        Err(_) => Err(ApiError::internal(format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)))),
    }
}
