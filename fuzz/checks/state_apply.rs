//! Raft entries applied by the state machine: applying is refused (a `Refused` response) or
//! done, never a panic; two replicas applying the same entries to the same state agree on
//! every answer and every record; and every record the state machine wrote reads back.
//!
//! Input: JSON, a Raft entry's payload (`Request`) or an array of them, applied in order on
//! top of [`BASE`] in a write transaction that is then thrown away, so each input starts from
//! the same state. An apply that fails (a storage error, which stops Raft on the node) ends
//! the input.

use heed::{Env, RoTxn};
use traefikee_node::state::{apply, Request, Response, SmDb, StateView};
use traefikee_pki::TokenRole;

/// A small cluster still bootstrapping: three controllers (the first the bootstrap node), a
/// data node, an operator credential, a pending one-time credential, a configuration and a
/// revoked serial.
pub const BASE: &str = r#"[
 {"actor":"bootstrap","at":1700000000000,"origin":{"kind":"system","what":"bootstrap"},"command":{"InitCluster":{
  "cluster":{"id":"fuzzcluster00000000000000","name":"fuzz","created_at":1700000000000,
   "ca":{"cert_pem":"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n","key_pem":"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"},
   "bootstrap":{"bootstrap_node":1,"control_nodes":3}},
  "control":{"role":"control","token":"tkee1.control.0123456789abcdef.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.0707070707070707070707070707070707070707070707070707070707070707","created_at":1700000000000},
  "data":{"role":"data","token":"tkee1.data.fedcba9876543210.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA.0707070707070707070707070707070707070707070707070707070707070707","created_at":1700000000000},
  "node":{"id":1,"name":"c1","kind":"controller","address":"10.0.0.1:4242","api_address":"10.0.0.1:8443","joined_at":1700000000000,"cert_serial":"c1"},
  "enrollment":{"id":"e0","serial":"0e","created_at":1700000000000,"consumed":null,"not_after":1800000000000,"created_by":"bootstrap"}}}},
 {"actor":"join","at":1700000001000,"origin":{"kind":"system","what":"join"},"command":{"AddNode":{"node":{"id":2,"name":"c2","kind":"controller","address":"10.0.0.2:4242","api_address":null,"joined_at":1700000001000,"cert_serial":"c2","key_sha256":"22"},"token_id":"0123456789abcdef"}}},
 {"actor":"join","at":1700000002000,"origin":{"kind":"system","what":"join"},"command":{"AddNode":{"node":{"id":3,"name":"c3","kind":"controller","address":"10.0.0.3:4242","api_address":null,"joined_at":1700000002000,"cert_serial":"c3"},"token_id":"0123456789abcdef"}}},
 {"actor":"join","at":1700000003000,"origin":{"kind":"system","what":"join"},"command":{"AddNode":{"node":{"id":16,"name":"p1","kind":"proxy","address":"10.0.1.1:443","api_address":null,"joined_at":1700000003000,"cert_serial":"p1","key_sha256":"16"},"token_id":"fedcba9876543210"}}},
 {"actor":"enrollment e0","at":1700000004000,"origin":{"kind":"enrollment","id":"e0","serial":"0e"},"command":{"ExchangeEnrollment":{"enrollment":"e0","credential":{"serial":"a1","name":"admin","created_at":1700000004000,"not_after":1800000000000,"enrollment":"e0","revoked":null,"key_sha256":"a1"}}}},
 {"actor":"operator admin","at":1700000005000,"origin":{"kind":"operator","name":"admin","serial":"a1"},"command":{"CreateEnrollment":{"id":"e1","serial":"1e","created_at":1700000005000,"consumed":null,"for_name":"bob","not_after":1800000000000,"created_by":"operator admin","revoked":null}}},
 {"actor":"operator admin","at":1700000006000,"origin":{"kind":"operator","name":"admin","serial":"a1"},"command":{"Deploy":{"document":"{\"entryPoints\":{\"web\":{\"address\":\":80\"}}}","summary":"1 entry points"}},"request_id":"00000000000000000000000000000001"},
 {"actor":"operator admin","at":1700000007000,"origin":{"kind":"operator","name":"admin","serial":"a1"},"command":{"Revoke":{"serials":["dead"]}}}
]"#;

