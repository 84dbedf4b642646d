//! Raft log, vote and state machine in one LMDB environment (heed).
//!
//! Durability: LMDB syncs on every commit, so `save_vote` and `append` return only once the
//! data is on disk, which Raft's safety needs (a node must not forget a vote or an
//! acknowledged entry). The state machine commits `last_applied` in the same transaction as
//! the records a command changed, so a restart never applies an entry twice nor loses one.
//! Blocking LMDB writes run on tokio's blocking pool.

use std::fmt::Debug;
use std::io::Cursor;
use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::Arc;

use heed::byteorder::BigEndian;
use heed::types::{Bytes, Str, U64};
use heed::{Database, Env, EnvOpenOptions, RoTxn, RwTxn, WithoutTls};
use openraft::storage::{LogFlushed, LogState, RaftLogStorage, RaftStateMachine};
use openraft::{
    AnyError, EntryPayload, ErrorSubject, ErrorVerb, OptionalSend, RaftLogReader, RaftSnapshotBuilder, StorageIOError,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::{Entry, LogId, Snapshot, SnapshotMeta, StorageError, StoredMembership, TypeConfig, Vote};
use crate::state::{self, Response, SmDb, StateError, StateView};

type LogDb = Database<U64<BigEndian>, Bytes>;
type MetaDb = Database<Str, Bytes>;

const VOTE: &str = "vote";
const LAST_PURGED: &str = "last_purged";
const LAST_APPLIED: &str = "sm/last_applied";
const LAST_MEMBERSHIP: &str = "sm/last_membership";
const SNAPSHOT_META: &str = "snapshot/meta";
const SNAPSHOT_DATA: &str = "snapshot/data";
const SNAPSHOT_SEQ: &str = "snapshot/seq";

/// The node's LMDB environment and its databases. Cheap to clone.
#[derive(Clone)]
pub struct Db {
    env: Env<WithoutTls>,
    log: LogDb,
    meta: MetaDb,
    sm: SmDb,
    applied: Arc<watch::Sender<u64>>,
}

impl Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("path", &self.env.path()).finish()
    }
}

/// The directory inside a state dir that holds the LMDB files.
pub const RAFT_DIR: &str = "raft";

impl Db {
    /// Opens (creating if needed) the environment under `dir`.
    pub fn open(dir: &Path) -> Result<Db, heed::Error> {
        std::fs::create_dir_all(dir)?;
        // SAFETY: heed requires that the same environment is not opened twice in one process
        // and that the files are not modified from outside. Each node has its own state dir,
        // and the node's lock file (see `statedir`) keeps a second process away.
        #[allow(unsafe_code)]
        let env = unsafe {
            EnvOpenOptions::new().read_txn_without_tls().map_size(4 << 30).max_dbs(4).max_readers(256).open(dir)?
        };
        let mut wtxn = env.write_txn()?;
        let log = env.create_database(&mut wtxn, Some("log"))?;
        let meta = env.create_database(&mut wtxn, Some("meta"))?;
        let sm = env.create_database(&mut wtxn, Some("state"))?;
        wtxn.commit()?;
        let db = Db { env, log, meta, sm, applied: Arc::new(watch::channel(0).0) };
        let applied = db.last_applied_index().unwrap_or(0);
        db.applied.send_replace(applied);
        Ok(db)
    }

    /// Reads the replicated state in one consistent read transaction.
    pub fn read<T>(&self, f: impl FnOnce(&StateView<'_>) -> Result<T, StateError>) -> Result<T, StateError> {
        let txn = self.env.read_txn()?;
        let view = StateView::new(self.sm, &txn);
        f(&view)
    }

    /// Index of the last applied entry; changes are announced on [`Db::applied`].
    pub fn applied(&self) -> watch::Receiver<u64> {
        self.applied.subscribe()
    }

    fn last_applied_index(&self) -> Result<u64, StateError> {
        let txn = self.env.read_txn()?;
        Ok(get_meta::<LogId>(self.meta, &txn, LAST_APPLIED).ok().flatten().map(|l| l.index).unwrap_or(0))
    }

    /// Runs a blocking closure on the blocking pool.
    async fn blocking<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&Db) -> Result<T, StorageError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || f(&db)).await.map_err(|e| StorageIOError::write(AnyError::new(&e)))?
    }

    /// Opens both halves of the Raft storage.
    pub fn raft_storage(&self) -> (LogStore, StateMachine) {
        (LogStore { db: self.clone() }, StateMachine { db: self.clone() })
    }
}

