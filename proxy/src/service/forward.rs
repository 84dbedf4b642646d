//! Forwarding one request to one server, as Go's reverse proxy does for Traefik: hop-by-hop
//! headers removed both ways, `X-Forwarded-For` extended with the client's IP, the `Host`
//! passed or replaced, the request target kept as received (Traefik ignores the path of the
//! server URL), protocol upgrades (WebSocket) spliced once both sides have switched. An
//! exchange that breaks because the client's body did (a bad chunk, a truncated body) is the
//! client's error: 400, not the 502 of a failed upstream.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{StatusCode, Uri, Version};
use hyper::body::{Frame, SizeHint};
use hyper_util::rt::TokioIo;

use super::upstream::{Transport, Upstream, UpstreamError};
use crate::body::{boxed, Body, BoxError, Request, Response};
use crate::context::ConnectionInfo;
use crate::errors::{MalformedRequest, ProxyError, UpstreamFailed, UpstreamTimeout};
use crate::middleware::OmitForwardedFor;

/// Where the response came from, put in its extensions for the access log.
#[derive(Debug, Clone)]
pub struct OriginInfo {
    /// The server URL.
    pub url: Arc<str>,
    /// The upstream's status.
    pub status: StatusCode,
    /// Time until the upstream's response headers.
    pub duration: Duration,
}

/// One upstream server of a load balancer.
#[derive(Debug)]
pub(crate) struct Server {
    pub(crate) url: Arc<str>,
    pub(crate) transport: Transport,
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    host: HeaderValue,
}

impl Server {
    /// Parses a server URL (`http`, `https` or `h2c`); the model's validation already checked it.
    pub(crate) fn parse(url: &str) -> Option<Server> {
        let uri = Uri::try_from(url).ok()?;
        let (transport, scheme) = match uri.scheme_str()? {
            "http" => (Transport::Http, http::uri::Scheme::HTTP),
            "https" => (Transport::Https, http::uri::Scheme::HTTPS),
            "h2c" => (Transport::H2c, http::uri::Scheme::HTTP),
            _ => return None,
        };
        let authority = uri.authority()?.clone();
        let host = HeaderValue::from_str(authority.as_str()).ok()?;
        Some(Server { url: url.into(), transport, scheme, authority, host })
    }

    /// The absolute URI for `path_and_query` on this server.
    pub(crate) fn uri(&self, path_and_query: http::uri::PathAndQuery) -> Option<Uri> {
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(path_and_query);
        Uri::from_parts(parts).ok()
    }

    /// The scheme and authority, for health checks that override them.
    pub(crate) fn authority(&self) -> &http::uri::Authority {
        &self.authority
    }
}

/// Headers that concern one connection only (RFC 9110 §7.6.1, Go's `hopHeaders`).
const HOP_HEADERS: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
];

fn header_has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))))
}

/// Removes hop-by-hop headers, including those the `Connection` header names.
fn remove_hop_headers(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::try_from(t.trim()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    let trailers = headers.get(header::TE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"trailers"));
    for name in &HOP_HEADERS {
        headers.remove(name);
    }
    if trailers {
        headers.insert(header::TE, HeaderValue::from_static("trailers"));
    }
    headers.remove(header::UPGRADE);
}

