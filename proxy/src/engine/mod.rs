//! The serving engine: entry point listeners, the configuration in force, and atomic reloads.
//!
//! [`Engine::apply`] validates a [`ConfigDocument`], builds everything it needs (routing
//! indexes, middleware chains, services, TLS configurations, TCP routes), binds the listeners
//! of new or moved entry points, and only then swaps the new version in with one atomic pointer
//! store. Each request loads the version in force when it starts and keeps it to the end, so
//! requests in flight finish on the old version while new ones get the new one. A failure at
//! any step leaves the old version serving and the listeners as they were.
//!
//! Listeners are keyed by their resolved address: an entry point whose address did not change
//! keeps its socket and its open connections across reloads (its other settings — timeouts,
//! forwarded headers, routers — are read from the version in force); an entry point that moved
//! or disappeared stops accepting, and its open connections finish their requests and close.

mod forwarded;
mod host;
mod http;
mod internal;
mod listener;
mod state;
mod tcp;

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::config::{AccessLog as AccessLogConfig, ConfigDocument, EntryPoint, ValidationErrors, INTERNAL_ENTRY_POINT};
use crate::observability::access_log::AccessLog;
use crate::observability::metrics::{Metrics, MetricsOptions};
use crate::service::{HealthTasks, Upstream, UpstreamOptions};
use crate::tls::{generate_default_cert, LoadedCert};

use listener::Listener;
use state::{BuildInputs, Runtime};

/// How the engine runs, besides the configuration it serves.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Entry points whose address has no host (`:80`) listen on this IP instead of every
    /// interface, so that several data nodes can share a machine.
    pub listen_ip: Option<IpAddr>,
    /// An extra listener serving only `/ping` and `/metrics` (plain HTTP), whatever the
    /// configuration says; metrics are recorded when this is set.
    pub internal_address: Option<SocketAddr>,
    /// Upstream connection settings.
    pub upstream: UpstreamOptions,
    /// The provider suffix of router and service names in logs and metrics (`web@file`).
    pub provider: String,
    /// How long [`Engine::shutdown`] lets requests in flight finish.
    pub grace_period: Duration,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            listen_ip: None,
            internal_address: None,
            upstream: UpstreamOptions::default(),
            provider: "file".to_owned(),
            grace_period: Duration::from_secs(10),
        }
    }
}

/// What [`Engine::apply`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedConfig {
    /// The version now serving.
    pub version: u64,
    /// Every entry point and the address it listens on.
    pub entry_points: BTreeMap<String, SocketAddr>,
    /// Entry points that got a new listener.
    pub started: Vec<String>,
    /// Entry points that kept their listener.
    pub kept: Vec<String>,
    /// Entry points whose listener was closed.
    pub stopped: Vec<String>,
}

/// Why a configuration was not applied (the previous one keeps serving).
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The engine is shutting down.
    #[error("the proxy is shutting down")]
    Stopping,
    /// The document is inconsistent.
    #[error("invalid configuration:\n{0}")]
    Invalid(#[from] ValidationErrors),
    /// Something could not be built (a certificate file, a middleware not implemented yet...).
    #[error("the configuration cannot be served:\n{}", .0.join("\n"))]
    Build(Vec<String>),
    /// An entry point address could not be used.
    #[error("entryPoints.{entry_point}.address: cannot listen on {address}: {source}")]
    Listen {
        /// The entry point.
        entry_point: String,
        /// The address.
        address: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The access log file could not be opened.
    #[error("accessLog.filePath: {0}")]
    AccessLog(std::io::Error),
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The default certificate could not be generated.
    #[error("generating the default certificate: {0}")]
    DefaultCert(String),
    /// The internal address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// Counts open connections so that shutdown can wait for them.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    open: AtomicUsize,
    closed: Notify,
}

pub(crate) struct ConnectionGuard<'a>(&'a Connections);

impl Connections {
    pub(crate) fn enter(&self) -> ConnectionGuard<'_> {
        self.open.fetch_add(1, Ordering::AcqRel);
        ConnectionGuard(self)
    }
}

impl Drop for ConnectionGuard<'_> {
    fn drop(&mut self) {
        if self.0.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.closed.notify_waiters();
        }
    }
}

/// What every connection task shares.
pub(crate) struct Shared {
    pub(crate) runtime: ArcSwap<Runtime>,
    pub(crate) hostname: ::http::HeaderValue,
    pub(crate) request_count: AtomicU64,
    pub(crate) terminating: AtomicBool,
    pub(crate) connections: Connections,
    /// The registry `/metrics` renders (also when the configuration has no metrics, for the
    /// internal listener).
    pub(crate) metrics: ArcSwap<Metrics>,
}

