//! Compiled matchers and their evaluation.

use std::cell::OnceCell;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use regex::bytes::Regex;

use super::request::{canonical_host, parse_query, routing_path, RequestView};
use super::syntax::{self, Call, Expr};
use super::{canonical_ip, goregex, RuleError};

const HTTP_MATCHERS: &[&str] = &[
    "ClientIP",
    "Method",
    "Host",
    "HostRegexp",
    "Path",
    "PathRegexp",
    "PathPrefix",
    "Header",
    "HeaderRegexp",
    "Query",
    "QueryRegexp",
];

const TCP_MATCHERS: &[&str] = &["ALPN", "ClientIP", "HostSNI", "HostSNIRegexp"];

/// A boolean tree over leaf matchers. `!` is kept as a node: Traefik pushes it down to the
/// leaves with De Morgan's laws, which evaluates the same.
#[derive(Debug, Clone)]
pub(crate) enum Node<M> {
    Leaf(M),
    Not(Box<Node<M>>),
    All(Vec<Node<M>>),
    Any(Vec<Node<M>>),
}

impl<M> Node<M> {
    fn eval(&self, leaf: &mut impl FnMut(&M) -> bool) -> bool {
        match self {
            Node::Leaf(m) => leaf(m),
            Node::Not(inner) => !inner.eval(leaf),
            Node::All(terms) => terms.iter().all(|t| t.eval(leaf)),
            Node::Any(terms) => terms.iter().any(|t| t.eval(leaf)),
        }
    }

    fn build(expr: &Expr, leaf: &mut impl FnMut(&Call) -> Result<M, RuleError>) -> Result<Self, RuleError> {
        Ok(match expr {
            Expr::Call(call) => {
                check_args(call)?;
                Node::Leaf(leaf(call)?)
            }
            Expr::Not(inner) => Node::Not(Box::new(Node::build(inner, leaf)?)),
            Expr::And(terms) => Node::All(terms.iter().map(|t| Node::build(t, leaf)).collect::<Result<_, _>>()?),
            Expr::Or(terms) => Node::Any(terms.iter().map(|t| Node::build(t, leaf)).collect::<Result<_, _>>()?),
        })
    }
}

/// `rules.CheckRule`: a matcher needs at least one argument and no argument may be empty.
fn check_args(call: &Call) -> Result<(), RuleError> {
    if call.args.is_empty() {
        return Err(err(call, format!("no value given to {}", call.name)));
    }
    if call.args.iter().any(String::is_empty) {
        return Err(err(call, format!("empty value given to {}", call.name)));
    }
    Ok(())
}

fn err(call: &Call, message: String) -> RuleError {
    RuleError { position: call.position, message }
}

fn expect_args(call: &Call, counts: &[usize]) -> Result<(), RuleError> {
    if counts.contains(&call.args.len()) {
        return Ok(());
    }
    let expected = counts.iter().map(usize::to_string).collect::<Vec<_>>().join(" or ");
    Err(err(call, format!("{} takes {expected} value(s), got {}", call.name, call.args.len())))
}

fn regex(call: &Call, pattern: &str) -> Result<Regex, RuleError> {
    goregex::compile(pattern).map_err(|m| err(call, format!("{}: {m}", call.name)))
}

fn require_ascii(call: &Call, value: &str) -> Result<(), RuleError> {
    if value.is_ascii() {
        return Ok(());
    }
    Err(err(
        call,
        format!("invalid value {value:?} for {}: non-ASCII characters are not allowed, use punycode", call.name),
    ))
}

/// A `Host`/`HostSNI` expression: an exact name or a one-label wildcard `*.example.com`,
/// compared case-insensitively (`muxer.DomainMatchHostExpression`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct HostKey(pub String);

impl HostKey {
    /// `DomainMatchHostExpression(domain, expr)`: with a leading `*`, the first label of the
    /// domain is replaced by `*` before comparing.
    pub(crate) fn matches_domain(&self, domain: &str) -> bool {
        if self.0.starts_with('*') {
            wildcard_form(domain).eq_ignore_ascii_case(&self.0) || fold_eq(&wildcard_form(domain), &self.0)
        } else {
            domain.eq_ignore_ascii_case(&self.0) || fold_eq(domain, &self.0)
        }
    }
}

