//! `stripPrefixRegex`: removes the path prefix matched by one of several regexps (Go syntax,
//! see `crate::rule::compile_go_regex`) and records it in `X-Forwarded-Prefix`, for backends
//! mounted at `/` behind variable prefixes (`/api/v[0-9]+`, tenant ids...).
//!
//! Traefik's semantics (`pkg/middlewares/stripprefixregex`): regexps are tried in order on the
//! decoded path; the first one whose leftmost match is non-empty and starts the path wins. The
//! raw (escaped) path loses as many bytes as the decoded prefix stands for, so `%2F` and friends
//! survive, and the result keeps a leading slash. A stripped path that `url.JoinPath` would
//! clean into another path (`//x`, `/./x`, `/a/../x`) is refused with 400, so that stripping
//! cannot be used to reach a path the router never saw.

use std::sync::Arc;

use http::{HeaderValue, StatusCode};

use super::strip_prefix::X_FORWARDED_PREFIX;
use super::{
    decode_path, ensure_leading_slash, escape_path, set_path, BuildContext, BuildError, Handler, HandlerFuture,
    Middleware, Request, SharedHandler,
};
use crate::body::{full, Response};
use crate::config::StripPrefixRegex as Config;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    if config.regex.is_empty() {
        return Err(ctx.invalid("stripPrefixRegex needs at least one regexp"));
    }
    let expressions = config
        .regex
        .iter()
        .map(|re| {
            crate::rule::compile_go_regex(re.trim()).map_err(|e| ctx.invalid(format!("stripPrefixRegex.regex: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(StripPrefixRegex { expressions: expressions.into() }))
}

struct StripPrefixRegex {
    expressions: Arc<[regex::bytes::Regex]>,
}

impl Middleware for StripPrefixRegex {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { expressions: self.expressions.clone(), next })
    }
}

struct Layer {
    expressions: Arc<[regex::bytes::Regex]>,
    next: SharedHandler,
}

impl Layer {
    /// The prefix to strip from the decoded path, if a regexp matches at its start.
    fn prefix<'p>(&self, decoded: &'p str) -> Option<&'p str> {
        self.expressions.iter().find_map(|re| {
            let m = re.find(decoded.as_bytes())?;
            (m.start() == 0 && !m.is_empty()).then(|| decoded.get(..m.end())).flatten()
        })
    }
}

impl Handler for Layer {
    fn handle(&self, mut req: Request) -> HandlerFuture {
        let raw = req.uri().path().to_owned();
        let decoded = decode_path(&raw).unwrap_or_else(|| raw.clone());
        let Some(prefix) = self.prefix(&decoded) else {
            return self.next.handle(req);
        };
        let value = HeaderValue::from_str(prefix).or_else(|_| HeaderValue::from_bytes(prefix.as_bytes()));
        if let Ok(value) = value {
            req.headers_mut().append(X_FORWARDED_PREFIX, value);
        }
        let new_decoded = ensure_leading_slash(&decoded[prefix.len()..]);
        // Go keeps a `RawPath` only when the raw path is not the default escaping of the path.
        let new_raw = if escape_path(&decoded) == raw {
            escape_path(&new_decoded)
        } else {
            ensure_leading_slash(&raw[encoded_prefix_len(&raw, prefix)..])
        };
        if !new_decoded.is_empty() && !survives_join_path(&new_raw, &new_decoded) {
            return Box::pin(async { bad_request() });
        }
        set_path(&mut req, &request_path(&new_raw, &new_decoded));
        self.next.handle(req)
    }
}

/// How many bytes of the raw path stand for the decoded `prefix`: three per `%XX`, one
/// otherwise.
fn encoded_prefix_len(raw: &str, prefix: &str) -> usize {
    let bytes = raw.as_bytes();
    let (mut i, mut decoded) = (0, 0);
    while i < bytes.len() && decoded < prefix.len() {
        i += if bytes[i] == b'%' && i + 2 < bytes.len() { 3 } else { 1 };
        decoded += 1;
    }
    // Never split a UTF-8 sequence, whatever the input.
    while i < raw.len() && !raw.is_char_boundary(i) {
        i += 1;
    }
    i.min(raw.len())
}

/// The path to put in the request URI, as Go's `URL.EscapedPath` picks it: the raw path when it
/// is a valid escaping of the decoded one, the default escaping otherwise; `/` when empty.
pub(super) fn request_path(raw: &str, decoded: &str) -> String {
    let path = if is_valid_escaping(raw) && decode_path(raw).as_deref() == Some(decoded) {
        raw.to_owned()
    } else {
        escape_path(decoded)
    };
    if path.is_empty() {
        "/".to_owned()
    } else {
        ensure_leading_slash(&path)
    }
}