fn io_err(subject: ErrorSubject<u64>, verb: ErrorVerb, e: impl std::error::Error + 'static) -> StorageError {
    StorageIOError::new(subject, verb, AnyError::new(&e)).into()
}

fn get_meta<T: DeserializeOwned>(meta: MetaDb, txn: &RoTxn<'_>, key: &str) -> Result<Option<T>, StateError> {
    match meta.get(txn, key)? {
        None => Ok(None),
        Some(b) => serde_json::from_slice(b).map(Some).map_err(|source| StateError::Codec { key: key.into(), source }),
    }
}

fn put_meta<T: Serialize>(meta: MetaDb, txn: &mut RwTxn<'_>, key: &str, value: &T) -> Result<(), StateError> {
    let bytes = serde_json::to_vec(value).map_err(|source| StateError::Codec { key: key.into(), source })?;
    meta.put(txn, key, &bytes)?;
    Ok(())
}

/// The Raft log and vote.
#[derive(Clone, Debug)]
pub struct LogStore {
    db: Db,
}

fn read_entries(db: &Db, start: Bound<u64>, end: Bound<u64>) -> Result<Vec<Entry>, StorageError> {
    let err = |e: &dyn std::error::Error| StorageError::from(StorageIOError::read_logs(AnyError::error(e.to_string())));
    let txn = db.env.read_txn().map_err(|e| err(&e))?;
    let mut out = Vec::new();
    for item in db.log.range(&txn, &(start, end)).map_err(|e| err(&e))? {
        let (_, bytes) = item.map_err(|e| err(&e))?;
        out.push(serde_json::from_slice(bytes).map_err(|e| err(&e))?);
    }
    Ok(out)
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        read_entries(&self.db, range.start_bound().cloned(), range.end_bound().cloned())
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        let db = &self.db;
        let read =
            |e: &dyn std::error::Error| StorageError::from(StorageIOError::read_logs(AnyError::error(e.to_string())));
        let txn = db.env.read_txn().map_err(|e| read(&e))?;
        let last_purged_log_id: Option<LogId> = get_meta(db.meta, &txn, LAST_PURGED).map_err(|e| read(&e))?;
        let last = match db.log.last(&txn).map_err(|e| read(&e))? {
            Some((_, bytes)) => Some(serde_json::from_slice::<Entry>(bytes).map_err(|e| read(&e))?.log_id),
            None => last_purged_log_id,
        };
        Ok(LogState { last_purged_log_id, last_log_id: last })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        let vote = *vote;
        self.db
            .blocking(move |db| {
                let w = |e: &dyn std::error::Error| {
                    StorageError::from(StorageIOError::write_vote(AnyError::error(e.to_string())))
                };
                let mut txn = db.env.write_txn().map_err(|e| w(&e))?;
                put_meta(db.meta, &mut txn, VOTE, &vote).map_err(|e| w(&e))?;
                // Commit syncs: the vote is on disk before we answer anyone.
                txn.commit().map_err(|e| w(&e))
            })
            .await
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        let txn = self.db.env.read_txn().map_err(|e| io_err(ErrorSubject::Vote, ErrorVerb::Read, e))?;
        get_meta(self.db.meta, &txn, VOTE).map_err(|e| io_err(ErrorSubject::Vote, ErrorVerb::Read, e))
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let encoded: Result<Vec<(u64, Vec<u8>)>, _> =
            entries.into_iter().map(|e| serde_json::to_vec(&e).map(|b| (e.log_id.index, b))).collect();
        let encoded = encoded.map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Write, e))?;
        let result = self
            .db
            .blocking(move |db| {
                let w = |e: heed::Error| io_err(ErrorSubject::Logs, ErrorVerb::Write, e);
                let mut txn = db.env.write_txn().map_err(w)?;
                for (index, bytes) in &encoded {
                    db.log.put(&mut txn, index, bytes).map_err(w)?;
                }
                // Commit syncs: entries are durable before Raft counts them as accepted.
                txn.commit().map_err(w)
            })
            .await;
        match &result {
            Ok(()) => callback.log_io_completed(Ok(())),
            Err(e) => callback.log_io_completed(Err(std::io::Error::other(e.to_string()))),
        }
        result
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.db
            .blocking(move |db| {
                let w = |e: heed::Error| io_err(ErrorSubject::Logs, ErrorVerb::Delete, e);
                let mut txn = db.env.write_txn().map_err(w)?;
                db.log.delete_range(&mut txn, &(log_id.index..)).map_err(w)?;
                txn.commit().map_err(w)
            })
            .await
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.db
            .blocking(move |db| {
                let w = |e: &dyn std::error::Error| {
                    io_err(ErrorSubject::Logs, ErrorVerb::Delete, AnyError::error(e.to_string()))
                };
                let mut txn = db.env.write_txn().map_err(|e| w(&e))?;
                // Record the purge point first so the log state stays right even if the range
                // delete is interrupted: both happen in this one transaction anyway.
                put_meta(db.meta, &mut txn, LAST_PURGED, &log_id).map_err(|e| w(&e))?;
                db.log.delete_range(&mut txn, &(..=log_id.index)).map_err(|e| w(&e))?;
                txn.commit().map_err(|e| w(&e))
            })
            .await
    }
}