/// `domain` with its first label replaced by `*` (the whole domain when it has no dot).
pub(crate) fn wildcard_form(domain: &str) -> String {
    match domain.find('.') {
        Some(dot) => format!("*{}", &domain[dot..]),
        None => "*".to_owned(),
    }
}

/// Go's `strings.EqualFold` against an ASCII expression: besides ASCII case, `ſ` folds to `s`
/// and the Kelvin sign to `k`.
fn fold_eq(domain: &str, expr: &str) -> bool {
    if domain.is_ascii() {
        return false;
    }
    let folded: String = domain
        .chars()
        .map(|c| match c {
            '\u{17f}' => 's',
            '\u{212a}' => 'k',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    folded.eq_ignore_ascii_case(expr)
}

/// The lookup form of a canonical host for an index keyed by lower-case ASCII host
/// expressions: non-ASCII characters that Go's `EqualFold` equates with ASCII ones are folded.
pub(crate) fn fold_host(host: &str) -> std::borrow::Cow<'_, str> {
    if host.is_ascii() {
        return std::borrow::Cow::Borrowed(host);
    }
    std::borrow::Cow::Owned(
        host.chars()
            .map(|c| match c {
                '\u{17f}' => 's',
                '\u{212a}' => 'k',
                c => c,
            })
            .collect(),
    )
}

/// Go's `net.ParseIP`/`net.ParseCIDR` as used by Traefik's `ip.Checker`.
#[derive(Debug, Clone)]
pub(crate) enum IpRange {
    Addr(IpAddr),
    Net(IpNet),
}

impl IpRange {
    pub(crate) fn parse(value: &str) -> Option<Self> {
        if let Ok(ip) = IpAddr::from_str(value) {
            return Some(IpRange::Addr(canonical_ip(ip)));
        }
        IpNet::from_str(value).ok().map(|net| IpRange::Net(net.trunc()))
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        match self {
            IpRange::Addr(a) => *a == ip,
            // IPNet.Contains compares lengths after To4(): an IPv4 client never falls in an
            // IPv6 network (even ::ffff:0:0/96) and vice versa.
            IpRange::Net(net) => net.contains(&ip),
        }
    }
}

/// One HTTP matcher, compiled.
#[derive(Debug, Clone)]
pub(crate) enum HttpMatcher {
    /// `Host(`*`)` matches every request, even one without a host.
    HostAny,
    Host(HostKey),
    HostRegexp {
        re: Regex,
        matches_empty: bool,
    },
    Path(String),
    PathPrefix(String),
    PathRegexp(Regex),
    Method(String),
    Header {
        name: String,
        value: Vec<u8>,
    },
    HeaderRegexp {
        name: String,
        re: Regex,
    },
    Query {
        key: Vec<u8>,
        value: Vec<u8>,
    },
    QueryRegexp {
        key: Vec<u8>,
        re: Regex,
    },
    ClientIp(IpRange),
}

impl HttpMatcher {
    fn compile(call: &Call) -> Result<Self, RuleError> {
        let arg = |i: usize| call.args.get(i).map(String::as_str).unwrap_or_default();
        Ok(match call.name {
            "Host" => {
                expect_args(call, &[1])?;
                if arg(0) == "*" {
                    return Ok(HttpMatcher::HostAny);
                }
                require_ascii(call, arg(0))?;
                HttpMatcher::Host(HostKey(arg(0).to_ascii_lowercase()))
            }
            "HostRegexp" => {
                expect_args(call, &[1])?;
                require_ascii(call, arg(0))?;
                let re = regex(call, arg(0))?;
                let matches_empty = re.is_match(b"");
                HttpMatcher::HostRegexp { re, matches_empty }
            }
            "Path" | "PathPrefix" => {
                expect_args(call, &[1])?;
                if !arg(0).starts_with('/') {
                    return Err(err(call, format!("{}: path {:?} does not start with a '/'", call.name, arg(0))));
                }
                if call.name == "Path" {
                    HttpMatcher::Path(arg(0).to_owned())
                } else {
                    HttpMatcher::PathPrefix(arg(0).to_owned())
                }
            }
            "PathRegexp" => {
                expect_args(call, &[1])?;
                HttpMatcher::PathRegexp(regex(call, arg(0))?)
            }
            "Method" => {
                expect_args(call, &[1])?;
                HttpMatcher::Method(go_to_upper(arg(0)))
            }
            "Header" | "HeaderRegexp" => {
                expect_args(call, &[2])?;
                let name = arg(0).to_ascii_lowercase();
                if call.name == "Header" {
                    HttpMatcher::Header { name, value: arg(1).as_bytes().to_vec() }
                } else {
                    HttpMatcher::HeaderRegexp { name, re: regex(call, arg(1))? }
                }
            }
            "Query" | "QueryRegexp" => {
                expect_args(call, &[1, 2])?;
                let key = arg(0).as_bytes().to_vec();
                // With one value both mean "present with an empty value" (`?mobile`).
                if call.name == "Query" || call.args.len() == 1 {
                    HttpMatcher::Query { key, value: arg(1).as_bytes().to_vec() }
                } else {
                    HttpMatcher::QueryRegexp { key, re: regex(call, arg(1))? }
                }
            }
            "ClientIP" => {
                expect_args(call, &[1])?;
                let range = IpRange::parse(arg(0))
                    .ok_or_else(|| err(call, format!("ClientIP: {:?} is neither an IP nor a CIDR", arg(0))))?;
                HttpMatcher::ClientIp(range)
            }
            other => return Err(err(call, format!("unknown matcher {other}"))),
        })
    }

    fn matches(&self, ctx: &HttpCtx<'_>) -> bool {
        match self {
            HttpMatcher::HostAny => true,
            HttpMatcher::Host(key) => ctx.host_matches(key),
            // Traefik also tries the CNAME-flattened host, which is "" without a host resolver:
            // a regexp matching the empty string matches every request.
            HttpMatcher::HostRegexp { re, matches_empty } => *matches_empty || re.is_match(ctx.host.as_bytes()),
            HttpMatcher::Path(p) => ctx.path.as_deref() == Some(p.as_bytes()),
            HttpMatcher::PathPrefix(p) => ctx.path.as_deref().is_some_and(|path| path.starts_with(p.as_bytes())),
            HttpMatcher::PathRegexp(re) => ctx.path.as_deref().is_some_and(|path| re.is_match(path)),
            HttpMatcher::Method(m) => ctx.req.method() == m,
            HttpMatcher::Header { name, value } => ctx.req.any_header_value(name, &mut |v| v == value.as_slice()),
            HttpMatcher::HeaderRegexp { name, re } => ctx.req.any_header_value(name, &mut |v| re.is_match(v)),
            HttpMatcher::Query { key, value } => ctx.query().iter().any(|(k, v)| k == key && v == value),
            HttpMatcher::QueryRegexp { key, re } => ctx.query().iter().any(|(k, v)| k == key && re.is_match(v)),
            HttpMatcher::ClientIp(range) => ctx.req.client_ip().is_some_and(|ip| range.contains(ip)),
        }
    }
}

/// Go's `strings.ToUpper`: simple (one to one) case mapping.
fn go_to_upper(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// A request prepared for matching: host and routing path computed once, query parsed on
/// first use.
pub(crate) struct HttpCtx<'r> {
    pub(crate) req: &'r dyn RequestView,
    pub(crate) host: String,
    /// `None` when the path is not a valid percent-encoding (Traefik answers 400).
    pub(crate) path: Option<Vec<u8>>,
    query: OnceCell<Vec<(Vec<u8>, Vec<u8>)>>,
}

impl<'r> HttpCtx<'r> {
    pub(crate) fn new(req: &'r dyn RequestView) -> Self {
        HttpCtx { req, host: canonical_host(req.host()), path: routing_path(req.path()).ok(), query: OnceCell::new() }
    }

    fn query(&self) -> &[(Vec<u8>, Vec<u8>)] {
        self.query.get_or_init(|| self.req.query().map(parse_query).unwrap_or_default())
    }

    /// The `host` matcher: also tolerant of one trailing dot on either side.
    fn host_matches(&self, key: &HostKey) -> bool {
        let host = self.host.as_str();
        if host.is_empty() {
            return false;
        }
        if key.matches_domain(host) {
            return true;
        }
        if let Some(stripped) = key.0.strip_suffix('.') {
            if HostKey(stripped.to_owned()).matches_domain(host) {
                return true;
            }
        }
        host.strip_suffix('.').is_some_and(|h| key.matches_domain(h))
    }
}

/// A compiled HTTP router rule.
#[derive(Clone)]
pub struct Rule {
    text: String,
    pub(crate) root: Node<HttpMatcher>,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Rule").field(&self.text).finish()
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Rule {
    pub(crate) fn parse(text: &str) -> Result<Self, RuleError> {
        let expr = syntax::parse(text, HTTP_MATCHERS)?;
        let root = Node::build(&expr, &mut HttpMatcher::compile)?;
        Ok(Rule { text: text.to_owned(), root })
    }

    /// The rule as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Traefik's default priority: the length of the rule in bytes.
    pub fn default_priority(&self) -> i64 {
        i64::try_from(self.text.len()).unwrap_or(i64::MAX)
    }

    /// Whether the request matches. A path that is not a valid percent-encoding matches no
    /// path matcher (Traefik refuses such a request with 400 before routing).
    pub fn matches(&self, req: &dyn RequestView) -> bool {
        self.matches_ctx(&HttpCtx::new(req))
    }

    pub(crate) fn matches_ctx(&self, ctx: &HttpCtx<'_>) -> bool {
        self.root.eval(&mut |m: &HttpMatcher| m.matches(ctx))
    }

    /// The `Host` values of the rule, lower-cased, in the order written (Traefik's
    /// `ParseDomains`): the names an HTTPS router serves, used to pick its TLS options by SNI.
    /// Empty when the rule has no `Host` (such a router serves any SNI).
    pub fn host_values(&self) -> Vec<String> {
        fn walk(node: &Node<HttpMatcher>, out: &mut Vec<String>) {
            match node {
                Node::Leaf(HttpMatcher::Host(key)) => {
                    if !out.contains(&key.0) {
                        out.push(key.0.clone());
                    }
                }
                Node::Leaf(_) => {}
                Node::Not(inner) => walk(inner, out),
                Node::All(terms) | Node::Any(terms) => terms.iter().for_each(|t| walk(t, out)),
            }
        }
        let mut out = Vec::new();
        walk(&self.root, &mut out);
        out
    }
}

/// What TCP rules look at in a connection.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnInfo<'a> {
    /// The TLS SNI server name, empty without TLS or SNI.
    pub server_name: &'a str,
    /// The peer IP.
    pub client_ip: Option<IpAddr>,
    /// The ALPN protocols the client offered.
    pub alpn_protocols: &'a [&'a str],
}

