//! The static part of Traefik's configuration ("install configuration"): entry points and
//! providers. Options follow `pkg/config/static/entrypoints.go` in Traefik v3.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::duration::GoDuration;
use super::dynamic::Domain;
use super::unsupported::{self as hint, Unsupported};

/// Entry points and providers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaticConfig {
    /// Entry points by name.
    #[serde(default, deserialize_with = "super::dynamic::unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub entry_points: BTreeMap<String, EntryPoint>,
    /// Configuration providers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub providers: Option<Providers>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub certificates_resolvers: Option<Unsupported<hint::CertificatesResolvers>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub api: Option<Unsupported<hint::StaticSection>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub log: Option<Unsupported<hint::StaticSection>>,
    /// Access log.
    #[serde(
        default,
        deserialize_with = "super::dynamic::present_means_enabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub access_log: Option<AccessLog>,
    /// Metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Metrics>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub tracing: Option<Unsupported<hint::StaticSection>>,
    /// The `/ping` health endpoint.
    #[serde(
        default,
        deserialize_with = "super::dynamic::present_means_enabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub ping: Option<Ping>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub global: Option<Unsupported<hint::StaticSection>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub servers_transport: Option<Unsupported<hint::ServersTransport>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub tcp_servers_transport: Option<Unsupported<hint::ServersTransport>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub host_resolver: Option<Unsupported<hint::StaticSection>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub experimental: Option<Unsupported<hint::Plugins>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub core: Option<Unsupported<hint::StaticSection>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub spiffe: Option<Unsupported<hint::StaticSection>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub ocsp: Option<Unsupported<hint::StaticSection>>,
}

impl StaticConfig {
    /// Entry points of routers that name none: those marked `asDefault`, or every entry point
    /// when none is marked (Traefik's `getDefaultsEntrypoints`), sorted, UDP ones excluded.
    pub fn default_entry_points(&self) -> Vec<&str> {
        let any_marked = self.entry_points.values().any(|ep| ep.as_default == Some(true));
        self.entry_points
            .iter()
            .filter(|(_, ep)| !any_marked || ep.as_default == Some(true))
            .filter(|(_, ep)| !ep.address.to_ascii_lowercase().ends_with("/udp"))
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// A listening address and what happens on it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryPoint {
    /// `[host]:port`, optionally followed by `/tcp` (`/udp` is refused).
    #[serde(default)]
    pub address: String,
    /// Routers without `entryPoints` attach to the entry points marked `asDefault`, or to all
    /// entry points when none is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_default: Option<bool>,
    /// HTTP options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<EntryPointHttp>,
    /// Connection timeouts and shutdown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<EntryPointTransport>,
    /// Which peers may set `X-Forwarded-*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded_headers: Option<ForwardedHeaders>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub proxy_protocol: Option<Unsupported<hint::EntryPointOption>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub http2: Option<Unsupported<hint::EntryPointOption>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub http3: Option<Unsupported<hint::EntryPointOption>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub udp: Option<Unsupported<hint::Udp>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub observability: Option<Unsupported<hint::Observability>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing, rename = "allowACMEByPass")]
    pub allow_acme_bypass: Option<Unsupported<hint::CertResolver>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub reuse_port: Option<Unsupported<hint::EntryPointOption>>,
}

impl EntryPoint {
    /// The address without its `/tcp` suffix.
    pub fn listen_address(&self) -> &str {
        self.address.split_once('/').map_or(self.address.as_str(), |(addr, _)| addr)
    }
}

/// `entryPoints.<name>.http`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryPointHttp {
    /// Redirect every request to another entry point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirections: Option<Redirections>,
    /// Middlewares applied to every router of the entry point, before the router's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<String>,
    /// Default TLS settings of the entry point's routers.
    #[serde(
        default,
        deserialize_with = "super::dynamic::present_means_enabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub tls: Option<EntryPointTls>,
}

/// `entryPoints.<name>.http.redirections`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Redirections {
    /// The redirection target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<RedirectEntryPoint>,
}

/// Redirect to an entry point (`to`: its name, or a port such as `:443`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedirectEntryPoint {
    /// Target entry point name or `:port`.
    #[serde(default)]
    pub to: String,
    /// Scheme of the redirection (default `https`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// 301/308 instead of 302/307 (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permanent: Option<bool>,
    /// Priority of the generated router (default `MaxInt64 - 1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
}

impl RedirectEntryPoint {
    /// Traefik's default priority for the redirection router: `math.MaxInt - 1`.
    pub const DEFAULT_PRIORITY: i64 = i64::MAX - 1;

