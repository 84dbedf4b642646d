//! What a rule looks at in a request, and how Traefik normalises it before matching.
//!
//! The view is a trait over borrowed parts so that rules do not depend on a particular HTTP
//! library; the listener implements it for its request type. The normalisations below follow
//! Traefik v3 (`pkg/middlewares/requestdecorator`, `pkg/muxer/http/mux.go`) and Go's `net/url`:
//! they decide, for instance, that `Host` ignores the port, that `PathPrefix(`/a b`)` matches
//! `/a%20b` but `Path(`/a/b`)` does not match `/a%2Fb`, and that `/api/../admin` is routed as
//! `/admin` (the entry point's `normalizePath` and `sanitizePath`, `server_entrypoint_tcp.go`).

use std::net::IpAddr;

/// The parts of an HTTP request that rules match on.
pub trait RequestView {
    /// The method as received (`GET`); compared case-sensitively, as Go does.
    fn method(&self) -> &str;
    /// The request host as Go's `Request.Host` holds it: the `Host` header (HTTP/1.1), the
    /// `:authority` (HTTP/2) or the host of an absolute-form request target, port included.
    fn host(&self) -> &str;
    /// The path as received on the wire, still percent-encoded, without the query. Rules see
    /// it normalized as Traefik's entry points do ([`normalized_path`]).
    fn path(&self) -> &str;
    /// The raw query string after `?`, if any.
    fn query(&self) -> Option<&str>;
    /// Whether any value of header `name` (ASCII case-insensitive; one value per field line)
    /// satisfies `matches`. As in Go, `Host` is never passed here (Go moves it out of the header
    /// map, so `Header(`Host`, ...)` never matches in Traefik), and for HTTP/2 the `cookie`
    /// fields are passed as one value joined with `"; "`.
    fn any_header_value(&self, name: &str, matches: &mut dyn FnMut(&[u8]) -> bool) -> bool;
    /// The IP of the peer that sent the request (not `X-Forwarded-For`).
    fn client_ip(&self) -> Option<IpAddr>;
}

/// An owned request description, for tests, tools and examples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimpleRequest {
    /// HTTP method.
    pub method: String,
    /// Host as received, port included.
    pub host: String,
    /// Raw path.
    pub path: String,
    /// Raw query.
    pub query: Option<String>,
    /// Header field lines in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// Peer address.
    pub client_ip: Option<IpAddr>,
}

impl SimpleRequest {
    /// A request for `target` (a path with an optional `?query`) on `host`.
    pub fn new(method: &str, host: &str, target: &str) -> Self {
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p, Some(q.to_owned())),
            None => (target, None),
        };
        SimpleRequest {
            method: method.to_owned(),
            host: host.to_owned(),
            path: path.to_owned(),
            query,
            headers: Vec::new(),
            client_ip: None,
        }
    }

    /// Adds a header field line.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.as_bytes().to_vec()));
        self
    }

    /// Sets the peer IP.
    pub fn client_ip(mut self, ip: IpAddr) -> Self {
        self.client_ip = Some(ip);
        self
    }
}

impl RequestView for SimpleRequest {
    fn method(&self) -> &str {
        &self.method
    }
    fn host(&self) -> &str {
        &self.host
    }
    fn path(&self) -> &str {
        &self.path
    }
    fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }
    fn any_header_value(&self, name: &str, matches: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        if name.eq_ignore_ascii_case("host") {
            return false;
        }
        self.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).any(|(_, v)| matches(v))
    }
    fn client_ip(&self) -> Option<IpAddr> {
        self.client_ip
    }
}

/// The request host as Traefik matches it: port removed, surrounding space trimmed, lower
/// case (`requestdecorator.parseHost` then `types.CanonicalDomain`).
pub(crate) fn canonical_host(raw: &str) -> String {
    let host = strip_port(raw).trim();
    if host.is_ascii() {
        host.to_ascii_lowercase()
    } else {
        // Go's strings.ToLower uses simple case mapping: one char for one char.
        host.chars().map(|c| if c == '\u{130}' { 'i' } else { c.to_lowercase().next().unwrap_or(c) }).collect()
    }
}

