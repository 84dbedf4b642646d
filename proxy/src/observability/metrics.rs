//! Prometheus metrics with Traefik's names and labels, rendered in the text exposition format
//! at `/metrics`.
//!
//! The registry lives as long as the engine, across configuration reloads, so counters never go
//! back to zero. Routers, services and entry points take a handle ([`RequestSeries`]) when a
//! configuration is built, so a request only touches its own series: one short lock over a
//! handful of `(code, method, protocol)` cells, no map lookup by name.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::config::Prometheus;

/// Traefik's default histogram buckets (seconds).
pub const DEFAULT_BUCKETS: [f64; 4] = [0.1, 0.3, 1.2, 5.0];

/// What to record, from `metrics.prometheus`.
#[derive(Debug, Clone)]
pub struct MetricsOptions {
    /// Histogram upper bounds, in seconds.
    pub buckets: Vec<f64>,
    /// Per entry point series (`addEntryPointsLabels`, default true).
    pub entry_points: bool,
    /// Per router series (`addRoutersLabels`, default false).
    pub routers: bool,
    /// Per service series (`addServicesLabels`, default true).
    pub services: bool,
}

impl Default for MetricsOptions {
    fn default() -> Self {
        MetricsOptions { buckets: DEFAULT_BUCKETS.to_vec(), entry_points: true, routers: false, services: true }
    }
}

