//! Checks of the static configuration: entry points, their addresses and the names routers
//! use, logs, access logs, metrics, tracing and ping.

use super::*;

impl Validator {
    pub(super) fn static_config(&mut self, config: &StaticConfig) {
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
        if let Some(providers) = &config.providers {
            for (kind, kv) in providers.kv() {
                self.kv_provider(kind, kv);
            }
        }
        self.observability(config);
    }

    fn kv_provider(&mut self, kind: KvKind, kv: &KvProvider) {
        let path = format!("providers.{}", kind.name());
        if kv.endpoints.iter().all(|e| e.trim().is_empty()) {
            self.err(format!("{path}.endpoints"), "at least one endpoint is required, e.g. [\"127.0.0.1:2379\"]");
        }
        for (i, e) in kv.endpoints.iter().enumerate() {
            if e.trim().is_empty() || e.contains(char::is_whitespace) {
                self.err(format!("{path}.endpoints[{i}]"), format!("{e:?} is not a host:port or URL"));
            } else if kind == KvKind::Redis && e.contains("://") && !e.starts_with("redis://") {
                self.err(
                    format!("{path}.endpoints[{i}]"),
                    format!("{e:?}: only redis:// (or HOST:PORT) is implemented by traefikee; TLS to Redis is not"),
                );
            }
        }
        let not_for = |set: bool, key: &str, for_whom: &str| {
            set.then(|| (format!("{path}.{key}"), format!("`{key}` is for {for_whom}")))
        };
        let misplaced = match kind {
            KvKind::Consul => [
                not_for(kv.username.is_some(), "username", "etcd and Redis; Consul takes a `token`"),
                not_for(kv.password.is_some(), "password", "etcd and Redis; Consul takes a `token`"),
                not_for(kv.db.is_some(), "db", "Redis"),
            ],
            KvKind::Etcd => [
                not_for(kv.token.is_some(), "token", "Consul; etcd takes `username` and `password`"),
                not_for(kv.db.is_some(), "db", "Redis"),
                None,
            ],
            KvKind::Redis => {
                [not_for(kv.token.is_some(), "token", "Consul; Redis takes `username` and `password`"), None, None]
            }
        };
        for (p, m) in misplaced.into_iter().flatten() {
            self.err(p, m);
        }
        if kv.db.is_some_and(|d| d < 0) {
            self.err(format!("{path}.db"), "must not be negative");
        }
        if let Some(tls) = &kv.tls {
            if kind == KvKind::Redis {
                self.err(format!("{path}.tls"), "TLS to Redis is not implemented by traefikee");
            }
            if tls.cert.is_some() != tls.key.is_some() {
                self.err(format!("{path}.tls"), "set both `cert` and `key`, or neither");
            }
        }
    }

    pub(super) fn observability(&mut self, config: &StaticConfig) {
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
    pub(super) fn entry_point_address(&mut self, path: &str, ep: &EntryPoint) -> Option<(String, String)> {
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

    pub(super) fn entry_point_refs(&mut self, statics: &StaticConfig, dynamic: &DynamicConfig) {
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
