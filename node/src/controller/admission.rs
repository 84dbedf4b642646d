//! Admission: a node presenting a join token gets a certificate and a place in the registry,
//! on the leader (forwarded there when needed).

use std::net::IpAddr;

use traefikee_apiserver::ApiError;
use traefikee_pki::{Identity, JoinToken, Role, TokenRole, Validity};

use super::{env_var, host_ip, internal, key_of, Controller};
use crate::state::{self, keys, Command, NodeKind, NodeRecord, Origin};
use crate::wire::{JoinRequest, JoinResponse};

impl Controller {
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
        let cluster = self.cluster_record()?;
        let role = match req.kind {
            NodeKind::Controller => Role::Controller,
            NodeKind::Proxy => Role::Proxy,
        };
        let ips: Vec<IpAddr> = [Some(req.address.as_str()), req.api_address.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(host_ip)
            .collect();
        let issue = |node_id: u64| {
            let identity = Identity::new(&cluster.id, role, keys::node_id_text(node_id));
            cluster
                .ca
                .issue_for_csr(&req.csr_pem, &identity, &ips, Validity::NODE)
                .map_err(|e| ApiError::invalid(format!("the certificate request is not acceptable: {e}")))
        };
        let record = |id: u64, cert: &traefikee_pki::IssuedCert, joined_at| -> Result<NodeRecord, ApiError> {
            Ok(NodeRecord {
                id,
                name: req.name.clone(),
                kind: req.kind,
                address: req.address.clone(),
                api_address: req.api_address.clone(),
                joined_at,
                cert_serial: cert.serial.clone(),
                key_sha256: Some(key_of(&cert.cert_pem)?),
            })
        };
        let (node, cert) = match existing.iter().find(|n| n.name == req.name) {
            None => {
                let node_id = loop {
                    let id: u64 = rand::random();
                    if id != 0 && !existing.iter().any(|n| n.id == id) {
                        break id;
                    }
                };
                let cert = issue(node_id)?;
                (record(node_id, &cert, state::now_ms())?, cert)
            }
            Some(other) => {
                // The same node again (see `NodeRecord::rejoined_by`): it gets its
                // registration back, with a new certificate.
                let cert = issue(other.id)?;
                let again = record(other.id, &cert, other.joined_at)?;
                if !other.rejoined_by(&again) {
                    return Err(ApiError::conflict(format!(
                        "a node named {:?} is already in the cluster (id {})",
                        req.name,
                        keys::node_id_text(other.id)
                    ))
                    .with_hint(
                        "give this node another name with --name, or remove the old one with `traefikee rm-node`",
                    ));
                }
                tracing::info!(node = %req.name, id = %keys::node_id_text(other.id), "a join retried with the same key");
                (again, cert)
            }
        };
        let node_id = node.id;
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
}

/// An address a node reports: `host:port` text without control characters or spaces.
pub(super) fn check_address(addr: &str) -> Result<(), ApiError> {
    let ok = addr.len() <= 261 && addr.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!("invalid address {addr:?}: use host:port in plain ASCII")))
    }
}
