//! Issue 13, fuzzing in CI: the bodies the cluster port decodes (Raft RPCs, joins,
//! forwarded writes, heartbeats and the answers to them), the entries the state machine
//! applies, and the API's request bodies, each for a bounded time on the stable toolchain
//! (see `traefikee-fuzzkit` for the budget and the regression cases in `fuzz/regressions`).
//! The checks themselves are shared with the libFuzzer targets of the same names in `fuzz/`.

#[path = "../../fuzz/checks/api_bodies.rs"]
mod api_bodies;
#[path = "../../fuzz/checks/node_wire.rs"]
mod node_wire;
#[path = "../../fuzz/checks/raft_node.rs"]
mod raft_node;
#[path = "../../fuzz/checks/state_apply.rs"]
mod state_apply;

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine;
use openraft::raft::{AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotResponse, VoteRequest, VoteResponse};
use openraft::{CommittedLeaderId, EntryPayload, Membership};
use serde::Serialize;
use traefikee_apiserver::types::{
    ConfigFormat, CreateCredentialRequest, DeployRequest, EntryPointFlag, ExchangeRequest, RevokeRequest,
};
use traefikee_apiserver::{ApiError, ErrorBody};
use traefikee_backup::{Backup, WriteOptions};
use traefikee_fuzzkit::Target;
use traefikee_node::controller::Committed;
use traefikee_node::raft::network::SnapshotChunk;
use traefikee_node::raft::prevote::{PreVote, PreVoteAnswer};
use traefikee_node::raft::{Entry, LogId, NodeAddr, NodeId, SnapshotMeta, StoredMembership, TypeConfig, Vote};
use traefikee_node::state::{
    keys, Command, ConfigRecord, Consumption, CredentialRecord, EnrollmentRecord, Issued, NodeKind, NodeRecord, Origin,
    Request, Response, Restore, RestoredConfig, TokenRecord,
};
use traefikee_node::wire::{
    AbortRequest, ConfigUpdate, Heartbeat, HeartbeatResponse, JoinRequest, JoinResponse, LeaderView, PeerInfo,
    PromoteResponse, ReadIndex, RemoveRequest, WriteRequest,
};
use traefikee_pki::TokenRole;

const ROUTED: &str = "http:\n  routers:\n    app:\n      rule: Host(`a.example.com`) && PathPrefix(`/api`)\n      entryPoints: [web]\n      service: app\n      middlewares: [strip]\n  middlewares:\n    strip:\n      stripPrefix:\n        prefixes: [/api]\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:8081\n";

/// Tokens of the JSON bodies that field names and values of the seeds do not already give.
const JSON_WORDS: &[&str] =
    &["zstd:", "zstd:KLUv/QBYAQAA", "", "\u{0}", "../", "tkee1.", "-----BEGIN", "Normal", "Blank"];

fn with_selector(selector: u8, body: impl Serialize) -> Vec<u8> {
    let mut input = vec![selector];
    input.extend(serde_json::to_vec(&body).expect("a seed encodes"));
    input
}

fn log_id(term: u64, index: u64) -> LogId {
    LogId::new(CommittedLeaderId::new(term, 1), index)
}

fn membership() -> Membership<NodeId, NodeAddr> {
    let nodes: BTreeMap<NodeId, NodeAddr> =
        (1..=3).map(|id| (id, NodeAddr { addr: format!("10.0.0.{id}:4242") })).collect();
    Membership::new(vec![BTreeSet::from([1, 2]), BTreeSet::from([2, 3])], nodes)
}

fn base_entries() -> Vec<Request> {
    serde_json::from_str(state_apply::BASE).expect("the base entries decode")
}

fn operator() -> Origin {
    Origin::Operator { name: "admin".into(), serial: "a1".into() }
}

fn request(at: i64, origin: Origin, command: Command) -> Request {
    Request { actor: origin.actor(), at, origin: Some(origin), command, request_id: None }
}

fn deploy(document: &str) -> Command {
    Command::Deploy { document: document.into(), summary: "1 routers".into(), base: None }
}

