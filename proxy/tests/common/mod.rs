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
