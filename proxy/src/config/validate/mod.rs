//! Semantic checks run after parsing. Every problem is collected with its key path so that a
//! user fixes a file in one pass. The checks follow what Traefik refuses at runtime (router and
//! service managers, middleware constructors) plus what traefikee cannot honour.

use std::collections::BTreeSet;
use std::fmt;

use super::document::ConfigDocument;
use super::dynamic::*;
use super::middleware::*;
use super::static_config::*;
use crate::rule::{self, compile_go_regex, is_ip_or_cidr, split_host_port};

mod cycles;
mod http;
mod middlewares;
mod static_checks;
mod tcp;
mod tls;

use cycles::{chain_edges, tcp_weighted_edges, weighted_edges};
pub use static_checks::parse_status_range;

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
        // `name@provider`: an element a provider brought into the merged document.
        let qualified = name.split_once('@').is_some_and(|(base, provider)| {
            !base.is_empty()
                && !provider.contains('@')
                && !provider.is_empty()
                && provider != super::merge::FILE_PROVIDER
                && provider != super::merge::INTERNAL_PROVIDER
        });
        if name.contains('@') && !qualified {
            self.err(path, "the character @ is not allowed in names: it separates a name from its provider");
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
            let message = match provider {
                super::merge::INTERNAL_PROVIDER => {
                    format!("{name:?}: this internal service is not implemented by traefikee")
                }
                super::merge::FILE_PROVIDER => format!("unknown {kind} {name:?}"),
                _ => format!("unknown {kind} {name:?} (no element of that name comes from the {provider:?} provider)"),
            };
            self.err(path, message);
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

    /// A router's `service`: present, and naming a service of the kind `kind`.
    fn service_ref(&mut self, path: &str, service: Option<&str>, kind: &str, exists: impl Fn(&str) -> bool) {
        match service {
            None | Some("") => self.err(format!("{path}.service"), "a service is required"),
            Some(service) => self.reference(format!("{path}.service"), kind, service, exists(service)),
        }
    }

    /// A router's `tls`: the options it names exist, its domains are well formed.
    fn router_tls(&mut self, path: &str, options: Option<&str>, domains: &[Domain], tls: &TlsConfig) {
        if let Some(opt) = options {
            self.tls_option_ref(&format!("{path}.tls.options"), opt, tls);
        }
        self.domains(&format!("{path}.tls.domains"), domains);
    }

    /// A service is a load balancer or a weighted one, never both.
    fn one_service_kind(&mut self, path: &str, load_balancer: bool, weighted: bool) {
        match (load_balancer, weighted) {
            (false, false) => self.err(path, "a service needs one of `loadBalancer` or `weighted`"),
            (true, true) => self.err(path, "a service can have only one of `loadBalancer` and `weighted`"),
            _ => {}
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
}

/// An RFC 7230 token byte (header and cookie names).
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}
