//! Semantic checks run after parsing. Every problem is collected with its key path so that a
//! user fixes a file in one pass. The checks follow what Traefik refuses at runtime (router and
//! service managers, middleware constructors) plus what traefikee cannot honour.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::document::ConfigDocument;
use super::dynamic::*;
use super::middleware::*;
use super::static_config::*;
use crate::rule::{self, compile_go_regex, is_ip_or_cidr, split_host_port};

/// Traefik reserves priorities above `MaxInt64 - 1000` for its internal routers.
pub const MAX_USER_PRIORITY: i64 = i64::MAX - 1000;

/// One problem found in a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Dotted key path, e.g. `http.routers.web.service`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// All problems found in a configuration, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl DynamicConfig {
    /// Checks references, rules, servers and options; see the module docs.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = Validator::default();
        v.dynamic(self, None);
        v.finish()
    }
}

impl StaticConfig {
    /// Checks entry points and providers.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = Validator::default();
        v.static_config(self);
        v.finish()
    }
}

impl ConfigDocument {
    /// Checks both parts and the references between them (router entry points, entry point
    /// middlewares and TLS options).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut v = Validator::default();
        v.static_config(&self.static_config);
        v.dynamic(&self.dynamic, Some(&self.static_config));
        v.entry_point_refs(&self.static_config, &self.dynamic);
        v.finish()
    }
}

#[derive(Default)]
struct Validator {
    errors: Vec<ValidationError>,
}

const TLS_VERSIONS: &[&str] = &["VersionTLS12", "VersionTLS13"];
const OLD_TLS_VERSIONS: &[&str] = &["VersionTLS10", "VersionTLS11"];
/// Go cipher suite names that rustls implements.
const CIPHER_SUITES: &[&str] = &[
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
];
/// Go cipher suite names that Traefik accepts and rustls does not implement.
const LEGACY_CIPHER_SUITES: &[&str] = &[
    "TLS_RSA_WITH_RC4_128_SHA",
    "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
    "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    "TLS_FALLBACK_SCSV",
];
const CURVES: &[&str] = &["CurveP256", "CurveP384", "X25519", "secp256r1", "secp384r1", "x25519"];
const CLIENT_AUTH_TYPES: &[&str] = &[
    "NoClientCert",
    "RequestClientCert",
    "RequireAnyClientCert",
    "VerifyClientCertIfGiven",
    "RequireAndVerifyClientCert",
];
const COMPRESS_ENCODINGS: &[&str] = &["gzip", "br", "zstd"];