struct State {
    listeners: Vec<Listener>,
    /// The entry points' `transport.lifeCycle`, the longest of each: how long shutdown keeps
    /// accepting, and how long it lets requests in flight finish (`None`: the engine's
    /// grace period).
    accept_grace: Duration,
    drain_grace: Option<Duration>,
    health: HealthTasks,
    access_log: Option<(AccessLogConfig, Arc<AccessLog>)>,
    metrics_options: Option<MetricsOptions>,
}

/// The data plane engine; see the module docs.
pub struct Engine {
    shared: Arc<Shared>,
    options: EngineOptions,
    upstream: Upstream,
    default_cert: LoadedCert,
    state: tokio::sync::Mutex<State>,
    /// Bound address per entry point, readable while a reload runs.
    addresses: std::sync::RwLock<BTreeMap<String, SocketAddr>>,
    internal: Option<(SocketAddr, tokio::sync::watch::Sender<bool>)>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("version", &self.version()).finish_non_exhaustive()
    }
}

fn hostname() -> ::http::HeaderValue {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .and_then(|h| ::http::HeaderValue::from_str(&h).ok())
        .unwrap_or_else(|| ::http::HeaderValue::from_static("traefikee"))
}

fn empty_runtime() -> Runtime {
    Runtime {
        version: 0,
        plain: crate::router::HttpRouterIndex::new(Vec::new()),
        tls: crate::router::HttpRouterIndex::new(Vec::new()),
        entry_points: HashMap::new(),
        access_log: None,
        metrics: None,
        ping_terminating_status: 503,
    }
}

impl Engine {
    /// Starts an engine serving nothing; [`Engine::apply`] gives it a configuration.
    pub async fn start(options: EngineOptions) -> Result<Engine, StartError> {
        let default_cert = generate_default_cert().map_err(StartError::DefaultCert)?;
        let shared = Arc::new(Shared {
            runtime: ArcSwap::from_pointee(empty_runtime()),
            hostname: hostname(),
            request_count: AtomicU64::new(0),
            terminating: AtomicBool::new(false),
            connections: Connections::default(),
            metrics: ArcSwap::from_pointee(Metrics::new(MetricsOptions::default())),
        });
        let internal = match options.internal_address {
            Some(address) => {
                let listener =
                    TcpListener::bind(address).await.map_err(|source| StartError::Listen { address, source })?;
                let local = listener.local_addr().map_err(|source| StartError::Listen { address, source })?;
                let stop = internal::start(listener, shared.clone());
                Some((local, stop))
            }
            None => None,
        };
        Ok(Engine {
            upstream: Upstream::new(&options.upstream),
            shared,
            options,
            default_cert,
            state: tokio::sync::Mutex::new(State {
                listeners: Vec::new(),
                accept_grace: Duration::ZERO,
                drain_grace: None,
                health: HealthTasks::default(),
                access_log: None,
                metrics_options: None,
            }),
            addresses: std::sync::RwLock::default(),
            internal,
        })
    }

    /// The version serving now: 0 before the first successful [`Engine::apply`], then one more
    /// for each.
    pub fn version(&self) -> u64 {
        self.shared.runtime.load().version
    }

    /// The address the internal listener (`/ping`, `/metrics`) is bound to.
    pub fn internal_address(&self) -> Option<SocketAddr> {
        self.internal.as_ref().map(|(a, _)| *a)
    }

    /// The address an entry point listens on.
    pub fn local_addr(&self, entry_point: &str) -> Option<SocketAddr> {
        self.addresses.read().unwrap_or_else(|e| e.into_inner()).get(entry_point).copied()
    }

    /// The metrics registry, as `/metrics` renders it.
    pub fn metrics_text(&self) -> String {
        self.shared.metrics.load().render()
    }

    /// Validates, builds and serves `doc` as the next version; see the module docs.
    pub async fn apply(&self, doc: ConfigDocument) -> Result<AppliedConfig, ApplyError> {
        self.apply_as(doc, None).await
    }

    /// As [`Engine::apply`], numbering the configuration `version` (a data node serves the
    /// cluster's versions, so it and the engine count the same).
    pub async fn apply_version(&self, doc: ConfigDocument, version: u64) -> Result<AppliedConfig, ApplyError> {
        self.apply_as(doc, Some(version)).await
    }

