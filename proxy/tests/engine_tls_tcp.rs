//! TLS termination (SNI, default certificate, TLS options) and TCP routing (HostSNI, TLS
//! termination, passthrough) through the engine.

mod common;

use std::sync::Arc;

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn https_client(pki: &Pki, names: &[&str], addr: std::net::SocketAddr) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).expect("ca"));
    for n in names {
        b = b.resolve(n, addr);
    }
    b.build().expect("client")
}

#[tokio::test]
async fn certificates_are_chosen_by_sni_with_a_generated_default() {
    let pki = Pki::new();
    let (a_cert, a_key, _, _) = pki.issue(&["a.example.com"], false);
    let (w_cert, w_key, _, _) = pki.issue(&["*.wild.example.com"], false);
    let backend = Backend::start("be").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{websecure: {{address: ":0"}}}}
http:
  routers:
    a: {{rule: "Host(`a.example.com`)", service: s, tls: {{}}}}
    w: {{rule: "HostRegexp(`^.+\\.wild\\.example\\.com$`)", service: s, tls: {{}}}}
  services:
    s: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
tls:
  certificates:
    - {{certFile: "{a_cert}", keyFile: "{a_key}"}}
    - {{certFile: "{w_cert}", keyFile: "{w_key}"}}
"#,
            backend.url()
        ))
        .await;
    let addr = proxy.addr("websecure");
    assert_eq!(tls_probe(addr, "a.example.com", false, None).await.cn, "a.example.com");
    assert_eq!(tls_probe(addr, "x.wild.example.com", false, None).await.cn, "*.wild.example.com");
    assert_eq!(tls_probe(addr, "unknown.example.com", false, None).await.cn, "TRAEFIK DEFAULT CERT");

    // HTTPS end to end, HTTP/2 by ALPN.
    let c = https_client(&pki, &["a.example.com", "x.wild.example.com"], addr);
    let resp = c.get(format!("https://a.example.com:{}/hello", addr.port())).send().await.expect("https");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let j = json(&resp.text().await.expect("body"));
    assert_eq!(j["headers"]["x-forwarded-proto"], "https");
    assert_eq!(j["headers"]["x-forwarded-port"], addr.port().to_string());
    let resp = c.get(format!("https://x.wild.example.com:{}/", addr.port())).send().await.expect("https");
    assert_eq!(resp.status(), 200);
    // A TLS request no router serves (HTTP/1.1, Host differs from the SNI): 404 over TLS.
    let h1 = reqwest::Client::builder()
        .no_proxy()
        .use_rustls_tls()
        .http1_only()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).expect("ca"))
        .resolve("a.example.com", addr)
        .build()
        .expect("client");
    let resp =
        h1.get(format!("https://a.example.com:{}/", addr.port())).header("host", "nope.example.com").send().await;
    assert_eq!(resp.expect("https").status(), 404);
}

#[tokio::test]
async fn default_certificate_from_the_store_and_sni_strict() {
    let pki = Pki::new();
    let (d_cert, d_key, _, _) = pki.issue(&["default.example.com"], false);
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{websecure: {{address: ":0"}}, strict: {{address: ":0"}}}}
http:
  routers:
    a: {{rule: "Host(`a.example.com`)", service: s, tls: {{}}, entryPoints: [websecure]}}
    b: {{rule: "Host(`b.example.com`)", service: s, tls: {{options: strict}}, entryPoints: [strict]}}
    c: {{rule: "PathPrefix(`/`)", service: s, tls: {{options: strict}}, entryPoints: [strict]}}
  services:
    s: {{loadBalancer: {{servers: [{{url: "http://127.0.0.1:1"}}]}}}}
tls:
  options:
    strict: {{sniStrict: true}}
  stores:
    default:
      defaultCertificate: {{certFile: "{d_cert}", keyFile: "{d_key}"}}
"#
        ))
        .await;
    let probe = tls_probe(proxy.addr("websecure"), "whatever.example.com", false, None).await;
    assert_eq!(probe.cn, "default.example.com");
    let probe = tls_probe(proxy.addr("strict"), "whatever.example.com", false, None).await;
    assert!(probe.result.is_err(), "sniStrict refuses an unknown name");
}

#[tokio::test]
async fn tls_options_min_version_and_client_auth_per_router() {
    let pki = Pki::new();
    let (a_cert, a_key, _, _) = pki.issue(&["modern.example.com", "mtls.example.com", "old.example.com"], false);
    let (_, _, client_cert, client_key) = pki.issue(&["client"], true);
    let other = Pki::new();
    let (_, _, rogue_cert, rogue_key) = other.issue(&["rogue"], true);
    let ca = pki.ca_path();
    let backend = Backend::start("be").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{websecure: {{address: ":0"}}}}
http:
  routers:
    modern: {{rule: "Host(`modern.example.com`)", service: s, tls: {{options: modern}}}}
    mtls: {{rule: "Host(`mtls.example.com`)", service: s, tls: {{options: mtls}}}}
    old: {{rule: "Host(`old.example.com`)", service: s, tls: {{}}}}
  services:
    s: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