#[derive(Debug, Clone)]
enum TcpMatcher {
    HostSniAny,
    HostSni(HostKey),
    HostSniRegexp(Regex),
    ClientIp(IpRange),
    Alpn(String),
}

impl TcpMatcher {
    fn compile(call: &Call) -> Result<Self, RuleError> {
        expect_args(call, &[1])?;
        let arg = call.args.first().map(String::as_str).unwrap_or_default();
        Ok(match call.name {
            "HostSNI" => {
                if arg == "*" {
                    return Ok(TcpMatcher::HostSniAny);
                }
                // `hostOrIP` in tcp/matcher.go: ^(\*\.)?[[:word:]\.\-\:]+$
                let body = arg.strip_prefix("*.").unwrap_or(arg);
                let valid = !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-:".contains(&b));
                if !valid {
                    return Err(err(call, format!("invalid value for HostSNI: {arg:?} is not a valid hostname")));
                }
                TcpMatcher::HostSni(HostKey(arg.strip_suffix('.').unwrap_or(arg).to_owned()))
            }
            "HostSNIRegexp" => {
                require_ascii(call, arg)?;
                TcpMatcher::HostSniRegexp(regex(call, arg)?)
            }
            "ClientIP" => TcpMatcher::ClientIp(
                IpRange::parse(arg)
                    .ok_or_else(|| err(call, format!("ClientIP: {arg:?} is neither an IP nor a CIDR")))?,
            ),
            "ALPN" => {
                if arg == "acme-tls/1" {
                    return Err(err(call, "ALPN: the protocol \"acme-tls/1\" is not allowed".to_owned()));
                }
                TcpMatcher::Alpn(arg.to_owned())
            }
            other => return Err(err(call, format!("unknown matcher {other}"))),
        })
    }