/// What applying some entries gave: each answer (or storage error), then every record.
type Outcome = (Vec<Result<Response, String>>, Vec<(String, Vec<u8>)>);

pub struct StateMachine {
    env: Env,
    db: SmDb,
    _dir: tempfile::TempDir,
}

impl Default for StateMachine {
    fn default() -> Self {
        Self::new()
    }
}

impl StateMachine {
    /// A state machine that applied [`BASE`].
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // SAFETY: one environment, opened once, in a directory nothing else uses.
        #[allow(unsafe_code)]
        let env = unsafe { heed::EnvOpenOptions::new().map_size(1 << 30).max_dbs(1).open(dir.path()) }
            .expect("an LMDB environment");
        let mut txn = env.write_txn().expect("a write transaction");
        let db: SmDb = env.create_database(&mut txn, Some("state")).expect("the state database");
        let base: Vec<Request> = serde_json::from_str(BASE).expect("the base entries decode");
        for req in &base {
            let answer = apply(db, &mut txn, req).expect("the base entries apply");
            assert!(!matches!(answer, Response::Refused(_)), "a base entry was refused: {answer:?}");
        }
        txn.commit().expect("commit the base state");
        StateMachine { env, db, _dir: dir }
    }

    /// Whether the input decoded as entries.
    pub fn check(&mut self, data: &[u8]) -> bool {
        let requests = match serde_json::from_slice::<Vec<Request>>(data) {
            Ok(requests) => requests,
            Err(_) => match serde_json::from_slice::<Request>(data) {
                Ok(request) => vec![request],
                Err(_) => return false,
            },
        };
        let first = self.apply_and_forget(&requests);
        let second = self.apply_and_forget(&requests);
        assert!(first == second, "two replicas applying the same entries disagree:\n{first:?}\n{second:?}");
        true
    }

    /// The answers and the records after applying `requests` on the base state; nothing is
    /// kept.
    fn apply_and_forget(&self, requests: &[Request]) -> Outcome {
        let mut txn = self.env.write_txn().expect("a write transaction");
        let mut answers = Vec::new();
        for req in requests {
            let answer = apply(self.db, &mut txn, req).map_err(|e| e.to_string());
            let failed = answer.is_err();
            answers.push(answer);
            if failed {
                break;
            }
        }
        reads_back(self.db, &txn);
        let records = self
            .db
            .iter(&txn)
            .expect("iterate the state")
            .map(|item| item.map(|(k, v)| (k.to_owned(), v.to_vec())).expect("read a record"))
            .collect();
        txn.abort();
        (answers, records)
    }
}

/// Every typed read of the state succeeds: no entry may leave a record controllers cannot
/// read.
fn reads_back(db: SmDb, txn: &RoTxn<'_>) {
    let v = StateView::new(db, txn);
    let fail = |what: &str, e: &dyn std::fmt::Display| -> ! { panic!("the state has an unreadable {what}: {e}") };
    let cluster = v.cluster().unwrap_or_else(|e| fail("cluster record", &e));
    assert!(cluster.is_some(), "the cluster record is gone");
    for role in [TokenRole::Control, TokenRole::Data] {
        v.token(role).unwrap_or_else(|e| fail("token", &e));
    }
    v.nodes().unwrap_or_else(|e| fail("node", &e));
    v.config_version().unwrap_or_else(|e| fail("configuration version", &e));
    v.config().unwrap_or_else(|e| fail("configuration", &e));
    v.enrollments().unwrap_or_else(|e| fail("enrollment", &e));
    v.credentials().unwrap_or_else(|e| fail("credential", &e));
    v.audit(usize::MAX).unwrap_or_else(|e| fail("audit record", &e));
}
