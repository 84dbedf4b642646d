//! The node's side of the REST API: [`traefikee_apiserver::ControlPlane`] over a controller.

use std::sync::Arc;

use async_trait::async_trait;
use traefikee_apiserver::types::*;
use traefikee_apiserver::{ApiError, Caller, ControlPlane, ErrorCode};
use traefikee_pki::{Identity, Role, Validity};

use crate::controller::{internal, Controller};
use crate::state::{self, keys, Command, CredentialRecord, EnrollmentRecord};
use crate::wire::RemoveRequest;

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
        let record = self.0.find_node(node)?;
        let info = self
            .0
            .node_infos()?
            .into_iter()
            .find(|n| n.id == keys::node_id_text(record.id))
            .ok_or_else(|| ApiError::not_found(format!("no node {node:?}")))?;
        self.0.remove(RemoveRequest { node: record.id, origin: self.0.origin_of(caller) }, 0).await?;
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

    async fn exchange(&self, caller: &Caller, req: ExchangeRequest) -> Result<ExchangeResponse, ApiError> {
        let Caller::Enrollment { id, serial } = caller else {
            return Err(ApiError::forbidden("only a one-time enrollment credential can be exchanged").with_hint(
                "you are already connected; `traefikeectl credentials create NAME` makes one for someone else",
            ));
        };
        let c = &self.0;
        let enrollment =
            c.db.read(|v| v.enrollment(id))?
                .filter(|e| &e.serial == serial)
                .ok_or_else(|| ApiError::unauthenticated("this enrollment credential is unknown to the cluster"))?;
        if let Some(used) = &enrollment.consumed {
            return Err(already_used(used));
        }
        if enrollment.revoked.is_some() {
            return Err(ApiError::unauthenticated("this enrollment credential was revoked").with_hint(NEW_CREDENTIALS));
        }
        let name = enrollment.for_name.clone().or(req.name).unwrap_or_else(|| "admin".into());
        check_name(&name)?;
        let cluster = c.cluster_record()?;
        let cert = cluster
            .ca
            .issue_for_csr(&req.csr_pem, &Identity::new(&cluster.id, Role::Operator, &name), &[], Validity::OPERATOR)
            .map_err(|e| ApiError::invalid(format!("the certificate request is not acceptable: {e}")))?;
        let key_sha256 = Some(crate::controller::key_of(&cert.cert_pem)?);
        let credential = CredentialRecord {
            key_sha256,
            serial: cert.serial.clone(),
            name: name.clone(),
            created_at: state::now_ms(),
            not_after: cert.not_after.unix_timestamp() * 1000,
            enrollment: id.clone(),
            revoked: None,
        };
        let command = Command::ExchangeEnrollment { enrollment: id.clone(), credential };
        if let Err(e) = c.write(c.origin_of(caller), command).await {
            return Err(if e.code == ErrorCode::Conflict { e.with_hint(NEW_CREDENTIALS) } else { e });
        }
        Ok(ExchangeResponse {
            name,
            cert_pem: cert.cert_pem,
            ca_pem: cluster.ca.cert_pem,
            cluster_id: cluster.id,
            cluster_name: cluster.name,
            api_addresses: c.controllers()?.into_iter().filter_map(|p| p.api_address).collect(),
        })
    }

    async fn create_credential(
        &self,
        caller: &Caller,
        req: CreateCredentialRequest,
    ) -> Result<NewCredential, ApiError> {
        check_name(&req.name)?;
        let c = &self.0;
        let cluster = c.cluster_record()?;
        let id = hex::encode(rand::random::<[u8; 8]>());
        let (cert, key_pem) = cluster
            .ca
            .issue_with_new_key(&Identity::new(&cluster.id, Role::Enrollment, &id), Validity::ENROLLMENT)
            .map_err(internal)?;
        let record = EnrollmentRecord {
            id: id.clone(),
            serial: cert.serial.clone(),
            created_at: state::now_ms(),
            consumed: None,
            for_name: Some(req.name.clone()),
            not_after: cert.not_after.unix_timestamp() * 1000,
            created_by: caller.actor(),
            revoked: None,
        };
        c.write(c.origin_of(caller), Command::CreateEnrollment(record)).await?;
        Ok(NewCredential {
            name: req.name,
            id,
            ca_pem: cluster.ca.cert_pem,
            cert_pem: cert.cert_pem,
            key_pem,
            expires_at: state::rfc3339(cert.not_after.unix_timestamp() * 1000),
        })
    }

    async fn list_credentials(&self) -> Result<CredentialList, ApiError> {
        let mut credentials = self.credentials()?;
        credentials.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.name.cmp(&b.name)));
        Ok(CredentialList { credentials })
    }

    async fn revoke_credential(&self, caller: &Caller, req: RevokeRequest) -> Result<Revoked, ApiError> {
        let all = self.credentials()?;
        let key = req.credential.as_str();
        let revocable = |c: &&CredentialInfo| matches!(c.status, CredentialStatus::Active | CredentialStatus::Pending);
        let chosen: Vec<CredentialInfo> =
            all.iter().filter(revocable).filter(|c| c.name == key || c.id == key || c.serial == key).cloned().collect();
        if chosen.is_empty() {
            return Err(ApiError::not_found(format!("no active credential named or with id {key:?}"))
                .with_hint("`traefikeectl credentials list` shows them"));
        }
        if matches!(caller, Caller::Operator { .. }) {
            let left = all
                .iter()
                .filter(|c| c.kind == CredentialKind::Operator && c.status == CredentialStatus::Active)
                .filter(|c| !chosen.iter().any(|x| x.serial == c.serial))
                .count();
            if left == 0 {
                return Err(ApiError::conflict(format!(
                    "revoking {key:?} would leave no active operator credential: nobody could use the API any more"
                ))
                .with_hint("create another one first: traefikeectl credentials create NAME"));
            }
        }
        let serials = chosen.iter().map(|c| c.serial.clone()).collect();
        self.0.write(self.0.origin_of(caller), Command::Revoke { serials }).await?;
        let revoked = chosen.into_iter().map(|c| CredentialInfo { status: CredentialStatus::Revoked, ..c }).collect();
        Ok(Revoked { revoked })
    }

    async fn deploy(&self, caller: &Caller, req: DeployRequest) -> Result<DeployResult, ApiError> {
        let current = self.0.db.read(|v| v.config())?;
        let dry_run = req.dry_run;
        let (document, summary) = self.0.parse(move || crate::deploy::build(current.as_ref(), &req)).await?;
        if dry_run {
            return Ok(DeployResult { version: None, dry_run: true, summary });
        }
        let version =
            self.0.write(self.0.origin_of(caller), Command::Deploy { document, summary: summary.clone() }).await?;
        Ok(DeployResult { version, dry_run: false, summary })
    }

    async fn config(&self) -> Result<DeployedConfig, ApiError> {
        let rec = self.0.db.read(|v| v.config())?.ok_or_else(|| {
            ApiError::not_found("no configuration is deployed yet").with_hint("deploy one with `traefikeectl deploy`")
        })?;
        Ok(DeployedConfig {
            version: rec.version,
            deployed_at: state::rfc3339(rec.deployed_at),
            deployed_by: rec.deployed_by,
            summary: rec.summary,
            document: serde_json::from_str(&rec.document).map_err(internal)?,
        })
    }

    async fn backup(&self, caller: &Caller) -> Result<Vec<u8>, ApiError> {
        let c = self.0.clone();
        let archive = tokio::task::spawn_blocking(move || crate::backup::export(&c)).await.map_err(internal)??;
        tracing::info!(actor = %caller.actor(), bytes = archive.len(), "backup taken");
        Ok(archive)
    }

    async fn restore(&self, caller: &Caller, archive: Vec<u8>, query: RestoreQuery) -> Result<RestoreResult, ApiError> {
        let current = self.0.cluster_record()?;
        let (restore, mut result) = self
            .0
            .parse(move || {
                let backup = crate::backup::read_archive(&archive)?;
                crate::backup::plan(&backup, &current, query.force)
            })
            .await?;
        if query.dry_run {
            result.dry_run = true;
            return Ok(result);
        }
        result.version = self.0.write(self.0.origin_of(caller), Command::Restore(Box::new(restore))).await?;
        Ok(result)
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

const NEW_CREDENTIALS: &str = "ask an operator of the cluster for new ones: traefikeectl credentials create NAME";

pub(crate) fn already_used(used: &state::Consumption) -> ApiError {
    ApiError::conflict(format!(
        "these credentials were already used on {} by {}: an enrollment credential works once",
        state::rfc3339(used.at),
        used.by
    ))
    .with_hint(NEW_CREDENTIALS)
}

/// Operator names go into certificates and file names: keep them plain.
fn check_name(name: &str) -> Result<(), ApiError> {
    let ok =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "invalid operator name {name:?}: use 1 to 64 letters, digits, '.', '_', '@' or '-'"
        )))
    }
}

