//! Serving HTTP on an accepted connection (plain or TLS): HTTP/1.1 and HTTP/2 (ALPN, or h2c
//! with prior knowledge) through hyper's auto builder, and the per-request path: the host
//! checked (see `host`), entry point normalization and forwarded headers, `/ping` and `/metrics`, routing, the router's chain,
//! then entry point metrics and the access log.

use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::{header, HeaderValue, StatusCode, Uri, Version};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use super::state::{EntryPointRuntime, RouteEntry};
use super::{forwarded, host, Shared};
use crate::body::{boxed, full, Body, BoxError, Request, Response};
use crate::context::ConnectionInfo;
use crate::errors::{BadRequest, MalformedRequest, NoRouteMatched, ProxyError};
use crate::observability::access_log::{AccessLog, LogEntry};
use crate::observability::metrics::request_protocol;
use crate::rule::{normalized_path, RequestView};
use crate::service::forward::OriginInfo;

/// What the request path knows about its connection.
pub(crate) struct ConnCtx {
    pub(crate) shared: Arc<Shared>,
    pub(crate) info: ConnectionInfo,
    in_flight: AtomicUsize,
    /// Milliseconds since `opened` when the last request finished.
    last_done: AtomicU64,
    opened: Instant,
}

/// Serves HTTP on `io` until the client leaves, the connection idles out, or `stop` fires (then
/// in-flight requests finish first).
pub(crate) async fn serve<I>(
    shared: Arc<Shared>,
    ep: Arc<EntryPointRuntime>,
    io: I,
    info: ConnectionInfo,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ctx = Arc::new(ConnCtx {
        shared,
        info,
        in_flight: AtomicUsize::new(0),
        last_done: AtomicU64::new(0),
        opened: Instant::now(),
    });
    let service_ctx = ctx.clone();
    let write_timeout = ep.write_timeout;
    let service = hyper::service::service_fn(move |req: http::Request<Incoming>| {
        let ctx = service_ctx.clone();
        async move {
            match write_timeout {
                // Go's `WriteTimeout`: past it the connection is closed, which an error does.
                Some(limit) => tokio::time::timeout(limit, handle(ctx, req)).await.map_err(|_| WriteTimeout),
                None => Ok(handle(ctx, req).await),
            }
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(ep.read_timeout);
    builder.http2().timer(TokioTimer::new());
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    tokio::pin!(conn);

    let idle = ep.idle_timeout;
    let check_every = idle.map_or(Duration::from_secs(3600), |d| (d / 2).max(Duration::from_millis(10)));
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            changed = stop.changed(), if !stopping => {
                if changed.is_err() || *stop.borrow() {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
            _ = tokio::time::sleep(check_every), if idle.is_some() && !stopping => {
                let Some(limit) = idle else { continue };
                let since = ctx.opened.elapsed().saturating_sub(Duration::from_millis(ctx.last_done.load(Ordering::Relaxed)));
                if ctx.in_flight.load(Ordering::Relaxed) == 0 && since >= limit {
                    stopping = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// The response was not ready within the entry point's `writeTimeout`.
#[derive(Debug, thiserror::Error)]
#[error("write timeout")]
struct WriteTimeout;

struct InFlight<'a>(&'a ConnCtx);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let ms = u64::try_from(self.0.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last_done.store(ms, Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The request as rules see it.
struct View<'a> {
    req: &'a Request,
    host: &'a str,
    client_ip: IpAddr,
}

impl RequestView for View<'_> {
    fn method(&self) -> &str {
        self.req.method().as_str()
    }
    fn host(&self) -> &str {
        self.host
    }
    fn path(&self) -> &str {
        self.req.uri().path()
    }
    fn query(&self) -> Option<&str> {
        self.req.uri().query()
    }
    fn any_header_value(&self, name: &str, matches: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        if name.eq_ignore_ascii_case("host") {
            return false;
        }
        let values = self.req.headers().get_all(name);
        if self.req.version() == Version::HTTP_2 && name.eq_ignore_ascii_case("cookie") {
            let joined: Vec<&[u8]> = values.iter().map(HeaderValue::as_bytes).collect();
            if joined.len() > 1 {
                return matches(&joined.join(&b"; "[..]));
            }
        }
        values.iter().any(|v| matches(v.as_bytes()))
    }
    fn client_ip(&self) -> Option<IpAddr> {
        Some(self.client_ip)
    }
}

fn protocol_name(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2.0",
        Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/1.1",
    }
}

/// Answers one request.
async fn handle(ctx: Arc<ConnCtx>, req: http::Request<Incoming>) -> Response {
    ctx.in_flight.fetch_add(1, Ordering::Relaxed);
    let _in_flight = InFlight(&ctx);
    let started = Instant::now();
    let start_time = SystemTime::now();
    let runtime = ctx.shared.runtime.load_full();
    let request_count = ctx.shared.request_count.fetch_add(1, Ordering::Relaxed) + 1;
    let ep = runtime.entry_point(&ctx.info.entry_point).cloned();

    let mut req = req.map(boxed);
    // Only the access log needs the target as received.
    let original_target = runtime
        .access_log
        .is_some()
        .then(|| req.uri().path_and_query().map_or_else(|| req.uri().to_string(), |pq| pq.to_string()));
    let method = req.method().clone();
    let version = req.version();
    let protocol = request_protocol(req.headers());

    // Go's `Request.Host`: the authority of an absolute target (HTTP/2's `:authority`), else
    // the Host header; one host or none, refused below when ambiguous. Middlewares and
    // upstreams read it from the Host header.
    let request_host = host::request_host(version, &method, req.uri(), req.headers());
    if let Ok(Some(value)) = &request_host {
        req.headers_mut().insert(header::HOST, value.clone());
    }
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default().to_owned();

    let mut route_info = None;
    let mut resp = 'answer: {
        if let Err(reason) = request_host {
            tracing::debug!(peer = %ctx.info.peer, reason, "request refused before routing");
            break 'answer ProxyError::from(MalformedRequest { reason }).into_response();
        }
        let Some(ep) = &ep else { break 'answer ProxyError::from(NoRouteMatched).into_response() };
        // The entry point's path normalization (Traefik forwards the normalized path).
        let path = match normalized_path(req.uri().path()) {
            Ok(p) => p,
            Err(_) => break 'answer ProxyError::from(BadRequest { reason: "invalid path" }).into_response(),
        };
        if path != req.uri().path() || req.uri().scheme().is_some() {
            let target = match req.uri().query() {
                Some(q) => format!("{path}?{q}"),
                None => path,
            };
            match Uri::try_from(target) {
                Ok(uri) => *req.uri_mut() = uri,
                Err(_) => break 'answer ProxyError::from(BadRequest { reason: "invalid target" }).into_response(),
            }
        }
        forwarded::apply(&mut req, ctx.info.peer.ip(), ctx.info.is_tls(), &ep.trust, &ctx.shared.hostname);
        req.extensions_mut().insert(ctx.info.clone());

        let path = req.uri().path();
        if ep.serves_ping && path.starts_with("/ping") {
            break 'answer ping(&ctx.shared, runtime.ping_terminating_status, &method);
        }
        if ep.serves_metrics && path.starts_with("/metrics") {
            break 'answer metrics_response(runtime.metrics.as_deref());
        }

        let index = if ctx.info.is_tls() { &runtime.tls } else { &runtime.plain };
        let found = {
            let view = View { req: &req, host: &host, client_ip: ctx.info.peer.ip() };
            index.lookup(&ctx.info.entry_point, &view).map(|m| m.map(|m| m.value))
        };
        let found = match found {
            Ok(found) => found,
            Err(_) => break 'answer ProxyError::from(BadRequest { reason: "invalid path" }).into_response(),
        };
        let Some(found) = found else { break 'answer ProxyError::from(NoRouteMatched).into_response() };
        match found {
            RouteEntry::Redirect(redirect) => match redirect.respond(&req) {
                Some(resp) => resp,
                None => ProxyError::from(NoRouteMatched).into_response(),
            },
            RouteEntry::Router { handler, info } => {
                route_info = Some(info.clone());
                req.extensions_mut().insert(info.clone());
                let handler = handler.clone();
                handler.handle(req).await
            }
        }
    };

    // Go closes the connection after refusing a request it cannot read; after a broken body
    // nothing on it can be trusted either.
    if version < Version::HTTP_2
        && matches!(resp.extensions().get::<ProxyError>(), Some(ProxyError::MalformedRequest(_)))
    {
        resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    let status = resp.status().as_u16();
    if let Some(series) = ep.as_ref().and_then(|ep| ep.series.as_ref()) {
        series.observe(status, &method, protocol, started.elapsed().as_secs_f64());
    }
    let Some(log) = runtime.access_log.clone() else { return resp };
    let origin = resp.extensions().get::<OriginInfo>().cloned();
    let entry = LogEntry {
        start: Some(start_time),
        client_addr: Some(ctx.info.peer),
        request_host: host,
        method: method.to_string(),
        path: original_target.unwrap_or_default(),
        protocol: protocol_name(version),
        scheme: if ctx.info.is_tls() { "https" } else { "http" },
        router_name: route_info.as_ref().map(|i| i.router.clone()),
        service_name: route_info.as_ref().map(|i| i.service.clone()),
        service_url: origin.as_ref().map(|o| o.url.clone()),
        origin_status: origin.as_ref().map_or(0, |o| o.status.as_u16()),
        origin_duration: origin.as_ref().map(|o| o.duration),
        downstream_status: status,
        entry_point: ctx.info.entry_point.clone(),
        tls: ctx.info.tls.as_ref().map(|t| (t.version, t.cipher)),
        request_count,
        ..LogEntry::default()
    };
    let (parts, body) = resp.into_parts();
    Response::from_parts(parts, Body::new(LoggedBody { inner: body, entry: Some(entry), bytes: 0, started, log }))
}

fn ping(shared: &Shared, terminating_status: u16, method: &http::Method) -> Response {
    let terminating = shared.terminating.load(Ordering::Relaxed);
    let status = if terminating {
        StatusCode::from_u16(terminating_status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE)
    } else {
        StatusCode::OK
    };
    let body = if method == http::Method::HEAD {
        Bytes::new()
    } else {
        Bytes::from(status.canonical_reason().unwrap_or("OK"))
    };
    let mut resp = Response::new(full(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    resp
}

pub(crate) fn metrics_response(metrics: Option<&crate::observability::metrics::Metrics>) -> Response {
    let text = metrics.map(|m| m.render()).unwrap_or_default();
    let mut resp = Response::new(full(text));
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    resp
}

/// A response body that writes the access log line when it ends (or is dropped).
struct LoggedBody {
    inner: Body,
    entry: Option<LogEntry>,
    bytes: u64,
    started: Instant,
    log: Arc<AccessLog>,
}

impl LoggedBody {
    fn finish(&mut self) {
        if let Some(mut entry) = self.entry.take() {
            entry.duration = self.started.elapsed();
            entry.downstream_content_size = self.bytes;
            self.log.log(&entry);
        }
    }
}

impl hyper::body::Body for LoggedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.bytes += data.len() as u64;
                }
            }
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => self.finish(),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for LoggedBody {
    fn drop(&mut self) {
        self.finish();
    }
}
