//! HTTP middlewares: the interface, the registry of kinds, and the per-router chain.
//!
//! # The interface
//!
//! Everything that answers requests is a [`Handler`]: `fn handle(&self, Request) ->
//! HandlerFuture`, where the request and response bodies are the boxed [`Body`] and the future
//! always yields a response (a failure is answered, e.g. with
//! [`ProxyError::into_response`](crate::errors::ProxyError::into_response), never returned).
//! A service is a handler; a middleware is a [`Middleware`]: built once from its configuration,
//! then asked to [`wrap`](Middleware::wrap) the next handler of each router that uses it.
//!
//! ```ignore
//! struct AddFoo { next: SharedHandler }
//! impl Handler for AddFoo {
//!     fn handle(&self, mut req: Request) -> HandlerFuture {
//!         req.headers_mut().insert("foo", HeaderValue::from_static("bar"));
//!         self.next.handle(req)           // or Box::pin(async move { ... })
//!     }
//! }
//! ```
//!
//! - `wrap` is called once per router (and per entry point the router is split into), so state
//!   created in `wrap` is per router, as Traefik instantiates middlewares per router (rate-limit
//!   buckets, in-flight counters); state kept in the `Middleware` value is shared by all of them.
//! - What the entry point and router know about the request is in its extensions:
//!   [`ConnectionInfo`](crate::context::ConnectionInfo) (client address, entry point, TLS) and
//!   [`RouteInfo`](crate::context::RouteInfo) (router and service names). The request's URI is
//!   in origin form (`/path?query`, already normalized as Traefik's entry point does) and the
//!   `Host` header is always present (HTTP/2's `:authority` is copied into it). The entry point
//!   has applied Traefik's forwarded headers (`X-Forwarded-*`, `X-Real-Ip`) before any
//!   middleware runs.
//! - A response made by the proxy carries the [`ProxyError`](crate::errors::ProxyError) in its
//!   extensions; [`ProxyError::is_retryable`](crate::errors::ProxyError::is_retryable) tells
//!   whether the request never reached an upstream that answered (what `retry` retries).
//! - Redirections use [`redirect_response`](crate::errors::redirect_response) (Traefik's status
//!   codes and body).
//!
//! # Adding a kind
//!
//! Each kind lives in its own file with a `build(config, ctx) -> Result<Arc<dyn Middleware>,
//! BuildError>` function that [`build`] dispatches to. The kinds not done yet have a stub
//! returning [`BuildError::NotImplemented`] (a configuration using them is refused with a
//! message naming the middleware); implementing one means replacing the stub's body, in its
//! file only. `chain` is not a middleware value: [`Middlewares::wrap`] expands it in place.

mod add_prefix;
mod basic_auth;
mod compress;
mod forward_auth;
mod headers;
mod in_flight_req;
mod ip_allow_list;
mod rate_limit;
mod redirect_regex;
mod redirect_scheme;
mod replace_path;
mod replace_path_regex;
mod retry;
mod strip_prefix;
mod strip_prefix_regex;

use std::collections::HashMap;
use std::sync::Arc;

pub use crate::body::{Body, Request, Response};
pub use crate::handler::{handler_fn, Handler, HandlerFuture, SharedHandler};
pub use headers::OmitForwardedFor;
pub(crate) use redirect_scheme::SchemeRedirect;

use crate::config::{self, MiddlewareKind};

/// A configured middleware, ready to wrap the handlers of the routers that use it.
pub trait Middleware: Send + Sync + 'static {
    /// Returns a handler that applies this middleware, then calls `next`.
    fn wrap(&self, next: SharedHandler) -> SharedHandler;
}

/// What a middleware constructor may use besides its own options.
#[derive(Debug, Clone, Copy)]
pub struct BuildContext<'a> {
    name: &'a str,
}

impl<'a> BuildContext<'a> {
    /// A context for the middleware named `name`.
    pub fn new(name: &'a str) -> Self {
        BuildContext { name }
    }

    /// The middleware's name in `http.middlewares`.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// An [`BuildError::Invalid`] for this middleware.
    pub fn invalid(&self, message: impl Into<String>) -> BuildError {
        BuildError::Invalid { name: self.name.to_owned(), message: message.into() }
    }
}