impl Validator {
    fn finish(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.errors))
        }
    }

    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ValidationError { path: path.into(), message: message.into() });
    }

    // ---- static ----

    fn static_config(&mut self, config: &StaticConfig) {
        let mut bound: Vec<(&str, String, String)> = Vec::new();
        for (name, ep) in &config.entry_points {
            let path = format!("entryPoints.{name}");
            if let Some((host, port)) = self.entry_point_address(&path, ep) {
                for (other, other_host, other_port) in &bound {
                    let wildcard = |h: &str| h.is_empty() || h == "0.0.0.0" || h == "::";
                    // Port 0 asks the system for a free port: never a conflict.
                    if port != "0"
                        && *other_port == port
                        && (*other_host == host || wildcard(other_host) || wildcard(&host))
                    {
                        self.err(
                            format!("{path}.address"),
                            format!("{:?} conflicts with entry point {other:?}", ep.address),
                        );
                    }
                }
                bound.push((name, host, port));
            }
            if let Some(http) = &ep.http {
                if let Some(redirect) = http.redirections.as_ref().and_then(|r| r.entry_point.as_ref()) {
                    let rpath = format!("{path}.http.redirections.entryPoint");
                    let to = redirect.to.as_str();
                    let is_port = to.strip_prefix(':').unwrap_or(to).parse::<u16>().is_ok();
                    if to.is_empty() {
                        self.err(format!("{rpath}.to"), "the target entry point (or :port) is required");
                    } else if to == name {
                        self.err(format!("{rpath}.to"), "an entry point cannot redirect to itself");
                    } else if !is_port && !config.entry_points.contains_key(to) {
                        self.err(
                            format!("{rpath}.to"),
                            format!("unknown entry point {to:?} (expected an entry point name or :port)"),
                        );
                    }
                    if redirect.scheme.as_deref().is_some_and(str::is_empty) {
                        self.err(format!("{rpath}.scheme"), "must not be empty");
                    }
                    if redirect.priority.is_some_and(|p| p > RedirectEntryPoint::DEFAULT_PRIORITY) {
                        self.err(format!("{rpath}.priority"), "above the highest priority allowed");
                    }
                }
                if let Some(tls) = &http.tls {
                    self.domains(&format!("{path}.http.tls.domains"), &tls.domains);
                }
            }
            if let Some(transport) = &ep.transport {
                let tpath = format!("{path}.transport");
                if let Some(t) = &transport.responding_timeouts {
                    for (key, value) in [
                        ("readTimeout", t.read_timeout),
                        ("writeTimeout", t.write_timeout),
                        ("idleTimeout", t.idle_timeout),
                    ] {
                        if value.is_some_and(|d| d.is_negative()) {
                            self.err(format!("{tpath}.respondingTimeouts.{key}"), "must not be negative");
                        }
                    }
                }
                if let Some(l) = &transport.life_cycle {
                    for (key, value) in [
                        ("requestAcceptGraceTimeout", l.request_accept_grace_timeout),
                        ("graceTimeOut", l.grace_time_out),
                    ] {
                        if value.is_some_and(|d| d.is_negative()) {
                            self.err(format!("{tpath}.lifeCycle.{key}"), "must not be negative");
                        }
                    }
                }
            }
            if let Some(fh) = &ep.forwarded_headers {
                self.ip_list(&format!("{path}.forwardedHeaders.trustedIPs"), &fh.trusted_ips);
            }
        }
        if let Some(file) = config.providers.as_ref().and_then(|p| p.file.as_ref()) {
            let empty = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
            match (empty(&file.filename), empty(&file.directory)) {
                (true, true) => self.err("providers.file", "set `filename` or `directory`"),
                (false, false) => self.err("providers.file", "set only one of `filename` and `directory`"),
                _ => {}
            }
        }
        self.observability(config);
    }

    fn observability(&mut self, config: &StaticConfig) {
        let ep_exists = |name: &str| name == INTERNAL_ENTRY_POINT || config.entry_points.contains_key(name);
        if let Some(log) = &config.access_log {
            if let Some(format) = log.format.as_deref() {
                if !["", "common", "genericCLF", "json"].contains(&format) {
                    self.err(
                        "accessLog.format",
                        format!("unknown format {format:?}, expected common, genericCLF or json"),
                    );
                }
            }
            if log.buffering_size.is_some_and(|b| b < 0) {
                self.err("accessLog.bufferingSize", "must not be negative");
            }
            if let Some(filters) = &log.filters {
                for (i, code) in filters.status_codes.iter().enumerate() {
                    if parse_status_range(code).is_none() {
                        self.err(
                            format!("accessLog.filters.statusCodes[{i}]"),
                            format!("invalid status code or range {code:?} (expected e.g. 404 or 500-599)"),
                        );
                    }
                }
                if filters.min_duration.is_some_and(|d| d.is_negative()) {
                    self.err("accessLog.filters.minDuration", "must not be negative");
                }
            }
        }
        if let Some(p) = config.metrics.as_ref().and_then(|m| m.prometheus.as_ref()) {
            if p.manual_routing == Some(true) {
                self.err(
                    "metrics.prometheus.manualRouting",
                    "manual routing to prometheus@internal is not implemented by traefikee",
                );
            }
            if !ep_exists(p.entry_point()) {
                self.err("metrics.prometheus.entryPoint", format!("unknown entry point {:?}", p.entry_point()));
            }
            for (i, b) in p.buckets.iter().enumerate() {
                if !b.0.is_finite() || b.0 <= 0.0 {
                    self.err(format!("metrics.prometheus.buckets[{i}]"), "must be a positive number of seconds");
                }
            }
        }
        if let Some(ping) = &config.ping {
            if ping.manual_routing == Some(true) {
                self.err("ping.manualRouting", "manual routing to ping@internal is not implemented by traefikee");
            }
            if !ep_exists(ping.entry_point()) {
                self.err("ping.entryPoint", format!("unknown entry point {:?}", ping.entry_point()));
            }
            if let Some(code) = ping.terminating_status_code.filter(|c| !(100..=599).contains(c)) {
                self.err("ping.terminatingStatusCode", format!("invalid HTTP status {code}"));
            }
        }
    }

    /// Checks `[host]:port[/tcp]`; returns the host and port.
    fn entry_point_address(&mut self, path: &str, ep: &EntryPoint) -> Option<(String, String)> {
        let path = format!("{path}.address");
        if ep.address.trim().is_empty() {
            self.err(path, "an address such as \":80\" is required");
            return None;
        }
        if let Some((_, proto)) = ep.address.split_once('/') {
            match proto.to_ascii_lowercase().as_str() {
                "tcp" => {}
                "udp" => {
                    self.err(path, "UDP entry points are not implemented by traefikee");
                    return None;
                }
                _ => {
                    self.err(path, format!("invalid protocol {proto:?}, expected tcp"));
                    return None;
                }
            }
        }
        let addr = ep.listen_address();
        let Some(host) = split_host_port(addr) else {
            self.err(path, format!("invalid address {addr:?}, expected [host]:port"));
            return None;
        };
        let port = &addr[addr.rfind(':').map_or(0, |i| i + 1)..];
        if port.parse::<u16>().is_err() {
            self.err(path, format!("invalid port {port:?} in {addr:?}"));
            return None;
        }
        Some((host.to_owned(), port.to_owned()))
    }

    fn entry_point_refs(&mut self, statics: &StaticConfig, dynamic: &DynamicConfig) {
        for (name, ep) in &statics.entry_points {
            let Some(http) = &ep.http else { continue };
            for (i, mw) in http.middlewares.iter().enumerate() {
                if !dynamic.http.middlewares.contains_key(mw) {
                    self.err(format!("entryPoints.{name}.http.middlewares[{i}]"), format!("unknown middleware {mw:?}"));
                }
            }
            if let Some(opt) = http.tls.as_ref().and_then(|t| t.options.as_ref()) {
                self.tls_option_ref(&format!("entryPoints.{name}.http.tls.options"), opt, &dynamic.tls);
            }
        }
    }

    // ---- dynamic ----

    fn dynamic(&mut self, config: &DynamicConfig, statics: Option<&StaticConfig>) {
        let http = &config.http;
        for (name, router) in &http.routers {
            self.http_router(name, router, config, statics);
        }
        for (name, service) in &http.services {
            self.http_service(name, service, http);
        }
        self.cycles("http.services", "weighted.services", &weighted_edges(&http.services));
        for (name, middleware) in &http.middlewares {
            self.middleware(name, middleware, http);
        }
        self.cycles("http.middlewares", "chain.middlewares", &chain_edges(&http.middlewares));
        self.tls(&config.tls);
        for (name, router) in &config.tcp.routers {
            self.tcp_router(name, router, config, statics);
        }
        for (name, service) in &config.tcp.services {
            self.tcp_service(name, service, &config.tcp);
        }
        self.cycles("tcp.services", "weighted.services", &tcp_weighted_edges(&config.tcp.services));
    }

    fn name(&mut self, path: &str, name: &str) {
        if name.contains('@') {
            self.err(path, "the character @ is not allowed in names (references to other providers are not supported)");
        }
        if name.is_empty() {
            self.err(path, "names must not be empty");
        }
    }

    fn reference(&mut self, path: String, kind: &str, name: &str, exists: bool) {
        if exists {
            return;
        }
        if let Some((_, provider)) = name.split_once('@') {
            self.err(path, format!("{name:?}: references to the {provider:?} provider are not supported by traefikee"));
        } else {
            self.err(path, format!("unknown {kind} {name:?}"));
        }
    }

    fn rule_syntax(&mut self, path: String, syntax: Option<&str>) {
        match syntax {
            None | Some("v3") => {}
            Some("v2") => {
                self.err(path, "only the v3 rule syntax is implemented by traefikee: rewrite the rule in v3 syntax")
            }
            Some(other) => self.err(path, format!("unknown rule syntax {other:?}, expected v3")),
        }
    }

    fn priority(&mut self, path: String, priority: Option<i64>) {
        if let Some(p) = priority.filter(|p| *p > MAX_USER_PRIORITY) {
            self.err(
                path,
                format!("the router priority {p} exceeds the max user-defined priority {MAX_USER_PRIORITY}"),
            );
        }
    }

    fn router_entry_points(&mut self, path: &str, eps: &[String], statics: Option<&StaticConfig>) {
        let Some(statics) = statics else { return };
        for (i, ep) in eps.iter().enumerate() {
            if !statics.entry_points.contains_key(ep) {
                self.err(format!("{path}.entryPoints[{i}]"), format!("unknown entry point {ep:?}"));
            }
        }
    }

    fn tls_option_ref(&mut self, path: &str, name: &str, tls: &TlsConfig) {
        let exists = name == "default" || tls.options.contains_key(name);
        self.reference(path.to_owned(), "TLS options", name, exists);
    }

    fn domains(&mut self, path: &str, domains: &[Domain]) {
        for (i, d) in domains.iter().enumerate() {
            if d.main.trim().is_empty() && d.sans.is_empty() {
                self.err(format!("{path}[{i}]"), "a domain needs `main` or `sans`");
            }
            for name in std::iter::once(&d.main).chain(&d.sans) {
                if !name.is_ascii() {
                    self.err(
                        format!("{path}[{i}]"),
                        format!("invalid domain {name:?}: non-ASCII characters are not allowed, use punycode"),
                    );
                }
            }
        }
    }

    fn http_router(&mut self, name: &str, router: &Router, config: &DynamicConfig, statics: Option<&StaticConfig>) {
        let path = format!("http.routers.{name}");
        self.name(&path, name);
        match router.rule.as_deref() {
            None | Some("") => self.err(format!("{path}.rule"), "a rule is required"),
            Some(text) => {
                if let Err(e) = rule::parse_http_rule(text) {
                    self.err(format!("{path}.rule"), format!("invalid rule {e}"));
                }
            }
        }
        self.rule_syntax(format!("{path}.ruleSyntax"), router.rule_syntax.as_deref());
        match router.service.as_deref() {
            None | Some("") => self.err(format!("{path}.service"), "a service is required"),
            Some(service) => {
                let exists = config.http.services.contains_key(service);
                self.reference(format!("{path}.service"), "service", service, exists);
            }
        }
        for (i, mw) in router.middlewares.iter().enumerate() {
            let exists = config.http.middlewares.contains_key(mw);
            self.reference(format!("{path}.middlewares[{i}]"), "middleware", mw, exists);
        }
        self.priority(format!("{path}.priority"), router.priority);
        self.router_entry_points(&path, &router.entry_points, statics);
        if let Some(tls) = &router.tls {
            if let Some(opt) = &tls.options {
                self.tls_option_ref(&format!("{path}.tls.options"), opt, &config.tls);
            }
            self.domains(&format!("{path}.tls.domains"), &tls.domains);
        }
    }

    fn http_service(&mut self, name: &str, service: &Service, http: &HttpConfig) {
        let path = format!("http.services.{name}");
        self.name(&path, name);
        match (&service.load_balancer, &service.weighted) {
            (None, None) => self.err(path.clone(), "a service needs one of `loadBalancer` or `weighted`"),
            (Some(_), Some(_)) => {
                self.err(path.clone(), "a service can have only one of `loadBalancer` and `weighted`")
            }
            _ => {}
        }
        if let Some(lb) = &service.load_balancer {
            let lpath = format!("{path}.loadBalancer");
            if lb.servers.is_empty() {
                self.err(format!("{lpath}.servers"), "at least one server is required");
            }
            for (i, server) in lb.servers.iter().enumerate() {
                if let Err(message) = check_server_url(&server.url) {
                    self.err(format!("{lpath}.servers[{i}].url"), message);
                }
                if server.weight.is_some_and(|w| w < 0) {
                    self.err(format!("{lpath}.servers[{i}].weight"), "must not be negative");
                }
            }
            if let Some(hc) = &lb.health_check {
                self.health_check(&format!("{lpath}.healthCheck"), hc);
            }
            if let Some(sticky) = &lb.sticky {
                self.sticky(&format!("{lpath}.sticky"), sticky);
            }
        }
        if let Some(w) = &service.weighted {
            let wpath = format!("{path}.weighted");
            self.weighted_services(&wpath, &w.services, |n| http.services.contains_key(n));
            if let Some(sticky) = &w.sticky {
                self.sticky(&format!("{wpath}.sticky"), sticky);
            }
        }
    }

    fn weighted_services(&mut self, path: &str, services: &[WeightedService], exists: impl Fn(&str) -> bool) {
        if services.is_empty() {
            self.err(format!("{path}.services"), "at least one service is required");
        }
        for (i, ws) in services.iter().enumerate() {
            let spath = format!("{path}.services[{i}]");
            if ws.name.is_empty() {
                self.err(format!("{spath}.name"), "a service name is required");
            } else {
                self.reference(format!("{spath}.name"), "service", &ws.name, exists(&ws.name));
            }
            if ws.weight.is_some_and(|w| w < 0) {
                self.err(format!("{spath}.weight"), "must not be negative");
            }
        }
    }

    fn health_check(&mut self, path: &str, hc: &HealthCheck) {
        match hc.path.as_deref() {
            None | Some("") => self.err(format!("{path}.path"), "a health check path is required"),
            Some(p) if !p.starts_with('/') => self.err(format!("{path}.path"), "must start with /"),
            _ => {}
        }
        for (key, value) in [("interval", hc.interval), ("timeout", hc.timeout)] {
            if value.is_some_and(|d| d.as_nanos() <= 0) {
                self.err(format!("{path}.{key}"), "must be greater than zero");
            }
        }
        if let Some(scheme) = hc.scheme.as_deref() {
            if !["http", "https", "h2c"].contains(&scheme) {
                self.err(format!("{path}.scheme"), format!("invalid scheme {scheme:?}, expected http, https or h2c"));
            }
        }
        if hc.port == Some(0) {
            self.err(format!("{path}.port"), "must be between 1 and 65535");
        }
        if let Some(status) = hc.status.filter(|s| !(100..=599).contains(s)) {
            self.err(format!("{path}.status"), format!("invalid HTTP status {status}"));
        }
    }

    fn sticky(&mut self, path: &str, sticky: &Sticky) {
        let Some(cookie) = &sticky.cookie else { return };
        if let Some(same_site) = cookie.same_site.as_deref() {
            if !["", "none", "lax", "strict"].contains(&same_site.to_ascii_lowercase().as_str()) {
                self.err(
                    format!("{path}.cookie.sameSite"),
                    format!("invalid value {same_site:?}, expected none, lax or strict"),
                );
            }
        }
        if let Some(name) = cookie.name.as_deref() {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                self.err(format!("{path}.cookie.name"), format!("invalid cookie name {name:?}"));
            }
        }
    }

    fn middleware(&mut self, name: &str, mw: &Middleware, http: &HttpConfig) {
        let path = format!("http.middlewares.{name}");
        self.name(&path, name);
        let kinds = mw.kind_names();
        match kinds.len() {
            0 => self.err(path.clone(), "a middleware needs exactly one type (for example `stripPrefix`)"),
            1 => {}
            _ => self.err(
                path.clone(),
                format!("a middleware can have only one type, found {}: declare one middleware per type and combine them with `chain`", kinds.join(", ")),
            ),
        }
        if let Some(m) = &mw.add_prefix {
            if m.prefix.is_empty() {
                self.err(format!("{path}.addPrefix.prefix"), "a prefix is required");
            }
        }
        if let Some(m) = &mw.strip_prefix {
            if m.prefixes.is_empty() {
                self.err(format!("{path}.stripPrefix.prefixes"), "at least one prefix is required");
            }
        }
        if let Some(m) = &mw.strip_prefix_regex {
            if m.regex.is_empty() {
                self.err(format!("{path}.stripPrefixRegex.regex"), "at least one regexp is required");
            }
            for (i, re) in m.regex.iter().enumerate() {
                self.regex(format!("{path}.stripPrefixRegex.regex[{i}]"), re);
            }
        }
        if let Some(m) = &mw.replace_path {
            if m.path.is_empty() {
                self.err(format!("{path}.replacePath.path"), "a path is required");
            }
        }
        if let Some(m) = &mw.replace_path_regex {
            self.required_regex(format!("{path}.replacePathRegex.regex"), &m.regex);
        }
        if let Some(m) = &mw.redirect_scheme {
            if m.scheme.is_empty() {
                self.err(format!("{path}.redirectScheme.scheme"), "a scheme is required");
            }
            if let Some(port) = m.port.as_deref().filter(|p| !p.is_empty()) {
                if port.parse::<u16>().map_or(true, |p| p == 0) {
                    self.err(format!("{path}.redirectScheme.port"), format!("invalid port {port:?}"));
                }
            }
        }
        if let Some(m) = &mw.redirect_regex {
            self.required_regex(format!("{path}.redirectRegex.regex"), &m.regex);
            if m.replacement.is_empty() {
                self.err(format!("{path}.redirectRegex.replacement"), "a replacement is required");
            }
        }
        if let Some(m) = &mw.headers {
            self.headers(&format!("{path}.headers"), m);
        }
        if let Some(m) = &mw.basic_auth {
            self.basic_auth(&format!("{path}.basicAuth"), m);
        }
        if let Some(m) = &mw.ip_allow_list {
            let p = format!("{path}.ipAllowList");
            if m.source_range.is_empty() {
                self.err(format!("{p}.sourceRange"), "at least one IP or CIDR is required");
            }
            self.ip_list(&format!("{p}.sourceRange"), &m.source_range);
            if let Some(s) = &m.ip_strategy {
                self.ip_strategy(&format!("{p}.ipStrategy"), s);
            }
            if let Some(code) = m.reject_status_code.filter(|c| !(100..=599).contains(c)) {
                self.err(format!("{p}.rejectStatusCode"), format!("invalid HTTP status {code}"));
            }
        }
        if let Some(m) = &mw.rate_limit {
            let p = format!("{path}.rateLimit");
            if m.average.is_some_and(|a| a < 0) {
                self.err(format!("{p}.average"), "must not be negative");
            }
            if m.burst.is_some_and(|b| b < 0) {
                self.err(format!("{p}.burst"), "must not be negative");
            }
            if m.period.is_some_and(|d| d.is_negative()) {
                self.err(format!("{p}.period"), "must not be negative");
            }
            if let Some(sc) = &m.source_criterion {
                self.source_criterion(&format!("{p}.sourceCriterion"), sc);
            }
        }
        if let Some(m) = &mw.in_flight_req {
            let p = format!("{path}.inFlightReq");
            if m.amount.is_none_or(|a| a <= 0) {
                self.err(format!("{p}.amount"), "must be greater than zero");
            }
            if let Some(sc) = &m.source_criterion {
                self.source_criterion(&format!("{p}.sourceCriterion"), sc);
            }
        }
        if let Some(m) = &mw.retry {
            if m.attempts.is_none_or(|a| a <= 0) {
                self.err(format!("{path}.retry.attempts"), "must be greater than zero");
            }
            if m.initial_interval.is_some_and(|d| d.is_negative()) {
                self.err(format!("{path}.retry.initialInterval"), "must not be negative");
            }
        }
        if let Some(m) = &mw.compress {
            let p = format!("{path}.compress");
            if !m.excluded_content_types.is_empty() && !m.included_content_types.is_empty() {
                self.err(p.clone(), "`excludedContentTypes` and `includedContentTypes` are mutually exclusive");
            }
            for (i, e) in m.encodings.iter().enumerate() {
                if !COMPRESS_ENCODINGS.contains(&e.as_str()) {
                    self.err(
                        format!("{p}.encodings[{i}]"),
                        format!("unknown encoding {e:?}, expected gzip, br or zstd"),
                    );
                }
            }
            if let Some(d) = m.default_encoding.as_deref() {
                if !COMPRESS_ENCODINGS.contains(&d) {
                    self.err(
                        format!("{p}.defaultEncoding"),
                        format!("unknown encoding {d:?}, expected gzip, br or zstd"),
                    );
                }
            }
            if m.min_response_body_bytes.is_some_and(|b| b < 0) {
                self.err(format!("{p}.minResponseBodyBytes"), "must not be negative");
            }
        }
        if let Some(m) = &mw.chain {
            if m.middlewares.is_empty() {
                self.err(format!("{path}.chain.middlewares"), "at least one middleware is required");
            }
            for (i, member) in m.middlewares.iter().enumerate() {
                let exists = http.middlewares.contains_key(member);
                self.reference(format!("{path}.chain.middlewares[{i}]"), "middleware", member, exists);
            }
        }
        if let Some(m) = &mw.forward_auth {
            let p = format!("{path}.forwardAuth");
            match http::Uri::try_from(m.address.as_str()) {
                Ok(uri)
                    if matches!(uri.scheme_str(), Some("http" | "https"))
                        && uri.host().is_some_and(|h| !h.is_empty()) => {}
                _ => self
                    .err(format!("{p}.address"), format!("invalid address {:?}, expected an http(s) URL", m.address)),
            }
            if let Some(re) = &m.auth_response_headers_regex {
                self.regex(format!("{p}.authResponseHeadersRegex"), re);
            }
        }
    }

    fn headers(&mut self, path: &str, h: &Headers) {
        for (i, re) in h.access_control_allow_origin_list_regex.iter().enumerate() {
            self.regex(format!("{path}.accessControlAllowOriginListRegex[{i}]"), re);
        }
        if h.sts_seconds.is_some_and(|s| s < 0) {
            self.err(format!("{path}.stsSeconds"), "must not be negative");
        }
        for (key, map) in
            [("customRequestHeaders", &h.custom_request_headers), ("customResponseHeaders", &h.custom_response_headers)]
        {
            for name in map.keys() {
                if name.is_empty() || !name.bytes().all(is_token_byte) {
                    self.err(format!("{path}.{key}.{name}"), format!("invalid header name {name:?}"));
                }
            }
        }
    }

    fn basic_auth(&mut self, path: &str, b: &BasicAuth) {
        if b.users.is_empty() && b.users_file.as_deref().is_none_or(str::is_empty) {
            self.err(path, "set `users` or `usersFile`");
        }
        let mut seen = BTreeSet::new();
        for (i, entry) in b.users.iter().enumerate() {
            let upath = format!("{path}.users[{i}]");
            let Some((user, hash)) = entry.split_once(':') else {
                self.err(upath, "expected user:hash (htpasswd format)");
                continue;
            };
            if user.is_empty() {
                self.err(upath.clone(), "the user name is empty");
            }
            if !seen.insert(user) {
                self.err(upath.clone(), format!("user {user:?} is listed twice"));
            }
            if !is_supported_password_hash(hash) {
                self.err(upath, format!("unsupported password hash for user {user:?}: use bcrypt ($2y$), apr1 ($apr1$) or SHA1 ({{SHA}})"));
            }
        }
    }

    fn ip_list(&mut self, path: &str, values: &[String]) {
        for (i, value) in values.iter().enumerate() {
            if !is_ip_or_cidr(value) {
                self.err(format!("{path}[{i}]"), format!("{value:?} is neither an IP nor a CIDR"));
            }
        }
    }

    fn ip_strategy(&mut self, path: &str, s: &IpStrategy) {
        if s.depth.is_some_and(|d| d < 0) {
            self.err(format!("{path}.depth"), "must not be negative");
        }
        self.ip_list(&format!("{path}.excludedIPs"), &s.excluded_ips);
        if let Some(bits) = s.ipv6_subnet.filter(|b| !(1..=128).contains(b)) {
            self.err(format!("{path}.ipv6Subnet"), format!("invalid IPv6 subnet {bits}, expected 1 to 128"));
        }
    }

    fn source_criterion(&mut self, path: &str, sc: &SourceCriterion) {
        if let Some(s) = &sc.ip_strategy {
            self.ip_strategy(&format!("{path}.ipStrategy"), s);
        }
    }

    fn regex(&mut self, path: String, pattern: &str) {
        if let Err(e) = compile_go_regex(pattern) {
            self.err(path, e);
        }
    }

    fn required_regex(&mut self, path: String, pattern: &str) {
        if pattern.is_empty() {
            self.err(path, "a regexp is required");
        } else {
            self.regex(path, pattern);
        }
    }

    fn tls(&mut self, tls: &TlsConfig) {
        for (i, cert) in tls.certificates.iter().enumerate() {
            let path = format!("tls.certificates[{i}]");
            self.certificate(&path, &cert.cert_file, &cert.key_file);
            for (j, store) in cert.stores.iter().enumerate() {
                if store != "default" {
                    self.err(
                        format!("{path}.stores[{j}]"),
                        format!("unknown TLS store {store:?}: only `default` exists"),
                    );
                }
            }
        }
        for (name, opts) in &tls.options {
            self.tls_options(&format!("tls.options.{name}"), opts);
        }
        for (name, store) in &tls.stores {
            let path = format!("tls.stores.{name}");
            if name != "default" {
                self.err(path.clone(), "only the `default` TLS store exists");
            }
            if let Some(cert) = &store.default_certificate {
                self.certificate(&format!("{path}.defaultCertificate"), &cert.cert_file, &cert.key_file);
            }
        }
    }

    fn certificate(&mut self, path: &str, cert: &FileOrContent, key: &FileOrContent) {
        if cert.is_empty() {
            self.err(format!("{path}.certFile"), "a certificate (file path or PEM) is required");
        }
        if key.is_empty() {
            self.err(format!("{path}.keyFile"), "a private key (file path or PEM) is required");
        }
    }

    fn tls_options(&mut self, path: &str, o: &TlsOptions) {
        let version = |v: &Option<String>| v.as_deref().and_then(|v| TLS_VERSIONS.iter().position(|k| *k == v));
        for (key, value) in [("minVersion", &o.min_version), ("maxVersion", &o.max_version)] {
            let Some(v) = value.as_deref() else { continue };
            if OLD_TLS_VERSIONS.contains(&v) {
                self.err(format!("{path}.{key}"), format!("{v} is not supported by traefikee (TLS 1.0 and 1.1 are disabled): use VersionTLS12 or VersionTLS13"));
            } else if !TLS_VERSIONS.contains(&v) {
                self.err(
                    format!("{path}.{key}"),
                    format!("unknown TLS version {v:?}, expected VersionTLS12 or VersionTLS13"),
                );
            }
        }
        if let (Some(min), Some(max)) = (version(&o.min_version), version(&o.max_version)) {
            if min > max {
                self.err(format!("{path}.minVersion"), "is above maxVersion");
            }
        }
        for (i, suite) in o.cipher_suites.iter().enumerate() {
            if LEGACY_CIPHER_SUITES.contains(&suite.as_str()) {
                self.err(
                    format!("{path}.cipherSuites[{i}]"),
                    format!("{suite} is not supported by traefikee's TLS stack"),
                );
            } else if !CIPHER_SUITES.contains(&suite.as_str()) {
                self.err(format!("{path}.cipherSuites[{i}]"), format!("unknown cipher suite {suite:?}"));
            }
        }
        for (i, curve) in o.curve_preferences.iter().enumerate() {
            if !CURVES.contains(&curve.as_str()) {
                self.err(
                    format!("{path}.curvePreferences[{i}]"),
                    format!("unsupported curve {curve:?}, expected one of {}", CURVES.join(", ")),
                );
            }
        }
        if let Some(ca) = &o.client_auth {
            if let Some(t) = ca.client_auth_type.as_deref() {
                if !CLIENT_AUTH_TYPES.contains(&t) {
                    self.err(
                        format!("{path}.clientAuth.clientAuthType"),
                        format!("unknown client auth type {t:?}, expected one of {}", CLIENT_AUTH_TYPES.join(", ")),
                    );
                } else if matches!(t, "VerifyClientCertIfGiven" | "RequireAndVerifyClientCert")
                    && ca.ca_files.is_empty()
                {
                    self.err(format!("{path}.clientAuth.caFiles"), format!("{t} needs at least one CA"));
                }
            }
        }
        for (i, proto) in o.alpn_protocols.iter().enumerate() {
            if proto.is_empty() || proto.len() > 255 {
                self.err(format!("{path}.alpnProtocols[{i}]"), "must be 1 to 255 bytes long");
            }
        }
    }

    fn tcp_router(&mut self, name: &str, router: &TcpRouter, config: &DynamicConfig, statics: Option<&StaticConfig>) {
        let path = format!("tcp.routers.{name}");
        self.name(&path, name);
        match router.rule.as_deref() {
            None | Some("") => self.err(format!("{path}.rule"), "a rule is required"),
            Some(text) => match rule::parse_tcp_rule(text) {
                Err(e) => self.err(format!("{path}.rule"), format!("invalid rule {e}")),
                Ok(parsed) => {
                    if router.tls.is_none() && parsed.host_sni_values().first().is_some_and(|v| v != "*") {
                        self.err(
                            format!("{path}.rule"),
                            "a HostSNI matcher other than HostSNI(`*`) needs `tls` on the router",
                        );
                    }
                }
            },
        }
        self.rule_syntax(format!("{path}.ruleSyntax"), router.rule_syntax.as_deref());
        match router.service.as_deref() {
            None | Some("") => self.err(format!("{path}.service"), "a service is required"),
            Some(service) => {
                let exists = config.tcp.services.contains_key(service);
                self.reference(format!("{path}.service"), "TCP service", service, exists);
            }
        }
        self.priority(format!("{path}.priority"), router.priority);
        self.router_entry_points(&path, &router.entry_points, statics);
        if let Some(tls) = &router.tls {
            if let Some(opt) = &tls.options {
                self.tls_option_ref(&format!("{path}.tls.options"), opt, &config.tls);
            }
            self.domains(&format!("{path}.tls.domains"), &tls.domains);
        }
    }

    fn tcp_service(&mut self, name: &str, service: &TcpService, tcp: &TcpConfig) {
        let path = format!("tcp.services.{name}");
        self.name(&path, name);
        match (&service.load_balancer, &service.weighted) {
            (None, None) => self.err(path.clone(), "a service needs one of `loadBalancer` or `weighted`"),
            (Some(_), Some(_)) => {
                self.err(path.clone(), "a service can have only one of `loadBalancer` and `weighted`")
            }
            _ => {}
        }
        if let Some(lb) = &service.load_balancer {
            if lb.servers.is_empty() {
                self.err(format!("{path}.loadBalancer.servers"), "at least one server is required");
            }
            for (i, server) in lb.servers.iter().enumerate() {
                let addr = server.address.as_str();
                let port_ok = addr.rfind(':').is_some_and(|i| addr[i + 1..].parse::<u16>().is_ok_and(|p| p > 0));
                if split_host_port(addr).is_none_or(str::is_empty) || !port_ok {
                    self.err(
                        format!("{path}.loadBalancer.servers[{i}].address"),
                        format!("invalid address {addr:?}, expected host:port"),
                    );
                }
            }
        }
        if let Some(w) = &service.weighted {
            self.weighted_services(&format!("{path}.weighted"), &w.services, |n| tcp.services.contains_key(n));
        }
    }

    /// Reports each cycle of `edges` once, at the first member (in name order) of the cycle.
    fn cycles(&mut self, section: &str, field: &str, edges: &BTreeMap<&str, Vec<&str>>) {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            New,
            Active,
            Done,
        }
        let mut state: BTreeMap<&str, State> = edges.keys().map(|k| (*k, State::New)).collect();
        let mut found: Vec<Vec<&str>> = Vec::new();
        for &start in edges.keys() {
            if state.get(start) != Some(&State::New) {
                continue;
            }
            // Iterative depth-first search: a deep chain must not exhaust the stack.
            let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
            state.insert(start, State::Active);
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let targets = edges.get(node).map(Vec::as_slice).unwrap_or_default();
                if let Some(&target) = targets.get(*next) {
                    *next += 1;
                    match state.get(target).copied() {
                        Some(State::New) => {
                            state.insert(target, State::Active);
                            stack.push((target, 0));
                        }
                        Some(State::Active) => {
                            let from = stack.iter().position(|(n, _)| *n == target).unwrap_or(0);
                            let mut cycle: Vec<&str> = stack[from..].iter().map(|(n, _)| *n).collect();
                            cycle.push(target);
                            found.push(cycle);
                        }
                        _ => {}
                    }
                } else {
                    state.insert(node, State::Done);
                    stack.pop();
                }
            }
        }
        for cycle in found {
            let first = cycle.first().copied().unwrap_or_default();
            self.err(format!("{section}.{first}.{field}"), format!("reference cycle: {}", cycle.join(" -> ")));
        }
    }
}

