//! A minimal HTTP/1.1 backend for benchmarks: answers every request with a fixed 13-byte body,
//! keep-alive, on one thread.
//!
//! `cargo run --release -p traefikee-proxy --example bench_backend -- 127.0.0.1:18080`

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::rt::TokioIo;

fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18080".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        eprintln!("backend listening on {addr}");
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_req: http::Request<hyper::body::Incoming>| async {
                    let mut resp = http::Response::new(Full::new(Bytes::from_static(b"Hello, World!")));
                    resp.headers_mut().insert("content-type", http::HeaderValue::from_static("text/plain"));
                    Ok::<_, Infallible>(resp)
                });
                let _ =
                    hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
            });
        }
    })
}
