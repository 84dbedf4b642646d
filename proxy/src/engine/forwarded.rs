//! Traefik's entry point handling of `X-Forwarded-*` headers (`forwardedHeaders`): a peer
//! that is not trusted (neither `insecure` nor in `trustedIPs`) cannot set them, so they are
//! removed; then `X-Forwarded-Proto`, `-Host`, `-Port` and `X-Real-Ip` are filled in when
//! absent and `X-Forwarded-Server` is set to this host's name. `X-Forwarded-For` is extended
//! with the client's IP when the request is forwarded (see `service::forward`), so middlewares
//! see it as the client sent it, as in Traefik.

use std::net::IpAddr;

use http::{header, HeaderName, HeaderValue};
use ipnet::IpNet;

use crate::body::Request;
use crate::config::ForwardedHeaders;

const X_HEADERS: [&str; 10] = [
    "x-forwarded-proto",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-forwarded-server",
    "x-forwarded-uri",
    "x-forwarded-method",
    "x-forwarded-tls-client-cert",
    "x-forwarded-tls-client-cert-info",
    "x-real-ip",
];

/// Which peers may set forwarded headers.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trust {
    insecure: bool,
    networks: Vec<IpNet>,
}

impl Trust {
    pub(crate) fn new(config: Option<&ForwardedHeaders>) -> Self {
        let Some(c) = config else { return Trust::default() };
        let networks = c
            .trusted_ips
            .iter()
            .filter_map(|v| v.parse::<IpNet>().ok().or_else(|| v.parse::<IpAddr>().ok().map(IpNet::from)))
            .collect();
        Trust { insecure: c.insecure == Some(true), networks }
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.insecure || self.networks.iter().any(|n| n.contains(&ip))
    }
}

fn is_websocket(req: &Request) -> bool {
    let has = |name: HeaderName, token: &str| {
        req.headers()
            .get_all(name)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))))
    };
    has(header::CONNECTION, "upgrade") && has(header::UPGRADE, "websocket")
}

/// Applies the entry point's forwarded headers to `req` from a peer at `peer`.
pub(crate) fn apply(req: &mut Request, peer: IpAddr, tls: bool, trust: &Trust, hostname: &HeaderValue) {
    if !trust.trusts(peer) {
        for name in X_HEADERS {
            req.headers_mut().remove(name);
        }
    }
    let websocket = is_websocket(req);
    let host = req.headers().get(header::HOST).cloned();
    let headers = req.headers_mut();
    if !headers.contains_key("x-forwarded-proto") {
        let proto = match (tls, websocket) {
            (true, true) => "wss",
            (true, false) => "https",
            (false, true) => "ws",
            (false, false) => "http",
        };
        headers.insert("x-forwarded-proto", HeaderValue::from_static(proto));
    }
    if !headers.contains_key("x-forwarded-host") {
        if let Some(h) = &host {
            headers.insert("x-forwarded-host", h.clone());
        }
    }
    if !headers.contains_key("x-forwarded-port") {
        let from_host = host.as_ref().and_then(|h| h.to_str().ok()).and_then(|h| {
            h.rsplit_once(':').filter(|(_, p)| !p.is_empty() && !p.contains(']')).map(|(_, p)| p.to_owned())
        });
        let port = from_host.unwrap_or_else(|| {
            let proto = headers.get("x-forwarded-proto").map(HeaderValue::as_bytes).unwrap_or_default();
            if proto == b"https" || proto == b"wss" || tls {
                "443".to_owned()
            } else {
                "80".to_owned()
            }
        });
        if let Ok(v) = HeaderValue::from_str(&port) {
            headers.insert("x-forwarded-port", v);
        }
    }
    headers.insert("x-forwarded-server", hostname.clone());
    if !headers.contains_key("x-real-ip") {
        if let Ok(v) = HeaderValue::from_str(&peer.to_canonical().to_string()) {
            headers.insert("x-real-ip", v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(host: &str, extra: &[(&str, &str)]) -> Request {
        let mut r = Request::new(crate::body::empty());
        r.headers_mut().insert(header::HOST, HeaderValue::from_str(host).expect("valid"));
        for (k, v) in extra {
            r.headers_mut().insert(HeaderName::try_from(*k).expect("name"), HeaderValue::from_str(v).expect("value"));
        }
        r
    }

    fn get<'a>(r: &'a Request, name: &str) -> &'a str {
        r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    #[test]
    fn untrusted_peers_cannot_set_forwarded_headers() {
        let host = HeaderValue::from_static("proxy1");
        let peer: IpAddr = "10.1.1.1".parse().expect("ip");
        let mut r = req("example.com:8080", &[("x-forwarded-proto", "https"), ("x-real-ip", "1.2.3.4")]);
        apply(&mut r, peer, false, &Trust::default(), &host);
        assert_eq!(get(&r, "x-forwarded-proto"), "http");
        assert_eq!(get(&r, "x-forwarded-host"), "example.com:8080");
        assert_eq!(get(&r, "x-forwarded-port"), "8080");
        assert_eq!(get(&r, "x-forwarded-server"), "proxy1");
        assert_eq!(get(&r, "x-real-ip"), "10.1.1.1");

        let trust = Trust::new(Some(&ForwardedHeaders { trusted_ips: vec!["10.0.0.0/8".into()], insecure: None }));
        let mut r = req("example.com", &[("x-forwarded-proto", "https"), ("x-real-ip", "1.2.3.4")]);
        apply(&mut r, peer, false, &trust, &host);
        assert_eq!(get(&r, "x-forwarded-proto"), "https");
        assert_eq!(get(&r, "x-forwarded-port"), "443");
        assert_eq!(get(&r, "x-real-ip"), "1.2.3.4");
    }

    #[test]
    fn websocket_and_tls_protocols() {
        let host = HeaderValue::from_static("p");
        let mut r = req("h", &[("connection", "Upgrade"), ("upgrade", "websocket")]);
        apply(&mut r, "127.0.0.1".parse().expect("ip"), true, &Trust::default(), &host);
        assert_eq!(get(&r, "x-forwarded-proto"), "wss");
        assert_eq!(get(&r, "x-forwarded-port"), "443");
    }
}
