//! The seed of a cluster that an installer creates before any node runs.
//!
//! `traefikeectl install --kubernetes` must put the join tokens and a one-time API credential
//! into Secrets when it applies the manifests, before the first controller exists. So the
//! installer makes the cluster's identity itself: a CA, the tokens pinned to it, and a
//! one-time credential signed by it, written as a backup archive (gzip, no passphrase) that
//! the first controller bootstraps from (`traefikee bootstrap --archivepath`). From an
//! existing backup (`install --archivepath`), the cluster keeps its identity, tokens,
//! credentials and configuration, and a fresh one-time credential is added.

use std::collections::BTreeMap;

use traefikee_backup::{Backup, WriteOptions};
use traefikee_pki::{CaBundle, Identity, Role, TokenRole, Validity};

use crate::{keys, now_ms, ClusterRecord, EnrollmentRecord, TokenRecord};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SeedError(String);

fn err<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> SeedError + '_ {
    move |e| SeedError(format!("{what}: {e}"))
}

/// A cluster ready to be started: the archive its first controller bootstraps from, and the
/// secrets that go with it.
#[derive(Clone)]
pub struct Seed {
    pub cluster_id: String,
    pub cluster_name: String,
    /// A gzip backup archive, without a passphrase.
    pub archive: Vec<u8>,
    pub control_token: String,
    pub data_token: String,
    /// The one-time API credential: the CA, a certificate of role enrollment, its key (PEM).
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seed")
            .field("cluster_id", &self.cluster_id)
            .field("cluster_name", &self.cluster_name)
            .field("archive_bytes", &self.archive.len())
            .finish_non_exhaustive()
    }
}

/// A new cluster named `name`: a new id, CA and tokens.
pub fn new_cluster(name: &str, created_by: &str) -> Result<Seed, SeedError> {
    let id = crate::new_cluster_id();
    let ca = CaBundle::generate(name, &id).map_err(err("creating the CA"))?;
    let (control, data) = crate::new_tokens(&ca).map_err(err("creating the join tokens"))?;
    let cluster = ClusterRecord { id, name: name.to_owned(), created_at: now_ms(), ca, bootstrap: None };
    let mut records = BTreeMap::new();
    records.insert(keys::CLUSTER.to_owned(), json(&cluster)?);
    records.insert(keys::token(TokenRole::Control), json(&control)?);
    records.insert(keys::token(TokenRole::Data), json(&data)?);
    finish(cluster, records, created_by)
}

/// The cluster a backup holds, with a fresh one-time credential added. The archive was read
/// (and its integrity checked) by `traefikee_backup`; here its records must make a cluster.
pub fn from_backup(backup: &Backup, created_by: &str) -> Result<Seed, SeedError> {
    let cluster = archived_cluster(backup)?;
    for role in [TokenRole::Control, TokenRole::Data] {
        if decode::<TokenRecord>(backup, &keys::token(role))?.is_none() {
            return Err(SeedError(format!("the archive holds no {role} token: it cannot start a cluster")));
        }
    }
    finish(cluster, backup.records.clone(), created_by)
}

fn finish(
    mut cluster: ClusterRecord,
    mut records: BTreeMap<String, Vec<u8>>,
    created_by: &str,
) -> Result<Seed, SeedError> {
    cluster.bootstrap = None;
    records.insert(keys::CLUSTER.to_owned(), json(&cluster)?);
    let token = |role| -> Result<String, SeedError> {
        let bytes = records.get(&keys::token(role)).ok_or_else(|| SeedError(format!("no {role} token")))?;
        serde_json::from_slice::<TokenRecord>(bytes).map(|t| t.token).map_err(err("reading a join token"))
    };
    let (control_token, data_token) = (token(TokenRole::Control)?, token(TokenRole::Data)?);

    let enrollment_id = hex::encode(rand::random::<[u8; 8]>());
    let (cert, key_pem) = cluster
        .ca
        .issue_with_new_key(&Identity::new(&cluster.id, Role::Enrollment, &enrollment_id), Validity::OPERATOR)
        .map_err(err("issuing the one-time API credential"))?;
    let enrollment = EnrollmentRecord {
        id: enrollment_id.clone(),
        serial: cert.serial.clone(),
        created_at: now_ms(),
        consumed: None,
        for_name: None,
        not_after: cert.not_after.unix_timestamp() * 1000,
        created_by: created_by.to_owned(),
        revoked: None,
    };
    records.insert(keys::enrollment(&enrollment_id), json(&enrollment)?);

    let backup = Backup::new(&cluster.id, &cluster.name, env!("CARGO_PKG_VERSION"), 0, records);
    let archive = traefikee_backup::to_bytes(&backup, &WriteOptions { gzip: true, ..WriteOptions::default() })
        .map_err(err("writing the seed archive"))?;
    Ok(Seed {
        cluster_id: cluster.id,
        cluster_name: cluster.name,
        archive,
        control_token,
        data_token,
        ca_pem: cluster.ca.cert_pem,
        cert_pem: cert.cert_pem,
        key_pem,
    })
}

