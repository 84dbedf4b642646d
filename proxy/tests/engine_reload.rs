//! Configuration reloads (atomic swap, failed builds, listeners kept), entry point redirection,
//! access log, metrics and ping, and standalone mode.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use traefikee_proxy::config::{load_document, Format};

fn config(backend: &Backend, extra: &str) -> String {
    format!(
        r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers: {{r: {{rule: "PathPrefix(`/`)", service: s}}}}
  services:
    s: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}
{extra}
"#,
        backend.url()
    )
}

#[tokio::test]
async fn requests_in_flight_finish_on_the_old_configuration() {
    let old = Backend::start("old").await;
    let new = Backend::start("new").await;
    let proxy = Proxy::start().await;
    let v1 = proxy.apply(&config(&old, "")).await;
    assert_eq!((v1.version, v1.started.clone()), (1, vec!["web".to_owned()]));
    let url = proxy.url("web", "/slow/800");
    let slow = tokio::spawn(async move { get(&client(), &url, "x").await });
    eventually(Duration::from_secs(5), "slow request reached the old backend", || async {
        (old.hits.load(Ordering::SeqCst) == 1).then_some(())
    })
    .await;

    let v2 = proxy.apply(&config(&new, "")).await;
    assert_eq!(v2.version, 2);
    assert_eq!(v2.kept, vec!["web".to_owned()], "the listener is kept");
    assert_eq!(v2.entry_points["web"], v1.entry_points["web"]);
    let (_, headers, _) = get(&client(), &proxy.url("web", "/"), "x").await;
    assert_eq!(headers["x-backend"], "new");

    let (status, headers, _) = slow.await.expect("slow request");
    assert_eq!((status, headers["x-backend"].to_str().expect("ascii")), (200, "old"));
}

#[tokio::test]
async fn a_configuration_that_cannot_be_built_leaves_the_old_one_serving() {
    let a = Backend::start("a").await;
    let proxy = Proxy::start().await;
    proxy.apply(&config(&a, "")).await;
    let broken =
        config(&a, "tls:\n  certificates: [{certFile: /nonexistent/cert.pem, keyFile: /nonexistent/key.pem}]\n");
    let doc = load_document(&broken, Format::Yaml).expect("parses");
    let err = proxy.engine.apply(doc).await.expect_err("refused");
    assert!(err.to_string().contains("tls.certificates[0].certFile"), "{err}");
    assert_eq!(proxy.engine.version(), 1);

    // An entry point whose port is taken: refused, nothing changes.
    let taken = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let moved = config(&a, "").replace("\":0\"", &format!("\":{port}\""));
    let err = proxy.engine.apply(load_document(&moved, Format::Yaml).expect("parses")).await.expect_err("refused");
    assert!(err.to_string().contains("entryPoints.web.address"), "{err}");
    assert_eq!(proxy.engine.version(), 1);
    let (status, headers, _) = get(&client(), &proxy.url("web", "/"), "x").await;
    assert_eq!((status, headers["x-backend"].to_str().expect("ascii")), (200, "a"));

    // Moving the entry point to a free port restarts its listener there.
    drop(taken);
    let before = proxy.addr("web");
    let applied = proxy.apply(&moved).await;
    assert_eq!((applied.started.clone(), applied.stopped.clone()), (vec!["web".to_owned()], vec!["web".to_owned()]));
    assert_eq!(proxy.addr("web").port(), port);
    assert!(tokio::net::TcpStream::connect(before).await.is_err(), "the old listener is closed");
}

#[tokio::test]
async fn entry_point_redirection_to_https() {
    let proxy = Proxy::start().await;
    proxy
        .apply(
            r#"
entryPoints:
  web:
    address: ":0"
    http:
      redirections:
        entryPoint: {to: websecure, scheme: https}
  websecure: {address: ":0"}
"#,
        )
        .await;
    let c = reqwest::Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().expect("c");
    let (status, headers, body) = get(&c, &proxy.url("web", "/a?b=c"), "example.com").await;
    assert_eq!((status, body.as_str()), (301, "Moved Permanently"));
    let port = proxy.addr("websecure").port();
    assert_eq!(headers["location"], format!("https://example.com:{port}/a?b=c"));
}

#[tokio::test]
async fn access_log_lines_use_traefik_fields() {
    let a = Backend::start("a").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let proxy = Proxy::start().await;
    proxy.apply(&config(&a, &format!("accessLog: {{filePath: \"{}\", format: json}}", log.display()))).await;
    let (status, _, _) = get(&client(), &proxy.url("web", "/hello?x=1"), "example.com").await;
    assert_eq!(status, 200);
    let line = eventually(Duration::from_secs(5), "an access log line", || async {
        std::fs::read_to_string(&log).ok().and_then(|t| t.lines().next().map(str::to_owned))
    })
    .await;
    let j = json(&line);
    assert_eq!(j["RequestMethod"], "GET");
    assert_eq!(j["RequestPath"], "/hello?x=1");
    assert_eq!(j["RequestHost"], "example.com");
    assert_eq!(j["RequestProtocol"], "HTTP/1.1");
    assert_eq!(j["DownstreamStatus"], 200);
    assert_eq!(j["OriginStatus"], 200);
    assert_eq!(j["RouterName"], "r@file");
    assert_eq!(j["ServiceName"], "s@file");
    assert_eq!(j["ServiceURL"], a.url());
    assert_eq!(j["ClientHost"], "127.0.0.1");
    assert_eq!(j["entryPointName"], "web");
    assert!(j["Duration"].as_u64().is_some_and(|d| d > 0));
    assert!(j["DownstreamContentSize"].as_u64().is_some_and(|d| d > 0));
    assert!(j["StartUTC"].is_string());
}

