//! The engine serving HTTP through real sockets: routing, error codes, forwarded headers,
//! services and middlewares.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test]
async fn routes_by_host_and_path_and_answers_404_otherwise() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints:
  web:
    address: ":0"
http:
  routers:
    a:
      rule: "Host(`a.example.com`)"
      service: a
    b:
      rule: "Host(`a.example.com`) && PathPrefix(`/b`)"
      service: b
  services:
    a:
      loadBalancer:
        servers: [{{url: "{}"}}]
    b:
      loadBalancer:
        servers: [{{url: "{}"}}]
"#,
            a.url(),
            b.url()
        ))
        .await;
    let c = client();
    let (status, headers, body) = get(&c, &proxy.url("web", "/x?q=1"), "a.example.com").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["x-backend"], "a");
    let j = json(&body);
    assert_eq!(j["uri"], "/x?q=1");
    assert_eq!(j["headers"]["host"], "a.example.com");
    assert_eq!(j["headers"]["x-forwarded-host"], "a.example.com");
    assert_eq!(j["headers"]["x-forwarded-proto"], "http");
    assert_eq!(j["headers"]["x-forwarded-for"], "127.0.0.1");
    assert_eq!(j["headers"]["x-real-ip"], "127.0.0.1");
    assert!(j["headers"]["x-forwarded-server"].is_string());

    let (_, headers, _) = get(&c, &proxy.url("web", "/b/c"), "A.Example.com:80").await;
    assert_eq!(headers["x-backend"], "b");

    let (status, headers, body) = get(&c, &proxy.url("web", "/"), "other.example.com").await;
    assert_eq!(status, 404);
    assert_eq!(body, "404 page not found\n");
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
}

#[tokio::test]
async fn error_codes_follow_traefik() {
    let closed = closed_port().await;
    let slow = Backend::start("slow").await;
    let mut options = traefikee_proxy::engine::EngineOptions::default();
    options.upstream.response_header_timeout = Some(Duration::from_millis(300));
    let proxy = Proxy::with_options(options).await;
    proxy
        .apply(&format!(
            r#"
entryPoints:
  web:
    address: ":0"
http:
  routers:
    refused:
      rule: "Path(`/refused`)"
      service: refused
    down:
      rule: "Path(`/down`)"
      service: down
    slow:
      rule: "PathPrefix(`/slow`)"
      service: slow
  services:
    refused:
      loadBalancer:
        servers: [{{url: "http://127.0.0.1:{closed}"}}]
    down:
      loadBalancer:
        servers: [{{url: "http://127.0.0.1:{closed}", weight: 0}}]
    slow:
      loadBalancer:
        servers: [{{url: "{}"}}]
"#,
            slow.url()
        ))
        .await;
    let c = client();
    let (status, _, body) = get(&c, &proxy.url("web", "/refused"), "x").await;
    assert_eq!((status, body.as_str()), (502, "Bad Gateway"));
    let (status, _, body) = get(&c, &proxy.url("web", "/down"), "x").await;
    assert_eq!((status, body.as_str()), (503, "no available server\n"));
    let (status, _, body) = get(&c, &proxy.url("web", "/slow/2000"), "x").await;
    assert_eq!((status, body.as_str()), (504, "Gateway Timeout"));
    // The proxy keeps serving after all of these.
    let (status, _, _) = get(&c, &proxy.url("web", "/slow/1"), "x").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn pass_host_header_false_sends_the_server_host() {
    let a = Backend::start("a").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints:
  web:
    address: ":0"
http:
  routers:
    r:
      rule: "PathPrefix(`/`)"
      service: s
  services:
    s:
      loadBalancer:
        passHostHeader: false
        servers: [{{url: "{}"}}]
"#,
            a.url()
        ))
        .await;
    let (_, _, body) = get(&client(), &proxy.url("web", "/"), "front.example.com").await;
    let j = json(&body);
    assert_eq!(j["headers"]["host"], a.addr.to_string());
    assert_eq!(j["headers"]["x-forwarded-host"], "front.example.com");
}
