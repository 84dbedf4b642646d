//! `headers`: custom request and response headers, CORS, and the security headers
//! (`Strict-Transport-Security`, `X-Frame-Options`, CSP...), with Traefik's semantics:
//!
//! - a custom header with an empty value is removed; `Host` in `customRequestHeaders` changes
//!   the request host; an empty `X-Forwarded-For` stops the proxy from adding one;
//! - `allowedHosts` refuses other hosts with 500 "Bad Host" (read from `hostsProxyHeaders`
//!   first when set); the request counts as HTTPS when it is TLS or one of `sslProxyHeaders`
//!   has its value, and `Strict-Transport-Security`/`Public-Key-Pins` are sent only then (or
//!   always with `forceSTSHeader`); `isDevelopment` turns off those three checks;
//! - CORS: a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered
//!   here with 200; other responses get `Access-Control-Allow-Origin` when the origin is allowed
//!   (`*`, a listed origin, or a regexp), credentials and exposed headers, and `Vary: Origin`
//!   with `addVaryHeader`.

use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

use super::{request_host, BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler};
use crate::body::{full, Response};
use crate::config::Headers as Config;
use crate::context::ConnectionInfo;

/// Put in a request's extensions when `customRequestHeaders` sets `X-Forwarded-For` to
/// empty: the proxy then sends no `X-Forwarded-For` upstream (Go's nil header value).
#[derive(Debug, Clone, Copy)]
pub struct OmitForwardedFor;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    for (key, set) in [
        ("sslRedirect", config.ssl_redirect == Some(true)),
        ("sslTemporaryRedirect", config.ssl_temporary_redirect == Some(true)),
        ("sslHost", config.ssl_host.as_deref().is_some_and(|h| !h.is_empty())),
        ("sslForceHost", config.ssl_force_host == Some(true)),
    ] {
        if set {
            return Err(ctx.invalid(format!(
                "headers.{key} was removed in Traefik v3 and is not implemented by traefikee: use a redirectScheme middleware"
            )));
        }
    }
    Ok(Arc::new(HeadersMiddleware(Arc::new(Settings::new(config, ctx)?))))
}

enum Edit {
    Set(HeaderName, HeaderValue),
    Remove(HeaderName),
}

fn edits(map: &std::collections::BTreeMap<String, String>, ctx: &BuildContext<'_>) -> Result<Vec<Edit>, BuildError> {
    map.iter()
        .map(|(name, value)| {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| ctx.invalid(format!("invalid header name {name:?}")))?;
            if value.is_empty() {
                return Ok(Edit::Remove(name));
            }
            let value = HeaderValue::from_str(value)
                .map_err(|_| ctx.invalid(format!("invalid value for header {name}: {value:?}")))?;
            Ok(Edit::Set(name, value))
        })
        .collect()
}

fn value(text: &str, ctx: &BuildContext<'_>, key: &str) -> Result<HeaderValue, BuildError> {
    HeaderValue::from_str(text).map_err(|_| ctx.invalid(format!("headers.{key}: invalid header value {text:?}")))
}

struct Settings {
    request: Vec<Edit>,
    response: Vec<Edit>,
    allowed_hosts: Vec<String>,
    hosts_proxy_headers: Vec<HeaderName>,
    ssl_proxy_headers: Vec<(HeaderName, String)>,
    sts: Option<HeaderValue>,
    force_sts: bool,
    public_key: Option<HeaderValue>,
    /// Security headers sent whatever the scheme.
    always: Vec<(HeaderName, HeaderValue)>,
    cors: Option<Cors>,
}

struct Cors {
    allow_credentials: bool,
    allow_headers: Option<HeaderValue>,
    allow_methods: Option<HeaderValue>,
    origins: Vec<String>,
    origin_regexes: Vec<regex::bytes::Regex>,
    expose_headers: Option<HeaderValue>,
    max_age: HeaderValue,
    vary: bool,
}

impl Cors {
    fn allowed_origin(&self, origin: &str) -> Option<HeaderValue> {
        if self.origins.iter().any(|o| o == "*") {
            return Some(HeaderValue::from_static("*"));
        }
        if origin.is_empty() {
            return None;
        }
        if self.origins.iter().any(|o| o == origin) || self.origin_regexes.iter().any(|r| r.is_match(origin.as_bytes()))
        {
            return HeaderValue::from_str(origin).ok();
        }
        None
    }

    fn add_vary(&self, headers: &mut HeaderMap) {
        if self.vary && self.origins.first().is_none_or(|o| o != "*") {
            headers.append(http::header::VARY, HeaderValue::from_static("Origin"));
        }
    }
}

