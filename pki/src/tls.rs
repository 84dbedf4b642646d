//! rustls configurations for the cluster port, the API and their clients.
//!
//! Servers present `[node certificate, CA certificate]`. Clients never check host names:
//! controllers are reached by IP, DNS name or VIP alike. They check instead that the chain
//! ends at the cluster CA (or, while joining, at a CA whose key matches the token's pin) and
//! that the certificate's URI SAN says "controller" of the expected cluster.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};

use crate::{inspect_cert_der, CaPin, CertInfo, PkiError, Role};

/// The crypto provider every configuration here uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Parses every CERTIFICATE block of a PEM text.
pub fn parse_certs(pem: &str) -> Result<Vec<CertificateDer<'static>>, PkiError> {
    let certs: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem.as_bytes()).collect();
    let certs = certs.map_err(|e| PkiError::Pem { what: "certificate", reason: e.to_string() })?;
    if certs.is_empty() {
        return Err(PkiError::Pem { what: "certificate", reason: "no CERTIFICATE block found".into() });
    }
    Ok(certs)
}

/// Parses the private key of a PEM text.
pub fn parse_key(pem: &str) -> Result<PrivateKeyDer<'static>, PkiError> {
    PrivateKeyDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| PkiError::Pem { what: "private key", reason: e.to_string() })
}

fn roots(ca_pem: &str) -> Result<RootCertStore, PkiError> {
    let mut roots = RootCertStore::empty();
    for cert in parse_certs(ca_pem)? {
        roots.add(cert).map_err(|e| PkiError::Certificate(e.to_string()))?;
    }
    Ok(roots)
}

/// Whether a server insists on a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// Every caller must present a certificate signed by the cluster CA (the API).
    Required,
    /// Callers may come without one (the cluster port, where the join endpoint authenticates
    /// by token); each endpoint checks the role it needs.
    Optional,
}

/// A server configuration for a controller.
pub fn server_config(
    ca_pem: &str,
    cert_pem: &str,
    key_pem: &str,
    client_auth: ClientAuth,
) -> Result<Arc<ServerConfig>, PkiError> {
    let provider = provider();
    let builder = WebPkiClientVerifier::builder_with_provider(Arc::new(roots(ca_pem)?), provider.clone());
    let builder = match client_auth {
        ClientAuth::Required => builder,
        ClientAuth::Optional => builder.allow_unauthenticated(),
    };
    let verifier = builder.build().map_err(|e| PkiError::Certificate(e.to_string()))?;
    let mut chain = parse_certs(cert_pem)?;
    chain.extend(parse_certs(ca_pem)?);
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, parse_key(key_pem)?)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// How a client decides it is talking to a controller of the right cluster.
#[derive(Debug, Clone)]
pub enum ServerTrust {
    /// Chain to this CA, and, when given, belong to this cluster id.
    Cluster { ca_pem: String, cluster_id: Option<String> },
    /// Present a CA whose public key has this pin (joining with a token).
    Pin(CaPin),
}

/// A client configuration: trust as given, and a client certificate when one is given.
pub fn client_config(trust: ServerTrust, client: Option<(&str, &str)>) -> Result<Arc<ClientConfig>, PkiError> {
    let provider = provider();
    let verifier = Arc::new(ControllerVerifier::new(trust, provider.clone())?);
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client {
        Some((cert_pem, key_pem)) => builder.with_client_auth_cert(parse_certs(cert_pem)?, parse_key(key_pem)?)?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// What a server learned of its peer during the handshake: `None` for a caller without a
/// certificate. The chain was already verified against the CA by rustls.
pub fn peer_info(peer_certs: Option<&[CertificateDer<'_>]>) -> Option<Result<CertInfo, PkiError>> {
    peer_certs.and_then(|c| c.first()).map(|leaf| inspect_cert_der(leaf))
}

#[derive(Debug)]
struct ControllerVerifier {
    trust: ServerTrust,
    roots: Option<RootCertStore>,
    provider: Arc<CryptoProvider>,
}

impl ControllerVerifier {
    fn new(trust: ServerTrust, provider: Arc<CryptoProvider>) -> Result<Self, PkiError> {
        let roots = match &trust {
            ServerTrust::Cluster { ca_pem, .. } => Some(roots(ca_pem)?),
            ServerTrust::Pin(_) => None,
        };
        Ok(ControllerVerifier { trust, roots, provider })
    }
}

fn bad_cert(msg: impl Into<String>) -> rustls::Error {
    rustls::Error::General(msg.into())
}

impl ServerCertVerifier for ControllerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let pinned;
        let roots = match (&self.trust, &self.roots) {
            (ServerTrust::Cluster { .. }, Some(roots)) => roots,
            (ServerTrust::Pin(pin), _) => {
                let ca = intermediates
                    .iter()
                    .find(|c| CaPin::of_cert_der(c).map(|p| p == *pin).unwrap_or(false))
                    .ok_or_else(|| {
                        bad_cert(format!(
                            "the cluster's CA does not match the pin in the token ({pin}); the token belongs to another cluster or the address is not a traefikee controller"
                        ))
                    })?;
                let mut store = RootCertStore::empty();
                store.add(ca.clone().into_owned())?;
                pinned = store;
                &pinned
            }
            (ServerTrust::Cluster { .. }, None) => return Err(bad_cert("no trust anchors")),
        };
        // Identity first, for a clear message; it is trusted only once the chain verifies.
        let info = inspect_cert_der(end_entity).map_err(|e| bad_cert(e.to_string()))?;
        if info.identity.role != Role::Controller {
            return Err(bad_cert(format!(
                "the server's certificate is a {} certificate, not a controller's",
                info.identity.role
            )));
        }
        if let ServerTrust::Cluster { cluster_id: Some(want), .. } = &self.trust {
            if &info.identity.cluster_id != want {
                return Err(bad_cert(format!(
                    "the server belongs to cluster {}, not {want}",
                    info.identity.cluster_id
                )));
            }
        }
        let leaf = rustls::server::ParsedCertificate::try_from(end_entity)?;
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &leaf,
            roots,
            intermediates,
            now,
            self.provider.signature_verification_algorithms.all,
        )?;
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
