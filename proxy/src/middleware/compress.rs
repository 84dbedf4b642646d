//! `compress`: compresses responses with gzip, Brotli or zstd as the client accepts, to save
//! bandwidth on text-like content served by backends that do not compress themselves.
//!
//! Traefik v3's semantics (`pkg/middlewares/compress`):
//! - the encoding is picked from `Accept-Encoding` among `encodings` (default gzip, br, zstd,
//!   in this preference order): highest `q` first (`q=0` or a malformed `q` means "not
//!   acceptable"), ties broken by the order of `encodings`; `*` stands for `defaultEncoding` (or
//!   the first encoding); `identity`, an empty header or nothing acceptable means no
//!   compression; a request *without* the header is compressed only with `defaultEncoding`;
//! - `HEAD` requests and requests whose own `Content-Type` is excluded (always
//!   `application/grpc`, plus `excludedContentTypes`) are passed through untouched;
//! - once an encoding is picked the response always gets `Vary: Accept-Encoding`, and it is
//!   compressed unless it already has a `Content-Encoding` (no double compression), its
//!   `Content-Type` is unparsable, excluded, or not in `includedContentTypes` when that is set,
//!   or its body is smaller than `minResponseBodyBytes` (default 1024);
//! - the size is known from `Content-Length`, or by holding back the first bytes of the body
//!   until there are enough; as with Traefik's 100 ms flushes, bytes held for 100 ms start the
//!   compression anyway, so that slow streams are not stalled;
//! - a compressed response loses `Content-Length` (and `Accept-Ranges`, which no longer
//!   applies); the encoder is flushed whenever the backend pauses, so streamed responses keep
//!   flowing.

use std::collections::VecDeque;
use std::io::Write as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method};
use http_body_util::BodyExt;
use hyper::body::{Body as HttpBody, Frame};

use super::{BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler};
use crate::body::{boxed, Body, BoxError, Response};
use crate::config::Compress as Config;

/// Traefik's default `minResponseBodyBytes` (klauspost's gzhttp default).
const DEFAULT_MIN_SIZE: usize = 1024;
/// How long the first bytes may be held back while deciding (Traefik's flush interval).
const DECISION_WAIT: Duration = Duration::from_millis(100);
const DEFAULT_ENCODINGS: [&str; 3] = ["gzip", "br", "zstd"];

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(Compress(Arc::new(Settings::new(config, ctx)?))))
}

impl Settings {
    fn new(config: &Config, ctx: &BuildContext<'_>) -> Result<Self, BuildError> {
        if !config.excluded_content_types.is_empty() && !config.included_content_types.is_empty() {
            return Err(
                ctx.invalid("compress: excludedContentTypes and includedContentTypes options are mutually exclusive")
            );
        }
        let media_types = |list: &[String], key: &str| -> Result<Vec<String>, BuildError> {
            list.iter()
                .map(|v| {
                    parse_media_type(v)
                        .filter(|(_, params_ok)| *params_ok)
                        .map(|(m, _)| m)
                        .ok_or_else(|| ctx.invalid(format!("compress.{key}: cannot parse media type {v:?}")))
                })
                .collect()
        };
        let mut excludes = vec!["application/grpc".to_owned()];
        excludes.extend(media_types(&config.excluded_content_types, "excludedContentTypes")?);
        let includes = media_types(&config.included_content_types, "includedContentTypes")?;

        let mut encodings = Vec::new();
        let configured: Vec<&str> = if config.encodings.is_empty() {
            DEFAULT_ENCODINGS.to_vec()
        } else {
            config.encodings.iter().map(String::as_str).collect()
        };
        for name in configured {
            let encoding = Encoding::from_name(name)
                .ok_or_else(|| ctx.invalid(format!("compress.encodings: unsupported encoding {name:?}")))?;
            encodings.push(encoding);
        }
        let default_encoding = match config.default_encoding.as_deref().filter(|d| !d.is_empty()) {
            None => None,
            Some(name) => Some(Encoding::from_name(name).filter(|e| encodings.contains(e)).ok_or_else(|| {
                ctx.invalid(format!("compress.defaultEncoding: unsupported default encoding {name:?}"))
            })?),
        };
        let min_size = config
            .min_response_body_bytes
            .filter(|n| *n > 0)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(DEFAULT_MIN_SIZE);
        Ok(Settings { excludes, includes, min_size, encodings, default_encoding })
    }
}

