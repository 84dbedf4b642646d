//! Membership: the registry of nodes and the Raft voters. Promoting a joined control node to
//! voter, removing a node (`rm-node`), forgetting silent data nodes, and checking that a node
//! certificate belongs to a registered node.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openraft::ChangeMembers;
use traefikee_apiserver::types::RemovedNode;
use traefikee_apiserver::{ApiError, Caller};
use traefikee_pki::Role;

use super::admission::check_address;
use super::{internal, new_tokens, Controller};
use crate::raft::{NodeAddr, NodeId};
use crate::state::{self, keys, Command, NodeKind, NodeRecord, Origin, StateError};
use crate::wire::{PeerInfo, PromoteResponse, RemoveRequest};

impl Controller {
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

    /// A data node that stops for good says so: forgotten now (as the grace period would),
    /// not revoked, so the same node restarting from its state dir is listed again.
    pub async fn forget_leaving(&self, id: NodeId) -> Result<(), ApiError> {
        // The name as registered, not as the node says it.
        let Some(node) = self.db.read(|v| v.node(id))?.filter(|n| n.kind == NodeKind::Proxy) else {
            return Ok(());
        };
        let name = node.name;
        tracing::info!(node = %name, "data node leaves the cluster; forgetting it");
        self.write(Origin::system(format!("data node {name} left")), Command::ForgetNode { id }).await.map(|_| ())
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
        self.on_leader("/cluster/v1/remove", &req, hops, || self.remove_here(req.node, req.origin.clone())).await
    }

    /// Removes a node on this controller, which must lead (`remove` forwards to the leader;
    /// `traefikee recover` calls this on the node it recovers).
    pub async fn remove_here(&self, node_id: NodeId, origin: Origin) -> Result<(), ApiError> {
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

    /// Removes the node named (or with the id) `node` on behalf of an API caller.
    pub async fn remove_by_name(&self, caller: &Caller, node: &str) -> Result<RemovedNode, ApiError> {
        let record = self.find_node(node)?;
        let info = self
            .node_infos()?
            .into_iter()
            .find(|n| n.id == keys::node_id_text(record.id))
            .ok_or_else(|| ApiError::not_found(format!("no node {node:?}")))?;
        self.remove(RemoveRequest { node: record.id, origin: self.origin_of(caller) }, 0).await?;
        Ok(RemovedNode { removed: info })
    }
}
