//! Issue 13: a checked history. Concurrent clients deploy, read, rotate tokens and create
//! and revoke credentials, each through one controller, while a nemesis kills (-9) and
//! restarts controllers and cuts one off from the others (each controller runs in its own
//! network namespace). Every invocation and result is recorded; afterwards a checker
//! verifies, against what every controller ends with:
//!
//! - every acknowledged write is in the final state of every controller (deploys in the
//!   history, credentials created or revoked, token rotations counted);
//! - a write refused as "nothing was changed" is not;
//! - versions increase strictly: no two acknowledged deploys share a version, and no version
//!   names two documents, in acknowledgements or in reads;
//! - reads never go back in time through the same controller, and a read sees every deploy
//!   acknowledged before it started;
//! - every controller ends with the same history.
//!
//! It runs for `TRAEFIKEE_HISTORY_SECS` seconds (20 by default in CI; `scripts/history.sh`
//! runs it longer).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use traefikee_apiserver::types::{ConfigFormat, CreateCredentialRequest, DeployRequest, RevokeRequest};
use traefikee_client::{Client, Failure};
use traefikee_testkit::{wait_for_or, Cluster, Net};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");

#[derive(Debug, Clone)]
enum Kind {
    Deploy { tag: String },
    Read,
    Rotate,
    Create { name: String },
    Revoke { name: String },
}

#[derive(Debug, Clone)]
enum Outcome {
    /// Acknowledged; a deploy's or a read's version, a read's document tag.
    Ok { version: Option<u64>, tag: Option<String> },
    /// Refused and certain: "nothing was changed".
    Refused(String),
    /// No answer, or an answer that does not say: it may or may not have been applied.
    Unknown(String),
    /// The controller was not running: never sent.
    NotSent,
}

#[derive(Debug, Clone)]
struct Op {
    client: usize,
    kind: Kind,
    start: Instant,
    end: Instant,
    outcome: Outcome,
}

fn document(tag: &str) -> String {
    format!(
        "http:\n  routers:\n    r-{tag}:\n      rule: Host(`{tag}.example`)\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:9\n"
    )
}

/// The tag of the router a deployed document holds.
fn tag_of(doc: &Value) -> Option<String> {
    doc["http"]["routers"].as_object()?.keys().find_map(|k| k.strip_prefix("r-").map(str::to_string))
}

fn classify(e: &Failure) -> Outcome {
    let text = format!("{} {}", e.message, e.hint.as_deref().unwrap_or(""));
    if text.contains("no traefikee node is running") {
        Outcome::NotSent
    } else if text.contains("nothing was changed") && !text.contains("may or may not") {
        Outcome::Refused(text)
    } else {
        Outcome::Unknown(text)
    }
}

/// One client: random operations through the socket of one controller until `stop`.
fn client(id: usize, socket: PathBuf, stop: Arc<AtomicBool>, log: Arc<Mutex<Vec<Op>>>) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let api = Client::local(&socket);
    let mut created: Vec<String> = Vec::new();
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let pick = rand::random_range(0..10u32);
        let kind = match pick {
            0..=3 => Kind::Deploy { tag: format!("h{id}n{n}") },
            4..=6 => Kind::Read,
            7 => Kind::Rotate,
            8 => Kind::Create { name: format!("op-{id}-{n}") },
            _ => match created.pop() {
                Some(name) => Kind::Revoke { name },
                None => Kind::Read,
            },
        };
        let start = Instant::now();
        let outcome = rt.block_on(async {
            match &kind {
                Kind::Deploy { tag } => {
                    let req = DeployRequest {
                        content: Some(document(tag)),
                        format: ConfigFormat::Yaml,
                        ..Default::default()
                    };
                    match api.deploy(&req).await {
                        Ok(v) => Outcome::Ok { version: v.version, tag: Some(tag.clone()) },
                        Err(e) => classify(&e),
                    }
                }
                Kind::Read => match api.config().await {
                    Ok(v) => Outcome::Ok { version: Some(v.version), tag: tag_of(&v.document) },
                    Err(e) => classify(&e),
                },
                Kind::Rotate => match api.rotate_tokens().await {
                    Ok(_) => Outcome::Ok { version: None, tag: None },
                    Err(e) => classify(&e),
                },
                Kind::Create { name } => {
                    match api.create_credential(&CreateCredentialRequest { name: name.clone() }).await {
                        Ok(_) => Outcome::Ok { version: None, tag: None },
                        Err(e) => classify(&e),
                    }
                }
                Kind::Revoke { name } => {
                    match api.revoke_credential(&RevokeRequest { credential: name.clone() }).await {
                        Ok(_) => Outcome::Ok { version: None, tag: None },
                        Err(e) => classify(&e),
                    }
                }
            }
        });
        if let (Kind::Create { name }, Outcome::Ok { .. }) = (&kind, &outcome) {
            created.push(name.clone());
        }
        let not_sent = matches!(outcome, Outcome::NotSent);
        log.lock().unwrap().push(Op { client: id, kind, start, end: Instant::now(), outcome });
        if not_sent {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// What a controller ends with.
#[derive(Debug, PartialEq)]
struct Final {
    version: Option<u64>,
    history: Vec<(String, String)>,
    credentials: BTreeMap<String, String>,
}

fn final_state(c: &Cluster, i: usize) -> Option<Final> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let api = common::local(c, i);
    rt.block_on(async {
        let config = api.config().await.ok();
        let audit = common::json(api.audit(10000).await.ok()?);
        let creds = common::json(api.credentials().await.ok()?);
        let history = audit["entries"]
            .as_array()?
            .iter()
            .map(|e| (e["action"].as_str().unwrap_or("").to_string(), e["detail"].as_str().unwrap_or("").to_string()))
            .collect();
        let credentials = creds["credentials"]
            .as_array()?
            .iter()
            .map(|c| (c["name"].as_str().unwrap_or("").to_string(), c["status"].as_str().unwrap_or("").to_string()))
            .collect();
        Some(Final { version: config.map(|c| c.version), history, credentials })
    })
}

