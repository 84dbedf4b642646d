//! Rule semantics, matcher by matcher, as Traefik v3 defines them.
//!
//! Sources checked (Traefik repository, v3.7 / master):
//! - `docs/content/reference/routing-configuration/http/routing/rules-and-priority.md`
//! - `pkg/muxer/http/matcher.go`, `pkg/muxer/http/mux.go` (routing path), `pkg/muxer/muxer.go`
//! - `pkg/server/server_entrypoint_tcp.go` (`normalizePath`, `sanitizePath` before routing)
//! - `pkg/middlewares/requestdecorator/request_decorator.go` (host canonicalisation)
//! - `pkg/rules/parser.go` and `vulcand/predicate` (Go expression grammar)
//! - `pkg/muxer/tcp/matcher.go`, `pkg/muxer/tcp/mux.go`

use std::net::IpAddr;

use traefikee_proxy::rule::{parse_http_rule, parse_tcp_rule, ConnInfo, SimpleRequest};

fn req(host: &str, target: &str) -> SimpleRequest {
    SimpleRequest::new("GET", host, target)
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test IP")
}

/// (rule, request, expected match)
fn check(cases: &[(&str, SimpleRequest, bool)]) {
    for (rule, request, expected) in cases {
        let parsed = parse_http_rule(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
        assert_eq!(parsed.matches(request), *expected, "rule {rule} on {request:?}");
    }
}

#[test]
fn host() {
    check(&[
        ("Host(`example.com`)", req("example.com", "/"), true),
        // Hosts compare case-insensitively, both sides.
        ("Host(`example.com`)", req("EXAMPLE.com", "/"), true),
        ("Host(`Example.COM`)", req("example.com", "/"), true),
        // The request's port is ignored...
        ("Host(`example.com`)", req("example.com:8080", "/"), true),
        // ...but a port in the rule is compared literally, so it never matches.
        ("Host(`example.com:8080`)", req("example.com:8080", "/"), false),
        ("Host(`example.com`)", req("example.org", "/"), false),
        ("Host(`example.com`)", req("www.example.com", "/"), false),
        ("Host(`example.com`)", req("", "/"), false),
        // One trailing dot on either side is tolerated.
        ("Host(`example.com.`)", req("example.com", "/"), true),
        ("Host(`example.com`)", req("example.com.", "/"), true),
        // IPv6 literals lose brackets and port.
        ("Host(`::1`)", req("[::1]:443", "/"), true),
        ("Host(`::1`)", req("[::1]", "/"), true),
        // One-label wildcard.
        ("Host(`*.example.com`)", req("foo.example.com", "/"), true),
        ("Host(`*.example.com`)", req("FOO.Example.com:80", "/"), true),
        ("Host(`*.example.com`)", req("foo.bar.example.com", "/"), false),
        ("Host(`*.example.com`)", req("example.com", "/"), false),
        // A bare `*` matches every request, even one without host.
        ("Host(`*`)", req("anything", "/"), true),
        ("Host(`*`)", req("", "/"), true),
        ("Host(`a.com`) || Host(`b.com`)", req("b.com", "/"), true),
    ]);
}

#[test]
fn host_regexp() {
    check(&[
        (r"HostRegexp(`^[a-z]+\.example\.com$`)", req("api.example.com", "/"), true),
        (r"HostRegexp(`^[a-z]+\.example\.com$`)", req("API.example.com", "/"), true),
        // Not anchored implicitly in v3.
        (r"HostRegexp(`example\.com`)", req("www.example.com.evil.org", "/"), true),
        (r"HostRegexp(`^example\.com$`)", req("example.com:8443", "/"), true),
        // The host is lower-cased before matching; the regexp is not.
        (r"HostRegexp(`^Example\.com$`)", req("example.com", "/"), false),
        (r"HostRegexp(`(?i)^Example\.com$`)", req("example.com", "/"), true),
        // Traefik also matches the (empty) CNAME-flattened host: a regexp matching "" matches all.
        (r"HostRegexp(`.*`)", req("whatever", "/"), true),
        (r"HostRegexp(`^$`)", req("example.com", "/"), true),
        // v2-style named groups are literal text in v3 (Go reads `{name:` as a literal).
        (r"HostRegexp(`{sub:[a-z]+}.example.com`)", req("api.example.com", "/"), false),
        // \d is ASCII-only in Go.
        (r"HostRegexp(`^\d+$`)", req("123", "/"), true),
    ]);
}

#[test]
fn path_and_prefix() {
    check(&[
        ("Path(`/products`)", req("h", "/products"), true),
        ("Path(`/products`)", req("h", "/products/"), false),
        ("Path(`/products`)", req("h", "/products/shoes"), false),
        ("Path(`/products`)", req("h", "/Products"), false),
        // The query is not part of the path.
        ("Path(`/products`)", req("h", "/products?x=1"), true),
        // PathPrefix is a plain byte prefix: `/api` matches `/apix`.
        ("PathPrefix(`/products`)", req("h", "/products"), true),
        ("PathPrefix(`/products`)", req("h", "/products/shoes"), true),
        ("PathPrefix(`/products`)", req("h", "/products-for-sale"), true),
        ("PathPrefix(`/products/`)", req("h", "/products"), false),
        ("PathPrefix(`/`)", req("h", "/anything"), true),
        // Unreserved percent-encodings are decoded before matching...
        ("Path(`/foo bar`)", req("h", "/foo%20bar"), true),
        ("PathPrefix(`/café`)", req("h", "/caf%C3%A9/x"), true),
        ("Path(`/A`)", req("h", "/%41"), true),
        // ...reserved ones (upper-case spelling) are not.
        ("Path(`/a/b`)", req("h", "/a%2Fb"), false),
        ("Path(`/a%2Fb`)", req("h", "/a%2Fb"), true),
        // The entry point upper-cases encodings before routing, so `%2f` stays encoded too.
        ("Path(`/a/b`)", req("h", "/a%2fb"), false),
        ("Path(`/a%2Fb`)", req("h", "/a%2fb"), true),
        // The entry point cleans dot segments and duplicate slashes (sanitizePath, on by default).
        ("PathPrefix(`/api`)", req("h", "/api/../admin"), false),
        ("Path(`/admin`)", req("h", "/api/../admin"), true),
        ("Path(`/admin`)", req("h", "/api/%2e%2e/admin"), true),
        ("Path(`/a/b/`)", req("h", "//a/./b/"), true),
        ("Path(`/a/b`)", req("h", "//a/./b/"), false),
        // An invalid encoding matches nothing (Traefik answers 400).
        ("PathPrefix(`/`)", req("h", "/a%zz"), false),
    ]);
}

#[test]
fn path_regexp() {
    check(&[
        (r"PathRegexp(`^/products/(shoes|socks)/[0-9]+$`)", req("h", "/products/shoes/31"), true),
        (r"PathRegexp(`^/products/(shoes|socks)/[0-9]+$`)", req("h", "/products/hats/31"), false),
        // Not anchored.
        (r"PathRegexp(`\.(jpeg|jpg|png)$`)", req("h", "/img/a.png"), true),
        (r"PathRegexp(`products`)", req("h", "/all/products/x"), true),
        (r"PathRegexp(`(?i)^/products`)", req("h", "/PRODUCTS/x"), true),
        (r"PathRegexp(`^/a b$`)", req("h", "/a%20b"), true),
    ]);
}

#[test]
fn method() {
    check(&[
        ("Method(`GET`)", req("h", "/"), true),
        // The rule's method is upper-cased; the request's is compared as received.
        ("Method(`get`)", req("h", "/"), true),
        ("Method(`POST`)", req("h", "/"), false),
        ("Method(`GET`)", SimpleRequest::new("get", "h", "/"), false),
        ("Method(`OPTIONS`)", SimpleRequest::new("OPTIONS", "h", "/"), true),
    ]);
}

#[test]
fn header() {
    let r = || req("h", "/").header("Content-Type", "application/yaml").header("X-Multi", "a").header("X-Multi", "b");
    check(&[
        ("Header(`Content-Type`, `application/yaml`)", r(), true),
        // Header names are case-insensitive, values are exact.
        ("Header(`content-type`, `application/yaml`)", r(), true),
        ("Header(`Content-Type`, `Application/YAML`)", r(), false),
        ("Header(`Content-Type`, `application`)", r(), false),
        // Any of several field lines.
        ("Header(`X-Multi`, `b`)", r(), true),
        // No comma splitting of one field line.
        ("Header(`X-List`, `a`)", req("h", "/").header("X-List", "a, b"), false),
        ("Header(`X-Absent`, `a`)", r(), false),
        (r"HeaderRegexp(`Content-Type`, `^application/(json|yaml)$`)", r(), true),
        (r"HeaderRegexp(`Content-Type`, `json`)", r(), false),
        (r"HeaderRegexp(`Content-Type`, `(?i)^APPLICATION/(json|yaml)$`)", r(), true),
        (r"HeaderRegexp(`Content-Type`, `yaml`)", r(), true),
        // Go moves Host out of the header map: Header(`Host`, ...) never matches.
        ("Header(`Host`, `h`)", req("h", "/").header("Host", "h"), false),
    ]);
}

#[test]
fn query() {
    check(&[
        ("Query(`mobile`, `true`)", req("h", "/search?mobile=true"), true),
        ("Query(`mobile`, `true`)", req("h", "/search?mobile=false"), false),
        ("Query(`mobile`, `true`)", req("h", "/search?x=1&mobile=true"), true),
        ("Query(`mobile`, `true`)", req("h", "/search?mobile=false&mobile=true"), true),
        ("Query(`mobile`, `true`)", req("h", "/search"), false),
        // One argument: present with an empty value.
        ("Query(`mobile`)", req("h", "/search?mobile"), true),
        ("Query(`mobile`)", req("h", "/search?mobile="), true),
        ("Query(`mobile`)", req("h", "/search?mobile=true"), false),
        // Values are decoded, `+` is a space; keys and values are case-sensitive.
        ("Query(`q`, `a b`)", req("h", "/?q=a+b"), true),
        ("Query(`q`, `a&b`)", req("h", "/?q=a%26b"), true),
        ("Query(`Mobile`, `true`)", req("h", "/?mobile=true"), false),
        // A pair with `;` is dropped, as Go's ParseQuery does.
        ("Query(`a`, `1`)", req("h", "/?a=1;b=2"), false),
        (r"QueryRegexp(`mobile`, `^(true|yes)$`)", req("h", "/?mobile=yes"), true),
        (r"QueryRegexp(`mobile`, `^(true|yes)$`)", req("h", "/?mobile=no"), false),
        (r"QueryRegexp(`mobile`, `^.*$`)", req("h", "/?mobile="), true),
        (r"QueryRegexp(`mobile`, `^.*$`)", req("h", "/?other="), false),
        (r"QueryRegexp(`mobile`)", req("h", "/?mobile"), true),
    ]);
}

#[test]
fn client_ip() {
    let from = |s: &str| req("h", "/").client_ip(ip(s));
    check(&[
        ("ClientIP(`10.76.105.11`)", from("10.76.105.11"), true),
        ("ClientIP(`10.76.105.11`)", from("10.76.105.12"), false),
        ("ClientIP(`192.168.1.0/24`)", from("192.168.1.200"), true),
        ("ClientIP(`192.168.1.0/24`)", from("192.168.2.1"), false),
        // Host bits in a CIDR are ignored.
        ("ClientIP(`192.168.1.7/24`)", from("192.168.1.200"), true),
        ("ClientIP(`::1`)", from("::1"), true),
        ("ClientIP(`fe80::/10`)", from("fe80::1234"), true),
        ("ClientIP(`fe80::/10`)", from("2001:db8::1"), false),
        // IPv4 and IPv4-mapped IPv6 are the same address for Go.
        ("ClientIP(`1.2.3.4`)", from("::ffff:1.2.3.4"), true),
        ("ClientIP(`::ffff:1.2.3.4`)", from("1.2.3.4"), true),
        ("ClientIP(`1.2.3.0/24`)", from("::ffff:1.2.3.4"), true),
        // An IPv6 network never contains an IPv4 client.
        ("ClientIP(`::/0`)", from("1.2.3.4"), false),
        ("ClientIP(`1.2.3.4`)", req("h", "/"), false),
        ("!ClientIP(`1.2.3.4`)", from("5.6.7.8"), true),
    ]);
}

#[test]
fn operators() {
    let r = || req("example.com", "/api/x").header("X-A", "1");
    check(&[
        ("Host(`example.com`) && PathPrefix(`/api`)", r(), true),
        ("Host(`example.com`) && PathPrefix(`/web`)", r(), false),
        ("Host(`other`) || PathPrefix(`/api`)", r(), true),
        ("!Host(`other`)", r(), true),
        ("!Host(`example.com`)", r(), false),
        ("!(Host(`example.com`) && Path(`/nope`))", r(), true),
        ("!!Host(`example.com`)", r(), true),
        // && binds tighter than ||.
        ("Host(`other`) && Path(`/nope`) || Header(`X-A`, `1`)", r(), true),
        ("Host(`other`) && (Path(`/nope`) || Header(`X-A`, `1`))", r(), false),
        ("(Host(`example.com`))", r(), true),
        // Double quotes with Go escapes, and a trailing comma.
        ("Host(\"example.com\") && Header(\"X-A\", \"\\x31\",)", r(), true),
        // Whitespace and line breaks after operators.
        ("Host(`example.com`) &&\n\tPathPrefix(`/api`)", r(), true),
        ("Host ( `example.com` )", r(), true),
        // Matcher names in lower, upper and title case, as Traefik registers them.
        ("host(`example.com`) && PATHPREFIX(`/api`) && Pathprefix(`/a`)", r(), true),
        // Comments are Go comments.
        ("Host(`example.com`) /* api */ && PathPrefix(`/api`)", r(), true),
    ]);
}

#[test]
fn parse_errors_with_positions() {
    let cases: &[(&str, usize, &str)] = &[
        ("", 0, "empty rule"),
        ("Host(`a`) &&", 12, "expected a matcher"),
        ("Host(`a`) & Path(`/`)", 10, "unexpected character"),
        ("Hots(`a`)", 0, "unknown matcher `Hots`"),
        ("HostSNI(`a`)", 0, "unknown matcher"),
        ("Host('a')", 5, "single quotes"),
        ("Host(`a`", 8, "expected `,` or `)`"),
        ("Host(`a)", 5, "missing closing backtick"),
        ("Host(a)", 5, "expected a value"),
        ("Host(1)", 5, "number"),
        ("Host()", 0, "no value"),
        ("Host(``)", 0, "empty value"),
        ("Host(`a`, `b`)", 0, "takes 1 value"),
        ("Header(`a`)", 0, "takes 2 value"),
        ("Query(`a`, `b`, `c`)", 0, "takes 1 or 2"),
        ("Path(`foo`)", 0, "does not start with a '/'"),
        ("PathPrefix(`foo`)", 0, "does not start with a '/'"),
        ("Host(`exämple.com`)", 0, "non-ASCII"),
        ("PathRegexp(`(`)", 0, "PathRegexp"),
        ("ClientIP(`1.2.3`)", 0, "neither an IP nor a CIDR"),
        ("ClientIP(`1.2.3.4/33`)", 0, "neither an IP nor a CIDR"),
        ("(Host(`a`)", 10, "expected `)`"),
        ("Host(`a`))", 9, "expected `&&`, `||` or the end"),
        ("Host(`a`) Path(`/`)", 10, "expected `&&`, `||` or the end"),
        ("Host(`a`) != Path(`/`)", 10, "not supported"),
        // Go's semicolon insertion: a line cannot start with an operator.
        ("Host(`a`)\n&& Path(`/`)", 9, "line break"),
        ("Host(\"a\\q\")", 7, "unknown escape"),
        ("Host(\"a\n\")", 5, "not terminated"),
    ];
    for (rule, position, needle) in cases {
        let err = parse_http_rule(rule).expect_err(rule);
        assert_eq!(err.position, *position, "position for {rule:?}: {err}");
        assert!(err.message.contains(needle), "message for {rule:?}: {err}");
    }
}

#[test]
fn default_priority_is_rule_length() {
    let rule = parse_http_rule("HostRegexp(`[a-z]+\\.traefik\\.com`)").expect("valid");
    // The example of Traefik's priority documentation: 34 bytes.
    assert_eq!(rule.default_priority(), 34);
    assert_eq!(parse_http_rule("Host(`foobar.traefik.com`)").expect("valid").default_priority(), 26);
}

#[test]
fn tcp_rules() {
    let conn =
        |sni: &'static str| ConnInfo { server_name: sni, client_ip: Some(ip("10.0.0.1")), alpn_protocols: &["h2"] };
    let cases: &[(&str, ConnInfo<'_>, bool)] = &[
        ("HostSNI(`example.com`)", conn("example.com"), true),
        ("HostSNI(`example.com`)", conn("EXAMPLE.COM"), true),
        ("HostSNI(`Example.com.`)", conn("example.com"), true),
        ("HostSNI(`example.com`)", conn(""), false),
        ("HostSNI(`*`)", conn(""), true),
        ("HostSNI(`*.example.com`)", conn("a.example.com"), true),
        ("HostSNI(`*.example.com`)", conn("a.b.example.com"), false),
        (r"HostSNIRegexp(`^.+\.example\.com$`)", conn("a.example.com"), true),
        (r"HostSNIRegexp(`^$`)", conn(""), true),
        ("ClientIP(`10.0.0.0/8`)", conn(""), true),
        ("ALPN(`h2`)", conn("x"), true),
        ("ALPN(`http/1.1`)", conn("x"), false),
        ("HostSNI(`a.com`) && ALPN(`h2`)", conn("a.com"), true),
    ];
    for (rule, c, expected) in cases {
        let parsed = parse_tcp_rule(rule).unwrap_or_else(|e| panic!("{rule}: {e}"));
        assert_eq!(parsed.matches(c), *expected, "{rule} on {c:?}");
    }
    let star = parse_tcp_rule("HostSNI(`*`)").expect("valid");
    assert!(star.is_catch_all());
    assert_eq!(star.default_priority(), -1);
    assert_eq!(parse_tcp_rule("HostSNI(`a`)").expect("valid").default_priority(), 12);
    for bad in ["HostSNI(`a b`)", "ALPN(`acme-tls/1`)", "Host(`a`)", "HostSNI(`ä.com`)", "HostSNIRegexp(`ä`)"] {
        assert!(parse_tcp_rule(bad).is_err(), "{bad} should be refused");
    }
    assert_eq!(parse_tcp_rule("HostSNI(`A.com`) || HostSNI(`*`)").expect("valid").host_sni_values(), ["a.com", "*"]);
}