fn chain_edges(middlewares: &BTreeMap<String, Middleware>) -> BTreeMap<&str, Vec<&str>> {
    middlewares
        .iter()
        .map(|(name, mw)| {
            let targets =
                mw.chain.as_ref().map(|c| c.middlewares.iter().map(String::as_str).collect()).unwrap_or_default();
            (name.as_str(), targets)
        })
        .collect()
}

fn weighted_edges(services: &BTreeMap<String, Service>) -> BTreeMap<&str, Vec<&str>> {
    services
        .iter()
        .map(|(name, s)| {
            let targets =
                s.weighted.as_ref().map(|w| w.services.iter().map(|ws| ws.name.as_str()).collect()).unwrap_or_default();
            (name.as_str(), targets)
        })
        .collect()
}

fn tcp_weighted_edges(services: &BTreeMap<String, TcpService>) -> BTreeMap<&str, Vec<&str>> {
    services
        .iter()
        .map(|(name, s)| {
            let targets =
                s.weighted.as_ref().map(|w| w.services.iter().map(|ws| ws.name.as_str()).collect()).unwrap_or_default();
            (name.as_str(), targets)
        })
        .collect()
}

/// An RFC 7230 token byte (header and cookie names).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The htpasswd hash formats Traefik's basicAuth accepts: bcrypt, Apache MD5 (apr1), SHA1.
fn is_supported_password_hash(hash: &str) -> bool {
    ["$2y$", "$2a$", "$2b$", "$apr1$", "{SHA}"].iter().any(|p| hash.starts_with(p))
}

/// A load balancer server: `http`, `https` or `h2c` URL with a host.
fn check_server_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("a server URL is required".to_owned());
    }
    let uri = http::Uri::try_from(url).map_err(|e| format!("invalid URL {url:?}: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https" | "h2c") => {}
        Some(other) => return Err(format!("unsupported scheme {other:?} in {url:?}, expected http, https or h2c")),
        None => return Err(format!("invalid URL {url:?}: expected scheme://host[:port]")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("invalid URL {url:?}: no host"));
    }
    if uri.query().is_some() {
        return Err(format!("invalid URL {url:?}: a server URL cannot have a query"));
    }
    Ok(())
}

/// An access log status filter: `404` or `500-599`; `None` when malformed.
pub fn parse_status_range(text: &str) -> Option<(u16, u16)> {
    let text = text.trim();
    let (low, high) = match text.split_once('-') {
        Some((a, b)) => (a.trim().parse().ok()?, b.trim().parse().ok()?),
        None => {
            let code = text.parse().ok()?;
            (code, code)
        }
    };
    (low <= high).then_some((low, high))
}