fn join(list: &[String], ctx: &BuildContext<'_>, key: &str) -> Result<Option<HeaderValue>, BuildError> {
    if list.is_empty() {
        return Ok(None);
    }
    value(&list.join(","), ctx, key).map(Some)
}

impl Settings {
    fn new(c: &Config, ctx: &BuildContext<'_>) -> Result<Self, BuildError> {
        let dev = c.is_development == Some(true);
        let mut always = Vec::new();
        let frame = match (&c.custom_frame_options_value, c.frame_deny) {
            (Some(v), _) if !v.is_empty() => Some(v.as_str()),
            (_, Some(true)) => Some("DENY"),
            _ => None,
        };
        let xss = match (&c.custom_browser_xss_value, c.browser_xss_filter) {
            (Some(v), _) if !v.is_empty() => Some(v.as_str()),
            (_, Some(true)) => Some("1; mode=block"),
            _ => None,
        };
        let nosniff = (c.content_type_nosniff == Some(true)).then_some("nosniff");
        for (name, text, key) in [
            ("x-frame-options", frame, "frameDeny"),
            ("x-content-type-options", nosniff, "contentTypeNosniff"),
            ("x-xss-protection", xss, "browserXssFilter"),
            ("content-security-policy", c.content_security_policy.as_deref(), "contentSecurityPolicy"),
            (
                "content-security-policy-report-only",
                c.content_security_policy_report_only.as_deref(),
                "contentSecurityPolicyReportOnly",
            ),
            ("referrer-policy", c.referrer_policy.as_deref(), "referrerPolicy"),
            ("feature-policy", c.feature_policy.as_deref(), "featurePolicy"),
            ("permissions-policy", c.permissions_policy.as_deref(), "permissionsPolicy"),
        ] {
            if let Some(text) = text.filter(|t| !t.is_empty()) {
                always.push((HeaderName::from_static(name), value(text, ctx, key)?));
            }
        }
        let sts = match c.sts_seconds {
            Some(secs) if secs > 0 && !dev => {
                let mut text = format!("max-age={secs}");
                if c.sts_include_subdomains == Some(true) {
                    text.push_str("; includeSubDomains");
                }
                if c.sts_preload == Some(true) {
                    text.push_str("; preload");
                }
                Some(value(&text, ctx, "stsSeconds")?)
            }
            _ => None,
        };
        let public_key = match c.public_key.as_deref().filter(|k| !k.is_empty() && !dev) {
            Some(k) => Some(value(k, ctx, "publicKey")?),
            None => None,
        };
        let hosts_proxy_headers = c
            .hosts_proxy_headers
            .iter()
            .map(|h| HeaderName::try_from(h.as_str()).map_err(|_| ctx.invalid(format!("invalid header name {h:?}"))))
            .collect::<Result<_, _>>()?;
        let ssl_proxy_headers = c
            .ssl_proxy_headers
            .iter()
            .map(|(h, v)| {
                HeaderName::try_from(h.as_str())
                    .map(|name| (name, v.clone()))
                    .map_err(|_| ctx.invalid(format!("invalid header name {h:?}")))
            })
            .collect::<Result<_, _>>()?;
        let has_cors = c.access_control_allow_credentials.is_some()
            || !c.access_control_allow_headers.is_empty()
            || !c.access_control_allow_methods.is_empty()
            || !c.access_control_allow_origin_list.is_empty()
            || !c.access_control_allow_origin_list_regex.is_empty()
            || !c.access_control_expose_headers.is_empty()
            || c.access_control_max_age.is_some();
        let cors = if has_cors {
            let origin_regexes = c
                .access_control_allow_origin_list_regex
                .iter()
                .map(|re| {
                    crate::rule::compile_go_regex(re)
                        .map_err(|e| ctx.invalid(format!("accessControlAllowOriginListRegex {re:?}: {e}")))
                })
                .collect::<Result<_, _>>()?;
            Some(Cors {
                allow_credentials: c.access_control_allow_credentials == Some(true),
                allow_headers: join(&c.access_control_allow_headers, ctx, "accessControlAllowHeaders")?,
                allow_methods: join(&c.access_control_allow_methods, ctx, "accessControlAllowMethods")?,
                origins: c.access_control_allow_origin_list.clone(),
                origin_regexes,
                expose_headers: join(&c.access_control_expose_headers, ctx, "accessControlExposeHeaders")?,
                max_age: HeaderValue::from(c.access_control_max_age.unwrap_or(0)),
                vary: c.add_vary_header == Some(true),
            })
        } else {
            None
        };
        Ok(Settings {
            request: edits(&c.custom_request_headers, ctx)?,
            response: edits(&c.custom_response_headers, ctx)?,
            allowed_hosts: if dev { Vec::new() } else { c.allowed_hosts.clone() },
            hosts_proxy_headers,
            ssl_proxy_headers,
            sts,
            force_sts: c.force_sts_header == Some(true),
            public_key,
            always,
            cors,
        })
    }

