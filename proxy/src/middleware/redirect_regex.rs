//! `redirectRegex`: redirects when the request's full URL matches a regexp, to the replacement
//! (`$1`, `${name}`), for moved sites and canonical hosts (`^https?://www\.(.*)` →
//! `https://$1`).
//!
//! As in Traefik (`pkg/middlewares/redirect`): the URL matched is rebuilt as
//! `scheme://host/request-uri`, the scheme being `https` only when the connection is TLS
//! (unlike `redirectScheme`, `X-Forwarded-Proto` is not consulted) and the host the `Host`
//! header as received (port included). Every match is replaced; a result equal to the URL
//! passes through (so a rule cannot loop on itself), anything else is a 302/307 (301/308 when
//! `permanent`) with the status text as body.

use std::sync::Arc;

use http::{HeaderValue, StatusCode};

use super::strip_prefix_regex::text_error;
use super::{request_host, BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler};
use crate::config::RedirectRegex as Config;
use crate::context::ConnectionInfo;
use crate::errors::redirect_response;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    let regex =
        crate::rule::compile_go_regex(&config.regex).map_err(|e| ctx.invalid(format!("redirectRegex.regex: {e}")))?;
    Ok(Arc::new(RedirectRegex(Arc::new(Target {
        regex,
        replacement: config.replacement.clone(),
        permanent: config.permanent.unwrap_or(false),
    }))))
}

struct Target {
    regex: regex::bytes::Regex,
    replacement: String,
    permanent: bool,
}

struct RedirectRegex(Arc<Target>);

impl Middleware for RedirectRegex {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { target: self.0.clone(), next })
    }
}

struct Layer {
    target: Arc<Target>,
    next: SharedHandler,
}

/// The URL as Traefik's `rawURL` rebuilds it for `redirectRegex`.
fn raw_url(req: &Request) -> String {
    let tls = req.extensions().get::<ConnectionInfo>().is_some_and(ConnectionInfo::is_tls);
    let scheme = if tls { "https" } else { "http" };
    let uri = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    format!("{scheme}://{}{uri}", request_host(req))
}

/// A header-safe form of `url`: bytes a `Location` cannot carry raw are percent-escaped, as Go's
/// `url.URL.String()` would escape them.
fn location(url: &str) -> Option<HeaderValue> {
    let mut escaped = String::with_capacity(url.len() + 8);
    for &b in url.as_bytes() {
        if b.is_ascii_graphic() {
            escaped.push(char::from(b));
        } else {
            escaped.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&escaped).ok()
}

impl Handler for Layer {
    fn handle(&self, req: Request) -> HandlerFuture {
        let old = raw_url(&req);
        let t = &self.target;
        if !t.regex.is_match(old.as_bytes()) {
            return self.next.handle(req);
        }
        let replaced = t.regex.replace_all(old.as_bytes(), t.replacement.as_bytes());
        if replaced.as_ref() == old.as_bytes() {
            return self.next.handle(req);
        }
        let new = String::from_utf8_lossy(&replaced);
        let resp = match location(&new) {
            Some(location) => redirect_response(location, t.permanent, req.method()),
            None => text_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
        };
        Box::pin(async move { resp })
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::super::test_support::{echo, get, text};
    use super::*;
    use crate::context::TlsInfo;

    async fn run(regex: &str, replacement: &str, permanent: bool, mut req: Request) -> (u16, String, String) {
        let config = Config { regex: regex.into(), replacement: replacement.into(), permanent: Some(permanent) };
        let mw = build(&config, &BuildContext::new("t")).expect("builds");
        if req.headers().get("x-tls").is_some() {
            let addr = SocketAddr::from(([127, 0, 0, 1], 1));
            req.extensions_mut().insert(ConnectionInfo {
                entry_point: "ep".into(),
                peer: addr,
                local: addr,
                tls: Some(TlsInfo::default()),
            });
        }
        let resp = mw.wrap(echo()).handle(req).await;
        let location = resp.headers().get("location").map(|l| l.to_str().unwrap_or("?").to_owned()).unwrap_or_default();
        (resp.status().as_u16(), location, text(resp).await)
    }

    #[tokio::test]
    async fn redirects_like_traefik() {
        // Cases from Traefik's redirect_regex_test.go.
        assert_eq!(
            run(r"^(?:http?:\/\/)(foo)(\.com)(:\d+)(.*)$", "https://${1}bar$2:443$4", false, get("foo.com:80", "/"))
                .await,
            (302, "https://foobar.com:443/".into(), "Found".into())
        );
        assert_eq!(
            run(r"^http://localhost/(.*)", "https://localhost/$1", true, get("localhost", "/a?b=c")).await,
            (301, "https://localhost/a?b=c".into(), "Moved Permanently".into())
        );
        assert_eq!(
            run(r"https://foo/(.*)", "http://$1", false, get("foo", "/x")).await.0,
            200,
            "a plain HTTP request is not an https:// URL"
        );
        let mut tls = get("foo", "/x");
        tls.headers_mut().insert("x-tls", HeaderValue::from_static("1"));
        assert_eq!(run(r"https://foo/(.*)", "http://bar/$1", false, tls).await.1, "http://bar/x");
    }

    #[tokio::test]
    async fn methods_and_no_ops() {
        let mut post = get("foo", "/");
        *post.method_mut() = http::Method::POST;
        assert_eq!(run(r"^http://foo/$", "http://bar/", false, post).await.0, 307);
        let mut put = get("foo", "/");
        *put.method_mut() = http::Method::PUT;
        assert_eq!(run(r"^http://foo/$", "http://bar/", true, put).await.0, 308);
        // Replacing a URL by itself is not a redirection.
        assert_eq!(
            run(r"^http://foo/(.*)$", "http://foo/$1", false, get("foo", "/a")).await,
            (200, "".into(), "GET /a".into())
        );
        // Unmatched groups expand to nothing; spaces are escaped in Location.
        assert_eq!(run(r"^http://foo/(z)?", "http://bar/a b$1", false, get("foo", "/")).await.1, "http://bar/a%20b");
    }
}
