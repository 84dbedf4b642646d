use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber, PKCS_ECDSA_P256_SHA256,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::identity::{inspect_cert_der, Identity};
use crate::{PkiError, CONTROLLER_SERVER_NAME};

/// How long certificates live.
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    pub days: i64,
}

impl Validity {
    pub const CA: Validity = Validity { days: 3650 };
    pub const NODE: Validity = Validity { days: 365 };
    pub const OPERATOR: Validity = Validity { days: 365 };
    /// A one-time credential handed to an operator by another.
    pub const ENROLLMENT: Validity = Validity { days: 7 };
}

/// The cluster CA: certificate and private key, both PEM.
///
/// The key lives in the replicated state so that whichever controller leads can issue
/// certificates to joining nodes.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CaBundle {
    pub cert_pem: String,
    pub key_pem: String,
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaBundle").field("pin", &self.pin().ok()).finish_non_exhaustive()
    }
}

/// A certificate issued by the CA.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IssuedCert {
    pub cert_pem: String,
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
}

/// A fresh private key and a certificate signing request for it. The key never leaves the
/// machine that made it; only the CSR is sent.
#[derive(Clone)]
pub struct KeyAndCsr {
    pub key_pem: String,
    pub csr_pem: String,
}

impl fmt::Debug for KeyAndCsr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyAndCsr").finish_non_exhaustive()
    }
}

/// Generates an ECDSA P-256 key and a CSR for it.
pub fn new_key_and_csr(common_name: &str) -> Result<KeyAndCsr, PkiError> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(common_name);
    let csr = params.serialize_request(&key)?;
    Ok(KeyAndCsr { key_pem: key.serialize_pem(), csr_pem: csr.pem()? })
}

/// A certificate request for a key made earlier (PEM): a node that keeps its join key
/// across restarts asks with the same key, so the cluster knows the retry for the same node.
pub fn csr_for_key(key_pem: &str, common_name: &str) -> Result<KeyAndCsr, PkiError> {
    let key = KeyPair::from_pem(key_pem)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(common_name);
    let csr = params.serialize_request(&key)?;
    Ok(KeyAndCsr { key_pem: key.serialize_pem(), csr_pem: csr.pem()? })
}

fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "traefikee");
    dn.push(DnType::CommonName, common_name);
    dn
}

fn random_serial() -> SerialNumber {
    let mut bytes: [u8; 16] = rand::random();
    // Positive, and never starting with a zero byte, so the DER encoding is exactly 16 bytes.
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::from_slice(&bytes)
}

fn window(validity: Validity) -> (OffsetDateTime, OffsetDateTime) {
    let now = OffsetDateTime::now_utc();
    // Tolerate clocks a little behind ours.
    (now - Duration::hours(1), now + Duration::days(validity.days))
}

impl CaBundle {
    /// Creates a new self-signed cluster CA.
    pub fn generate(cluster_name: &str, cluster_id: &str) -> Result<Self, PkiError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(&format!("traefikee cluster CA {cluster_name} {cluster_id}"));
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        params.serial_number = Some(random_serial());
        (params.not_before, params.not_after) = window(Validity::CA);
        let cert = params.self_signed(&key)?;
        Ok(CaBundle { cert_pem: cert.pem(), key_pem: key.serialize_pem() })
    }

    pub fn cert_der(&self) -> Result<Vec<u8>, PkiError> {
        crate::tls::parse_certs(&self.cert_pem)?
            .into_iter()
            .next()
            .map(|c| c.to_vec())
            .ok_or_else(|| PkiError::Pem { what: "CA certificate", reason: "no CERTIFICATE block".into() })
    }

    /// The pin a join token carries: sha256 of the CA's SubjectPublicKeyInfo.
    pub fn pin(&self) -> Result<CaPin, PkiError> {
        CaPin::of_cert_der(&self.cert_der()?)
    }

    fn issuer(&self) -> Result<Issuer<'static, KeyPair>, PkiError> {
        let key = KeyPair::from_pem(&self.key_pem)?;
        Ok(Issuer::from_ca_cert_pem(&self.cert_pem, key)?)
    }

    /// Signs the public key of `csr_pem` for `identity`. Whatever names the CSR asks for are
    /// ignored: the cluster decides what the certificate says.
    pub fn issue_for_csr(
        &self,
        csr_pem: &str,
        identity: &Identity,
        ips: &[IpAddr],
        validity: Validity,
    ) -> Result<IssuedCert, PkiError> {
        let csr = CertificateSigningRequestParams::from_pem(csr_pem)?;
        let params = self.leaf_params(identity, ips, validity)?;
        let cert = params.signed_by(&csr.public_key, &self.issuer()?)?;
        issued(cert.pem(), cert.der())
    }

    /// Issues a certificate and a new key for it (for credentials handed out as files).
    pub fn issue_with_new_key(
        &self,
        identity: &Identity,
        validity: Validity,
    ) -> Result<(IssuedCert, String), PkiError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let params = self.leaf_params(identity, &[], validity)?;
        let cert = params.signed_by(&key, &self.issuer()?)?;
        Ok((issued(cert.pem(), cert.der())?, key.serialize_pem()))
    }

    fn leaf_params(
        &self,
        identity: &Identity,
        ips: &[IpAddr],
        validity: Validity,
    ) -> Result<CertificateParams, PkiError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(&format!("{} {}", identity.role, identity.id));
        params.serial_number = Some(random_serial());
        (params.not_before, params.not_after) = window(validity);
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.subject_alt_names.push(SanType::URI(identity.uri().try_into()?));
        if identity.role == crate::Role::Controller {
            params.extended_key_usages.push(ExtendedKeyUsagePurpose::ServerAuth);
            params.subject_alt_names.push(SanType::DnsName(CONTROLLER_SERVER_NAME.try_into()?));
            params.subject_alt_names.extend(ips.iter().map(|ip| SanType::IpAddress(*ip)));
        }
        Ok(params)
    }
}