    fn host_allowed(&self, req: &Request) -> bool {
        if self.allowed_hosts.is_empty() {
            return true;
        }
        let proxied = self
            .hosts_proxy_headers
            .iter()
            .find_map(|h| req.headers().get(h).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty()));
        let host = proxied.unwrap_or_else(|| request_host(req));
        self.allowed_hosts.iter().any(|h| h == host)
    }

    fn is_ssl(&self, req: &Request) -> bool {
        req.extensions().get::<ConnectionInfo>().is_some_and(ConnectionInfo::is_tls)
            || self.ssl_proxy_headers.iter().any(|(name, expected)| {
                req.headers().get(name).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case(expected))
            })
    }

    fn preflight(&self, req: &Request) -> Option<Response> {
        let cors = self.cors.as_ref()?;
        let headers = req.headers();
        let origin = headers.get(http::header::ORIGIN)?.to_str().ok()?;
        if req.method() != Method::OPTIONS || !headers.contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD) {
            return None;
        }
        let mut resp = Response::new(crate::body::empty());
        let out = resp.headers_mut();
        if cors.allow_credentials {
            out.insert(http::header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
        }
        if let Some(v) = &cors.allow_headers {
            out.insert(http::header::ACCESS_CONTROL_ALLOW_HEADERS, v.clone());
        }
        if let Some(v) = &cors.allow_methods {
            out.insert(http::header::ACCESS_CONTROL_ALLOW_METHODS, v.clone());
        }
        if let Some(v) = cors.allowed_origin(origin) {
            out.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        }
        out.insert(http::header::ACCESS_CONTROL_MAX_AGE, cors.max_age.clone());
        cors.add_vary(out);
        Some(resp)
    }
}

struct HeadersMiddleware(Arc<Settings>);

impl Middleware for HeadersMiddleware {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        // Settings are immutable: routers using this middleware share them.
        Arc::new(Layer { settings: self.0.clone(), next })
    }
}

impl Edit {
    fn apply(&self, headers: &mut HeaderMap) {
        match self {
            Edit::Set(n, v) => {
                headers.insert(n.clone(), v.clone());
            }
            Edit::Remove(n) => {
                headers.remove(n);
            }
        }
    }
}

struct Layer {
    settings: Arc<Settings>,
    next: SharedHandler,
}