/// The state machine: applies entries to the replicated state and builds snapshots of it.
#[derive(Clone, Debug)]
pub struct StateMachine {
    db: Db,
}

/// A snapshot is every record of the state machine.
#[derive(Serialize, Deserialize)]
struct SnapshotRecords {
    records: Vec<(String, serde_json::Value)>,
}

impl StateMachine {
    fn read_current_snapshot(&self) -> Result<Option<Snapshot>, StorageError> {
        let r = |e: &dyn std::error::Error| {
            StorageError::from(StorageIOError::read_snapshot(None, AnyError::error(e.to_string())))
        };
        let txn = self.db.env.read_txn().map_err(|e| r(&e))?;
        let meta: Option<SnapshotMeta> = get_meta(self.db.meta, &txn, SNAPSHOT_META).map_err(|e| r(&e))?;
        let data = self.db.meta.get(&txn, SNAPSHOT_DATA).map_err(|e| r(&e))?;
        Ok(match (meta, data) {
            (Some(meta), Some(data)) => Some(Snapshot { meta, snapshot: Box::new(Cursor::new(data.to_vec())) }),
            _ => None,
        })
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot, StorageError> {
        self.db
            .blocking(|db| {
                let e = |e: &dyn std::error::Error| {
                    StorageError::from(StorageIOError::write_snapshot(None, AnyError::error(e.to_string())))
                };
                let mut txn = db.env.write_txn().map_err(|x| e(&x))?;
                let last_applied: Option<LogId> = get_meta(db.meta, &txn, LAST_APPLIED).map_err(|x| e(&x))?;
                let last_membership: StoredMembership =
                    get_meta(db.meta, &txn, LAST_MEMBERSHIP).map_err(|x| e(&x))?.unwrap_or_default();
                let mut records = Vec::new();
                for item in db.sm.iter(&txn).map_err(|x| e(&x))? {
                    let (k, v) = item.map_err(|x| e(&x))?;
                    records.push((k.to_string(), serde_json::from_slice(v).map_err(|x| e(&x))?));
                }
                let data = serde_json::to_vec(&SnapshotRecords { records }).map_err(|x| e(&x))?;
                let seq = get_meta::<u64>(db.meta, &txn, SNAPSHOT_SEQ).map_err(|x| e(&x))?.unwrap_or(0) + 1;
                let snapshot_id = match last_applied {
                    Some(l) => format!("{}-{}-{seq}", l.leader_id, l.index),
                    None => format!("empty-{seq}"),
                };
                let meta = SnapshotMeta { last_log_id: last_applied, last_membership, snapshot_id };
                put_meta(db.meta, &mut txn, SNAPSHOT_SEQ, &seq).map_err(|x| e(&x))?;
                put_meta(db.meta, &mut txn, SNAPSHOT_META, &meta).map_err(|x| e(&x))?;
                db.meta.put(&mut txn, SNAPSHOT_DATA, &data).map_err(|x| e(&x))?;
                txn.commit().map_err(|x| e(&x))?;
                Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(data)) })
            })
            .await
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        let r = |e: &dyn std::error::Error| {
            StorageError::from(StorageIOError::read_state_machine(AnyError::error(e.to_string())))
        };
        let txn = self.db.env.read_txn().map_err(|e| r(&e))?;
        let applied = get_meta(self.db.meta, &txn, LAST_APPLIED).map_err(|e| r(&e))?;
        let membership = get_meta(self.db.meta, &txn, LAST_MEMBERSHIP).map_err(|e| r(&e))?.unwrap_or_default();
        Ok((applied, membership))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Response>, StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let entries: Vec<Entry> = entries.into_iter().collect();
        let (responses, last) = self
            .db
            .blocking(move |db| {
                let w = |e: &dyn std::error::Error| {
                    StorageError::from(StorageIOError::write_state_machine(AnyError::error(e.to_string())))
                };
                let mut txn = db.env.write_txn().map_err(|e| w(&e))?;
                let mut responses = Vec::with_capacity(entries.len());
                let mut last = None;
                for entry in &entries {
                    put_meta(db.meta, &mut txn, LAST_APPLIED, &entry.log_id).map_err(|e| w(&e))?;
                    last = Some(entry.log_id.index);
                    responses.push(match &entry.payload {
                        EntryPayload::Blank => Response::Done,
                        EntryPayload::Normal(req) => state::apply(db.sm, &mut txn, req).map_err(|e| w(&e))?,
                        EntryPayload::Membership(m) => {
                            let stored = StoredMembership::new(Some(entry.log_id), m.clone());
                            put_meta(db.meta, &mut txn, LAST_MEMBERSHIP, &stored).map_err(|e| w(&e))?;
                            Response::Done
                        }
                    });
                }
                txn.commit().map_err(|e| w(&e))?;
                Ok((responses, last))
            })
            .await?;
        if let Some(index) = last {
            self.db.applied.send_replace(index);
        }
        Ok(responses)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, StorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &SnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), StorageError> {
        let meta = meta.clone();
        let data = snapshot.into_inner();
        let index = meta.last_log_id.map(|l| l.index).unwrap_or(0);
        self.db
            .blocking(move |db| {
                let sig = Some(meta.signature());
                let w = |e: &dyn std::error::Error| {
                    StorageError::from(StorageIOError::write_snapshot(sig.clone(), AnyError::error(e.to_string())))
                };
                let parsed: SnapshotRecords = serde_json::from_slice(&data).map_err(|e| w(&e))?;
                let mut txn = db.env.write_txn().map_err(|e| w(&e))?;
                db.sm.clear(&mut txn).map_err(|e| w(&e))?;
                for (key, value) in &parsed.records {
                    let bytes = serde_json::to_vec(value).map_err(|e| w(&e))?;
                    db.sm.put(&mut txn, key, &bytes).map_err(|e| w(&e))?;
                }
                put_meta(db.meta, &mut txn, LAST_APPLIED, &meta.last_log_id).map_err(|e| w(&e))?;
                put_meta(db.meta, &mut txn, LAST_MEMBERSHIP, &meta.last_membership).map_err(|e| w(&e))?;
                put_meta(db.meta, &mut txn, SNAPSHOT_META, &meta).map_err(|e| w(&e))?;
                db.meta.put(&mut txn, SNAPSHOT_DATA, &data).map_err(|e| w(&e))?;
                txn.commit().map_err(|e| w(&e))
            })
            .await?;
        self.db.applied.send_replace(index);
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, StorageError> {
        self.read_current_snapshot()
    }
}

#[cfg(test)]
mod tests {
    use openraft::testing::{StoreBuilder, Suite};

    use super::*;

    struct LmdbBuilder;

    impl StoreBuilder<TypeConfig, LogStore, StateMachine, tempfile::TempDir> for LmdbBuilder {
        async fn build(&self) -> Result<(tempfile::TempDir, LogStore, StateMachine), StorageError> {
            let dir = tempfile::tempdir().expect("tempdir");
            let db = Db::open(dir.path()).map_err(|e| io_err(ErrorSubject::Store, ErrorVerb::Read, e))?;
            let (log, sm) = db.raft_storage();
            Ok((dir, log, sm))
        }
    }

    /// openraft's own conformance suite, on our LMDB store.
    #[test]
    fn openraft_storage_suite() -> Result<(), StorageError> {
        Suite::test_all(LmdbBuilder)
    }
}
