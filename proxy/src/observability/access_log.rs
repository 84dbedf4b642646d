//! The access log: one line per request, in Traefik's `common` (CLF-like) or `json` format
//! with Traefik's field names (`ClientHost`, `DownstreamStatus`, `RouterName`...).
//!
//! Lines are written by the request's task under a short lock into a buffered writer, flushed
//! after every line unless `bufferingSize` asks to batch.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use crate::config::{parse_status_range, AccessLog as Config};

/// What is known about a finished request.
#[derive(Debug, Clone, Default)]
pub struct LogEntry {
    /// When the request arrived.
    pub start: Option<SystemTime>,
    /// Until the last byte of the response.
    pub duration: Duration,
    /// The client's address.
    pub client_addr: Option<SocketAddr>,
    /// `Host` as received.
    pub request_host: String,
    /// Method.
    pub method: String,
    /// Request target as received (path and query).
    pub path: String,
    /// `HTTP/1.1`, `HTTP/2.0`.
    pub protocol: &'static str,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// Request body size from `Content-Length`, 0 when unknown.
    pub request_content_size: u64,
    /// Router that matched.
    pub router_name: Option<Arc<str>>,
    /// Service that answered.
    pub service_name: Option<Arc<str>>,
    /// Server URL the request went to.
    pub service_url: Option<Arc<str>>,
    /// Upstream status, 0 when no upstream answered.
    pub origin_status: u16,
    /// Time until the upstream's response headers.
    pub origin_duration: Option<Duration>,
    /// Status sent to the client.
    pub downstream_status: u16,
    /// Response body bytes sent.
    pub downstream_content_size: u64,
    /// Entry point name.
    pub entry_point: Arc<str>,
    /// TLS version and cipher, when TLS.
    pub tls: Option<(&'static str, Option<&'static str>)>,
    /// Requests served by this proxy so far.
    pub request_count: u64,
    /// `User-Agent`.
    pub user_agent: Option<String>,
    /// `Referer`.
    pub referer: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Common,
    Json,
}

#[derive(Debug, Default)]
struct Filters {
    statuses: Vec<(u16, u16)>,
    min_duration: Option<Duration>,
    retry_attempts: bool,
}

impl Filters {
    fn keeps(&self, entry: &LogEntry) -> bool {
        if self.statuses.is_empty() && self.min_duration.is_none() && !self.retry_attempts {
            return true;
        }
        self.statuses.iter().any(|(lo, hi)| (*lo..=*hi).contains(&entry.downstream_status))
            || self.min_duration.is_some_and(|d| entry.duration > d)
    }
}

/// An open access log.
pub struct AccessLog {
    format: Format,
    filters: Filters,
    batch: usize,
    out: Mutex<(Box<dyn Write + Send>, usize)>,
    add_internals: bool,
}

impl std::fmt::Debug for AccessLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessLog").field("format", &self.format).finish_non_exhaustive()
    }
}

impl AccessLog {
    /// Opens the log described by `config` (appending to its file, or standard output).
    pub fn open(config: &Config) -> std::io::Result<Self> {
        let out: Box<dyn Write + Send> = match config.file_path.as_deref().filter(|p| !p.is_empty()) {
            Some(path) => {
                let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
                Box::new(std::io::BufWriter::new(file))
            }
            None => Box::new(std::io::BufWriter::new(std::io::stdout())),
        };
        let format = if config.format.as_deref() == Some("json") { Format::Json } else { Format::Common };
        let filters = config.filters.as_ref().map_or_else(Filters::default, |f| Filters {
            statuses: f.status_codes.iter().filter_map(|c| parse_status_range(c)).collect(),
            min_duration: f.min_duration.and_then(|d| d.to_std()),
            retry_attempts: f.retry_attempts == Some(true),
        });
        let batch = usize::try_from(config.buffering_size.unwrap_or(0)).unwrap_or(0).max(1);
        Ok(AccessLog {
            format,
            filters,
            batch,
            out: Mutex::new((out, 0)),
            add_internals: config.add_internals == Some(true),
        })
    }

    /// Whether requests to `/ping` and `/metrics` are logged.
    pub fn logs_internals(&self) -> bool {
        self.add_internals
    }

    /// Writes the line of `entry` if the filters keep it.
    pub fn log(&self, entry: &LogEntry) {
        if !self.filters.keeps(entry) {
            return;
        }
        let mut line = match self.format {
            Format::Json => json_line(entry),
            Format::Common => common_line(entry),
        };
        line.push('\n');
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let (writer, pending) = &mut *out;
        if writer.write_all(line.as_bytes()).is_err() {
            return;
        }
        *pending += 1;
        if *pending >= self.batch {
            *pending = 0;
            let _ = writer.flush();
        }
    }
}

impl Drop for AccessLog {
    fn drop(&mut self) {
        if let Ok(mut out) = self.out.lock() {
            let _ = out.0.flush();
        }
    }
}

fn rfc3339(t: SystemTime) -> String {
    time::OffsetDateTime::from(t).format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn split_host(host: &str) -> (&str, &str) {
    match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => (&host[..i], &host[i + 1..]),
        _ => (host, "-"),
    }
}

