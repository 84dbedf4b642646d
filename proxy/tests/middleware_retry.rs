//! retry through the engine: a load balancer with a dead server (refusing connections) and a
//! live one; requests, bodies included, reach the live one on the next try.

mod common;

use std::sync::atomic::Ordering;

use common::*;

fn config(dead: u16, live: &str, attempts: Option<u32>) -> String {
    let (middlewares, defs) = match attempts {
        Some(n) => (
            "middlewares: [again], ".to_owned(),
            format!("  middlewares: {{again: {{retry: {{attempts: {n}, initialInterval: 10ms}}}}}}\n"),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers: {{r: {{rule: "PathPrefix(`/`)", {middlewares}service: s}}}}
{defs}  services:
    s:
      loadBalancer:
        servers: [{{url: "http://127.0.0.1:{dead}"}}, {{url: "{live}"}}]
"#
    )
}

#[tokio::test]
async fn refused_connections_are_retried_on_the_next_server() {
    let dead = closed_port().await;
    let live = Backend::start("live").await;
    let proxy = Proxy::start().await;

    // Without retry, round robin sends every other request to the dead server.
    proxy.apply(&config(dead, &live.url(), None)).await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(get(&client(), &proxy.url("web", "/"), "h").await.0);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 502).count(), 2, "{statuses:?}");

    proxy.apply(&config(dead, &live.url(), Some(2))).await;
    let before = live.hits.load(Ordering::SeqCst);
    for i in 0..6 {
        let body = format!("payload {i}");
        let resp = client().post(proxy.url("web", "/echo")).header("host", "h").body(body.clone()).send().await;
        let resp = resp.expect("request");
        assert_eq!(resp.status(), 200, "request {i}");
        let echoed = json(&resp.text().await.expect("body"));
        assert_eq!(echoed["body"], body.as_str(), "the body is replayed on the retry");
    }
    assert_eq!(live.hits.load(Ordering::SeqCst) - before, 6);
}

#[tokio::test]
async fn attempts_run_out_when_every_server_is_down() {
    let dead = closed_port().await;
    let also_dead = closed_port().await;
    let proxy = Proxy::start().await;
    proxy.apply(&config(dead, &format!("http://127.0.0.1:{also_dead}"), Some(3))).await;
    let (status, _, body) = get(&client(), &proxy.url("web", "/"), "h").await;
    assert_eq!((status, body.as_str()), (502, "Bad Gateway"));
}

#[tokio::test]
async fn answers_from_an_upstream_are_not_retried() {
    let live = Backend::start("live").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers: {{r: {{rule: "PathPrefix(`/`)", middlewares: [again], service: s}}}}
  middlewares: {{again: {{retry: {{attempts: 4}}}}}}
  services: {{s: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}}}
"#,
            live.url()
        ))
        .await;
    // The backend's health endpoint answers 500 on demand: an upstream answer, never retried.
    live.health_status.store(500, Ordering::SeqCst);
    let (status, _, _) = get(&client(), &proxy.url("web", "/health"), "h").await;
    assert_eq!(status, 500);
    assert_eq!(live.health_hits.load(Ordering::SeqCst), 1);
}