impl Api {
    fn credentials(&self) -> Result<Vec<CredentialInfo>, ApiError> {
        let now = state::now_ms();
        let (operators, enrollments) = self.0.db.read(|v| Ok((v.credentials()?, v.enrollments()?)))?;
        let mut out: Vec<CredentialInfo> = operators
            .into_iter()
            .map(|c| CredentialInfo {
                kind: CredentialKind::Operator,
                status: if c.revoked.is_some() {
                    CredentialStatus::Revoked
                } else if c.not_after < now {
                    CredentialStatus::Expired
                } else {
                    CredentialStatus::Active
                },
                name: c.name,
                id: c.serial.clone(),
                serial: c.serial,
                created_at: state::rfc3339(c.created_at),
                expires_at: state::rfc3339(c.not_after),
            })
            .collect();
        out.extend(enrollments.into_iter().map(|e| CredentialInfo {
            kind: CredentialKind::Enrollment,
            status: if e.revoked.is_some() {
                CredentialStatus::Revoked
            } else if e.consumed.is_some() {
                CredentialStatus::Used
            } else if e.not_after < now {
                CredentialStatus::Expired
            } else {
                CredentialStatus::Pending
            },
            name: e.for_name.unwrap_or_else(|| "(bootstrap)".into()),
            id: e.id,
            serial: e.serial,
            created_at: state::rfc3339(e.created_at),
            expires_at: state::rfc3339(e.not_after),
        }));
        Ok(out)
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
