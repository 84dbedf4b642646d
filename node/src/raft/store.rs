//! Raft log, vote and state machine in one LMDB environment (heed).
//!
//! Durability: LMDB syncs on every commit, so `save_vote` and `append` return only once the
//! data is on disk, which Raft's safety needs (a node must not forget a vote or an
//! acknowledged entry). The state machine commits `last_applied` in the same transaction as
//! the records a command changed, so a restart never applies an entry twice nor loses one.
//! Blocking LMDB writes run on tokio's blocking pool. Internal functions return the small
//! [`StateError`]; it becomes openraft's `StorageError` at the trait boundary.

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

use super::{Entry, LogId, NodeId, Snapshot, SnapshotMeta, StorageError, StoredMembership, TypeConfig, Vote};
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

/// The directory inside a state dir that holds the LMDB files.
pub const RAFT_DIR: &str = "raft";

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

fn storage_err(subject: ErrorSubject<NodeId>, verb: ErrorVerb) -> impl FnOnce(StateError) -> StorageError {
    move |e| StorageIOError::new(subject, verb, AnyError::new(&e)).into()
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

fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, StateError> {
    serde_json::from_slice(bytes).map_err(|source| StateError::Codec { key: key.into(), source })
}

fn encode<T: Serialize>(key: &str, value: &T) -> Result<Vec<u8>, StateError> {
    serde_json::to_vec(value).map_err(|source| StateError::Codec { key: key.into(), source })
}

impl Db {
    /// Opens (creating if needed) the environment under `dir`.
    pub fn open(dir: &Path) -> Result<Db, heed::Error> {
        std::fs::create_dir_all(dir)?;
        // SAFETY: heed requires that the same environment is not opened twice in one process
        // and that the files are not modified from outside. Each node has its own state dir,
        // and the state dir's lock (see `statedir`) keeps a second process away.
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
        let applied = db.applied_state().ok().and_then(|(l, _)| l).map(|l| l.index).unwrap_or(0);
        db.applied.send_replace(applied);
        Ok(db)
    }

    /// Reads the replicated state in one consistent read transaction.
    pub fn read<T>(&self, f: impl FnOnce(&StateView<'_>) -> Result<T, StateError>) -> Result<T, StateError> {
        let txn = self.env.read_txn()?;
        let view = StateView::new(self.sm, &txn);
        f(&view)
    }

    /// The records whose key `keep` accepts, with the index of the last applied entry they
    /// reflect: one read transaction, so one committed state.
    pub fn export(
        &self,
        keep: impl Fn(&str) -> bool,
    ) -> Result<(u64, std::collections::BTreeMap<String, Vec<u8>>), StateError> {
        let txn = self.env.read_txn()?;
        let index = get_meta::<LogId>(self.meta, &txn, LAST_APPLIED)?.map(|l| l.index).unwrap_or(0);
        let mut records = std::collections::BTreeMap::new();
        for item in self.sm.iter(&txn)? {
            let (key, value) = item?;
            if keep(key) {
                records.insert(key.to_owned(), value.to_vec());
            }
        }
        Ok((index, records))
    }

    /// `traefikee recover`: makes `me` (at `addr`) the only voter of the cluster, for a
    /// cluster that lost its quorum for good (etcd's `--force-new-cluster`, Consul's
    /// `peers.json`). Offline, on a stopped node: appends a membership entry naming only this
    /// node, at a term above any this node has seen, and votes for itself at that term. On its
    /// next start the node elects itself and commits that entry, with every entry before it
    /// in its log (even ones the lost majority never committed). Returns the entry's index.
    pub fn force_single_voter(&self, me: NodeId, addr: &str) -> Result<u64, StateError> {
        let mut txn = self.env.write_txn()?;
        let vote: Option<Vote> = get_meta(self.meta, &txn, VOTE)?;
        let last = match self.log.last(&txn)? {
            Some((index, bytes)) => Some(decode::<Entry>(&format!("log/{index}"), bytes)?.log_id),
            None => {
                get_meta::<LogId>(self.meta, &txn, LAST_PURGED)?.or(get_meta::<LogId>(self.meta, &txn, LAST_APPLIED)?)
            }
        };
        let term = vote.map(|v| v.leader_id().term).unwrap_or(0).max(last.map(|l| l.leader_id.term).unwrap_or(0)) + 1;
        let index = last.map(|l| l.index + 1).unwrap_or(0);
        let membership = openraft::Membership::new(
            vec![std::collections::BTreeSet::from([me])],
            std::collections::BTreeMap::from([(me, super::NodeAddr { addr: addr.to_string() })]),
        );
        let entry = Entry {
            log_id: LogId::new(openraft::CommittedLeaderId::new(term, me), index),
            payload: EntryPayload::Membership(membership),
        };
        self.log.put(&mut txn, &index, &encode("log", &entry)?)?;
        put_meta(self.meta, &mut txn, VOTE, &Vote::new(term, me))?;
        txn.commit()?;
        Ok(index)
    }

    /// Index of the last applied entry; changes are announced here.
    pub fn applied(&self) -> watch::Receiver<u64> {
        self.applied.subscribe()
    }

    /// Waits up to `timeout` until the entry at `index` is applied; whether it was.
    pub async fn applied_at_least(&self, index: u64, timeout: std::time::Duration) -> bool {
        let mut applied = self.applied();
        tokio::time::timeout(timeout, applied.wait_for(|a| *a >= index)).await.is_ok_and(|r| r.is_ok())
    }

    /// Opens both halves of the Raft storage.
    pub fn raft_storage(&self) -> (LogStore, StateMachine) {
        (LogStore { db: self.clone() }, StateMachine { db: self.clone() })
    }

    /// Runs `f` in a write transaction on the blocking pool and commits (which syncs).
    async fn write<T, F>(&self, f: F) -> Result<T, StateError>
    where
        T: Send + 'static,
        F: FnOnce(&Db, &mut RwTxn<'_>) -> Result<T, StateError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut txn = db.env.write_txn()?;
            let out = f(&db, &mut txn)?;
            txn.commit()?;
            Ok(out)
        })
        .await
        .map_err(|e| StateError::Task(e.to_string()))?
    }

    fn entries(&self, start: Bound<u64>, end: Bound<u64>) -> Result<Vec<Entry>, StateError> {
        let txn = self.env.read_txn()?;
        let mut out = Vec::new();
        for item in self.log.range(&txn, &(start, end))? {
            let (index, bytes) = item?;
            out.push(decode(&format!("log/{index}"), bytes)?);
        }
        Ok(out)
    }

    fn log_state(&self) -> Result<LogState<TypeConfig>, StateError> {
        let txn = self.env.read_txn()?;
        let last_purged_log_id: Option<LogId> = get_meta(self.meta, &txn, LAST_PURGED)?;
        let last_log_id = match self.log.last(&txn)? {
            Some((index, bytes)) => Some(decode::<Entry>(&format!("log/{index}"), bytes)?.log_id),
            None => last_purged_log_id,
        };
        Ok(LogState { last_purged_log_id, last_log_id })
    }

    fn applied_state(&self) -> Result<(Option<LogId>, StoredMembership), StateError> {
        let txn = self.env.read_txn()?;
        Ok((get_meta(self.meta, &txn, LAST_APPLIED)?, get_meta(self.meta, &txn, LAST_MEMBERSHIP)?.unwrap_or_default()))
    }

    fn current_snapshot(&self) -> Result<Option<Snapshot>, StateError> {
        let txn = self.env.read_txn()?;
        let meta: Option<SnapshotMeta> = get_meta(self.meta, &txn, SNAPSHOT_META)?;
        let data = self.meta.get(&txn, SNAPSHOT_DATA)?;
        Ok(match (meta, data) {
            (Some(meta), Some(data)) => Some(Snapshot { meta, snapshot: Box::new(Cursor::new(data.to_vec())) }),
            _ => None,
        })
    }
}

