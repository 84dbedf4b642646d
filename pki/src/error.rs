use thiserror::Error;

/// Everything that can go wrong while handling keys, certificates and tokens.
#[derive(Debug, Error)]
pub enum PkiError {
    #[error("could not generate a key or certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("not a valid PEM {what}: {reason}")]
    Pem { what: &'static str, reason: String },
    #[error("not a valid certificate: {0}")]
    Certificate(String),
    #[error("the certificate carries no traefikee identity (no traefikee:// URI SAN)")]
    NoIdentity,
    #[error("invalid traefikee identity {uri:?}: {reason}")]
    BadIdentity { uri: String, reason: String },
    #[error("malformed join token: {0}")]
    MalformedToken(String),
    #[error("malformed CA pin {0:?}: expected sha256:<64 hex digits>")]
    MalformedPin(String),
    #[error("TLS configuration: {0}")]
    Tls(#[from] rustls::Error),
}
