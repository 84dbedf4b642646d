//! Providers: routing configuration the cluster discovers by itself, from etcd, Consul and
//! Redis in Traefik v3's key layout.
//!
//! They run on the leader controller only, one watcher per provider the deployed
//! configuration enables (`providers.etcd`, ... or TraefikEE v1's `--consul.endpoint`). A
//! watcher reports the whole key tree each time it changes; the leader decodes it, validates it
//! merged with the deployed configuration and the other providers', and commits it through Raft
//! as that provider's part ([`Command::Provide`]). Proxies receive the merged document through
//! the usual feed. Everything a provider gave lives in the replicated state, so a new leader
//! serves it unchanged and only restarts the watchers.
//!
//! A failure (unreachable store, a key tree that is not a configuration, a configuration the
//! cluster refuses) is logged, recorded once for `traefikeectl get providers`, and leaves what
//! the provider gave before running; the watcher retries with backoff.

mod consul;
mod etcd;
mod files;
mod redis;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use traefikee_apiserver::types::{ProviderInfo, ProviderList};
use traefikee_apiserver::ApiError;
use traefikee_proxy::config::{
    from_kv, parse_document, DynamicConfig, FileProvider, Format, KvKind, KvProvider, Providers,
};

use crate::controller::{internal, Controller};
use crate::state::{self, Command, Origin, ProviderUpdate};

/// What a watcher reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum News {
    /// Every key under the root and its value, after a change (or at start).
    Keys(Arc<Vec<(String, String)>>),
    /// A configuration read as it is (the file provider).
    Config(Arc<DynamicConfig>),
    /// The store cannot be read; the watcher retries.
    Failed(String),
}

/// Where a watcher sends its news.
#[derive(Clone)]
pub struct Reporter {
    name: &'static str,
    generation: u64,
    tx: mpsc::Sender<(&'static str, u64, News)>,
}

impl Reporter {
    pub async fn send(&self, news: News) {
        // The leader stopped (and took the receiver with it): nothing to do.
        let _ = self.tx.send((self.name, self.generation, news)).await;
    }

    /// Sends what a session read, unless it is what the session sent last.
    pub async fn send_if_new(&self, last: &mut Option<News>, news: News) {
        if last.as_ref() != Some(&news) {
            *last = Some(news.clone());
            self.send(news).await;
        }
    }
}

/// What `open` gives for the first of `endpoints` it works with, tried in order; every
/// endpoint's failure when none works.
pub async fn first_working<'a, T, Fut>(
    endpoints: &'a [String],
    mut open: impl FnMut(&'a String) -> Fut,
) -> Result<T, String>
where
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let mut errors = Vec::new();
    for endpoint in endpoints {
        match open(endpoint).await {
            Ok(found) => return Ok(found),
            Err(e) => errors.push(e),
        }
    }
    Err(errors.join("; "))
}

/// Retry delays after a failure: doubling from half a second to 30 seconds.
pub struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Self {
        Backoff(Self::FIRST)
    }
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(500);
    const MAX: Duration = Duration::from_secs(30);

    pub fn reset(&mut self) {
        self.0 = Self::FIRST;
    }

    pub async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(Self::MAX);
    }
}

/// Where a provider reads its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    Kv(KvKind, KvProvider),
    /// `providers.file`: files on the leader controller's machine.
    File(FileProvider),
}

impl Source {
    fn endpoints(&self) -> Vec<String> {
        match self {
            Source::Kv(_, cfg) => cfg.endpoints.clone(),
            Source::File(f) => f.filename.iter().chain(f.directory.iter()).cloned().collect(),
        }
    }

    fn root(&self) -> &str {
        match self {
            Source::Kv(_, cfg) => cfg.root(),
            Source::File(_) => "",
        }
    }
}

