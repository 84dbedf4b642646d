//! The dynamic part of Traefik's configuration ("routing configuration"): HTTP and TCP
//! routers and services, middlewares and TLS material. Names and options follow
//! `pkg/config/dynamic` in Traefik v3.

use std::collections::BTreeMap;

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::duration::GoDuration;
use super::middleware::Middleware;
use super::unsupported::{self as hint, Refuse, Unsupported};

/// `tls: {}` (or a bare `tls:`) turns TLS on with defaults, as Traefik's `allowEmpty` does.
pub(crate) fn present_means_enabled<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Some(Option::<T>::deserialize(deserializer)?.unwrap_or_default()))
}

/// A map of named entries that refuses a name given twice (YAML and JSON parsers would keep
/// the last one silently); `null` is an empty map.
pub(crate) fn unique_keys<'de, D, T>(deserializer: D) -> Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct UniqueKeys<T>(std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for UniqueKeys<T> {
        type Value = BTreeMap<String, T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of names to entries")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if out.contains_key(&key) {
                    // Fail while reading the value so that the error carries its key and line.
                    return match map.next_value_seed(Refuse("this name is defined twice")) {
                        Err(e) => Err(e),
                        Ok(never) => match never {},
                    };
                }
                let value = map.next_value()?;
                out.insert(key, value);
            }
            Ok(out)
        }
    }

    deserializer.deserialize_any(UniqueKeys(std::marker::PhantomData))
}

/// Routers, services, middlewares and TLS material.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DynamicConfig {
    /// HTTP routing.
    #[serde(default, skip_serializing_if = "HttpConfig::is_empty")]
    pub http: HttpConfig,
    /// TCP routing.
    #[serde(default, skip_serializing_if = "TcpConfig::is_empty")]
    pub tcp: TcpConfig,
    /// Certificates and TLS options.
    #[serde(default, skip_serializing_if = "TlsConfig::is_empty")]
    pub tls: TlsConfig,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub udp: Option<Unsupported<hint::Udp>>,
}

/// `http`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpConfig {
    /// Routers by name.
    #[serde(default, deserialize_with = "unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub routers: BTreeMap<String, Router>,
    /// Services by name.
    #[serde(default, deserialize_with = "unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, Service>,
    /// Middlewares by name.
    #[serde(default, deserialize_with = "unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub middlewares: BTreeMap<String, Middleware>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub servers_transports: Option<Unsupported<hint::ServersTransports>>,
}

impl HttpConfig {
    fn is_empty(&self) -> bool {
        self.routers.is_empty() && self.services.is_empty() && self.middlewares.is_empty()
    }
}

/// `http.routers.<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Router {
    /// Entry points served; empty means the default entry points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_points: Vec<String>,
    /// Middlewares applied in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub middlewares: Vec<String>,
    /// The service requests go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The rule, e.g. ``Host(`example.com`) && PathPrefix(`/api`)``.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Only `v3` (the default) is implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_syntax: Option<String>,
    /// Explicit priority; absent or 0 means the rule length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// TLS termination; present (even empty) means the router serves HTTPS only.
    #[serde(default, deserialize_with = "present_means_enabled", skip_serializing_if = "Option::is_none")]
    pub tls: Option<RouterTls>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub observability: Option<Unsupported<hint::Observability>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub parent_refs: Option<Unsupported<hint::ParentRefs>>,
}

/// `http.routers.<name>.tls`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RouterTls {
    /// Name of the TLS options (`tls.options`); `default` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<String>,
    /// Domains to serve certificates for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<Domain>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub cert_resolver: Option<Unsupported<hint::CertResolver>>,
}

/// A main domain and its alternative names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Domain {
    /// Main name.
    #[serde(default)]
    pub main: String,
    /// Alternative names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sans: Vec<String>,
}

/// `http.services.<name>`: exactly one of the kinds must be set.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    /// Balance over servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancer>,
    /// Balance over other services by weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weighted: Option<Weighted>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub mirroring: Option<Unsupported<hint::ServiceKind>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub failover: Option<Unsupported<hint::ServiceKind>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub highest_random_weight: Option<Unsupported<hint::ServiceKind>>,
}