fn raft_seeds() -> Vec<Vec<u8>> {
    let normal = |index, command| Entry {
        log_id: log_id(2, index),
        payload: EntryPayload::Normal(request(1_700_000_009_000, operator(), command)),
    };
    let entries = vec![
        Entry { log_id: log_id(2, 10), payload: EntryPayload::Blank },
        Entry { log_id: log_id(2, 11), payload: EntryPayload::Membership(membership()) },
        normal(12, deploy(r#"{"http":{"routers":{}}}"#)),
        normal(13, Command::Revoke { serials: vec!["a1".into()] }),
    ];
    let append = AppendEntriesRequest::<TypeConfig> {
        vote: Vote::new_committed(2, 1),
        prev_log_id: Some(log_id(1, 9)),
        entries,
        leader_commit: Some(log_id(2, 10)),
    };
    let heartbeat = AppendEntriesRequest::<TypeConfig> {
        vote: Vote::new_committed(2, 1),
        prev_log_id: None,
        entries: base_entries()
            .into_iter()
            .enumerate()
            .map(|(i, req)| Entry { log_id: log_id(1, i as u64 + 1), payload: EntryPayload::Normal(req) })
            .collect(),
        leader_commit: None,
    };
    let vote = VoteRequest { vote: Vote::new(3, 2), last_log_id: Some(log_id(2, 13)) };
    let records = serde_json::json!({ "records": [
        ["cluster", { "id": "c", "name": "n", "created_at": 0, "ca": { "cert_pem": "", "key_pem": "" }, "bootstrap": null }],
        ["config/version", 3],
        ["seq/audit", 12],
    ]});
    let chunk = SnapshotChunk {
        vote: Vote::new_committed(2, 1),
        meta: SnapshotMeta {
            last_log_id: Some(log_id(2, 13)),
            last_membership: StoredMembership::new(Some(log_id(2, 11)), membership()),
            snapshot_id: "2-13-1".into(),
        },
        offset: 0,
        data: base64::engine::general_purpose::STANDARD.encode(records.to_string()),
        done: true,
    };
    vec![with_selector(0, &append), with_selector(0, &heartbeat), with_selector(1, &vote), with_selector(2, &chunk)]
}

/// Sequences of requests to a new node: a leader replicating the base entries (committed, so
/// applied) after a membership naming the node, votes, a snapshot in one or two chunks.
fn raft_node_seeds() -> Vec<Vec<u8>> {
    let leader = Vote::new_committed(1, 1);
    let base = base_entries();
    let n = base.len() as u64;
    // openraft's log starts at index 0.
    let entries: Vec<Entry> =
        std::iter::once(Entry { log_id: log_id(1, 0), payload: EntryPayload::Membership(membership()) })
            .chain(
                base.into_iter()
                    .enumerate()
                    .map(|(i, req)| Entry { log_id: log_id(1, i as u64 + 1), payload: EntryPayload::Normal(req) }),
            )
            .collect();
    let replicate = |prev: Option<LogId>, entries: Vec<Entry>, commit: u64| {
        serde_json::json!({ "Append": AppendEntriesRequest::<TypeConfig> {
            vote: leader,
            prev_log_id: prev,
            entries,
            leader_commit: Some(log_id(1, commit)),
        }})
    };
    let all = replicate(None, entries.clone(), n);
    let first = replicate(None, entries[..3].to_vec(), 2);
    let rest = replicate(Some(log_id(1, 2)), entries[3..].to_vec(), n);
    let heartbeat = replicate(Some(log_id(1, n)), Vec::new(), n);
    let vote = serde_json::json!({ "Vote": VoteRequest { vote: Vote::new(2, 3), last_log_id: Some(log_id(1, n)) } });
    let records: Vec<(String, serde_json::Value)> = vec![
        (keys::CONFIG_VERSION.into(), serde_json::json!(3)),
        (keys::AUDIT_SEQ.into(), serde_json::json!(12)),
        (keys::node(1), serde_json::to_value(node(1, "c1", NodeKind::Controller)).unwrap()),
    ];
    let chunk = |offset: u64, data: &[u8], done: bool| {
        serde_json::json!({ "Snapshot": SnapshotChunk {
            vote: Vote::new_committed(3, 1),
            meta: SnapshotMeta {
                last_log_id: Some(log_id(3, 40)),
                last_membership: StoredMembership::new(Some(log_id(1, 0)), membership()),
                snapshot_id: "3-40-1".into(),
            },
            offset,
            data: base64::engine::general_purpose::STANDARD.encode(data),
            done,
        }})
    };
    let snapshot = serde_json::to_vec(&serde_json::json!({ "records": records })).unwrap();
    let (head, tail) = snapshot.split_at(snapshot.len() / 2);
    [
        vec![all.clone()],
        vec![first],
        vec![rest],
        vec![all, vote.clone(), heartbeat],
        vec![vote, chunk(0, head, false), chunk(head.len() as u64, tail, true)],
        vec![chunk(0, &snapshot, true)],
    ]
    .iter()
    .map(|rpcs| serde_json::to_vec(rpcs).expect("a seed encodes"))
    .collect()
}

fn node(id: u64, name: &str, kind: NodeKind) -> NodeRecord {
    NodeRecord {
        id,
        name: name.into(),
        kind,
        address: format!("10.0.2.{id}:4242"),
        api_address: None,
        joined_at: 1_700_000_010_000,
        cert_serial: format!("s{id}"),
        key_sha256: Some(format!("{id:02x}")),
    }
}

fn token(role: TokenRole, id: &str) -> TokenRecord {
    let secret = format!("{}A", "C".repeat(42));
    TokenRecord {
        role,
        token: format!("tkee1.{role}.{id}.{secret}.{}", "07".repeat(32)),
        created_at: 1_700_000_010_000,
    }
}

fn cluster_seeds() -> Vec<Vec<u8>> {
    let peers = vec![PeerInfo { id: 1, name: "c1".into(), address: "10.0.0.1:4242".into(), api_address: None }];
    let join = JoinRequest {
        token: token(TokenRole::Control, "0123456789abcdef").token,
        kind: NodeKind::Controller,
        name: "c4".into(),
        address: "10.0.0.4:4242".into(),
        api_address: Some("10.0.0.4:8443".into()),
        csr_pem: "-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n".into(),
    };
    let heartbeat = Heartbeat {
        name: Some("p1".into()),
        address: Some("10.0.1.1:443".into()),
        config_version: Some(3),
        config_refused: Some(traefikee_apiserver::types::ConfigRefusal { version: 4, error: "bad".into() }),
        leaving: false,
    };
    let write = WriteRequest { origin: operator(), command: deploy(ROUTED), request_id: Some("0".repeat(32)) };
    let answers: Vec<(u8, serde_json::Value)> = vec![
        (
            9,
            serde_json::to_value(JoinResponse {
                node_id: 4,
                cert_pem: String::new(),
                ca_pem: String::new(),
                cluster_id: "c".into(),
                cluster_name: "n".into(),
                controllers: peers.clone(),
            })
            .unwrap(),
        ),
        (10, serde_json::to_value(HeartbeatResponse { controllers: peers, leader: Some(1) }).unwrap()),
        (11, serde_json::to_value(ConfigUpdate { version: 3, document: r#"{"http":{}}"#.into() }).unwrap()),
        (12, serde_json::to_value(LeaderView { leader: Some(2), term: 5 }).unwrap()),
        (13, serde_json::to_value(ReadIndex { index: 77 }).unwrap()),
        (14, serde_json::to_value(PreVoteAnswer { granted: false, reason: Some("leader".into()) }).unwrap()),
        (15, serde_json::to_value(PromoteResponse { voter: true }).unwrap()),
        (16, serde_json::to_value(Committed { response: Response::Deployed { version: 4 }, index: 9 }).unwrap()),
        (17, serde_json::to_value(Ok::<_, ()>(AppendEntriesResponse::<NodeId>::Success)).unwrap()),
        (17, serde_json::to_value(Ok::<_, ()>(AppendEntriesResponse::<NodeId>::Conflict)).unwrap()),
        (
            18,
            serde_json::to_value(Ok::<_, ()>(VoteResponse {
                vote: Vote::new(3, 2),
                vote_granted: true,
                last_log_id: Some(log_id(2, 13)),
            }))
            .unwrap(),
        ),
        (19, serde_json::to_value(Ok::<_, ()>(InstallSnapshotResponse { vote: Vote::new_committed(2, 1) })).unwrap()),
        (20, serde_json::to_value(ErrorBody { error: ApiError::unavailable("no quorum").with_hint("wait") }).unwrap()),
    ];
    let mut seeds = vec![
        with_selector(0, &join),
        with_selector(1, &heartbeat),
        with_selector(1, Heartbeat::default()),
        with_selector(2, &write),
        with_selector(3, RemoveRequest { node: 3, origin: Origin::Local { node: "c1".into() } }),
        with_selector(4, AbortRequest { reason: "gave up".into() }),
        with_selector(5, PreVote { candidate: 2, last_log_id: Some(log_id(2, 13)) }),
        with_selector(6, 3u64),
    ];
    seeds.extend(base_entries().iter().map(|req| with_selector(7, req)));
    let mut packed = vec![8];
    packed.extend(zstd::bulk::compress(ROUTED.as_bytes(), 3).expect("compress"));
    seeds.push(packed);
    seeds.extend(answers.into_iter().map(|(kind, value)| with_selector(kind, value)));
    seeds
}

fn state_seeds() -> Vec<Vec<u8>> {
    let at = 1_700_000_020_000;
    let system = || Origin::system("join");
    let restore = Restore {
        source: "backup of fuzz (fuzzcluster) taken yesterday at index 9".into(),
        config: Some(RestoredConfig { document: r#"{"http":{}}"#.into(), summary: "nothing".into(), version: 7 }),
        keep_version: true,
        tokens: Some((token(TokenRole::Control, "1111111111111111"), token(TokenRole::Data, "2222222222222222"))),
        enrollments: vec![EnrollmentRecord {
            id: "e1".into(),
            serial: "1e".into(),
            created_at: at,
            consumed: Some(Consumption { at, by: "bob".into() }),
            for_name: Some("bob".into()),
            not_after: at * 2,
            created_by: "operator admin".into(),
            revoked: None,
        }],
        credentials: vec![CredentialRecord {
            serial: "b1".into(),
            name: "bob".into(),
            created_at: at,
            not_after: at * 2,
            enrollment: "e1".into(),
            revoked: None,
            key_sha256: None,
        }],
        revoked: vec![("c2".into(), at), ("old".into(), at)],
        issued: vec![("s9".into(), Issued { node: 9, key_sha256: None })],
    };
    let init = base_entries().remove(0);
    let sequences: Vec<Vec<Request>> = vec![
        vec![request(
            at,
            system(),
            Command::AddNode { node: node(4, "c4", NodeKind::Controller), token_id: "0123456789abcdef".into() },
        )],
        vec![request(
            at,
            system(),
            Command::AddNode { node: node(17, "p2", NodeKind::Proxy), token_id: "0000000000000000".into() },
        )],
        vec![request(
            at,
            operator(),
            Command::RemoveNode {
                id: 2,
                tokens: Some((
                    token(TokenRole::Control, "3333333333333333"),
                    token(TokenRole::Data, "4444444444444444"),
                )),
            },
        )],
        vec![
            request(at, Origin::system("cleanup"), Command::ForgetNode { id: 16 }),
            request(
                at + 1,
                Origin::system("heartbeat"),
                Command::Reinstate {
                    node: NodeRecord {
                        id: 16,
                        name: "p1".into(),
                        kind: NodeKind::Proxy,
                        address: "10.0.1.1:443".into(),
                        api_address: None,
                        joined_at: at,
                        cert_serial: "p1".into(),
                        key_sha256: Some("16".into()),
                    },
                },
            ),
        ],
        vec![request(
            at,
            operator(),
            Command::RotateTokens {
                control: token(TokenRole::Control, "5555555555555555"),
                data: token(TokenRole::Data, "6666666666666666"),
            },
        )],
        vec![request(at, Origin::system("bootstrap"), Command::FinishBootstrap)],
        vec![request(
            at,
            operator(),
            Command::CreateEnrollment(EnrollmentRecord {
                id: "e2".into(),
                serial: "2e".into(),
                created_at: at,
                consumed: None,
                for_name: Some("carol".into()),
                not_after: at * 2,
                created_by: "operator admin".into(),
                revoked: None,
            }),
        )],
        vec![request(
            at,
            Origin::Enrollment { id: "e1".into(), serial: "1e".into() },
            Command::ExchangeEnrollment {
                enrollment: "e1".into(),
                credential: CredentialRecord {
                    serial: "b1".into(),
                    name: "bob".into(),
                    created_at: at,
                    not_after: at * 2,
                    enrollment: "e1".into(),
                    revoked: None,
                    key_sha256: Some("b1".into()),
                },
            },
        )],
        vec![
            request(at, operator(), Command::Revoke { serials: vec!["1e".into(), "p1".into(), "zz".into()] }),
            request(at + 1, Origin::Enrollment { id: "e1".into(), serial: "1e".into() }, deploy("{}")),
        ],
        vec![
            request(at, operator(), deploy(ROUTED)).with_request_id(Some("r1".into())),
            request(at + 1, operator(), deploy("{}")).with_request_id(Some("r1".into())),
            request(at + 700_000, operator(), deploy("{}")).with_request_id(Some("r2".into())),
        ],
        vec![
            request(at, operator(), Command::Restore(Box::new(restore.clone()))),
            request(at + 1, operator(), deploy("{}")),
        ],
        vec![request(
            at,
            Origin::Local { node: "c1".into() },
            Command::Restore(Box::new(Restore { config: None, tokens: None, ..restore })),
        )],
        vec![init.clone()],
        vec![Request { origin: None, ..request(at, Origin::system("old"), deploy("{}")) }],
        vec![request(at, Origin::Operator { name: "mallory".into(), serial: "a1".into() }, deploy("{}"))],
    ];
    let mut seeds: Vec<Vec<u8>> = sequences.iter().map(|s| serde_json::to_vec(s).expect("entries encode")).collect();
    seeds.push(serde_json::to_vec(&init).expect("an entry encodes"));
    seeds
}

fn api_seeds() -> Vec<Vec<u8>> {
    let flag = |name: &str, address: &str, tls| EntryPointFlag { name: name.into(), address: address.into(), tls };
    let csr = traefikee_pki::new_key_and_csr("operator").expect("a CSR").csr_pem;
    let cluster = api_bodies::cluster();
    let mut seeds = vec![
        json(0, 0, &DeployRequest { content: Some(ROUTED.into()), entry_points: vec![flag("web", ":80", false)], ..Default::default() }),
        json(
            0,
            4,
            &DeployRequest {
                content: Some("[entryPoints.web]\naddress = \":8080\"\n[http.routers.r]\nrule = \"Path(`/`)\"\nservice = \"s\"\n[http.services.s.loadBalancer]\n[[http.services.s.loadBalancer.servers]]\nurl = \"http://127.0.0.1:1\"\n".into()),
                format: ConfigFormat::Toml,
                dry_run: true,
                ..Default::default()
            },
        ),
        json(
            0,
            2,
            &DeployRequest {
                content: Some(r#"{"entryPoints":{"websecure":{"address":":443","http":{"tls":{}}}},"tls":{"options":{"default":{"minVersion":"VersionTLS12"}}}}"#.into()),
                format: ConfigFormat::Json,
                default_entry_points: vec!["websecure".into()],
                ..Default::default()
            },
        ),
        json(0, 0, &DeployRequest { entry_points: vec![flag("web", ":8000", false), flag("https", ":443", true)], default_entry_points: vec!["web".into()], ..Default::default() }),
        json(1, 0, &ExchangeRequest { name: Some("alice".into()), csr_pem: csr.clone() }),
        json(1, 4, &ExchangeRequest { name: None, csr_pem: csr }),
        json(2, 0, &CreateCredentialRequest { name: "bob@example.com".into() }),
        json(3, 4, &RevokeRequest { credential: "bob".into() }),
        vec![5, 0],
        [5, 0].iter().chain(b"limit=5").copied().collect(),
        [5, 0].iter().chain(b"limit=0").copied().collect(),
        [6, 0].iter().chain(b"c2").copied().collect(),
    ];
    let mut records = BTreeMap::new();
    let mut put = |key: String, value: serde_json::Value| records.insert(key, value.to_string().into_bytes());
    put(keys::CLUSTER.into(), serde_json::to_value(&cluster).unwrap());
    put(keys::token(TokenRole::Control), serde_json::to_value(token(TokenRole::Control, "0123456789abcdef")).unwrap());
    put(keys::token(TokenRole::Data), serde_json::to_value(token(TokenRole::Data, "fedcba9876543210")).unwrap());
    let config = ConfigRecord {
        version: 3,
        document: r#"{"entryPoints":{"web":{"address":":80"}}}"#.into(),
        deployed_at: 1,
        deployed_by: "operator admin".into(),
        summary: String::new(),
    };
    put(keys::CONFIG.into(), serde_json::to_value(&config).unwrap());
    put(keys::CONFIG_VERSION.into(), serde_json::json!(3));
    put(
        keys::enrollment("e0"),
        serde_json::from_str(r#"{"id":"e0","serial":"0e","created_at":1,"consumed":null}"#).unwrap(),
    );
    put(
        keys::credential("a1"),
        serde_json::from_str(
            r#"{"serial":"a1","name":"admin","created_at":1,"not_after":2,"enrollment":"e0","revoked":null}"#,
        )
        .unwrap(),
    );
    put(keys::revoked("dead"), serde_json::json!(5));
    put(keys::issued("p1"), serde_json::json!({ "node": 16 }));
    let ours = Backup::new(&cluster.id, &cluster.name, "0.1.0", 42, records.clone());
    let mut other = records;
    let mut foreign = cluster.clone();
    foreign.id = "othercluster0000000000000".into();
    other.insert(keys::CLUSTER.into(), serde_json::to_vec(&foreign).unwrap());
    let theirs = Backup::new(&foreign.id, &foreign.name, "0.1.0", 7, other);
    for (backup, options) in [(&ours, 0x00), (&ours, 0x20), (&theirs, 0x10), (&theirs, 0x30)] {
        let mut input = vec![4, options];
        input.extend(traefikee_backup::to_bytes(backup, &WriteOptions::default()).expect("an archive"));
        seeds.push(input);
    }
    seeds
}

fn json<T: Serialize>(endpoint: u8, options: u8, body: &T) -> Vec<u8> {
    let mut input = vec![endpoint, options];
    input.extend(serde_json::to_vec(body).expect("a seed encodes"));
    input
}

#[test]
fn fuzz_raft_wire() {
    Target::new("raft_wire")
        .header(1)
        .json()
        .seeds(raft_seeds())
        .dictionary(JSON_WORDS)
        .expect_accepted(4)
        .run(node_wire::raft);
}

#[test]
fn fuzz_raft_node() {
    Target::new("raft_node").json().seeds(raft_node_seeds()).dictionary(JSON_WORDS).expect_accepted(6).run_with(|| {
        let mut node = raft_node::RaftNode::new();
        move |data: &[u8]| node.check(data)
    });
}

#[test]
fn fuzz_cluster_wire() {
    Target::new("cluster_wire")
        .header(1)
        .json()
        .seeds(cluster_seeds())
        .dictionary(JSON_WORDS)
        .expect_accepted(30)
        .run(node_wire::cluster);
}

#[test]
fn fuzz_state_apply() {
    Target::new("state_apply").json().seeds(state_seeds()).dictionary(JSON_WORDS).expect_accepted(16).run_with(|| {
        let mut machine = state_apply::StateMachine::new();
        move |data: &[u8]| machine.check(data)
    });
}

#[test]
fn fuzz_api_bodies() {
    Target::new("api_bodies")
        .header(2)
        .json()
        .blocks(512)
        .seeds(api_seeds())
        .dictionary(JSON_WORDS)
        .expect_accepted(15)
        .run_with(|| {
            let mut api = api_bodies::Api::new();
            move |data: &[u8]| api.check(data)
        });
}

#[test]
fn the_seeds_are_valid_inputs() {
    for (i, seed) in raft_seeds().iter().enumerate() {
        assert!(node_wire::raft(seed), "raft seed {i}");
    }
    let mut raft = raft_node::RaftNode::new();
    for (i, seed) in raft_node_seeds().iter().enumerate() {
        assert!(raft.check(seed), "raft node seed {i}");
    }
    for (i, seed) in cluster_seeds().iter().enumerate() {
        assert!(node_wire::cluster(seed), "cluster seed {i}: {}", String::from_utf8_lossy(seed));
    }
    let mut machine = state_apply::StateMachine::new();
    for (i, seed) in state_seeds().iter().enumerate() {
        assert!(machine.check(seed), "state seed {i}");
    }
    let mut api = api_bodies::Api::new();
    for (i, seed) in api_seeds().iter().enumerate() {
        let answered = api.check(seed);
        assert!(answered || seed[0] == 6, "api seed {i}: {}", String::from_utf8_lossy(&seed[2..]));
    }
}