#[test]
fn a_history_under_kills_and_partitions_checks_out() {
    let secs: u64 = std::env::var("TRAEFIKEE_HISTORY_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let mut c = Cluster::with_net(BIN, Net::new(3));
    let ctl = c.start_control_plane(&["h1", "h2", "h3"]);
    let sockets: Vec<PathBuf> = ctl.iter().map(|i| c.node(*i).socket()).collect();
    let c = Arc::new(Mutex::new(c));
    let stop = Arc::new(AtomicBool::new(false));
    let log = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..3)
        .map(|id| {
            let (socket, stop, log) = (sockets[id].clone(), stop.clone(), log.clone());
            std::thread::spawn(move || client(id, socket, stop, log))
        })
        .collect();

    // The nemesis: one fault at a time, each healed before the next.
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut kills, mut partitions) = (0, 0);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(rand::random_range(800..2000)));
        let victim = rand::random_range(0..3usize);
        if rand::random_bool(0.5) {
            c.lock().unwrap().node_mut(victim).kill9();
            kills += 1;
            std::thread::sleep(Duration::from_millis(rand::random_range(300..1500)));
            c.lock().unwrap().node_mut(victim).restart(None);
        } else {
            let others: Vec<usize> = (1..=3).filter(|h| *h != victim + 1).collect();
            c.lock().unwrap().net().partition(&[victim + 1], &others);
            partitions += 1;
            std::thread::sleep(Duration::from_millis(rand::random_range(500..2500)));
            c.lock().unwrap().net().heal();
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in clients {
        t.join().expect("a client panicked");
    }
    let c = c.lock().unwrap();
    let ops = log.lock().unwrap().clone();

    // Every controller ends with the same state.
    let finals: Vec<Final> = wait_for_or(
        Duration::from_secs(30),
        || {
            let all: Vec<Final> = ctl.iter().map(|i| final_state(&c, *i)).collect::<Option<_>>()?;
            all.windows(2).all(|w| w[0] == w[1]).then_some(all)
        },
        || format!("the controllers did not converge:\n{}", c.all_logs()),
    );
    let end = &finals[0];
    check(&ops, end);

    let count = |f: fn(&Outcome) -> bool| ops.iter().filter(|o| f(&o.outcome)).count();
    eprintln!(
        "history: {} operations checked over {secs}s ({} acknowledged, {} refused, {} unknown, {} not sent) with {kills} kills and {partitions} partitions",
        ops.len(),
        count(|o| matches!(o, Outcome::Ok { .. })),
        count(|o| matches!(o, Outcome::Refused(_))),
        count(|o| matches!(o, Outcome::Unknown(_))),
        count(|o| matches!(o, Outcome::NotSent)),
    );
}

