//! TLS termination as Traefik does it: certificates from `tls.certificates` chosen by SNI
//! (exact name, then one-label wildcard), the `default` store's certificate otherwise, and a
//! generated self-signed "TRAEFIK DEFAULT CERT" when none is configured; `tls.options` turned
//! into rustls server configurations (versions, cipher suites, curves, client authentication,
//! `sniStrict`, ALPN).
//!
//! Only the ring crypto provider is used. Go cipher suite names map to rustls suites; TLS 1.3
//! suites are always enabled (Go does not let them be configured either).

pub mod client_hello;

use std::collections::HashMap;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;

use crate::config::{Certificate, FileOrContent, TlsConfig, TlsOptions};

/// The name of the TLS options used when a router names none.
pub const DEFAULT_OPTIONS: &str = "default";

/// Why the TLS part of a configuration cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct TlsBuildError {
    /// Key path of the offending entry.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn err(path: impl Into<String>, message: impl Into<String>) -> TlsBuildError {
    TlsBuildError { path: path.into(), message: message.into() }
}

fn provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// A certificate with its key, ready for rustls, and the names it serves.
#[derive(Debug, Clone)]
pub struct LoadedCert {
    /// rustls' certified key.
    pub key: Arc<CertifiedKey>,
    /// DNS names (SANs, or the CN without SANs), lower-cased.
    pub names: Vec<String>,
}

/// Reads a certificate chain and its key (paths or inline PEM).
pub fn load_cert(path: &str, cert: &FileOrContent, key: &FileOrContent) -> Result<LoadedCert, TlsBuildError> {
    let cert_pem = cert.read().map_err(|e| err(format!("{path}.certFile"), format!("reading {:?}: {e}", cert.0)))?;
    let key_pem = key.read().map_err(|e| err(format!("{path}.keyFile"), format!("reading {:?}: {e}", key.0)))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| err(format!("{path}.certFile"), format!("invalid PEM: {e}")))?;
    if chain.is_empty() {
        return Err(err(format!("{path}.certFile"), "no certificate found in the PEM data"));
    }
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| err(format!("{path}.keyFile"), format!("no private key found: {e}")))?;
    certified(chain, key_der).map_err(|m| err(path, m))
}

fn certified(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<LoadedCert, String> {
    let names = chain.first().map(|leaf| dns_names(leaf)).unwrap_or_default();
    let signing = provider().key_provider.load_private_key(key).map_err(|e| format!("unusable private key: {e}"))?;
    let key = CertifiedKey::new(chain, signing);
    if let Err(e) = key.keys_match() {
        if !matches!(e, rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) {
            return Err(format!("the private key does not match the certificate: {e}"));
        }
    }
    Ok(LoadedCert { key: Arc::new(key), names })
}

/// The DNS names a certificate is valid for: its SANs, or its CN when it has none.
fn dns_names(leaf: &CertificateDer<'_>) -> Vec<String> {
    use x509_parser::prelude::*;
    let Ok((_, cert)) = X509Certificate::from_der(leaf.as_ref()) else { return Vec::new() };
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            if let GeneralName::DNSName(n) = name {
                names.push(n.to_ascii_lowercase());
            }
        }
    }
    if names.is_empty() {
        for cn in cert.subject().iter_common_name() {
            if let Ok(cn) = cn.as_str() {
                names.push(cn.to_ascii_lowercase());
            }
        }
    }
    names
}

/// Traefik's generated default certificate: self-signed, CN "TRAEFIK DEFAULT CERT", with a
/// random name under `.traefik.default` as SAN.
pub fn generate_default_cert() -> Result<LoadedCert, String> {
    let mut random = [0u8; 16];
    let _ = ring_fill(&mut random);
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let san = format!("{}.{}.traefik.default", &hex[..16], &hex[16..]);
    let mut params = rcgen::CertificateParams::new(vec![san]).map_err(|e| e.to_string())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, "TRAEFIK DEFAULT CERT");
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(365);
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let key_der = PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| e.to_string())?;
    certified(vec![cert.der().clone()], key_der)
}

fn ring_fill(buf: &mut [u8]) -> Result<(), ()> {
    provider().secure_random.fill(buf).map_err(|_| ())
}

/// Certificates by name.
#[derive(Debug)]
pub struct CertStore {
    exact: HashMap<String, Arc<CertifiedKey>>,
    /// Keyed by the part after `*`: `.example.com`.
    wildcard: HashMap<String, Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
}

