//! The state machine applied in process: each command on a fresh LMDB database, the state
//! read back through [`StateView`], and the refusals that must change nothing.
//!
//! The database is opened as `raft::store::Db::open` opens it (the same options, the `state`
//! database of its own environment); the fuzz target `state_apply` does the same, but its set-up
//! lives in another crate and names this one as `traefikee_node`, so it is mirrored here.

use std::collections::BTreeMap;

use heed::{Env, EnvOpenOptions, WithoutTls};
use traefikee_pki::{CaBundle, CaPin, JoinToken, TokenRole};

use super::read::get;
use super::*;

/// The time of the first entry; later entries add to it.
const T0: UnixMillis = 1_700_000_000_000;
const MINUTE: UnixMillis = 60_000;

/// A state machine database in a temporary directory.
struct Sm {
    env: Env<WithoutTls>,
    db: SmDb,
    _dir: tempfile::TempDir,
}

impl Sm {
    /// An empty state machine: no cluster yet.
    fn empty() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // SAFETY: one environment, opened once, in a directory nothing else uses.
        #[allow(unsafe_code)]
        let env = unsafe { EnvOpenOptions::new().read_txn_without_tls().map_size(1 << 30).max_dbs(4).open(dir.path()) }
            .expect("an LMDB environment");
        let mut txn = env.write_txn().expect("a write transaction");
        let db: SmDb = env.create_database(&mut txn, Some("state")).expect("the state database");
        txn.commit().expect("commit");
        Sm { env, db, _dir: dir }
    }

    /// A state machine that applied [`init_cluster`]: cluster `test`, control node `c1` (id 1,
    /// the bootstrap node of a 3-controller plan), one-time credential `e0` (serial `0e`).
    fn initialized() -> Self {
        let sm = Sm::empty();
        sm.done(&req(system("bootstrap"), Command::InitCluster(Box::new(init_cluster()))));
        sm
    }

    /// Applies one entry in its own committed transaction, as Raft applies entries.
    fn apply(&self, req: &Request) -> Response {
        let mut txn = self.env.write_txn().expect("a write transaction");
        let response = apply(self.db, &mut txn, req).expect("apply does not fail on storage");
        txn.commit().expect("commit");
        response
    }

    /// Applies an entry that must be done (and not deploy).
    fn done(&self, req: &Request) {
        assert_eq!(self.apply(req), Response::Done, "{:?}", req.command);
    }

    /// Applies an entry that must be refused with `kind`, and changes nothing; the message.
    fn refused(&self, req: &Request, kind: RefusalKind) -> String {
        let before = self.records();
        match self.apply(req) {
            Response::Refused(r) => {
                assert_eq!(r.kind, kind, "{}", r.message);
                assert_eq!(self.records(), before, "a refused {:?} changed the state", req.command);
                r.message
            }
            other => panic!("{:?} was not refused: {other:?}", req.command),
        }
    }

    fn read<T>(&self, f: impl FnOnce(&StateView<'_>) -> Result<T, StateError>) -> T {
        let txn = self.env.read_txn().expect("a read transaction");
        f(&StateView::new(self.db, &txn)).expect("the state reads")
    }

    /// Every record, by key.
    fn records(&self) -> BTreeMap<String, Vec<u8>> {
        let txn = self.env.read_txn().expect("a read transaction");
        let iter = self.db.iter(&txn).expect("iterate the state");
        iter.map(|item| item.map(|(k, v)| (k.to_owned(), v.to_vec())).expect("a record")).collect()
    }

    fn keys_under(&self, prefix: &str) -> Vec<String> {
        self.records().into_keys().filter(|k| k.starts_with(prefix)).collect()
    }

    fn issued(&self, serial: &str) -> Option<Issued> {
        let txn = self.env.read_txn().expect("a read transaction");
        get(self.db, &txn, &keys::issued(serial)).expect("the marker reads")
    }

    fn token(&self, role: TokenRole) -> TokenRecord {
        self.read(|v| v.token(role)).expect("a current token")
    }

    /// The id of the current join token of `role`, as a joining node presents it.
    fn token_id(&self, role: TokenRole) -> String {
        token_id(&self.token(role))
    }

    fn node_names(&self) -> Vec<String> {
        self.read(|v| v.nodes()).into_iter().map(|n| n.name).collect()
    }

    /// The actions of the whole audit trail, oldest first.
    fn audit_actions(&self) -> Vec<String> {
        self.read(|v| v.audit(usize::MAX)).into_iter().map(|a| a.action).collect()
    }

    /// Joins `node` with the current token of its kind.
    fn join(&self, node: &NodeRecord) {
        let role = match node.kind {
            NodeKind::Controller => TokenRole::Control,
            NodeKind::Proxy => TokenRole::Data,
        };
        let token_id = self.token_id(role);
        self.done(&req(system("join"), Command::AddNode { node: node.clone(), token_id }));
    }

    /// Creates a one-time credential for `name` and exchanges it for credential `serial`;
    /// the operator's origin.
    fn enroll(&self, name: &str, serial: &str) -> Origin {
        let e = enrollment(&format!("e-{name}"), &format!("es-{name}"), Some(name));
        self.done(&req(root(), Command::CreateEnrollment(e.clone())));
        let exchange =
            Command::ExchangeEnrollment { enrollment: e.id.clone(), credential: credential(serial, name, &e.id) };
        self.done(&req(Origin::Enrollment { id: e.id, serial: e.serial }, exchange));
        Origin::Operator { name: name.into(), serial: serial.into() }
    }
}

// ---- building entries and records ------------------------------------------------------

fn req(origin: Origin, command: Command) -> Request {
    req_at(T0, origin, command)
}

fn req_at(at: UnixMillis, origin: Origin, command: Command) -> Request {
    Request { actor: origin.actor(), at, origin: Some(origin), command, request_id: None }
}