/// `requestdecorator.parseHost`: Go's `net.SplitHostPort` when the host has a colon, with its
/// quirks (a bare IPv6 address stays whole, `[::1]` loses its brackets, the port is not checked).
fn strip_port(addr: &str) -> &str {
    if !addr.contains(':') {
        return addr;
    }
    match split_host_port(addr) {
        Some(host) => host,
        None if addr.len() >= 2 && addr.starts_with('[') && addr.ends_with(']') => &addr[1..addr.len() - 1],
        None => addr,
    }
}

/// Go's `net.SplitHostPort`, host part only; `None` where Go returns an error.
pub(crate) fn split_host_port(hostport: &str) -> Option<&str> {
    let last_colon = hostport.rfind(':')?;
    let (host, open_from, close_from) = if hostport.starts_with('[') {
        let end = hostport.find(']')?;
        if end + 1 != last_colon {
            return None;
        }
        (&hostport[1..end], 1, end + 1)
    } else {
        let host = &hostport[..last_colon];
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if hostport[open_from..].contains('[') || hostport[close_from..].contains(']') {
        return None;
    }
    Some(host)
}

/// Percent-encodings Traefik keeps encoded in the routing path (RFC 3986 reserved characters
/// and `%` itself), in exactly this upper-case spelling (`mux.go`: `reservedCharacters`).
const RESERVED: [&[u8; 3]; 19] = [
    b"%3A", b"%2F", b"%3F", b"%23", b"%5B", b"%5D", b"%40", b"%21", b"%24", b"%26", b"%27", b"%28", b"%29", b"%2A",
    b"%2B", b"%2C", b"%3B", b"%3D", b"%25",
];

/// The path is not a valid percent-encoding; Traefik (Go's server) answers 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid percent-encoding in the request path")]
pub struct InvalidPath;

/// The path that `Path`, `PathPrefix` and `PathRegexp` see: the entry point's normalized path
/// ([`normalized_path`]) with every percent-encoding decoded except the reserved ones
/// (`withRoutingPath` in `mux.go`).
pub(crate) fn routing_path(raw: &str) -> Result<Vec<u8>, InvalidPath> {
    if is_already_normal(raw) {
        return Ok(raw.as_bytes().to_vec());
    }
    decode_non_reserved(normalized_path(raw)?.as_bytes())
}

/// The common case that every step leaves unchanged: a rooted path of plain characters with
/// no percent-encoding, no empty, `.` or `..` segment.
fn is_already_normal(raw: &str) -> bool {
    let Some(rest) = raw.strip_prefix('/') else { return false };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    raw.bytes().all(|b| b != b'%' && go_path_byte_ok(b))
        && (raw == "/" || rest.split('/').all(|segment| !matches!(segment, "" | "." | "..")))
}

/// Percent-encodings of RFC 3986 unreserved characters, which Traefik's entry point decodes
/// (`normalizePath` in `server_entrypoint_tcp.go`).
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

/// The path as Traefik's entry point hands it to the router: Go's parsing of the request
/// target, then `normalizePath` (percent-encodings upper-cased, unreserved ones decoded) and
/// `sanitizePath` (on by default: `path.Clean` of the escaped path, keeping a trailing slash).
/// Returned in escaped form; the proxy forwards this path upstream.
pub fn normalized_path(raw: &str) -> Result<String, InvalidPath> {
    if is_already_normal(raw) {
        return Ok(raw.to_owned());
    }
    normalized_path_slow(raw)
}

fn normalized_path_slow(raw: &str) -> Result<String, InvalidPath> {
    let path = percent_decode(raw.as_bytes())?;
    // Go keeps the raw form only when it differs from its own escaping of the decoded path.
    let mut raw_path = (go_escape_path(&path) != raw.as_bytes()).then(|| raw.as_bytes().to_vec());
    if let Some(rp) = &raw_path {
        raw_path = Some(normalize_escapes(rp)?);
    }
    let escaped = escaped_path(&path, raw_path.as_deref());
    let cleaned = join_clean(&escaped);
    // `setPath` then `EscapedPath` again: a cleaned valid path is its own escaped form.
    let decoded = percent_decode(&cleaned)?;
    let raw_after = (go_escape_path(&decoded) != cleaned).then_some(cleaned.as_slice());
    let out = escaped_path(&decoded, raw_after);
    String::from_utf8(out).map_err(|_| InvalidPath)
}

/// `URL.EscapedPath()`: the raw path when it is a valid encoding, else Go's escaping.
fn escaped_path(path: &[u8], raw_path: Option<&[u8]>) -> Vec<u8> {
    if let Some(rp) = raw_path {
        if rp.iter().all(|&b| go_path_byte_ok(b)) {
            return rp.to_vec();
        }
    }
    if path == b"*" {
        return b"*".to_vec();
    }
    go_escape_path(path)
}

/// Upper-cases percent-encodings and decodes the unreserved ones.
fn normalize_escapes(raw: &[u8]) -> Result<Vec<u8>, InvalidPath> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != b'%' {
            out.push(raw[i]);
            i += 1;
            continue;
        }
        let hi = raw.get(i + 1).copied().and_then(hex_val).ok_or(InvalidPath)?;
        let lo = raw.get(i + 2).copied().and_then(hex_val).ok_or(InvalidPath)?;
        let byte = hi << 4 | lo;
        if is_unreserved(byte) {
            out.push(byte);
        } else {
            out.extend_from_slice(&[b'%', raw[i + 1].to_ascii_uppercase(), raw[i + 2].to_ascii_uppercase()]);
        }
        i += 3;
    }
    Ok(out)
}