/// A content coding this middleware produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Gzip,
    Brotli,
    Zstd,
}

impl Encoding {
    fn from_name(name: &str) -> Option<Encoding> {
        match name {
            "gzip" => Some(Encoding::Gzip),
            "br" => Some(Encoding::Brotli),
            "zstd" => Some(Encoding::Zstd),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
        }
    }

    fn encoder(self) -> std::io::Result<Encoder> {
        Ok(match self {
            Encoding::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6))),
            // Quality 6 and a 4 MiB window: the defaults of the Go encoder Traefik uses.
            Encoding::Brotli => Encoder::Brotli(Box::new(brotli::CompressorWriter::new(Vec::new(), 4096, 6, 22))),
            Encoding::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(Vec::new(), 3)?),
        })
    }
}

/// What the client's `Accept-Encoding` leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Choice {
    Encode(Encoding),
    /// `identity`, nothing acceptable, or an empty header.
    Plain,
}

struct Settings {
    excludes: Vec<String>,
    includes: Vec<String>,
    min_size: usize,
    encodings: Vec<Encoding>,
    default_encoding: Option<Encoding>,
}

impl Settings {
    /// Traefik's `getCompressionEncoding`.
    fn choose(&self, accept: &[&[u8]]) -> Choice {
        if let [only] = accept {
            if only.is_empty() {
                return Choice::Plain;
            }
        }
        // (weight, priority, what): `*` is the most permissive, `identity` the least.
        let mut acceptable: Vec<(f64, i64, Option<Encoding>, bool)> = Vec::new();
        let identity = i64::try_from(self.encodings.len()).unwrap_or(i64::MAX);
        for line in accept {
            let line: String = String::from_utf8_lossy(line).chars().filter(|c| *c != ' ').collect();
            for item in line.split(',') {
                let (name, params) = match item.split_once(';') {
                    Some((n, p)) => (n, Some(p)),
                    None => (item, None),
                };
                let (priority, encoding, wildcard) = match name {
                    "*" => (-1, None, true),
                    "identity" => (identity, None, false),
                    other => match self.encodings.iter().position(|e| e.name() == other) {
                        Some(i) => (i64::try_from(i).unwrap_or(i64::MAX), Some(self.encodings[i]), false),
                        None => continue,
                    },
                };
                let weight = match params.and_then(|p| p.strip_prefix("q=")) {
                    Some(q) => q.parse::<f64>().unwrap_or(0.0),
                    None => 1.0,
                };
                if weight == 0.0 {
                    continue;
                }
                acceptable.push((weight, priority, encoding, wildcard));
            }
        }
        acceptable.sort_by(|a, b| {
            if a.0 == b.0 {
                a.1.cmp(&b.1)
            } else {
                b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal)
            }
        });
        match acceptable.first() {
            None => Choice::Plain,
            Some((_, _, _, true)) => Choice::Encode(
                self.default_encoding.unwrap_or_else(|| self.encodings.first().copied().unwrap_or(Encoding::Gzip)),
            ),
            Some((_, _, Some(encoding), _)) => Choice::Encode(*encoding),
            Some((_, _, None, _)) => Choice::Plain,
        }
    }

    /// Whether the response's `Content-Type` allows compression.
    fn compressible_type(&self, headers: &HeaderMap) -> bool {
        let Some(ct) = headers.get(header::CONTENT_TYPE).filter(|v| !v.is_empty()) else {
            return true;
        };
        let Some((media, true)) = ct.to_str().ok().and_then(parse_media_type) else {
            return false;
        };
        if !self.includes.is_empty() && !self.includes.contains(&media) {
            return false;
        }
        !self.excludes.contains(&media)
    }
}