/// The cluster record an archive holds, checked against its manifest.
pub fn archived_cluster(backup: &Backup) -> Result<ClusterRecord, SeedError> {
    let cluster: ClusterRecord = decode(backup, keys::CLUSTER)?
        .ok_or_else(|| SeedError("the archive holds no cluster record: it is not a backup of a cluster".into()))?;
    if cluster.id != backup.manifest.cluster_id {
        return Err(SeedError(format!(
            "the archive's manifest names cluster {} but its cluster record is cluster {}",
            backup.manifest.cluster_id, cluster.id
        )));
    }
    crate::names::check_cluster_name(&cluster.name).map_err(|e| SeedError(format!("the archive's {e}")))?;
    Ok(cluster)
}

fn json<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, SeedError> {
    serde_json::to_vec(value).map_err(err("encoding a record"))
}

fn decode<T: serde::de::DeserializeOwned>(backup: &Backup, key: &str) -> Result<Option<T>, SeedError> {
    backup
        .records
        .get(key)
        .map(|b| {
            serde_json::from_slice(b).map_err(|e| SeedError(format!("record `{key}` of the archive is not valid: {e}")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use traefikee_pki::{inspect_cert_pem, JoinToken};

    #[test]
    fn a_new_seed_is_an_archive_of_one_cluster_with_its_tokens_and_credential() {
        let seed = new_cluster("prod", "test").unwrap();
        let backup = traefikee_backup::read_bytes(&seed.archive, None).unwrap();
        assert_eq!(backup.manifest.cluster_id, seed.cluster_id);
        let cluster: ClusterRecord = decode(&backup, keys::CLUSTER).unwrap().unwrap();
        assert_eq!((cluster.name.as_str(), cluster.ca.cert_pem.as_str()), ("prod", seed.ca_pem.as_str()));

        let pin = cluster.ca.pin().unwrap();
        for (role, text) in [(TokenRole::Control, &seed.control_token), (TokenRole::Data, &seed.data_token)] {
            let token: JoinToken = text.parse().unwrap();
            assert_eq!((token.role, token.ca_pin), (role, pin));
        }
        let info = inspect_cert_pem(&seed.cert_pem).unwrap();
        assert_eq!(
            (info.identity.role, info.identity.cluster_id.as_str()),
            (Role::Enrollment, seed.cluster_id.as_str())
        );
        let enrollment: EnrollmentRecord =
            decode(&backup, &keys::enrollment(&info.identity.id)).unwrap().expect("the enrollment record");
        assert_eq!(enrollment.serial, info.serial);
        assert!(enrollment.consumed.is_none() && enrollment.revoked.is_none());
        assert!(!format!("{seed:?}").contains("PRIVATE KEY"));
    }

    #[test]
    fn a_seed_from_a_backup_keeps_the_cluster_and_adds_a_credential() {
        let first = new_cluster("prod", "test").unwrap();
        let backup = traefikee_backup::read_bytes(&first.archive, None).unwrap();
        let again = from_backup(&backup, "test").unwrap();
        assert_eq!(
            (&again.cluster_id, &again.control_token, &again.data_token, &again.ca_pem),
            (&first.cluster_id, &first.control_token, &first.data_token, &first.ca_pem)
        );
        assert_ne!(again.cert_pem, first.cert_pem);
        let records = traefikee_backup::read_bytes(&again.archive, None).unwrap().records;
        assert_eq!(records.keys().filter(|k| k.starts_with(keys::ENROLLMENT_PREFIX)).count(), 2);
    }

    #[test]
    fn a_backup_without_tokens_is_refused() {
        let seed = new_cluster("prod", "test").unwrap();
        let mut backup = traefikee_backup::read_bytes(&seed.archive, None).unwrap();
        backup.records.remove(&keys::token(TokenRole::Data));
        let e = from_backup(&backup, "test").unwrap_err().to_string();
        assert!(e.contains("no data token"), "{e}");
        backup.records.remove(keys::CLUSTER);
        let e = from_backup(&backup, "test").unwrap_err().to_string();
        assert!(e.contains("no cluster record"), "{e}");
    }
}
