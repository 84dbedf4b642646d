//! The host a request is for, read once and without ambiguity (RFC 9112 §3.2, RFC 9113
//! §8.3.1), before anything routes on it.
//!
//! Routing reads one host and the upstream may read another: with two `Host` fields the router
//! matched the first while both were forwarded, so an `ipAllowList` on one host could be walked
//! around through a router for another. A request whose host is not one plain `host[:port]` is
//! therefore refused with 400, as Go's server (and so Traefik) refuses it before any handler:
//! more than one `Host`, none in HTTP/1.1, or a malformed one. We also refuse a `Host` that
//! names another host than the request target's authority (absolute-form target, HTTP/2
//! `:authority`), which Go lets through by ignoring the header: a component in front of the
//! proxy that reads the header would see another host than the proxy routes on.

use http::{header, HeaderMap, HeaderValue, Method, Uri, Version};

/// The value the `Host` header must carry from here on (the target's authority when it has
/// one, else the client's `Host`), or why the request is refused.
pub(super) fn request_host(
    version: Version,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<Option<HeaderValue>, &'static str> {
    let mut fields = headers.get_all(header::HOST).iter();
    let field = fields.next();
    if fields.next().is_some() {
        return Err("too many Host headers");
    }
    if field.is_some_and(|v| !valid_host(v.as_bytes())) {
        return Err("malformed Host header");
    }
    // Required in HTTP/1.1, even with an absolute target; Go spares CONNECT, and HTTP/2 has
    // `:authority` instead.
    if field.is_none() && version == Version::HTTP_11 && method != Method::CONNECT {
        return Err("missing required Host header");
    }
    let Some(authority) = uri.authority() else { return Ok(field.cloned()) };
    // The Host header never carries userinfo (RFC 9112 §3.2).
    let target = authority.as_str().rsplit_once('@').map_or(authority.as_str(), |(_, host)| host);
    if !valid_host(target.as_bytes()) {
        return Err("malformed request target authority");
    }
    let default_port = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => Some("443"),
        Some(s) if s.eq_ignore_ascii_case("http") => Some("80"),
        _ => None,
    };
    if field.is_some_and(|v| !same_host(target.as_bytes(), v.as_bytes(), default_port)) {
        return Err("Host header does not match the request target");
    }
    HeaderValue::from_str(target).map(Some).map_err(|_| "malformed request target authority")
}

/// `Host = uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2): an IP literal in brackets
/// or a reg-name (unreserved, sub-delims, percent-encodings), then digits after one colon. An
/// empty value is valid: RFC 9112 §3.2 asks clients to send it for a target without authority.
/// Go checks only the bytes, not the shape (`a:b:c` or a bare IPv6 address pass there).
fn valid_host(value: &[u8]) -> bool {
    split_host(value).is_some()
}

/// `(host, port)`, the port empty when there is none; `None` when not `uri-host [":" port]`.
fn split_host(value: &[u8]) -> Option<(&[u8], &[u8])> {
    let (host, rest) = if value.first() == Some(&b'[') {
        let end = value.iter().position(|b| *b == b']')?;
        let literal = &value[1..end];
        if literal.is_empty() || !literal.iter().all(|b| *b == b':' || *b == b'%' || reg_name_byte(*b)) {
            return None;
        }
        (&value[..=end], &value[end + 1..])
    } else {
        let end = value.iter().position(|b| *b == b':').unwrap_or(value.len());
        let name = &value[..end];
        let mut i = 0;
        while i < name.len() {
            match name[i] {
                b'%' if name.get(i + 1..i + 3).is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) => i += 3,
                b if reg_name_byte(b) => i += 1,
                _ => return None,
            }
        }
        (name, &value[end..])
    };
    let port = match rest {
        [] => rest,
        [b':', port @ ..] if port.iter().all(u8::is_ascii_digit) => port,
        _ => return None,
    };
    Some((host, port))
}

/// RFC 3986 `unreserved` and `sub-delims`.
fn reg_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b)
}

/// Whether two valid `host[:port]` name the same host: the host compared without case, a
/// missing port taken as the scheme's default (RFC 9110 §4.2.3).
fn same_host(a: &[u8], b: &[u8], default_port: Option<&str>) -> bool {
    let (Some((host_a, port_a)), Some((host_b, port_b))) = (split_host(a), split_host(b)) else { return false };
    host_a.eq_ignore_ascii_case(host_b) && effective_port(port_a, default_port) == effective_port(port_b, default_port)
}

