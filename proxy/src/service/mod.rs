//! HTTP services: what a router hands a request to once its middlewares are done.
//!
//! - [`upstream`]: pooled clients to servers (HTTP/1.1, h2c, HTTPS with ALPN);
//! - [`forward`]: one request to one server, as Go's reverse proxy does it for Traefik;
//! - `load_balancer`, `weighted`, `wrr`: Traefik's `loadBalancer` and `weighted` services;
//! - [`health`]: active health checks that take servers out of rotation and back.
//!
//! [`build_services`] turns `http.services` into one shared handler per service (a weighted
//! service holds its children's handlers), wrapped in service metrics when enabled.

pub mod forward;
pub mod health;
mod load_balancer;
pub mod upstream;
mod weighted;
pub(crate) mod wrr;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

use crate::body::Request;
use crate::config::Service;
use crate::handler::{Handler, HandlerFuture, SharedHandler};
use crate::observability::metrics::{request_protocol, Metrics, RequestSeries};

pub use health::{HealthChecks, HealthTasks};
pub use upstream::{Upstream, UpstreamOptions};

use forward::Server;
use load_balancer::{LoadBalancer, LoadBalancerHandler, StickyCookie};
use weighted::{Weighted, WeightedHandler};
use wrr::Wrr;

/// A service that could not be built (a validated document does not produce these).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("http.services.{service}: {message}")]
pub struct ServiceBuildError {
    /// Service name.
    pub service: String,
    /// What is wrong.
    pub message: String,
}

/// The services of a configuration, built.
#[derive(Default)]
pub struct BuiltServices {
    /// Handler per service name (as configured, without provider suffix).
    pub handlers: HashMap<String, SharedHandler>,
    /// Health checks to start once the configuration is in force.
    pub health: HealthChecks,
}

impl std::fmt::Debug for BuiltServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltServices").field("services", &self.handlers.len()).field("health", &self.health).finish()
    }
}

/// How services are built.
#[derive(Debug, Clone, Copy)]
pub struct ServiceContext<'a> {
    /// Upstream clients.
    pub upstream: &'a Upstream,
    /// Metrics registry, when metrics are on.
    pub metrics: Option<&'a Metrics>,
    /// Provider suffix of qualified names (`file` gives `name@file`).
    pub provider: &'a str,
}

/// Builds every service of `defs`.
pub fn build_services(
    defs: &BTreeMap<String, Service>,
    ctx: ServiceContext<'_>,
) -> Result<BuiltServices, ServiceBuildError> {
    let mut builder = Builder { defs, ctx, out: BuiltServices::default() };
    for name in defs.keys() {
        builder.build(name, 0)?;
    }
    Ok(builder.out)
}

/// Deepest nesting of weighted services (cycles are refused by validation).
const MAX_DEPTH: usize = 32;

struct Builder<'a> {
    defs: &'a BTreeMap<String, Service>,
    ctx: ServiceContext<'a>,
    out: BuiltServices,
}

impl Builder<'_> {
    fn err(name: &str, message: impl Into<String>) -> ServiceBuildError {
        ServiceBuildError { service: name.to_owned(), message: message.into() }
    }

    fn build(&mut self, name: &str, depth: usize) -> Result<SharedHandler, ServiceBuildError> {
        if let Some(h) = self.out.handlers.get(name) {
            return Ok(h.clone());
        }
        if depth > MAX_DEPTH {
            return Err(Self::err(name, "weighted services nested too deeply"));
        }
        let def = self.defs.get(name).ok_or_else(|| Self::err(name, "unknown service"))?;
        let qualified: Arc<str> = crate::config::reported_name(name, self.ctx.provider).into();
        let handler: SharedHandler = match (&def.load_balancer, &def.weighted) {
            (Some(lb), None) => {
                let mut servers = Vec::with_capacity(lb.servers.len());
                for s in &lb.servers {
                    servers.push(
                        Server::parse(&s.url)
                            .ok_or_else(|| Self::err(name, format!("invalid server URL {:?}", s.url)))?,
                    );
                }
                let weights: Vec<(String, i64)> = lb.servers.iter().map(|s| (s.url.clone(), s.weight())).collect();
                let up_gauges = servers
                    .iter()
                    .map(|s| {
                        self.ctx.metrics.map(|m| {
                            let g = m.server_up(&qualified, &s.url);
                            g.set(1);
                            g
                        })
                    })
                    .collect();
                let balancer = Arc::new(LoadBalancer {
                    name: qualified.clone(),
                    servers,
                    wrr: Wrr::new(&weights),
                    sticky: lb
                        .sticky
                        .as_ref()
                        .and_then(|s| s.cookie.as_ref())
                        .map(|c| StickyCookie::new(c, &qualified)),
                    pass_host: lb.pass_host_header(),
                    upstream: self.ctx.upstream.clone(),
                    up_gauges,
                });
                if let Some(hc) = &lb.health_check {
                    self.out.health.0.push((balancer.clone(), hc.clone()));
                }
                Arc::new(LoadBalancerHandler(balancer))
            }
            (None, Some(w)) => {
                let mut children = Vec::with_capacity(w.services.len());
                for child in &w.services {
                    let handler = self.build(&child.name, depth + 1)?;
                    children.push((child.name.clone(), handler));
                }
                let weights: Vec<(String, i64)> = w.services.iter().map(|c| (c.name.clone(), c.weight())).collect();
                Arc::new(WeightedHandler(Arc::new(Weighted {
                    name: qualified.clone(),
                    children,
                    wrr: Wrr::new(&weights),
                    sticky: w.sticky.as_ref().and_then(|s| s.cookie.as_ref()).map(|c| StickyCookie::new(c, &qualified)),
                })))
            }
            _ => return Err(Self::err(name, "a service needs exactly one of `loadBalancer` and `weighted`")),
        };
        let handler = match self.ctx.metrics.and_then(|m| m.service(&qualified)) {
            Some(series) => metered(series, handler),
            None => handler,
        };
        self.out.handlers.insert(name.to_owned(), handler.clone());
        Ok(handler)
    }
}

/// Wraps `next` so that each request is counted in `series`.
pub(crate) fn metered(series: Arc<RequestSeries>, next: SharedHandler) -> SharedHandler {
    Arc::new(Metered { series, next })
}

struct Metered {
    series: Arc<RequestSeries>,
    next: SharedHandler,
}

impl Handler for Metered {
    fn handle(&self, req: Request) -> HandlerFuture {
        let method = req.method().clone();
        let protocol = request_protocol(req.headers());
        let started = Instant::now();
        let series = self.series.clone();
        let fut = self.next.handle(req);
        Box::pin(async move {
            let resp = fut.await;
            series.observe(resp.status().as_u16(), &method, protocol, started.elapsed().as_secs_f64());
            resp
        })
    }
}