fn check(ops: &[Op], end: &Final) {
    let acked = |op: &&Op| matches!(op.outcome, Outcome::Ok { .. });
    // Deploys: versions unique, each naming one document.
    let mut names: BTreeMap<u64, String> = BTreeMap::new();
    let mut acked_versions = BTreeSet::new();
    for op in ops.iter().filter(acked) {
        let Outcome::Ok { version: Some(v), tag } = &op.outcome else { continue };
        if let Kind::Deploy { .. } = op.kind {
            assert!(acked_versions.insert(*v), "two acknowledged deploys were told version {v}");
        }
        if let Some(tag) = tag {
            if let Some(other) = names.insert(*v, tag.clone()) {
                assert_eq!(&other, tag, "version {v} names two documents");
            }
        }
    }
    assert!(!acked_versions.is_empty(), "no deploy was acknowledged: the history checks nothing");
    let history_text: String = end.history.iter().map(|(a, d)| format!("{a} {d}\n")).collect();
    for v in &acked_versions {
        assert!(
            end.history.iter().any(|(a, d)| a == "config.deploy" && d.starts_with(&format!("version {v}:"))),
            "acknowledged deploy version {v} is missing from the final history:\n{history_text}"
        );
    }
    assert!(
        end.version >= acked_versions.last().copied(),
        "final version {:?} < acknowledged {acked_versions:?}",
        end.version
    );

    // A deploy refused as "nothing was changed" is never read.
    let refused_tags: BTreeSet<&str> = ops
        .iter()
        .filter_map(|op| match (&op.kind, &op.outcome) {
            (Kind::Deploy { tag }, Outcome::Refused(_)) => Some(tag.as_str()),
            _ => None,
        })
        .collect();
    for (v, tag) in &names {
        assert!(!refused_tags.contains(tag.as_str()), "version {v} holds deploy {tag}, refused as nothing changed");
    }

    // Reads: monotonic per client (one controller each), and they see every deploy
    // acknowledged before they started.
    for client in 0..3 {
        let mut last = 0;
        for op in ops.iter().filter(|o| o.client == client) {
            if let (Kind::Read, Outcome::Ok { version: Some(v), .. }) = (&op.kind, &op.outcome) {
                assert!(*v >= last, "client {client} read version {v} after {last}");
                last = *v;
            }
        }
    }
    for read in ops.iter().filter(|o| matches!(o.kind, Kind::Read)) {
        let Outcome::Ok { version: Some(seen), .. } = read.outcome else { continue };
        for deploy in ops.iter().filter(|o| matches!(o.kind, Kind::Deploy { .. }) && o.end < read.start) {
            if let Outcome::Ok { version: Some(v), .. } = deploy.outcome {
                assert!(seen >= v, "a read saw version {seen} after version {v} was acknowledged");
            }
        }
    }

    // Credentials and tokens.
    for op in ops.iter().filter(acked) {
        match &op.kind {
            Kind::Create { name } => {
                assert!(end.credentials.contains_key(name), "acknowledged credential {name} is missing")
            }
            Kind::Revoke { name } => {
                assert_eq!(
                    end.credentials.get(name).map(String::as_str),
                    Some("REVOKED"),
                    "{name} acknowledged revoked"
                )
            }
            _ => {}
        }
    }
    for op in ops {
        if let (Kind::Create { name }, Outcome::Refused(why)) = (&op.kind, &op.outcome) {
            assert!(!end.credentials.contains_key(name), "{name} exists though its creation was refused: {why}");
        }
    }
    // Failures speak to people: no internal type names, no panics.
    for op in ops {
        if let Outcome::Unknown(why) | Outcome::Refused(why) = &op.outcome {
            for internal in ["panicked", "RaftError", "StorageError", "ForwardToLeader", "Fatal"] {
                assert!(!why.contains(internal), "{:?} failed with an internal error: {why}", op.kind);
            }
        }
    }
    let rotations = end.history.iter().filter(|(a, _)| a == "tokens.rotate").count();
    let of_kind =
        |f: fn(&Kind) -> bool, g: fn(&Outcome) -> bool| ops.iter().filter(|o| f(&o.kind) && g(&o.outcome)).count();
    let is_rotate = |k: &Kind| matches!(k, Kind::Rotate);
    let rotated = of_kind(is_rotate, |o| matches!(o, Outcome::Ok { .. }));
    let maybe = of_kind(is_rotate, |o| matches!(o, Outcome::Unknown(_)));
    assert!(
        (rotated..=rotated + maybe).contains(&rotations),
        "{rotations} rotations in the history for {rotated} acknowledged and {maybe} unknown"
    );
}