#[tokio::test]
async fn metrics_and_ping_on_their_entry_point() {
    let a = Backend::start("a").await;
    let proxy = Proxy::start().await;
    let extra = r#"
  metrics: {address: ":0"}
metrics:
  prometheus: {entryPoint: metrics, addRoutersLabels: true}
ping: {entryPoint: metrics}
"#;
    let text = config(&a, "")
        .replace("entryPoints: {web: {address: \":0\"}}", &format!("entryPoints:\n  web: {{address: \":0\"}}{extra}"));
    proxy.apply(&text).await;
    let c = client();
    for _ in 0..3 {
        get(&c, &proxy.url("web", "/"), "x").await;
    }
    let (status, _, body) = get(&c, &proxy.url("metrics", "/ping"), "x").await;
    assert_eq!((status, body.as_str()), (200, "OK"));
    let (status, headers, metrics) = get(&c, &proxy.url("metrics", "/metrics"), "x").await;
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().expect("ascii").starts_with("text/plain; version=0.0.4"));
    for needle in [
        "traefik_config_reloads_total 1",
        "traefik_config_last_reload_success ",
        "traefik_open_connections{entrypoint=\"web\",protocol=\"TCP\"}",
        "traefik_entrypoint_requests_total{code=\"200\",method=\"GET\",protocol=\"http\",entrypoint=\"web\"} 3",
        "traefik_entrypoint_request_duration_seconds_bucket{code=\"200\",method=\"GET\",protocol=\"http\",entrypoint=\"web\",le=\"0.1\"}",
        "traefik_router_requests_total{code=\"200\",method=\"GET\",protocol=\"http\",router=\"r@file\",service=\"s@file\"} 3",
        "traefik_service_requests_total{code=\"200\",method=\"GET\",protocol=\"http\",service=\"s@file\"} 3",
        "traefik_service_request_duration_seconds_count{code=\"200\",method=\"GET\",protocol=\"http\",service=\"s@file\"} 3",
        &format!("traefik_service_server_up{{service=\"s@file\",url=\"{}\"}} 1", a.url()),
    ] {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }
    // `/ping` is served on its entry point only; elsewhere it goes to the user's routers (the
    // router without `entryPoints` serves every entry point, as in Traefik).
    let (status, headers, _) = get(&c, &proxy.url("web", "/ping"), "x").await;
    assert_eq!((status, headers["x-backend"].to_str().expect("ascii")), (200, "a"));
    let (_, headers, _) = get(&c, &proxy.url("metrics", "/other"), "x").await;
    assert_eq!(headers["x-backend"], "a");
}

#[tokio::test]
async fn standalone_mode_reloads_the_file_and_keeps_the_last_good_version() {
    let a = Backend::start("a").await;
    let b = Backend::start("b").await;
    let port = closed_port().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("traefikee.yaml");
    let dynamic = dir.path().join("dynamic.yaml");
    let write = |backend: &Backend| {
        std::fs::write(
            &dynamic,
            format!(
                "http:\n  routers: {{r: {{rule: \"PathPrefix(`/`)\", service: s}}}}\n  services:\n    s: {{loadBalancer: {{servers: [{{url: \"{}\"}}]}}}}\n",
                backend.url()
            ),
        )
        .expect("write");
    };
    write(&a);
    std::fs::write(
        &file,
        format!(
            "entryPoints: {{web: {{address: \"127.0.0.1:{port}\"}}}}\nproviders: {{file: {{filename: \"{}\"}}}}\n",
            dynamic.display()
        ),
    )
    .expect("write");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let path = file.clone();
    let task = tokio::spawn(async move {
        traefikee_proxy::standalone::run_standalone_until(
            &path,
            traefikee_proxy::engine::EngineOptions::default(),
            Duration::from_millis(50),
            async move {
                let _ = stop_rx.await;
            },
        )
        .await
    });
    let url = format!("http://127.0.0.1:{port}/");
    let backend_now = |url: String| async move {
        let resp = client().get(&url).send().await.ok()?;
        resp.headers().get("x-backend").map(|v| v.to_str().unwrap_or("?").to_owned())
    };
    eventually(Duration::from_secs(10), "serving a", || async {
        (backend_now(url.clone()).await.as_deref() == Some("a")).then_some(())
    })
    .await;
    write(&b);
    eventually(Duration::from_secs(10), "reloaded to b", || async {
        (backend_now(url.clone()).await.as_deref() == Some("b")).then_some(())
    })
    .await;
    std::fs::write(&dynamic, "http:\n  routers: {r: {rule: \"Bogus(`x`)\", service: s}}\n").expect("write");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(backend_now(url.clone()).await.as_deref(), Some("b"), "an invalid file keeps the last good version");
    let _ = stop_tx.send(());
    task.await.expect("task").expect("standalone ends cleanly");
}
