//! A file holding both static and dynamic keys, as `traefikee deploy --configfile` accepts:
//! `entryPoints`/`providers` next to `http`/`tcp`/`tls`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::dynamic::{DynamicConfig, HttpConfig, TcpConfig, TlsConfig};
use super::static_config::{AccessLog, EntryPoint, Metrics, Ping, Providers, StaticConfig};
use super::unsupported::{self as hint, Unsupported};

/// Static and dynamic configuration in one document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigDocument {
    /// Entry points and providers.
    pub static_config: StaticConfig,
    /// Routers, services, middlewares, TLS.
    pub dynamic: DynamicConfig,
}

/// The document's keys in one struct, so that unknown keys are refused with their path.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[allow(dead_code)] // the `Unsupported` fields exist to be refused, never read
struct RawDocument {
    #[serde(default, deserialize_with = "super::dynamic::unique_keys")]
    entry_points: BTreeMap<String, EntryPoint>,
    #[serde(default)]
    providers: Option<Providers>,
    #[serde(default)]
    http: HttpConfig,
    #[serde(default)]
    tcp: TcpConfig,
    #[serde(default)]
    tls: TlsConfig,
    #[serde(default)]
    udp: Option<Unsupported<hint::Udp>>,
    #[serde(default)]
    certificates_resolvers: Option<Unsupported<hint::CertificatesResolvers>>,
    #[serde(default)]
    api: Option<Unsupported<hint::StaticSection>>,
    #[serde(default)]
    log: Option<Unsupported<hint::StaticSection>>,
    #[serde(default, deserialize_with = "super::dynamic::present_means_enabled")]
    access_log: Option<AccessLog>,
    #[serde(default)]
    metrics: Option<Metrics>,
    #[serde(default)]
    tracing: Option<Unsupported<hint::StaticSection>>,
    #[serde(default, deserialize_with = "super::dynamic::present_means_enabled")]
    ping: Option<Ping>,
    #[serde(default)]
    global: Option<Unsupported<hint::StaticSection>>,
    #[serde(default)]
    servers_transport: Option<Unsupported<hint::ServersTransport>>,
    #[serde(default)]
    tcp_servers_transport: Option<Unsupported<hint::ServersTransport>>,
    #[serde(default)]
    host_resolver: Option<Unsupported<hint::StaticSection>>,
    #[serde(default)]
    experimental: Option<Unsupported<hint::Plugins>>,
    #[serde(default)]
    core: Option<Unsupported<hint::StaticSection>>,
    #[serde(default)]
    spiffe: Option<Unsupported<hint::StaticSection>>,
    #[serde(default)]
    ocsp: Option<Unsupported<hint::StaticSection>>,
}

impl<'de> Deserialize<'de> for ConfigDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawDocument::deserialize(deserializer)?;
        Ok(ConfigDocument {
            static_config: StaticConfig {
                entry_points: raw.entry_points,
                providers: raw.providers,
                access_log: raw.access_log,
                metrics: raw.metrics,
                ping: raw.ping,
                ..Default::default()
            },
            dynamic: DynamicConfig { http: raw.http, tcp: raw.tcp, tls: raw.tls, udp: None },
        })
    }
}

impl Serialize for ConfigDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            static_config: &'a StaticConfig,
            #[serde(flatten)]
            dynamic: &'a DynamicConfig,
        }
        Out { static_config: &self.static_config, dynamic: &self.dynamic }.serialize(serializer)
    }
}
