//! `ipAllowList`: refuses clients whose IP is outside `sourceRange`, with 403 (or
//! `rejectStatusCode`) and the status text as body.
//!
//! Which IP is checked is the `ipStrategy`, shared with `rateLimit` and `inFlightReq`
//! ([`ClientIp`], Traefik's `pkg/ip`): by default the TCP peer; with `depth: n` the n-th entry
//! from the right of `X-Forwarded-For` (nothing, hence a refusal, when the header is shorter);
//! with `excludedIPs` the right-most entry that is not one of those (trusted proxies). `depth`
//! wins over `excludedIPs`. `ipv6Subnet` reduces an IPv6 address to the first address of its
//! subnet, so that a client rotating addresses in its /64 counts as one.
//!
//! As Go's `net.IP.Equal`/`IPNet.Contains` do, an IPv4-mapped IPv6 address is the IPv4 one: it
//! matches IPv4 ranges and never IPv6 ones. An address with a port (`1.2.3.4:5678` in
//! `X-Forwarded-For`) is checked without it.

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;
use std::sync::Arc;

use http::{HeaderValue, StatusCode};
use ipnet::IpNet;

use super::{BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler};
use crate::body::{full, Response};
use crate::config::{IpAllowList as Config, IpStrategy};
use crate::context::ConnectionInfo;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    if config.source_range.is_empty() {
        return Err(ctx.invalid("ipAllowList.sourceRange is empty"));
    }
    let status = match config.reject_status_code.filter(|c| *c != 0) {
        None => StatusCode::FORBIDDEN,
        Some(code) => StatusCode::from_u16(code)
            .ok()
            .filter(|s| s.canonical_reason().is_some())
            .ok_or_else(|| ctx.invalid(format!("ipAllowList.rejectStatusCode: invalid HTTP status code {code}")))?,
    };
    let allowed =
        IpChecker::new(&config.source_range).map_err(|e| ctx.invalid(format!("ipAllowList.sourceRange: {e}")))?;
    let strategy = ClientIp::new(config.ip_strategy.as_ref()).map_err(|e| ctx.invalid(format!("ipAllowList.{e}")))?;
    Ok(Arc::new(IpAllowList(Arc::new(Settings { allowed, strategy, status }))))
}

/// A set of IPs and networks (Traefik's `ip.Checker`).
#[derive(Debug)]
pub(super) struct IpChecker {
    addrs: Vec<IpAddr>,
    nets: Vec<IpNet>,
}

impl IpChecker {
    /// Parses IPs and CIDRs; the error names the bad entry.
    pub(super) fn new(entries: &[String]) -> Result<Self, String> {
        let mut checker = IpChecker { addrs: Vec::new(), nets: Vec::new() };
        for entry in entries {
            if let Ok(ip) = IpAddr::from_str(entry) {
                checker.addrs.push(ip.to_canonical());
            } else if let Ok(net) = IpNet::from_str(entry) {
                checker.nets.push(net.trunc());
            } else {
                return Err(format!("{entry:?} is neither an IP nor a CIDR"));
            }
        }
        Ok(checker)
    }

    /// Whether `ip` is one of the IPs or in one of the networks.
    pub(super) fn contains_ip(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.addrs.contains(&ip) || self.nets.iter().any(|n| n.contains(&ip))
    }

    /// [`Self::contains_ip`] for a textual address; `false` when it does not parse.
    fn contains(&self, addr: &str) -> bool {
        parse_ip(addr).is_some_and(|ip| self.contains_ip(ip))
    }

    /// Traefik's `IsAuthorized`: the address may carry a port.
    fn is_authorized(&self, addr: &str) -> bool {
        let host = crate::rule::split_host_port(addr).unwrap_or(addr);
        self.contains(host)
    }
}

/// Go's `netip.ParseAddr`: an IPv6 zone is accepted (and ignored here).
fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = match text.split_once('%') {
        Some((addr, zone)) if addr.contains(':') && !zone.is_empty() => addr,
        _ => text,
    };
    IpAddr::from_str(text).ok()
}

/// Which address of a request stands for the client (Traefik's `ip.Strategy`).
#[derive(Debug)]
pub(super) enum ClientIp {
    /// The TCP peer.
    RemoteAddr { ipv6_subnet: Option<u8> },
    /// The `depth`-th entry from the right of `X-Forwarded-For`.
    Depth { depth: usize, ipv6_subnet: Option<u8> },
    /// The right-most entry of `X-Forwarded-For` not in the excluded set.
    Pool(IpChecker),
}