/// Runs the watcher of one provider until it is dropped: a session reads and watches until it
/// fails; each failure is reported, then the session starts again after a backoff.
async fn watch(source: Source, report: Reporter) {
    let mut backoff = Backoff::default();
    loop {
        let result = match &source {
            Source::Kv(KvKind::Etcd, config) => etcd::session(config, &report, &mut backoff).await,
            Source::Kv(KvKind::Consul, config) => consul::session(config, &report, &mut backoff).await,
            Source::Kv(KvKind::Redis, config) => redis::session(config, &report, &mut backoff).await,
            Source::File(file) => files::session(file, &report, &mut backoff).await,
        };
        if let Err(why) = result {
            report.send(News::Failed(why)).await;
        }
        backoff.wait().await;
    }
}

/// `host:port` as a URL of `scheme`; a URL is kept as it is.
pub fn endpoint_url(endpoint: &str, tls: bool) -> String {
    let endpoint = endpoint.trim().trim_end_matches('/');
    if endpoint.contains("://") {
        endpoint.to_string()
    } else {
        format!("{}://{endpoint}", if tls { "https" } else { "http" })
    }
}

/// An HTTP client for a store's API, with the provider's TLS settings.
pub fn http_client(config: &KvProvider, timeout: Duration) -> Result<reqwest::Client, String> {
    let mut builder =
        reqwest::Client::builder().use_rustls_tls().connect_timeout(Duration::from_secs(3)).timeout(timeout);
    if let Some(tls) = &config.tls {
        let read = |path: &str| std::fs::read(path).map_err(|e| format!("reading {path}: {e}"));
        if let Some(ca) = &tls.ca {
            let cert = reqwest::Certificate::from_pem(&read(ca)?).map_err(|e| format!("{ca}: {e}"))?;
            builder = builder.add_root_certificate(cert);
        }
        if let (Some(cert), Some(key)) = (&tls.cert, &tls.key) {
            let mut pem = read(cert)?;
            pem.push(b'\n');
            pem.extend(read(key)?);
            builder = builder.identity(reqwest::Identity::from_pem(&pem).map_err(|e| format!("{cert}: {e}"))?);
        }
        if tls.insecure_skip_verify == Some(true) {
            builder = builder.danger_accept_invalid_certs(true);
        }
    }
    builder.build().map_err(|e| format!("cannot make an HTTP client: {e}"))
}

/// The most a store's answer may hold: what a deploy may.
const MAX_ANSWER: usize = traefikee_apiserver::MAX_BODY_BYTES;

/// A store's answer, refused beyond [`MAX_ANSWER`] bytes.
pub async fn read_body(mut resp: reqwest::Response, from: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("{from}: {}", describe(&e)))? {
        if out.len() + chunk.len() > MAX_ANSWER {
            return Err(format!("{from}: an answer over {} MiB", MAX_ANSWER >> 20));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The message of a request error: what failed and its root cause (reqwest's own message is
/// only "error sending request for url ...").
pub fn describe(e: &reqwest::Error) -> String {
    let mut root: &dyn std::error::Error = e;
    while let Some(source) = root.source() {
        root = source;
    }
    let what = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "no answer in time"
    } else if e.is_decode() || e.is_body() {
        "unreadable answer"
    } else {
        "request failed"
    };
    format!("{what}: {root}")
}

/// Starts the provider runner of a controller: it runs the providers while this controller
/// leads, and stops them when it no longer does.
pub fn spawn(c: Arc<Controller>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move { run(c).await })
}

fn leads(c: &Controller, m: &openraft::RaftMetrics<u64, crate::raft::NodeAddr>) -> bool {
    m.current_leader == Some(c.id()) && m.state == openraft::ServerState::Leader
}

async fn run(c: Arc<Controller>) {
    let mut metrics = c.raft.metrics();
    loop {
        while !leads(&c, &metrics.borrow_and_update()) {
            if metrics.changed().await.is_err() {
                return;
            }
        }
        let session = lead(c.clone());
        tokio::pin!(session);
        loop {
            tokio::select! {
                () = &mut session => return,
                changed = metrics.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if !leads(&c, &metrics.borrow()) {
                        tracing::info!("no longer the leader: the providers stop here");
                        break;
                    }
                }
            }
        }
    }
}