impl MetricsOptions {
    /// The options of a `metrics.prometheus` section.
    pub fn from_config(p: &Prometheus) -> Self {
        let mut buckets: Vec<f64> =
            if p.buckets.is_empty() { DEFAULT_BUCKETS.to_vec() } else { p.buckets.iter().map(|b| b.0).collect() };
        buckets.retain(|b| b.is_finite());
        buckets.sort_by(f64::total_cmp);
        buckets.dedup();
        MetricsOptions {
            buckets,
            entry_points: p.add_entry_points_labels.unwrap_or(true),
            routers: p.add_routers_labels.unwrap_or(false),
            services: p.add_services_labels.unwrap_or(true),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct CellKey {
    code: u16,
    method: String,
    protocol: &'static str,
}

#[derive(Debug)]
struct Cell {
    key: CellKey,
    count: u64,
    /// Cumulative counts per bucket.
    buckets: Vec<u64>,
    sum: f64,
}

/// Request counters and durations for one entry point, router or service.
#[derive(Debug)]
pub struct RequestSeries {
    bounds: Arc<[f64]>,
    cells: Mutex<Vec<Cell>>,
}

impl RequestSeries {
    fn new(bounds: Arc<[f64]>) -> Self {
        RequestSeries { bounds, cells: Mutex::new(Vec::new()) }
    }

    /// Records one request.
    pub fn observe(&self, code: u16, method: &http::Method, protocol: &'static str, seconds: f64) {
        let mut cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        let position = cells
            .iter()
            .position(|c| c.key.code == code && c.key.protocol == protocol && c.key.method == method.as_str());
        let cell = match position {
            Some(i) => &mut cells[i],
            None => {
                cells.push(Cell {
                    key: CellKey { code, method: method.as_str().to_owned(), protocol },
                    count: 0,
                    buckets: vec![0; self.bounds.len()],
                    sum: 0.0,
                });
                let last = cells.len() - 1;
                &mut cells[last]
            }
        };
        cell.count += 1;
        cell.sum += seconds;
        for (bound, count) in self.bounds.iter().zip(cell.buckets.iter_mut()) {
            if seconds <= *bound {
                *count += 1;
            }
        }
    }

    fn snapshot(&self) -> Vec<(CellKey, u64, Vec<u64>, f64)> {
        let cells = self.cells.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<_> = cells.iter().map(|c| (c.key.clone(), c.count, c.buckets.clone(), c.sum)).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// A gauge that can go up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    /// Adds `delta`.
    pub fn add(&self, delta: i64) {
        self.0.fetch_add(delta, Ordering::Relaxed);
    }
    /// Sets the value.
    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }
    /// The value.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The engine's metrics registry.
#[derive(Debug)]
pub struct Metrics {
    options: MetricsOptions,
    bounds: Arc<[f64]>,
    reloads_total: AtomicU64,
    reload_failures_total: AtomicU64,
    last_reload_success: AtomicU64,
    last_reload_failure: AtomicU64,
    open_connections: Mutex<BTreeMap<(String, &'static str), Arc<Gauge>>>,
    entry_points: Mutex<BTreeMap<String, Arc<RequestSeries>>>,
    routers: Mutex<BTreeMap<(String, String), Arc<RequestSeries>>>,
    services: Mutex<BTreeMap<String, Arc<RequestSeries>>>,
    server_up: Mutex<BTreeMap<(String, String), Arc<Gauge>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn unix_now() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

impl Metrics {
    /// An empty registry.
    pub fn new(options: MetricsOptions) -> Self {
        let bounds: Arc<[f64]> = options.buckets.clone().into();
        Metrics {
            options,
            bounds,
            reloads_total: AtomicU64::new(0),
            reload_failures_total: AtomicU64::new(0),
            last_reload_success: AtomicU64::new(0),
            last_reload_failure: AtomicU64::new(0),
            open_connections: Mutex::default(),
            entry_points: Mutex::default(),
            routers: Mutex::default(),
            services: Mutex::default(),
            server_up: Mutex::default(),
        }
    }

    /// The options in force.
    pub fn options(&self) -> &MetricsOptions {
        &self.options
    }

    /// Records a configuration reload.
    pub fn reloaded(&self, success: bool) {
        let now = unix_now().to_bits();
        if success {
            self.reloads_total.fetch_add(1, Ordering::Relaxed);
            self.last_reload_success.store(now, Ordering::Relaxed);
        } else {
            self.reload_failures_total.fetch_add(1, Ordering::Relaxed);
            self.last_reload_failure.store(now, Ordering::Relaxed);
        }
    }

    /// The open connections gauge of an entry point (`protocol`: `TCP` or `HTTP`).
    pub fn open_connections(&self, entry_point: &str, protocol: &'static str) -> Arc<Gauge> {
        lock(&self.open_connections).entry((entry_point.to_owned(), protocol)).or_default().clone()
    }

    /// The series of an entry point, when entry point labels are on.
    pub fn entry_point(&self, name: &str) -> Option<Arc<RequestSeries>> {
        self.options.entry_points.then(|| {
            lock(&self.entry_points)
                .entry(name.to_owned())
                .or_insert_with(|| Arc::new(RequestSeries::new(self.bounds.clone())))
                .clone()
        })
    }

    /// The series of a router, when router labels are on.
    pub fn router(&self, router: &str, service: &str) -> Option<Arc<RequestSeries>> {
        self.options.routers.then(|| {
            lock(&self.routers)
                .entry((router.to_owned(), service.to_owned()))
                .or_insert_with(|| Arc::new(RequestSeries::new(self.bounds.clone())))
                .clone()
        })
    }

    /// The series of a service, when service labels are on.
    pub fn service(&self, name: &str) -> Option<Arc<RequestSeries>> {
        self.options.services.then(|| {
            lock(&self.services)
                .entry(name.to_owned())
                .or_insert_with(|| Arc::new(RequestSeries::new(self.bounds.clone())))
                .clone()
        })
    }

    /// The `traefik_service_server_up` gauge of a server.
    pub fn server_up(&self, service: &str, url: &str) -> Arc<Gauge> {
        lock(&self.server_up).entry((service.to_owned(), url.to_owned())).or_default().clone()
    }

    /// The text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let reload_success = f64::from_bits(self.last_reload_success.load(Ordering::Relaxed));
        let reload_failure = f64::from_bits(self.last_reload_failure.load(Ordering::Relaxed));
        family(&mut out, "traefik_config_reloads_total", "counter", "Config reloads");
        let _ = writeln!(out, "traefik_config_reloads_total {}", self.reloads_total.load(Ordering::Relaxed));
        family(&mut out, "traefik_config_reloads_failure_total", "counter", "Config failure reloads");
        let _ = writeln!(
            out,
            "traefik_config_reloads_failure_total {}",
            self.reload_failures_total.load(Ordering::Relaxed)
        );
        family(&mut out, "traefik_config_last_reload_success", "gauge", "Last config reload success");
        let _ = writeln!(out, "traefik_config_last_reload_success {reload_success}");
        family(&mut out, "traefik_config_last_reload_failure", "gauge", "Last config reload failure");
        let _ = writeln!(out, "traefik_config_last_reload_failure {reload_failure}");

        family(
            &mut out,
            "traefik_open_connections",
            "gauge",
            "How many open connections exist, by entryPoint and protocol",
        );
        for ((ep, proto), gauge) in lock(&self.open_connections).iter() {
            let _ = writeln!(
                out,
                "traefik_open_connections{{entrypoint=\"{}\",protocol=\"{proto}\"}} {}",
                escape(ep),
                gauge.get()
            );
        }

        let eps: Vec<_> = lock(&self.entry_points)
            .iter()
            .map(|(k, v)| (format!("entrypoint=\"{}\"", escape(k)), v.clone()))
            .collect();
        self.requests(&mut out, "traefik_entrypoint", "entry point", &eps);
        let routers: Vec<_> = lock(&self.routers)
            .iter()
            .map(|((r, s), v)| (format!("router=\"{}\",service=\"{}\"", escape(r), escape(s)), v.clone()))
            .collect();
        self.requests(&mut out, "traefik_router", "router", &routers);
        let services: Vec<_> =
            lock(&self.services).iter().map(|(k, v)| (format!("service=\"{}\"", escape(k)), v.clone())).collect();
        self.requests(&mut out, "traefik_service", "service", &services);

        let ups: Vec<_> = lock(&self.server_up).iter().map(|(k, v)| (k.clone(), v.get())).collect();
        if !ups.is_empty() {
            family(
                &mut out,
                "traefik_service_server_up",
                "gauge",
                "service server is up, described by gauge value of 0 or 1.",
            );
            for ((service, url), value) in ups {
                let _ = writeln!(
                    out,
                    "traefik_service_server_up{{service=\"{}\",url=\"{}\"}} {value}",
                    escape(&service),
                    escape(&url)
                );
            }
        }
        out
    }

    fn requests(&self, out: &mut String, prefix: &str, what: &str, series: &[(String, Arc<RequestSeries>)]) {
        if series.is_empty() {
            return;
        }
        let snaps: Vec<_> = series.iter().map(|(labels, s)| (labels, s.snapshot())).collect();
        family(
            out,
            &format!("{prefix}_requests_total"),
            "counter",
            &format!("How many HTTP requests processed on a {what}, partitioned by status code, protocol, and method."),
        );
        for (labels, cells) in &snaps {
            for (key, count, _, _) in cells {
                let _ = writeln!(
                    out,
                    "{prefix}_requests_total{{code=\"{}\",method=\"{}\",protocol=\"{}\",{labels}}} {count}",
                    key.code,
                    escape(&key.method),
                    key.protocol
                );
            }
        }
        let name = format!("{prefix}_request_duration_seconds");
        family(out, &name, "histogram", &format!("How long it took to process the request on a {what}, partitioned by status code, protocol, and method."));
        for (labels, cells) in &snaps {
            for (key, count, buckets, sum) in cells {
                let base = format!(
                    "code=\"{}\",method=\"{}\",protocol=\"{}\",{labels}",
                    key.code,
                    escape(&key.method),
                    key.protocol
                );
                for (bound, n) in self.bounds.iter().zip(buckets) {
                    let _ = writeln!(out, "{name}_bucket{{{base},le=\"{bound}\"}} {n}");
                }
                let _ = writeln!(out, "{name}_bucket{{{base},le=\"+Inf\"}} {count}");
                let _ = writeln!(out, "{name}_sum{{{base}}} {sum}");
                let _ = writeln!(out, "{name}_count{{{base}}} {count}");
            }
        }
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Traefik's `protocol` label: `websocket` for upgrade requests, `sse` for event streams,
/// `grpc` for gRPC, `http` otherwise.
pub fn request_protocol(headers: &http::HeaderMap) -> &'static str {
    let has = |name: http::header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))))
    };
    if has(http::header::CONNECTION, "upgrade") && has(http::header::UPGRADE, "websocket") {
        "websocket"
    } else if headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"))
    {
        "sse"
    } else if headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"))
    {
        "grpc"
    } else {
        "http"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_traefik_names() {
        let m = Metrics::new(MetricsOptions { routers: true, ..MetricsOptions::default() });
        m.reloaded(true);
        m.open_connections("web", "TCP").add(2);
        if let Some(ep) = m.entry_point("web") {
            ep.observe(200, &http::Method::GET, "http", 0.2);
            ep.observe(200, &http::Method::GET, "http", 2.0);
        }
        if let Some(r) = m.router("r@file", "s@file") {
            r.observe(404, &http::Method::POST, "http", 0.01);
        }
        m.server_up("s@file", "http://127.0.0.1:1").set(1);
        let text = m.render();
        for needle in [
            "traefik_config_reloads_total 1",
            "traefik_open_connections{entrypoint=\"web\",protocol=\"TCP\"} 2",
            "traefik_entrypoint_requests_total{code=\"200\",method=\"GET\",protocol=\"http\",entrypoint=\"web\"} 2",
            "traefik_entrypoint_request_duration_seconds_bucket{code=\"200\",method=\"GET\",protocol=\"http\",entrypoint=\"web\",le=\"0.3\"} 1",
            "traefik_router_requests_total{code=\"404\",method=\"POST\",protocol=\"http\",router=\"r@file\",service=\"s@file\"} 1",
            "traefik_service_server_up{service=\"s@file\",url=\"http://127.0.0.1:1\"} 1",
        ] {
            assert!(text.contains(needle), "missing {needle} in\n{text}");
        }
    }
}