tls:
  certificates: [{{certFile: "{a_cert}", keyFile: "{a_key}"}}]
  options:
    modern: {{minVersion: VersionTLS13}}
    mtls:
      clientAuth: {{caFiles: ["{ca}"], clientAuthType: RequireAndVerifyClientCert}}
"#,
            backend.url()
        ))
        .await;
    let addr = proxy.addr("websecure");
    assert!(tls_probe(addr, "modern.example.com", true, None).await.result.is_err(), "TLS 1.2 refused");
    let ok = tls_probe(addr, "modern.example.com", false, None).await;
    assert_eq!(ok.version, Some(rustls::ProtocolVersion::TLSv1_3));
    assert!(tls_probe(addr, "old.example.com", true, None).await.result.is_ok(), "default options allow TLS 1.2");

    assert!(tls_probe(addr, "mtls.example.com", false, None).await.result.is_err(), "no client certificate");
    assert!(
        tls_probe(addr, "mtls.example.com", false, Some((&rogue_cert, &rogue_key))).await.result.is_err(),
        "certificate from another CA"
    );
    let probe = tls_probe(addr, "mtls.example.com", false, Some((&client_cert, &client_key))).await;
    assert!(probe.result.is_ok(), "{:?}", probe.result);
}

/// A TLS server answering `tls:` + what it reads.
async fn tls_echo(pki: &Pki, name: &str) -> std::net::SocketAddr {
    use rustls::pki_types::pem::PemObject;
    let (_, _, cert, key) = pki.issue(&[name], false);
    let chain =
        rustls::pki_types::CertificateDer::pem_slice_iter(cert.as_bytes()).collect::<Result<Vec<_>, _>>().expect("c");
    let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("k");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("v")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("cert");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(s).await else { return };
                let mut buf = [0u8; 256];
                if let Ok(n) = tls.read(&mut buf).await {
                    let mut out = b"tls:".to_vec();
                    out.extend_from_slice(&buf[..n]);
                    let _ = tls.write_all(&out).await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    addr
}

async fn tls_roundtrip(pki: &Pki, addr: std::net::SocketAddr, sni: &str, msg: &[u8]) -> Result<Vec<u8>, String> {
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(pki.roots())
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::try_from(sni.to_owned()).map_err(|e| e.to_string())?;
    let mut tls = connector.connect(name, tcp).await.map_err(|e| e.to_string())?;
    tls.write_all(msg).await.map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 256];
    let n = tls.read(&mut buf).await.map_err(|e| e.to_string())?;
    buf.truncate(n);
    Ok(buf)
}

#[tokio::test]
async fn tcp_routers_host_sni_passthrough_and_termination_share_an_entry_point_with_https() {
    let pki = Pki::new();
    let (cert, key, _, _) = pki.issue(&["tcp.example.com", "web.example.com"], false);
    let passthrough = tls_echo(&pki, "pass.example.com").await;
    let clear = tcp_echo("clear").await;
    let plain = tcp_echo("plain").await;
    let backend = Backend::start("web").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints:
  websecure: {{address: ":0"}}
  raw: {{address: ":0"}}
http:
  routers:
    web: {{rule: "Host(`web.example.com`)", service: web, tls: {{}}, entryPoints: [websecure]}}
  services:
    web: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
tcp:
  routers:
    pass: {{rule: "HostSNI(`pass.example.com`)", service: pass, tls: {{passthrough: true}}, entryPoints: [websecure]}}
    term: {{rule: "HostSNI(`tcp.example.com`)", service: clear, tls: {{}}, entryPoints: [websecure]}}
    any: {{rule: "HostSNI(`*`)", service: plain, entryPoints: [raw]}}
  services:
    pass: {{loadBalancer: {{servers: [{{address: "{passthrough}"}}]}}}}
    clear: {{loadBalancer: {{servers: [{{address: "{clear}"}}]}}}}
    plain: {{loadBalancer: {{servers: [{{address: "{plain}"}}]}}}}
tls:
  certificates: [{{certFile: "{cert}", keyFile: "{key}"}}]
"#,
            backend.url()
        ))
        .await;
    let addr = proxy.addr("websecure");
    // Passthrough: the backend's own certificate (verified against the CA for its name).
    assert_eq!(tls_roundtrip(&pki, addr, "pass.example.com", b"hi").await, Ok(b"tls:hi".to_vec()));
    // Terminated by the proxy, clear bytes to the backend.
    assert_eq!(tls_roundtrip(&pki, addr, "tcp.example.com", b"yo").await, Ok(b"clear:yo".to_vec()));
    // HTTPS on the same entry point.
    let c = https_client(&pki, &["web.example.com"], addr);
    let resp = c.get(format!("https://web.example.com:{}/", addr.port())).send().await.expect("https");
    assert_eq!(resp.headers()["x-backend"], "web");
    // Plain TCP catch-all.
    let mut s = tokio::net::TcpStream::connect(proxy.addr("raw")).await.expect("connect");
    s.write_all(b"ping").await.expect("write");
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).await.expect("read");
    assert_eq!(&buf[..n], b"plain:ping");
}