fn json_line(e: &LogEntry) -> String {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_owned(), v);
    };
    let (client_host, client_port) =
        e.client_addr.map_or((String::new(), String::new()), |a| (a.ip().to_string(), a.port().to_string()));
    let (req_host, req_port) = split_host(&e.request_host);
    let nanos = |d: Duration| Value::from(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    put("ClientAddr", Value::from(e.client_addr.map(|a| a.to_string()).unwrap_or_default()));
    put("ClientHost", Value::from(client_host));
    put("ClientPort", Value::from(client_port));
    put("ClientUsername", Value::from("-"));
    put("DownstreamContentSize", Value::from(e.downstream_content_size));
    put("DownstreamStatus", Value::from(e.downstream_status));
    put("Duration", nanos(e.duration));
    put("OriginContentSize", Value::from(if e.origin_status > 0 { e.downstream_content_size } else { 0 }));
    if let Some(d) = e.origin_duration {
        put("OriginDuration", nanos(d));
        put("Overhead", nanos(e.duration.saturating_sub(d)));
    } else {
        put("Overhead", nanos(e.duration));
    }
    put("OriginStatus", Value::from(e.origin_status));
    put("RequestAddr", Value::from(e.request_host.clone()));
    put("RequestContentSize", Value::from(e.request_content_size));
    put("RequestCount", Value::from(e.request_count));
    put("RequestHost", Value::from(req_host));
    put("RequestMethod", Value::from(e.method.clone()));
    put("RequestPath", Value::from(e.path.clone()));
    put("RequestPort", Value::from(req_port));
    put("RequestProtocol", Value::from(e.protocol));
    put("RequestScheme", Value::from(e.scheme));
    put("RetryAttempts", Value::from(0));
    if let Some(r) = &e.router_name {
        put("RouterName", Value::from(r.as_ref()));
    }
    if let Some(s) = &e.service_name {
        put("ServiceName", Value::from(s.as_ref()));
    }
    if let Some(u) = &e.service_url {
        put("ServiceURL", Value::from(u.as_ref()));
        let addr = u.split_once("://").map_or(u.as_ref(), |(_, rest)| rest).split('/').next().unwrap_or_default();
        put("ServiceAddr", Value::from(addr));
    }
    if let Some(start) = e.start {
        put("StartUTC", Value::from(rfc3339(start)));
        put("StartLocal", Value::from(rfc3339(start)));
        put("time", Value::from(rfc3339(start + e.duration)));
    }
    if let Some((version, cipher)) = e.tls {
        put("TLSVersion", Value::from(version.trim_start_matches("TLS ")));
        if let Some(c) = cipher {
            put("TLSCipher", Value::from(c));
        }
    }
    put("entryPointName", Value::from(e.entry_point.as_ref()));
    put("level", Value::from("info"));
    put("msg", Value::from(""));
    Value::Object(m).to_string()
}

fn common_line(e: &LogEntry) -> String {
    let client = e.client_addr.map(|a| a.ip().to_string()).unwrap_or_else(|| "-".into());
    let start = e
        .start
        .map(time::OffsetDateTime::from)
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
            ))
            .ok()
        })
        .unwrap_or_default();
    let dash = |s: Option<&str>| s.filter(|s| !s.is_empty()).unwrap_or("-").to_owned();
    let origin_status = if e.origin_status > 0 { e.origin_status.to_string() } else { "-".into() };
    format!(
        "{client} - - [{start}] \"{} {} {}\" {origin_status} {} \"{}\" \"{}\" {} \"{}\" \"{}\" {}ms",
        e.method,
        e.path,
        e.protocol,
        e.downstream_content_size,
        dash(e.referer.as_deref()),
        dash(e.user_agent.as_deref()),
        e.request_count,
        dash(e.router_name.as_deref()),
        dash(e.service_url.as_deref()),
        e.duration.as_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_use_traefik_names() {
        let entry = LogEntry {
            start: Some(SystemTime::UNIX_EPOCH),
            duration: Duration::from_millis(3),
            client_addr: Some("127.0.0.1:5555".parse().expect("addr")),
            request_host: "example.com:8080".into(),
            method: "GET".into(),
            path: "/a?b".into(),
            protocol: "HTTP/1.1",
            scheme: "http",
            router_name: Some("r@file".into()),
            service_name: Some("s@file".into()),
            service_url: Some("http://10.0.0.1:80".into()),
            origin_status: 200,
            downstream_status: 200,
            entry_point: "web".into(),
            ..LogEntry::default()
        };
        let v: Value = serde_json::from_str(&json_line(&entry)).expect("json");
        assert_eq!(v["ClientHost"], "127.0.0.1");
        assert_eq!(v["RequestHost"], "example.com");
        assert_eq!(v["RequestPort"], "8080");
        assert_eq!(v["Duration"], 3_000_000);
        assert_eq!(v["ServiceAddr"], "10.0.0.1:80");
        assert_eq!(v["entryPointName"], "web");
        assert_eq!(v["StartUTC"], "1970-01-01T00:00:00Z");
        let common = common_line(&entry);
        assert!(
            common.starts_with("127.0.0.1 - - [01/Jan/1970:00:00:00 +0000] \"GET /a?b HTTP/1.1\" 200 0"),
            "{common}"
        );
    }

    #[test]
    fn filters_keep_any_match() {
        let f =
            Filters { statuses: vec![(500, 599)], min_duration: Some(Duration::from_secs(1)), retry_attempts: false };
        let mut e = LogEntry { downstream_status: 200, ..LogEntry::default() };
        assert!(!f.keeps(&e));
        e.downstream_status = 502;
        assert!(f.keeps(&e));
        e.downstream_status = 200;
        e.duration = Duration::from_secs(2);
        assert!(f.keeps(&e));
    }
}