/// A port's digits without leading zeros, the scheme's default when there are none.
fn effective_port<'a>(digits: &'a [u8], default_port: Option<&'a str>) -> Option<&'a [u8]> {
    if digits.is_empty() {
        return default_port.map(str::as_bytes);
    }
    let significant = digits.iter().position(|b| *b != b'0').unwrap_or(digits.len() - 1);
    Some(&digits[significant..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(version: Version, target: &str, hosts: &[&str]) -> Result<Option<String>, &'static str> {
        let mut headers = HeaderMap::new();
        for h in hosts {
            headers.append(header::HOST, HeaderValue::from_str(h).expect("value"));
        }
        let uri: Uri = target.parse().expect("uri");
        request_host(version, &Method::GET, &uri, &headers).map(|v| v.map(|v| v.to_str().expect("ascii").to_owned()))
    }

    #[test]
    fn one_valid_host_is_kept() {
        for host in
            ["a.example", "A.Example:8080", "127.0.0.1:80", "[::1]", "[::1]:443", "a%2Db.example", "a.example:", ""]
        {
            assert_eq!(check(Version::HTTP_11, "/", &[host]), Ok(Some(host.to_owned())), "{host:?}");
        }
        assert_eq!(check(Version::HTTP_10, "/", &[]), Ok(None));
        assert_eq!(check(Version::HTTP_2, "/", &[]), Ok(None));
    }

    #[test]
    fn ambiguous_or_malformed_hosts_are_refused() {
        let cases: &[(&[&str], &str)] = &[
            (&["a.example", "b.example"], "too many Host headers"),
            (&["a.example", "a.example"], "too many Host headers"),
            (&[], "missing required Host header"),
            (&["a b.example"], "malformed Host header"),
            (&["a.example:80:80"], "malformed Host header"),
            (&["a.example:http"], "malformed Host header"),
            (&["::1"], "malformed Host header"),
            (&["[::1"], "malformed Host header"),
            (&["[]"], "malformed Host header"),
            (&["a%zz.example"], "malformed Host header"),
            (&["user@a.example"], "malformed Host header"),
            (&["a.example/path"], "malformed Host header"),
            (&["\u{e9}.example"], "malformed Host header"),
        ];
        for (hosts, reason) in cases {
            let value = |h: &&str| HeaderValue::from_bytes(h.as_bytes()).expect("value");
            let mut headers = HeaderMap::new();
            for h in *hosts {
                headers.append(header::HOST, value(h));
            }
            let got = request_host(Version::HTTP_11, &Method::GET, &Uri::from_static("/"), &headers);
            assert_eq!(got, Err(*reason), "{hosts:?}");
        }
    }

    #[test]
    fn the_target_authority_wins_and_must_agree_with_host() {
        let v11 = Version::HTTP_11;
        assert_eq!(check(v11, "http://a.example/x", &["a.example"]), Ok(Some("a.example".to_owned())));
        assert_eq!(check(v11, "http://a.example/x", &["A.EXAMPLE:80"]), Ok(Some("a.example".to_owned())));
        assert_eq!(check(v11, "https://a.example:443/", &["a.example"]), Ok(Some("a.example:443".to_owned())));
        assert_eq!(check(v11, "http://u:p@a.example:81/", &["a.example:81"]), Ok(Some("a.example:81".to_owned())));
        assert_eq!(check(Version::HTTP_2, "https://a.example/", &[]), Ok(Some("a.example".to_owned())));
        let mismatch = Err("Host header does not match the request target");
        assert_eq!(check(v11, "http://a.example/", &["b.example"]), mismatch);
        assert_eq!(check(v11, "http://a.example/", &["a.example:8080"]), mismatch);
        assert_eq!(check(v11, "https://a.example/", &["a.example:80"]), mismatch);
        assert_eq!(check(v11, "http://a.example/", &[""]), mismatch);
        assert_eq!(check(v11, "http://a.example/", &[]), Err("missing required Host header"));
        assert_eq!(check(Version::HTTP_2, "https://a.example/", &["b.example"]), mismatch);
        assert_eq!(
            check(Version::HTTP_2, "https://a.example/", &["a.example", "a.example"]),
            Err("too many Host headers")
        );
    }
}