    fn matches(&self, server_name: &str, conn: &ConnInfo<'_>) -> bool {
        match self {
            TcpMatcher::HostSniAny => true,
            TcpMatcher::HostSni(key) => !server_name.is_empty() && key.matches_domain(server_name),
            TcpMatcher::HostSniRegexp(re) => re.is_match(server_name.as_bytes()),
            TcpMatcher::ClientIp(range) => conn.client_ip.is_some_and(|ip| range.contains(ip)),
            TcpMatcher::Alpn(proto) => conn.alpn_protocols.contains(&proto.as_str()),
        }
    }
}

/// A compiled TCP router rule.
#[derive(Clone)]
pub struct TcpRule {
    text: String,
    root: Node<TcpMatcher>,
    host_sni_values: Vec<String>,
}

impl fmt::Debug for TcpRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TcpRule").field(&self.text).finish()
    }
}

impl fmt::Display for TcpRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl TcpRule {
    pub(crate) fn parse(text: &str) -> Result<Self, RuleError> {
        let expr = syntax::parse(text, TCP_MATCHERS)?;
        let root = Node::build(&expr, &mut TcpMatcher::compile)?;
        let mut host_sni_values = Vec::new();
        collect_host_sni(&expr, &mut host_sni_values);
        Ok(TcpRule { text: text.to_owned(), root, host_sni_values })
    }

