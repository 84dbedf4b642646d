//! Backups of the replicated state, and the checks a restore makes before anything changes.
//!
//! A backup holds what a cluster cannot regenerate: its identity and CA (`cluster`), the
//! join tokens, the deployed configuration, and the credential state (operator
//! credentials, one-time credentials, revocations). It never holds node records (membership
//! and node identities belong to the machines) nor the audit trail. The archive format and
//! its integrity checks are `traefikee-backup`'s; this module decides what goes in and what
//! a restore may do with it.

use traefikee_apiserver::types::{BackupOrigin, RestoreResult};
use traefikee_apiserver::ApiError;
use traefikee_backup::{Backup, WriteOptions};
use traefikee_pki::TokenRole;
use traefikee_proxy::config::{load_document, Format};

use crate::controller::{internal, Controller};
use crate::state::{
    keys, ClusterRecord, ConfigRecord, CredentialRecord, EnrollmentRecord, Restore, RestoredConfig, TokenRecord,
    UnixMillis,
};

/// Whether a state record belongs in a backup.
pub fn included(key: &str) -> bool {
    key == keys::CLUSTER
        || key == keys::CONFIG
        || key == keys::CONFIG_VERSION
        || [
            keys::TOKEN_PREFIX,
            keys::ENROLLMENT_PREFIX,
            keys::CREDENTIAL_PREFIX,
            keys::REVOKED_PREFIX,
            keys::ISSUED_PREFIX,
        ]
        .iter()
        .any(|p| key.starts_with(p))
}

/// The state this controller has applied, as a plain archive.
pub fn export(c: &Controller) -> Result<Vec<u8>, ApiError> {
    let (index, mut records) = c.db.export(included)?;
    let cluster_bytes = records
        .get(keys::CLUSTER)
        .ok_or_else(|| ApiError::unavailable("this node has not received the cluster state yet"))?;
    let mut cluster: ClusterRecord = serde_json::from_slice(cluster_bytes).map_err(internal)?;
    if cluster.bootstrap.take().is_some() {
        // A bootstrap in progress is about the machines of that moment, not the cluster.
        records.insert(keys::CLUSTER.into(), serde_json::to_vec(&cluster).map_err(internal)?);
    }
    let backup = Backup::new(&cluster.id, &cluster.name, traefikee_apiserver::VERSION, index, records);
    traefikee_backup::to_bytes(&backup, &WriteOptions::default()).map_err(internal)
}

/// Reads a plain archive sent to the API; every integrity check of the format runs here.
pub fn read_archive(bytes: &[u8]) -> Result<Backup, ApiError> {
    traefikee_backup::read_bytes(bytes, None).map_err(|e| {
        ApiError::invalid(format!("the archive was refused: {e}"))
            .with_hint("nothing was changed; check the file with `traefikeectl backup inspect FILE`")
    })
}

fn refused(message: String) -> ApiError {
    ApiError::invalid(message).with_hint("nothing was changed")
}

fn decode<T: serde::de::DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| refused(format!("record `{key}` of the archive is not valid: {e}")))
}

/// The cluster record an archive holds, checked against its manifest.
pub fn archived_cluster(backup: &Backup) -> Result<ClusterRecord, ApiError> {
    traefikee_records::seed::archived_cluster(backup).map_err(|e| refused(e.to_string()))
}

/// What restoring `backup` into the cluster `current` does, checked in full: nothing is
/// returned unless every record reads and the configuration validates. From another
/// cluster (allowed with `force`) only the configuration is restored: its tokens and
/// credentials belong to the other cluster's CA.
pub fn plan(backup: &Backup, current: &ClusterRecord, force: bool) -> Result<(Restore, RestoreResult), ApiError> {
    let m = &backup.manifest;
    let archived = archived_cluster(backup)?;
    let same = archived.id == current.id;
    if !same && !force {
        return Err(ApiError::conflict(format!(
            "the archive is a backup of cluster {} ({}), not of this cluster {} ({})",
            archived.name, archived.id, current.name, current.id
        ))
        .with_hint(
            "nothing was changed; pass --force to restore its configuration here (its tokens and credentials belong to the other cluster and stay out)",
        ));
    }
    if same && archived.ca.cert_pem != current.ca.cert_pem {
        return Err(refused(format!(
            "the archive names this cluster ({}) but holds another CA: it was not written by this cluster",
            current.id
        )));
    }
    let mut restore = Restore {
        source: format!(
            "backup of {} ({}) taken {} at index {}",
            m.cluster_name, m.cluster_id, m.created_at, m.raft_index
        ),
        config: None,
        keep_version: false,
        tokens: None,
        enrollments: Vec::new(),
        credentials: Vec::new(),
        revoked: Vec::new(),
        issued: Vec::new(),
    };
    let mut control = None;
    let mut data = None;
    for (key, bytes) in &backup.records {
        match key.as_str() {
            keys::CLUSTER | keys::CONFIG_VERSION => {}
            keys::CONFIG => {
                let record: ConfigRecord = decode(key, bytes)?;
                let doc = load_document(&record.document, Format::Json).map_err(|e| {
                    refused(format!("the archive's configuration (version {}) is invalid: {e}", record.version))
                })?;
                restore.config = Some(RestoredConfig {
                    document: record.document,
                    summary: crate::deploy::summary(&doc),
                    version: record.version,
                });
            }
            k if k == keys::token(TokenRole::Control) => control = Some(decode::<TokenRecord>(key, bytes)?),
            k if k == keys::token(TokenRole::Data) => data = Some(decode::<TokenRecord>(key, bytes)?),
            k if k.starts_with(keys::ENROLLMENT_PREFIX) => {
                restore.enrollments.push(decode::<EnrollmentRecord>(key, bytes)?);
            }
            k if k.starts_with(keys::CREDENTIAL_PREFIX) => {
                restore.credentials.push(decode::<CredentialRecord>(key, bytes)?);
            }
            k if k.starts_with(keys::REVOKED_PREFIX) => {
                let at: UnixMillis = decode(key, bytes)?;
                restore.revoked.push((k[keys::REVOKED_PREFIX.len()..].to_owned(), at));
            }
            k if k.starts_with(keys::ISSUED_PREFIX) => {
                let marker: traefikee_records::Issued = decode(key, bytes)?;
                restore.issued.push((k[keys::ISSUED_PREFIX.len()..].to_owned(), marker));
            }
            other => {
                return Err(refused(format!(
                    "the archive holds a record this version does not know (`{other}`): it was written by traefikee {}",
                    m.tool_version
                )))
            }
        }
    }
    let tokens = match (control, data) {
        (Some(c), Some(d)) => Some((c, d)),
        (None, None) => None,
        _ => return Err(refused("the archive holds one join token but not the other".into())),
    };
    if same {
        restore.tokens = tokens;
    } else {
        restore.enrollments.clear();
        restore.credentials.clear();
        restore.revoked.clear();
        restore.issued.clear();
    }
    let result = RestoreResult {
        from: BackupOrigin {
            cluster_id: m.cluster_id.clone(),
            cluster_name: m.cluster_name.clone(),
            created_at: m.created_at.clone(),
            raft_index: m.raft_index,
            tool_version: m.tool_version.clone(),
        },
        dry_run: false,
        version: None,
        config: restore.config.as_ref().map(|c| c.summary.clone()),
        tokens: restore.tokens.is_some(),
        credentials: restore.enrollments.len() + restore.credentials.len(),
        revocations: restore.revoked.len(),
    };
    Ok((restore, result))
}