impl ClientIp {
    /// The strategy for `ipStrategy` (absent: the peer). The error is prefixed with the option.
    pub(super) fn new(strategy: Option<&IpStrategy>) -> Result<Self, String> {
        let Some(s) = strategy else {
            return Ok(ClientIp::RemoteAddr { ipv6_subnet: None });
        };
        let ipv6_subnet = match s.ipv6_subnet {
            None => None,
            Some(bits) => Some(
                u8::try_from(bits)
                    .ok()
                    .filter(|b| (1..=128).contains(b))
                    .ok_or_else(|| format!("ipStrategy.ipv6Subnet: invalid IPv6 subnet {bits}, expected 1 to 128"))?,
            ),
        };
        let depth = s.depth.unwrap_or(0);
        if depth > 0 {
            let depth = usize::try_from(depth).map_err(|_| format!("ipStrategy.depth: {depth} is too large"))?;
            return Ok(ClientIp::Depth { depth, ipv6_subnet });
        }
        if !s.excluded_ips.is_empty() {
            return IpChecker::new(&s.excluded_ips)
                .map(ClientIp::Pool)
                .map_err(|e| format!("ipStrategy.excludedIPs: {e}"));
        }
        Ok(ClientIp::RemoteAddr { ipv6_subnet })
    }