fn with_id(id: &str, mut req: Request) -> Request {
    req.request_id = Some(id.into());
    req
}

fn root() -> Origin {
    Origin::Local { node: "c1".into() }
}

fn system(what: &str) -> Origin {
    Origin::system(what)
}

fn join_token(role: TokenRole) -> TokenRecord {
    TokenRecord { role, token: JoinToken::generate(role, CaPin([7; 32])).to_string(), created_at: T0 }
}

fn token_id(record: &TokenRecord) -> String {
    record.token.parse::<JoinToken>().expect("a well-formed token").id
}

fn tokens() -> (TokenRecord, TokenRecord) {
    (join_token(TokenRole::Control), join_token(TokenRole::Data))
}

fn node(id: u64, name: &str, kind: NodeKind) -> NodeRecord {
    NodeRecord {
        id,
        name: name.into(),
        kind,
        address: format!("10.0.0.{id}:4242"),
        api_address: None,
        joined_at: T0,
        cert_serial: format!("cert-{name}"),
        key_sha256: Some(format!("key-{name}")),
    }
}

fn controller(id: u64, name: &str) -> NodeRecord {
    node(id, name, NodeKind::Controller)
}

fn proxy(id: u64, name: &str) -> NodeRecord {
    node(id, name, NodeKind::Proxy)
}

fn enrollment(id: &str, serial: &str, for_name: Option<&str>) -> EnrollmentRecord {
    EnrollmentRecord {
        id: id.into(),
        serial: serial.into(),
        created_at: T0,
        consumed: None,
        for_name: for_name.map(str::to_string),
        not_after: T0 + 60 * MINUTE,
        created_by: "local socket".into(),
        revoked: None,
    }
}

fn credential(serial: &str, name: &str, enrollment: &str) -> CredentialRecord {
    CredentialRecord {
        serial: serial.into(),
        name: name.into(),
        created_at: T0,
        not_after: T0 + 365 * 24 * 60 * MINUTE,
        enrollment: enrollment.into(),
        revoked: None,
        key_sha256: None,
    }
}

fn cluster() -> ClusterRecord {
    ClusterRecord {
        id: "testcluster00000000000000".into(),
        name: "test".into(),
        created_at: T0,
        ca: CaBundle { cert_pem: "cert".into(), key_pem: "key".into() },
        bootstrap: Some(BootstrapPlan { bootstrap_node: 1, control_nodes: 3 }),
    }
}

fn init_cluster() -> InitCluster {
    let (control, data) = tokens();
    InitCluster {
        cluster: cluster(),
        control,
        data,
        node: controller(1, "c1"),
        enrollment: enrollment("e0", "0e", None),
    }
}

fn deploy(document: &str) -> Command {
    Command::Deploy { document: document.into(), summary: format!("{} bytes", document.len()), base: None }
}

fn restore() -> Restore {
    Restore {
        source: "backup of test taken earlier".into(),
        config: None,
        keep_version: false,
        tokens: None,
        enrollments: vec![],
        credentials: vec![],
        revoked: vec![],
        issued: vec![],
    }
}

fn restored_config(document: &str, version: u64) -> RestoredConfig {
    RestoredConfig { document: document.into(), summary: "restored".into(), version }
}

// ---- InitCluster -------------------------------------------------------------------------

#[test]
fn init_cluster_writes_the_cluster_tokens_first_node_and_enrollment() {
    let sm = Sm::empty();
    let init = init_cluster();
    sm.done(&req(system("bootstrap"), Command::InitCluster(Box::new(init.clone()))));

    assert_eq!(sm.read(|v| v.cluster()), Some(init.cluster.clone()));
    assert_eq!(sm.token(TokenRole::Control), init.control);
    assert_eq!(sm.token(TokenRole::Data), init.data);
    assert_eq!(sm.read(|v| v.nodes()), vec![init.node.clone()]);
    assert_eq!(sm.issued("cert-c1"), Some(Issued { node: 1, key_sha256: Some("key-c1".into()) }));
    assert_eq!(sm.read(|v| v.enrollment("e0")), Some(init.enrollment.clone()));
    assert_eq!(sm.read(|v| v.config_version()), 0);
    let audit = sm.read(|v| v.audit(10));
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!((audit[0].seq, audit[0].at, audit[0].actor.as_str()), (1, T0, "bootstrap"));
    assert_eq!(audit[0].action, "cluster.init");
    assert!(audit[0].detail.contains("cluster test (testcluster00000000000000) created by c1"), "{}", audit[0].detail);
}

#[test]
fn a_second_init_cluster_is_a_conflict_and_changes_nothing() {
    let sm = Sm::initialized();
    let mut other = init_cluster();
    other.cluster.id = "othercluster0000000000000".into();
    other.node = controller(7, "c7");
    let message = sm.refused(&req(system("bootstrap"), Command::InitCluster(Box::new(other))), RefusalKind::Conflict);
    assert!(message.contains("testcluster00000000000000 is already initialized"), "{message}");
}

#[test]
fn commands_that_need_a_cluster_are_refused_before_init() {
    let sm = Sm::empty();
    let token_id = token_id(&join_token(TokenRole::Control));
    sm.refused(&req(system("join"), Command::AddNode { node: controller(2, "c2"), token_id }), RefusalKind::Invalid);
    sm.refused(&req(system("bootstrap"), Command::FinishBootstrap), RefusalKind::Invalid);
    sm.refused(&req(root(), Command::Restore(Box::new(restore()))), RefusalKind::Invalid);
    assert!(sm.records().is_empty(), "{:?}", sm.records().keys());
}

// ---- AddNode ---------------------------------------------------------------------------

