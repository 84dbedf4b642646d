//! `deploy`, shared by `traefikee deploy` (a node's socket) and `traefikeectl deploy` (the API):
//! the guide's flags, reading the configuration file, and waiting for the data nodes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use traefikee_apiserver::types::{
    ConfigFormat, DeployRequest, DeployResult, EntryPointFlag, NodeRole, ProviderFlag, Status,
};
use traefikee_apiserver::ErrorCode;

use crate::failure::{Failure, Outcome};
use crate::output::escape;
use crate::progress::{ClearOnDrop, Progress};
use crate::Client;

#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// A configuration in Traefik's format (YAML, TOML or JSON): entryPoints, http, tcp, tls.
    #[arg(long, value_name = "FILE")]
    pub configfile: Option<PathBuf>,

    /// An entry point, as in TraefikEE: 'Name:http Address::80' or 'Name:https Address::443 TLS'.
    #[arg(long = "entryPoints", alias = "entrypoints", value_name = "DEFINITION", value_parser = parse_entry_point)]
    pub entry_points: Vec<EntryPointFlag>,

    /// Entry points that routers naming none attach to, comma separated.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub defaultentrypoints: Vec<String>,

    /// Validate the configuration on the cluster without deploying it.
    #[arg(long)]
    pub dry_run: bool,

    /// Wait until every live data node runs the new version.
    #[arg(long)]
    pub wait: bool,

    /// Seconds --wait waits before failing.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub wait_timeout: u64,

    #[command(flatten)]
    pub kv: KvFlags,
}

/// TraefikEE v1's provider flags (`--consul.endpoint=10.10.0.10:8500 --consul.watch
/// --consul.prefix=traefik`): the same as `providers.consul` (`etcd`, `redis`) in the
/// configuration file, whose KV layout is Traefik v3's.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Providers (TraefikEE v1 flags)")]
pub struct KvFlags {
    /// Consul agent to read routes from (HOST:PORT, or comma separated).
    #[arg(long = "consul.endpoint", value_name = "HOST:PORT", value_delimiter = ',')]
    pub consul_endpoint: Vec<String>,
    /// Root key in Consul (default traefik).
    #[arg(long = "consul.prefix", value_name = "KEY", requires = "consul_endpoint")]
    pub consul_prefix: Option<String>,
    /// Accepted for TraefikEE v1 compatibility: providers are always watched.
    #[arg(long = "consul.watch", requires = "consul_endpoint")]
    pub consul_watch: bool,
    /// etcd v3 endpoint to read routes from (HOST:PORT, or comma separated).
    #[arg(long = "etcd.endpoint", value_name = "HOST:PORT", value_delimiter = ',')]
    pub etcd_endpoint: Vec<String>,
    /// Root key in etcd (default traefik).
    #[arg(long = "etcd.prefix", value_name = "KEY", requires = "etcd_endpoint")]
    pub etcd_prefix: Option<String>,
    /// Accepted for TraefikEE v1 compatibility: providers are always watched.
    #[arg(long = "etcd.watch", requires = "etcd_endpoint")]
    pub etcd_watch: bool,
    /// Redis server to read routes from (HOST:PORT, or comma separated).
    #[arg(long = "redis.endpoint", value_name = "HOST:PORT", value_delimiter = ',')]
    pub redis_endpoint: Vec<String>,
    /// Root key in Redis (default traefik).
    #[arg(long = "redis.prefix", value_name = "KEY", requires = "redis_endpoint")]
    pub redis_prefix: Option<String>,
    /// Accepted for TraefikEE v1 compatibility: providers are always watched.
    #[arg(long = "redis.watch", requires = "redis_endpoint")]
    pub redis_watch: bool,
}

impl KvFlags {
    /// The providers the flags name.
    pub fn providers(&self) -> Vec<ProviderFlag> {
        [
            ("consul", &self.consul_endpoint, &self.consul_prefix),
            ("etcd", &self.etcd_endpoint, &self.etcd_prefix),
            ("redis", &self.redis_endpoint, &self.redis_prefix),
        ]
        .into_iter()
        .filter(|(_, endpoints, _)| !endpoints.is_empty())
        .map(|(kind, endpoints, prefix)| ProviderFlag {
            kind: kind.into(),
            endpoints: endpoints.clone(),
            prefix: prefix.clone(),
            username: None,
            password: None,
            token: None,
        })
        .collect()
    }
}