/// Why a middleware could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The kind is known to the configuration model but its implementation is not done yet.
    #[error("http.middlewares.{name}: the {kind} middleware is not implemented yet")]
    NotImplemented {
        /// Middleware name.
        name: String,
        /// Traefik's name of the kind (`basicAuth`...).
        kind: &'static str,
    },
    /// The options are valid for the model but the constructor refused them.
    #[error("http.middlewares.{name}: {message}")]
    Invalid {
        /// Middleware name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// The definition has no kind or several (validation reports this first).
    #[error("http.middlewares.{name}: a middleware needs exactly one type")]
    NoKind {
        /// Middleware name.
        name: String,
    },
    /// A router or chain names a middleware that does not exist.
    #[error("unknown middleware {name:?}")]
    Unknown {
        /// The missing name.
        name: String,
    },
    /// Chains nest deeper than [`MAX_CHAIN_DEPTH`] (or loop; validation refuses loops first).
    #[error("http.middlewares.{name}: chains nested too deeply")]
    TooDeep {
        /// The chain where the limit was hit.
        name: String,
    },
}

impl BuildError {
    #[allow(dead_code)] // every kind is implemented; kept for kinds added later
    pub(crate) fn not_implemented(ctx: &BuildContext<'_>, kind: &'static str) -> Self {
        BuildError::NotImplemented { name: ctx.name.to_owned(), kind }
    }
}

/// Builds the middleware `def` named `ctx.name()`. `chain` yields `None`: it is expanded by
/// [`Middlewares::wrap`].
pub fn build(def: &config::Middleware, ctx: &BuildContext<'_>) -> Result<Option<Arc<dyn Middleware>>, BuildError> {
    let kind = def.kind().ok_or_else(|| BuildError::NoKind { name: ctx.name.to_owned() })?;
    let built = match kind {
        MiddlewareKind::AddPrefix(c) => add_prefix::build(c, ctx)?,
        MiddlewareKind::StripPrefix(c) => strip_prefix::build(c, ctx)?,
        MiddlewareKind::StripPrefixRegex(c) => strip_prefix_regex::build(c, ctx)?,
        MiddlewareKind::ReplacePath(c) => replace_path::build(c, ctx)?,
        MiddlewareKind::ReplacePathRegex(c) => replace_path_regex::build(c, ctx)?,
        MiddlewareKind::RedirectScheme(c) => redirect_scheme::build(c, ctx)?,
        MiddlewareKind::RedirectRegex(c) => redirect_regex::build(c, ctx)?,
        MiddlewareKind::Headers(c) => headers::build(c, ctx)?,
        MiddlewareKind::BasicAuth(c) => basic_auth::build(c, ctx)?,
        MiddlewareKind::IpAllowList(c) => ip_allow_list::build(c, ctx)?,
        MiddlewareKind::RateLimit(c) => rate_limit::build(c, ctx)?,
        MiddlewareKind::InFlightReq(c) => in_flight_req::build(c, ctx)?,
        MiddlewareKind::Retry(c) => retry::build(c, ctx)?,
        MiddlewareKind::Compress(c) => compress::build(c, ctx)?,
        MiddlewareKind::ForwardAuth(c) => forward_auth::build(c, ctx)?,
        MiddlewareKind::Chain(_) => return Ok(None),
    };
    Ok(Some(built))
}

/// How deep `chain`s may nest.
pub const MAX_CHAIN_DEPTH: usize = 32;

enum Built {
    Layer(Arc<dyn Middleware>),
    Chain(Vec<String>),
}

/// Every middleware of a configuration, built once; routers get their chains from it.
pub struct Middlewares {
    built: HashMap<String, Built>,
}

impl std::fmt::Debug for Middlewares {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Middlewares").field("names", &self.built.keys().collect::<Vec<_>>()).finish()
    }
}