#[test]
fn add_node_with_the_current_token_joins_the_node() {
    let sm = Sm::initialized();
    let c2 = controller(2, "c2");
    let p1 = proxy(16, "p1");
    sm.join(&c2);
    sm.join(&p1);

    assert_eq!(sm.read(|v| v.node(2)), Some(c2));
    assert_eq!(sm.read(|v| v.node_by_name("p1")), Some(p1));
    assert_eq!(sm.node_names(), ["c1", "c2", "p1"]);
    assert_eq!(sm.issued("cert-p1"), Some(Issued { node: 16, key_sha256: Some("key-p1".into()) }));
    let audit = sm.read(|v| v.audit(2));
    assert_eq!(audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(), ["node.join", "node.join"]);
    assert!(audit[1].detail.starts_with("data node p1 (0000000000000010) joined from 10.0.0.16:4242"), "{audit:?}");
}

#[test]
fn add_node_with_a_stale_token_or_the_other_role_is_unauthorized() {
    let sm = Sm::initialized();
    let old_control = sm.token_id(TokenRole::Control);
    let data = sm.token_id(TokenRole::Data);

    // A controller presenting the data token id.
    let wrong_role = Command::AddNode { node: controller(2, "c2"), token_id: data };
    let message = sm.refused(&req(system("join"), wrong_role), RefusalKind::Unauthorized);
    assert!(message.contains("control node token was rotated while c2 was joining"), "{message}");

    // The control token rotated between the join's check and its entry.
    let (control, data) = tokens();
    sm.done(&req(root(), Command::RotateTokens { control, data }));
    let stale = Command::AddNode { node: controller(2, "c2"), token_id: old_control };
    sm.refused(&req(system("join"), stale), RefusalKind::Unauthorized);
    assert_eq!(sm.node_names(), ["c1"]);
}

#[test]
fn add_node_with_a_taken_name_or_id_is_a_conflict_and_the_same_record_is_a_no_op() {
    let sm = Sm::initialized();
    sm.join(&proxy(16, "p1"));
    let data = sm.token_id(TokenRole::Data);

    let same_name = Command::AddNode { node: proxy(17, "p1"), token_id: data.clone() };
    let message = sm.refused(&req(system("join"), same_name), RefusalKind::Conflict);
    assert!(message.contains("a node named \"p1\" is already in the cluster (id 0000000000000010)"), "{message}");

    let same_id = Command::AddNode { node: proxy(16, "p2"), token_id: data.clone() };
    let message = sm.refused(&req(system("join"), same_id), RefusalKind::Conflict);
    assert!(message.contains("node id 16 is already taken"), "{message}");

    // The same join applied again (a retried join): done, nothing written, not audited again.
    let before = sm.records();
    sm.done(&req(system("join"), Command::AddNode { node: proxy(16, "p1"), token_id: data }));
    assert_eq!(sm.records(), before);
    assert_eq!(sm.audit_actions(), ["cluster.init", "node.join"]);
}

#[test]
fn a_join_retried_with_the_same_key_gets_its_registration_back_with_a_new_certificate() {
    let sm = Sm::initialized();
    sm.join(&proxy(16, "p1"));
    let data = sm.token_id(TokenRole::Data);

    // Same id, name, kind, address and key; a new certificate (the first answer was lost).
    let again = NodeRecord { cert_serial: "cert-p1-again".into(), ..proxy(16, "p1") };
    sm.done(&req(system("join"), Command::AddNode { node: again.clone(), token_id: data.clone() }));
    assert_eq!(sm.node_names(), ["c1", "p1"]);
    assert!(sm.issued("cert-p1-again").is_some(), "the new certificate is the node's");
    assert_eq!(sm.audit_actions(), ["cluster.init", "node.join", "node.rejoin"]);

    // Another key under the same id and name is someone else: refused.
    let other_key =
        NodeRecord { key_sha256: Some("key-mallory".into()), cert_serial: "cert-m".into(), ..proxy(16, "p1") };
    let message = sm.refused(
        &req(system("join"), Command::AddNode { node: other_key, token_id: data.clone() }),
        RefusalKind::Conflict,
    );
    assert!(message.contains("node id 16 is already taken"), "{message}");
    // So is another address.
    let moved = NodeRecord { address: "10.9.9.9:4242".into(), cert_serial: "cert-x".into(), ..proxy(16, "p1") };
    sm.refused(&req(system("join"), Command::AddNode { node: moved, token_id: data }), RefusalKind::Conflict);
    assert!(sm.issued("cert-m").is_none() && sm.issued("cert-x").is_none());
}

// ---- RemoveNode, ForgetNode, Reinstate ----------------------------------------------------

#[test]
fn remove_node_removes_it_and_revokes_its_certificate() {
    let sm = Sm::initialized();
    sm.join(&proxy(16, "p1"));
    let tokens_before = (sm.token(TokenRole::Control), sm.token(TokenRole::Data));
    assert!(!sm.read(|v| v.is_revoked("cert-p1")));

    let at = T0 + MINUTE;
    sm.done(&req_at(at, root(), Command::RemoveNode { id: 16, tokens: None }));
    assert_eq!(sm.read(|v| v.node(16)), None);
    assert_eq!(sm.node_names(), ["c1"]);
    assert!(sm.read(|v| v.is_revoked("cert-p1")));
    let txn = sm.env.read_txn().unwrap();
    assert_eq!(get::<UnixMillis>(sm.db, &txn, &keys::revoked("cert-p1")).unwrap(), Some(at));
    drop(txn);
    assert_eq!((sm.token(TokenRole::Control), sm.token(TokenRole::Data)), tokens_before);
    let last = sm.read(|v| v.audit(1)).remove(0);
    assert_eq!((last.action.as_str(), last.detail.as_str()), ("node.remove", "p1 (0000000000000010) removed"));

    // Its certificate does not bring it back.
    let message = sm
        .refused(&req(system("data node p1"), Command::Reinstate { node: proxy(16, "p1") }), RefusalKind::Unauthorized);
    assert!(message.contains("p1 was removed from the cluster"), "{message}");
    // Nor does a second removal find it.
    let message = sm.refused(&req(root(), Command::RemoveNode { id: 16, tokens: None }), RefusalKind::NotFound);
    assert!(message.contains("no node with id 0000000000000010"), "{message}");
}

