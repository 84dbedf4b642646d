//! Issue 12, item 7: names are data, not terminal control nor paths. Hostile cluster and node
//! names are refused by both binaries before anything is written, and what a cluster answers
//! reaches the operator's terminal escaped.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use traefikee_apiserver::types::{
    Availability, ClusterInfo, ControllerEndpoint, Membership, NodeInfo, NodeList, NodeRole, RaftStatus, Status,
};
use traefikee_pki::tls::{server_config, ClientAuth};
use traefikee_pki::{CaBundle, Identity, Role, Validity};
use traefikee_testkit::{workspace_bin, Run};

/// Every file and directory under `root`.
fn tree(root: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path.clone());
            }
            out.insert(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
    out
}

fn no_raw_controls(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() && c != '\n')
}

const HOSTILE_CLUSTER_NAMES: [&str; 6] = [
    "../../x",
    "a/b",
    "\u{1b}[31mred",
    "..",
    "c\u{43e}ntrol",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

#[test]
fn traefikeectl_refuses_hostile_cluster_names_before_writing_anything() {
    let laptop = Laptop::new();
    let creds = laptop.path().join("creds");
    for name in HOSTILE_CLUSTER_NAMES {
        let flag = format!("--clustername={name}");
        let commands: Vec<Vec<String>> = vec![
            vec![
                "connect".into(),
                format!("--onpremise.mtlscertsdir={}", creds.display()),
                "--onpremise.apiaddress=127.0.0.1:1".into(),
                flag.clone(),
            ],
            vec!["install".into(), "--local".into(), flag.clone()],
            vec!["uninstall".into(), "--local".into(), flag.clone()],
            vec!["list-nodes".into(), flag.clone()],
            vec![flag.clone(), "status".into()],
            vec![flag.clone(), "backup".into()],
        ];
        for args in commands {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = laptop.ctl(&args);
            assert_eq!(run.code(), Some(2), "{args:?}: {run:?}");
            assert!(run.stderr.contains("invalid cluster name"), "{args:?}: {}", run.stderr);
            assert!(run.stderr.contains("1 to 63 ASCII letters"), "{args:?}: {}", run.stderr);
        }
    }
    // The profile can come from the environment too.
    let run = Run::from(
        std::process::Command::new(CTL)
            .args(["list-nodes"])
            .env_clear()
            .env("HOME", laptop.path())
            .env("TRAEFIKEECTL_CLUSTERNAME", "../../x")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code(), Some(2), "{run:?}");
    assert!(run.stderr.contains("invalid cluster name"), "{}", run.stderr);
    assert_eq!(tree(laptop.path()), BTreeSet::new(), "nothing was written");

    // The nodes of a local cluster are named after it: a name too long for them is refused
    // before anything starts.
    let long = "l".repeat(55);
    let run = laptop.ctl(&["install", "--local", &format!("--clustername={long}"), "--datanodes=0"]);
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(run.stderr.contains("makes node names that are not valid"), "{}", run.stderr);
    assert!(run.stderr.contains("-controller-1\": it is 68 characters long, more than 63"), "{}", run.stderr);
    assert_eq!(tree(laptop.path()), BTreeSet::new(), "nothing was written");

    // A tampered `current` file cannot lead a profile out of the config directory.
    let root = laptop.path().join(".config/traefikee");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("current"), "../../x").unwrap();
    std::fs::create_dir_all(laptop.path().join("x")).unwrap();
    std::fs::write(laptop.path().join("x/profile.json"), "{}").unwrap();
    let run = laptop.ctl(&["list-nodes"]);
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(run.stderr.contains(r#"invalid cluster name "../../x""#), "{}", run.stderr);
    assert!(!run.stderr.contains("damaged"), "the file outside was never read: {}", run.stderr);
}

#[test]
fn traefikee_refuses_hostile_node_and_cluster_names_before_touching_its_state_dir() {
    let bin = workspace_bin("traefikee-node", "traefikee");
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let socket = dir.path().join("s.sock");
    let common = [format!("--statedir={}", state.display()), format!("--traefikeesocket={}", socket.display())];
    let mut runs = Vec::new();
    for name in HOSTILE_CLUSTER_NAMES {
        runs.push((vec!["bootstrap".to_string(), format!("--clustername={name}")], "cluster name"));
        for command in ["bootstrap", "start-control-node", "start-data-node"] {
            runs.push((vec![command.to_string(), format!("--name={name}")], "node name"));
        }
    }
    for (mut args, kind) in runs {
        args.extend(common.iter().cloned());
        let out = std::process::Command::new(&bin).args(&args).env_remove("TRAEFIKEE_TOKEN").output().unwrap();
        let run = Run::from(out);
        assert_eq!(run.code(), Some(2), "{args:?}: {run:?}");
        assert!(run.stderr.contains(&format!("invalid {kind}")), "{args:?}: {}", run.stderr);
        assert!(!state.exists() && !socket.exists(), "{args:?} touched the state dir or socket");
    }
}

/// A controller of a cluster of its own that answers what a malicious or broken one might:
/// a cluster name made to climb out of the profiles' directory, and names, addresses and
/// messages full of terminal control sequences.
struct Impostor {
    addr: String,
    ca: CaBundle,
    cluster_id: String,
}

const EVIL_CLUSTER: &str = "../../\u{1b}[31mevil";
const EVIL_NODE: &str = "\u{1b}[2J\u{1b}[31mnode\u{7}";
const EVIL_DETAIL: &str = "deployed\n\u{1b}]0;owned\u{7}\u{202e}txt";

fn answer(addr: &str, method: &str, path: &str) -> (u16, String) {
    let node = |name: &str, role, leader| NodeInfo {
        id: "0123456789abcdef".into(),
        name: name.into(),
        role,
        leader,
        membership: Membership::Accepted,
        status: Status::Ready,
        availability: Availability::Active,
        address: format!("{addr}\u{1b}[0m"),
        api_address: Some(addr.into()),
        joined_at: "2025-01-01T00:00:00Z".into(),
        last_seen_ms: Some(1),
        config_version: None,
        config_refused: None,
    };
    let json = |v: serde_json::Value| (200, v.to_string());
    match (method, path) {
        ("GET", "/api/v1/cluster") => json(
            serde_json::to_value(ClusterInfo {
                id: "impostor".into(),
                name: EVIL_CLUSTER.into(),
                version: "0.1.0\u{1b}[8m".into(),
                leader: Some(EVIL_NODE.into()),
                ca_fingerprint: "sha256:00".into(),
                controllers: vec![ControllerEndpoint {
                    name: EVIL_NODE.into(),
                    cluster_address: addr.into(),
                    api_address: Some(addr.into()),
                }],
                answered_by: EVIL_NODE.into(),
                raft: RaftStatus {
                    term: 1,
                    last_log_index: None,
                    last_applied_index: None,
                    snapshot_index: None,
                    purged_index: None,
                    voters: vec![],
                    learners: vec![],
                },
                warning: Some(EVIL_DETAIL.into()),
            })
            .unwrap(),
        ),
        ("GET", "/api/v1/nodes") => json(
            serde_json::to_value(NodeList {
                nodes: vec![node(EVIL_NODE, NodeRole::ControlNode, true), node("edge", NodeRole::DataNode, false)],
                warning: None,
            })
            .unwrap(),
        ),
        ("GET", p) if p.starts_with("/api/v1/audit") => json(serde_json::json!({
            "entries": [{"seq": 1, "at": "2025-01-01T00:00:00Z", "actor": EVIL_NODE, "action": "config.deploy", "detail": EVIL_DETAIL}]
        })),
        _ => (
            404,
            serde_json::json!({"error": {"code": "not_found", "message": format!("no node {EVIL_NODE}"), "hint": EVIL_DETAIL}})
                .to_string(),
        ),
    }
}

impl Impostor {
    fn start() -> Impostor {
        let cluster_id = "impostor0000000000000000a".to_string();
        let ca = CaBundle::generate("impostor", &cluster_id).unwrap();
        let (cert, key) =
            ca.issue_with_new_key(&Identity::new(&cluster_id, Role::Controller, "c1"), Validity::NODE).unwrap();
        let mut config = (*server_config(&ca.cert_pem, &cert.cert_pem, &key, ClientAuth::Optional).unwrap()).clone();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let served = addr.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let Ok(conn) = rustls::ServerConnection::new(config.clone()) else { continue };
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request).into_owned();
                let mut words = head.split_whitespace();
                let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
                let (status, body) = answer(&served, method, path);
                let _ = write!(
                    tls,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        Impostor { addr, ca, cluster_id }
    }

    /// Writes a credential of `role` (ca.pem, cert.pem, key.pem) into `dir`.
    fn credential(&self, role: Role, dir: &Path) {
        let (cert, key) =
            self.ca.issue_with_new_key(&Identity::new(&self.cluster_id, role, "alice"), Validity::OPERATOR).unwrap();
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("ca.pem"), &self.ca.cert_pem).unwrap();
        std::fs::write(dir.join("cert.pem"), cert.cert_pem).unwrap();
        std::fs::write(dir.join("key.pem"), key).unwrap();
    }
}

#[test]
fn a_cluster_name_from_the_server_never_becomes_a_path() {
    let impostor = Impostor::start();
    let laptop = Laptop::new();
    let creds = laptop.path().join("creds");
    impostor.credential(Role::Enrollment, &creds);
    let before = tree(laptop.path());

    let run = laptop.ctl(&[
        "connect",
        &format!("--onpremise.mtlscertsdir={}", creds.display()),
        &format!("--onpremise.apiaddress={}", impostor.addr),
    ]);
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            r#"error: the cluster at {} answered with an unusable name: invalid cluster name "../../\u{{1b}}[31mevil": '/' is not allowed"#,
            impostor.addr
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: name the profile yourself with --clustername=NAME"), "{}", run.stderr);
    assert!(no_raw_controls(&run.stderr), "{:?}", run.stderr);
    assert_eq!(tree(laptop.path()), before, "no profile, and the one-time credential is still there");
}

#[test]
fn what_a_cluster_says_reaches_the_terminal_escaped() {
    let impostor = Impostor::start();
    let laptop = Laptop::new();
    let profile = laptop.profile_dir("impostor");
    impostor.credential(Role::Operator, &profile);
    let meta = serde_json::json!({
        "name": "impostor",
        "cluster_id": impostor.cluster_id,
        "operator": "alice",
        "api_address": impostor.addr,
        "api_addresses": [],
    });
    std::fs::write(profile.join("profile.json"), meta.to_string()).unwrap();
    std::fs::write(laptop.path().join(".config/traefikee/current"), "impostor").unwrap();

    for args in [&["list-nodes"][..], &["list-nodes", "--details"], &["status"], &["audit"], &["version"]] {
        let run = laptop.ctl(args).success();
        assert!(no_raw_controls(&run.stdout), "{args:?}: {:?}", run.stdout);
        assert!(no_raw_controls(&run.stderr), "{args:?}: {:?}", run.stderr);
    }
    let nodes = laptop.ctl(&["list-nodes", "--details"]).success();
    assert!(nodes.stdout.contains(r"\u{1b}[2J\u{1b}[31mnode\u{7}  ACCEPTED"), "{}", nodes.stdout);
    let status = laptop.ctl(&["status"]).success();
    assert!(status.stdout.contains(r"Cluster:     ../../\u{1b}[31mevil (impostor)"), "{}", status.stdout);
    let audit = laptop.ctl(&["audit"]).success();
    assert!(audit.stdout.contains(r"deployed\n\u{1b}]0;owned\u{7}\u{202e}txt"), "{}", audit.stdout);

    // An error answer, message and hint, is escaped too; its line breaks stay.
    let run = laptop.ctl(&["rm-node", "x"]);
    assert_eq!(run.code(), Some(5), "{run:?}");
    assert!(no_raw_controls(&run.stderr), "{:?}", run.stderr);
    assert!(run.stderr.contains(r"error: no node \u{1b}[2J\u{1b}[31mnode\u{7}"), "{}", run.stderr);
    assert!(run.stderr.contains("hint: deployed\n\\u{1b}]0;owned"), "{}", run.stderr);

    // JSON keeps the data as it came (escaped by JSON itself).
    let json = laptop.ctl(&["list-nodes", "-o", "json"]).success();
    assert!(no_raw_controls(&json.stdout));
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["nodes"][0]["name"], EVIL_NODE);
}