/// The Raft log and vote.
#[derive(Clone, Debug)]
pub struct LogStore {
    db: Db,
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, StorageError> {
        self.db
            .entries(range.start_bound().cloned(), range.end_bound().cloned())
            .map_err(storage_err(ErrorSubject::Logs, ErrorVerb::Read))
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, StorageError> {
        self.db.log_state().map_err(storage_err(ErrorSubject::Logs, ErrorVerb::Read))
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), StorageError> {
        let vote = *vote;
        // The commit syncs: the vote is on disk before we answer anyone.
        self.db
            .write(move |db, txn| put_meta(db.meta, txn, VOTE, &vote))
            .await
            .map_err(storage_err(ErrorSubject::Vote, ErrorVerb::Write))
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, StorageError> {
        let read = || -> Result<_, StateError> {
            let txn = self.db.env.read_txn()?;
            get_meta(self.db.meta, &txn, VOTE)
        };
        read().map_err(storage_err(ErrorSubject::Vote, ErrorVerb::Read))
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let encoded: Result<Vec<(u64, Vec<u8>)>, StateError> =
            entries.into_iter().map(|e| encode("log", &e).map(|b| (e.log_id.index, b))).collect();
        let result = match encoded {
            // The commit syncs: entries are durable before Raft counts them as accepted.
            Ok(encoded) => {
                self.db
                    .write(move |db, txn| {
                        for (index, bytes) in &encoded {
                            db.log.put(txn, index, bytes)?;
                        }
                        Ok(())
                    })
                    .await
            }
            Err(e) => Err(e),
        };
        match &result {
            Ok(()) => callback.log_io_completed(Ok(())),
            Err(e) => callback.log_io_completed(Err(std::io::Error::other(e.to_string()))),
        }
        result.map_err(storage_err(ErrorSubject::Logs, ErrorVerb::Write))
    }

    async fn truncate(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.db
            .write(move |db, txn| Ok(db.log.delete_range(txn, &(log_id.index..)).map(|_| ())?))
            .await
            .map_err(storage_err(ErrorSubject::Logs, ErrorVerb::Delete))
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), StorageError> {
        self.db
            .write(move |db, txn| {
                // One transaction: the purge point and the deletion land together.
                put_meta(db.meta, txn, LAST_PURGED, &log_id)?;
                db.log.delete_range(txn, &(..=log_id.index))?;
                Ok(())
            })
            .await
            .map_err(storage_err(ErrorSubject::Logs, ErrorVerb::Delete))
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

fn build_snapshot(db: &Db, txn: &mut RwTxn<'_>) -> Result<Snapshot, StateError> {
    let last_log_id: Option<LogId> = get_meta(db.meta, txn, LAST_APPLIED)?;
    let last_membership: StoredMembership = get_meta(db.meta, txn, LAST_MEMBERSHIP)?.unwrap_or_default();
    let mut records = Vec::new();
    for item in db.sm.iter(txn)? {
        let (key, value) = item?;
        records.push((key.to_string(), decode(key, value)?));
    }
    let data = encode("snapshot", &SnapshotRecords { records })?;
    let seq = get_meta::<u64>(db.meta, txn, SNAPSHOT_SEQ)?.unwrap_or(0) + 1;
    let snapshot_id = match last_log_id {
        Some(l) => format!("{}-{}-{seq}", l.leader_id, l.index),
        None => format!("empty-{seq}"),
    };
    let meta = SnapshotMeta { last_log_id, last_membership, snapshot_id };
    put_meta(db.meta, txn, SNAPSHOT_SEQ, &seq)?;
    put_meta(db.meta, txn, SNAPSHOT_META, &meta)?;
    db.meta.put(txn, SNAPSHOT_DATA, &data)?;
    Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(data)) })
}

fn install_snapshot(db: &Db, txn: &mut RwTxn<'_>, meta: &SnapshotMeta, data: &[u8]) -> Result<(), StateError> {
    let parsed: SnapshotRecords = decode("snapshot", data)?;
    db.sm.clear(txn)?;
    for (key, value) in &parsed.records {
        db.sm.put(txn, key, &encode(key, value)?)?;
    }
    put_meta(db.meta, txn, LAST_APPLIED, &meta.last_log_id)?;
    put_meta(db.meta, txn, LAST_MEMBERSHIP, &meta.last_membership)?;
    put_meta(db.meta, txn, SNAPSHOT_META, meta)?;
    db.meta.put(txn, SNAPSHOT_DATA, data)?;
    Ok(())
}

fn apply_entries(db: &Db, txn: &mut RwTxn<'_>, entries: &[Entry]) -> Result<Vec<Response>, StateError> {
    let mut responses = Vec::with_capacity(entries.len());
    for entry in entries {
        put_meta(db.meta, txn, LAST_APPLIED, &entry.log_id)?;
        responses.push(match &entry.payload {
            EntryPayload::Blank => Response::Done,
            EntryPayload::Normal(req) => state::apply(db.sm, txn, req)?,
            EntryPayload::Membership(m) => {
                put_meta(db.meta, txn, LAST_MEMBERSHIP, &StoredMembership::new(Some(entry.log_id), m.clone()))?;
                Response::Done
            }
        });
    }
    Ok(responses)
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot, StorageError> {
        self.db.write(build_snapshot).await.map_err(storage_err(ErrorSubject::Snapshot(None), ErrorVerb::Write))
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<(Option<LogId>, StoredMembership), StorageError> {
        self.db.applied_state().map_err(storage_err(ErrorSubject::StateMachine, ErrorVerb::Read))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Response>, StorageError>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let entries: Vec<Entry> = entries.into_iter().collect();
        let last = entries.last().map(|e| e.log_id.index);
        let responses = self
            .db
            .write(move |db, txn| apply_entries(db, txn, &entries))
            .await
            .map_err(storage_err(ErrorSubject::StateMachine, ErrorVerb::Write))?;
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
        let index = meta.last_log_id.map(|l| l.index).unwrap_or(0);
        let signature = meta.signature();
        let meta = meta.clone();
        let data = snapshot.into_inner();
        self.db
            .write(move |db, txn| install_snapshot(db, txn, &meta, &data))
            .await
            .map_err(storage_err(ErrorSubject::Snapshot(Some(signature)), ErrorVerb::Write))?;
        self.db.applied.send_replace(index);
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot>, StorageError> {
        self.db.current_snapshot().map_err(storage_err(ErrorSubject::Snapshot(None), ErrorVerb::Read))
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
            let db = Db::open(dir.path())
                .map_err(|e| storage_err(ErrorSubject::Store, ErrorVerb::Read)(StateError::Lmdb(e)))?;
            let (log, sm) = db.raft_storage();
            Ok((dir, log, sm))
        }
    }

    /// A command whose origin's credential was revoked by an earlier entry changes nothing,
    /// whichever controller proposed it (issue 12: a forwarded write is re-authorized in log
    /// order, not by the proposer's memory).
    #[test]
    fn a_command_from_a_revoked_credential_changes_nothing() {
        use crate::state::{apply, Command, Origin, RefusalKind, Request, Response};
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(dir.path()).expect("open");
        let bob = Origin::Operator { name: "bob".into(), serial: "0abc".into() };
        let deploy = || Command::Deploy { document: "{}".into(), summary: "s".into(), base: None };
        let mut txn = db.env.write_txn().expect("txn");
        let enrollment = crate::state::EnrollmentRecord {
            id: "e1".into(),
            serial: "0e".into(),
            created_at: 0,
            consumed: None,
            for_name: Some("bob".into()),
            not_after: i64::MAX,
            created_by: "local socket".into(),
            revoked: None,
        };
        let root = Origin::Local { node: "c1".into() };
        let create = Command::CreateEnrollment(enrollment);
        assert_eq!(apply(db.sm, &mut txn, &Request::new(root.clone(), create)).unwrap(), Response::Done);
        let credential = crate::state::CredentialRecord {
            serial: "0abc".into(),
            name: "bob".into(),
            created_at: 0,
            not_after: i64::MAX,
            enrollment: "e1".into(),
            revoked: None,
            key_sha256: None,
        };
        let exchange = Command::ExchangeEnrollment { enrollment: "e1".into(), credential };
        let by_enrollment = Origin::Enrollment { id: "e1".into(), serial: "0e".into() };
        assert_eq!(apply(db.sm, &mut txn, &Request::new(by_enrollment, exchange)).unwrap(), Response::Done);
        assert_eq!(
            apply(db.sm, &mut txn, &Request::new(bob.clone(), deploy())).unwrap(),
            Response::Deployed { version: 1 }
        );

        // A forged origin (a credential the cluster never issued) changes nothing.
        let forged = Origin::Operator { name: "admin".into(), serial: "01".into() };
        match apply(db.sm, &mut txn, &Request::new(forged, deploy())).unwrap() {
            Response::Refused(r) => assert!(r.message.contains("was not issued by this cluster"), "{}", r.message),
            other => panic!("a forged origin's deploy applied: {other:?}"),
        }
        let revoke = Command::Revoke { serials: vec!["0abc".into()] };
        assert_eq!(apply(db.sm, &mut txn, &Request::new(root, revoke)).unwrap(), Response::Done);
        match apply(db.sm, &mut txn, &Request::new(bob, deploy())).unwrap() {
            Response::Refused(r) => {
                assert_eq!(r.kind, RefusalKind::Unauthorized);
                assert!(r.message.contains("operator bob (0abc) has been revoked"), "{}", r.message);
            }
            other => panic!("a revoked operator's deploy applied: {other:?}"),
        }
        txn.commit().expect("commit");
        assert_eq!(db.read(|v| v.config_version()).unwrap(), 1);
        let audit = db.read(|v| v.audit(10)).unwrap();
        assert_eq!(audit.iter().filter(|a| a.action == "config.deploy").count(), 1);
        assert!(audit.iter().any(|a| a.action == "config.deploy" && a.actor == "operator bob"), "{audit:?}");
    }

    /// A write sent again after its answer was lost (same request id) applies once and gets
    /// the first answer; ids are forgotten ten minutes (by the entries' clocks) later.
    #[test]
    fn a_request_id_applies_once() {
        use crate::state::{apply, keys, Command, Origin, Request, Response};
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(dir.path()).expect("open");
        let root = Origin::Local { node: "c1".into() };
        let deploy = |id: &str, at: i64| {
            let mut r =
                Request::new(root.clone(), Command::Deploy { document: "{}".into(), summary: "s".into(), base: None })
                    .with_request_id(Some(id.into()));
            r.at = at;
            r
        };
        let mut txn = db.env.write_txn().expect("txn");
        assert_eq!(apply(db.sm, &mut txn, &deploy("a", 1_000)).unwrap(), Response::Deployed { version: 1 });
        assert_eq!(apply(db.sm, &mut txn, &deploy("b", 2_000)).unwrap(), Response::Deployed { version: 2 });
        // The retry of "a", after "b": the first answer, nothing applied.
        assert_eq!(apply(db.sm, &mut txn, &deploy("a", 3_000)).unwrap(), Response::Deployed { version: 1 });
        // Without an id, every entry applies.
        let plain =
            Request::new(root.clone(), Command::Deploy { document: "{}".into(), summary: "s".into(), base: None });
        assert_eq!(apply(db.sm, &mut txn, &plain).unwrap(), Response::Deployed { version: 3 });
        // Eleven minutes on, "a" and "b" are forgotten, "c" is remembered.
        assert_eq!(apply(db.sm, &mut txn, &deploy("c", 661_000)).unwrap(), Response::Deployed { version: 4 });
        txn.commit().expect("commit");
        let txn = db.env.read_txn().expect("txn");
        let left: Vec<String> =
            db.sm.prefix_iter(&txn, "request").unwrap().map(|item| item.unwrap().0.to_string()).collect();
        assert_eq!(left, vec![keys::request_at(661_000, "c"), keys::request("c")]);
    }

    /// openraft's own conformance suite, on our LMDB store.
    #[test]
    fn openraft_storage_suite() {
        if let Err(e) = Suite::test_all(LmdbBuilder) {
            panic!("openraft storage suite failed: {e}");
        }
    }
}