#[test]
fn removing_a_control_node_replaces_the_join_tokens() {
    let sm = Sm::initialized();
    sm.join(&controller(2, "c2"));
    let old_control = sm.token_id(TokenRole::Control);
    let old_data = sm.token_id(TokenRole::Data);
    let (control, data) = tokens();

    let remove = Command::RemoveNode { id: 2, tokens: Some((control.clone(), data.clone())) };
    sm.done(&req(root(), remove));
    assert_eq!(sm.read(|v| v.node(2)), None);
    assert!(sm.read(|v| v.is_revoked("cert-c2")));
    assert_eq!(sm.token(TokenRole::Control), control);
    assert_eq!(sm.token(TokenRole::Data), data);
    assert!(sm.read(|v| v.audit(1))[0].detail.ends_with("removed; join tokens replaced"));

    // The tokens the removed controller knew no longer admit anyone.
    let c3 = Command::AddNode { node: controller(3, "c3"), token_id: old_control };
    sm.refused(&req(system("join"), c3), RefusalKind::Unauthorized);
    let p1 = Command::AddNode { node: proxy(16, "p1"), token_id: old_data };
    sm.refused(&req(system("join"), p1), RefusalKind::Unauthorized);
    sm.join(&controller(3, "c3"));
    assert_eq!(sm.node_names(), ["c1", "c3"]);
}

#[test]
fn forget_node_keeps_its_certificate_and_reinstate_brings_it_back() {
    let sm = Sm::initialized();
    let p1 = proxy(16, "p1");
    sm.join(&p1);

    sm.done(&req(system("cleanup"), Command::ForgetNode { id: 16 }));
    assert_eq!(sm.node_names(), ["c1"]);
    assert!(!sm.read(|v| v.is_revoked("cert-p1")));
    assert!(sm.issued("cert-p1").is_some());
    // Forgetting it again (two cleanups racing) is done and writes nothing.
    let before = sm.records();
    sm.done(&req(system("cleanup"), Command::ForgetNode { id: 16 }));
    assert_eq!(sm.records(), before);

    sm.done(&req(system("data node p1"), Command::Reinstate { node: p1.clone() }));
    assert_eq!(sm.read(|v| v.node(16)), Some(p1.clone()));
    // Reinstating a node that is there is done and writes nothing.
    let before = sm.records();
    sm.done(&req(system("data node p1"), Command::Reinstate { node: p1 }));
    assert_eq!(sm.records(), before);
    assert_eq!(sm.audit_actions(), ["cluster.init", "node.join", "node.forget", "node.reinstate"]);
}

#[test]
fn reinstate_refuses_a_certificate_not_issued_to_that_node() {
    let sm = Sm::initialized();
    sm.join(&proxy(16, "p1"));
    sm.done(&req(system("cleanup"), Command::ForgetNode { id: 16 }));
    let reinstate = |node: NodeRecord| req(system("data node"), Command::Reinstate { node });

    // Never issued at all.
    let message = sm.refused(&reinstate(proxy(20, "p9")), RefusalKind::Unauthorized);
    assert!(message.contains("the certificate cert-p9 was never issued to node p9"), "{message}");
    // p1's certificate, presented for another node id.
    let mut other_id = proxy(16, "p1");
    other_id.id = 17;
    sm.refused(&reinstate(other_id), RefusalKind::Unauthorized);
    // p1's certificate serial with another key.
    let mut other_key = proxy(16, "p1");
    other_key.key_sha256 = Some("another key".into());
    sm.refused(&reinstate(other_key), RefusalKind::Unauthorized);

    // While p1 was away, another node (its own certificate) took its name.
    let mut newcomer = proxy(18, "p1");
    newcomer.cert_serial = "cert-p1-new".into();
    sm.join(&newcomer);
    let message = sm.refused(&reinstate(proxy(16, "p1")), RefusalKind::Conflict);
    assert!(message.contains("the name \"p1\" is now taken by node 0000000000000012"), "{message}");
}

// ---- tokens and bootstrap ------------------------------------------------------------------

#[test]
fn rotate_tokens_replaces_both_tokens() {
    let sm = Sm::initialized();
    let old_data = sm.token_id(TokenRole::Data);
    let (control, data) = tokens();
    sm.done(&req(root(), Command::RotateTokens { control: control.clone(), data: data.clone() }));
    assert_eq!(sm.token(TokenRole::Control), control);
    assert_eq!(sm.token(TokenRole::Data), data);
    assert_eq!(sm.audit_actions(), ["cluster.init", "tokens.rotate"]);
    sm.refused(
        &req(system("join"), Command::AddNode { node: proxy(16, "p1"), token_id: old_data }),
        RefusalKind::Unauthorized,
    );
    sm.done(&req(system("join"), Command::AddNode { node: proxy(16, "p1"), token_id: token_id(&data) }));
}

#[test]
fn finish_bootstrap_drops_the_plan_and_the_bootstrap_node_once() {
    let sm = Sm::initialized();
    sm.join(&controller(2, "c2"));
    sm.join(&controller(3, "c3"));
    sm.done(&req(system("bootstrap"), Command::FinishBootstrap));
    assert_eq!(sm.read(|v| v.cluster()).unwrap().bootstrap, None);
    assert_eq!(sm.node_names(), ["c2", "c3"]);
    let last = sm.read(|v| v.audit(1)).remove(0);
    assert_eq!(last.action, "bootstrap.finish");
    assert!(last.detail.contains("3 control nodes"), "{}", last.detail);

    // Once the plan is gone, finishing again is done and writes nothing.
    let before = sm.records();
    sm.done(&req(system("bootstrap"), Command::FinishBootstrap));
    assert_eq!(sm.records(), before);
}