/// `URL.JoinPath()` with no element: `path.Clean`, keeping one trailing slash.
fn join_clean(escaped: &[u8]) -> Vec<u8> {
    let mut cleaned = if escaped.starts_with(b"/") {
        go_clean(escaped)
    } else {
        let mut rooted = b"/".to_vec();
        rooted.extend_from_slice(escaped);
        go_clean(&rooted)[1..].to_vec()
    };
    if escaped.ends_with(b"/") && !cleaned.ends_with(b"/") {
        cleaned.push(b'/');
    }
    cleaned
}

/// Go's `path.Clean` for a rooted path: one slash between elements, no `.`, `..` resolved.
fn go_clean(path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for segment in path.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut out = Vec::with_capacity(path.len());
    for part in &parts {
        out.push(b'/');
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

/// Bytes Go's `validEncoded(.., encodePath)` accepts in a raw path.
fn go_path_byte_ok(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@!'()*[]%".contains(&b)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn percent_decode(bytes: &[u8]) -> Result<Vec<u8>, InvalidPath> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_val).ok_or(InvalidPath)?;
            let lo = bytes.get(i + 2).copied().and_then(hex_val).ok_or(InvalidPath)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn decode_non_reserved(bytes: &[u8]) -> Result<Vec<u8>, InvalidPath> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let seq = bytes.get(i..i + 3).ok_or(InvalidPath)?;
        if RESERVED.iter().any(|r| r.as_slice() == seq) {
            out.extend_from_slice(seq);
        } else {
            let hi = hex_val(seq[1]).ok_or(InvalidPath)?;
            let lo = hex_val(seq[2]).ok_or(InvalidPath)?;
            out.push(hi << 4 | lo);
        }
        i += 3;
    }
    Ok(out)
}

/// Go's `url.escape(s, encodePath)`.
fn go_escape_path(bytes: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(bytes.len() * 3);
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
    out
}

/// Go's `url.ParseQuery` as used by `req.URL.Query()`: pairs split on `&`, a pair holding `;`
/// or a bad escape is dropped, `+` is a space, a key without `=` has the empty value.
pub(crate) fn parse_query(raw: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty() && !pair.contains(';'))
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((query_unescape(k)?, query_unescape(v)?))
        })
        .collect()
}

