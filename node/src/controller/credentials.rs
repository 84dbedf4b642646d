//! Credentials and join tokens: operator certificates issued for a one-time enrollment,
//! enrollments created and revoked, the credential list, and token rotation.

use traefikee_apiserver::types::{
    CreateCredentialRequest, CredentialInfo, CredentialKind, CredentialStatus, ExchangeRequest, ExchangeResponse,
    NewCredential, RevokeRequest, Revoked,
};
use traefikee_apiserver::{ApiError, Caller, ErrorCode};
use traefikee_pki::{Identity, Role, Validity};

use super::{internal, key_of, new_tokens, Controller};
use crate::state::{self, Command, CredentialRecord, EnrollmentRecord};

impl Controller {
    /// Exchanges the caller's one-time enrollment credential for a personal certificate.
    pub async fn exchange(&self, caller: &Caller, req: ExchangeRequest) -> Result<ExchangeResponse, ApiError> {
        let Caller::Enrollment { id, serial } = caller else {
            return Err(ApiError::forbidden("only a one-time enrollment credential can be exchanged").with_hint(
                "you are already connected; `traefikeectl credentials create NAME` makes one for someone else",
            ));
        };
        let enrollment = self
            .db
            .read(|v| v.enrollment(id))?
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
        let cluster = self.cluster_record()?;
        let cert = cluster
            .ca
            .issue_for_csr(&req.csr_pem, &Identity::new(&cluster.id, Role::Operator, &name), &[], Validity::OPERATOR)
            .map_err(|e| ApiError::invalid(format!("the certificate request is not acceptable: {e}")))?;
        let key_sha256 = Some(key_of(&cert.cert_pem)?);
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
        if let Err(e) = self.write(self.origin_of(caller), command).await {
            return Err(if e.code == ErrorCode::Conflict { e.with_hint(NEW_CREDENTIALS) } else { e });
        }
        Ok(ExchangeResponse {
            name,
            cert_pem: cert.cert_pem,
            ca_pem: cluster.ca.cert_pem,
            cluster_id: cluster.id,
            cluster_name: cluster.name,
            api_addresses: self.controllers()?.into_iter().filter_map(|p| p.api_address).collect(),
        })
    }

    /// A one-time credential for `req.name`, to be exchanged with `traefikeectl connect`.
    pub async fn create_credential(
        &self,
        caller: &Caller,
        req: CreateCredentialRequest,
    ) -> Result<NewCredential, ApiError> {
        check_name(&req.name)?;
        let cluster = self.cluster_record()?;
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
        self.write(self.origin_of(caller), Command::CreateEnrollment(record)).await?;
        Ok(NewCredential {
            name: req.name,
            id,
            ca_pem: cluster.ca.cert_pem,
            cert_pem: cert.cert_pem,
            key_pem,
            expires_at: state::rfc3339(cert.not_after.unix_timestamp() * 1000),
        })
    }

    /// Revokes the active or pending credentials named (or with the id or serial) `req.credential`,
    /// refusing to leave no active operator credential.
    pub async fn revoke_credential(&self, caller: &Caller, req: RevokeRequest) -> Result<Revoked, ApiError> {
        let all = self.credential_list()?;
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
        self.write(self.origin_of(caller), Command::Revoke { serials }).await?;
        let revoked = chosen.into_iter().map(|c| CredentialInfo { status: CredentialStatus::Revoked, ..c }).collect();
        Ok(Revoked { revoked })
    }

    /// Every operator credential and enrollment, oldest first.
    pub fn credential_list(&self) -> Result<Vec<CredentialInfo>, ApiError> {
        let now = state::now_ms();
        let (operators, enrollments) = self.db.read(|v| Ok((v.credentials()?, v.enrollments()?)))?;
        // Sorted by the instants, not by their RFC 3339 text, which drops trailing zeros of the
        // fraction: "05.1Z" is earlier than "05.12Z" but sorts after it as text.
        let mut out: Vec<(state::UnixMillis, CredentialInfo)> = operators
            .into_iter()
            .map(|c| {
                (
                    c.created_at,
                    CredentialInfo {
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
                    },
                )
            })
            .collect();
        out.extend(enrollments.into_iter().map(|e| {
            (
                e.created_at,
                CredentialInfo {
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
                },
            )
        }));
        out.sort_by(|(at_a, a), (at_b, b)| at_a.cmp(at_b).then_with(|| a.name.cmp(&b.name)));
        Ok(out.into_iter().map(|(_, info)| info).collect())
    }

    /// Replaces both join tokens.
    pub async fn rotate_tokens(&self, caller: &Caller) -> Result<(), ApiError> {
        let ca = self.cluster_record()?.ca;
        let (control, data) = new_tokens(&ca).map_err(internal)?;
        self.write(self.origin_of(caller), Command::RotateTokens { control, data }).await.map(|_| ())
    }
}

const NEW_CREDENTIALS: &str = "ask an operator of the cluster for new ones: traefikeectl credentials create NAME";

pub fn already_used(used: &state::Consumption) -> ApiError {
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