/// Parses TraefikEE's `Name:NAME Address:ADDR [TLS]` syntax.
pub fn parse_entry_point(s: &str) -> Result<EntryPointFlag, String> {
    let (mut name, mut address, mut tls) = (None, None, false);
    for field in s.split_whitespace() {
        if let Some(v) = field.strip_prefix("Name:") {
            name = Some(v.to_string());
        } else if let Some(v) = field.strip_prefix("Address:") {
            address = Some(v.to_string());
        } else if field == "TLS" {
            tls = true;
        } else if field.starts_with("TLS:") {
            return Err("TLS with certificate files is not supported here: put the certificates in the tls section of --configfile and use plain TLS".into());
        } else {
            return Err(format!(
                "unknown entry point field {field:?}: expected Name:NAME, Address:[HOST]:PORT and optionally TLS"
            ));
        }
    }
    match (name, address) {
        (Some(name), Some(address)) if !name.is_empty() && !address.is_empty() => {
            Ok(EntryPointFlag { name, address, tls })
        }
        _ => Err("an entry point needs Name: and Address:, e.g. 'Name:http Address::80'".into()),
    }
}

/// The request the flags describe; reads the configuration file. The flags' entry points
/// travel apart from the file's text: the controller adds them to the file's before it
/// validates, so the file's routers may name them.
pub fn request(args: &DeployArgs) -> Result<DeployRequest, Failure> {
    let providers = args.kv.providers();
    if args.configfile.is_none()
        && args.entry_points.is_empty()
        && args.defaultentrypoints.is_empty()
        && providers.is_empty()
    {
        return Err(Failure::new(ErrorCode::InvalidRequest, "nothing to deploy").hint(
            "pass --configfile=FILE, --entryPoints='Name:http Address::80' and/or a provider (--consul.endpoint=HOST:PORT)",
        ));
    }
    for (i, ep) in args.entry_points.iter().enumerate() {
        if args.entry_points[..i].iter().any(|other| other.name == ep.name) {
            return Err(Failure::new(ErrorCode::InvalidRequest, format!("--entryPoints declares {:?} twice", ep.name))
                .hint("give each entry point one --entryPoints flag; nothing was deployed"));
        }
    }
    let (content, format) = match &args.configfile {
        Some(path) => {
            let format = ConfigFormat::from_path(path).ok_or_else(|| {
                Failure::new(ErrorCode::InvalidRequest, format!("{}: unknown configuration format", path.display()))
                    .hint("name the file .yml, .yaml, .toml or .json")
            })?;
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::new(ErrorCode::InvalidRequest, format!("cannot read {}: {e}", path.display())))?;
            (Some(text), format)
        }
        None => (None, ConfigFormat::default()),
    };
    Ok(DeployRequest {
        content,
        format,
        entry_points: args.entry_points.clone(),
        default_entry_points: args.defaultentrypoints.clone(),
        dry_run: args.dry_run,
        providers,
    })
}

/// Deploys what `args` describe and, with `--wait`, waits for the data nodes.
pub async fn run(client: &Client, args: &DeployArgs, progress: &dyn Progress) -> Outcome {
    let result = client.deploy(&request(args)?).await?;
    report(&result);
    match (args.wait, result.version) {
        (true, Some(version)) => {
            wait_for_version(client, version, Duration::from_secs(args.wait_timeout), progress).await
        }
        _ => Ok(()),
    }
}

fn report(result: &DeployResult) {
    match result.version {
        Some(v) => crate::outln!("✔ Configuration version {v} deployed: {}", escape(&result.summary)),
        None => crate::outln!("✔ The configuration is valid: {} (nothing was deployed)", escape(&result.summary)),
    }
}