/// `raw` with every byte a path may not hold unescaped percent-escaped; escapes are kept.
pub(super) fn escape_raw(raw: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(raw.len());
    for &b in raw.as_bytes() {
        if is_path_byte(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:@[]%/".contains(&b)
}

/// Go's `validEncoded` for a path: only characters that may appear unescaped, or `%`.
fn is_valid_escaping(raw: &str) -> bool {
    raw.bytes().all(is_path_byte)
}

/// Whether Go's `URL.JoinPath()` (which cleans the escaped path) leaves the decoded path as
/// it is; Traefik answers 400 otherwise.
pub(super) fn survives_join_path(raw: &str, decoded: &str) -> bool {
    let cleaned = if raw.starts_with('/') { clean(raw) } else { clean(&format!("/{raw}")).split_off(1) };
    let cleaned = if raw.ends_with('/') && !cleaned.ends_with('/') { cleaned + "/" } else { cleaned };
    decode_path(&cleaned).as_deref() == Some(decoded)
}

/// Go's `path.Clean`: one slash between elements, no `.`, `..` resolved, no trailing slash.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Go's `http.Error(w, "Bad Request", 400)`.
pub(super) fn bad_request() -> Response {
    text_error(StatusCode::BAD_REQUEST, "Bad Request")
}

/// Go's `http.Error`: the message and a newline as plain text, not sniffable.
pub(super) fn text_error(status: StatusCode, message: &str) -> Response {
    let mut resp = Response::new(full(format!("{message}\n")));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    headers.insert(http::header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{echo, get, text};
    use super::*;

    async fn run(regex: &[&str], target: &str) -> (u16, String, Vec<String>) {
        let config = Config { regex: regex.iter().map(|r| r.to_string()).collect() };
        let mw = build(&config, &BuildContext::new("t")).expect("builds");
        let resp = mw.wrap(echo()).handle(get("h", target)).await;
        let prefixes = resp
            .headers()
            .get_all("x-seen-x-forwarded-prefix")
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        (resp.status().as_u16(), text(resp).await, prefixes)
    }

    #[tokio::test]
    async fn strips_the_matched_prefix_like_traefik() {
        // Cases from Traefik's own tests (strip_prefix_regex_test.go).
        let re = &["/a/api/", "/b/([a-z0-9]+)/", "/c/[a-z0-9]+/[0-9]+/"];
        assert_eq!(run(re, "/a/test").await, (200, "GET /a/test".into(), vec![]));
        assert_eq!(run(re, "/a/api/test").await, (200, "GET /test".into(), vec!["/a/api/".into()]));
        assert_eq!(run(re, "/b/api/").await, (200, "GET /".into(), vec!["/b/api/".into()]));
        assert_eq!(run(re, "/b/api/test1").await, (200, "GET /test1".into(), vec!["/b/api/".into()]));
        assert_eq!(run(re, "/b/api2/test2").await, (200, "GET /test2".into(), vec!["/b/api2/".into()]));
        assert_eq!(run(re, "/c/api/123/").await, (200, "GET /".into(), vec!["/c/api/123/".into()]));
        assert_eq!(run(re, "/c/api/123/test3?q=1").await, (200, "GET /test3?q=1".into(), vec!["/c/api/123/".into()]));
        assert_eq!(run(re, "/c/api/abc/test4").await, (200, "GET /c/api/abc/test4".into(), vec![]));
        // A match that does not start the path is not a prefix.
        assert_eq!(run(&["api/"], "/a/api/x").await, (200, "GET /a/api/x".into(), vec![]));
        // The whole path stripped: Go sends `/`.
        assert_eq!(run(&["/api"], "/api").await, (200, "GET /".into(), vec!["/api".into()]));
    }

    #[tokio::test]
    async fn keeps_escapes_after_the_prefix() {
        assert_eq!(run(&["/a"], "/a/b%2Fc").await, (200, "GET /b%2Fc".into(), vec!["/a".into()]));
        assert_eq!(run(&["/a b/"], "/a%20b/c%2Fd").await, (200, "GET /c%2Fd".into(), vec!["/a b/".into()]));
    }

    #[tokio::test]
    async fn refuses_a_path_that_cleaning_would_change() {
        let (status, body, _) = run(&["/api"], "/api//admin").await;
        assert_eq!((status, body.as_str()), (400, "Bad Request\n"));
        assert_eq!(run(&["/api/"], "/api/../x").await.0, 400);
    }

    #[test]
    fn go_path_clean() {
        for (input, want) in [
            ("/", "/"),
            ("/a/b/", "/a/b"),
            ("//a", "/a"),
            ("/a/./b", "/a/b"),
            ("/a/../../b", "/b"),
            ("a/../..", ".."),
            ("", "."),
        ] {
            assert_eq!(clean(input), want, "{input}");
        }
        assert!(survives_join_path("/a/b/", "/a/b/"));
        assert!(survives_join_path("a/b", "a/b"));
        assert!(!survives_join_path("//a", "//a"));
    }

    #[test]
    fn encoded_prefix_length() {
        assert_eq!(encoded_prefix_len("/a%20b/c", "/a b"), 6);
        assert_eq!(encoded_prefix_len("/ab", "/abcdef"), 3);
        assert_eq!(encoded_prefix_len("/é", "/"), 1);
    }
}
