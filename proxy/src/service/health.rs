//! Active health checks of `loadBalancer` servers, as Traefik's: every `interval` each server
//! gets a GET on `path` (scheme, port and `Host` overridable, extra headers), answered within
//! `timeout` with the expected `status` or, when none is set, a status below 400. A failing
//! server leaves the rotation and comes back once it passes again; servers start healthy.
//!
//! Checks belong to a configuration version: [`HealthChecks::start`] runs them and the returned
//! [`HealthTasks`] stops them when dropped, which the engine does when the next version is in.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, HeaderValue, Uri};

use super::load_balancer::LoadBalancer;
use super::upstream::Transport;
use crate::config::HealthCheck;

/// Largest number of redirections followed (Go's client default).
const MAX_REDIRECTS: usize = 10;

/// The health checks of a built configuration, not running yet.
#[derive(Default)]
pub struct HealthChecks(pub(crate) Vec<(Arc<LoadBalancer>, HealthCheck)>);

impl std::fmt::Debug for HealthChecks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("HealthChecks").field(&self.0.len()).finish()
    }
}

/// Running health checks; dropping this stops them.
#[derive(Debug, Default)]
pub struct HealthTasks(Vec<tokio::task::AbortHandle>);

impl Drop for HealthTasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

impl HealthChecks {
    /// Starts one task per checked server.
    pub fn start(self) -> HealthTasks {
        let mut tasks = Vec::new();
        for (lb, config) in self.0 {
            let config = Arc::new(config);
            for index in 0..lb.servers.len() {
                let lb = lb.clone();
                let config = config.clone();
                tasks.push(tokio::spawn(async move { check_loop(lb, index, config).await }).abort_handle());
            }
        }
        HealthTasks(tasks)
    }
}

async fn check_loop(lb: Arc<LoadBalancer>, index: usize, config: Arc<HealthCheck>) {
    let interval =
        config.interval.and_then(|d| d.to_std()).unwrap_or(Duration::from_secs(30)).max(Duration::from_millis(1));
    let timeout = config.timeout.and_then(|d| d.to_std()).unwrap_or(Duration::from_secs(5));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let healthy = match tokio::time::timeout(timeout, check_once(&lb, index, &config)).await {
            Ok(Ok(())) => true,
            Ok(Err(reason)) => {
                tracing::debug!(service = %lb.name, server = index, %reason, "health check failed");
                false
            }
            Err(_) => {
                tracing::debug!(service = %lb.name, server = index, "health check timed out");
                false
            }
        };
        lb.set_up(index, healthy);
    }
}

async fn check_once(lb: &LoadBalancer, index: usize, config: &HealthCheck) -> Result<(), String> {
    let server = lb.servers.get(index).ok_or("no such server")?;
    let (transport, scheme) = match config.scheme.as_deref() {
        Some("https") => (Transport::Https, "https"),
        Some("http") => (Transport::Http, "http"),
        Some("h2c") => (Transport::H2c, "http"),
        _ => (server.transport, if server.transport == Transport::Https { "https" } else { "http" }),
    };
    let authority = server.authority();
    let host_port = match config.port {
        Some(port) => format!("{}:{port}", bracket(authority.host())),
        None => authority.as_str().to_owned(),
    };
    let path = config.path.as_deref().unwrap_or("/");
    let mut uri: Uri = format!("{scheme}://{host_port}{path}").parse().map_err(|e| format!("invalid URL: {e}"))?;
    let host_header = match config.hostname.as_deref().filter(|h| !h.is_empty()) {
        Some(h) => HeaderValue::from_str(h).map_err(|_| "invalid hostname".to_owned())?,
        None => HeaderValue::from_str(&host_port).map_err(|_| "invalid host".to_owned())?,
    };
    let follow = config.follow_redirects != Some(false);
    for _ in 0..=MAX_REDIRECTS {
        let mut req = http::Request::new(crate::body::empty());
        *req.uri_mut() = uri.clone();
        let headers = req.headers_mut();
        headers.insert(http::header::HOST, host_header.clone());
        headers.insert(http::header::USER_AGENT, HeaderValue::from_static("traefikee-healthcheck"));
        for (name, value) in &config.headers {
            if let (Ok(n), Ok(v)) = (HeaderName::try_from(name.as_str()), HeaderValue::from_str(value)) {
                headers.insert(n, v);
            }
        }
        let resp = lb.upstream.send(transport, req).await.map_err(|e| format!("{e:?}"))?;
        let status = resp.status();
        if follow && status.is_redirection() {
            if let Some(next) = resp.headers().get(http::header::LOCATION).and_then(|l| l.to_str().ok()) {
                uri = resolve(&uri, next).ok_or_else(|| format!("bad redirection {next:?}"))?;
                continue;
            }
        }
        return match config.status {
            Some(expected) if status.as_u16() != expected => Err(format!("status {status}, expected {expected}")),
            None if !(200..400).contains(&status.as_u16()) => Err(format!("status {status}")),
            _ => Ok(()),
        };
    }
    Err("too many redirections".into())
}

fn bracket(host: &str) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

/// A `Location` resolved against the URL that answered it (absolute, or rooted path).
fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    if location.contains("://") {
        return location.parse().ok();
    }
    let scheme = base.scheme_str()?;
    let authority = base.authority()?;
    let path = if location.starts_with('/') { location.to_owned() } else { format!("/{location}") };
    format!("{scheme}://{authority}{path}").parse().ok()
}
