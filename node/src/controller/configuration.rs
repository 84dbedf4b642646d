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
    pub async fn deploy(&self, caller: &Caller, req: DeployRequest) -> Result<DeployResult, ApiError> {
        let current = self.db.read(|v| v.config())?;
        let dry_run = req.dry_run;
        let (document, summary) = self.parse(move || crate::deploy::build(current.as_ref(), &req)).await?;
        if dry_run {
            return Ok(DeployResult { version: None, dry_run: true, summary });
        }
        let version =
            self.write(self.origin_of(caller), Command::Deploy { document, summary: summary.clone() }).await?;
        Ok(DeployResult { version, dry_run: false, summary })
    }

    /// The deployed configuration, as this controller has it.
    pub fn deployed_config(&self) -> Result<DeployedConfig, ApiError> {
        let rec = self.db.read(|v| v.config())?.ok_or_else(|| {
            ApiError::not_found("no configuration is deployed yet").with_hint("deploy one with `traefikeectl deploy`")
        })?;
        Ok(DeployedConfig {
            version: rec.version,
            deployed_at: state::rfc3339(rec.deployed_at),
            deployed_by: rec.deployed_by,
            summary: rec.summary,
            document: serde_json::from_str(&rec.document).map_err(internal)?,
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