// ---- credentials -----------------------------------------------------------------------

#[test]
fn create_enrollment_then_exchange_consumes_it_once() {
    let sm = Sm::initialized();
    let e1 = enrollment("e1", "1e", Some("bob"));
    sm.done(&req(root(), Command::CreateEnrollment(e1.clone())));
    assert_eq!(sm.read(|v| v.enrollment("e1")), Some(e1.clone()));

    let by_e1 = Origin::Enrollment { id: "e1".into(), serial: "1e".into() };
    let bob = credential("b0b", "bob", "e1");
    let at = T0 + MINUTE;
    let exchange = Command::ExchangeEnrollment { enrollment: "e1".into(), credential: bob.clone() };
    sm.done(&req_at(at, by_e1.clone(), exchange));
    assert_eq!(sm.read(|v| v.credential("b0b")), Some(bob.clone()));
    assert_eq!(sm.read(|v| v.credentials()), vec![bob]);
    let consumed = sm.read(|v| v.enrollment("e1")).unwrap().consumed;
    assert_eq!(consumed, Some(Consumption { at, by: "bob".into() }));

    // The same one-time credential used a second time: refused, no second credential.
    let again = Command::ExchangeEnrollment { enrollment: "e1".into(), credential: credential("b0b2", "bob", "e1") };
    let message = sm.refused(&req_at(at + MINUTE, by_e1, again), RefusalKind::Conflict);
    assert!(message.contains("already used") && message.contains("by bob"), "{message}");
    assert_eq!(sm.read(|v| v.credential("b0b2")), None);
    assert_eq!(sm.audit_actions(), ["cluster.init", "credentials.create", "credentials.exchange"]);
    let detail = sm.read(|v| v.audit(1)).remove(0).detail;
    assert_eq!(detail, "operator bob got credential b0b (enrollment e1)");
}

#[test]
fn exchanging_an_unknown_or_revoked_enrollment_is_refused() {
    let sm = Sm::initialized();
    // Unknown: a System origin, so that the origin check does not refuse it first.
    let unknown = Command::ExchangeEnrollment { enrollment: "nope".into(), credential: credential("x", "x", "nope") };
    sm.refused(&req(system("test"), unknown), RefusalKind::NotFound);

    // Revoked: its record says so even when the origin carries no serial.
    sm.done(&req(root(), Command::Revoke { serials: vec!["0e".into()] }));
    let exchange = Command::ExchangeEnrollment { enrollment: "e0".into(), credential: credential("a1", "admin", "e0") };
    let message = sm.refused(&req(system("test"), exchange.clone()), RefusalKind::Unauthorized);
    assert!(message.contains("revoked"), "{message}");
    // With its own origin, the revoked serial is refused before the command is looked at.
    let by_e0 = Origin::Enrollment { id: "e0".into(), serial: "0e".into() };
    let message = sm.refused(&req(by_e0, exchange), RefusalKind::Unauthorized);
    assert!(message.contains("enrollment e0 (0e) has been revoked; nothing was changed"), "{message}");
    assert_eq!(sm.read(|v| v.credentials()), vec![]);
}

#[test]
fn revoke_marks_credentials_enrollments_and_bare_serials() {
    let sm = Sm::initialized();
    let admin = sm.enroll("admin", "a1");
    sm.done(&req(root(), Command::CreateEnrollment(enrollment("e2", "2e", Some("carol")))));

    let at = T0 + MINUTE;
    sm.done(&req_at(at, admin, Command::Revoke { serials: vec!["2e".into(), "ffff".into()] }));
    let stamp = Some(Consumption { at, by: "operator admin".into() });
    assert_eq!(sm.read(|v| v.enrollment("e2")).unwrap().revoked, stamp);
    for serial in ["2e", "ffff"] {
        assert!(sm.read(|v| v.is_revoked(serial)), "{serial}");
    }
    assert!(!sm.read(|v| v.is_revoked("a1")));
    assert_eq!(sm.read(|v| v.credential("a1")).unwrap().revoked, None);
    let detail = sm.read(|v| v.audit(1)).remove(0).detail;
    assert_eq!(detail, "revoked enrollment e2 (2e), ffff");

    sm.done(&req_at(at + 1, root(), Command::Revoke { serials: vec!["a1".into()] }));
    assert!(sm.read(|v| v.is_revoked("a1")));
    let revoked = sm.read(|v| v.credential("a1")).unwrap().revoked;
    assert_eq!(revoked, Some(Consumption { at: at + 1, by: "local socket".into() }));
    assert_eq!(sm.read(|v| v.audit(1)).remove(0).detail, "revoked admin (a1)");
}

// ---- origins -----------------------------------------------------------------------------

#[test]
fn an_origin_whose_credential_was_revoked_earlier_is_refused_and_changes_nothing() {
    let sm = Sm::initialized();
    let admin = sm.enroll("admin", "a1");
    let bob = sm.enroll("bob", "b0b");
    assert_eq!(sm.apply(&req(bob.clone(), deploy("{}"))), Response::Deployed { version: 1 });

    sm.done(&req(admin.clone(), Command::Revoke { serials: vec!["b0b".into()] }));
    // Every command from bob's credential is refused from now on, whoever proposed it.
    let (control, data) = tokens();
    for command in
        [deploy("{\"a\":1}"), Command::RotateTokens { control, data }, Command::RemoveNode { id: 1, tokens: None }]
    {
        let message = sm.refused(&req(bob.clone(), command), RefusalKind::Unauthorized);
        assert!(message.contains("the credential of operator bob (b0b) has been revoked"), "{message}");
    }
    assert_eq!(sm.read(|v| v.config_version()), 1);
    assert_eq!(sm.node_names(), ["c1"]);
    // admin's credential still works.
    assert_eq!(sm.apply(&req(admin, deploy("{\"b\":2}"))), Response::Deployed { version: 2 });
}

