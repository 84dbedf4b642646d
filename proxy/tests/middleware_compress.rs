//! compress through the engine: a real backend, a real client, the bytes on the wire.

mod common;

use std::io::Read as _;

use common::*;

#[tokio::test]
async fn compresses_backend_responses_on_the_wire() {
    let backend = Backend::start("b").await;
    let proxy = Proxy::start().await;
    proxy
        .apply(&format!(
            r#"
entryPoints: {{web: {{address: ":0"}}}}
http:
  routers: {{r: {{rule: "PathPrefix(`/`)", middlewares: [zip], service: s}}}}
  middlewares: {{zip: {{compress: {{minResponseBodyBytes: 100}}}}}}
  services: {{s: {{loadBalancer: {{servers: [{{url: "{}"}}]}}}}}}
"#,
            backend.url()
        ))
        .await;
    // The backend's JSON echo is long enough once the request carries a long header.
    let filler = "x".repeat(400);
    let resp = client()
        .get(proxy.url("web", "/page"))
        .header("host", "h")
        .header("accept-encoding", "br;q=0.5, gzip")
        .header("x-filler", filler.as_str())
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers().get("content-encoding").map(|v| v.as_bytes()), Some(&b"gzip"[..]));
    assert_eq!(resp.headers().get("vary").map(|v| v.as_bytes()), Some(&b"Accept-Encoding"[..]));
    let bytes = resp.bytes().await.expect("body");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).expect("valid gzip");
    assert_eq!(json(&text)["headers"]["x-filler"], filler.as_str());

    // Small answers and clients that accept nothing we offer are left alone.
    let (status, headers, body) = get(&client(), &proxy.url("web", "/small"), "h").await;
    assert_eq!(status, 200);
    assert!(headers.get("content-encoding").is_none());
    assert_eq!(json(&body)["uri"], "/small");
    let resp = client()
        .get(proxy.url("web", "/"))
        .header("host", "h")
        .header("accept-encoding", "deflate")
        .header("x-filler", filler.as_str())
        .send()
        .await
        .expect("request");
    assert!(resp.headers().get("content-encoding").is_none());
}
