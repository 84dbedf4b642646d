//! Requests whose host or body framing is ambiguous (issue 12, item 6), sent as raw bytes over
//! a real socket to a real engine with real backends that count what reaches them.
//!
//! Two `Host` fields used to be routed by the first and forwarded both, which walked around an
//! `ipAllowList` on another router; a malformed chunked body used to be answered 502 as if the
//! upstream had failed.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// `allowed.example` is behind an `ipAllowList` that refuses 127.0.0.1; `open.example` is not.
fn allow_list_config(protected: &Backend, open: &Backend, extra: &str) -> String {
    format!(
        r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers:
    protected: {{rule: "Host(`allowed.example`)", middlewares: [office], service: protected}}
    open: {{rule: "Host(`open.example`)", service: open}}
  middlewares:
    office: {{ipAllowList: {{sourceRange: ["10.0.0.0/8"]}}}}
  services:
    protected: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
    open: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
{extra}
"#,
        protected.url(),
        open.url()
    )
}

struct Setup {
    proxy: Proxy,
    protected: Backend,
    open: Backend,
}

impl Setup {
    async fn start(extra: &str) -> Setup {
        let protected = Backend::start("protected").await;
        let open = Backend::start("open").await;
        let proxy = Proxy::start().await;
        proxy.apply(&allow_list_config(&protected, &open, extra)).await;
        Setup { proxy, protected, open }
    }

    fn addr(&self) -> SocketAddr {
        self.proxy.addr("web")
    }

    /// Requests that reached a backend: (protected, open).
    fn hits(&self) -> (usize, usize) {
        (self.protected.hits.load(Ordering::SeqCst), self.open.hits.load(Ordering::SeqCst))
    }
}

/// Writes `request`, closes the write side when `half_close`, and reads until the proxy closes
/// the connection; fails when it keeps it open.
async fn exchange(addr: SocketAddr, request: &[u8], half_close: bool) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    if half_close {
        stream.shutdown().await.expect("shutdown");
    }
    let (received, closed) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    let text = String::from_utf8_lossy(&received).into_owned();
    assert!(closed, "the proxy kept the connection open after:\n{text}");
    text
}

/// The status of each response in `text`, in order.
fn statuses(text: &str) -> Vec<u16> {
    text.match_indices("HTTP/1.")
        .filter_map(|(at, _)| text.get(at + 9..at + 12).and_then(|code| code.parse().ok()))
        .collect()
}

fn body(text: &str) -> &str {
    text.split_once("\r\n\r\n").map_or("", |(_, body)| body)
}

#[tokio::test]
async fn one_host_still_routes() {
    let s = Setup::start("").await;
    let text = exchange(s.addr(), b"GET /x HTTP/1.1\r\nHost: open.example\r\nConnection: close\r\n\r\n", false).await;
    assert_eq!(statuses(&text), [200], "{text}");
    let j = json(body(&text));
    assert_eq!((j["backend"].as_str(), j["headers"]["host"].as_str()), (Some("open"), Some("open.example")));

    // An absolute-form target whose authority agrees with Host (case and default port aside).
    let request = b"GET http://open.example/y HTTP/1.1\r\nHost: OPEN.example:80\r\nConnection: close\r\n\r\n";
    let text = exchange(s.addr(), request, false).await;
    assert_eq!(statuses(&text), [200], "{text}");
    assert_eq!(json(body(&text))["headers"]["host"], "open.example");

    // The allow list is in force: the protected host alone is refused by it.
    let text = exchange(s.addr(), b"GET / HTTP/1.1\r\nHost: allowed.example\r\nConnection: close\r\n\r\n", false).await;
    assert_eq!(statuses(&text), [403], "{text}");
    assert_eq!(s.hits(), (0, 2));
}

/// Issue 12, item 6: the `ipAllowList` bypass with two Host headers.
#[tokio::test]
async fn two_host_headers_are_refused_before_any_router() {
    let s = Setup::start("").await;
    for hosts in
        [["open.example", "allowed.example"], ["allowed.example", "open.example"], ["open.example", "open.example"]]
    {
        let request = format!("GET / HTTP/1.1\r\nHost: {}\r\nHost: {}\r\n\r\n", hosts[0], hosts[1]);
        let text = exchange(s.addr(), request.as_bytes(), false).await;
        assert_eq!(statuses(&text), [400], "{hosts:?}: {text}");
        assert_eq!(body(&text), "400 Bad Request: too many Host headers", "{hosts:?}");
        assert!(text.to_ascii_lowercase().contains("\r\nconnection: close\r\n"), "{text}");
    }
    // Also when the second field hides behind a pipelined request on the same connection.
    let request = b"GET / HTTP/1.1\r\nHost: open.example\r\n\r\nGET / HTTP/1.1\r\nHost: open.example\r\nhost: allowed.example\r\n\r\n";
    let text = exchange(s.addr(), request, false).await;
    assert_eq!(statuses(&text), [200, 400], "{text}");
    assert_eq!(s.hits(), (0, 1), "only the first, unambiguous request reached a backend");
}

