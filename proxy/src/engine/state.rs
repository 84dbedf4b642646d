//! One configuration version, built and ready to serve: routing indexes with their handler
//! chains, TLS configurations, TCP routes and per-entry-point settings. A [`Runtime`] is
//! immutable; the engine swaps in a new one atomically and requests in flight keep the one they
//! started with.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;

use super::forwarded::Trust;
use super::tcp::{build_routes, TcpRoutes};
use crate::config::{ConfigDocument, EntryPoint, RespondingTimeouts};
use crate::context::RouteInfo;
use crate::handler::SharedHandler;
use crate::middleware::Middlewares;
use crate::observability::access_log::AccessLog;
use crate::observability::metrics::{Metrics, RequestSeries};
use crate::router::{HttpRouterIndex, HttpRoutingTables, RouteTarget};
use crate::rule::Rule;
use crate::service::{build_services, metered, HealthChecks, ServiceContext, Upstream};
use crate::tls::{LoadedCert, TlsRuntime, DEFAULT_OPTIONS};

/// What a matched HTTP route does.
pub(crate) enum RouteEntry {
    /// Run the router's chain.
    Router { handler: SharedHandler, info: RouteInfo },
    /// The entry point redirection.
    Redirect(crate::middleware::SchemeRedirect),
}

/// TLS options chosen by SNI for HTTPS connections of one entry point (Traefik's HTTPS muxer,
/// built from the `Host` rules of its TLS routers).
#[derive(Default)]
pub(crate) struct HttpsHosts {
    exact: HashMap<String, Arc<ServerConfig>>,
    wildcard: HashMap<String, Arc<ServerConfig>>,
    /// TLS configuration of the routers without `Host` (any SNI).
    pub(crate) catch_all: Option<Arc<ServerConfig>>,
}

impl HttpsHosts {
    /// Whether no TLS router serves this entry point.
    pub(crate) fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.wildcard.is_empty() && self.catch_all.is_none()
    }

    /// The TLS configuration of the HTTPS router serving `sni`, and whether it was matched by
    /// name (not by a catch-all router).
    pub(crate) fn find(&self, sni: Option<&str>) -> Option<(Arc<ServerConfig>, bool)> {
        if let Some(name) = sni {
            if let Some(c) = self.exact.get(name) {
                return Some((c.clone(), true));
            }
            if let Some(dot) = name.find('.') {
                if let Some(c) = self.wildcard.get(&format!("*{}", &name[dot..])) {
                    return Some((c.clone(), true));
                }
            }
        }
        self.catch_all.clone().map(|c| (c, false))
    }
}

/// Per entry point settings.
pub(crate) struct EntryPointRuntime {
    pub(crate) trust: Trust,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) write_timeout: Option<Duration>,
    pub(crate) tcp: TcpRoutes,
    pub(crate) https: HttpsHosts,
    /// TLS configuration for HTTPS connections no router claims (default options).
    pub(crate) default_tls: Option<Arc<ServerConfig>>,
    pub(crate) serves_ping: bool,
    pub(crate) serves_metrics: bool,
    pub(crate) series: Option<Arc<RequestSeries>>,
}

/// A built configuration.
pub(crate) struct Runtime {
    pub(crate) version: u64,
    pub(crate) plain: HttpRouterIndex<RouteEntry>,
    pub(crate) tls: HttpRouterIndex<RouteEntry>,
    pub(crate) entry_points: HashMap<String, Arc<EntryPointRuntime>>,
    pub(crate) access_log: Option<Arc<AccessLog>>,
    pub(crate) metrics: Option<Arc<Metrics>>,
    pub(crate) ping_terminating_status: u16,
}

impl EntryPointRuntime {
    /// Whether HTTPS routers serve this entry point.
    pub(crate) fn has_tls_http_routes(&self) -> bool {
        !self.https.is_empty()
    }
}

impl Runtime {
    pub(crate) fn entry_point(&self, name: &str) -> Option<&Arc<EntryPointRuntime>> {
        self.entry_points.get(name)
    }
}