    async fn apply_as(&self, doc: ConfigDocument, version: Option<u64>) -> Result<AppliedConfig, ApplyError> {
        let mut state = self.state.lock().await;
        if self.shared.terminating.load(Ordering::Relaxed) {
            // Shutting down: listening again would undo it.
            return Err(ApplyError::Stopping);
        }
        let result = self.apply_locked(&mut state, &doc, version).await;
        self.shared.metrics.load().reloaded(result.is_ok());
        if let Err(e) = &result {
            tracing::error!("configuration refused, the previous one keeps serving: {e}");
        }
        result
    }

    async fn apply_locked(
        &self,
        state: &mut State,
        doc: &ConfigDocument,
        version: Option<u64>,
    ) -> Result<AppliedConfig, ApplyError> {
        doc.validate()?;
        let statics = &doc.static_config;

        // Entry points to listen on: the configured ones, and Traefik's `traefik` entry point on
        // :8080 when ping or metrics need it and it is not configured.
        let mut wanted: BTreeMap<String, EntryPoint> = statics.entry_points.clone();
        let prometheus = statics.metrics.as_ref().and_then(|m| m.prometheus.as_ref());
        let needs_internal = statics.ping.as_ref().is_some_and(|p| p.entry_point() == INTERNAL_ENTRY_POINT)
            || prometheus.is_some_and(|p| p.entry_point() == INTERNAL_ENTRY_POINT);
        if needs_internal && !wanted.contains_key(INTERNAL_ENTRY_POINT) {
            wanted.insert(
                INTERNAL_ENTRY_POINT.to_owned(),
                EntryPoint { address: ":8080".to_owned(), ..EntryPoint::default() },
            );
        }

        // Keep listeners whose address is unchanged, bind the others; nothing is closed yet.
        let mut bound: HashMap<String, (EntryPoint, SocketAddr)> = HashMap::new();
        let mut reuse: Vec<(usize, String)> = Vec::new();
        let mut fresh: Vec<(String, String, TcpListener)> = Vec::new();
        for (name, ep) in &wanted {
            let address = resolve(ep.listen_address(), self.options.listen_ip).await.map_err(|source| {
                ApplyError::Listen { entry_point: name.clone(), address: ep.address.clone(), source }
            })?;
            let key = address.to_string();
            // Same address: keep the socket, preferring the entry point's own listener.
            let free = |i: &usize| !reuse.iter().any(|(j, _)| j == i);
            let same_key: Vec<usize> =
                (0..state.listeners.len()).filter(|i| state.listeners[*i].key == key && free(i)).collect();
            let pick = same_key
                .iter()
                .copied()
                .find(|i| &*state.listeners[*i].name() == name.as_str())
                .or_else(|| same_key.first().copied());
            if let Some(i) = pick {
                bound.insert(name.clone(), (ep.clone(), state.listeners[i].local));
                reuse.push((i, name.clone()));
                continue;
            }
            let listener = bind(address).await.map_err(|source| ApplyError::Listen {
                entry_point: name.clone(),
                address: ep.address.clone(),
                source,
            })?;
            let local = listener.local_addr().map_err(|source| ApplyError::Listen {
                entry_point: name.clone(),
                address: ep.address.clone(),
                source,
            })?;
            bound.insert(name.clone(), (ep.clone(), local));
            fresh.push((name.clone(), key, listener));
        }

        // Access log and metrics: reopened or recreated only when their settings change.
        let access_log = match &statics.access_log {
            None => None,
            Some(cfg) => match &state.access_log {
                Some((old, log)) if old == cfg => Some(log.clone()),
                _ => Some(Arc::new(AccessLog::open(cfg).map_err(ApplyError::AccessLog)?)),
            },
        };
        let metrics_options = prometheus
            .map(MetricsOptions::from_config)
            .or_else(|| self.options.internal_address.map(|_| MetricsOptions::default()));
        let metrics = match &metrics_options {
            None => None,
            Some(opts) => {
                let current = self.shared.metrics.load_full();
                if state.metrics_options.as_ref().is_some_and(|o| {
                    o.buckets == opts.buckets
                        && o.entry_points == opts.entry_points
                        && o.routers == opts.routers
                        && o.services == opts.services
                }) {
                    Some(current)
                } else {
                    Some(Arc::new(Metrics::new(opts.clone())))
                }
            }
        };

        let version = version.unwrap_or(self.version() + 1);
        let built = state::build(
            doc,
            BuildInputs {
                version,
                upstream: &self.upstream,
                metrics: metrics.clone(),
                access_log: access_log.clone(),
                provider: &self.options.provider,
                default_cert: &self.default_cert,
                bound: &bound,
            },
        )
        .map_err(ApplyError::Build)?;

        // Commit: the new version is in, then listeners and health checks follow it.
        if let Some(m) = &metrics {
            if !Arc::ptr_eq(m, &self.shared.metrics.load_full()) {
                self.shared.metrics.store(m.clone());
            }
        }
        self.shared.runtime.store(Arc::new(built.runtime));
        state.health = built.health.start();
        state.access_log = statics.access_log.clone().zip(access_log);
        state.metrics_options = metrics_options;

        let mut applied = AppliedConfig {
            version,
            entry_points: bound.iter().map(|(n, (_, a))| (n.clone(), *a)).collect(),
            started: Vec::new(),
            kept: Vec::new(),
            stopped: Vec::new(),
        };
        let old = std::mem::take(&mut state.listeners);
        let mut kept = Vec::new();
        for (i, listener) in old.into_iter().enumerate() {
            match reuse.iter().find(|(j, _)| *j == i) {
                Some((_, name)) => {
                    listener.rename(name);
                    applied.kept.push(name.clone());
                    kept.push(listener);
                }
                None => {
                    listener.stop();
                    applied.stopped.push(listener.name().to_string());
                }
            }
        }
        for (name, key, listener) in fresh {
            match Listener::start(key, listener, &name, self.shared.clone()) {
                Ok(l) => {
                    applied.started.push(name);
                    kept.push(l);
                }
                Err(e) => tracing::error!(entry_point = %name, error = %e, "cannot start listener"),
            }
        }
        state.listeners = kept;
        let cycles = || wanted.values().filter_map(|ep| ep.transport.as_ref()?.life_cycle.as_ref());
        state.accept_grace =
            cycles().filter_map(|l| l.request_accept_grace_timeout?.to_std()).max().unwrap_or_default();
        state.drain_grace = cycles().filter_map(|l| l.grace_time_out?.to_std()).max();
        *self.addresses.write().unwrap_or_else(|e| e.into_inner()) = applied.entry_points.clone();
        applied.started.sort();
        applied.kept.sort();
        applied.stopped.sort();
        tracing::debug!(generation = version, "engine reloaded");
        Ok(applied)
    }

