//! Checks of HTTP routers and services: rules, priorities, entry points, TLS, load balancers,
//! weighted and mirrored services, health checks, sticky sessions.

use super::*;

impl Validator {
    pub(super) fn http_router(
        &mut self,
        name: &str,
        router: &Router,
        config: &DynamicConfig,
        statics: Option<&StaticConfig>,
    ) {
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
        self.service_ref(&path, router.service.as_deref(), "service", |s| config.http.services.contains_key(s));
        for (i, mw) in router.middlewares.iter().enumerate() {
            let exists = config.http.middlewares.contains_key(mw);
            self.reference(format!("{path}.middlewares[{i}]"), "middleware", mw, exists);
        }
        self.priority(format!("{path}.priority"), router.priority);
        self.router_entry_points(&path, &router.entry_points, statics);
        if let Some(tls) = &router.tls {
            self.router_tls(&path, tls.options.as_deref(), &tls.domains, &config.tls);
        }
    }

    pub(super) fn http_service(&mut self, name: &str, service: &Service, http: &HttpConfig) {
        let path = format!("http.services.{name}");
        self.name(&path, name);
        self.one_service_kind(&path, service.load_balancer.is_some(), service.weighted.is_some());
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

    pub(super) fn weighted_services(
        &mut self,
        path: &str,
        services: &[WeightedService],
        exists: impl Fn(&str) -> bool,
    ) {
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

    pub(super) fn health_check(&mut self, path: &str, hc: &HealthCheck) {
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

    pub(super) fn sticky(&mut self, path: &str, sticky: &Sticky) {
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
}

/// A load balancer server: `http`, `https` or `h2c` URL with a host.
pub(super) fn check_server_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("a server URL is required".to_owned());
    }
    let uri = ::http::Uri::try_from(url).map_err(|e| format!("invalid URL {url:?}: {e}"))?;
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