impl Handler for Layer {
    fn handle(&self, mut req: Request) -> HandlerFuture {
        let s = &self.settings;
        if !s.host_allowed(&req) {
            let mut resp = Response::new(full("Bad Host\n"));
            *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            resp.headers_mut()
                .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            return Box::pin(async move { resp });
        }
        if let Some(resp) = s.preflight(&req) {
            return Box::pin(async move { resp });
        }
        let ssl = s.is_ssl(&req);
        let origin = req.headers().get(http::header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned);
        for edit in &s.request {
            if let Edit::Remove(name) = edit {
                if name == "x-forwarded-for" {
                    req.extensions_mut().insert(OmitForwardedFor);
                }
            }
            edit.apply(req.headers_mut());
        }
        let settings = self.settings.clone();
        let fut = self.next.handle(req);
        Box::pin(async move {
            let mut resp = fut.await;
            let headers = resp.headers_mut();
            for (name, value) in &settings.always {
                headers.insert(name.clone(), value.clone());
            }
            if ssl || settings.force_sts {
                if let Some(sts) = &settings.sts {
                    headers.insert(http::header::STRICT_TRANSPORT_SECURITY, sts.clone());
                }
            }
            if ssl {
                if let Some(pk) = &settings.public_key {
                    headers.insert("public-key-pins", pk.clone());
                }
            }
            for edit in &settings.response {
                edit.apply(headers);
            }
            if let Some(cors) = &settings.cors {
                if let Some(v) = cors.allowed_origin(origin.as_deref().unwrap_or_default()) {
                    headers.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
                }
                cors.add_vary(headers);
                if cors.allow_credentials {
                    headers.insert(http::header::ACCESS_CONTROL_ALLOW_CREDENTIALS, HeaderValue::from_static("true"));
                }
                if let Some(v) = &cors.expose_headers {
                    headers.insert(http::header::ACCESS_CONTROL_EXPOSE_HEADERS, v.clone());
                }
            }
            resp
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::test_support::{echo, get, text};
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn layer(config: Config) -> SharedHandler {
        build(&config, &BuildContext::new("t")).expect("builds").wrap(echo())
    }

    #[tokio::test]
    async fn custom_headers_are_set_and_removed() {
        let h = layer(Config {
            custom_request_headers: map(&[("X-Script-Name", "test"), ("X-Remove", ""), ("X-Forwarded-For", "")]),
            custom_response_headers: map(&[("X-Custom-Response", "v"), ("x-seen-x-script-name", "")]),
            ..Config::default()
        });
        let mut req = get("h", "/");
        req.headers_mut().insert("x-remove", HeaderValue::from_static("1"));
        let resp = h.handle(req).await;
        let headers = resp.headers();
        assert_eq!(headers.get("x-custom-response").map(|v| v.as_bytes()), Some(&b"v"[..]));
        // The backend saw the header; the response edit then removed its echo.
        assert!(headers.get("x-seen-x-script-name").is_none());
        assert!(headers.get("x-seen-x-remove").is_none());
    }

    #[tokio::test]
    async fn security_headers() {
        let config = Config {
            frame_deny: Some(true),
            content_type_nosniff: Some(true),
            browser_xss_filter: Some(true),
            sts_seconds: Some(31536000),
            sts_include_subdomains: Some(true),
            sts_preload: Some(true),
            referrer_policy: Some("same-origin".into()),
            ..Config::default()
        };
        let resp = layer(config.clone()).handle(get("h", "/")).await;
        let h = resp.headers();
        assert_eq!(h.get("x-frame-options").map(|v| v.as_bytes()), Some(&b"DENY"[..]));
        assert_eq!(h.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]));
        assert_eq!(h.get("x-xss-protection").map(|v| v.as_bytes()), Some(&b"1; mode=block"[..]));
        assert_eq!(h.get("referrer-policy").map(|v| v.as_bytes()), Some(&b"same-origin"[..]));
        // Plain HTTP: no HSTS unless forced.
        assert!(h.get("strict-transport-security").is_none());
        let forced = layer(Config { force_sts_header: Some(true), ..config.clone() }).handle(get("h", "/")).await;
        assert_eq!(
            forced.headers().get("strict-transport-security").map(|v| v.as_bytes()),
            Some(&b"max-age=31536000; includeSubDomains; preload"[..])
        );
        let mut req = get("h", "/");
        req.headers_mut().insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let proxied =
            layer(Config { ssl_proxy_headers: map(&[("X-Forwarded-Proto", "https")]), ..config }).handle(req).await;
        assert!(proxied.headers().get("strict-transport-security").is_some());
    }

    #[tokio::test]
    async fn allowed_hosts() {
        let h = layer(Config { allowed_hosts: vec!["good.example".into()], ..Config::default() });
        assert_eq!(h.handle(get("good.example", "/")).await.status(), 200);
        let bad = h.handle(get("evil.example", "/")).await;
        assert_eq!(bad.status(), 500);
        assert_eq!(text(bad).await, "Bad Host\n");
    }

    #[tokio::test]
    async fn cors_preflight_and_simple_requests() {
        let h = layer(Config {
            access_control_allow_methods: vec!["GET".into(), "OPTIONS".into(), "PUT".into()],
            access_control_allow_headers: vec!["*".into()],
            access_control_allow_origin_list: vec!["https://foo.bar.org".into()],
            access_control_max_age: Some(100),
            add_vary_header: Some(true),
            ..Config::default()
        });
        let mut pre = get("h", "/");
        *pre.method_mut() = Method::OPTIONS;
        pre.headers_mut().insert("origin", HeaderValue::from_static("https://foo.bar.org"));
        pre.headers_mut().insert("access-control-request-method", HeaderValue::from_static("PUT"));
        let resp = h.handle(pre).await;
        assert_eq!(resp.status(), 200);
        let hd = resp.headers();
        assert_eq!(hd.get("access-control-allow-methods").map(|v| v.as_bytes()), Some(&b"GET,OPTIONS,PUT"[..]));
        assert_eq!(hd.get("access-control-allow-origin").map(|v| v.as_bytes()), Some(&b"https://foo.bar.org"[..]));
        assert_eq!(hd.get("access-control-max-age").map(|v| v.as_bytes()), Some(&b"100"[..]));
        assert_eq!(hd.get("vary").map(|v| v.as_bytes()), Some(&b"Origin"[..]));

        let mut simple = get("h", "/");
        simple.headers_mut().insert("origin", HeaderValue::from_static("https://other.org"));
        let resp = h.handle(simple).await;
        assert!(resp.headers().get("access-control-allow-origin").is_none());
        assert_eq!(text(resp).await, "GET /");
    }

    #[test]
    fn removed_v2_options_are_refused() {
        let err = build(&Config { ssl_redirect: Some(true), ..Config::default() }, &BuildContext::new("t"));
        assert!(matches!(err, Err(BuildError::Invalid { .. })));
    }
}