#[test]
fn an_origin_the_cluster_never_issued_is_refused() {
    let sm = Sm::initialized();
    sm.enroll("admin", "a1");
    // Another name on admin's serial, an unknown serial, an enrollment with another serial.
    let forged = [
        Origin::Operator { name: "mallory".into(), serial: "a1".into() },
        Origin::Operator { name: "admin".into(), serial: "a2".into() },
        Origin::Enrollment { id: "e0".into(), serial: "a1".into() },
    ];
    for origin in forged {
        let message = sm.refused(&req(origin, deploy("{}")), RefusalKind::Unauthorized);
        assert!(message.contains("was not issued by this cluster"), "{message}");
    }
    assert_eq!(sm.read(|v| v.config()), None);
}

// ---- Deploy -----------------------------------------------------------------------------

#[test]
fn deploy_returns_increasing_versions_and_records_the_document() {
    let sm = Sm::initialized();
    let admin = sm.enroll("admin", "a1");
    for (i, document) in ["{\"v\":1}", "{\"v\":2}", "{\"v\":3}"].into_iter().enumerate() {
        let at = T0 + i as i64;
        let version = i as u64 + 1;
        assert_eq!(sm.apply(&req_at(at, admin.clone(), deploy(document))), Response::Deployed { version });
        let config = sm.read(|v| v.config()).expect("a configuration");
        assert_eq!(
            config,
            ConfigRecord {
                version,
                document: document.into(),
                deployed_at: at,
                deployed_by: "operator admin".into(),
                summary: "7 bytes".into(),
            }
        );
        assert_eq!(sm.read(|v| v.config_version()), version);
    }
    let deploys: Vec<String> = sm
        .read(|v| v.audit(usize::MAX))
        .into_iter()
        .filter(|a| a.action == "config.deploy")
        .map(|a| a.detail)
        .collect();
    assert_eq!(deploys, ["version 1: 7 bytes", "version 2: 7 bytes", "version 3: 7 bytes"]);
}

#[test]
fn a_deploy_past_the_last_version_is_refused_and_changes_nothing() {
    let sm = Sm::initialized();
    let mut r = restore();
    r.config = Some(restored_config("{\"max\":true}", u64::MAX));
    r.keep_version = true;
    assert_eq!(sm.apply(&req(root(), Command::Restore(Box::new(r)))), Response::Deployed { version: u64::MAX });

    let message = sm.refused(&req(root(), deploy("{}")), RefusalKind::Invalid);
    assert!(message.contains("cannot go past 18446744073709551615; nothing was changed"), "{message}");
    // A restore deployed as the next version cannot go past it either.
    let mut r = restore();
    r.config = Some(restored_config("{}", 3));
    r.tokens = Some(tokens());
    sm.refused(&req(root(), Command::Restore(Box::new(r))), RefusalKind::Invalid);
    assert_eq!(sm.read(|v| v.config()).unwrap().document, "{\"max\":true}");
    assert_eq!(sm.read(|v| v.config_version()), u64::MAX);
}

// ---- Providers ---------------------------------------------------------------------------

fn provide(name: &str, update: ProviderUpdate) -> Command {
    Command::Provide { provider: name.into(), update }
}

fn provided(document: &str, base: u64) -> ProviderUpdate {
    ProviderUpdate::Config { document: document.into(), summary: "1 routers".into(), base }
}

#[test]
fn a_provider_update_makes_the_next_version_and_is_refused_when_validated_against_an_old_one() {
    let sm = Sm::initialized();
    sm.apply(&req(root(), deploy("{\"deployed\":1}")));
    let etcd = system("provider etcd");
    assert_eq!(
        sm.apply(&req_at(T0, etcd.clone(), provide("etcd", provided("{\"e\":1}", 1)))),
        Response::Deployed { version: 2 }
    );
    let rec = sm.read(|v| v.provider("etcd")).unwrap();
    assert_eq!((rec.document.as_deref(), rec.changed_in, rec.changed_at), (Some("{\"e\":1}"), 2, Some(T0)));
    // The deployed document is untouched; the version proxies run moved on.
    assert_eq!(sm.read(|v| v.config()).unwrap().version, 1);
    assert_eq!(sm.read(|v| v.config_version()), 2);

    // Validated against version 1, which is no longer current: refused, nothing changes.
    let message = sm.refused(&req(etcd.clone(), provide("etcd", provided("{\"e\":2}", 1))), RefusalKind::Conflict);
    assert_eq!(message, MOVED_ON);
    assert_eq!(sm.read(|v| v.provider("etcd")).unwrap().document.as_deref(), Some("{\"e\":1}"));
    // A deploy validated with the providers as they were before likewise; the next one is
    // numbered after the provider's. Deploys do not refuse each other.
    assert_eq!(sm.read(|v| v.providers_version()), 1);
    let stale = Command::Deploy { document: "{}".into(), summary: "s".into(), base: Some(0) };
    sm.refused(&req(root(), stale), RefusalKind::Conflict);
    let current = || Command::Deploy { document: "{}".into(), summary: "s".into(), base: Some(1) };
    assert_eq!(sm.apply(&req(root(), current())), Response::Deployed { version: 3 });
    assert_eq!(sm.apply(&req(root(), current())), Response::Deployed { version: 4 });
}