    /// Turns not-ready (`/ping` answers the terminating status from now on), keeps accepting
    /// for the entry points' `requestAcceptGraceTimeout` (load balancers take the node out
    /// meanwhile), then stops accepting, lets requests in flight finish (up to
    /// `graceTimeOut`, or the engine's grace period), and stops health checks.
    pub async fn shutdown(&self) {
        self.shared.terminating.store(true, Ordering::Relaxed);
        let mut state = self.state.lock().await;
        if !state.accept_grace.is_zero() {
            tracing::info!(seconds = state.accept_grace.as_secs_f64(), "still accepting (requestAcceptGraceTimeout)");
            tokio::time::sleep(state.accept_grace).await;
        }
        for listener in &state.listeners {
            listener.stop();
        }
        let deadline = tokio::time::Instant::now() + state.drain_grace.unwrap_or(self.options.grace_period);
        loop {
            let notified = self.shared.connections.closed.notified();
            if self.shared.connections.open.load(Ordering::Acquire) == 0 {
                break;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                break;
            }
        }
        state.listeners.clear();
        self.addresses.write().unwrap_or_else(|e| e.into_inner()).clear();
        state.health = HealthTasks::default();
        if let Some((_, stop)) = &self.internal {
            let _ = stop.send(true);
        }
    }
}

/// An entry point address (`[host]:port`) as a socket address; no host means every interface
/// (IPv6 and IPv4), or `listen_ip` when set.
async fn resolve(address: &str, listen_ip: Option<IpAddr>) -> std::io::Result<SocketAddr> {
    let invalid = || std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("invalid address {address:?}"));
    let colon = address.rfind(':').ok_or_else(invalid)?;
    let (host, port) = (&address[..colon], &address[colon + 1..]);
    let port: u16 = port.parse().map_err(|_| invalid())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Ok(SocketAddr::new(listen_ip.unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED)), port));
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    tokio::net::lookup_host((host, port)).await?.next().ok_or_else(invalid)
}

/// Binds, falling back to IPv4 when the machine has no IPv6 for the any-address.
async fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    match TcpListener::bind(address).await {
        Err(e) if address.ip() == IpAddr::V6(Ipv6Addr::UNSPECIFIED) && e.kind() != std::io::ErrorKind::AddrInUse => {
            TcpListener::bind(SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), address.port())).await
        }
        other => other,
    }
}
