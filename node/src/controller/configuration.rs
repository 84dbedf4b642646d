//! The routing configuration: documents parsed and validated off the async runtime, one at a
//! time, then deployed (or restored from a backup) through Raft; the deployed configuration;
//! backups.

use std::sync::Arc;

use traefikee_apiserver::types::{DeployRequest, DeployResult, DeployedConfig, RestoreQuery, RestoreResult};
use traefikee_apiserver::{ApiError, Caller};

use super::{internal, Controller};
use crate::state::{self, Command};

impl Controller {
    /// Runs a parse or validation of a configuration on the blocking pool, one at a time.
    pub async fn parse<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        // The permit goes with the work: a caller that gives up does not free the place of
        // a parse that still runs.
        let turn = self.parsing.clone().acquire_owned().await.map_err(internal)?;
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            work()
        })
        .await
        .map_err(internal)?
    }

    /// Validates a configuration and, unless a dry run, commits it.
    ///
    /// It is validated merged with what the providers gave; if a provider changes before it
    /// commits, it is validated again with the providers' new configurations (a few times,
    /// then the caller is told to retry).
    pub async fn deploy(&self, caller: &Caller, req: DeployRequest) -> Result<DeployResult, ApiError> {
        const ATTEMPTS: u32 = 5;
        let dry_run = req.dry_run;
        for attempt in 0.. {
            let (base, current, records) =
                self.db.read(|v| Ok((v.providers_version()?, v.config()?, v.providers()?)))?;
            let req = req.clone();
            let (document, summary) = self
                .parse(move || {
                    let parts = crate::deploy::provider_parts(&records)?;
                    crate::deploy::build(current.as_ref(), &req, &parts)
                })
                .await?;
            if dry_run {
                return Ok(DeployResult { version: None, dry_run: true, summary });
            }
            let command = Command::Deploy { document, summary: summary.clone(), base: Some(base) };
            match self.write_attempt(self.origin_of(caller), command, attempt).await {
                Err(e) if e.message == state::MOVED_ON && attempt + 1 < ATTEMPTS => continue,
                Err(e) if e.message == state::MOVED_ON => {
                    return Err(e.with_hint("the providers are changing the configuration right now: deploy again"))
                }
                Err(e) => return Err(e),
                Ok(version) => return Ok(DeployResult { version, dry_run: false, summary }),
            }
        }
        unreachable!("the loop returns")
    }

    /// The configuration proxies run: its version and the deployed document merged with what
    /// the providers it enables gave. Merged once per version and kept.
    pub async fn running_config(&self) -> Result<Option<(u64, Arc<String>)>, ApiError> {
        let (version, config, records) = self.db.read(|v| Ok((v.config_version()?, v.config()?, v.providers()?)))?;
        // Without providers the deployed document goes as it is (no parse on the way). With
        // them, proxies get the merged document without the `providers` section: the stores'
        // credentials stay on the controllers. (The test is on our own JSON; a false positive
        // only costs a merge.)
        let configures_providers = config.as_ref().is_some_and(|c| c.document.contains("\"providers\":"));
        if records.iter().all(|r| r.document.is_none()) && !configures_providers {
            return Ok(config.map(|c| (version, Arc::new(c.document))));
        }
        if let Some((v, doc)) = self.merged.lock().map_err(internal)?.as_ref() {
            if *v == version {
                return Ok(Some((version, doc.clone())));
            }
        }
        let deployed = config.map(|c| c.document);
        let doc = self
            .parse(move || {
                let parts = crate::deploy::provider_parts(&records)?;
                crate::deploy::running_document(deployed.as_deref(), &parts)
            })
            .await?;
        let doc = Arc::new(doc);
        *self.merged.lock().map_err(internal)? = Some((version, doc.clone()));
        Ok(Some((version, doc)))
    }

    /// The deployed configuration, as this controller has it: the operators' document, with
    /// the version proxies run now.
    pub fn deployed_config(&self) -> Result<DeployedConfig, ApiError> {
        let (version, rec, records) = self.db.read(|v| Ok((v.config_version()?, v.config()?, v.providers()?)))?;
        let rec = rec.ok_or_else(|| {
            ApiError::not_found("no configuration is deployed yet").with_hint("deploy one with `traefikeectl deploy`")
        })?;
        Ok(DeployedConfig {
            version: version.max(rec.version),
            deployed_at: state::rfc3339(rec.deployed_at),
            deployed_by: rec.deployed_by,
            summary: rec.summary,
            document: redact(serde_json::from_str(&rec.document).map_err(internal)?),
            providers: records
                .into_iter()
                .filter_map(|r| Some((r.name, serde_json::from_str(r.document.as_deref()?))))
                .map(|(name, doc)| doc.map(|d| (name, d)))
                .collect::<Result<_, _>>()
                .map_err(internal)?,
        })
    }

    /// A plain backup archive of the replicated state at one committed index.
    pub async fn backup(self: &Arc<Self>, caller: &Caller) -> Result<Vec<u8>, ApiError> {
        let c = self.clone();
        let archive = tokio::task::spawn_blocking(move || crate::backup::export(&c)).await.map_err(internal)??;
        tracing::info!(actor = %caller.actor(), bytes = archive.len(), "backup taken");
        Ok(archive)
    }

    /// Checks a plain backup archive and, unless a dry run, restores it through Raft.
    pub async fn restore(
        &self,
        caller: &Caller,
        archive: Vec<u8>,
        query: RestoreQuery,
    ) -> Result<RestoreResult, ApiError> {
        let current = self.cluster_record()?;
        let (restore, mut result) = self
            .parse(move || {
                let backup = crate::backup::read_archive(&archive)?;
                crate::backup::plan(&backup, &current, query.force)
            })
            .await?;
        if query.dry_run {
            result.dry_run = true;
            return Ok(result);
        }
        result.version = self.write(self.origin_of(caller), Command::Restore(Box::new(restore))).await?;
        Ok(result)
    }
}

/// What `get config` shows of the stores' credentials (`providers.*.password`, `token`): that
/// they are set, not what they are. They stay in the replicated state and in backups.
pub const REDACTED: &str = "[redacted]";

fn redact(mut document: serde_json::Value) -> serde_json::Value {
    if let Some(providers) = document.get_mut("providers").and_then(|p| p.as_object_mut()) {
        for provider in providers.values_mut().filter_map(|p| p.as_object_mut()) {
            for secret in ["password", "token"] {
                if let Some(value) = provider.get_mut(secret) {
                    *value = serde_json::Value::String(REDACTED.into());
                }
            }
        }
    }
    document
}
