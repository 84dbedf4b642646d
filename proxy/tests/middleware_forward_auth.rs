//! forwardAuth through the engine, with a real authentication server and a real backend on
//! 127.0.0.1: what the authentication server sees, what goes on to the backend, what comes
//! back to the client.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// What the authentication server received.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    headers: http::HeaderMap,
    body: Bytes,
}

/// An authentication server deciding on `X-Forwarded-Uri`: `/ok...` passes, `/denied` is
/// refused with 403, `/redirect` is sent to a relative login page.
async fn auth_server() -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { continue };
            let log = log.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let log = log.clone();
                    async move { Ok::<_, Infallible>(decide(log, req).await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, seen)
}

async fn decide(log: Arc<Mutex<Vec<Seen>>>, req: http::Request<hyper::body::Incoming>) -> http::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    let uri = parts.headers.get("x-forwarded-uri").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    log.lock().expect("log").push(Seen {
        method: parts.method.to_string(),
        uri: parts.uri.to_string(),
        headers: parts.headers.clone(),
        body,
    });
    let mut resp = http::Response::new(Full::new(Bytes::new()));
    let status = if uri.starts_with("/ok") {
        http::StatusCode::OK
    } else if uri.starts_with("/redirect") {
        http::StatusCode::FOUND
    } else {
        *resp.body_mut() = Full::new(Bytes::from_static(b"nope"));
        http::StatusCode::FORBIDDEN
    };
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    if uri.starts_with("/ok") {
        h.insert("x-auth-user", http::HeaderValue::from_static("alice"));
        h.insert("x-auth-role-admin", http::HeaderValue::from_static("yes"));
        h.insert("x-not-copied", http::HeaderValue::from_static("secret"));
        h.append("set-cookie", http::HeaderValue::from_static("auth_sid=s1; Path=/"));
        h.append("set-cookie", http::HeaderValue::from_static("auth_other=o1"));
    } else if uri.starts_with("/redirect") {
        h.insert("location", http::HeaderValue::from_static("/login?next=%2F"));
    } else {
        h.insert("x-reason", http::HeaderValue::from_static("not on the list"));
    }
    resp
}

fn config(auth: &str, backend: &str, options: &str) -> String {
    format!(
        r#"
entryPoints: {{web: {{address: ":0", forwardedHeaders: {{insecure: true}}}}}}
http:
  routers: {{r: {{rule: "PathPrefix(`/`)", service: s, middlewares: [auth]}}}}
  middlewares:
    auth:
      forwardAuth:
        address: "{auth}"
{options}
  services: {{s: {{loadBalancer: {{servers: [{{url: "{backend}"}}]}}}}}}
"#
    )
}

#[tokio::test]
async fn a_2xx_lets_the_request_through_with_the_auth_headers() {
    let (auth, seen) = auth_server().await;
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    let options = r#"        authResponseHeaders: ["X-Auth-User"]
        authResponseHeadersRegex: "^X-Auth-Role"
        addAuthCookiesToResponse: ["auth_sid"]"#;
    proxy.apply(&config(&format!("http://{auth}/check?from=proxy"), &backend.url(), options)).await;

    let resp = client()
        .get(proxy.url("web", "/ok/page?x=1"))
        .header("host", "app.example")
        .header("x-auth-user", "mallory")
        .header("x-auth-role-root", "spoofed")
        .header("cookie", "c=1")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let cookies: Vec<String> =
        resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap_or("?").to_owned()).collect();
    assert_eq!(cookies, vec!["auth_sid=s1; Path=/".to_owned()], "only the listed auth cookie is added");
    let body = json(&resp.text().await.expect("body"));
    let headers = &body["headers"];
    assert_eq!(headers["x-auth-user"], "alice", "the listed header replaces the client's");
    assert_eq!(headers["x-auth-role-admin"], "yes", "headers matching the regexp are copied");
    assert!(headers.get("x-auth-role-root").is_none(), "client headers matching the regexp are removed");
    assert!(headers.get("x-not-copied").is_none());
    assert_eq!(body["uri"], "/ok/page?x=1");

    let seen = seen.lock().expect("log").clone();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!((s.method.as_str(), s.uri.as_str()), ("GET", "/check?from=proxy"));
    let h = |name: &str| s.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("<none>").to_owned();
    assert_eq!(h("x-forwarded-method"), "GET");
    assert_eq!(h("x-forwarded-proto"), "http");
    assert_eq!(h("x-forwarded-host"), "app.example");
    assert_eq!(h("x-forwarded-uri"), "/ok/page?x=1");
    assert_eq!(h("x-forwarded-for"), "127.0.0.1");
    assert_eq!(h("host"), auth.to_string(), "the authentication server is asked under its own name");
    assert_eq!(h("cookie"), "c=1", "client headers are passed along");
    assert!(s.body.is_empty());
}