/// Forwards `req` to `server` and returns the upstream's response, or the error response.
pub(crate) async fn forward(upstream: &Upstream, server: &Server, pass_host: bool, mut req: Request) -> Response {
    let upgrade = (req.version() == Version::HTTP_11 && header_has_token(req.headers(), header::CONNECTION, "upgrade"))
        .then(|| req.headers().get(header::UPGRADE).cloned())
        .flatten();
    let client_upgrade = upgrade.is_some().then(|| hyper::upgrade::on(&mut req));

    let client_ip = req.extensions().get::<ConnectionInfo>().map(|c| c.peer.ip());
    let omit_xff = req.extensions().get::<OmitForwardedFor>().is_some();
    // Go's reverse proxy turns `;` into `&` in the query; the path is kept as received.
    let path_and_query = match (req.uri().path(), req.uri().query()) {
        (path, Some(q)) if q.contains(';') => {
            http::uri::PathAndQuery::try_from(format!("{path}?{}", q.replace(';', "&"))).ok()
        }
        _ => req.uri().path_and_query().cloned(),
    };
    let Some(uri) = server.uri(path_and_query.unwrap_or_else(|| http::uri::PathAndQuery::from_static("/"))) else {
        return ProxyError::from(UpstreamFailed { server: server.url.clone(), cause: "invalid request target".into() })
            .into_response();
    };

    let (mut parts, body) = req.into_parts();
    parts.uri = uri;
    parts.version = Version::HTTP_11;
    let headers = &mut parts.headers;
    remove_hop_headers(headers);
    if let Some(proto) = &upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
        headers.insert(header::UPGRADE, proto.clone());
    }
    if !pass_host {
        headers.insert(header::HOST, server.host.clone());
    }
    if omit_xff {
        headers.remove("x-forwarded-for");
    } else if let Some(ip) = client_ip {
        let ip = ip.to_string();
        let prior: Vec<&str> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        let value = if prior.is_empty() { ip } else { format!("{}, {ip}", prior.join(", ")) };
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert("x-forwarded-for", v);
        }
    }
    // Only the extensions the upstream client needs: none of ours leak into hyper's.
    parts.extensions = http::Extensions::new();
    let body_failed = Arc::new(AtomicBool::new(false));
    let body = boxed(WatchedBody { inner: body, failed: body_failed.clone() });
    let outgoing = http::Request::from_parts(parts, body);

    let started = Instant::now();
    let result = upstream.send(server.transport, outgoing).await;
    let mut resp = match result {
        Ok(resp) => resp,
        // The exchange broke because the client's body did (bad chunk, truncated): the client's
        // error, not the upstream's.
        Err(e) if body_failed.load(Ordering::Acquire) => {
            tracing::debug!(server = %server.url, cause = ?e, "request body failed while forwarding");
            return ProxyError::from(MalformedRequest { reason: "malformed request body" }).into_response();
        }
        Err(UpstreamError::Timeout) => {
            return ProxyError::from(UpstreamTimeout { server: server.url.clone() }).into_response();
        }
        Err(UpstreamError::Failed(cause)) => {
            tracing::debug!(server = %server.url, %cause, "upstream request failed");
            return ProxyError::from(UpstreamFailed { server: server.url.clone(), cause }).into_response();
        }
    };
    let origin = OriginInfo { url: server.url.clone(), status: resp.status(), duration: started.elapsed() };

    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        if let Some(client_upgrade) = client_upgrade {
            let server_upgrade = hyper::upgrade::on(&mut resp);
            tokio::spawn(async move {
                match tokio::try_join!(client_upgrade, server_upgrade) {
                    Ok((client, server)) => {
                        let _ =
                            tokio::io::copy_bidirectional(&mut TokioIo::new(client), &mut TokioIo::new(server)).await;
                    }
                    Err(e) => tracing::debug!(error = %e, "protocol upgrade failed"),
                }
            });
        }
        let (mut parts, _) = resp.into_parts();
        parts.extensions = http::Extensions::new();
        parts.extensions.insert(origin);
        return Response::from_parts(parts, crate::body::empty());
    }

    let (mut parts, body) = resp.into_parts();
    remove_hop_headers(&mut parts.headers);
    parts.extensions = http::Extensions::new();
    parts.extensions.insert(origin);
    Response::from_parts(parts, boxed(body))
}

/// The request body on its way upstream, noting when reading it fails.
struct WatchedBody {
    inner: Body,
    failed: Arc<AtomicBool>,
}

impl hyper::body::Body for WatchedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Err(_))) = &polled {
            self.failed.store(true, Ordering::Release);
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
