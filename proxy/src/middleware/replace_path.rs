//! `replacePath`: replaces the whole path (the query is kept) and keeps the original, escaped as
//! received, in `X-Replaced-Path`, so that a backend serving one fixed path can still tell
//! what the client asked for.
//!
//! As in Traefik (`pkg/middlewares/replacepath`), the configured path is taken as an escaped
//! path: `%2F` stays an escaped slash; a path whose escapes are malformed is answered with 500
//! and Go's unescape error, as Traefik does (validation cannot know whether `%zz` was meant).

use std::sync::Arc;

use http::{HeaderValue, StatusCode};

use super::strip_prefix_regex::{escape_raw, request_path, text_error};
use super::{
    decode_path, set_path, BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler,
};
use crate::config::ReplacePath as Config;

/// The header Traefik sets to the path before replacement.
pub const X_REPLACED_PATH: &str = "x-replaced-path";

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    if config.path.is_empty() {
        return Err(ctx.invalid("replacePath needs a path"));
    }
    Ok(Arc::new(ReplacePath { target: Arc::new(target_path(&config.path)) }))
}

/// The request path for the escaped path `path`, or Go's `url.PathUnescape` error.
pub(super) fn target_path(path: &str) -> Result<String, String> {
    if let Some(bad) = malformed_escape(path) {
        return Err(format!("invalid URL escape {bad:?}"));
    }
    Ok(match decode_path(path) {
        Some(decoded) => request_path(path, &decoded),
        // Escapes of bytes that are not UTF-8: valid for Go, kept as they are.
        None => escape_raw(path),
    })
}

/// The first `%` not followed by two hex digits, with what follows it (as Go reports it).
fn malformed_escape(path: &str) -> Option<&str> {
    let bytes = path.as_bytes();
    let i = (0..bytes.len()).find(|&i| {
        bytes[i] == b'%'
            && !(i + 2 < bytes.len() && bytes[i + 1].is_ascii_hexdigit() && bytes[i + 2].is_ascii_hexdigit())
    })?;
    let mut end = (i + 3).min(path.len());
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    path.get(i..end)
}

struct ReplacePath {
    /// The path to set, or the error answered for every request.
    target: Arc<Result<String, String>>,
}

impl Middleware for ReplacePath {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { target: self.target.clone(), next })
    }
}

struct Layer {
    target: Arc<Result<String, String>>,
    next: SharedHandler,
}

impl Handler for Layer {
    fn handle(&self, mut req: Request) -> HandlerFuture {
        if let Ok(current) = HeaderValue::from_str(req.uri().path()) {
            req.headers_mut().append(X_REPLACED_PATH, current);
        }
        match self.target.as_ref() {
            Ok(path) => {
                set_path(&mut req, path);
                self.next.handle(req)
            }
            Err(message) => {
                let resp = text_error(StatusCode::INTERNAL_SERVER_ERROR, message);
                Box::pin(async move { resp })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{echo, get, text};
    use super::*;

    async fn run(path: &str, target: &str) -> (u16, String, Option<String>) {
        let mw = build(&Config { path: path.into() }, &BuildContext::new("t")).expect("builds");
        let resp = mw.wrap(echo()).handle(get("h", target)).await;
        let replaced = resp.headers().get("x-seen-x-replaced-path").map(|v| v.to_str().unwrap_or("?").to_owned());
        (resp.status().as_u16(), text(resp).await, replaced)
    }

    #[tokio::test]
    async fn replaces_the_path_and_keeps_the_query() {
        assert_eq!(run("/foo", "/bar/baz?x=1").await, (200, "GET /foo?x=1".into(), Some("/bar/baz".into())));
        assert_eq!(run("/foo%2Fbar", "/a%20b").await, (200, "GET /foo%2Fbar".into(), Some("/a%20b".into())));
        // Characters a path may not hold raw are escaped, as Go's `EscapedPath` does.
        assert_eq!(run("/foo bar", "/").await, (200, "GET /foo%20bar".into(), Some("/".into())));
    }

    #[tokio::test]
    async fn a_malformed_escape_is_answered_with_500() {
        let (status, body, _) = run("/foo%zzbar", "/x").await;
        assert_eq!(status, 500);
        assert_eq!(body, "invalid URL escape \"%zz\"\n");
    }
}