#[tokio::test]
async fn other_answers_go_back_to_the_client() {
    let (auth, _) = auth_server().await;
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy.apply(&config(&format!("http://{auth}/auth/check"), &backend.url(), "")).await;

    let (status, headers, body) = get(&client(), &proxy.url("web", "/denied"), "app.example").await;
    assert_eq!((status, body.as_str()), (403, "nope"));
    assert_eq!(headers.get("x-reason").map(|v| v.as_bytes()), Some(&b"not on the list"[..]));

    let no_redirects =
        reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let (status, headers, _) = get(&no_redirects, &proxy.url("web", "/redirect"), "app.example").await;
    assert_eq!(status, 302);
    let location = headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(
        location,
        format!("http://{auth}/login?next=%2F"),
        "a relative Location is resolved against the address"
    );
    assert_eq!(backend.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn preserve_location_header_keeps_it_relative() {
    let (auth, _) = auth_server().await;
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy.apply(&config(&format!("http://{auth}/"), &backend.url(), "        preserveLocationHeader: true")).await;
    let no_redirects =
        reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let (status, headers, _) = get(&no_redirects, &proxy.url("web", "/redirect"), "h").await;
    assert_eq!(status, 302);
    assert_eq!(headers.get("location").map(|v| v.as_bytes()), Some(&b"/login?next=%2F"[..]));
}

#[tokio::test]
async fn an_unreachable_auth_server_gives_500() {
    let port = closed_port().await;
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy.apply(&config(&format!("http://127.0.0.1:{port}/"), &backend.url(), "")).await;
    let (status, _, body) = get(&client(), &proxy.url("web", "/ok"), "h").await;
    assert_eq!((status, body.as_str()), (500, ""));
    assert_eq!(backend.hits.load(std::sync::atomic::Ordering::SeqCst), 0);
}

#[tokio::test]
async fn trust_forward_header_and_request_header_filter() {
    let (auth, seen) = auth_server().await;
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    let forwarded = |trust: bool| {
        format!(
            "        trustForwardHeader: {trust}\n        authRequestHeaders: [\"X-Wanted\"]\n        authResponseHeaders: [\"X-Auth-User\"]"
        )
    };
    for trust in [false, true] {
        proxy.apply(&config(&format!("http://{auth}/"), &backend.url(), &forwarded(trust))).await;
        let resp = client()
            .get(proxy.url("web", "/real"))
            .header("host", "h")
            .header("x-forwarded-uri", "/ok/claimed")
            .header("x-forwarded-for", "203.0.113.9")
            .header("x-wanted", "w")
            .header("x-unwanted", "u")
            .send()
            .await
            .expect("request");
        let seen = seen.lock().expect("log").pop().expect("auth request");
        let h = |name: &str| seen.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("<none>").to_owned();
        assert_eq!(h("x-wanted"), "w");
        assert_eq!(h("x-unwanted"), "<none>", "only authRequestHeaders are sent");
        if trust {
            assert_eq!(h("x-forwarded-uri"), "/ok/claimed");
            assert_eq!(h("x-forwarded-for"), "203.0.113.9, 127.0.0.1");
            assert_eq!(resp.status(), 200);
        } else {
            assert_eq!(h("x-forwarded-uri"), "/real");
            assert_eq!(h("x-forwarded-for"), "127.0.0.1");
            assert_eq!(resp.status(), 403);
        }
    }
}

#[tokio::test]
async fn forward_body_with_a_size_limit() {
    let (auth, seen) = auth_server().await;
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&config(
            &format!("http://{auth}/"),
            &backend.url(),
            "        forwardBody: true\n        maxBodySize: 10",
        ))
        .await;
    let resp = client().post(proxy.url("web", "/ok")).header("host", "h").body("hello").send().await.expect("post");
    assert_eq!(resp.status(), 200);
    let body = json(&resp.text().await.expect("body"));
    assert_eq!(body["body"], "hello", "the backend still gets the body");
    assert_eq!(seen.lock().expect("log").pop().map(|s| s.body), Some(Bytes::from_static(b"hello")));

    let resp =
        client().post(proxy.url("web", "/ok")).header("host", "h").body("0123456789A").send().await.expect("post");
    assert_eq!(resp.status(), 401, "a body over maxBodySize is refused");
    assert!(seen.lock().expect("log").is_empty(), "and not sent to the authentication server");
}
