//! From a configuration document to the routing tables a proxy serves, the way Traefik builds
//! them (`pkg/server/aggregator.go`, `pkg/provider/traefik/internal.go`):
//! - a router without `entryPoints` serves the default entry points;
//! - an entry point's `http.tls` and `http.middlewares` apply to its routers (a router without
//!   `tls` inherits the entry point's, middlewares are prepended); a router on several entry
//!   points with such settings becomes one router per entry point, named `<ep>-<router>`;
//! - routers with TLS serve TLS connections and routers without serve plain ones, so each
//!   gets its own index;
//! - `http.redirections.entryPoint` adds a router `<ep>-to-<target>` matching every request
//!   with a host (``HostRegexp(`^.+$`)``) at priority `MaxInt64 - 1` unless set.

use crate::config::{ConfigDocument, EntryPoint, RedirectEntryPoint, RouterTls};
use crate::rule::{parse_http_rule, RuleError};

use super::{HttpRoute, HttpRouterIndex};

/// What a matched route leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTarget {
    /// A configured router.
    Router {
        /// The router's name in the configuration.
        router: String,
        /// The service that handles the request.
        service: String,
        /// Middlewares to apply in order: the entry point's, then the router's.
        middlewares: Vec<String>,
        /// Effective TLS settings (the router's or the entry point's).
        tls: Option<RouterTls>,
    },
    /// The redirection declared by an entry point.
    Redirect {
        /// The entry point whose requests are redirected.
        entry_point: String,
        /// Target entry point name or `:port`.
        to: String,
        /// Target scheme.
        scheme: String,
        /// 301/308 rather than 302/307.
        permanent: bool,
    },
}

/// The HTTP routing tables of a configuration.
#[derive(Debug)]
pub struct HttpRoutingTables {
    /// Routers serving plain HTTP connections.
    pub plain: HttpRouterIndex<RouteTarget>,
    /// Routers serving TLS connections.
    pub tls: HttpRouterIndex<RouteTarget>,
}

/// A router whose rule does not parse (a document that passed validation never has one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("http.routers.{router}.rule: invalid rule {source}")]
pub struct RouteBuildError {
    /// Router name.
    pub router: String,
    /// The rule problem.
    pub source: RuleError,
}

/// The redirection router's rule in Traefik.
const REDIRECT_RULE: &str = "HostRegexp(`^.+$`)";

fn has_model(ep: &EntryPoint) -> bool {
    ep.http.as_ref().is_some_and(|h| h.tls.is_some() || !h.middlewares.is_empty())
}

impl HttpRoutingTables {
    /// Builds both tables from a (validated) document.
    pub fn from_document(doc: &ConfigDocument) -> Result<Self, RouteBuildError> {
        let statics = &doc.static_config;
        let defaults: Vec<String> = statics.default_entry_points().into_iter().map(str::to_owned).collect();
        let mut plain = Vec::new();
        let mut tls = Vec::new();

        for (name, router) in &doc.dynamic.http.routers {
            let text = router.rule.as_deref().unwrap_or_default();
            let rule = parse_http_rule(text).map_err(|source| RouteBuildError { router: name.clone(), source })?;
            let eps = if router.entry_points.is_empty() { &defaults } else { &router.entry_points };
            let modelled: Vec<&String> =
                eps.iter().filter(|ep| statics.entry_points.get(*ep).is_some_and(has_model)).collect();
            let mut unmodelled: Vec<String> =
                eps.iter().filter(|ep| !modelled.contains(ep)).cloned().collect::<Vec<_>>();
            unmodelled.dedup();

            let target = |tls_cfg: Option<RouterTls>, mws: Vec<String>| RouteTarget::Router {
                router: name.clone(),
                service: router.service.clone().unwrap_or_default(),
                middlewares: mws,
                tls: tls_cfg,
            };
            let priority = router.priority.unwrap_or(0);
            for ep_name in &modelled {
                let http = statics.entry_points.get(*ep_name).and_then(|ep| ep.http.as_ref());
                let inherited = http.and_then(|h| h.tls.as_ref()).map(|t| RouterTls {
                    options: t.options.clone(),
                    domains: t.domains.clone(),
                    cert_resolver: None,
                });
                let effective_tls = router.tls.clone().or(inherited);
                let mut mws = http.map(|h| h.middlewares.clone()).unwrap_or_default();
                mws.extend(router.middlewares.iter().cloned());
                let route_name = if eps.len() > 1 { format!("{ep_name}-{name}") } else { name.clone() };
                let is_tls = effective_tls.is_some();
                let route = HttpRoute::new(
                    route_name,
                    vec![(*ep_name).clone()],
                    rule.clone(),
                    priority,
                    target(effective_tls, mws),
                );
                if is_tls {
                    tls.push(route)
                } else {
                    plain.push(route)
                }
            }
            if !unmodelled.is_empty() {
                let route = HttpRoute::new(
                    name.clone(),
                    unmodelled,
                    rule.clone(),
                    priority,
                    target(router.tls.clone(), router.middlewares.clone()),
                );
                if router.tls.is_some() {
                    tls.push(route)
                } else {
                    plain.push(route)
                }
            }
        }

        for (ep_name, ep) in &statics.entry_points {
            let Some(redirect) =
                ep.http.as_ref().and_then(|h| h.redirections.as_ref()).and_then(|r| r.entry_point.as_ref())
            else {
                continue;
            };
            if redirect.to.is_empty() {
                continue;
            }
            let rule =
                parse_http_rule(REDIRECT_RULE).map_err(|source| RouteBuildError { router: ep_name.clone(), source })?;
            let priority = redirect.priority.unwrap_or(RedirectEntryPoint::DEFAULT_PRIORITY);
            plain.push(HttpRoute::new(
                format!("{ep_name}-to-{}", redirect.to),
                vec![ep_name.clone()],
                rule,
                priority,
                RouteTarget::Redirect {
                    entry_point: ep_name.clone(),
                    to: redirect.to.clone(),
                    scheme: redirect.scheme().to_owned(),
                    permanent: redirect.permanent.unwrap_or(true),
                },
            ));
        }

        Ok(HttpRoutingTables { plain: HttpRouterIndex::new(plain), tls: HttpRouterIndex::new(tls) })
    }
}
