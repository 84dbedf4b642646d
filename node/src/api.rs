//! The node's side of the REST API: [`traefikee_apiserver::ControlPlane`] over a controller.

use std::sync::Arc;

use async_trait::async_trait;
use traefikee_apiserver::types::{ClusterInfo, ControllerEndpoint, NodeList, RaftStatus, RemovedNode, Tokens};
use traefikee_apiserver::{ApiError, Caller, ControlPlane};

use crate::controller::{internal, Controller};
use crate::state::keys;

pub struct Api(pub Arc<Controller>);

#[async_trait]
impl ControlPlane for Api {
    async fn is_revoked(&self, _serial: &str) -> bool {
        false
    }

    fn cluster_id(&self) -> String {
        self.0.identity.cluster_id.clone()
    }

    async fn cluster_info(&self) -> Result<ClusterInfo, ApiError> {
        let c = &self.0;
        let cluster = c.cluster_record()?;
        let controllers = c.controllers()?;
        let leader = c.leader().and_then(|l| controllers.iter().find(|p| p.id == l)).map(|p| p.name.clone());
        Ok(ClusterInfo {
            id: cluster.id,
            name: cluster.name,
            version: traefikee_apiserver::VERSION.to_string(),
            leader,
            ca_fingerprint: cluster.ca.pin().map_err(internal)?.to_string(),
            controllers: controllers
                .into_iter()
                .map(|p| ControllerEndpoint { name: p.name, cluster_address: p.address, api_address: p.api_address })
                .collect(),
            answered_by: c.identity.name.clone(),
            raft: raft_status(c),
        })
    }

    async fn list_nodes(&self) -> Result<NodeList, ApiError> {
        Ok(NodeList { nodes: self.0.node_infos()? })
    }

    async fn remove_node(&self, caller: &Caller, node: &str) -> Result<RemovedNode, ApiError> {
        let record = self.0.find_node(node)?;
        let info = self
            .0
            .node_infos()?
            .into_iter()
            .find(|n| n.id == keys::node_id_text(record.id))
            .ok_or_else(|| ApiError::not_found(format!("no node {node:?}")))?;
        self.0.remove(caller, record.id, 0).await?;
        Ok(RemovedNode { removed: info })
    }

    async fn tokens(&self) -> Result<Tokens, ApiError> {
        let (control, data) = self.0.tokens()?;
        Ok(Tokens { control_node_token: control.token, data_node_token: data.token })
    }

    async fn rotate_tokens(&self, caller: &Caller) -> Result<Tokens, ApiError> {
        self.0.rotate_tokens(caller).await?;
        self.tokens().await
    }
}

fn raft_status(c: &Controller) -> RaftStatus {
    let m = c.raft.metrics().borrow().clone();
    let membership = m.membership_config.membership();
    RaftStatus {
        term: m.current_term,
        last_log_index: m.last_log_index,
        last_applied_index: m.last_applied.map(|l| l.index),
        snapshot_index: m.snapshot.map(|l| l.index),
        purged_index: m.purged.map(|l| l.index),
        voters: membership.voter_ids().map(keys::node_id_text).collect(),
        learners: membership.learner_ids().map(keys::node_id_text).collect(),
    }
}