/// `loadBalancer`: weighted round robin over servers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoadBalancer {
    /// The servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<Server>,
    /// Forward the client's Host header (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_host_header: Option<bool>,
    /// Active health checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Session affinity.
    #[serde(default, deserialize_with = "present_means_enabled", skip_serializing_if = "Option::is_none")]
    pub sticky: Option<Sticky>,
    /// Response streaming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_forwarding: Option<ResponseForwarding>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub servers_transport: Option<Unsupported<hint::ServersTransport>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub strategy: Option<Unsupported<hint::LoadBalancerOption>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub passive_health_check: Option<Unsupported<hint::LoadBalancerOption>>,
}

impl LoadBalancer {
    /// `passHostHeader`, true unless set.
    pub fn pass_host_header(&self) -> bool {
        self.pass_host_header.unwrap_or(true)
    }
}

/// One upstream server.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Server {
    /// `http://`, `https://` or `h2c://` URL.
    #[serde(default)]
    pub url: String,
    /// Relative weight (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
}

impl Server {
    /// The weight, 1 unless set.
    pub fn weight(&self) -> i64 {
        self.weight.unwrap_or(1)
    }
}

/// `loadBalancer.healthCheck`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HealthCheck {
    /// Path requested on each server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Time between checks (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<GoDuration>,
    /// Time allowed for an answer (default 5s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
    /// Scheme to use instead of the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// Host header to send.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Port to use instead of the server's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Extra request headers.
    #[serde(default, deserialize_with = "unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Follow redirections (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_redirects: Option<bool>,
    /// Expected status; any 2xx/3xx when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub mode: Option<Unsupported<hint::HealthCheckOption>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub method: Option<Unsupported<hint::HealthCheckOption>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub unhealthy_interval: Option<Unsupported<hint::HealthCheckOption>>,
}

impl HealthCheck {
    /// Traefik's default interval.
    pub const DEFAULT_INTERVAL: GoDuration = GoDuration::from_secs(30);
    /// Traefik's default timeout.
    pub const DEFAULT_TIMEOUT: GoDuration = GoDuration::from_secs(5);
}

/// `sticky`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Sticky {
    /// Affinity cookie.
    #[serde(default, deserialize_with = "present_means_enabled", skip_serializing_if = "Option::is_none")]
    pub cookie: Option<Cookie>,
}

/// `sticky.cookie`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cookie {
    /// Cookie name (Traefik derives one from the service name when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `Secure` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secure: Option<bool>,
    /// `HttpOnly` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_only: Option<bool>,
    /// `SameSite`: `none`, `lax` or `strict`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_site: Option<String>,
    /// `Max-Age` in seconds; 0 means a session cookie, negative expires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i64>,
}

/// `responseForwarding`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResponseForwarding {
    /// Flush period (default 100ms; negative flushes after every write).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flush_interval: Option<GoDuration>,
}

/// `weighted`: weighted round robin over services.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Weighted {
    /// The services and their weights.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<WeightedService>,
    /// Session affinity.
    #[serde(default, deserialize_with = "present_means_enabled", skip_serializing_if = "Option::is_none")]
    pub sticky: Option<Sticky>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub health_check: Option<Unsupported<hint::HealthCheckOption>>,
}

/// A service with its weight.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WeightedService {
    /// Service name.
    #[serde(default)]
    pub name: String,
    /// Relative weight (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i64>,
}

impl WeightedService {
    /// The weight, 1 unless set.
    pub fn weight(&self) -> i64 {
        self.weight.unwrap_or(1)
    }
}

/// `tls`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificates served by SNI.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<CertificateEntry>,
    /// Named TLS options; `default` applies where none is named.
    #[serde(default, deserialize_with = "unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, TlsOptions>,
    /// Certificate stores; only `default` exists.
    #[serde(default, deserialize_with = "unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub stores: BTreeMap<String, TlsStore>,
}

impl TlsConfig {
    fn is_empty(&self) -> bool {
        self.certificates.is_empty() && self.options.is_empty() && self.stores.is_empty()
    }
}

/// A certificate and its key: each a file path or the PEM text itself, as Traefik allows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Certificate {
    /// Certificate chain: path or PEM.
    #[serde(default)]
    pub cert_file: FileOrContent,
    /// Private key: path or PEM.
    #[serde(default)]
    pub key_file: FileOrContent,
}

/// `tls.certificates[]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CertificateEntry {
    /// Certificate chain: path or PEM.
    #[serde(default)]
    pub cert_file: FileOrContent,
    /// Private key: path or PEM.
    #[serde(default)]
    pub key_file: FileOrContent,
    /// Stores holding it (only `default`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<String>,
}

/// A file path or inline content (`types.FileOrContent`). Traefik treats the value as a path
/// when such a file exists; we also call PEM-looking text content without touching the disk.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FileOrContent(pub String);

