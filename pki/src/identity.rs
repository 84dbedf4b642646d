use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::PkiError;

/// What a certificate allows its holder to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// A control node: Raft RPCs, forwarded writes, serving the API.
    Controller,
    /// A data node: configuration feed and status reports only.
    Proxy,
    /// An operator of the API (`traefikeectl`).
    Operator,
    /// The one-time credential written at bootstrap: may only be exchanged for an operator
    /// certificate, once.
    Enrollment,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Controller => "controller",
            Role::Proxy => "proxy",
            Role::Operator => "operator",
            Role::Enrollment => "enrollment",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "controller" => Ok(Role::Controller),
            "proxy" => Ok(Role::Proxy),
            "operator" => Ok(Role::Operator),
            "enrollment" => Ok(Role::Enrollment),
            other => Err(format!("unknown role {other:?}")),
        }
    }
}

/// Who a certificate belongs to: `traefikee://<cluster-id>/<role>/<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity {
    pub cluster_id: String,
    pub role: Role,
    pub id: String,
}

const SCHEME: &str = "traefikee://";

impl Identity {
    pub fn new(cluster_id: impl Into<String>, role: Role, id: impl Into<String>) -> Self {
        Identity { cluster_id: cluster_id.into(), role, id: id.into() }
    }

    pub fn uri(&self) -> String {
        format!("{SCHEME}{}/{}/{}", self.cluster_id, self.role, self.id)
    }

    pub fn parse_uri(uri: &str) -> Result<Self, PkiError> {
        let bad = |reason: &str| PkiError::BadIdentity { uri: uri.to_string(), reason: reason.to_string() };
        let rest = uri.strip_prefix(SCHEME).ok_or_else(|| bad("does not start with traefikee://"))?;
        let mut parts = rest.split('/');
        let (Some(cluster_id), Some(role), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected traefikee://<cluster-id>/<role>/<id>"));
        };
        if cluster_id.is_empty() || id.is_empty() {
            return Err(bad("empty cluster id or holder id"));
        }
        let role = role.parse().map_err(|e: String| bad(&e))?;
        Ok(Identity::new(cluster_id, role, id))
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.uri())
    }
}

/// What the cluster needs to know about a presented certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertInfo {
    pub identity: Identity,
    /// Serial number, lowercase hex without leading zeros stripped: the revocation key.
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// SHA-256 of the certificate's public key (hex): what ties a certificate to the key the
    /// cluster issued it for. A holder of the CA key can mint a certificate with any serial,
    /// not one for another node's key.
    #[serde(default)]
    pub key_sha256: String,
}

/// Reads the identity, serial and expiry of a DER certificate. It does not verify it.
pub fn inspect_cert_der(der: &[u8]) -> Result<CertInfo, PkiError> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| PkiError::Certificate(e.to_string()))?;
    let mut identity = None;
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            if let GeneralName::URI(uri) = name {
                if uri.starts_with(SCHEME) {
                    identity = Some(Identity::parse_uri(uri)?);
                }
            }
        }
    }
    let identity = identity.ok_or(PkiError::NoIdentity)?;
    let serial = hex::encode(cert.raw_serial());
    let not_after = OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())
        .map_err(|e| PkiError::Certificate(e.to_string()))?;
    let key_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(cert.public_key().raw));
    Ok(CertInfo { identity, serial, not_after, key_sha256 })
}

/// Same as [`inspect_cert_der`] for the first certificate of a PEM text.
pub fn inspect_cert_pem(pem: &str) -> Result<CertInfo, PkiError> {
    let der = crate::tls::parse_certs(pem)?
        .into_iter()
        .next()
        .ok_or_else(|| PkiError::Pem { what: "certificate", reason: "no CERTIFICATE block".into() })?;
    inspect_cert_der(&der)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_uri_round_trips() {
        let id = Identity::new("c1", Role::Controller, "42");
        assert_eq!(id.uri(), "traefikee://c1/controller/42");
        assert_eq!(Identity::parse_uri(&id.uri()).unwrap(), id);
    }

    #[test]
    fn identity_rejects_bad_uris() {
        for uri in [
            "https://c1/controller/42",
            "traefikee://c1/controller",
            "traefikee://c1/controller/42/extra",
            "traefikee://c1/king/42",
            "traefikee:///controller/42",
            "traefikee://c1/controller/",
        ] {
            assert!(Identity::parse_uri(uri).is_err(), "{uri} accepted");
        }
    }
}