/// Go's `mime.ParseMediaType`, reduced to what is needed: the lower-cased media type, and
/// whether the parameters parse. `None` when the media type itself is malformed.
fn parse_media_type(value: &str) -> Option<(String, bool)> {
    let (base, params) = value.split_once(';').unwrap_or((value, ""));
    let media = base.trim().to_ascii_lowercase();
    let (kind, sub) = media.split_once('/').unwrap_or((media.as_str(), ""));
    if !is_token(kind) || (media.contains('/') && !is_token(sub)) {
        return None;
    }
    let pieces: Vec<&str> = params.split(';').collect();
    let params_ok = pieces.iter().enumerate().all(|(i, piece)| {
        let piece = piece.trim();
        if piece.is_empty() {
            return i + 1 == pieces.len() || params.trim().is_empty();
        }
        match piece.split_once('=') {
            Some((key, value)) => {
                let value = value.trim();
                is_token(key.trim())
                    && (is_token(value) || (value.len() >= 2 && value.starts_with('"') && value.ends_with('"')))
            }
            None => false,
        }
    });
    Some((media, params_ok))
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b > 0x20 && b < 0x7f && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

struct Compress(Arc<Settings>);

impl Middleware for Compress {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { settings: self.0.clone(), next })
    }
}

struct Layer {
    settings: Arc<Settings>,
    next: SharedHandler,
}

impl Handler for Layer {
    fn handle(&self, req: Request) -> HandlerFuture {
        let s = &self.settings;
        if req.method() == Method::HEAD {
            return self.next.handle(req);
        }
        let request_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_media_type)
            .map(|(m, _)| m)
            .unwrap_or_default();
        if s.excludes.contains(&request_type) {
            return self.next.handle(req);
        }
        let accept: Vec<&[u8]> =
            req.headers().get_all(header::ACCEPT_ENCODING).iter().map(HeaderValue::as_bytes).collect();
        let choice = if accept.is_empty() {
            // No header: any coding is acceptable (RFC 9110), but Traefik compresses only when
            // told which one to use.
            s.default_encoding.map_or(Choice::Plain, Choice::Encode)
        } else {
            s.choose(&accept)
        };
        let Choice::Encode(encoding) = choice else {
            return self.next.handle(req);
        };
        let settings = self.settings.clone();
        let fut = self.next.handle(req);
        Box::pin(async move { settings.compress(fut.await, encoding).await })
    }
}

impl Settings {
    async fn compress(&self, resp: Response, encoding: Encoding) -> Response {
        let (mut parts, body) = resp.into_parts();
        add_vary(&mut parts.headers);
        let no_body = parts.status.is_informational()
            || parts.status == http::StatusCode::NO_CONTENT
            || parts.status == http::StatusCode::NOT_MODIFIED;
        let encoded = parts.headers.get(header::CONTENT_ENCODING).is_some_and(|v| !v.is_empty());
        if no_body || encoded || !self.compressible_type(&parts.headers) {
            return Response::from_parts(parts, body);
        }
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = match declared {
            Some(len) if len < self.min_size as u64 => return Response::from_parts(parts, body),
            Some(_) => Prefixed::new(VecDeque::new(), Some(body)),
            None => match hold_back(body, self.min_size).await {
                Held::Small(plain) => return Response::from_parts(parts, boxed(plain)),
                Held::Enough(prefixed) => prefixed,
            },
        };
        let encoder = match encoding.encoder() {
            Ok(e) => e,
            Err(e) => {
                tracing::debug!(error = %e, "compress: cannot create the encoder");
                return Response::from_parts(parts, boxed(body));
            }
        };
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::ACCEPT_RANGES);
        parts.headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding.name()));
        let compressed = Compressed { inner: body, encoder: Some(encoder), dirty: false, trailers: None };
        Response::from_parts(parts, boxed(compressed))
    }
}

/// Adds `Accept-Encoding` to `Vary` unless it is already there.
fn add_vary(headers: &mut HeaderMap) {
    let listed = headers
        .get_all(header::VARY)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("accept-encoding"))));
    if !listed {
        headers.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    }
}

enum Held {
    /// The whole body, smaller than the minimum: sent as is.
    Small(Prefixed),
    /// Enough bytes (or a pause long enough) to compress: what was read, then the rest.
    Enough(Prefixed),
}