impl FileOrContent {
    /// Whether the value is inline PEM rather than a path.
    pub fn is_inline_pem(&self) -> bool {
        self.0.trim_start().starts_with("-----BEGIN")
    }

    /// The bytes: the PEM text itself, or the file's content.
    pub fn read(&self) -> std::io::Result<Vec<u8>> {
        if self.is_inline_pem() {
            return Ok(self.0.as_bytes().to_vec());
        }
        std::fs::read(&self.0)
    }

    /// Whether nothing was given.
    pub fn is_empty(&self) -> bool {
        self.0.trim().is_empty()
    }
}

/// `tls.options.<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlsOptions {
    /// `VersionTLS10` ... `VersionTLS13` (Traefik's default: `VersionTLS12`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<String>,
    /// Highest version allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_version: Option<String>,
    /// Go cipher suite names for TLS 1.2 and below.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cipher_suites: Vec<String>,
    /// Key exchange groups (`CurveP256`, `X25519`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub curve_preferences: Vec<String>,
    /// Client certificate authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_auth: Option<ClientAuth>,
    /// Refuse handshakes without a matching SNI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sni_strict: Option<bool>,
    /// ALPN protocols offered (default `h2`, `http/1.1`, `acme-tls/1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alpn_protocols: Vec<String>,
}

/// `tls.options.<name>.clientAuth`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientAuth {
    /// CA certificates (paths or PEM).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ca_files: Vec<FileOrContent>,
    /// `NoClientCert`, `RequestClientCert`, `RequireAnyClientCert`, `VerifyClientCertIfGiven`
    /// or `RequireAndVerifyClientCert`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_auth_type: Option<String>,
}

/// `tls.stores.default`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TlsStore {
    /// Certificate served when no other matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_certificate: Option<Certificate>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub default_generated_cert: Option<Unsupported<hint::DefaultGeneratedCert>>,
}

/// `tcp`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpConfig {
    /// Routers by name.
    #[serde(default, deserialize_with = "unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub routers: BTreeMap<String, TcpRouter>,
    /// Services by name.
    #[serde(default, deserialize_with = "unique_keys", skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, TcpService>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub middlewares: Option<Unsupported<hint::TcpMiddlewares>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub servers_transports: Option<Unsupported<hint::ServersTransports>>,
}

impl TcpConfig {
    fn is_empty(&self) -> bool {
        self.routers.is_empty() && self.services.is_empty()
    }
}

/// `tcp.routers.<name>`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpRouter {
    /// Entry points served; empty means the default entry points.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry_points: Vec<String>,
    /// The service connections go to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The rule: `HostSNI`, `HostSNIRegexp`, `ClientIP`, `ALPN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Only `v3` (the default) is implemented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_syntax: Option<String>,
    /// Explicit priority; absent or 0 means the rule length (-1 for ``HostSNI(`*`)``).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// TLS termination or passthrough.
    #[serde(default, deserialize_with = "present_means_enabled", skip_serializing_if = "Option::is_none")]
    pub tls: Option<TcpRouterTls>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub middlewares: Option<Unsupported<hint::TcpMiddlewares>>,
}

/// `tcp.routers.<name>.tls`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpRouterTls {
    /// Forward the TLS stream untouched to the service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passthrough: Option<bool>,
    /// Name of the TLS options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<String>,
    /// Domains to serve certificates for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<Domain>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub cert_resolver: Option<Unsupported<hint::CertResolver>>,
}

/// `tcp.services.<name>`: exactly one kind.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpService {
    /// Balance over servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<TcpLoadBalancer>,
    /// Balance over services by weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weighted: Option<TcpWeighted>,
}

/// `tcp.services.<name>.loadBalancer`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpLoadBalancer {
    /// The servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<TcpServer>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub servers_transport: Option<Unsupported<hint::ServersTransport>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub proxy_protocol: Option<Unsupported<hint::LoadBalancerOption>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub termination_delay: Option<Unsupported<hint::LoadBalancerOption>>,
    #[doc(hidden)]
    #[serde(default, skip_serializing)]
    pub health_check: Option<Unsupported<hint::HealthCheckOption>>,
}

/// One TCP upstream.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpServer {
    /// `host:port`.
    #[serde(default)]
    pub address: String,
}

/// `tcp.services.<name>.weighted`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpWeighted {
    /// The services and their weights.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<WeightedService>,
}