#[tokio::test]
async fn missing_malformed_or_disagreeing_hosts_are_refused() {
    let s = Setup::start("").await;
    for (request, reason) in [
        ("GET / HTTP/1.1\r\n\r\n", "missing required Host header"),
        ("GET http://open.example/ HTTP/1.1\r\n\r\n", "missing required Host header"),
        ("GET / HTTP/1.1\r\nHost: open.example allowed.example\r\n\r\n", "malformed Host header"),
        ("GET / HTTP/1.1\r\nHost: open.example/x\r\n\r\n", "malformed Host header"),
        ("GET / HTTP/1.1\r\nHost: open.example:80:80\r\n\r\n", "malformed Host header"),
        ("GET / HTTP/1.1\r\nHost: user@open.example\r\n\r\n", "malformed Host header"),
        (
            "GET http://open.example/ HTTP/1.1\r\nHost: allowed.example\r\n\r\n",
            "Host header does not match the request target",
        ),
        (
            "GET http://allowed.example/ HTTP/1.1\r\nHost: open.example\r\n\r\n",
            "Host header does not match the request target",
        ),
        (
            "GET http://open.example:8080/ HTTP/1.1\r\nHost: open.example\r\n\r\n",
            "Host header does not match the request target",
        ),
    ] {
        let text = exchange(s.addr(), request.as_bytes(), false).await;
        assert_eq!(statuses(&text), [400], "{request:?}: {text}");
        assert_eq!(body(&text), format!("400 Bad Request: {reason}"), "{request:?}");
    }
    assert_eq!(s.hits(), (0, 0));

    // What RFC 9112 allows still passes: no Host in HTTP/1.0, an empty Host (a target without
    // authority). No router matches them.
    for request in ["GET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n"] {
        let text = exchange(s.addr(), request.as_bytes(), false).await;
        assert_eq!(statuses(&text), [404], "{request:?}: {text}");
    }
}

#[tokio::test]
async fn http2_authority_and_host_must_agree() {
    let s = Setup::start("").await;
    let c = reqwest::Client::builder()
        .no_proxy()
        .http2_prior_knowledge()
        .resolve("open.example", s.addr())
        .build()
        .expect("client");
    let url = format!("http://open.example:{}/", s.addr().port());
    let (status, _, body) = get(&c, &url, "allowed.example").await;
    assert_eq!((status, body.as_str()), (400, "400 Bad Request: Host header does not match the request target"));
    let resp = c.get(&url).send().await.expect("h2 request");
    assert_eq!((resp.version(), resp.status().as_u16()), (reqwest::Version::HTTP_2, 200));
    let (status, _, _) = get(&c, &url, &format!("open.example:{}", s.addr().port())).await;
    assert_eq!(status, 200);
    assert_eq!(s.hits(), (0, 2));
}

/// A malformed chunked body is the client's error: 400, not the 502 of a failed upstream.
#[tokio::test]
async fn malformed_chunked_bodies_are_400_not_502() {
    let s = Setup::start("").await;
    let head = "POST / HTTP/1.1\r\nHost: open.example\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (what, chunks, half_close) in [
        ("bad chunk size", "zz\r\nhello\r\n0\r\n\r\n", false),
        ("negative chunk size", "-5\r\nhello\r\n0\r\n\r\n", false),
        ("chunk size overflow", "fffffffffffffffff\r\nhello\r\n0\r\n\r\n", false),
        ("bad chunk extension", "5 bad\r\nhello\r\n0\r\n\r\n", false),
        ("bare LF in a chunk extension", "5;a\nb\r\nhello\r\n0\r\n\r\n", false),
        ("chunk longer than its size", "3\r\nhello\r\n0\r\n\r\n", false),
        ("truncated chunk", "a\r\nhel", true),
        ("no last chunk", "5\r\nhello\r\n", true),
    ] {
        let request = format!("{head}{chunks}");
        let text = exchange(s.addr(), request.as_bytes(), half_close).await;
        assert_eq!(statuses(&text), [400], "{what}: {text}");
        assert_eq!(body(&text), "400 Bad Request: malformed request body", "{what}");
    }
    // The same bodies well formed go through.
    let request = "POST / HTTP/1.1\r\nHost: open.example\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
                   5;ext=1\r\nhello\r\n0\r\n\r\n";
    let text = exchange(s.addr(), request.as_bytes(), false).await;
    assert_eq!(statuses(&text), [200], "{text}");
    assert_eq!(json(body(&text))["body"], "hello");
}

