//! The internal listener of [`EngineOptions::internal_address`](super::EngineOptions): plain
//! HTTP serving only `/ping` and `/metrics`, independent of the configuration, so that a node's
//! health and metrics can be scraped before any configuration arrives.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use http::StatusCode;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::Shared;
use crate::body::{full, Response};

pub(crate) fn start(listener: TcpListener, shared: Arc<Shared>) -> watch::Sender<bool> {
    let (stop, mut stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                _ = stop_rx.changed() => return,
                a = listener.accept() => a,
            };
            let Ok((stream, _)) = accepted else { continue };
            let shared = shared.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let shared = shared.clone();
                    async move { Ok::<_, Infallible>(answer(&shared, req.uri().path())) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    stop
}

fn answer(shared: &Shared, path: &str) -> Response {
    if path.starts_with("/metrics") {
        return super::http::metrics_response(Some(&shared.metrics.load()));
    }
    let (status, body) = if path.starts_with("/ping") {
        if shared.terminating.load(Ordering::Relaxed) {
            (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
        } else {
            (StatusCode::OK, "OK")
        }
    } else {
        (StatusCode::NOT_FOUND, "404 page not found\n")
    };
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    resp
}
