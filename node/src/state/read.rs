use heed::types::{Bytes, Str};
use heed::{RoTxn, RwTxn};
use serde::de::DeserializeOwned;
use serde::Serialize;
use traefikee_pki::TokenRole;

use super::{
    keys, AuditRecord, ClusterRecord, ConfigRecord, CredentialRecord, EnrollmentRecord, NodeRecord, ProviderRecord,
    TokenRecord,
};

/// The state machine database: string keys, JSON values.
pub type SmDb = heed::Database<Str, Bytes>;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("LMDB: {0}")]
    Lmdb(#[from] heed::Error),
    #[error("corrupt record {key:?}: {source}")]
    Codec { key: String, source: serde_json::Error },
    #[error("storage task failed: {0}")]
    Task(String),
}

pub(crate) fn get<T: DeserializeOwned>(db: SmDb, txn: &RoTxn<'_>, key: &str) -> Result<Option<T>, StateError> {
    match db.get(txn, key)? {
        None => Ok(None),
        Some(bytes) => {
            serde_json::from_slice(bytes).map(Some).map_err(|source| StateError::Codec { key: key.to_string(), source })
        }
    }
}

pub(crate) fn put<T: Serialize>(db: SmDb, txn: &mut RwTxn<'_>, key: &str, value: &T) -> Result<(), StateError> {
    let bytes = serde_json::to_vec(value).map_err(|source| StateError::Codec { key: key.to_string(), source })?;
    db.put(txn, key, &bytes)?;
    Ok(())
}

/// Typed reads of the state, in one consistent LMDB read transaction.
pub struct StateView<'t> {
    db: SmDb,
    txn: &'t RoTxn<'t>,
}

impl<'t> StateView<'t> {
    pub fn new(db: SmDb, txn: &'t RoTxn<'t>) -> Self {
        StateView { db, txn }
    }

    pub fn cluster(&self) -> Result<Option<ClusterRecord>, StateError> {
        get(self.db, self.txn, keys::CLUSTER)
    }

    pub fn token(&self, role: TokenRole) -> Result<Option<TokenRecord>, StateError> {
        get(self.db, self.txn, &keys::token(role))
    }

    pub fn node(&self, id: u64) -> Result<Option<NodeRecord>, StateError> {
        get(self.db, self.txn, &keys::node(id))
    }

    pub fn nodes(&self) -> Result<Vec<NodeRecord>, StateError> {
        self.prefix(keys::NODE_PREFIX)
    }

    pub fn node_by_name(&self, name: &str) -> Result<Option<NodeRecord>, StateError> {
        Ok(self.nodes()?.into_iter().find(|n| n.name == name))
    }

    /// The deployed version alone (0 before the first deploy), without reading the document.
    pub fn config_version(&self) -> Result<u64, StateError> {
        Ok(get(self.db, self.txn, keys::CONFIG_VERSION)?.unwrap_or(0))
    }

    /// How many times the providers' configurations changed.
    pub fn providers_version(&self) -> Result<u64, StateError> {
        Ok(get(self.db, self.txn, keys::PROVIDERS_VERSION)?.unwrap_or(0))
    }

    pub fn config(&self) -> Result<Option<ConfigRecord>, StateError> {
        get(self.db, self.txn, keys::CONFIG)
    }

    pub fn provider(&self, name: &str) -> Result<Option<ProviderRecord>, StateError> {
        get(self.db, self.txn, &keys::provider(name))
    }

    /// Every provider's record, by name.
    pub fn providers(&self) -> Result<Vec<ProviderRecord>, StateError> {
        self.prefix(keys::PROVIDER_PREFIX)
    }

    pub fn enrollment(&self, id: &str) -> Result<Option<EnrollmentRecord>, StateError> {
        get(self.db, self.txn, &keys::enrollment(id))
    }

    pub fn enrollments(&self) -> Result<Vec<EnrollmentRecord>, StateError> {
        self.prefix(keys::ENROLLMENT_PREFIX)
    }

    pub fn credential(&self, serial: &str) -> Result<Option<CredentialRecord>, StateError> {
        get(self.db, self.txn, &keys::credential(serial))
    }

    pub fn credentials(&self) -> Result<Vec<CredentialRecord>, StateError> {
        self.prefix(keys::CREDENTIAL_PREFIX)
    }

    pub fn is_revoked(&self, serial: &str) -> Result<bool, StateError> {
        Ok(self.db.get(self.txn, &keys::revoked(serial))?.is_some())
    }

    /// The newest `limit` audit records, oldest first.
    pub fn audit(&self, limit: usize) -> Result<Vec<AuditRecord>, StateError> {
        let mut out = Vec::new();
        for item in self.db.rev_prefix_iter(self.txn, keys::AUDIT_PREFIX)? {
            let (key, bytes) = item?;
            out.push(
                serde_json::from_slice(bytes).map_err(|source| StateError::Codec { key: key.to_string(), source })?,
            );
            if out.len() == limit {
                break;
            }
        }
        out.reverse();
        Ok(out)
    }

    fn prefix<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<T>, StateError> {
        let mut out = Vec::new();
        for item in self.db.prefix_iter(self.txn, prefix)? {
            let (key, bytes) = item?;
            out.push(
                serde_json::from_slice(bytes).map_err(|source| StateError::Codec { key: key.to_string(), source })?,
            );
        }
        Ok(out)
    }
}
