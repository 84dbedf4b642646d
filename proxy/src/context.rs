//! What the entry point and the router know about a request, carried in its extensions.
//!
//! Handlers receive a plain `http::Request`; anything they need beyond the message (the
//! client's address, whether the connection is TLS, which router matched) is inserted once by
//! the listener and the router, and read with `req.extensions().get::<T>()`. Cheap to clone:
//! shared strings are `Arc<str>`.

use std::net::SocketAddr;
use std::sync::Arc;

/// The connection a request arrived on; inserted by the entry point for every request.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The entry point's name.
    pub entry_point: Arc<str>,
    /// The client's address (the TCP peer, not `X-Forwarded-For`).
    pub peer: SocketAddr,
    /// The local address the connection was accepted on.
    pub local: SocketAddr,
    /// TLS details, when the connection is TLS.
    pub tls: Option<TlsInfo>,
}

impl ConnectionInfo {
    /// Whether the request came over TLS (Go's `req.TLS != nil`).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }
}

/// What was negotiated on a TLS connection.
#[derive(Debug, Clone, Default)]
pub struct TlsInfo {
    /// The SNI the client sent, if any.
    pub server_name: Option<Arc<str>>,
    /// `TLS 1.2` or `TLS 1.3`.
    pub version: &'static str,
    /// The cipher suite's IANA name.
    pub cipher: Option<&'static str>,
}

/// The router that matched; inserted before the router's middlewares run.
#[derive(Debug, Clone)]
pub struct RouteInfo {
    /// Router name as Traefik reports it (`name@file`).
    pub router: Arc<str>,
    /// Service name as Traefik reports it (`name@file`).
    pub service: Arc<str>,
}
