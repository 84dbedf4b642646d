//! An entry point's `transport.respondingTimeouts` bound what a slow or idle client can hold
//! (issue 12, item 3): headers sent slowly are cut after `readTimeout`, a keep-alive
//! connection with nothing in flight is closed after `idleTimeout`, and a request the client
//! keeps sending is served.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use traefikee_proxy::config::{load_document, Format};

/// How long the proxy took to close `stream`, if it did within `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let (_, closed) = read_until_closed(stream, limit).await;
    closed.then(|| started.elapsed())
}

#[tokio::test]
async fn slow_headers_and_idle_connections_are_closed_by_the_entry_points_timeouts() {
    let backend = Backend::start("app").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints:
  web:
    address: ":0"
    transport:
      respondingTimeouts: {{readTimeout: 1s, idleTimeout: 2s}}
http:
  routers:
    app: {{rule: "PathPrefix(`/`)", service: app}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
"#,
            backend.url()
        ))
        .await;
    let addr = proxy.addr("web");

    // Slowloris: half a request head, then nothing.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n").await.unwrap();
    let took = closed_within(&mut slow, Duration::from_secs(10)).await.expect("slow headers were never cut");
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(4), "cut after {took:?}");

    // Nothing at all after connecting: the same.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(10)).await.is_some(), "a silent connection stayed open");

    // A served keep-alive connection: closed once idle for idleTimeout.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").await.unwrap();
    let mut first = vec![0u8; 4096];
    let n = idle.read(&mut first).await.unwrap();
    assert!(
        String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&first[..n])
    );
    let took = closed_within(&mut idle, Duration::from_secs(15)).await.expect("an idle connection stayed open");
    assert!(took < Duration::from_secs(6), "idle connection closed after {took:?}");

    // The entry point still serves.
    let (status, _, body) = get(&client(), &proxy.url("web", "/"), "a").await;
    assert_eq!(status, 200);
    assert_eq!(json(&body)["backend"], "app");
}

/// `transport.lifeCycle` (Traefik's): after shutdown starts, `/ping` says 503 at once, new
/// requests are still accepted for `requestAcceptGraceTimeout` (load balancers take the node
/// out meanwhile), then the listener closes, and a configuration arriving meanwhile does not
/// open it again.
#[tokio::test]
async fn shutdown_keeps_accepting_for_the_request_accept_grace_timeout() {
    let backend = Backend::start("app").await;
    let proxy = std::sync::Arc::new(Proxy::start().await);
    proxy
        .apply(&format!(
            r#"
entryPoints:
  web:
    address: ":0"
    transport:
      lifeCycle: {{requestAcceptGraceTimeout: 5s, graceTimeOut: 1s}}
ping: {{entryPoint: web}}
http:
  routers:
    app: {{rule: "PathPrefix(`/app`)", service: app}}
  services:
    app: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
"#,
            backend.url()
        ))
        .await;
    let c = client();
    let url = proxy.url("web", "/app");
    let ping = proxy.url("web", "/ping");
    assert_eq!(get(&c, &ping, "x").await.0, 200);

    let started = Instant::now();
    let stopping = proxy.clone();
    let shutdown = tokio::spawn(async move { stopping.engine.shutdown().await });
    eventually(Duration::from_secs(2), "/ping to say 503", || {
        let (c, ping) = (c.clone(), ping.clone());
        async move { (get(&c, &ping, "x").await.0 == 503).then_some(()) }
    })
    .await;
    // Still routing, on new connections too, during the grace timeout.
    let fresh = client();
    assert_eq!(get(&fresh, &url, "x").await.0, 200);
    assert!(started.elapsed() < Duration::from_secs(5), "the check ran too late to mean anything");
    shutdown.await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(5), "stopped before the grace timeout: {:?}", started.elapsed());
    // Then the listener is closed.
    assert!(reqwest::get(&url).await.is_err(), "still accepting after shutdown");
    let late = load_document("entryPoints:\n  web:\n    address: \":0\"\n", Format::Yaml).unwrap();
    let err = proxy.engine.apply(late).await.unwrap_err();
    assert!(err.to_string().contains("shutting down"), "{err}");
    assert!(proxy.engine.local_addr("web").is_none(), "listening again after shutdown");
}