#[test]
fn a_failing_provider_keeps_what_it_gave_until_it_is_removed() {
    let sm = Sm::initialized();
    sm.apply(&req(root(), deploy("{}")));
    let consul = system("provider consul");
    sm.apply(&req(consul.clone(), provide("consul", provided("{\"c\":1}", 1))));
    sm.done(&req_at(T0 + 1, consul.clone(), provide("consul", ProviderUpdate::Failed { error: "down".into() })));
    sm.done(&req_at(T0 + 2, consul.clone(), provide("consul", ProviderUpdate::Failed { error: "still".into() })));
    let rec = sm.read(|v| v.provider("consul")).unwrap();
    assert_eq!(rec.document.as_deref(), Some("{\"c\":1}"));
    assert_eq!((rec.error.as_deref(), rec.failed_since), (Some("still"), Some(T0 + 1)));
    assert_eq!(sm.read(|v| v.config_version()), 2, "a failure makes no version");

    sm.done(&req(consul.clone(), provide("consul", ProviderUpdate::Healthy)));
    let rec = sm.read(|v| v.provider("consul")).unwrap();
    assert_eq!((rec.error, rec.failed_since), (None, None));

    let before = sm.read(|v| v.providers_version());
    sm.done(&req(consul.clone(), provide("consul", ProviderUpdate::Removed)));
    assert_eq!(sm.read(|v| v.provider("consul")), None);
    assert_eq!(sm.read(|v| v.providers_version()), before + 1, "deploys validated with its part validate again");
    assert_eq!(sm.read(|v| v.providers()), vec![]);
    let actions = sm.audit_actions();
    for action in ["provider.update", "provider.error", "provider.healthy", "provider.remove"] {
        assert!(actions.iter().any(|a| a == action), "{action} not in {actions:?}");
    }
}

// ---- Restore -----------------------------------------------------------------------------

#[test]
fn restore_deploys_the_archived_configuration_as_the_next_version_and_replaces_the_tokens() {
    let sm = Sm::initialized();
    sm.apply(&req(root(), deploy("{\"now\":1}")));
    sm.apply(&req(root(), deploy("{\"now\":2}")));
    let mut r = restore();
    r.config = Some(restored_config("{\"then\":1}", 1));
    let (control, data) = tokens();
    r.tokens = Some((control.clone(), data.clone()));

    assert_eq!(sm.apply(&req(root(), Command::Restore(Box::new(r)))), Response::Deployed { version: 3 });
    let config = sm.read(|v| v.config()).unwrap();
    assert_eq!((config.version, config.document.as_str(), config.summary.as_str()), (3, "{\"then\":1}", "restored"));
    assert_eq!(sm.read(|v| v.config_version()), 3);
    assert_eq!(sm.token(TokenRole::Control), control);
    assert_eq!(sm.token(TokenRole::Data), data);
    let last = sm.read(|v| v.audit(1)).remove(0);
    assert_eq!(last.action, "backup.restore");
    assert_eq!(
        last.detail,
        "restored configuration as version 3 (restored), join tokens from the backup of test taken earlier"
    );

    // Nothing to restore but credentials: done, not deployed, the configuration untouched.
    let mut r = restore();
    r.enrollments = vec![enrollment("e9", "9e", None)];
    sm.done(&req(root(), Command::Restore(Box::new(r))));
    assert_eq!(sm.read(|v| v.config_version()), 3);
    assert!(sm.read(|v| v.enrollment("e9")).is_some());
}

#[test]
fn restore_brings_nothing_revoked_or_consumed_back_to_life() {
    let sm = Sm::initialized();
    sm.join(&proxy(16, "p1"));
    // Since the backup: admin was enrolled (consuming e0) then revoked, and "old" revoked at T0.
    let admin_then = credential("a1", "admin", "e0");
    let e0_then = enrollment("e0", "0e", None);
    sm.enroll("admin", "a1");
    let exchange = Command::ExchangeEnrollment { enrollment: "e0".into(), credential: credential("z1", "zed", "e0") };
    sm.done(&req(Origin::Enrollment { id: "e0".into(), serial: "0e".into() }, exchange));
    sm.done(&req_at(T0 + 1, root(), Command::Revoke { serials: vec!["a1".into(), "old".into()] }));
    let e0_now = sm.read(|v| v.enrollment("e0")).unwrap();
    let a1_now = sm.read(|v| v.credential("a1")).unwrap();
    assert!(e0_now.consumed.is_some() && a1_now.revoked.is_some());

    let mut r = restore();
    r.enrollments = vec![e0_then];
    r.credentials = vec![admin_then, credential("k1", "kim", "e-kim")];
    // The archive's revocations: one already revoked later here, one new, and p1's certificate
    // (p1 joined since: an archive never removes a node).
    r.revoked = vec![("old".into(), T0 - 5), ("gone".into(), T0 - 5), ("cert-p1".into(), T0 - 5)];
    r.issued = vec![("cert-p7".into(), Issued { node: 23, key_sha256: Some("key-p7".into()) })];
    sm.done(&req_at(T0 + 2, root(), Command::Restore(Box::new(r))));

    assert_eq!(sm.read(|v| v.enrollment("e0")).unwrap().consumed, e0_now.consumed);
    assert_eq!(sm.read(|v| v.credential("a1")).unwrap().revoked, a1_now.revoked);
    assert!(sm.read(|v| v.credential("k1")).is_some());
    let txn = sm.env.read_txn().unwrap();
    let revoked_at = |serial: &str| get::<UnixMillis>(sm.db, &txn, &keys::revoked(serial)).unwrap();
    assert_eq!(revoked_at("old"), Some(T0 + 1), "an existing revocation keeps its time");
    assert_eq!(revoked_at("gone"), Some(T0 - 5));
    assert_eq!(revoked_at("cert-p1"), None, "a node of the registry was revoked by a restore");
    drop(txn);
    assert_eq!(sm.issued("cert-p7"), Some(Issued { node: 23, key_sha256: Some("key-p7".into()) }));
    // A data node of the archive's cluster may now come back.
    sm.done(&req(system("data node p7"), Command::Reinstate { node: proxy(23, "p7") }));
    assert_eq!(sm.node_names(), ["c1", "p1", "p7"]);
    let detail = sm.read(|v| v.audit(2)).remove(0).detail;
    assert_eq!(detail, "restored 3 credential records, 3 revocations from the backup of test taken earlier");
}

