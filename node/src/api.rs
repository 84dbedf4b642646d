//! The node's side of the REST API: [`traefikee_apiserver::ControlPlane`] over a controller.
//! Only translation lives here: each operation is the controller's (see `controller/`), and
//! the reads below turn its records into the API's types.

use std::sync::Arc;

use async_trait::async_trait;
use traefikee_apiserver::types::*;
use traefikee_apiserver::{ApiError, Caller, ControlPlane};

use crate::controller::{internal, Controller};
use crate::state::{self, keys};

pub struct Api(pub Arc<Controller>);

#[async_trait]
impl ControlPlane for Api {
    async fn authorize(&self, caller: &Caller, key_sha256: Option<&str>, fresh: bool) -> Result<(), ApiError> {
        self.0.authorize_caller(caller, key_sha256, fresh).await
    }

    fn cluster_id(&self) -> String {
        self.0.identity.cluster_id.clone()
    }

    async fn cluster_info(&self) -> Result<ClusterInfo, ApiError> {
        let c = &self.0;
        let cluster = c.cluster_record()?;
        let controllers = c.controllers()?;
        let leader = c.confirmed_leader().and_then(|l| controllers.iter().find(|p| p.id == l)).map(|p| p.name.clone());
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
            warning: c.staleness(),
        })
    }

    async fn list_nodes(&self) -> Result<NodeList, ApiError> {
        Ok(NodeList { nodes: self.0.node_infos()?, warning: self.0.staleness() })
    }

    async fn remove_node(&self, caller: &Caller, node: &str) -> Result<RemovedNode, ApiError> {
        self.0.remove_by_name(caller, node).await
    }

    async fn tokens(&self) -> Result<Tokens, ApiError> {
        let (control, data) = self.0.tokens()?;
        Ok(Tokens { control_node_token: control.token, data_node_token: data.token })
    }

    async fn rotate_tokens(&self, caller: &Caller) -> Result<Tokens, ApiError> {
        self.0.rotate_tokens(caller).await?;
        self.tokens().await
    }

    async fn exchange(&self, caller: &Caller, req: ExchangeRequest) -> Result<ExchangeResponse, ApiError> {
        self.0.exchange(caller, req).await
    }

    async fn create_credential(
        &self,
        caller: &Caller,
        req: CreateCredentialRequest,
    ) -> Result<NewCredential, ApiError> {
        self.0.create_credential(caller, req).await
    }

    async fn list_credentials(&self) -> Result<CredentialList, ApiError> {
        Ok(CredentialList { credentials: self.0.credential_list()? })
    }

    async fn revoke_credential(&self, caller: &Caller, req: RevokeRequest) -> Result<Revoked, ApiError> {
        self.0.revoke_credential(caller, req).await
    }

    async fn deploy(&self, caller: &Caller, req: DeployRequest) -> Result<DeployResult, ApiError> {
        self.0.deploy(caller, req).await
    }

    async fn config(&self) -> Result<DeployedConfig, ApiError> {
        self.0.deployed_config()
    }

    async fn providers(&self) -> Result<ProviderList, ApiError> {
        self.0.providers()
    }

    async fn backup(&self, caller: &Caller) -> Result<Vec<u8>, ApiError> {
        self.0.backup(caller).await
    }

    async fn restore(&self, caller: &Caller, archive: Vec<u8>, query: RestoreQuery) -> Result<RestoreResult, ApiError> {
        self.0.restore(caller, archive, query).await
    }

    async fn audit(&self, limit: usize) -> Result<AuditLog, ApiError> {
        let records = self.0.db.read(|v| v.audit(limit))?;
        Ok(AuditLog {
            entries: records
                .into_iter()
                .map(|r| AuditEntry {
                    seq: r.seq,
                    at: state::rfc3339(r.at),
                    actor: r.actor,
                    action: r.action,
                    detail: r.detail,
                })
                .collect(),
        })
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