struct Running {
    config: Source,
    generation: u64,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The providers a deployed document enables.
fn wanted(document: Option<&str>) -> BTreeMap<&'static str, Source> {
    #[derive(serde::Deserialize)]
    struct OnlyProviders {
        #[serde(default)]
        providers: Option<Providers>,
    }
    let providers = document.and_then(|d| serde_json::from_str::<OnlyProviders>(d).ok()).and_then(|d| d.providers);
    let Some(providers) = providers else { return BTreeMap::new() };
    let mut out: BTreeMap<&'static str, Source> =
        providers.kv().into_iter().map(|(kind, cfg)| (kind.name(), Source::Kv(kind, cfg.clone()))).collect();
    if let Some(file) = providers.file {
        out.insert(traefikee_proxy::config::FILE_PROVIDER, Source::File(file));
    }
    out
}

/// The leader's work: keep one watcher per enabled provider and commit what they report.
async fn lead(c: Arc<Controller>) {
    let (tx, mut rx) = mpsc::channel(64);
    let mut running: BTreeMap<&'static str, Running> = BTreeMap::new();
    let mut applied = c.db.applied();
    let mut seen_version = None;
    let mut seen_deploy = None;
    let mut generation = 0;
    let mut pending: BTreeMap<&'static str, News> = BTreeMap::new();
    // Each provider's newest keys: a new deploy may accept what it refused before.
    let mut last_keys: BTreeMap<&'static str, News> = BTreeMap::new();
    loop {
        // The deployed configuration says which providers run.
        match c.db.read(|v| v.config_version()) {
            Ok(version) if seen_version != Some(version) => {
                seen_version = Some(version);
                match c.db.read(|v| Ok((v.config()?, v.providers()?))) {
                    Ok((config, records)) if seen_deploy != Some(config.as_ref().map(|c| c.version)) => {
                        seen_deploy = Some(config.as_ref().map(|c| c.version));
                        let wanted = wanted(config.as_ref().map(|c| c.document.as_str()));
                        running.retain(|name, r| wanted.get(name).is_some_and(|source| *source == r.config));
                        // What a replaced watcher read says nothing of the new source.
                        last_keys.retain(|name, _| running.contains_key(name));
                        pending.retain(|name, _| running.contains_key(name));
                        for (name, source) in wanted.iter() {
                            if running.contains_key(name) {
                                continue;
                            }
                            generation += 1;
                            tracing::info!(provider = name, endpoints = ?source.endpoints(), root = source.root(), "starting the provider");
                            let report = Reporter { name, generation, tx: tx.clone() };
                            let task = tokio::spawn(watch(source.clone(), report));
                            running.insert(name, Running { config: source.clone(), generation, task });
                        }
                        last_keys.retain(|name, _| running.contains_key(name));
                        for (name, keys) in &last_keys {
                            pending.entry(name).or_insert_with(|| keys.clone());
                        }
                        pending.retain(|name, _| running.contains_key(name));
                        for rec in records.iter().filter(|r| !wanted.contains_key(r.name.as_str())) {
                            tracing::info!(provider = %rec.name, "the provider is no longer configured");
                            let command =
                                Command::Provide { provider: rec.name.clone(), update: ProviderUpdate::Removed };
                            if let Err(e) = c.write(Origin::system(format!("provider {}", rec.name)), command).await {
                                tracing::warn!(provider = %rec.name, error = %e, "could not forget the provider");
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "reading the deployed configuration"),
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reading the configuration version"),
        }
        for (name, news) in std::mem::take(&mut pending) {
            if let Some(r) = running.get(name) {
                commit(&c, name, &r.config, news).await;
            }
        }
        tokio::select! {
            got = rx.recv() => {
                let Some(first) = got else { return };
                // Only the newest news of each provider counts.
                let mut batch = vec![first];
                while let Ok(more) = rx.try_recv() {
                    batch.push(more);
                }
                for (name, generation, news) in batch {
                    if running.get(name).is_some_and(|r| r.generation == generation) {
                        if matches!(news, News::Keys(_) | News::Config(_)) {
                            last_keys.insert(name, news.clone());
                        }
                        pending.insert(name, news);
                    }
                }
            }
            changed = applied.changed() => if changed.is_err() { return },
        }
    }
}

/// What the leader makes of a provider's keys.
enum Outcome {
    /// The same as it gave before.
    Unchanged {
        was_failing: bool,
    },
    New {
        document: String,
        summary: String,
    },
    Refused(String),
}

/// Commits a provider's news: its new configuration, or its failure.
async fn commit(c: &Arc<Controller>, name: &'static str, source: &Source, news: News) {
    if let News::Failed(why) = news {
        return failed(c, name, why).await;
    }
    let origin = Origin::system(format!("provider {name}"));
    for attempt in 0..5 {
        let read = c.db.read(|v| Ok((v.config_version()?, v.config()?, v.providers()?)));
        let (base, deployed, records) = match read {
            Ok(r) => r,
            Err(e) => return tracing::warn!(provider = name, error = %e, "reading the state"),
        };
        let root = source.root().to_string();
        let news = news.clone();
        let outcome = c.parse(move || evaluate(name, &root, &news, deployed.map(|d| d.document), &records)).await;
        let update = match outcome {
            Err(e) => return tracing::warn!(provider = name, error = %e, "evaluating the provider's configuration"),
            Ok(Outcome::Refused(why)) => return failed(c, name, why).await,
            Ok(Outcome::Unchanged { was_failing: false }) => return,
            Ok(Outcome::Unchanged { was_failing: true }) => ProviderUpdate::Healthy,
            Ok(Outcome::New { document, summary }) => ProviderUpdate::Config { document, summary, base },
        };
        let command = Command::Provide { provider: name.to_string(), update };
        match c.write_attempt(origin.clone(), command, attempt).await {
            Ok(Some(version)) => {
                tracing::info!(provider = name, version, "the provider's configuration is deployed");
                return;
            }
            Ok(None) => return,
            Err(e) if e.message == state::MOVED_ON => continue,
            Err(e) => {
                return tracing::warn!(provider = name, error = %e, "could not commit the provider's configuration")
            }
        }
    }
    tracing::warn!(provider = name, "the configuration kept changing; the provider's news waits for its next change");
}

/// Decodes a provider's keys and validates them merged with the rest.
fn evaluate(
    name: &str,
    root: &str,
    news: &News,
    deployed: Option<String>,
    records: &[state::ProviderRecord],
) -> Result<Outcome, ApiError> {
    let dynamic = match news {
        News::Keys(keys) => match from_kv(root, keys.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Ok(d) => d,
            Err(e) => return Ok(Outcome::Refused(format!("the keys do not form a configuration: {e}"))),
        },
        News::Config(config) => (**config).clone(),
        News::Failed(why) => return Ok(Outcome::Refused(why.clone())),
    };
    let document = serde_json::to_string(&dynamic).map_err(internal)?;
    // What a deploy may carry, a provider may too: the Raft log refuses larger entries.
    if document.len() > traefikee_apiserver::MAX_BODY_BYTES {
        return Ok(Outcome::Refused(format!(
            "its configuration is {} MiB, above the {} MiB a configuration may be",
            document.len() >> 20,
            traefikee_apiserver::MAX_BODY_BYTES >> 20
        )));
    }
    let own = records.iter().find(|r| r.name == name);
    if let Some(own) = own.filter(|r| r.document.as_deref() == Some(document.as_str())) {
        return Ok(Outcome::Unchanged { was_failing: own.error.is_some() });
    }
    let mut parts = crate::deploy::provider_parts(records)?;
    parts.retain(|(n, _)| n != name);
    let summary = summary(&dynamic);
    parts.push((name.to_string(), dynamic));
    let deployed = match deployed {
        Some(text) => parse_document(&text, Format::Json).map_err(internal)?,
        None => return Ok(Outcome::Refused("no configuration is deployed".into())),
    };
    let checked = crate::deploy::merge(deployed, &parts).and_then(|merged| merged.validate());
    if let Err(e) = checked {
        let lines: Vec<String> = e.0.iter().take(5).map(|e| e.to_string()).collect();
        let more = e.0.len().saturating_sub(lines.len());
        let more = if more > 0 { format!(" (and {more} more)") } else { String::new() };
        return Ok(Outcome::Refused(format!("the cluster refuses its configuration: {}{more}", lines.join("; "))));
    }
    Ok(Outcome::New { document, summary })
}

fn summary(d: &DynamicConfig) -> String {
    format!(
        "{} routers, {} services, {} middlewares, {} TCP routers",
        d.http.routers.len(),
        d.http.services.len(),
        d.http.middlewares.len(),
        d.tcp.routers.len()
    )
}

/// The longest failure message recorded (a store's error page may be long).
const MAX_ERROR: usize = 2000;

/// Records a provider's failure, once per distinct reason.
async fn failed(c: &Arc<Controller>, name: &'static str, mut why: String) {
    if why.len() > MAX_ERROR {
        let mut end = MAX_ERROR;
        while !why.is_char_boundary(end) {
            end -= 1;
        }
        why.truncate(end);
        why.push_str("...");
    }
    let known = c.db.read(|v| v.provider(name)).ok().flatten().and_then(|r| r.error);
    if known.as_deref() == Some(why.as_str()) {
        return;
    }
    tracing::warn!(provider = name, error = %why, "the provider fails; what it gave before keeps running");
    let command = Command::Provide { provider: name.to_string(), update: ProviderUpdate::Failed { error: why } };
    if let Err(e) = c.write(Origin::system(format!("provider {name}")), command).await {
        tracing::warn!(provider = name, error = %e, "could not record the provider's failure");
    }
}

impl Controller {
    /// The providers the deployed configuration enables and how each is doing.
    pub fn providers(&self) -> Result<ProviderList, ApiError> {
        let (config, records) = self.db.read(|v| Ok((v.config()?, v.providers()?)))?;
        let wanted = wanted(config.as_ref().map(|c| c.document.as_str()));
        let mut providers = Vec::new();
        for (name, source) in &wanted {
            let rec = records.iter().find(|r| r.name == *name);
            let status = match rec {
                Some(r) if r.error.is_some() => "error",
                Some(r) if r.document.is_some() => "ok",
                _ => "waiting",
            };
            providers.push(ProviderInfo {
                name: name.to_string(),
                endpoints: source.endpoints(),
                root_key: source.root().to_string(),
                status: status.into(),
                summary: rec.map(|r| r.summary.clone()).unwrap_or_default(),
                last_change: rec.and_then(|r| r.changed_at).map(state::rfc3339),
                version: rec.filter(|r| r.document.is_some()).map(|r| r.changed_in),
                error: rec.and_then(|r| r.error.clone()),
                failing_since: rec.and_then(|r| r.failed_since).map(state::rfc3339),
            });
        }
        for rec in records.iter().filter(|r| !wanted.contains_key(r.name.as_str())) {
            providers.push(ProviderInfo {
                name: rec.name.clone(),
                endpoints: Vec::new(),
                root_key: String::new(),
                status: "removed".into(),
                summary: rec.summary.clone(),
                last_change: rec.changed_at.map(state::rfc3339),
                version: None,
                error: None,
                failing_since: None,
            });
        }
        Ok(ProviderList { providers })
    }
}