// ---- request ids -----------------------------------------------------------------------

#[test]
fn a_request_id_applies_once_and_answers_with_the_first_response() {
    let sm = Sm::initialized();
    let first = with_id("r1", req(root(), deploy("{\"a\":1}")));
    assert_eq!(sm.apply(&first), Response::Deployed { version: 1 });
    assert_eq!(sm.apply(&with_id("r2", req(root(), deploy("{\"b\":2}")))), Response::Deployed { version: 2 });
    // The retry of r1 (even if its body differs): r1's answer, nothing applied.
    let before = sm.records();
    assert_eq!(sm.apply(&with_id("r1", req(root(), deploy("{\"c\":3}")))), Response::Deployed { version: 1 });
    assert_eq!(sm.records(), before);
    assert_eq!(sm.read(|v| v.config()).unwrap().document, "{\"b\":2}");

    // A refusal is remembered too: the retry does not apply once the refusal no longer holds.
    let remove = with_id("r3", req(root(), Command::RemoveNode { id: 16, tokens: None }));
    let Response::Refused(refusal) = sm.apply(&remove) else { panic!("removing an unknown node was not refused") };
    assert_eq!(refusal.kind, RefusalKind::NotFound);
    sm.join(&proxy(16, "p1"));
    assert_eq!(sm.apply(&remove), Response::Refused(refusal));
    assert_eq!(sm.node_names(), ["c1", "p1"]);
    let actions = sm.audit_actions();
    assert_eq!(actions, ["cluster.init", "config.deploy", "config.deploy", "node.join"]);
}

#[test]
fn request_ids_are_forgotten_ten_minutes_after_by_the_entries_clocks() {
    let sm = Sm::initialized();
    let deploy_at = |id: &str, at: UnixMillis| with_id(id, req_at(at, root(), deploy("{}")));
    assert_eq!(sm.apply(&deploy_at("a", T0)), Response::Deployed { version: 1 });
    // Exactly ten minutes later "a" is still remembered.
    assert_eq!(sm.apply(&deploy_at("b", T0 + 10 * MINUTE)), Response::Deployed { version: 2 });
    assert_eq!(sm.apply(&deploy_at("a", T0 + 10 * MINUTE)), Response::Deployed { version: 1 });
    assert_eq!(sm.read(|v| v.config_version()), 2);
    // One millisecond more and it is forgotten: sent again, it applies again.
    assert_eq!(sm.apply(&deploy_at("c", T0 + 10 * MINUTE + 1)), Response::Deployed { version: 3 });
    assert_eq!(
        sm.keys_under("request"),
        [
            keys::request_at(T0 + 10 * MINUTE, "b"),
            keys::request_at(T0 + 10 * MINUTE + 1, "c"),
            keys::request("b"),
            keys::request("c"),
        ]
    );
    assert_eq!(sm.apply(&deploy_at("a", T0 + 10 * MINUTE + 2)), Response::Deployed { version: 4 });
    assert_eq!(sm.read(|v| v.config_version()), 4);
}

// ---- audit trail -----------------------------------------------------------------------

#[test]
fn the_audit_trail_records_done_commands_and_not_refused_ones() {
    let sm = Sm::initialized();
    let data = sm.token_id(TokenRole::Data);
    sm.join(&proxy(16, "p1"));
    sm.refused(&req(system("join"), Command::AddNode { node: proxy(17, "p1"), token_id: data }), RefusalKind::Conflict);
    sm.refused(&req(root(), Command::RemoveNode { id: 99, tokens: None }), RefusalKind::NotFound);
    sm.apply(&req_at(T0 + 5, Origin::Operator { name: "x".into(), serial: "y".into() }, deploy("{}")));
    sm.apply(&req_at(T0 + 6, root(), deploy("{}")));
    sm.done(&req(system("cleanup"), Command::ForgetNode { id: 99 }));

    let audit = sm.read(|v| v.audit(usize::MAX));
    let lines: Vec<(u64, &str, &str)> = audit.iter().map(|a| (a.seq, a.actor.as_str(), a.action.as_str())).collect();
    assert_eq!(
        lines,
        [(1, "bootstrap", "cluster.init"), (2, "join", "node.join"), (3, "local socket", "config.deploy")]
    );
    assert_eq!(audit[2].at, T0 + 6);
    // `audit(n)` gives the newest n, oldest first.
    assert_eq!(sm.read(|v| v.audit(2)).iter().map(|a| a.seq).collect::<Vec<_>>(), [2, 3]);
}

#[test]
fn audit_retention_drops_the_oldest_records() {
    let sm = Sm::initialized();
    let (control, data) = tokens();
    let rotate = req(root(), Command::RotateTokens { control, data });
    // One transaction for the ten thousand entries: the test is about what is kept, not commits.
    let mut txn = sm.env.write_txn().unwrap();
    for _ in 0..9_999 {
        assert_eq!(apply(sm.db, &mut txn, &rotate).unwrap(), Response::Done);
    }
    txn.commit().unwrap();
    let audit = sm.read(|v| v.audit(usize::MAX));
    assert_eq!((audit.len(), audit[0].seq, audit[0].action.as_str()), (10_000, 1, "cluster.init"));

    sm.done(&rotate);
    let audit = sm.read(|v| v.audit(usize::MAX));
    assert_eq!((audit.len(), audit[0].seq, audit[9_999].seq), (10_000, 2, 10_001));
    assert!(audit.iter().all(|a| a.action == "tokens.rotate"));
    let txn = sm.env.read_txn().unwrap();
    assert_eq!(get::<u64>(sm.db, &txn, keys::AUDIT_SEQ).unwrap(), Some(10_001));
}
