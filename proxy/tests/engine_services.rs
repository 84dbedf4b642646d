//! Services through the engine: weighted round robin, health checks, sticky sessions,
//! weighted services, HTTP/2 upstreams and downstreams, WebSocket.

mod common;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use futures::{SinkExt, StreamExt};

async fn distribution(proxy: &Proxy, n: usize, cookie: Option<&str>) -> HashMap<String, usize> {
    let c = client();
    let mut seen = HashMap::new();
    for _ in 0..n {
        let mut req = c.get(proxy.url("web", "/")).header("host", "x");
        if let Some(cookie) = cookie {
            req = req.header("cookie", cookie);
        }
        let resp = req.send().await.expect("request");
        let backend = resp.headers().get("x-backend").map(|v| v.to_str().unwrap_or("?").to_owned()).unwrap_or_default();
        *seen.entry(backend).or_default() += 1;
    }
    seen
}

#[tokio::test]
async fn weighted_round_robin_follows_weights() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers: {{r: {{rule: "PathPrefix(`/`)", service: s}}}}
  services:
    s:
      loadBalancer:
        servers: [{{url: "{}", weight: 3}}, {{url: "{}", weight: 1}}]
"#,
            a.url(),
            b.url()
        ))
        .await;
    let seen = distribution(&proxy, 40, None).await;
    assert_eq!(seen.get("a"), Some(&30), "{seen:?}");
    assert_eq!(seen.get("b"), Some(&10), "{seen:?}");
}

#[tokio::test]
async fn unhealthy_servers_leave_the_rotation_and_come_back() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    let proxy = Proxy::with_options(traefikee_proxy::engine::EngineOptions {
        internal_address: Some("127.0.0.1:0".parse().expect("addr")),
        ..Default::default()
    })
    .await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers: {{r: {{rule: "PathPrefix(`/`)", service: s}}}}
  services:
    s:
      loadBalancer:
        healthCheck: {{path: /health, interval: 50ms, timeout: 1s}}
        servers: [{{url: "{}"}}, {{url: "{}"}}]
"#,
            a.url(),
            b.url()
        ))
        .await;
    assert_eq!(distribution(&proxy, 4, None).await.len(), 2);
    b.health_status.store(500, Ordering::SeqCst);
    let metrics_url = format!("http://{}/metrics", proxy.engine.internal_address().expect("internal"));
    let down = format!("traefik_service_server_up{{service=\"s@file\",url=\"{}\"}} 0", b.url());
    eventually(Duration::from_secs(5), "b marked down", || async {
        let text = client().get(&metrics_url).send().await.ok()?.text().await.ok()?;
        text.contains(&down).then_some(())
    })
    .await;
    let seen = distribution(&proxy, 10, None).await;
    assert_eq!(seen.get("a"), Some(&10), "{seen:?}");

    // All down: 503.
    a.health_status.store(503, Ordering::SeqCst);
    eventually(Duration::from_secs(5), "503 with no healthy server", || async {
        let (status, _, _) = get(&client(), &proxy.url("web", "/"), "x").await;
        (status == 503).then_some(())
    })
    .await;

    a.health_status.store(200, Ordering::SeqCst);
    b.health_status.store(200, Ordering::SeqCst);
    eventually(Duration::from_secs(5), "both back", || async {
        let seen = distribution(&proxy, 4, None).await;
        (seen.len() == 2).then_some(())
    })
    .await;
}

#[tokio::test]
async fn sticky_cookie_pins_the_server() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers: {{r: {{rule: "PathPrefix(`/`)", service: s}}}}
  services:
    s:
      loadBalancer:
        sticky: {{cookie: {{httpOnly: true, sameSite: strict}}}}
        servers: [{{url: "{}"}}, {{url: "{}"}}]
"#,
            a.url(),
            b.url()
        ))
        .await;
    let resp = client().get(proxy.url("web", "/")).send().await.expect("request");
    let backend = resp.headers()["x-backend"].to_str().expect("ascii").to_owned();
    let set_cookie = resp.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    assert!(set_cookie.contains("; Path=/; HttpOnly; SameSite=Strict"), "{set_cookie}");
    let name_value = set_cookie.split(';').next().expect("pair").to_owned();
    assert!(name_value.starts_with('_') && name_value.find('=') == Some(6), "Traefik's default name: {name_value}");
    let seen = distribution(&proxy, 10, Some(&name_value)).await;
    assert_eq!(seen.get(&backend), Some(&10), "{seen:?}");
}

