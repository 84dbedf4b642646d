//! `stripPrefix`: removes the first matching prefix from the path and records it in
//! `X-Forwarded-Prefix`, so that a backend mounted at `/` can serve `/api/...` and still build
//! absolute links.
//!
//! As in Traefik, prefixes are tried in order on the decoded path, the first match wins, the
//! result keeps a leading slash, and `forceSlash` (deprecated) turns an emptied path into `/`.

use std::sync::Arc;

use http::HeaderValue;

use super::{
    decode_path, ensure_leading_slash, escape_path, set_path, BuildContext, BuildError, Handler, HandlerFuture,
    Middleware, Request, SharedHandler,
};
use crate::config::StripPrefix as Config;

/// The header Traefik sets to the removed prefix.
pub const X_FORWARDED_PREFIX: &str = "x-forwarded-prefix";

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    if config.prefixes.is_empty() {
        return Err(ctx.invalid("stripPrefix needs at least one prefix"));
    }
    Ok(Arc::new(StripPrefix {
        prefixes: config.prefixes.clone().into(),
        force_slash: config.force_slash.unwrap_or(false),
    }))
}

struct StripPrefix {
    prefixes: Arc<[String]>,
    force_slash: bool,
}

impl Middleware for StripPrefix {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { prefixes: self.prefixes.clone(), force_slash: self.force_slash, next })
    }
}

struct Layer {
    prefixes: Arc<[String]>,
    force_slash: bool,
    next: SharedHandler,
}

impl Layer {
    fn stripped(&self, path: &str, prefix: &str) -> String {
        let rest = path.strip_prefix(prefix).unwrap_or(path);
        if self.force_slash {
            format!("/{}", rest.strip_prefix('/').unwrap_or(rest))
        } else {
            ensure_leading_slash(rest)
        }
    }
}

impl Handler for Layer {
    fn handle(&self, mut req: Request) -> HandlerFuture {
        let raw = req.uri().path().to_owned();
        let decoded = decode_path(&raw).unwrap_or_else(|| raw.clone());
        if let Some(prefix) = self.prefixes.iter().find(|p| decoded.starts_with(p.as_str())) {
            let new_raw = if raw == decoded || raw.starts_with(prefix.as_str()) {
                self.stripped(&raw, prefix)
            } else {
                escape_path(&self.stripped(&decoded, prefix))
            };
            // Go sends an empty path as `/`.
            set_path(&mut req, if new_raw.is_empty() { "/" } else { &new_raw });
            if let Ok(value) = HeaderValue::from_str(prefix.trim()) {
                req.headers_mut().append(X_FORWARDED_PREFIX, value);
            }
        }
        self.next.handle(req)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{echo, get, text};
    use super::*;

    async fn run(prefixes: &[&str], force_slash: Option<bool>, target: &str) -> (String, Option<String>) {
        let config = Config { prefixes: prefixes.iter().map(|p| p.to_string()).collect(), force_slash };
        let mw = build(&config, &BuildContext::new("t")).expect("builds");
        let resp = mw.wrap(echo()).handle(get("h", target)).await;
        let prefix = resp.headers().get("x-seen-x-forwarded-prefix").map(|v| v.to_str().unwrap_or("?").to_owned());
        (text(resp).await, prefix)
    }

    #[tokio::test]
    async fn strips_the_first_matching_prefix() {
        assert_eq!(run(&["/api", "/a"], None, "/api/users?x=1").await, ("GET /users?x=1".into(), Some("/api".into())));
        assert_eq!(run(&["/foo/"], None, "/foo/bar").await, ("GET /bar".into(), Some("/foo/".into())));
        assert_eq!(run(&["/api"], None, "/apix").await, ("GET /x".into(), Some("/api".into())));
        assert_eq!(run(&["/api"], None, "/api").await, ("GET /".into(), Some("/api".into())));
        assert_eq!(run(&["/api"], Some(true), "/api").await, ("GET /".into(), Some("/api".into())));
        assert_eq!(run(&["/api"], None, "/other").await, ("GET /other".into(), None));
    }

    #[tokio::test]
    async fn matches_the_decoded_path() {
        // As in Go: the raw path does not start with the prefix, so it is dropped and the
        // stripped decoded path is re-escaped (`%2F` becomes `/`).
        assert_eq!(run(&["/a b"], None, "/a%20b/c%2Fd").await, ("GET /c/d".into(), Some("/a b".into())));
        assert_eq!(run(&["/a"], None, "/a/c%2Fd").await, ("GET /c%2Fd".into(), Some("/a".into())));
    }
}
