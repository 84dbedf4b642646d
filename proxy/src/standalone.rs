//! Standalone mode (`traefikee start-data-node --configfile=FILE`): serve a configuration file
//! and reload it when it changes, without a cluster.
//!
//! The file holds static and dynamic keys together. As with Traefik, a `providers.file`
//! section (`filename` or `directory`) adds the dynamic configuration of those files (`.yml`,
//! `.yaml`, `.toml`, `.json`; a directory is read recursively); relative paths are taken from
//! the working directory, as Traefik does. Every file is polled once a second (modification
//! time, size and content): a change is loaded, validated and applied; an invalid version is
//! logged and the previous one keeps serving.

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::config::{parse_dynamic, ConfigDocument, ConfigError, DynamicConfig, FileProvider, Format};
use crate::engine::{ApplyError, Engine, EngineOptions, StartError};

/// Why standalone mode stopped.
#[derive(Debug, thiserror::Error)]
pub enum StandaloneError {
    /// The first version of the file could not be loaded.
    #[error("{0}")]
    Config(#[from] ConfigError),
    /// The first version could not be served.
    #[error("{0}")]
    Apply(#[from] ApplyError),
    /// The engine could not start.
    #[error("{0}")]
    Start(#[from] StartError),
    /// Two files define the same name.
    #[error("{0}")]
    Merge(String),
    /// A file of `providers.file` is not a configuration.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: crate::config::ParseError,
    },
}

/// How often files are checked for changes.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Serves `path` until SIGINT or SIGTERM, then shuts down gracefully.
pub async fn run_standalone(path: &Path, opts: EngineOptions) -> Result<(), StandaloneError> {
    run_standalone_until(path, opts, POLL_INTERVAL, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Serves `path`, polling for changes every `poll`, until `stop` completes.
pub async fn run_standalone_until(
    path: &Path,
    opts: EngineOptions,
    poll: Duration,
    stop: impl Future<Output = ()>,
) -> Result<(), StandaloneError> {
    let (doc, mut watched) = load_watched(path)?;
    let engine = Engine::start(opts).await?;
    let applied = engine.apply(doc).await?;
    tracing::info!(version = applied.version, file = %path.display(), "serving");
    tokio::pin!(stop);
    let mut ticker = tokio::time::interval(poll);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = ticker.tick() => {}
        }
        if watched.iter().all(|w| !w.changed()) {
            continue;
        }
        match load_watched(path) {
            Ok((doc, files)) => {
                watched = files;
                match engine.apply(doc).await {
                    Ok(applied) => tracing::info!(version = applied.version, "configuration reloaded"),
                    Err(e) => tracing::error!("{e}"),
                }
            }
            Err(e) => {
                // Keep watching the same files: the next save may fix it.
                for w in &mut watched {
                    w.refresh();
                }
                tracing::error!("configuration not reloaded, the previous one keeps serving: {e}");
            }
        }
    }
    engine.shutdown().await;
    Ok(())
}

/// A file and what it looked like when last read.
#[derive(Debug)]
struct Watched {
    path: PathBuf,
    seen: Option<(SystemTime, u64, u64)>,
}

fn fingerprint(path: &Path) -> Option<(SystemTime, u64, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    let content = std::fs::read(path).ok()?;
    // FNV-1a of the content: a same-size edit within the mtime granularity is still seen.
    let hash = content.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
    Some((meta.modified().ok()?, meta.len(), hash))
}

impl Watched {
    fn new(path: PathBuf) -> Self {
        let seen = fingerprint(&path);
        Watched { path, seen }
    }

    fn changed(&self) -> bool {
        fingerprint(&self.path) != self.seen
    }

    fn refresh(&mut self) {
        self.seen = fingerprint(&self.path);
    }
}

/// Loads `path` and the files of its `providers.file`; returns the merged document and every
/// file it was read from.
pub fn load_with_providers(path: &Path) -> Result<(ConfigDocument, Vec<PathBuf>), StandaloneError> {
    let (doc, watched) = load_watched(path)?;
    Ok((doc, watched.into_iter().map(|w| w.path).collect()))
}

fn load_watched(path: &Path) -> Result<(ConfigDocument, Vec<Watched>), StandaloneError> {
    let mut watched = vec![Watched::new(path.to_path_buf())];
    // Each file alone may name what another defines: the whole is validated once merged.
    let mut doc = crate::config::parse_file(path)?;
    let file = doc.static_config.providers.as_ref().and_then(|p| p.file.clone());
    if let Some(file) = file {
        watched.extend(file_provider(&file, Some(path), &mut doc.dynamic)?);
    }
    doc.validate().map_err(ConfigError::from)?;
    Ok((doc, watched))
}

/// What `providers.file` names (`filename`, or every configuration file under `directory`),
/// merged into one dynamic configuration; a name two files define is refused. The control
/// nodes' file provider reads it this way.
pub fn read_file_provider(file: &FileProvider) -> Result<DynamicConfig, StandaloneError> {
    let mut dynamic = DynamicConfig::default();
    file_provider(file, None, &mut dynamic)?;
    Ok(dynamic)
}

/// Merges the files of `file` (except `skip`, already read) into `into`; what to watch.
fn file_provider(
    file: &FileProvider,
    skip: Option<&Path>,
    into: &mut DynamicConfig,
) -> Result<Vec<Watched>, StandaloneError> {
    let mut watched = Vec::new();
    let mut files = Vec::new();
    if let Some(name) = file.filename.as_deref().filter(|f| !f.trim().is_empty()) {
        files.push(PathBuf::from(name));
    }
    if let Some(dir) = file.directory.as_deref().filter(|d| !d.trim().is_empty()) {
        collect_dir(Path::new(dir), &mut files).map_err(|source| ConfigError::Io { path: dir.into(), source })?;
        // A file added to the directory is a change too.
        watched.push(Watched::new(PathBuf::from(dir)));
    }
    for f in files {
        if Some(f.as_path()) == skip {
            continue;
        }
        let text = std::fs::read_to_string(&f).map_err(|source| ConfigError::Io { path: f.clone(), source })?;
        let format = Format::from_path(&f).ok_or_else(|| ConfigError::UnknownFormat { path: f.clone() })?;
        let dynamic = if text.trim().is_empty() {
            DynamicConfig::default()
        } else {
            parse_dynamic(&text, format).map_err(|source| StandaloneError::File { path: f.clone(), source })?
        };
        merge(into, dynamic, &f)?;
        watched.push(Watched::new(f));
    }
    Ok(watched)
}

fn collect_dir(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    // Hidden entries are skipped, and a symbolic link to a directory is not followed: a
    // Kubernetes ConfigMap mount (`..data` -> `..2024_...`, beside links to its files) would
    // load each file two or three times.
    let mut entries: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| (e.path(), e.file_type().is_ok_and(|t| t.is_dir())))
        .collect();
    entries.sort();
    for (p, is_dir) in entries {
        if is_dir {
            collect_dir(&p, out)?;
        } else if Format::from_path(&p).is_some() && p.is_file() {
            out.push(p);
        }
    }
    Ok(())
}

fn merge_map<T>(
    into: &mut BTreeMap<String, T>,
    from: BTreeMap<String, T>,
    what: &str,
    file: &Path,
) -> Result<(), StandaloneError> {
    for (name, value) in from {
        if into.contains_key(&name) {
            return Err(StandaloneError::Merge(format!(
                "{}: {what}.{name} is defined in another file too",
                file.display()
            )));
        }
        into.insert(name, value);
    }
    Ok(())
}

fn merge(into: &mut DynamicConfig, from: DynamicConfig, file: &Path) -> Result<(), StandaloneError> {
    merge_map(&mut into.http.routers, from.http.routers, "http.routers", file)?;
    merge_map(&mut into.http.services, from.http.services, "http.services", file)?;
    merge_map(&mut into.http.middlewares, from.http.middlewares, "http.middlewares", file)?;
    merge_map(&mut into.tcp.routers, from.tcp.routers, "tcp.routers", file)?;
    merge_map(&mut into.tcp.services, from.tcp.services, "tcp.services", file)?;
    merge_map(&mut into.tls.options, from.tls.options, "tls.options", file)?;
    merge_map(&mut into.tls.stores, from.tls.stores, "tls.stores", file)?;
    into.tls.certificates.extend(from.tls.certificates);
    Ok(())
}