impl CertStore {
    /// Loads `tls.certificates` and the default store's certificate; `generated` is the default
    /// when the configuration has none.
    pub fn build(tls: &TlsConfig, generated: &LoadedCert) -> Result<Self, Vec<TlsBuildError>> {
        let mut errors = Vec::new();
        let mut exact = HashMap::new();
        let mut wildcard = HashMap::new();
        for (i, entry) in tls.certificates.iter().enumerate() {
            match load_cert(&format!("tls.certificates[{i}]"), &entry.cert_file, &entry.key_file) {
                Ok(loaded) => {
                    for name in &loaded.names {
                        match name.strip_prefix('*') {
                            Some(suffix) => wildcard.entry(suffix.to_owned()).or_insert_with(|| loaded.key.clone()),
                            None => exact.entry(name.clone()).or_insert_with(|| loaded.key.clone()),
                        };
                    }
                }
                Err(e) => errors.push(e),
            }
        }
        let default = match tls.stores.get("default").and_then(|s| s.default_certificate.as_ref()) {
            Some(Certificate { cert_file, key_file }) => {
                match load_cert("tls.stores.default.defaultCertificate", cert_file, key_file) {
                    Ok(loaded) => loaded.key,
                    Err(e) => {
                        errors.push(e);
                        generated.key.clone()
                    }
                }
            }
            None => generated.key.clone(),
        };
        if errors.is_empty() {
            Ok(CertStore { exact, wildcard, default })
        } else {
            Err(errors)
        }
    }

    /// The certificate for `server_name`, if one matches it.
    pub fn lookup(&self, server_name: &str) -> Option<Arc<CertifiedKey>> {
        let name = server_name.trim_end_matches('.').to_ascii_lowercase();
        if let Some(k) = self.exact.get(&name) {
            return Some(k.clone());
        }
        let dot = name.find('.')?;
        self.wildcard.get(&name[dot..]).cloned()
    }

    /// The default certificate.
    pub fn default_cert(&self) -> Arc<CertifiedKey> {
        self.default.clone()
    }
}

/// Picks the certificate by SNI.
#[derive(Debug)]
struct SniResolver {
    store: Arc<CertStore>,
    strict: bool,
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        match hello.server_name() {
            Some(name) => self.store.lookup(name).or_else(|| (!self.strict).then(|| self.store.default_cert())),
            None if self.strict => None,
            None => Some(self.store.default_cert()),
        }
    }
}

/// Go cipher suite names (and their aliases) for rustls' TLS 1.2 suites.
fn rustls_suite_name(go: &str) -> Option<&'static str> {
    Some(match go {
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305" | "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" => {
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        }
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305" | "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" => {
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
        }
        _ => return None,
    })
}

