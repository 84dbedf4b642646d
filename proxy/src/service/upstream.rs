//! The connection pools to upstream servers: one hyper client per transport (HTTP/1.1 with
//! HTTP/2 upgrade by ALPN over TLS, cleartext HTTP/2 for `h2c://`), shared by every service of
//! every configuration version so that reloads keep warm connections.
//!
//! Defaults follow Traefik's default servers transport: dial timeout 30 s, idle connections
//! kept 90 s, up to 200 idle connections per host, no response header timeout.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::body::Body;

/// How upstream connections are made.
#[derive(Debug, Clone)]
pub struct UpstreamOptions {
    /// Time allowed to open a TCP connection (Traefik's `dialTimeout`, 30 s).
    pub dial_timeout: Duration,
    /// Time allowed for the response headers once the request is sent (`responseHeaderTimeout`,
    /// none by default).
    pub response_header_timeout: Option<Duration>,
    /// How long an idle pooled connection is kept (`idleConnTimeout`, 90 s).
    pub idle_timeout: Duration,
    /// Idle connections kept per host (`maxIdleConnsPerHost`, 200).
    pub max_idle_per_host: usize,
    /// Extra CA certificates (DER) trusted for `https://` servers, besides the system's.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Do not verify `https://` servers' certificates (Traefik's `insecureSkipVerify`).
    pub insecure_skip_verify: bool,
}

impl Default for UpstreamOptions {
    fn default() -> Self {
        UpstreamOptions {
            dial_timeout: Duration::from_secs(30),
            response_header_timeout: None,
            idle_timeout: Duration::from_secs(90),
            max_idle_per_host: 200,
            extra_roots: Vec::new(),
            insecure_skip_verify: false,
        }
    }
}

/// How a server is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `http://`: HTTP/1.1.
    Http,
    /// `h2c://`: HTTP/2 with prior knowledge, cleartext.
    H2c,
    /// `https://`: TLS, HTTP/2 or HTTP/1.1 by ALPN.
    Https,
}

/// Why an upstream exchange failed.
#[derive(Debug)]
pub enum UpstreamError {
    /// Connecting or waiting for the answer took too long.
    Timeout,
    /// Anything else: refused, reset, TLS or protocol failure.
    Failed(String),
}

/// The shared upstream clients.
#[derive(Clone)]
pub struct Upstream {
    http: Client<HttpConnector, Body>,
    h2c: Client<HttpConnector, Body>,
    https: Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>,
    response_header_timeout: Option<Duration>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream").finish_non_exhaustive()
    }
}

/// The system CA bundle, when the machine has one where Debian and most distributions put it.
fn system_roots() -> Vec<CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    for path in ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"] {
        if let Ok(iter) = CertificateDer::pem_file_iter(path) {
            let certs: Vec<_> = iter.filter_map(Result::ok).collect();
            if !certs.is_empty() {
                return certs;
            }
        }
    }
    Vec::new()
}

impl Upstream {
    /// Builds the clients.
    pub fn new(options: &UpstreamOptions) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(options.dial_timeout));
        connector.enforce_http(false);

        let builder = || {
            let mut b = Client::builder(TokioExecutor::new());
            b.pool_idle_timeout(options.idle_timeout)
                .pool_max_idle_per_host(options.max_idle_per_host)
                .pool_timer(TokioTimer::new())
                .timer(TokioTimer::new());
            b
        };
        let http = builder().build(connector.clone());
        let h2c = builder().http2_only(true).build(connector.clone());

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map(|b| {
                if options.insecure_skip_verify {
                    b.dangerous()
                        .with_custom_certificate_verifier(Arc::new(NoVerification(provider.clone())))
                        .with_no_client_auth()
                } else {
                    let mut roots = rustls::RootCertStore::empty();
                    roots.add_parsable_certificates(system_roots());
                    roots.add_parsable_certificates(options.extra_roots.iter().cloned());
                    b.with_root_certificates(roots).with_no_client_auth()
                }
            });
        let tls = match tls {
            Ok(tls) => tls,
            // The ring provider supports the default versions; keep a working client anyway.
            Err(_) => rustls::ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        };
        let https_connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(connector);
        let https = builder().build(https_connector);
        Upstream { http, h2c, https, response_header_timeout: options.response_header_timeout }
    }

    /// Sends `req` (absolute URI, `http` or `https` scheme) over `transport`.
    pub async fn send(
        &self,
        transport: Transport,
        req: http::Request<Body>,
    ) -> Result<http::Response<Incoming>, UpstreamError> {
        let fut = async {
            match transport {
                Transport::Http => self.http.request(req).await,
                Transport::H2c => self.h2c.request(req).await,
                Transport::Https => self.https.request(req).await,
            }
        };
        let result = match self.response_header_timeout {
            Some(limit) => tokio::time::timeout(limit, fut).await.map_err(|_| UpstreamError::Timeout)?,
            None => fut.await,
        };
        result.map_err(classify)
    }
}

fn classify(err: hyper_util::client::legacy::Error) -> UpstreamError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
    let mut message = err.to_string();
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::TimedOut {
                return UpstreamError::Timeout;
            }
        }
        if e.to_string().contains("timed out") || e.to_string().contains("timeout") {
            return UpstreamError::Timeout;
        }
        if !std::ptr::addr_eq(e, &err as &dyn std::error::Error) {
            message = format!("{message}: {e}");
        }
        source = e.source();
    }
    UpstreamError::Failed(message)
}

/// Accepts any server certificate: `insecureSkipVerify`.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