/// Conflicting lengths never reach a backend: hyper refuses them while reading the head.
#[tokio::test]
async fn conflicting_content_lengths_are_refused() {
    let s = Setup::start("").await;
    for lengths in ["Content-Length: 5\r\nContent-Length: 6\r\n", "Content-Length: 5, 6\r\n", "Content-Length: -5\r\n"]
    {
        let request = format!("POST / HTTP/1.1\r\nHost: open.example\r\n{lengths}\r\nhello!");
        let text = exchange(s.addr(), request.as_bytes(), false).await;
        assert_eq!(statuses(&text), [400], "{lengths:?}: {text}");
    }
    // HTTP/1.0 has no chunked coding.
    let text = exchange(s.addr(), b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false).await;
    assert_eq!(statuses(&text), [400], "{text}");
    assert_eq!(s.hits(), (0, 0));
}

/// Content-Length with Transfer-Encoding: hyper frames the request by the chunked coding alone,
/// drops the Content-Length and closes the connection after answering (RFC 9112 §6.1), so what
/// follows the last chunk is never read as another request. The engine cannot tell this case
/// from plain chunked (hyper removes the Content-Length before the request reaches it), so it
/// is not answered 400.
#[tokio::test]
async fn content_length_with_transfer_encoding_cannot_smuggle() {
    let s = Setup::start("").await;
    let smuggled = "GET /smuggled HTTP/1.1\r\nHost: open.example\r\n\r\n";
    for framing in [
        "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
        "Content-Length: 60\r\nTransfer-Encoding: chunked\r\n",
    ] {
        let before = s.hits().1;
        let request =
            format!("POST / HTTP/1.1\r\nHost: open.example\r\n{framing}\r\n5\r\nhello\r\n0\r\n\r\n{smuggled}");
        let text = exchange(s.addr(), request.as_bytes(), false).await;
        assert_eq!(statuses(&text), [200], "{framing:?}: one answer, then the connection closes: {text}");
        let j = json(body(&text));
        assert_eq!(j["body"], "hello", "{framing:?}");
        assert_eq!(j["uri"], "/");
        assert!(j["headers"].get("content-length").is_none(), "{framing:?}: {j}");
        assert_eq!(s.hits().1, before + 1, "{framing:?}: the smuggled request reached the backend");
    }
}

/// The refusals made by the engine are in the access log and the entry point metrics as 400.
#[tokio::test]
async fn refusals_are_logged_and_counted_as_400() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let extra = format!(
        "accessLog: {{filePath: \"{}\", format: json}}\nmetrics: {{prometheus: {{entryPoint: web}}}}",
        log.display()
    );
    let s = Setup::start(&extra).await;
    let text =
        exchange(s.addr(), b"GET /dup HTTP/1.1\r\nHost: open.example\r\nHost: allowed.example\r\n\r\n", false).await;
    assert_eq!(statuses(&text), [400], "{text}");
    let text = exchange(
        s.addr(),
        b"POST /chunk HTTP/1.1\r\nHost: open.example\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        false,
    )
    .await;
    assert_eq!(statuses(&text), [400], "{text}");

    let lines = eventually(Duration::from_secs(5), "two access log lines", || async {
        let text = std::fs::read_to_string(&log).ok()?;
        let lines: Vec<serde_json::Value> = text.lines().map(json).collect();
        (lines.len() >= 2).then_some(lines)
    })
    .await;
    let line = |path: &str| lines.iter().find(|l| l["RequestPath"] == path).cloned().unwrap_or_default();
    let dup = line("/dup");
    assert_eq!((dup["DownstreamStatus"].as_u64(), dup["RouterName"].as_str()), (Some(400), None), "{dup}");
    let chunk = line("/chunk");
    assert_eq!(
        (chunk["DownstreamStatus"].as_u64(), chunk["RouterName"].as_str()),
        (Some(400), Some("open@file")),
        "{chunk}"
    );

    let metrics = s.proxy.engine.metrics_text();
    for needle in [
        "traefik_entrypoint_requests_total{code=\"400\",method=\"GET\",protocol=\"http\",entrypoint=\"web\"} 1",
        "traefik_entrypoint_requests_total{code=\"400\",method=\"POST\",protocol=\"http\",entrypoint=\"web\"} 1",
    ] {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }
}