/// Builds the rustls configuration of one `tls.options` entry.
pub fn server_config(
    name: &str,
    options: &TlsOptions,
    store: &Arc<CertStore>,
) -> Result<Arc<ServerConfig>, TlsBuildError> {
    let path = format!("tls.options.{name}");
    let mut provider = provider();
    if !options.cipher_suites.is_empty() {
        let mut wanted = Vec::new();
        for (i, go) in options.cipher_suites.iter().enumerate() {
            if go.starts_with("TLS_AES_") || go.starts_with("TLS_CHACHA20_") {
                continue; // TLS 1.3 suites: always on, as in Go.
            }
            let rustls_name = rustls_suite_name(go).ok_or_else(|| {
                err(format!("{path}.cipherSuites[{i}]"), format!("{go} is not supported by traefikee's TLS stack"))
            })?;
            wanted.push(rustls_name);
        }
        provider.cipher_suites.retain(|s| match s {
            rustls::SupportedCipherSuite::Tls13(_) => true,
            rustls::SupportedCipherSuite::Tls12(_) => {
                let name = format!("{:?}", s.suite());
                wanted.contains(&name.as_str())
            }
        });
    }
    if !options.curve_preferences.is_empty() {
        let all = provider.kx_groups.clone();
        let mut groups = Vec::new();
        for curve in &options.curve_preferences {
            let wanted = match curve.as_str() {
                "CurveP256" | "secp256r1" => rustls::NamedGroup::secp256r1,
                "CurveP384" | "secp384r1" => rustls::NamedGroup::secp384r1,
                "X25519" | "x25519" => rustls::NamedGroup::X25519,
                other => return Err(err(format!("{path}.curvePreferences"), format!("unsupported curve {other:?}"))),
            };
            if let Some(g) = all.iter().find(|g| g.name() == wanted) {
                groups.push(*g);
            }
        }
        provider.kx_groups = groups;
    }
    let version_index = |v: Option<&str>| match v {
        Some("VersionTLS13") => 1,
        _ => 0,
    };
    let min = version_index(options.min_version.as_deref());
    let max = match options.max_version.as_deref() {
        Some("VersionTLS12") => 0,
        _ => 1,
    };
    let all_versions: [&'static rustls::SupportedProtocolVersion; 2] =
        [&rustls::version::TLS12, &rustls::version::TLS13];
    let versions: Vec<&'static rustls::SupportedProtocolVersion> =
        all_versions.iter().enumerate().filter(|(i, _)| *i >= min && *i <= max).map(|(_, v)| *v).collect();
    if versions.is_empty() {
        return Err(err(format!("{path}.minVersion"), "is above maxVersion"));
    }
    let provider = Arc::new(provider);
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| err(path.clone(), format!("invalid TLS settings: {e}")))?;

    let client_auth = options.client_auth.as_ref();
    let ca_files = client_auth.map(|c| c.ca_files.as_slice()).unwrap_or_default();
    let auth_type = client_auth
        .and_then(|c| c.client_auth_type.as_deref())
        .filter(|t| !t.is_empty())
        .unwrap_or(if ca_files.is_empty() { "NoClientCert" } else { "RequireAndVerifyClientCert" });
    let roots = || -> Result<Arc<rustls::RootCertStore>, TlsBuildError> {
        let mut roots = rustls::RootCertStore::empty();
        for (i, ca) in ca_files.iter().enumerate() {
            let p = format!("{path}.clientAuth.caFiles[{i}]");
            let pem = ca.read().map_err(|e| err(p.clone(), format!("reading {:?}: {e}", ca.0)))?;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| err(p.clone(), format!("invalid PEM: {e}")))?;
                roots.add(cert).map_err(|e| err(p.clone(), format!("unusable CA certificate: {e}")))?;
            }
        }
        Ok(Arc::new(roots))
    };
    let verifier: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>> = match auth_type {
        "NoClientCert" => None,
        "RequestClientCert" => Some(Arc::new(AnyClientCert { provider: provider.clone(), mandatory: false })),
        "RequireAnyClientCert" => Some(Arc::new(AnyClientCert { provider: provider.clone(), mandatory: true })),
        "VerifyClientCertIfGiven" | "RequireAndVerifyClientCert" => {
            let mut b = WebPkiClientVerifier::builder_with_provider(roots()?, provider.clone());
            if auth_type == "VerifyClientCertIfGiven" {
                b = b.allow_unauthenticated();
            }
            Some(b.build().map_err(|e| err(format!("{path}.clientAuth"), e.to_string()))?)
        }
        other => return Err(err(format!("{path}.clientAuth.clientAuthType"), format!("unknown type {other:?}"))),
    };
    let builder = match verifier {
        Some(v) => builder.with_client_cert_verifier(v),
        None => builder.with_no_client_auth(),
    };
    let resolver = Arc::new(SniResolver { store: store.clone(), strict: options.sni_strict == Some(true) });
    let mut config = builder.with_cert_resolver(resolver);
    config.alpn_protocols = if options.alpn_protocols.is_empty() {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        options.alpn_protocols.iter().filter(|p| *p != "acme-tls/1").map(|p| p.as_bytes().to_vec()).collect()
    };
    Ok(Arc::new(config))
}

/// Asks for (and optionally requires) a client certificate without verifying it:
/// Go's `RequestClientCert` and `RequireAnyClientCert`.
#[derive(Debug)]
struct AnyClientCert {
    provider: Arc<CryptoProvider>,
    mandatory: bool,
}

impl rustls::server::danger::ClientCertVerifier for AnyClientCert {
    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn verify_client_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        Ok(rustls::server::danger::ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Every `tls.options` entry (and `default`, implicit when not configured) as a server
/// configuration sharing one certificate store.
#[derive(Debug)]
pub struct TlsRuntime {
    /// The certificates.
    pub store: Arc<CertStore>,
    configs: HashMap<String, Arc<ServerConfig>>,
}

impl TlsRuntime {
    /// Builds the TLS runtime of a configuration.
    pub fn build(tls: &TlsConfig, generated: &LoadedCert) -> Result<Self, Vec<TlsBuildError>> {
        let store = Arc::new(CertStore::build(tls, generated)?);
        let mut configs = HashMap::new();
        let mut errors = Vec::new();
        if !tls.options.contains_key(DEFAULT_OPTIONS) {
            match server_config(DEFAULT_OPTIONS, &TlsOptions::default(), &store) {
                Ok(c) => {
                    configs.insert(DEFAULT_OPTIONS.to_owned(), c);
                }
                Err(e) => errors.push(e),
            }
        }
        for (name, options) in &tls.options {
            match server_config(name, options, &store) {
                Ok(c) => {
                    configs.insert(name.clone(), c);
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(TlsRuntime { store, configs })
        } else {
            Err(errors)
        }
    }

    /// The server configuration of the options named `name` (the default one when unknown).
    pub fn config(&self, name: &str) -> Option<Arc<ServerConfig>> {
        self.configs.get(name).or_else(|| self.configs.get(DEFAULT_OPTIONS)).cloned()
    }
}