/// Reads the body until `min_size` bytes, its end, or [`DECISION_WAIT`] after the first bytes.
async fn hold_back(mut body: Body, min_size: usize) -> Held {
    let mut frames = VecDeque::new();
    let mut seen = 0usize;
    let mut deadline = None;
    loop {
        let next = match deadline {
            Some(at) => match tokio::time::timeout_at(at, body.frame()).await {
                Ok(frame) => frame,
                Err(_) => return Held::Enough(Prefixed::new(frames, Some(body))),
            },
            None => body.frame().await,
        };
        match next {
            None => return Held::Small(Prefixed::new(frames, None)),
            Some(Err(e)) => {
                frames.push_back(Err(e));
                return Held::Small(Prefixed::new(frames, None));
            }
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    seen = seen.saturating_add(data.len());
                    if deadline.is_none() && !data.is_empty() {
                        deadline = Some(tokio::time::Instant::now() + DECISION_WAIT);
                    }
                }
                frames.push_back(Ok(frame));
                if seen >= min_size {
                    return Held::Enough(Prefixed::new(frames, Some(body)));
                }
            }
        }
    }
}

/// Frames already read, then the rest of the body.
struct Prefixed {
    frames: VecDeque<Result<Frame<Bytes>, BoxError>>,
    rest: Option<Body>,
}

impl Prefixed {
    fn new(frames: VecDeque<Result<Frame<Bytes>, BoxError>>, rest: Option<Body>) -> Self {
        Prefixed { frames, rest }
    }
}

impl HttpBody for Prefixed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(frame) = self.frames.pop_front() {
            return Poll::Ready(Some(frame));
        }
        match self.rest.as_mut() {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.frames.is_empty() && self.rest.as_ref().is_none_or(HttpBody::is_end_stream)
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        let held: u64 = self.frames.iter().filter_map(|f| f.as_ref().ok()?.data_ref().map(|d| d.len() as u64)).sum();
        match &self.rest {
            None => hyper::body::SizeHint::with_exact(held),
            Some(rest) => {
                let hint = rest.size_hint();
                let mut out = hyper::body::SizeHint::new();
                out.set_lower(hint.lower().saturating_add(held));
                if let Some(upper) = hint.upper() {
                    out.set_upper(upper.saturating_add(held));
                }
                out
            }
        }
    }
}

/// A streaming encoder writing into a buffer that the body drains.
enum Encoder {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl Encoder {
    fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Encoder::Gzip(e) => e.write_all(data),
            Encoder::Brotli(e) => e.write_all(data),
            Encoder::Zstd(e) => e.write_all(data),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Encoder::Gzip(e) => e.flush(),
            Encoder::Brotli(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
        }
    }

    /// The compressed bytes produced so far.
    fn take(&mut self) -> Vec<u8> {
        std::mem::take(match self {
            Encoder::Gzip(e) => e.get_mut(),
            Encoder::Brotli(e) => e.get_mut(),
            Encoder::Zstd(e) => e.get_mut(),
        })
    }

    /// Ends the stream and returns the last bytes.
    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Encoder::Gzip(e) => e.finish(),
            Encoder::Brotli(e) => Ok(e.into_inner()),
            Encoder::Zstd(e) => e.finish(),
        }
    }
}

/// The response body, compressed on the fly.
struct Compressed {
    inner: Prefixed,
    /// `None` once the stream is finished.
    encoder: Option<Encoder>,
    /// Input written since the last flush.
    dirty: bool,
    trailers: Option<HeaderMap>,
}

fn data(bytes: Vec<u8>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
    Poll::Ready(Some(Ok(Frame::data(Bytes::from(bytes)))))
}