impl Middlewares {
    /// Builds every middleware of `http.middlewares`, used or not (a kind traefikee cannot run
    /// is refused even when no router uses it yet). Returns every failure.
    pub fn build(defs: &std::collections::BTreeMap<String, config::Middleware>) -> Result<Self, Vec<BuildError>> {
        let mut built = HashMap::with_capacity(defs.len());
        let mut errors = Vec::new();
        for (name, def) in defs {
            let ctx = BuildContext::new(name);
            match build(def, &ctx) {
                Ok(Some(layer)) => {
                    built.insert(name.clone(), Built::Layer(layer));
                }
                Ok(None) => {
                    let members = def.chain.as_ref().map(|c| c.middlewares.clone()).unwrap_or_default();
                    built.insert(name.clone(), Built::Chain(members));
                }
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(Middlewares { built })
        } else {
            Err(errors)
        }
    }

    /// An empty set.
    pub fn empty() -> Self {
        Middlewares { built: HashMap::new() }
    }

    /// Wraps `service` in the middlewares `names`, the first name outermost (it sees the request
    /// first), expanding chains in place.
    pub fn wrap(&self, names: &[String], service: SharedHandler) -> Result<SharedHandler, BuildError> {
        let mut layers = Vec::new();
        for name in names {
            self.flatten(name, 0, &mut layers)?;
        }
        Ok(layers.into_iter().rev().fold(service, |next, layer| layer.wrap(next)))
    }

    fn flatten<'a>(
        &'a self,
        name: &str,
        depth: usize,
        out: &mut Vec<&'a Arc<dyn Middleware>>,
    ) -> Result<(), BuildError> {
        if depth > MAX_CHAIN_DEPTH {
            return Err(BuildError::TooDeep { name: name.to_owned() });
        }
        match self.built.get(name) {
            None => Err(BuildError::Unknown { name: name.to_owned() }),
            Some(Built::Layer(layer)) => {
                out.push(layer);
                Ok(())
            }
            Some(Built::Chain(members)) => {
                for member in members {
                    self.flatten(member, depth + 1, out)?;
                }
                Ok(())
            }
        }
    }
}

/// The request host as Go's `Request.Host` holds it (port included), from the `Host` header.
pub fn request_host(req: &Request) -> &str {
    req.headers().get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default()
}

/// Replaces the path of an origin-form request URI, keeping the query.
pub fn set_path(req: &mut Request, path: &str) {
    let query = req.uri().query();
    let target = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    if let Ok(uri) = http::Uri::try_from(target) {
        *req.uri_mut() = uri;
    }
}

/// `ensureLeadingSlash` of Traefik's path middlewares: empty stays empty.
pub(crate) fn ensure_leading_slash(path: &str) -> String {
    if path.is_empty() || path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

/// Percent-decodes a path; `None` when an escape is malformed.
pub(crate) fn decode_path(raw: &str) -> Option<String> {
    if !raw.contains('%') {
        return Some(raw.to_owned());
    }
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Escapes a decoded path as Go's `url.PathEscape` does for a path (`/` kept).
pub(crate) fn escape_path(path: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers for middleware unit tests: a terminal handler that echoes what it received.

    use super::*;

    /// A handler answering 200 with `method uri` as body and the request headers copied to the
    /// response under `x-seen-<name>`.
    pub fn echo() -> SharedHandler {
        handler_fn(|req: Request| async move {
            let mut resp = Response::new(crate::body::full(format!("{} {}", req.method(), req.uri())));
            for (name, value) in req.headers() {
                if let Ok(n) = http::HeaderName::try_from(format!("x-seen-{name}")) {
                    resp.headers_mut().append(n, value.clone());
                }
            }
            resp
        })
    }

    /// A GET request for `target` on `host`.
    pub fn get(host: &str, target: &str) -> Request {
        let mut req = Request::new(crate::body::empty());
        *req.uri_mut() = http::Uri::try_from(target).unwrap_or_default();
        if let Ok(h) = http::HeaderValue::from_str(host) {
            req.headers_mut().insert(http::header::HOST, h);
        }
        req
    }

    /// The body of a response as text.
    pub async fn text(resp: Response) -> String {
        use http_body_util::BodyExt;
        match resp.into_body().collect().await {
            Ok(c) => String::from_utf8_lossy(&c.to_bytes()).into_owned(),
            Err(e) => format!("body error: {e}"),
        }
    }
}
