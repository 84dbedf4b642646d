//! Access log and Prometheus metrics, with Traefik's field and metric names so that existing
//! dashboards and log pipelines work unchanged.

pub mod access_log;
pub mod metrics;