    /// The scheme, `https` unless set.
    pub fn scheme(&self) -> &str {
        self.scheme.as_deref().unwrap_or("https")
    }
}

/// `entryPoints.<name>.http.tls`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryPointTls {
    /// Name of the TLS options (`tls.options`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<String>,
    /// Domains of the default certificate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<Domain>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub cert_resolver: Option<Unsupported<hint::CertResolver>>,
}

/// `entryPoints.<name>.transport`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EntryPointTransport {
    /// Timeouts applied to client connections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responding_timeouts: Option<RespondingTimeouts>,
    /// Shutdown behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life_cycle: Option<LifeCycle>,
}

/// Client-side timeouts; zero means none.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RespondingTimeouts {
    /// Maximum time to read a whole request (default 60s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_timeout: Option<GoDuration>,
    /// Maximum time to write a response (default none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_timeout: Option<GoDuration>,
    /// Maximum idle time of a keep-alive connection (default 180s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_timeout: Option<GoDuration>,
}

impl RespondingTimeouts {
    /// Traefik's default read timeout.
    pub const DEFAULT_READ: GoDuration = GoDuration::from_secs(60);
    /// Traefik's default idle timeout.
    pub const DEFAULT_IDLE: GoDuration = GoDuration::from_secs(180);
}

/// Graceful shutdown settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LifeCycle {
    /// How long to keep accepting requests once shutdown starts (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_accept_grace_timeout: Option<GoDuration>,
    /// How long in-flight requests may take to finish (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_time_out: Option<GoDuration>,
}

impl LifeCycle {
    /// Traefik's default grace timeout.
    pub const DEFAULT_GRACE: GoDuration = GoDuration::from_secs(10);
}

/// `entryPoints.<name>.forwardedHeaders`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForwardedHeaders {
    /// Peers (IPs or CIDRs) whose `X-Forwarded-*` headers are kept.
    #[serde(default, rename = "trustedIPs", skip_serializing_if = "Vec::is_empty")]
    pub trusted_ips: Vec<String>,
    /// Trust every peer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
}

/// `providers`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Providers {
    /// The file provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<FileProvider>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub docker: Option<Unsupported<hint::OtherProvider>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub swarm: Option<Unsupported<hint::OtherProvider>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub kubernetes_ingress: Option<Unsupported<hint::OtherProvider>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing, rename = "kubernetesCRD")]
    pub kubernetes_crd: Option<Unsupported<hint::OtherProvider>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub kubernetes_gateway: Option<Unsupported<hint::OtherProvider>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing, rename = "kubernetesIngressNGINX")]
    pub kubernetes_ingress_nginx: Option<Unsupported<hint::OtherProvider>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub consul_catalog: Option<Unsupported<hint::OtherProvider>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub nomad: Option<Unsupported<hint::OtherProvider>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub ecs: Option<Unsupported<hint::OtherProvider>>,
    /// Consul KV (`providers.consul`), watched on the leader controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consul: Option<KvProvider>,
    /// etcd v3 (`providers.etcd`), watched on the leader controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etcd: Option<KvProvider>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub zoo_keeper: Option<Unsupported<hint::OtherProvider>>,
    /// Redis (`providers.redis`), watched on the leader controller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis: Option<KvProvider>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub http: Option<Unsupported<hint::OtherProvider>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub rest: Option<Unsupported<hint::OtherProvider>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub plugin: Option<Unsupported<hint::OtherProvider>>,
}

impl Providers {
    /// The names of the providers configured (`file`, `consul`, `etcd`, `redis`).
    pub fn names(&self) -> Vec<&'static str> {
        let file = self.file.as_ref().map(|_| "file");
        file.into_iter().chain(self.kv().into_iter().map(|(k, _)| k.name())).collect()
    }

    /// The KV providers configured, by their provider name (`etcd`, `consul`, `redis`).
    pub fn kv(&self) -> Vec<(KvKind, &KvProvider)> {
        [(KvKind::Consul, &self.consul), (KvKind::Etcd, &self.etcd), (KvKind::Redis, &self.redis)]
            .into_iter()
            .filter_map(|(kind, p)| p.as_ref().map(|p| (kind, p)))
            .collect()
    }
}

/// Which key-value store a [`KvProvider`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KvKind {
    /// Consul's KV HTTP API.
    Consul,
    /// etcd v3.
    Etcd,
    /// Redis.
    Redis,
}

impl KvKind {
    /// The provider name, as in `name@etcd`.
    pub fn name(self) -> &'static str {
        match self {
            KvKind::Consul => "consul",
            KvKind::Etcd => "etcd",
            KvKind::Redis => "redis",
        }
    }
}

