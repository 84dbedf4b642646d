//! Traefik v3 rules: parsing, checking and evaluation.
//!
//! A rule is parsed once into a tree of compiled matchers ([`Rule`] for HTTP routers,
//! [`TcpRule`] for TCP routers) and evaluated against a borrowed view of the request. The
//! semantics follow Traefik v3's own implementation (`pkg/muxer/http/matcher.go`,
//! `pkg/muxer/tcp/matcher.go`, `pkg/rules/parser.go`) and its routing reference
//! (`reference/routing-configuration/http/routing/rules-and-priority`); each matcher says what
//! was checked there.

mod goregex;
mod matchers;
mod request;
mod syntax;

use std::net::IpAddr;

pub use matchers::{ConnInfo, Rule, TcpRule};
pub use request::{normalized_path, InvalidPath, RequestView, SimpleRequest};

pub(crate) use matchers::{fold_host, wildcard_form, HttpCtx, HttpMatcher, Node};
pub(crate) use request::split_host_port;

/// Why a rule was refused, with the byte offset in the rule where the problem is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {position}: {message}")]
pub struct RuleError {
    /// Byte offset in the rule text.
    pub position: usize,
    /// What was wrong or expected.
    pub message: String,
}

/// Parses and checks an HTTP router rule (Traefik v3 syntax).
pub fn parse_http_rule(rule: &str) -> Result<Rule, RuleError> {
    Rule::parse(rule)
}

/// Parses and checks a TCP router rule (Traefik v3 syntax).
pub fn parse_tcp_rule(rule: &str) -> Result<TcpRule, RuleError> {
    TcpRule::parse(rule)
}

/// Compiles a regular expression with Go's syntax and semantics (as Traefik's middlewares do).
pub(crate) fn compile_go_regex(pattern: &str) -> Result<regex::bytes::Regex, String> {
    goregex::compile(pattern)
}

/// Whether `value` is an IP or a CIDR as Go's `net.ParseIP`/`net.ParseCIDR` accept them.
pub(crate) fn is_ip_or_cidr(value: &str) -> bool {
    matchers::IpRange::parse(value).is_some()
}

/// Go's `net.IP.Equal`/`IPNet.Contains` see an IPv4-mapped IPv6 address as the IPv4 one.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}