fn issued(cert_pem: String, der: &[u8]) -> Result<IssuedCert, PkiError> {
    let info = inspect_cert_der(der)?;
    Ok(IssuedCert { cert_pem, serial: info.serial, not_after: info.not_after })
}

/// sha256 of a CA's SubjectPublicKeyInfo, written `sha256:<hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaPin(pub [u8; 32]);

impl CaPin {
    pub fn of_cert_der(der: &[u8]) -> Result<Self, PkiError> {
        use x509_parser::prelude::{FromDer, X509Certificate};
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| PkiError::Certificate(e.to_string()))?;
        Ok(CaPin(Sha256::digest(cert.public_key().raw).into()))
    }
}

impl fmt::Display for CaPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

impl fmt::Debug for CaPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for CaPin {
    type Err = PkiError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex_part = s.strip_prefix("sha256:").unwrap_or(s);
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out).map_err(|_| PkiError::MalformedPin(s.to_string()))?;
        Ok(CaPin(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;

    #[test]
    fn issues_certificates_carrying_the_identity() {
        let ca = CaBundle::generate("test", "c1").unwrap();
        let req = new_key_and_csr("n1").unwrap();
        let id = Identity::new("c1", Role::Controller, "n1");
        let cert = ca.issue_for_csr(&req.csr_pem, &id, &["127.0.0.2".parse().unwrap()], Validity::NODE).unwrap();
        let info = crate::inspect_cert_pem(&cert.cert_pem).unwrap();
        assert_eq!(info.identity, id);
        assert_eq!(info.serial, cert.serial);
        assert_eq!(info.serial.len(), 32);
        assert!(info.not_after > OffsetDateTime::now_utc() + Duration::days(300));
    }

    #[test]
    fn two_certificates_get_distinct_serials() {
        let ca = CaBundle::generate("test", "c1").unwrap();
        let id = Identity::new("c1", Role::Operator, "alice");
        let (a, _) = ca.issue_with_new_key(&id, Validity::OPERATOR).unwrap();
        let (b, _) = ca.issue_with_new_key(&id, Validity::OPERATOR).unwrap();
        assert_ne!(a.serial, b.serial);
    }

    #[test]
    fn garbage_csr_is_refused() {
        let ca = CaBundle::generate("test", "c1").unwrap();
        let id = Identity::new("c1", Role::Proxy, "p");
        assert!(ca
            .issue_for_csr(
                "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
                &id,
                &[],
                Validity::NODE
            )
            .is_err());
        assert!(ca.issue_for_csr("hello", &id, &[], Validity::NODE).is_err());
    }

    #[test]
    fn pin_round_trips_and_differs_between_cas() {
        let a = CaBundle::generate("a", "c1").unwrap().pin().unwrap();
        let b = CaBundle::generate("b", "c2").unwrap().pin().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.to_string().parse::<CaPin>().unwrap(), a);
        assert!("sha256:zz".parse::<CaPin>().is_err());
    }
}