/// `providers.consul|etcd|redis`: Traefik v3's KV providers (`pkg/provider/kv`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KvProvider {
    /// `host:port` (or URLs, for Consul) of the store; tried in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// The key every configuration key is under (default `traefik`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_key: Option<String>,
    /// etcd and Redis: user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// etcd and Redis: password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Consul: ACL token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Redis: database number (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<i64>,
    /// TLS to the store.
    #[serde(
        default,
        deserialize_with = "super::dynamic::present_means_enabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub tls: Option<KvTls>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub namespaces: Option<Unsupported<hint::KvOption>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub sentinel: Option<Unsupported<hint::KvOption>>,
}

impl KvProvider {
    /// The default root key.
    pub const DEFAULT_ROOT_KEY: &'static str = "traefik";

    /// The root key, without slashes around it.
    pub fn root(&self) -> &str {
        self.root_key
            .as_deref()
            .map(|r| r.trim_matches('/'))
            .filter(|r| !r.is_empty())
            .unwrap_or(Self::DEFAULT_ROOT_KEY)
    }
}

/// `providers.<kv>.tls`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KvTls {
    /// CA certificate (PEM file) the store's certificate must chain to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
    /// Client certificate (PEM file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<String>,
    /// Client key (PEM file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Accept any certificate from the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure_skip_verify: Option<bool>,
}

/// `providers.file`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FileProvider {
    /// One configuration file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// A directory of configuration files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    /// Reload on change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<bool>,
}

/// The entry point Traefik serves `/ping` and `/metrics` on unless told otherwise; created on
/// `:8080` when no entry point has this name.
pub const INTERNAL_ENTRY_POINT: &str = "traefik";

/// `accessLog`: one line per request, Traefik's fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessLog {
    /// File to append to; standard output when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_path: Option<String>,
    /// `common` (Traefik's default, a CLF line) or `json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Lines kept in memory before writing (default 0: written as they come).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buffering_size: Option<i64>,
    /// Which requests are logged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<AccessLogFilters>,
    /// Log requests to internal services (`/ping`, `/metrics`) too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_internals: Option<bool>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub fields: Option<Unsupported<hint::AccessLogFields>>,
}

/// `accessLog.filters`: a request is logged when any filter keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessLogFilters {
    /// Status codes or ranges (`200`, `300-302`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub status_codes: Vec<String>,
    /// Keep retried requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_attempts: Option<bool>,
    /// Keep requests that took longer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_duration: Option<GoDuration>,
}

/// `metrics`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metrics {
    /// Prometheus exposition at `/metrics`.
    #[serde(
        default,
        deserialize_with = "super::dynamic::present_means_enabled",
        skip_serializing_if = "Option::is_none"
    )]
    pub prometheus: Option<Prometheus>,
    /// Count requests to internal services too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_internals: Option<bool>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub datadog: Option<Unsupported<hint::MetricsBackend>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub statsd: Option<Unsupported<hint::MetricsBackend>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing, rename = "influxDB2")]
    pub influx_db2: Option<Unsupported<hint::MetricsBackend>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub otlp: Option<Unsupported<hint::MetricsBackend>>,
}

/// A histogram bucket bound in seconds, compared bit for bit so that the model stays `Eq`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bound(pub f64);

impl PartialEq for Bound {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}
impl Eq for Bound {}

/// `metrics.prometheus`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Prometheus {
    /// Histogram buckets in seconds (default 0.1, 0.3, 1.2, 5).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buckets: Vec<Bound>,
    /// Series per entry point (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_entry_points_labels: Option<bool>,
    /// Series per router (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_routers_labels: Option<bool>,
    /// Series per service (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub add_services_labels: Option<bool>,
    /// Entry point serving `/metrics` (default `traefik`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<String>,
    /// Must stay false: routing to `prometheus@internal` is not implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_routing: Option<bool>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub header_labels: Option<Unsupported<hint::HeaderLabels>>,
}

impl Prometheus {
    /// The entry point serving `/metrics`.
    pub fn entry_point(&self) -> &str {
        self.entry_point.as_deref().filter(|e| !e.is_empty()).unwrap_or(INTERNAL_ENTRY_POINT)
    }
}

/// `ping`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ping {
    /// Entry point serving `/ping` (default `traefik`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<String>,
    /// Must stay false: routing to `ping@internal` is not implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manual_routing: Option<bool>,
    /// Status answered while shutting down (default 503).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminating_status_code: Option<u16>,
}

impl Ping {
    /// The entry point serving `/ping`.
    pub fn entry_point(&self) -> &str {
        self.entry_point.as_deref().filter(|e| !e.is_empty()).unwrap_or(INTERNAL_ENTRY_POINT)
    }
}
