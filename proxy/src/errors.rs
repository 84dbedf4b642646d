//! Why the proxy answered a request itself, and the one place that turns that into a
//! response.
//!
//! Each failure is a small type; [`ProxyError`] gathers them and [`ProxyError::into_response`]
//! gives the status, body and headers Traefik sends for it (Go's `http.Error` and Traefik's
//! reverse proxy error handler), so that clients see the same bytes as with Traefik. The error
//! is also put in the response's extensions, where the access log and middlewares such as
//! `retry` can tell a proxy-made answer from an upstream's.

use std::sync::Arc;

use http::{header, HeaderValue, StatusCode};

use crate::body::{full, Response};

/// No router of the entry point matches the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no router matches the request")]
pub struct NoRouteMatched;

/// The request cannot be routed as received (for instance a bad percent-encoding).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad request: {reason}")]
pub struct BadRequest {
    /// What is wrong.
    pub reason: &'static str,
}

/// The request cannot be read unambiguously (RFC 9112): more than one `Host`, a `Host` that is
/// missing, malformed or disagrees with the request target, or a body whose framing is broken.
/// Answered as Go's server answers requests it cannot read, and never passed on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed request: {reason}")]
pub struct MalformedRequest {
    /// What is wrong, in Go's words where Go refuses the same request.
    pub reason: &'static str,
}

/// The service has no server in rotation (none configured, or all unhealthy).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("service {service} has no available server")]
pub struct NoAvailableServer {
    /// The service.
    pub service: Arc<str>,
}

/// The upstream could not be reached or broke the exchange (refused, reset, bad protocol).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("upstream {server} failed: {cause}")]
pub struct UpstreamFailed {
    /// The server URL.
    pub server: Arc<str>,
    /// The transport's message.
    pub cause: String,
}

/// The upstream did not connect or answer in time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("upstream {server} timed out")]
pub struct UpstreamTimeout {
    /// The server URL.
    pub server: Arc<str>,
}

/// The client went away before the upstream answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the client closed the request")]
pub struct ClientClosed;

/// Any reason the proxy answers by itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    /// 404.
    #[error(transparent)]
    NoRoute(#[from] NoRouteMatched),
    /// 400.
    #[error(transparent)]
    BadRequest(#[from] BadRequest),
    /// 400, with the reason.
    #[error(transparent)]
    MalformedRequest(#[from] MalformedRequest),
    /// 503.
    #[error(transparent)]
    NoAvailableServer(#[from] NoAvailableServer),
    /// 502.
    #[error(transparent)]
    UpstreamFailed(#[from] UpstreamFailed),
    /// 504.
    #[error(transparent)]
    UpstreamTimeout(#[from] UpstreamTimeout),
    /// 499.
    #[error(transparent)]
    ClientClosed(#[from] ClientClosed),
}

/// Traefik's status for a client that went away (nginx's convention).
pub const STATUS_CLIENT_CLOSED_REQUEST: u16 = 499;

impl ProxyError {
    /// The status Traefik answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ProxyError::NoRoute(_) => StatusCode::NOT_FOUND,
            ProxyError::BadRequest(_) | ProxyError::MalformedRequest(_) => StatusCode::BAD_REQUEST,
            ProxyError::NoAvailableServer(_) => StatusCode::SERVICE_UNAVAILABLE,
            ProxyError::UpstreamFailed(_) => StatusCode::BAD_GATEWAY,
            ProxyError::UpstreamTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            ProxyError::ClientClosed(_) => {
                StatusCode::from_u16(STATUS_CLIENT_CLOSED_REQUEST).unwrap_or(StatusCode::BAD_GATEWAY)
            }
        }
    }

    /// Whether the request never reached an upstream that answered, so that it may be retried
    /// on another server (what Traefik's `retry` middleware retries).
    pub fn is_retryable(&self) -> bool {
        matches!(self, ProxyError::UpstreamFailed(_) | ProxyError::NoAvailableServer(_))
    }

    /// The response Traefik sends for this error.
    pub fn into_response(self) -> Response {
        let status = self.status();
        // Go's `http.Error` (404, 503) ends with a newline and marks the body as plain text;
        // Traefik's proxy error handler writes the bare status text.
        let (body, go_http_error): (String, bool) = match &self {
            ProxyError::NoRoute(_) => ("404 page not found\n".to_owned(), true),
            ProxyError::BadRequest(_) => ("400 Bad Request".to_owned(), false),
            // Go's server (`badRequestError`): `400 Bad Request: <reason>`, no newline.
            ProxyError::MalformedRequest(e) => (format!("400 Bad Request: {}", e.reason), false),
            ProxyError::NoAvailableServer(_) => ("no available server\n".to_owned(), true),
            ProxyError::ClientClosed(_) => ("Client Closed Request".to_owned(), false),
            _ => (status.canonical_reason().unwrap_or_default().to_owned(), false),
        };
        let mut response = Response::new(full(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
        if go_http_error {
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        }
        response.extensions_mut().insert(self);
        response
    }
}

/// A redirection as Traefik's redirect middlewares send it: 302/307, or 301/308 when
/// permanent (the second of each pair for methods other than GET), with the status text as
/// body.
pub fn redirect_response(location: HeaderValue, permanent: bool, method: &http::Method) -> Response {
    let get = method == http::Method::GET;
    let status = match (permanent, get) {
        (false, true) => StatusCode::FOUND,
        (false, false) => StatusCode::TEMPORARY_REDIRECT,
        (true, true) => StatusCode::MOVED_PERMANENTLY,
        (true, false) => StatusCode::PERMANENT_REDIRECT,
    };
    let mut response = Response::new(full(status.canonical_reason().unwrap_or_default()));
    *response.status_mut() = status;
    response.headers_mut().insert(header::LOCATION, location);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_traefik() {
        let cases: Vec<(ProxyError, u16)> = vec![
            (NoRouteMatched.into(), 404),
            (MalformedRequest { reason: "too many Host headers" }.into(), 400),
            (NoAvailableServer { service: "s".into() }.into(), 503),
            (UpstreamFailed { server: "u".into(), cause: "refused".into() }.into(), 502),
            (UpstreamTimeout { server: "u".into() }.into(), 504),
            (ClientClosed.into(), 499),
        ];
        for (err, code) in cases {
            let response = err.clone().into_response();
            assert_eq!(response.status().as_u16(), code, "{err}");
            assert!(response.extensions().get::<ProxyError>().is_some());
        }
    }
}
