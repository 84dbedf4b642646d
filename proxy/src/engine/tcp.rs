//! TCP routers and services: connections routed by `HostSNI` (and `ClientIP`, `ALPN`), TLS
//! terminated with the router's options or passed through untouched, and spliced to a server
//! of the router's service (round robin, or weighted over services).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::config::{ConfigDocument, TcpService};
use crate::rule::{parse_tcp_rule, ConnInfo, TcpRule};
use crate::service::wrr::Wrr;
use crate::tls::{TlsRuntime, DEFAULT_OPTIONS};

/// What a TCP router does with TLS.
#[derive(Clone)]
pub(crate) enum TcpTls {
    /// Plain TCP (``HostSNI(`*`)`` without `tls`).
    None,
    /// Forward the TLS bytes untouched.
    Passthrough,
    /// Terminate TLS with this configuration, then forward the clear bytes.
    Terminate(Arc<ServerConfig>),
}

#[derive(Clone)]
pub(crate) struct TcpRoute {
    pub(crate) name: Arc<str>,
    rule: TcpRule,
    priority: i64,
    pub(crate) tls: TcpTls,
    pub(crate) service: Arc<TcpServiceRt>,
}

impl TcpRoute {
    pub(crate) fn is_catch_all(&self) -> bool {
        self.rule.is_catch_all()
    }
}

/// A built TCP service.
pub(crate) enum TcpServiceRt {
    Servers { addresses: Vec<String>, wrr: Wrr },
    Weighted { children: Vec<Arc<TcpServiceRt>>, wrr: Wrr },
}

impl TcpServiceRt {
    /// The address of the next server.
    fn pick(&self, depth: usize) -> Option<&str> {
        if depth > 32 {
            return None;
        }
        match self {
            TcpServiceRt::Servers { addresses, wrr } => wrr.next().and_then(|i| addresses.get(i)).map(String::as_str),
            TcpServiceRt::Weighted { children, wrr } => {
                wrr.next().and_then(|i| children.get(i)).and_then(|c| c.pick(depth + 1))
            }
        }
    }
}

/// The TCP routers of one entry point, in the order they are tried.
#[derive(Clone, Default)]
pub(crate) struct TcpRoutes {
    /// Routers without TLS.
    pub(crate) plain: Vec<TcpRoute>,
    /// Routers with TLS (terminated or passthrough).
    pub(crate) tls: Vec<TcpRoute>,
}

impl TcpRoutes {
    pub(crate) fn find_plain(&self, conn: &ConnInfo<'_>) -> Option<&TcpRoute> {
        self.plain.iter().find(|r| r.rule.matches(conn))
    }

    pub(crate) fn find_tls(&self, conn: &ConnInfo<'_>) -> Option<&TcpRoute> {
        self.tls.iter().find(|r| r.rule.matches(conn))
    }
}

fn build_service(
    name: &str,
    defs: &BTreeMap<String, TcpService>,
    built: &mut HashMap<String, Arc<TcpServiceRt>>,
    depth: usize,
) -> Result<Arc<TcpServiceRt>, String> {
    if let Some(s) = built.get(name) {
        return Ok(s.clone());
    }
    if depth > 32 {
        return Err(format!("tcp.services.{name}: weighted services nested too deeply"));
    }
    let def = defs.get(name).ok_or_else(|| format!("unknown TCP service {name:?}"))?;
    let service = match (&def.load_balancer, &def.weighted) {
        (Some(lb), _) => {
            let addresses: Vec<String> = lb.servers.iter().map(|s| s.address.clone()).collect();
            let weights: Vec<(String, i64)> = addresses.iter().map(|a| (a.clone(), 1)).collect();
            TcpServiceRt::Servers { wrr: Wrr::new(&weights), addresses }
        }
        (None, Some(w)) => {
            let mut children = Vec::new();
            for child in &w.services {
                children.push(build_service(&child.name, defs, built, depth + 1)?);
            }
            let weights: Vec<(String, i64)> = w.services.iter().map(|c| (c.name.clone(), c.weight())).collect();
            TcpServiceRt::Weighted { children, wrr: Wrr::new(&weights) }
        }
        (None, None) => return Err(format!("tcp.services.{name}: no loadBalancer or weighted")),
    };
    let service = Arc::new(service);
    built.insert(name.to_owned(), service.clone());
    Ok(service)
}

/// The TCP routes of every entry point of `doc`.
pub(crate) fn build_routes(
    doc: &ConfigDocument,
    tls: &TlsRuntime,
    provider: &str,
) -> Result<HashMap<String, TcpRoutes>, Vec<String>> {
    let defaults: Vec<String> = doc.static_config.default_entry_points().into_iter().map(str::to_owned).collect();
    let mut services = HashMap::new();
    let mut errors = Vec::new();
    let mut out: HashMap<String, TcpRoutes> = HashMap::new();
    for (name, router) in &doc.dynamic.tcp.routers {
        let rule = match parse_tcp_rule(router.rule.as_deref().unwrap_or_default()) {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("tcp.routers.{name}.rule: invalid rule {e}"));
                continue;
            }
        };
        let service = match build_service(
            router.service.as_deref().unwrap_or_default(),
            &doc.dynamic.tcp.services,
            &mut services,
            0,
        ) {
            Ok(s) => s,
            Err(e) => {
                errors.push(format!("tcp.routers.{name}.service: {e}"));
                continue;
            }
        };
        let tls_mode = match &router.tls {
            None => TcpTls::None,
            Some(t) if t.passthrough == Some(true) => TcpTls::Passthrough,
            Some(t) => match tls.config(t.options.as_deref().unwrap_or(DEFAULT_OPTIONS)) {
                Some(c) => TcpTls::Terminate(c),
                None => {
                    errors.push(format!("tcp.routers.{name}.tls.options: unknown TLS options"));
                    continue;
                }
            },
        };
        let priority = match router.priority {
            Some(p) if p != 0 => p,
            _ => rule.default_priority(),
        };
        let route = TcpRoute {
            name: crate::config::reported_name(name, provider).into(),
            rule,
            priority,
            tls: tls_mode,
            service,
        };
        let eps = if router.entry_points.is_empty() { &defaults } else { &router.entry_points };
        for ep in eps {
            let routes = out.entry(ep.clone()).or_default();
            match route.tls {
                TcpTls::None => routes.plain.push(route.clone()),
                _ => routes.tls.push(route.clone()),
            }
        }
    }
    for routes in out.values_mut() {
        for list in [&mut routes.plain, &mut routes.tls] {
            list.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.name.cmp(&b.name)));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// How long a TCP server may take to accept a connection (Traefik's `dialTimeout`).
const DIAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Splices `client` to a server of `route`'s service until either side closes.
pub(crate) async fn proxy<S>(route: &TcpRoute, mut client: S)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Some(address) = route.service.pick(0).map(str::to_owned) else {
        tracing::debug!(router = %route.name, "TCP service has no server");
        return;
    };
    let server = match tokio::time::timeout(DIAL_TIMEOUT, TcpStream::connect(&address)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::debug!(router = %route.name, %address, error = %e, "TCP server unreachable");
            return;
        }
        Err(_) => {
            tracing::debug!(router = %route.name, %address, "TCP server connection timed out");
            return;
        }
    };
    let _ = server.set_nodelay(true);
    let mut server = server;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}
