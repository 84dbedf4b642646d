//! Test harness: real backends (hyper) and a real engine on 127.0.0.1 with ephemeral ports.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use traefikee_proxy::config::{load_document, Format};
use traefikee_proxy::engine::{AppliedConfig, Engine, EngineOptions};

/// A backend answering with a JSON description of the request it got.
///
/// - `/slow/<ms>` waits before answering;
/// - `/health` answers with the status in `health_status`;
/// - anything else answers 200.
pub struct Backend {
    pub addr: SocketAddr,
    pub name: String,
    pub health_status: Arc<AtomicU16>,
    pub hits: Arc<AtomicUsize>,
    pub health_hits: Arc<AtomicUsize>,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Backend {
    pub async fn start(name: &str) -> Backend {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind backend");
        let addr = listener.local_addr().expect("addr");
        let health_status = Arc::new(AtomicU16::new(200));
        let hits = Arc::new(AtomicUsize::new(0));
        let health_hits = Arc::new(AtomicUsize::new(0));
        let (stop, mut stop_rx) = tokio::sync::watch::channel(false);
        let (n, hs, h, hh) = (name.to_owned(), health_status.clone(), hits.clone(), health_hits.clone());
        tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    _ = stop_rx.changed() => return,
                    a = listener.accept() => match a { Ok(a) => a, Err(_) => continue },
                };
                let (n, hs, h, hh) = (n.clone(), hs.clone(), h.clone(), hh.clone());
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let (n, hs, h, hh) = (n.clone(), hs.clone(), h.clone(), hh.clone());
                        async move { Ok::<_, Infallible>(answer(&n, &hs, &h, &hh, req).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Backend { addr, name: name.to_owned(), health_status, hits, health_hits, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

async fn answer(
    name: &str,
    health: &AtomicU16,
    hits: &AtomicUsize,
    health_hits: &AtomicUsize,
    req: http::Request<hyper::body::Incoming>,
) -> http::Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    if path == "/health" {
        health_hits.fetch_add(1, Ordering::SeqCst);
        let status = health.load(Ordering::SeqCst);
        let mut resp = http::Response::new(Full::new(Bytes::from_static(b"health")));
        *resp.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
        return resp;
    }
    hits.fetch_add(1, Ordering::SeqCst);
    if let Some(ms) = path.strip_prefix("/slow/").and_then(|ms| ms.parse::<u64>().ok()) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let headers: serde_json::Map<String, serde_json::Value> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), serde_json::Value::from(v.to_str().unwrap_or("?"))))
        .collect();
    let version = format!("{:?}", req.version());
    let method = req.method().to_string();
    let uri = req.uri().to_string();
    let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let json = serde_json::json!({
        "backend": name,
        "method": method,
        "uri": uri,
        "version": version,
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    let mut resp = http::Response::new(Full::new(Bytes::from(json.to_string())));
    resp.headers_mut().insert("x-backend", http::HeaderValue::from_str(name).expect("name"));
    resp
}

/// An engine listening on 127.0.0.1.
pub struct Proxy {
    pub engine: Engine,
}

impl Proxy {
    pub async fn start() -> Proxy {
        Self::with_options(EngineOptions::default()).await
    }

    pub async fn with_options(mut options: EngineOptions) -> Proxy {
        options.listen_ip = Some("127.0.0.1".parse().expect("ip"));
        options.grace_period = Duration::from_secs(2);
        let engine = Engine::start(options).await.expect("engine starts");
        Proxy { engine }
    }

    pub async fn apply(&self, yaml: &str) -> AppliedConfig {
        let doc = load_document(yaml, Format::Yaml).unwrap_or_else(|e| panic!("invalid test config: {e}\n{yaml}"));
        self.engine.apply(doc).await.unwrap_or_else(|e| panic!("apply failed: {e}"))
    }

    pub fn addr(&self, ep: &str) -> SocketAddr {
        self.engine.local_addr(ep).unwrap_or_else(|| panic!("no entry point {ep}"))
    }

    pub fn url(&self, ep: &str, path: &str) -> String {
        format!("http://{}{path}", self.addr(ep))
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().expect("client")
}

pub fn h2_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .http2_prior_knowledge()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// GET `url` with Host `host`; returns status, headers and body.
pub async fn get(client: &reqwest::Client, url: &str, host: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let resp = client.get(url).header("host", host).send().await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    (status, headers, body)
}

pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Polls `check` until it returns `Some`, failing after `deadline`.
pub async fn eventually<T, F, Fut>(deadline: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = tokio::time::Instant::now() + deadline;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > end {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A TCP port on 127.0.0.1 with nothing listening.
pub async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    port
}

/// A test CA issuing server and client certificates, written to a temporary directory.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca_pem: String,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    count: std::cell::Cell<usize>,
}

impl Pki {
    pub fn new() -> Pki {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "traefikee test CA");
        let cert = params.self_signed(&key).expect("CA");
        let ca_pem = cert.pem();
        let issuer = rcgen::Issuer::from_ca_cert_pem(&ca_pem, key).expect("issuer");
        Pki { dir: tempfile::tempdir().expect("tempdir"), ca_pem, issuer, count: std::cell::Cell::new(0) }
    }

    /// Issues a certificate for `names` (first one is the CN); returns (cert path, key path,
    /// cert PEM, key PEM).
    pub fn issue(&self, names: &[&str], client: bool) -> (String, String, String, String) {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("params");
        params.distinguished_name.push(rcgen::DnType::CommonName, names.first().copied().unwrap_or("client"));
        params.extended_key_usages = vec![if client {
            rcgen::ExtendedKeyUsagePurpose::ClientAuth
        } else {
            rcgen::ExtendedKeyUsagePurpose::ServerAuth
        }];
        let cert = params.signed_by(&key, &self.issuer).expect("issue");
        let n = self.count.get();
        self.count.set(n + 1);
        let cert_path = self.dir.path().join(format!("cert{n}.pem"));
        let key_path = self.dir.path().join(format!("key{n}.pem"));
        std::fs::write(&cert_path, cert.pem()).expect("write cert");
        std::fs::write(&key_path, key.serialize_pem()).expect("write key");
        (cert_path.display().to_string(), key_path.display().to_string(), cert.pem(), key.serialize_pem())
    }

    pub fn ca_path(&self) -> String {
        let p = self.dir.path().join("ca.pem");
        std::fs::write(&p, &self.ca_pem).expect("write ca");
        p.display().to_string()
    }

    pub fn roots(&self) -> rustls::RootCertStore {
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        for c in rustls::pki_types::CertificateDer::pem_slice_iter(self.ca_pem.as_bytes()) {
            roots.add(c.expect("pem")).expect("root");
        }
        roots
    }
}

/// Records the server's certificate and accepts it.
#[derive(Debug)]
pub struct Capture(pub std::sync::Mutex<Vec<u8>>, std::sync::Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        *self.0.lock().expect("lock") = end_entity.to_vec();
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.1.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &rustls::pki_types::CertificateDer<'_>,
        d: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.1.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.1.signature_verification_algorithms.supported_schemes()
    }
}

pub struct TlsProbe {
    pub result: Result<(), String>,
    /// The server certificate's common name.
    pub cn: String,
    pub version: Option<rustls::ProtocolVersion>,
}

/// Opens a TLS connection to `addr` with `sni`, optionally only TLS 1.2 and with a client
/// certificate; reports the certificate presented.
pub async fn tls_probe(addr: SocketAddr, sni: &str, tls12_only: bool, client_cert: Option<(&str, &str)>) -> TlsProbe {
    use rustls::pki_types::pem::PemObject;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let capture = Arc::new(Capture(std::sync::Mutex::new(Vec::new()), provider.clone()));
    let versions: &[&'static rustls::SupportedProtocolVersion] =
        if tls12_only { &[&rustls::version::TLS12] } else { &[&rustls::version::TLS12, &rustls::version::TLS13] };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("versions")
        .dangerous()
        .with_custom_certificate_verifier(capture.clone());
    let config = match client_cert {
        Some((cert, key)) => {
            let chain = rustls::pki_types::CertificateDer::pem_slice_iter(cert.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .expect("cert");
            let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key");
            builder.with_client_auth_cert(chain, key).expect("client cert")
        }
        None => builder.with_no_client_auth(),
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let name = rustls::pki_types::ServerName::try_from(sni.to_owned()).expect("sni");
    let result = match connector.connect(name, tcp).await {
        Ok(mut tls) => {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let version = tls.get_ref().1.protocol_version();
            // A rejected client certificate shows up at the first read in TLS 1.3.
            let _ = tls.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
            let mut buf = Vec::new();
            let read = tls.read_to_end(&mut buf).await;
            let der = capture.0.lock().expect("lock").clone();
            let cn = cn_of(&der);
            return TlsProbe {
                result: if read.is_err() && buf.is_empty() { Err(format!("{read:?}")) } else { Ok(()) },
                cn,
                version,
            };
        }
        Err(e) => Err(e.to_string()),
    };
    let cn = cn_of(&capture.0.lock().expect("lock"));
    TlsProbe { result, cn, version: None }
}

pub fn cn_of(der: &[u8]) -> String {
    use x509_parser::prelude::*;
    let Ok((_, cert)) = X509Certificate::from_der(der) else { return String::new() };
    let cn = cert.subject().iter_common_name().next().and_then(|c| c.as_str().ok()).unwrap_or_default().to_owned();
    cn
}

/// A TCP echo server that prefixes replies with `name:`.
pub async fn tcp_echo(name: &'static str) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 {
                        return;
                    }
                    let mut out = format!("{name}:").into_bytes();
                    out.extend_from_slice(&buf[..n]);
                    if s.write_all(&out).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// Reads `stream` until the peer closes it (a reset counts as the close) or `limit` passes:
/// what was read, and whether the peer closed.
pub async fn read_until_closed(stream: &mut tokio::net::TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let closed = tokio::time::timeout(limit, async {
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut chunk).await {
            received.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .is_ok();
    (received, closed)
}
