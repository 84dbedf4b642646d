//! `loadBalancer` services: weighted round robin over servers ([`super::wrr`]), sticky
//! sessions by cookie, `passHostHeader`, and health-driven rotation ([`super::health`]).

use std::sync::Arc;

use http::header::{self, HeaderValue};

use super::forward::{forward, Server};
use super::upstream::Upstream;
use super::wrr::{sticky_value, Wrr};
use crate::body::Request;
use crate::config::Cookie;
use crate::errors::{NoAvailableServer, ProxyError};
use crate::handler::{Handler, HandlerFuture};
use crate::observability::metrics::Gauge;

/// A sticky session cookie as Traefik writes it.
#[derive(Debug, Clone)]
pub(crate) struct StickyCookie {
    pub(crate) name: String,
    /// Everything after `name=value`: `; Path=/; Max-Age=...; HttpOnly; Secure; SameSite=...`.
    attributes: String,
}

impl StickyCookie {
    /// The cookie of `config` for the service named `qualified` (`name@provider`): Traefik's
    /// name is the configured one with non-token characters replaced by `_`, or `_` and the
    /// first 5 hex digits of `sha1("_TRAEFIK_BACKEND_" + service)`.
    pub(crate) fn new(config: &Cookie, qualified: &str) -> Self {
        let name = match config.name.as_deref().filter(|n| !n.is_empty()) {
            Some(n) => n
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || "!#$%&'*+-.^`|~".contains(c) { c } else { '_' })
                .collect(),
            None => {
                use sha1::Digest;
                let digest = sha1::Sha1::digest(format!("_TRAEFIK_BACKEND_{qualified}").as_bytes());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                format!("_{}", &hex[..5])
            }
        };
        let mut attributes = String::from("; Path=/");
        match config.max_age {
            Some(age) if age > 0 => attributes.push_str(&format!("; Max-Age={age}")),
            Some(age) if age < 0 => attributes.push_str("; Max-Age=0"),
            _ => {}
        }
        if config.http_only == Some(true) {
            attributes.push_str("; HttpOnly");
        }
        if config.secure == Some(true) {
            attributes.push_str("; Secure");
        }
        match config.same_site.as_deref().map(str::to_ascii_lowercase).as_deref() {
            Some("none") => attributes.push_str("; SameSite=None"),
            Some("lax") => attributes.push_str("; SameSite=Lax"),
            Some("strict") => attributes.push_str("; SameSite=Strict"),
            _ => {}
        }
        StickyCookie { name, attributes }
    }

    /// The value of this cookie in the request, if sent.
    pub(crate) fn find<'a>(&self, req: &'a Request) -> Option<&'a str> {
        req.headers()
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(n, _)| *n == self.name)
            .map(|(_, v)| v.trim_matches('"'))
    }

    /// The `Set-Cookie` value pointing at the child named `child`.
    pub(crate) fn set_cookie(&self, child: &str) -> Option<HeaderValue> {
        HeaderValue::from_str(&format!("{}={}{}", self.name, sticky_value(child), self.attributes)).ok()
    }
}

/// A load balancer over servers.
#[derive(Debug)]
pub(crate) struct LoadBalancer {
    pub(crate) name: Arc<str>,
    pub(crate) servers: Vec<Server>,
    pub(crate) wrr: Wrr,
    pub(crate) sticky: Option<StickyCookie>,
    pub(crate) pass_host: bool,
    pub(crate) upstream: Upstream,
    /// `traefik_service_server_up` per server, when metrics are on.
    pub(crate) up_gauges: Vec<Option<Arc<Gauge>>>,
}

impl LoadBalancer {
    /// Marks server `index` up or down (health checks).
    pub(crate) fn set_up(&self, index: usize, up: bool) {
        if self.wrr.set_up(index, up) {
            if let Some(server) = self.servers.get(index) {
                let state = if up { "UP" } else { "DOWN" };
                tracing::info!(service = %self.name, server = %server.url, "health check: server is {state}");
            }
        }
        if let Some(Some(gauge)) = self.up_gauges.get(index) {
            gauge.set(i64::from(up));
        }
    }
}

/// The handler of a load balancer.
pub(crate) struct LoadBalancerHandler(pub(crate) Arc<LoadBalancer>);

impl Handler for LoadBalancerHandler {
    fn handle(&self, req: Request) -> HandlerFuture {
        let lb = self.0.clone();
        Box::pin(async move {
            let sticky = lb.sticky.as_ref().and_then(|c| c.find(&req)).and_then(|v| lb.wrr.sticky(v));
            let (index, set_cookie) = match sticky {
                Some(i) => (Some(i), None),
                None => {
                    let index = lb.wrr.next();
                    let cookie = match (&lb.sticky, index.and_then(|i| lb.servers.get(i))) {
                        (Some(c), Some(server)) => c.set_cookie(&server.url),
                        _ => None,
                    };
                    (index, cookie)
                }
            };
            let Some(server) = index.and_then(|i| lb.servers.get(i)) else {
                return ProxyError::from(NoAvailableServer { service: lb.name.clone() }).into_response();
            };
            let mut resp = forward(&lb.upstream, server, lb.pass_host, req).await;
            if let Some(cookie) = set_cookie {
                resp.headers_mut().append(header::SET_COOKIE, cookie);
            }
            resp
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_names_follow_traefik() {
        let c = StickyCookie::new(&Cookie::default(), "whoami@file");
        assert_eq!(c.name.len(), 6);
        assert!(c.name.starts_with('_'));
        let named = StickyCookie::new(
            &Cookie {
                name: Some("my cookie".into()),
                secure: Some(true),
                http_only: Some(true),
                same_site: Some("lax".into()),
                max_age: Some(60),
            },
            "x",
        );
        assert_eq!(named.name, "my_cookie");
        let set = named.set_cookie("http://a").expect("valid");
        assert_eq!(
            set.to_str().unwrap_or_default(),
            format!("my_cookie={}; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax", sticky_value("http://a"))
        );
    }
}