    /// The client's address as text, empty when the strategy finds none.
    pub(super) fn get(&self, req: &Request) -> String {
        match self {
            ClientIp::RemoteAddr { ipv6_subnet } => {
                let peer = req.extensions().get::<ConnectionInfo>().map(|c| c.peer.ip().to_canonical().to_string());
                subnet(peer.unwrap_or_default(), *ipv6_subnet)
            }
            ClientIp::Depth { depth, ipv6_subnet } => {
                let xff = first_forwarded_for(req);
                let entries: Vec<&str> = xff.split(',').collect();
                match entries.len().checked_sub(*depth).and_then(|i| entries.get(i)) {
                    Some(entry) => subnet(entry.trim().to_owned(), *ipv6_subnet),
                    None => String::new(),
                }
            }
            ClientIp::Pool(excluded) => first_forwarded_for(req)
                .rsplit(',')
                .map(str::trim)
                .find(|entry| !entry.is_empty() && !excluded.contains(entry))
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// Go's `Header.Get("X-Forwarded-For")`: the first field line only.
fn first_forwarded_for(req: &Request) -> &str {
    req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// Traefik's `getIPv6SubnetIP`: the first address of the `bits` subnet of an IPv6 address;
/// anything else unchanged.
fn subnet(ip: String, bits: Option<u8>) -> String {
    let Some(bits) = bits else { return ip };
    match parse_ip(&ip) {
        Some(IpAddr::V6(v6)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            Ipv6Addr::from(u128::from(v6) & mask).to_string()
        }
        _ => ip,
    }
}

struct Settings {
    allowed: IpChecker,
    strategy: ClientIp,
    status: StatusCode,
}

struct IpAllowList(Arc<Settings>);

impl Middleware for IpAllowList {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { settings: self.0.clone(), next })
    }
}

struct Layer {
    settings: Arc<Settings>,
    next: SharedHandler,
}

/// A refusal as Traefik writes it: the status text as body (typed as Go's sniffing would).
pub(super) fn status_text_response(status: StatusCode) -> Response {
    let mut resp = Response::new(full(status.canonical_reason().unwrap_or_default()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    resp
}

impl Handler for Layer {
    fn handle(&self, req: Request) -> HandlerFuture {
        let client = self.settings.strategy.get(&req);
        if self.settings.allowed.is_authorized(&client) {
            return self.next.handle(req);
        }
        tracing::debug!(client = %client, "ipAllowList: rejecting IP");
        let resp = status_text_response(self.settings.status);
        Box::pin(async move { resp })
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::super::test_support::{echo, get, text};
    use super::*;

    fn req(peer: &str, xff: Option<&str>) -> Request {
        let mut r = get("h", "/");
        let peer: SocketAddr = peer.parse().expect("socket address");
        r.extensions_mut().insert(ConnectionInfo { entry_point: "web".into(), peer, local: peer, tls: None });
        if let Some(xff) = xff {
            r.headers_mut().insert("x-forwarded-for", HeaderValue::from_str(xff).expect("value"));
        }
        r
    }

    fn strategy(depth: Option<i64>, excluded: &[&str], ipv6_subnet: Option<i64>) -> Option<IpStrategy> {
        Some(IpStrategy { depth, excluded_ips: excluded.iter().map(|s| s.to_string()).collect(), ipv6_subnet })
    }

    async fn status(ranges: &[&str], s: Option<IpStrategy>, code: Option<u16>, r: Request) -> (u16, String) {
        let config = Config {
            source_range: ranges.iter().map(|s| s.to_string()).collect(),
            ip_strategy: s,
            reject_status_code: code,
        };
        let mw = build(&config, &BuildContext::new("t")).expect("builds");
        let resp = mw.wrap(echo()).handle(r).await;
        (resp.status().as_u16(), text(resp).await)
    }

    #[tokio::test]
    async fn checks_the_peer_by_default() {
        assert_eq!(status(&["10.0.0.0/8"], None, None, req("10.1.2.3:5000", None)).await.0, 200);
        assert_eq!(status(&["10.0.0.0/8"], None, None, req("11.1.2.3:5000", None)).await, (403, "Forbidden".into()));
        // The forwarded header is ignored without a strategy.
        assert_eq!(status(&["10.0.0.0/8"], None, None, req("11.1.2.3:1", Some("10.0.0.1"))).await.0, 403);
        // IPv4-mapped peers are IPv4 clients.
        assert_eq!(status(&["10.0.0.1"], None, None, req("[::ffff:10.0.0.1]:1", None)).await.0, 200);
        assert_eq!(status(&["::1/128"], None, None, req("[::1]:1", None)).await.0, 200);
        assert_eq!(status(&["::ffff:0:0/96"], None, None, req("10.0.0.1:1", None)).await.0, 403);
        assert_eq!(status(&["10.0.0.0/8"], None, Some(404), req("1.1.1.1:1", None)).await, (404, "Not Found".into()));
    }

    #[tokio::test]
    async fn depth_strategy() {
        let s = || strategy(Some(2), &[], None);
        let ok = status(&["10.0.0.2"], s(), None, req("1.1.1.1:1", Some("10.0.0.1, 10.0.0.2, 10.0.0.3"))).await;
        assert_eq!(ok.0, 200);
        assert_eq!(status(&["10.0.0.2"], s(), None, req("1.1.1.1:1", Some("10.0.0.3"))).await.0, 403);
        assert_eq!(status(&["10.0.0.2"], s(), None, req("10.0.0.2:1", None)).await.0, 403);
        // A port in the header is ignored.
        assert_eq!(status(&["10.0.0.2"], s(), None, req("1.1.1.1:1", Some("10.0.0.2:80,x"))).await.0, 200);
    }

    #[tokio::test]
    async fn excluded_ips_strategy() {
        let s = || strategy(None, &["10.0.0.0/24"], None);
        let r = req("10.0.0.9:1", Some("1.2.3.4, 5.6.7.8, 10.0.0.1, 10.0.0.2"));
        assert_eq!(status(&["5.6.7.8"], s(), None, r).await.0, 200);
        let r = req("10.0.0.9:1", Some("10.0.0.1, 10.0.0.2"));
        assert_eq!(status(&["0.0.0.0/0"], s(), None, r).await.0, 403, "every hop excluded: no client IP");
        // depth wins over excludedIPs.
        let r = req("10.0.0.9:1", Some("1.2.3.4, 10.0.0.1"));
        assert_eq!(status(&["10.0.0.1"], strategy(Some(1), &["10.0.0.0/24"], None), None, r).await.0, 200);
    }

    #[test]
    fn ipv6_subnets() {
        assert_eq!(subnet("2001:db8:1:2:3:4:5:6".into(), Some(64)), "2001:db8:1:2::");
        assert_eq!(subnet("10.0.0.1".into(), Some(64)), "10.0.0.1");
        assert_eq!(subnet("garbage".into(), Some(64)), "garbage");
        assert_eq!(subnet("2001:db8::1".into(), None), "2001:db8::1");
    }

    #[test]
    fn bad_configuration_is_a_build_error() {
        let config =
            |code| Config { source_range: vec!["10.0.0.0/8".into()], ip_strategy: None, reject_status_code: code };
        assert!(matches!(build(&config(Some(599)), &BuildContext::new("t")), Err(BuildError::Invalid { .. })));
        let bad_range = Config { source_range: vec!["nope".into()], ip_strategy: None, reject_status_code: None };
        let err = build(&bad_range, &BuildContext::new("t")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("\"nope\""), "{err}");
    }
}