/// What building needs besides the document.
pub(crate) struct BuildInputs<'a> {
    pub(crate) version: u64,
    pub(crate) upstream: &'a Upstream,
    pub(crate) metrics: Option<Arc<Metrics>>,
    pub(crate) access_log: Option<Arc<AccessLog>>,
    pub(crate) provider: &'a str,
    pub(crate) default_cert: &'a LoadedCert,
    /// The entry points that will be listened on (configured ones, plus `traefik` when created
    /// for ping or metrics), with their bound addresses.
    pub(crate) bound: &'a HashMap<String, (EntryPoint, SocketAddr)>,
}

/// A built runtime and the health checks to start with it.
pub(crate) struct Built {
    pub(crate) runtime: Runtime,
    pub(crate) health: HealthChecks,
}

fn timeouts(ep: &EntryPoint) -> (Option<Duration>, Option<Duration>, Option<Duration>) {
    let t = ep.transport.as_ref().and_then(|t| t.responding_timeouts.as_ref());
    let get = |v: Option<crate::config::GoDuration>, default: Option<crate::config::GoDuration>| {
        v.or(default).and_then(|d| d.to_std()).filter(|d| !d.is_zero())
    };
    (
        get(t.and_then(|t| t.read_timeout), Some(RespondingTimeouts::DEFAULT_READ)),
        get(t.and_then(|t| t.write_timeout), None),
        get(t.and_then(|t| t.idle_timeout), Some(RespondingTimeouts::DEFAULT_IDLE)),
    )
}