fn query_unescape(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex_val(*bytes.get(i + 1)?)?;
                let lo = hex_val(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_normalisation_follows_go() {
        assert_eq!(canonical_host("Example.COM:8080"), "example.com");
        assert_eq!(canonical_host("[::1]:80"), "::1");
        assert_eq!(canonical_host("[::1]"), "::1");
        assert_eq!(canonical_host("::1"), "::1");
        assert_eq!(canonical_host("example.com:"), "example.com");
        assert_eq!(canonical_host(" example.com "), "example.com");
        assert_eq!(canonical_host("a:b:c"), "a:b:c");
    }

    #[test]
    fn routing_path_follows_traefik_entry_point_and_muxer() {
        let rp = |s: &str| routing_path(s).map(|c| String::from_utf8_lossy(&c).into_owned());
        assert_eq!(rp("/a%20b").as_deref(), Ok("/a b"));
        assert_eq!(rp("/a%2Fb").as_deref(), Ok("/a%2Fb"));
        // normalizePath upper-cases encodings first, so `%2f` stays encoded too.
        assert_eq!(rp("/a%2fb").as_deref(), Ok("/a%2Fb"));
        assert_eq!(rp("/%41").as_deref(), Ok("/A"));
        assert_eq!(rp("/a%").as_deref(), Err(&InvalidPath));
        assert_eq!(rp("/a%zz").as_deref(), Err(&InvalidPath));
        // sanitizePath: dot segments and duplicate slashes go, one trailing slash stays.
        assert_eq!(rp("/api/../admin").as_deref(), Ok("/admin"));
        assert_eq!(rp("/api/%2E%2E/admin").as_deref(), Ok("/admin"));
        assert_eq!(rp("//a///b/./c/").as_deref(), Ok("/a/b/c/"));
        assert_eq!(rp("/..").as_deref(), Ok("/"));
        // An encoded slash is not a separator: `%2F..` is one segment, kept.
        assert_eq!(rp("/a/%2F..").as_deref(), Ok("/a/%2F.."));
        assert_eq!(rp("*").as_deref(), Ok("*"));
        // `{` makes Go re-encode the path: `(` comes back as the reserved `%28`.
        assert_eq!(rp("/a(b){").as_deref(), Ok("/a%28b%29{"));
        assert_eq!(rp("/a(b)").as_deref(), Ok("/a(b)"));
    }

    #[test]
    fn fast_path_agrees_with_the_full_pipeline() {
        for raw in
            ["/", "/a", "/a/", "/a/b(c)!*", "//", "/a//b", "/./a", "/a/..", "/a/.", "/a/...", "/.well-known/x", "/a b"]
        {
            let full = decode_non_reserved(normalized_path_slow(raw).expect("valid").as_bytes()).expect("valid");
            assert_eq!(routing_path(raw), Ok(full), "{raw}");
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_path_agrees_on_generated_paths(raw in "/[/.a%2Ff (){]{0,12}") {
            let full = normalized_path_slow(&raw).and_then(|p| decode_non_reserved(p.as_bytes()));
            proptest::prop_assert_eq!(routing_path(&raw), full);
            if let Ok(once) = normalized_path(&raw) {
                proptest::prop_assert_eq!(normalized_path(&once), Ok(once.clone()));
            }
        }
    }

    #[test]
    fn normalized_path_is_idempotent() {
        for raw in ["/a%2fb/../c//d/", "/x%41%7e", "/a b{%2F}/./", "*", "/", "/%E2%82%AC"] {
            let once = normalized_path(raw).expect("valid");
            assert_eq!(normalized_path(&once).as_deref(), Ok(once.as_str()), "{raw}");
        }
    }

    #[test]
    fn query_parsing_follows_go() {
        let q = parse_query("a=1&b&c=x+y&d=%zz&e=1;f=2&&a=2");
        let q: Vec<(String, String)> = q
            .into_iter()
            .map(|(k, v)| (String::from_utf8(k).unwrap_or_default(), String::from_utf8(v).unwrap_or_default()))
            .collect();
        let expect = [("a", "1"), ("b", ""), ("c", "x y"), ("a", "2")];
        assert_eq!(q, expect.map(|(k, v)| (k.to_owned(), v.to_owned())));
    }
}
