//! `replacePathRegex`: rewrites the path with a regexp and a replacement (`$1`, `${name}`), and
//! keeps the original in `X-Replaced-Path`, for backends whose URL layout differs from the
//! public one.
//!
//! As in Traefik (`pkg/middlewares/replacepathregex`): the regexp (trimmed, Go syntax) is
//! matched against the escaped path as received; every match is replaced (Go's
//! `ReplaceAllString`); the result is an escaped path, so a replacement may introduce `%2F`. A
//! malformed escape in the result is answered with 500 and Go's error, and a result that
//! `url.JoinPath` would clean into another path (`//x`, `/a/../x`) with 400. A path the regexp
//! does not match passes untouched.

use std::sync::Arc;

use http::{HeaderValue, StatusCode};

use super::replace_path::{target_path, X_REPLACED_PATH};
use super::strip_prefix_regex::{bad_request, survives_join_path, text_error};
use super::{
    decode_path, set_path, BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler,
};
use crate::config::ReplacePathRegex as Config;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    let regex = crate::rule::compile_go_regex(config.regex.trim())
        .map_err(|e| ctx.invalid(format!("replacePathRegex.regex: {e}")))?;
    Ok(Arc::new(ReplacePathRegex(Arc::new(Rewrite { regex, replacement: config.replacement.trim().to_owned() }))))
}

struct Rewrite {
    regex: regex::bytes::Regex,
    replacement: String,
}

struct ReplacePathRegex(Arc<Rewrite>);

impl Middleware for ReplacePathRegex {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { rewrite: self.0.clone(), next })
    }
}

struct Layer {
    rewrite: Arc<Rewrite>,
    next: SharedHandler,
}

impl Handler for Layer {
    fn handle(&self, mut req: Request) -> HandlerFuture {
        let current = req.uri().path().to_owned();
        let rw = &self.rewrite;
        if !rw.regex.is_match(current.as_bytes()) {
            return self.next.handle(req);
        }
        if let Ok(value) = HeaderValue::from_str(&current) {
            req.headers_mut().append(X_REPLACED_PATH, value);
        }
        let replaced = rw.regex.replace_all(current.as_bytes(), rw.replacement.as_bytes());
        let new_raw = String::from_utf8_lossy(&replaced).into_owned();
        let path = match target_path(&new_raw) {
            Ok(path) => path,
            Err(message) => {
                let resp = text_error(StatusCode::INTERNAL_SERVER_ERROR, &message);
                return Box::pin(async move { resp });
            }
        };
        if let Some(decoded) = decode_path(&new_raw) {
            if !decoded.is_empty() && !survives_join_path(&new_raw, &decoded) {
                return Box::pin(async { bad_request() });
            }
        }
        set_path(&mut req, &path);
        self.next.handle(req)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{echo, get, text};
    use super::*;

    async fn run(regex: &str, replacement: &str, target: &str) -> (u16, String, Option<String>) {
        let config = Config { regex: regex.into(), replacement: replacement.into() };
        let mw = build(&config, &BuildContext::new("t")).expect("builds");
        let resp = mw.wrap(echo()).handle(get("h", target)).await;
        let replaced = resp.headers().get("x-seen-x-replaced-path").map(|v| v.to_str().unwrap_or("?").to_owned());
        (resp.status().as_u16(), text(resp).await, replaced)
    }

    #[tokio::test]
    async fn rewrites_like_traefik() {
        // Cases from Traefik's replace_path_regex_test.go.
        assert_eq!(
            run(r"^/whoami/(.*)", "/who-am-i/$1", "/whoami/and/whoami").await,
            (200, "GET /who-am-i/and/whoami".into(), Some("/whoami/and/whoami".into()))
        );
        assert_eq!(
            run(r"/whoami", "/who-am-i", "/whoami/and/whoami").await,
            (200, "GET /who-am-i/and/who-am-i".into(), Some("/whoami/and/whoami".into()))
        );
        assert_eq!(
            run(r"^/downloads/([^/]+)/([^/]+)$", "/downloads/src/$1/$2", "/downloads/test/a?x=y").await,
            (200, "GET /downloads/src/test/a?x=y".into(), Some("/downloads/test/a".into()))
        );
        assert_eq!(
            run(r"/aaa/bbb", "/foo%2Fbar", "/aaa/bbb").await,
            (200, "GET /foo%2Fbar".into(), Some("/aaa/bbb".into()))
        );
        assert_eq!(
            run(r"/path/(?P<name>.*)", "/${name}/x", "/path/a%2Fb").await,
            (200, "GET /a%2Fb/x".into(), Some("/path/a%2Fb".into()))
        );
        // No match: untouched, no header.
        assert_eq!(run(r"^/api", "/x", "/other").await, (200, "GET /other".into(), None));
    }

    #[tokio::test]
    async fn bad_results_are_refused() {
        let (status, body, _) = run(r"^/a", "/%zz", "/a").await;
        assert_eq!((status, body.as_str()), (500, "invalid URL escape \"%zz\"\n"));
        assert_eq!(run(r"^/a/", "/a//", "/a/b").await.0, 400);
        assert_eq!(run(r"^/a", "/b/..", "/a").await.0, 400);
    }
}