    /// The rule as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the rule is the catch-all ``HostSNI(`*`)`` (a single matcher; Traefik ignores
    /// a `!` in front of it for this purpose).
    pub fn is_catch_all(&self) -> bool {
        let mut node = &self.root;
        while let Node::Not(inner) = node {
            node = inner;
        }
        matches!(node, Node::Leaf(TcpMatcher::HostSniAny))
    }

    /// Traefik's default TCP priority: the rule length, or -1 for the catch-all
    /// ``HostSNI(`*`)`` so that it is tried last (`tcp.GetRulePriority`).
    pub fn default_priority(&self) -> i64 {
        if self.is_catch_all() {
            -1
        } else {
            i64::try_from(self.text.len()).unwrap_or(i64::MAX)
        }
    }

    /// The `HostSNI` values in the order written, lower-cased (`tcp.ParseHostSNI`); Traefik
    /// refuses a router without TLS when the first one is not `*`.
    pub fn host_sni_values(&self) -> &[String] {
        &self.host_sni_values
    }

    /// Whether the connection matches.
    pub fn matches(&self, conn: &ConnInfo<'_>) -> bool {
        // `types.CanonicalDomain`: lower case, trimmed.
        let server_name = conn.server_name.trim().to_lowercase();
        self.root.eval(&mut |m: &TcpMatcher| m.matches(&server_name, conn))
    }
}

fn collect_host_sni(expr: &Expr, out: &mut Vec<String>) {
    match expr {
        Expr::Call(call) if call.name == "HostSNI" => out.extend(call.args.iter().map(|a| a.to_lowercase())),
        Expr::Call(_) => {}
        Expr::Not(inner) => collect_host_sni(inner, out),
        Expr::And(terms) | Expr::Or(terms) => terms.iter().for_each(|t| collect_host_sni(t, out)),
    }
}
