//! A running control node: its Raft handle, its state, and what it knows of the others.
//!
//! What a controller does is split by concern, one file each, all `impl Controller`:
//! - `writes.rs`: commands committed through Raft, forwarded to the leader, retried safely;
//! - `admission.rs`: joining with a token;
//! - `membership.rs`: the registry and the Raft voters, promotion, `rm-node`, cleanup;
//! - `liveness.rs`: heartbeats, who is READY or DOWN, the node list;
//! - `credentials.rs`: operator credentials, enrollments, revocation, join tokens;
//! - `configuration.rs`: deploy, the deployed configuration, backup and restore.
//!
//! Elsewhere: who may call what (`crate::authz`), whether this controller's view is current
//! (`crate::currency`), the REST API over these operations (`crate::api`).

mod admission;
mod configuration;
mod credentials;
mod liveness;
mod membership;
mod writes;

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use traefikee_apiserver::{ApiError, Caller};
use traefikee_pki::TokenRole;

pub use credentials::already_used;
use liveness::Seen;
pub use liveness::{DOWN_AFTER, HEARTBEAT_EVERY};
pub use writes::{decode, peer_client, Committed, MAYBE_APPLIED_HINT};

use crate::raft::network::Network;
use crate::raft::store::Db;
use crate::raft::{NodeId, Raft, Timing};
use crate::state::{self, Origin, StateError, TokenRecord};
use crate::statedir::{NodeIdentity, StateDir};

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
    /// The running configuration of the newest version merged (see `running_config`).
    merged: Mutex<Option<(u64, Arc<String>)>>,
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
            merged: Mutex::new(None),
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

/// The IP of a `host:port` address, when the host is an IP.
pub fn host_ip(addr: &str) -> Option<IpAddr> {
    addr.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())
}
