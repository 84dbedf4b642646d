//! Checks of HTTP middlewares, one arm per kind, and of their shared parts (IP lists and
//! strategies, regular expressions, header names, password hashes).

use super::*;

const COMPRESS_ENCODINGS: &[&str] = &["gzip", "br", "zstd"];

impl Validator {
    pub(super) fn middleware(&mut self, name: &str, mw: &Middleware, http: &HttpConfig) {
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
            match ::http::Uri::try_from(m.address.as_str()) {
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

    pub(super) fn headers(&mut self, path: &str, h: &Headers) {
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

    pub(super) fn basic_auth(&mut self, path: &str, b: &BasicAuth) {
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

    pub(super) fn ip_list(&mut self, path: &str, values: &[String]) {
        for (i, value) in values.iter().enumerate() {
            if !is_ip_or_cidr(value) {
                self.err(format!("{path}[{i}]"), format!("{value:?} is neither an IP nor a CIDR"));
            }
        }
    }

    pub(super) fn ip_strategy(&mut self, path: &str, s: &IpStrategy) {
        if s.depth.is_some_and(|d| d < 0) {
            self.err(format!("{path}.depth"), "must not be negative");
        }
        self.ip_list(&format!("{path}.excludedIPs"), &s.excluded_ips);
        if let Some(bits) = s.ipv6_subnet.filter(|b| !(1..=128).contains(b)) {
            self.err(format!("{path}.ipv6Subnet"), format!("invalid IPv6 subnet {bits}, expected 1 to 128"));
        }
    }

    pub(super) fn source_criterion(&mut self, path: &str, sc: &SourceCriterion) {
        if let Some(s) = &sc.ip_strategy {
            self.ip_strategy(&format!("{path}.ipStrategy"), s);
        }
    }
}

/// The htpasswd hash formats Traefik's basicAuth accepts: bcrypt, Apache MD5 (apr1), SHA1.
pub(super) fn is_supported_password_hash(hash: &str) -> bool {
    ["$2y$", "$2a$", "$2b$", "$apr1$", "{SHA}"].iter().any(|p| hash.starts_with(p))
}