/// Builds the runtime of `doc` (already validated).
pub(crate) fn build(doc: &ConfigDocument, inputs: BuildInputs<'_>) -> Result<Built, Vec<String>> {
    let mut errors: Vec<String> = Vec::new();
    let provider = inputs.provider;
    let metrics = inputs.metrics.as_deref();

    let tls = match TlsRuntime::build(&doc.dynamic.tls, inputs.default_cert) {
        Ok(t) => Some(t),
        Err(es) => {
            errors.extend(es.into_iter().map(|e| e.to_string()));
            None
        }
    };
    let middlewares = match Middlewares::build(&doc.dynamic.http.middlewares) {
        Ok(m) => m,
        Err(es) => {
            errors.extend(es.into_iter().map(|e| e.to_string()));
            Middlewares::empty()
        }
    };
    let services = match build_services(
        &doc.dynamic.http.services,
        ServiceContext { upstream: inputs.upstream, metrics, provider },
    ) {
        Ok(s) => Some(s),
        Err(e) => {
            errors.push(e.to_string());
            None
        }
    };
    let tables = match HttpRoutingTables::from_document(doc) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(e.to_string());
            None
        }
    };
    let (Some(tls), Some(services), Some(tables)) = (tls, services, tables) else {
        return Err(errors);
    };

    // Ports of entry points, for the entry point redirection (`to: websecure` or `to: :443`).
    let port_of = |to: &str| -> Option<String> {
        if let Some(port) = to.strip_prefix(':') {
            return Some(port.to_owned());
        }
        if to.parse::<u16>().is_ok() {
            return Some(to.to_owned());
        }
        inputs.bound.get(to).map(|(_, addr)| addr.port().to_string())
    };

    let convert = |target: &RouteTarget, route_name: &str| -> Result<RouteEntry, String> {
        match target {
            RouteTarget::Router { service, middlewares: names, .. } => {
                let service_handler = services
                    .handlers
                    .get(service)
                    .cloned()
                    .ok_or_else(|| format!("http.routers.{route_name}.service: unknown service {service:?}"))?;
                let chain = middlewares.wrap(names, service_handler).map_err(|e| e.to_string())?;
                let info = RouteInfo {
                    router: crate::config::reported_name(route_name, provider).into(),
                    service: crate::config::reported_name(service, provider).into(),
                };
                let handler = match metrics.and_then(|m| m.router(&info.router, &info.service)) {
                    Some(series) => metered(series, chain),
                    None => chain,
                };
                Ok(RouteEntry::Router { handler, info })
            }
            RouteTarget::Redirect { to, scheme, permanent, .. } => {
                let port = port_of(to);
                Ok(RouteEntry::Redirect(crate::middleware::SchemeRedirect::new(scheme, port.as_deref(), *permanent)))
            }
        }
    };

    // TLS options per host, per entry point, from the TLS routers' `Host` rules.
    let mut https: HashMap<String, HttpsHosts> = HashMap::new();
    let mut conflicts: Vec<String> = Vec::new();
    for route in tables.tls.routes() {
        let options = match &route.value {
            RouteTarget::Router { tls: Some(t), .. } => t.options.clone().unwrap_or_else(|| DEFAULT_OPTIONS.to_owned()),
            _ => DEFAULT_OPTIONS.to_owned(),
        };
        let Some(config) = tls.config(&options) else { continue };
        for ep in &route.entry_points {
            let hosts = https.entry(ep.clone()).or_default();
            let values = host_values(&route.rule);
            if values.is_empty() {
                hosts.catch_all.get_or_insert_with(|| config.clone());
            }
            for host in values {
                let map = if host.starts_with('*') { &mut hosts.wildcard } else { &mut hosts.exact };
                match map.get(&host) {
                    Some(existing) if !Arc::ptr_eq(existing, &config) => conflicts.push(host.clone()),
                    Some(_) => {}
                    None => {
                        map.insert(host, config.clone());
                    }
                }
            }
        }
    }
    if !conflicts.is_empty() {
        if let Some(default) = tls.config(DEFAULT_OPTIONS) {
            for host in conflicts {
                // Traefik: routers with different TLS options for one host get the default ones.
                tracing::warn!(%host, "several TLS options are defined for this host: using the default ones");
                for hosts in https.values_mut() {
                    for map in [&mut hosts.exact, &mut hosts.wildcard] {
                        if let Some(c) = map.get_mut(&host) {
                            *c = default.clone();
                        }
                    }
                }
            }
        }
    }

    let plain = tables.plain.try_map(|r| convert(&r.value, &r.name));
    let tls_index = tables.tls.try_map(|r| convert(&r.value, &r.name));
    let (plain, tls_index) = match (plain, tls_index) {
        (Ok(p), Ok(t)) => (p, t),
        (p, t) => {
            errors.extend(p.err());
            errors.extend(t.err());
            return Err(errors);
        }
    };

    let tcp = match build_routes(doc, &tls, provider) {
        Ok(t) => t,
        Err(es) => {
            errors.extend(es);
            return Err(errors);
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }

    let statics = &doc.static_config;
    let ping_ep = statics.ping.as_ref().map(|p| p.entry_point().to_owned());
    let metrics_ep = statics.metrics.as_ref().and_then(|m| m.prometheus.as_ref()).map(|p| p.entry_point().to_owned());
    let mut entry_points = HashMap::new();
    for (name, (ep, _)) in inputs.bound {
        let (read_timeout, write_timeout, idle_timeout) = timeouts(ep);
        let runtime = EntryPointRuntime {
            trust: Trust::new(ep.forwarded_headers.as_ref()),
            read_timeout,
            write_timeout,
            idle_timeout,
            tcp: tcp.get(name).cloned().unwrap_or_default(),
            https: https.remove(name).unwrap_or_default(),
            default_tls: tls.config(DEFAULT_OPTIONS),
            serves_ping: ping_ep.as_deref() == Some(name.as_str()),
            serves_metrics: metrics_ep.as_deref() == Some(name.as_str()),
            series: metrics.and_then(|m| m.entry_point(name)),
        };
        entry_points.insert(name.clone(), Arc::new(runtime));
    }

    Ok(Built {
        runtime: Runtime {
            version: inputs.version,
            plain,
            tls: tls_index,
            entry_points,
            access_log: inputs.access_log,
            metrics: inputs.metrics,
            ping_terminating_status: statics.ping.as_ref().and_then(|p| p.terminating_status_code).unwrap_or(503),
        },
        health: services.health,
    })
}

fn host_values(rule: &Rule) -> Vec<String> {
    rule.host_values()
}