#[tokio::test]
async fn weighted_services_split_between_services() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers: {{r: {{rule: "PathPrefix(`/`)", service: canary}}}}
  services:
    canary:
      weighted:
        services: [{{name: v1, weight: 1}}, {{name: v2, weight: 1}}]
    v1: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
    v2: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
"#,
            a.url(),
            b.url()
        ))
        .await;
    let seen = distribution(&proxy, 10, None).await;
    assert_eq!((seen.get("a"), seen.get("b")), (Some(&5), Some(&5)), "{seen:?}");
}

/// An HTTP/2-only backend (h2c prior knowledge).
async fn h2_backend() -> std::net::SocketAddr {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(|req: http::Request<hyper::body::Incoming>| async move {
                    let body = format!("{:?}", req.version());
                    Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                        bytes::Bytes::from(body),
                    )))
                });
                let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn h2c_upstreams_and_h2_downstreams() {
    let h2 = h2_backend().await;
    let a = Backend::start("a").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers:
    h2: {{rule: "Host(`h2.local`)", service: h2}}
    h1: {{rule: "Host(`h1.local`)", service: h1}}
  services:
    h2: {{loadBalancer: {{servers: [{{url: "h2c://{h2}"}}]}}}}
    h1: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
"#,
            a.url()
        ))
        .await;
    let (status, _, body) = get(&client(), &proxy.url("web", "/"), "h2.local").await;
    assert_eq!((status, body.as_str()), (200, "HTTP/2.0"));
    // HTTP/2 with prior knowledge to the proxy, HTTP/1.1 to the backend.
    let url = proxy.url("web", "/p").replace("127.0.0.1", "h1.local");
    let c = reqwest::Client::builder()
        .no_proxy()
        .http2_prior_knowledge()
        .resolve("h1.local", proxy.addr("web"))
        .build()
        .expect("client");
    let resp = c.get(url).send().await.expect("h2 request");
    assert_eq!(resp.version(), reqwest::Version::HTTP_2);
    let j = json(&resp.text().await.expect("body"));
    assert_eq!(j["version"], "HTTP/1.1");
    assert_eq!(j["uri"], "/p");
    assert!(j["headers"]["host"].as_str().is_some_and(|h| h.starts_with("h1.local")), "{j}");
}

/// A WebSocket echo backend.
async fn ws_backend() -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else { return };
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_text() && ws.send(msg).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn websocket_upgrades_are_proxied() {
    let ws = ws_backend().await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers: {{ws: {{rule: "Path(`/ws`)", service: ws}}}}
  services:
    ws: {{loadBalancer: {{servers: [{{url: "http://{ws}"}}]}}}}
"#
        ))
        .await;
    let url = format!("ws://{}/ws", proxy.addr("web"));
    let (mut socket, resp) = tokio_tungstenite::connect_async(url).await.expect("websocket handshake");
    assert_eq!(resp.status(), 101);
    for text in ["hello", "world"] {
        socket.send(tokio_tungstenite::tungstenite::Message::text(text)).await.expect("send");
        let echoed = socket.next().await.expect("message").expect("ok");
        assert_eq!(echoed.into_text().expect("text").as_str(), text);
    }
}

#[tokio::test]
async fn middleware_chain_runs_in_router_order() {
    let a = Backend::start("a").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers:
    r:
      rule: "PathPrefix(`/api`)"
      service: s
      middlewares: [strip, both]
    secure:
      rule: "PathPrefix(`/old`)"
      service: s
      middlewares: [to-https]
  middlewares:
    strip: {{stripPrefix: {{prefixes: [/api]}}}}
    add: {{addPrefix: {{prefix: /v2}}}}
    hdr:
      headers:
        customRequestHeaders: {{X-Team: blue}}
        customResponseHeaders: {{X-Served-By: traefikee}}
        frameDeny: true
    both: {{chain: {{middlewares: [add, hdr]}}}}
    to-https: {{redirectScheme: {{scheme: https, permanent: true}}}}
  services:
    s: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
"#,
            a.url()
        ))
        .await;
    let (status, headers, body) = get(&client(), &proxy.url("web", "/api/users"), "example.com").await;
    assert_eq!(status, 200);
    let j = json(&body);
    assert_eq!(j["uri"], "/v2/users");
    assert_eq!(j["headers"]["x-team"], "blue");
    assert_eq!(j["headers"]["x-forwarded-prefix"], "/api");
    assert_eq!(headers["x-served-by"], "traefikee");
    assert_eq!(headers["x-frame-options"], "DENY");

    let c = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let (status, headers, _) = get(&c, &proxy.url("web", "/old?x=1"), "example.com").await;
    assert_eq!(status, 301);
    assert_eq!(headers["location"], "https://example.com/old?x=1");
}