/// Waits until every data node that is up runs `version`.
async fn wait_for_version(client: &Client, version: u64, timeout: Duration, progress: &dyn Progress) -> Outcome {
    let _clear = ClearOnDrop(progress);
    let deadline = Instant::now() + timeout;
    loop {
        let list = client.nodes().await?;
        let live: Vec<_> =
            list.nodes.iter().filter(|n| n.role == NodeRole::DataNode && n.status == Status::Ready).collect();
        let done = live.iter().filter(|n| n.config_version.is_some_and(|v| v >= version)).count();
        // A data node that refused this version (or a newer one) keeps serving its previous
        // one: it will never report this one.
        let refused: Vec<String> = live
            .iter()
            .filter(|n| n.config_version.is_none_or(|v| v < version))
            .filter_map(|n| {
                let r = n.config_refused.as_ref().filter(|r| r.version >= version)?;
                let runs = n.config_version.map(|v| format!("runs {v}")).unwrap_or_else(|| "runs none".into());
                Some(format!("{} ({runs}): {}", escape(&n.name), escape(&r.error)))
            })
            .collect();
        progress.count("waiting for the data nodes", done as u64, live.len() as u64);
        if !refused.is_empty() && done + refused.len() == live.len() {
            progress.clear();
            return Err(Failure::new(
                ErrorCode::Conflict,
                format!(
                    "{} of {} live data nodes refused version {version}: {}",
                    refused.len(),
                    live.len(),
                    refused.join("; ")
                ),
            )
            .hint("the configuration is deployed but not served there: fix it and deploy again (`traefikeectl list-nodes --details` shows each refusal)"));
        }
        if done == live.len() {
            progress.clear();
            crate::outln!(
                "✔ {done} data node{} run{} version {version}",
                if done == 1 { "" } else { "s" },
                if done == 1 { "s" } else { "" }
            );
            return Ok(());
        }
        if Instant::now() >= deadline {
            progress.clear();
            let late: Vec<String> = live
                .iter()
                .filter(|n| n.config_version.is_none_or(|v| v < version))
                .map(|n| match n.config_version {
                    Some(v) => format!("{} (runs {v})", escape(&n.name)),
                    None => format!("{} (runs none)", escape(&n.name)),
                })
                .collect();
            return Err(Failure::new(
                ErrorCode::Unavailable,
                format!(
                    "after {}s, {} of {} live data nodes do not run version {version}: {}",
                    timeout.as_secs(),
                    late.len(),
                    live.len(),
                    late.join(", ")
                ),
            )
            .hint("their logs say why; the configuration is deployed and they keep serving their previous one"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guides_entry_point_flags_parse() {
        assert_eq!(
            parse_entry_point("Name:http Address::80").unwrap(),
            EntryPointFlag { name: "http".into(), address: ":80".into(), tls: false }
        );
        let https = parse_entry_point("Name:https Address::443 TLS").unwrap();
        assert!(https.tls && https.address == ":443");
        assert!(parse_entry_point("Name:x").unwrap_err().contains("needs Name: and Address:"));
        assert!(parse_entry_point("Name:x Address::1 Compress")
            .unwrap_err()
            .contains(r#"unknown entry point field "Compress""#));
        assert!(parse_entry_point("Name:x Address::1 TLS:a.crt,a.key").unwrap_err().contains("tls section"));
    }

    #[test]
    fn an_entry_point_declared_twice_is_refused() {
        let args = |flags: &[&str]| DeployArgs {
            configfile: None,
            entry_points: flags.iter().map(|f| parse_entry_point(f).unwrap()).collect(),
            defaultentrypoints: vec![],
            dry_run: false,
            wait: false,
            wait_timeout: 60,
            kv: KvFlags::default(),
        };
        let err = request(&args(&["Name:web Address::80", "Name:web Address::8080"])).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest.exit_code());
        assert!(err.message.contains(r#"--entryPoints declares "web" twice"#), "{}", err.message);
        let req = request(&args(&["Name:web Address::80", "Name:websecure Address::443 TLS"])).unwrap();
        assert_eq!(req.entry_points.len(), 2);
    }

    #[test]
    fn the_v1_provider_flags_make_providers() {
        let kv = KvFlags {
            consul_endpoint: vec!["10.10.0.10:8500".into()],
            consul_prefix: Some("traefik".into()),
            consul_watch: true,
            etcd_endpoint: vec!["a:2379".into(), "b:2379".into()],
            ..Default::default()
        };
        let args = DeployArgs {
            configfile: None,
            entry_points: vec![],
            defaultentrypoints: vec![],
            dry_run: false,
            wait: false,
            wait_timeout: 60,
            kv,
        };
        let req = request(&args).unwrap();
        assert_eq!(req.providers.len(), 2);
        assert_eq!(req.providers[0].kind, "consul");
        assert_eq!(req.providers[0].prefix.as_deref(), Some("traefik"));
        assert_eq!(req.providers[1].endpoints, ["a:2379", "b:2379"]);
    }
}
