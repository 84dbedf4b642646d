//! `redirectScheme`: sends the client to the same URL with another scheme (and port),
//! typically HTTP → HTTPS. The entry point redirection (`http.redirections.entryPoint`) is this
//! middleware too, as in Traefik.
//!
//! Traefik's semantics: the client's URL is rebuilt from the connection (TLS or not), the
//! `Host` and `X-Forwarded-Proto` (`ws`/`wss` count as `http`/`https`), dropping a default port;
//! the target keeps the host, takes the configured port (none when it is the scheme's default,
//! dropping the client's port otherwise) and the request URI. A request already at the target
//! URL passes through, so the middleware can sit on a router that serves both schemes.

use std::sync::Arc;

use http::HeaderValue;

use super::{request_host, BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler};
use crate::config::RedirectScheme as Config;
use crate::context::ConnectionInfo;
use crate::errors::redirect_response;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    if config.scheme.is_empty() {
        return Err(ctx.invalid("redirectScheme needs a scheme"));
    }
    let port = config.port.clone().filter(|p| !p.is_empty());
    Ok(Arc::new(RedirectScheme {
        target: Arc::new(SchemeRedirect::new(&config.scheme, port.as_deref(), config.permanent.unwrap_or(false))),
    }))
}

/// A scheme redirection's target, shared with the entry point redirection.
#[derive(Debug, Clone)]
pub(crate) struct SchemeRedirect {
    scheme: String,
    /// `:port`, or empty for the scheme's default.
    port: String,
    permanent: bool,
}

impl SchemeRedirect {
    pub(crate) fn new(scheme: &str, port: Option<&str>, permanent: bool) -> Self {
        let port = match port {
            Some(p) if !((scheme == "http" && p == "80") || (scheme == "https" && p == "443")) => format!(":{p}"),
            _ => String::new(),
        };
        SchemeRedirect { scheme: scheme.to_owned(), port, permanent }
    }

    /// The redirection response, or `None` when the request is already at the target URL.
    pub(crate) fn respond(&self, req: &Request) -> Option<crate::body::Response> {
        let (old, host, uri) = client_url(req);
        let new = format!("{}://{}{}{}", self.scheme, host, self.port, uri);
        if new == old {
            return None;
        }
        let location = HeaderValue::from_str(&new).ok()?;
        Some(redirect_response(location, self.permanent, req.method()))
    }
}

/// The URL the client asked for as Traefik rebuilds it: `(url, host, request URI)`.
fn client_url(req: &Request) -> (String, String, String) {
    let raw_host = request_host(req);
    let (host, mut port) = match raw_host.rfind(':') {
        Some(i) if !raw_host[i..].contains(']') => (&raw_host[..i], raw_host[i..].to_owned()),
        _ => (raw_host, String::new()),
    };
    let tls = req.extensions().get::<ConnectionInfo>().is_some_and(ConnectionInfo::is_tls);
    let mut scheme = if tls { "https" } else { "http" };
    if let Some(proto) = req.headers().get("x-forwarded-proto").and_then(|v| v.to_str().ok()) {
        if proto.eq_ignore_ascii_case("http") || proto.eq_ignore_ascii_case("ws") {
            scheme = "http";
        } else if proto.eq_ignore_ascii_case("https") || proto.eq_ignore_ascii_case("wss") {
            scheme = "https";
        }
    }
    if (scheme == "http" && port == ":80") || (scheme == "https" && port == ":443") {
        port.clear();
    }
    let uri = req.uri().path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
    (format!("{scheme}://{host}{port}{uri}"), host.to_owned(), uri)
}

struct RedirectScheme {
    target: Arc<SchemeRedirect>,
}

impl Middleware for RedirectScheme {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { target: self.target.clone(), next })
    }
}

struct Layer {
    target: Arc<SchemeRedirect>,
    next: SharedHandler,
}

impl Handler for Layer {
    fn handle(&self, req: Request) -> HandlerFuture {
        match self.target.respond(&req) {
            Some(resp) => Box::pin(async move { resp }),
            None => self.next.handle(req),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{echo, get};
    use super::*;

    async fn run(scheme: &str, port: Option<&str>, permanent: bool, host: &str, proto: Option<&str>) -> (u16, String) {
        let config = Config { scheme: scheme.into(), port: port.map(str::to_owned), permanent: Some(permanent) };
        let mw = build(&config, &BuildContext::new("t")).expect("builds");
        let mut req = get(host, "/a/b?c=d");
        if let Some(p) = proto {
            req.headers_mut().insert("x-forwarded-proto", HeaderValue::from_str(p).expect("valid"));
        }
        let resp = mw.wrap(echo()).handle(req).await;
        let location = resp.headers().get("location").map(|l| l.to_str().unwrap_or("?").to_owned()).unwrap_or_default();
        (resp.status().as_u16(), location)
    }

    #[tokio::test]
    async fn redirects_like_traefik() {
        assert_eq!(run("https", None, false, "example.com", None).await, (302, "https://example.com/a/b?c=d".into()));
        assert_eq!(
            run("https", None, true, "example.com:8080", None).await,
            (301, "https://example.com/a/b?c=d".into())
        );
        assert_eq!(
            run("https", Some("8443"), false, "example.com:80", None).await,
            (302, "https://example.com:8443/a/b?c=d".into())
        );
        assert_eq!(run("https", Some("443"), false, "[::1]:80", None).await, (302, "https://[::1]/a/b?c=d".into()));
        // Already on the target: passes through.
        assert_eq!(run("https", None, false, "example.com", Some("https")).await, (200, String::new()));
        assert_eq!(
            run("http", None, false, "example.com", Some("wss")).await,
            (302, "http://example.com/a/b?c=d".into())
        );
    }

    #[tokio::test]
    async fn non_get_methods_keep_their_method() {
        let config = Config { scheme: "https".into(), port: None, permanent: Some(true) };
        let mw = build(&config, &BuildContext::new("t")).expect("builds");
        let mut req = get("example.com", "/");
        *req.method_mut() = http::Method::POST;
        assert_eq!(mw.wrap(echo()).handle(req).await.status().as_u16(), 308);
    }
}
