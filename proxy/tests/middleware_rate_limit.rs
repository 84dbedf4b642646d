//! rateLimit, inFlightReq and ipAllowList through the engine, from a real client on 127.0.0.1.

mod common;

use common::*;

fn config(backend: &str, middleware: &str) -> String {
    format!(
        r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers: {{r: {{rule: "PathPrefix(`/`)", middlewares: [m], service: s}}}}
  middlewares: {{m: {middleware}}}
  services: {{s: {{loadBalancer: {{servers: [{{url: "{backend}"}}]}}}}}}
"#
    )
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy.apply(&config(&backend.url(), "{rateLimit: {average: 1, period: 1m, burst: 2}}")).await;
    let c = client();
    assert_eq!(get(&c, &proxy.url("web", "/"), "h").await.0, 200);
    assert_eq!(get(&c, &proxy.url("web", "/"), "h").await.0, 200);
    let (status, headers, body) = get(&c, &proxy.url("web", "/"), "h").await;
    assert_eq!((status, body.as_str()), (429, "Too Many Requests"));
    // One token a minute: the next one is about 60 s away.
    let retry_after: u64 = headers.get("retry-after").and_then(|v| v.to_str().ok()?.parse().ok()).unwrap_or(0);
    assert!((59..=60).contains(&retry_after), "{retry_after}");
    assert!(headers.get("x-retry-in").is_some());
}

#[tokio::test]
async fn in_flight_req_limits_concurrent_requests_per_host() {
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy.apply(&config(&backend.url(), "{inFlightReq: {amount: 1}}")).await;
    let c = client();
    let slow = tokio::spawn({
        let (c, url) = (c.clone(), proxy.url("web", "/slow/400"));
        async move { get(&c, &url, "a.example").await.0 }
    });
    eventually(std::time::Duration::from_secs(5), "the slow request to start", || async {
        (backend.hits.load(std::sync::atomic::Ordering::SeqCst) == 1).then_some(())
    })
    .await;
    let (status, _, body) = get(&c, &proxy.url("web", "/"), "a.example").await;
    assert_eq!((status, body.as_str()), (429, "max connections reached: 1"));
    assert_eq!(get(&c, &proxy.url("web", "/"), "b.example").await.0, 200, "another host is another source");
    assert_eq!(slow.await.expect("slow request"), 200);
    assert_eq!(get(&c, &proxy.url("web", "/"), "a.example").await.0, 200, "the slot is free again");
}

#[tokio::test]
async fn ip_allow_list_checks_the_client_address() {
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy.apply(&config(&backend.url(), "{ipAllowList: {sourceRange: [\"127.0.0.0/8\"]}}")).await;
    assert_eq!(get(&client(), &proxy.url("web", "/"), "h").await.0, 200);
    proxy.apply(&config(&backend.url(), "{ipAllowList: {sourceRange: [\"10.0.0.0/8\"], rejectStatusCode: 404}}")).await;
    let (status, _, body) = get(&client(), &proxy.url("web", "/"), "h").await;
    assert_eq!((status, body.as_str()), (404, "Not Found"));
}
