//! Liveness: which nodes this controller heard from lately, the heartbeats it sends to the
//! other controllers, and the node list built from both (READY or DOWN, what each data node
//! runs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use traefikee_apiserver::types::{Availability, ConfigRefusal, Membership, NodeInfo, NodeRole, Status};
use traefikee_apiserver::ApiError;

use super::Controller;
use crate::raft::NodeId;
use crate::state::{self, keys, NodeKind};

/// A node counts as DOWN once nothing was heard from it for this long.
pub const DOWN_AFTER: Duration = Duration::from_secs(3);
/// How often every node reports to every controller.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);

/// What a controller last heard from a node.
#[derive(Debug, Clone)]
pub(super) struct Seen {
    pub(super) at: Instant,
    config_version: Option<u64>,
    config_refused: Option<ConfigRefusal>,
}

impl Controller {
    pub fn record_heartbeat(&self, node: NodeId, hello: &crate::wire::Heartbeat) {
        let seen = Seen {
            at: Instant::now(),
            config_version: hello.config_version,
            config_refused: hello.config_refused.clone(),
        };
        self.last_seen.lock().unwrap_or_else(|p| p.into_inner()).insert(node, seen);
    }

    pub(super) fn seen(&self, node: NodeId) -> Option<Seen> {
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
}