impl HttpBody for Compressed {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        loop {
            let Some(encoder) = this.encoder.as_mut() else {
                return Poll::Ready(this.trailers.take().map(|t| Ok(Frame::trailers(t))));
            };
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(chunk) => {
                        encoder.write(&chunk)?;
                        this.dirty = true;
                        let out = encoder.take();
                        if !out.is_empty() {
                            return data(out);
                        }
                    }
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            this.trailers = Some(trailers);
                        }
                    }
                },
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => {
                    let Some(encoder) = this.encoder.take() else { continue };
                    return data(encoder_output(encoder)?);
                }
                Poll::Pending => {
                    if this.dirty {
                        this.dirty = false;
                        encoder.flush()?;
                        let out = encoder.take();
                        if !out.is_empty() {
                            return data(out);
                        }
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.encoder.is_none() && self.trailers.is_none()
    }
}

/// Finishes `encoder`, returning what it still had to write.
fn encoder_output(mut encoder: Encoder) -> std::io::Result<Vec<u8>> {
    let mut out = encoder.take();
    out.extend(encoder.finish()?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use futures::StreamExt as _;

    use super::super::handler_fn;
    use super::super::test_support::get;
    use super::*;
    use crate::body::full;

    fn settings(config: Config) -> Settings {
        Settings::new(&config, &BuildContext::new("t")).expect("builds")
    }

    #[test]
    fn accept_encoding_like_traefik() {
        let s = settings(Config::default());
        let choose = |v: &str| s.choose(&[v.as_bytes()]);
        use Encoding::*;
        assert_eq!(choose("gzip"), Choice::Encode(Gzip));
        assert_eq!(choose("br, gzip"), Choice::Encode(Gzip), "same weight: the configured order");
        assert_eq!(choose("gzip;q=0.5, br"), Choice::Encode(Brotli));
        assert_eq!(choose("zstd;q=0.9, br;q=0.8"), Choice::Encode(Zstd));
        assert_eq!(choose("br;q=0, identity"), Choice::Plain);
        assert_eq!(choose("identity"), Choice::Plain);
        assert_eq!(choose("compress, deflate"), Choice::Plain);
        assert_eq!(choose(""), Choice::Plain);
        assert_eq!(choose("*"), Choice::Encode(Gzip));
        assert_eq!(choose("gzip;q=bogus"), Choice::Plain);
        assert_eq!(choose("GZIP"), Choice::Plain, "coding names are matched as written, as Traefik does");
        assert_eq!(s.choose(&[b"br;q=0.5", b"zstd"]), Choice::Encode(Zstd), "several header lines");
        let with_default = settings(Config { default_encoding: Some("zstd".into()), ..Config::default() });
        assert_eq!(with_default.choose(&[b"*"]), Choice::Encode(Zstd));
        let only_br = settings(Config { encodings: vec!["br".into()], ..Config::default() });
        assert_eq!(only_br.choose(&[b"gzip"]), Choice::Plain);
        assert_eq!(only_br.choose(&[b"gzip, br"]), Choice::Encode(Brotli));
    }

    #[test]
    fn media_types() {
        assert_eq!(parse_media_type("Text/HTML; charset=utf-8"), Some(("text/html".into(), true)));
        assert_eq!(parse_media_type("text/html;"), Some(("text/html".into(), true)));
        assert_eq!(parse_media_type("text/html; charset"), Some(("text/html".into(), false)));
        assert_eq!(parse_media_type("text/html; a=\"b c\""), Some(("text/html".into(), true)));
        assert_eq!(parse_media_type("text/ html"), None);
        assert_eq!(parse_media_type(""), None);
    }

    #[test]
    fn bad_options_are_build_errors() {
        let ctx = BuildContext::new("t");
        let both = Config {
            excluded_content_types: vec!["text/plain".into()],
            included_content_types: vec!["text/html".into()],
            ..Config::default()
        };
        assert!(build(&both, &ctx).is_err());
        assert!(build(&Config { encodings: vec!["deflate".into()], ..Config::default() }, &ctx).is_err());
        let default_not_listed =
            Config { encodings: vec!["gzip".into()], default_encoding: Some("br".into()), ..Config::default() };
        assert!(build(&default_not_listed, &ctx).is_err());
        assert!(build(&Config { excluded_content_types: vec!["bad type".into()], ..Config::default() }, &ctx).is_err());
    }

    fn decode(encoding: &str, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match encoding {
            "gzip" => {
                flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).expect("gzip");
            }
            "br" => {
                brotli::Decompressor::new(bytes, 4096).read_to_end(&mut out).expect("brotli");
            }
            "zstd" => out = zstd::stream::decode_all(bytes).expect("zstd"),
            other => panic!("unexpected encoding {other}"),
        }
        out
    }

    #[tokio::test]
    async fn compresses_each_encoding_and_round_trips() {
        let page = "<p>hello</p>".repeat(200);
        let body = page.clone();
        let upstream = handler_fn(move |_req: Request| {
            let body = body.clone();
            async move {
                let mut r = Response::new(full(body));
                r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
                r
            }
        });
        let h = build(&Config::default(), &BuildContext::new("t")).expect("builds").wrap(upstream);
        for encoding in ["gzip", "br", "zstd"] {
            let mut req = get("h", "/");
            req.headers_mut().insert(header::ACCEPT_ENCODING, HeaderValue::from_static(encoding));
            let resp = h.handle(req).await;
            assert_eq!(resp.headers().get(header::CONTENT_ENCODING).map(|v| v.as_bytes()), Some(encoding.as_bytes()));
            assert_eq!(resp.headers().get(header::VARY).map(|v| v.as_bytes()), Some(&b"Accept-Encoding"[..]));
            assert!(resp.headers().get(header::CONTENT_LENGTH).is_none());
            let bytes = resp.into_body().collect().await.expect("body").to_bytes();
            assert!(bytes.len() < page.len() / 4, "{encoding}: {} bytes", bytes.len());
            assert_eq!(decode(encoding, &bytes), page.as_bytes(), "{encoding}");
        }
    }

    /// An upstream answering `body` in `chunks` pieces with `headers`, `pause` between pieces.
    fn upstream(
        body: &'static str,
        headers: &'static [(&'static str, &'static str)],
        chunks: usize,
        pause: Duration,
    ) -> SharedHandler {
        handler_fn(move |_req: Request| async move {
            let size = body.len().div_ceil(chunks.max(1)).max(1);
            let pieces: Vec<Bytes> = body.as_bytes().chunks(size).map(Bytes::copy_from_slice).collect();
            let stream = futures::stream::iter(pieces).then(move |piece| async move {
                tokio::time::sleep(pause).await;
                Ok::<_, BoxError>(Frame::data(piece))
            });
            let body =
                if chunks == 1 { crate::body::full(body) } else { boxed(http_body_util::StreamBody::new(stream)) };
            let mut r = Response::new(body);
            for (k, v) in headers {
                r.headers_mut().insert(*k, HeaderValue::from_static(v));
            }
            r
        })
    }

    async fn run(
        config: Config,
        up: SharedHandler,
        accept: Option<&'static str>,
        method: Method,
    ) -> (Response, Vec<u8>) {
        let h = build(&config, &BuildContext::new("t")).expect("builds").wrap(up);
        let mut req = get("h", "/");
        *req.method_mut() = method;
        if let Some(a) = accept {
            req.headers_mut().insert(header::ACCEPT_ENCODING, HeaderValue::from_static(a));
        }
        let resp = h.handle(req).await;
        let (parts, body) = resp.into_parts();
        let bytes = body.collect().await.map(|c| c.to_bytes().to_vec()).unwrap_or_default();
        (Response::from_parts(parts, crate::body::empty()), bytes)
    }

    fn encoding_of(resp: &Response) -> Option<&str> {
        resp.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok())
    }

    const BIG: &str = concat!(
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz",
    );

    #[tokio::test]
    async fn what_is_not_compressed() {
        let text = &[("content-type", "text/plain")];
        let d = Duration::ZERO;
        // Too small (the Vary header is still added).
        let (r, b) = run(Config::default(), upstream("short", text, 1, d), Some("gzip"), Method::GET).await;
        assert_eq!((encoding_of(&r), b.as_slice()), (None, &b"short"[..]));
        assert_eq!(r.headers().get(header::VARY).map(|v| v.as_bytes()), Some(&b"Accept-Encoding"[..]));
        // Already encoded: never twice.
        let (r, b) =
            run(Config::default(), upstream(BIG, &[("content-encoding", "br")], 1, d), Some("gzip"), Method::GET).await;
        assert_eq!((encoding_of(&r), b.as_slice()), (Some("br"), BIG.as_bytes()));
        // gRPC, excluded and not-included types, unparsable types.
        let grpc = &[("content-type", "application/grpc")];
        assert_eq!(
            encoding_of(&run(Config::default(), upstream(BIG, grpc, 1, d), Some("gzip"), Method::GET).await.0),
            None
        );
        let excluded = Config { excluded_content_types: vec!["text/plain".into()], ..Config::default() };
        assert_eq!(encoding_of(&run(excluded, upstream(BIG, text, 1, d), Some("gzip"), Method::GET).await.0), None);
        let included = Config { included_content_types: vec!["text/html".into()], ..Config::default() };
        assert_eq!(
            encoding_of(&run(included.clone(), upstream(BIG, text, 1, d), Some("gzip"), Method::GET).await.0),
            None
        );
        let html = &[("content-type", "text/html; charset=utf-8")];
        assert_eq!(
            encoding_of(&run(included, upstream(BIG, html, 1, d), Some("gzip"), Method::GET).await.0),
            Some("gzip")
        );
        let bad = &[("content-type", "text/plain; charset")];
        assert_eq!(
            encoding_of(&run(Config::default(), upstream(BIG, bad, 1, d), Some("gzip"), Method::GET).await.0),
            None
        );
        // HEAD, and no Accept-Encoding without a default encoding: untouched, no Vary.
        let (r, _) = run(Config::default(), upstream(BIG, text, 1, d), Some("gzip"), Method::HEAD).await;
        assert!(encoding_of(&r).is_none() && r.headers().get(header::VARY).is_none());
        let (r, _) = run(Config::default(), upstream(BIG, text, 1, d), None, Method::GET).await;
        assert!(encoding_of(&r).is_none() && r.headers().get(header::VARY).is_none());
        let with_default = Config { default_encoding: Some("br".into()), ..Config::default() };
        assert_eq!(encoding_of(&run(with_default, upstream(BIG, text, 1, d), None, Method::GET).await.0), Some("br"));
    }

    #[tokio::test]
    async fn streamed_bodies_are_measured_before_deciding() {
        let text = &[("content-type", "text/plain")];
        let (r, b) = run(Config::default(), upstream(BIG, text, 8, Duration::ZERO), Some("zstd"), Method::GET).await;
        assert_eq!(encoding_of(&r), Some("zstd"));
        assert_eq!(decode("zstd", &b), BIG.as_bytes());
        let small = Config { min_response_body_bytes: Some(2000), ..Config::default() };
        let (r, b) = run(small, upstream(BIG, text, 8, Duration::ZERO), Some("zstd"), Method::GET).await;
        assert_eq!((encoding_of(&r), b.as_slice()), (None, BIG.as_bytes()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_stream_is_compressed_without_waiting_for_the_minimum() {
        let text = &[("content-type", "text/event-stream")];
        let h = build(&Config::default(), &BuildContext::new("t")).expect("builds").wrap(upstream(
            "data: one\n\ndata: two\n\n",
            text,
            2,
            Duration::from_secs(1),
        ));
        let mut req = get("h", "/");
        req.headers_mut().insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        let started = tokio::time::Instant::now();
        let resp = h.handle(req).await;
        assert_eq!(encoding_of(&resp), Some("gzip"));
        // Headers went out 100 ms after the first event, not when 1024 bytes had come.
        assert_eq!(started.elapsed(), Duration::from_millis(1100));
        let mut body = resp.into_body();
        let first = body.frame().await.and_then(|f| f.ok()).and_then(|f| f.into_data().ok()).unwrap_or_default();
        assert!(!first.is_empty(), "the first event is flushed before the second arrives");
        assert_eq!(started.elapsed(), Duration::from_millis(1100));
        let mut all = first.to_vec();
        while let Some(Ok(frame)) = body.frame().await {
            if let Ok(d) = frame.into_data() {
                all.extend_from_slice(&d);
            }
        }
        assert_eq!(decode("gzip", &all), b"data: one\n\ndata: two\n\n");
    }
}
