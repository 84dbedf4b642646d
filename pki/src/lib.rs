//! Identity and PKI for a traefikee cluster.
//!
//! Every cluster has its own ECDSA P-256 certificate authority. Each node and each operator
//! holds a certificate signed by it whose URI SAN names the cluster, the role and the holder
//! (`traefikee://<cluster-id>/<role>/<id>`), so every endpoint can check *what* is calling,
//! not just that the caller belongs to the cluster. Join tokens carry a pin of the CA so a
//! joining node authenticates the cluster before it sends its secret, as kubeadm does.

mod ca;
mod error;
mod identity;
pub mod tls;
mod token;

pub use ca::{csr_for_key, new_key_and_csr, CaBundle, CaPin, IssuedCert, KeyAndCsr, Validity};
pub use error::PkiError;
pub use identity::{inspect_cert_der, inspect_cert_pem, CertInfo, Identity, Role};
pub use token::{JoinToken, TokenRole};

/// Server name every controller certificate carries and every client asks for.
///
/// Clients reach controllers by IP, by DNS or through a VIP; none of those is stable enough to
/// pin in a certificate. Trust comes from the cluster CA and the role in the URI SAN instead.
pub const CONTROLLER_SERVER_NAME: &str = "controller.traefikee.internal";

#[cfg(test)]
mod handshake_tests;
