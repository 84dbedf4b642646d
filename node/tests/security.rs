//! Issue 12: the trust boundary, attacked as an attacker would, against real processes.
//!
//! Each test performs the attack, asserts the refusal and its message, and that nothing
//! changed (configuration version, tokens, membership, credentials, Raft term).

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use traefikee_apiserver::types::RevokeRequest;
use traefikee_pki::tls::{client_config, ServerTrust};
use traefikee_testkit::{wait_for, Cluster};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");

/// Every cluster-port endpoint, as a removed controller would call them.
const PEER_ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/raft/v1/vote"),
    ("POST", "/raft/v1/append"),
    ("POST", "/raft/v1/snapshot"),
    ("POST", "/cluster/v1/write"),
    ("POST", "/cluster/v1/promote"),
    ("POST", "/cluster/v1/remove"),
    ("POST", "/cluster/v1/heartbeat"),
    ("POST", "/cluster/v1/read-index"),
    ("POST", "/cluster/v1/elect"),
    ("POST", "/cluster/v1/prevote"),
    ("GET", "/cluster/v1/currency"),
    ("POST", "/cluster/v1/abort"),
    ("GET", "/cluster/v1/config?after=0&wait_ms=10"),
    ("GET", "/cluster/v1/nodes"),
];

/// The body a removed node would send: a vote at a huge term, a write replacing the tokens.
fn attack_body(path: &str, node_id: u64) -> Value {
    match path {
        "/raft/v1/vote" => json!({
            "vote": { "leader_id": { "term": 1_000_000, "node_id": node_id }, "committed": false },
            "last_log_id": null
        }),
        "/cluster/v1/write" => json!({
            "origin": { "kind": "operator", "name": "admin", "serial": "01" },
            "command": "FinishBootstrap"
        }),
        "/cluster/v1/remove" => json!({ "node": 1, "origin": { "kind": "system", "what": "forged" } }),
        "/cluster/v1/abort" => json!({ "reason": "forged" }),
        _ => json!({}),
    }
}

/// Calls every endpoint of `addr` as `http`; the answers that were not a removal refusal.
async fn not_refused_as_removed(http: &reqwest::Client, addr: &str, node_id: u64) -> Vec<String> {
    let mut wrong = Vec::new();
    for (method, path) in PEER_ENDPOINTS {
        let url = format!("https://{addr}{path}");
        let req = match *method {
            "GET" => http.get(&url),
            _ => http.post(&url).json(&attack_body(path, node_id)),
        };
        match req.send().await {
            Ok(resp) => {
                let status = resp.status();
                let header = resp.headers().get("x-traefikee-removed").and_then(|v| v.to_str().ok()).map(String::from);
                let body = resp.text().await.unwrap_or_default();
                let named = header.as_deref() == Some(format!("{node_id:016x}").as_str());
                if status != 403 || !named || !body.contains("was removed from the cluster") {
                    wrong.push(format!("{method} {path}: {status} {header:?} {body}"));
                }
            }
            Err(e) => wrong.push(format!("{method} {path}: {e}")),
        }
    }
    wrong
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_control_node_is_refused_everywhere_even_by_one_that_was_down_and_stops() {
    let mut c = Cluster::new(BIN);
    let ids = tokio::task::block_in_place(|| c.start_control_plane(&["c1", "c2", "c3", "c4"]));
    let (c1, c2, c3, c4) = (ids[0], ids[1], ids[2], ids[3]);
    let tokens_before = c.node(c1).tokens();
    let me = identity(&c.node(c4).statedir());
    let node_id = me["node_id"].as_u64().unwrap();
    let removed = node_client(&me);

    // c3 is down while c4 is removed.
    tokio::task::block_in_place(|| c.node_mut(c3).stop());
    c.node(c1).local(&["rm-node", "c4"]).success();

    // The removed node learns it, stops, and says so.
    let status = tokio::task::block_in_place(|| c.node_mut(c4).wait_exit(Duration::from_secs(20)));
    assert!(!status.success(), "a removed control node must exit non-zero");
    let logs = c.node(c4).logs();
    assert!(logs.contains("this control node was removed from the cluster"), "{logs}");

    let term_before = raft_term(&c, c1);
    for i in [c1, c2] {
        let wrong = not_refused_as_removed(&removed, &c.node(i).cluster_addr(), node_id).await;
        assert!(wrong.is_empty(), "{} let the removed node in:\n{}", c.node(i).name, wrong.join("\n"));
    }

    // The join tokens it knew are replaced: it cannot bring a node of its own in.
    let tokens_after = c.node(c1).tokens();
    assert_ne!(tokens_after.0, tokens_before.0);
    assert_ne!(tokens_after.1, tokens_before.1);
    let rogue = c.add("rogue");
    let mut args = c.control_node_args(rogue, &[c1], &tokens_before.0);
    args.push("--timeout=5".into());
    let run = tokio::task::block_in_place(|| c.run(&args));
    assert_eq!(run.code(), Some(4), "{}", run.stderr);
    assert!(run.stderr.contains("not valid for this cluster"), "{}", run.stderr);

    // The controller that was down refuses it as soon as it has caught up.
    c.node_mut(c3).restart(None);
    let restarted = Instant::now();
    let addr = c.node(c3).cluster_addr();
    loop {
        let wrong = not_refused_as_removed(&removed, &addr, node_id).await;
        if wrong.is_empty() {
            break;
        }
        // Until it has caught up it may not answer at all, or answer that it is catching up
        // (503); nothing else.
        for w in &wrong {
            assert!(
                w.contains(": 503 ") || w.contains("error sending request") || w.contains("connect"),
                "c3 let the removed node past its checks while catching up: {w}"
            );
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(30),
            "c3 never refused the removed node:\n{}",
            wrong.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!("c3 refused the removed node {:?} after its restart", restarted.elapsed());

    // Its elections never reached anyone's term; the membership is the three others.
    let term_after = raft_term(&c, c1);
    assert!(term_after < term_before + 3, "the term went from {term_before} to {term_after}");
    tokio::task::block_in_place(|| c.wait_members(c1, 3, Duration::from_secs(30)));
    let audit = json(local(&c, c1).audit(5).await.unwrap());
    let line = audit["entries"].as_array().unwrap().iter().find(|e| e["action"] == "node.remove").unwrap().clone();
    assert_eq!(line["actor"], "local socket", "{line}");
    assert!(
        line["detail"].as_str().unwrap().contains("c4")
            && line["detail"].as_str().unwrap().contains("join tokens replaced"),
        "{line}"
    );

    // Restarted from its state dir, it stops again at once.
    c.node_mut(c4).restart(None);
    let status = tokio::task::block_in_place(|| c.node_mut(c4).wait_exit(Duration::from_secs(20)));
    assert!(!status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_operator_is_refused_by_a_controller_that_was_down_during_the_revocation() {
    let mut c = Cluster::new(BIN);
    let ids = tokio::task::block_in_place(|| c.start_control_plane(&["r1", "r2", "r3"]));
    let (r1, r3) = (ids[0], ids[2]);
    let bob = operator(&c, r1, "bob").await;
    let api3 = c.node(r3).api_addr();
    let tokens = bob.http().get(format!("https://{api3}/api/v1/tokens")).send().await.unwrap();
    assert_eq!(tokens.status(), 200, "bob works before the revocation");
    let tokens_before = c.node(r1).tokens();
    let version_before = json(local(&c, r1).cluster_info().await.unwrap());

    tokio::task::block_in_place(|| c.node_mut(r3).stop());
    local(&c, r1).revoke_credential(&RevokeRequest { credential: "bob".into() }).await.unwrap();
    c.node_mut(r3).restart(None);

    // From its restart on, r3 never serves bob a secret or a write, caught up or not.
    let http = bob.http();
    let started = Instant::now();
    let mut answered = 0;
    let mut rounds_after_catch_up = 0;
    while rounds_after_catch_up < 2 {
        let attacks = [
            http.get(format!("https://{api3}/api/v1/backup")),
            http.get(format!("https://{api3}/api/v1/tokens")),
            http.get(format!("https://{api3}/api/v1/config")),
            http.get(format!("https://{api3}/api/v1/credentials")),
            http.post(format!("https://{api3}/api/v1/credentials")).json(&json!({ "name": "mallory" })),
            http.post(format!("https://{api3}/api/v1/tokens/rotate")),
            http.post(format!("https://{api3}/api/v1/config")).json(&json!({ "content": "http: {}" })),
            http.delete(format!("https://{api3}/api/v1/nodes/r2")),
        ];
        for attack in attacks {
            if let Ok(resp) = attack.send().await {
                let status = resp.status();
                let body = resp.text().await.unwrap_or_default();
                assert!(!status.is_success(), "r3 served a revoked operator: {status} {body}");
                answered += 1;
                if status == 401 {
                    assert!(body.contains("has been revoked"), "{body}");
                }
            }
        }
        let caught_up = c.node(r3).nodes().is_some_and(|n| n.iter().filter(|n| n["status"] == "READY").count() == 3);
        if caught_up {
            rounds_after_catch_up += 1;
        }
        assert!(started.elapsed() < Duration::from_secs(40), "r3 did not catch up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(answered > 0);

    // Nothing changed.
    assert_eq!(c.node(r1).tokens(), tokens_before);
    let creds = json(local(&c, r1).credentials().await.unwrap());
    let names: Vec<&str> =
        creds["credentials"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(!names.contains(&"mallory"), "{names:?}");
    tokio::task::block_in_place(|| c.wait_members(r1, 3, Duration::from_secs(30)));
    let version_after = json(local(&c, r1).cluster_info().await.unwrap());
    assert_eq!(version_after["id"], version_before["id"]);
    let config = local(&c, r1).config().await;
    assert!(config.is_err(), "no configuration was ever deployed: {config:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_enrollment_credential_can_no_longer_call_anything() {
    let mut c = Cluster::new(BIN);
    let ids = tokio::task::block_in_place(|| c.start_control_plane(&["u1"]));
    let alice = operator(&c, ids[0], "alice").await;
    let (cert, key) = &alice.enrollment;
    let used = client(&alice.ca, Some((cert, key)), None);
    let api = c.node(ids[0]).api_addr();
    for path in ["/api/v1/cluster", "/api/v1/nodes", "/api/v1/tokens"] {
        let resp = used.get(format!("https://{api}{path}")).send().await.unwrap();
        let status = resp.status();
        let body = resp.text().await.unwrap();
        assert!(status.is_client_error(), "{path}: {status} {body}");
        assert!(body.contains("already used"), "{path}: {body}");
    }
    // The operator's own credential works.
    assert_eq!(alice.http().get(format!("https://{api}/api/v1/nodes")).send().await.unwrap().status(), 200);
}

/// Half-open TLS connections from one address: they cannot exhaust the controller, and a
/// node and an operator from elsewhere are served meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_does_not_starve_the_nodes_or_the_operators() {
    let mut c = Cluster::new(BIN);
    let ids = tokio::task::block_in_place(|| c.start_control_plane(&["f1", "f2", "f3"]));
    let leader = ids[0];
    let bob = operator(&c, leader, "bob").await;
    let term_before = raft_term(&c, leader);
    // This test process opens thousands of sockets itself.
    traefikee_node::transport::raise_fd_limit();
    // One address, then forty: more silent connections than the controller keeps places for.
    let attackers: Vec<String> = std::iter::once(c.ip(250)).chain((200..240).map(|i| c.ip(i))).collect();
    let mut held = Vec::new();
    for target in [c.node(leader).cluster_addr(), c.node(leader).api_addr()] {
        let addr: std::net::SocketAddr = target.parse().unwrap();
        for i in 0..2000 {
            let source = if i < 1000 { &attackers[0] } else { &attackers[1 + i % 40] };
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
            if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_secs(2), socket.connect(addr)).await {
                held.push(s);
            }
        }
    }
    assert!(held.len() > 3000, "the flood could not even connect ({} connections)", held.len());

    // The controller holds only what its limits allow: at most 256 connections without a
    // certificate per listener, two listeners. The rest were refused at once or evicted; an
    // evicted connection's task closes its socket a moment after it gave its place up.
    let pid = c.node(leader).pid().unwrap();
    let fds = || std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap().count();
    let settle = Instant::now() + Duration::from_secs(5);
    while fds() >= 700 && Instant::now() < settle {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fds = fds();
    assert!(fds < 700, "the controller holds {fds} descriptors under the flood");

    // An operator (new connections each time, as traefikeectl makes) and a Raft write get
    // through meanwhile.
    let api = c.node(leader).api_addr();
    for _ in 0..5 {
        let resp = bob.http().get(format!("https://{api}/api/v1/nodes")).send().await.unwrap();
        assert_eq!(resp.status(), 200);
    }
    // A control node joins (TLS without a client certificate, then with one) meanwhile.
    tokio::task::block_in_place(|| {
        let i = c.add("f4");
        let (control, _) = c.node(leader).tokens();
        let args = c.control_node_args(i, &[leader], &control);
        c.node_mut(i).start(args);
        c.wait_members(leader, 4, Duration::from_secs(30));
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.yaml");
    std::fs::write(&file, "http:\n  routers: {}\n").unwrap();
    let run =
        tokio::task::block_in_place(|| c.node(ids[1]).local(&["deploy", &format!("--configfile={}", file.display())]));
    assert!(run.ok(), "a deploy under the flood failed: {}", run.stderr);
    assert!(c.node(leader).logs().contains("refusing connections"), "shedding is logged");
    drop(held);
    assert_eq!(raft_term(&c, leader), term_before, "the leader kept its leadership");
}

/// A caller without a certificate cannot hold a connection or a large body: slow headers are
/// cut, join bodies are bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_large_unauthenticated_requests_are_cut() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut c = Cluster::new(BIN);
    let ids = tokio::task::block_in_place(|| c.start_control_plane(&["s1"]));
    let node = identity(&c.node(ids[0]).statedir());
    let ca = node["ca_pem"].as_str().unwrap().to_string();
    let addr = c.node(ids[0]).cluster_addr();

    // A 2 MB join body: refused long before it is all read.
    let anonymous = client(&ca, None, None);
    let body = json!({ "token": "x".repeat(2 << 20), "kind": "controller", "name": "x", "address": "a:1", "api_address": null, "csr_pem": "" });
    let resp = anonymous.post(format!("https://{addr}/cluster/v1/join")).json(&body).send().await;
    match resp {
        Ok(r) => assert_eq!(r.status(), 413),
        Err(e) => assert!(!e.is_timeout(), "{e}"),
    }

    // Headers sent slowly: the connection is closed within the header timeout.
    let tls = client_config(ServerTrust::Cluster { ca_pem: ca.clone(), cluster_id: None }, None).unwrap();
    let connector = tokio_rustls::TlsConnector::from(tls);
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from(c.node(ids[0]).ip.clone()).unwrap();
    let mut stream = connector.connect(name, tcp).await.unwrap();
    stream.write_all(b"POST /cluster/v1/join HTTP/1.1\r\nhost: x\r\n").await.unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 256];
    let closed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a connection sending headers slowly stayed open");
    assert!(started.elapsed() < Duration::from_secs(15), "closed after {:?}", started.elapsed());

    // The controller still answers.
    wait_for(Duration::from_secs(5), "the controller to answer", || c.node(ids[0]).nodes());
}

/// A YAML document nested 100,000 levels deep is refused quickly with the depth named, and
/// the controller keeps its leadership and accepts the next deploy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deeply_nested_document_is_refused_without_stalling_the_control_plane() {
    let mut c = Cluster::new(BIN);
    let ids = tokio::task::block_in_place(|| c.start_control_plane(&["d1", "d2", "d3"]));
    let leader = ids[0];
    let term_before = raft_term(&c, leader);
    let dir = tempfile::tempdir().unwrap();
    let hostile = dir.path().join("deep.yaml");
    std::fs::write(&hostile, format!("http: {}{}\n", "[".repeat(100_000), "]".repeat(100_000))).unwrap();
    let compact = dir.path().join("compact.yaml");
    std::fs::write(&compact, format!("http:\n{}x\n", "- ".repeat(100_000))).unwrap();
    for file in [&hostile, &compact] {
        let started = Instant::now();
        let run = tokio::task::block_in_place(|| {
            c.node(leader).local(&["deploy", &format!("--configfile={}", file.display())])
        });
        assert_eq!(run.code(), Some(1), "{}", run.stderr);
        assert!(run.stderr.contains("nests deeper than 64 levels"), "{}", run.stderr);
        assert!(started.elapsed() < Duration::from_secs(10), "refusing took {:?}", started.elapsed());
    }
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, "http:\n  routers: {}\n").unwrap();
    tokio::task::block_in_place(|| {
        c.node(leader).local(&["deploy", &format!("--configfile={}", good.display())]).success()
    });
    assert_eq!(raft_term(&c, leader), term_before, "the leader kept its leadership");
}

/// A data node that cannot serve a version (its entry point's port is taken on that machine)
/// says so: it keeps serving the previous version, reports the refusal, and `deploy --wait`
/// fails naming it instead of reporting success.
#[test]
fn deploy_wait_never_reports_a_version_a_data_node_refused() {
    let mut c = Cluster::new(BIN);
    let (controller, proxy) = controller_and_data_node(&mut c, "w1", "w-proxy");
    let ids = [controller];
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, port: u16| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("entryPoints:\n  web:\n    address: ':{port}'\nhttp:\n  routers: {{}}\n"))
            .unwrap();
        format!("--configfile={}", path.display())
    };
    let good_port = free_port(&c.node(proxy).ip);
    c.node(ids[0]).local(&["deploy", &file("v1.yaml", good_port), "--wait", "--wait-timeout=30"]).success();

    // Another program holds the port of the next version on the data node's machine.
    let taken = std::net::TcpListener::bind(format!("{}:0", c.node(proxy).ip)).unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let run = c.node(ids[0]).local(&["deploy", &file("v2.yaml", taken_port), "--wait", "--wait-timeout=30"]);
    assert_eq!(run.code(), Some(1), "stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("1 of 1 live data nodes refused version 2"), "{}", run.stderr);
    assert!(run.stderr.contains("w-proxy (runs 1)"), "{}", run.stderr);

    let details = c.node(ids[0]).local(&["list-nodes", "--details"]).success();
    assert!(details.stdout.contains("v1 (v2 refused)"), "{}", details.stdout);
    assert!(details.stdout.contains("w-proxy refused configuration v2:"), "{}", details.stdout);
    let nodes = c.node(ids[0]).nodes().unwrap();
    let p = nodes.iter().find(|n| n["name"] == "w-proxy").unwrap();
    assert_eq!(p["config_version"], 1, "{p}");
    assert_eq!(p["config_refused"]["version"], 2, "{p}");

    // Once the port is free, the next deploy is served and the refusal is gone.
    drop(taken);
    c.node(ids[0]).local(&["deploy", &file("v3.yaml", good_port), "--wait", "--wait-timeout=30"]).success();
    let nodes = c.node(ids[0]).nodes().unwrap();
    let p = nodes.iter().find(|n| n["name"] == "w-proxy").unwrap();
    assert_eq!(p["config_version"], 3, "{p}");
    assert!(p.get("config_refused").is_none(), "{p}");
}

/// A join with a valid token but a hostile name is refused before anything is issued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_with_a_hostile_node_name_is_refused() {
    let mut c = Cluster::new(BIN);
    let ids = tokio::task::block_in_place(|| c.start_control_plane(&["n1"]));
    let (_, data) = c.node(ids[0]).tokens();
    let ca = identity(&c.node(ids[0]).statedir())["ca_pem"].as_str().unwrap().to_string();
    let http = client(&ca, None, None);
    let before = c.node(ids[0]).nodes().unwrap().len();
    for name in ["../../x", "evil\u{1b}[31m", "", &"a".repeat(200)] {
        let key = traefikee_pki::new_key_and_csr("x").unwrap();
        let resp = http
            .post(format!("https://{}/cluster/v1/join", c.node(ids[0]).cluster_addr()))
            .json(&json!({ "token": data, "kind": "proxy", "name": name, "address": "127.0.0.9", "api_address": null, "csr_pem": key.csr_pem }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{name:?}");
        let body: Value = resp.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("invalid node name"), "{body}");
    }
    assert_eq!(c.node(ids[0]).nodes().unwrap().len(), before, "no node was added");
}

/// Two Host headers through a real data node: 400, and the router protected by an
/// ipAllowList is not reached by naming it second (or first).
#[test]
fn duplicate_host_headers_cannot_bypass_an_ip_allow_list_on_a_data_node() {
    use std::io::{Read, Write};
    let mut c = Cluster::new(BIN);
    let (controller, proxy) = controller_and_data_node(&mut c, "h1", "h-proxy");
    let ids = [controller];
    let protected = traefikee_testkit::Backend::start("protected");
    let open = traefikee_testkit::Backend::start("open");
    let port = free_port(&c.node(proxy).ip);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(
        &path,
        format!(
            "entryPoints:\n  web:\n    address: ':{port}'\nhttp:\n  routers:\n    admin:\n      rule: Host(`admin.test`)\n      service: protected\n      middlewares: [office]\n    www:\n      rule: Host(`www.test`)\n      service: open\n  middlewares:\n    office:\n      ipAllowList:\n        sourceRange: ['10.1.2.0/24']\n  services:\n    protected:\n      loadBalancer:\n        servers:\n          - url: {}\n    open:\n      loadBalancer:\n        servers:\n          - url: {}\n",
            protected.url(),
            open.url()
        ),
    )
    .unwrap();
    c.node(ids[0])
        .local(&["deploy", &format!("--configfile={}", path.display()), "--wait", "--wait-timeout=30"])
        .success();
    let addr = format!("{}:{port}", c.node(proxy).ip);
    let send = |request: &str| {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    };
    // One Host: the allow list refuses this client, the open router answers.
    assert!(send("GET / HTTP/1.1\r\nHost: admin.test\r\nConnection: close\r\n\r\n").starts_with("HTTP/1.1 403"));
    assert!(send("GET / HTTP/1.1\r\nHost: www.test\r\nConnection: close\r\n\r\n").starts_with("HTTP/1.1 200"));
    for request in [
        "GET / HTTP/1.1\r\nHost: www.test\r\nHost: admin.test\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: admin.test\r\nHost: www.test\r\nConnection: close\r\n\r\n",
    ] {
        let answer = send(request);
        assert!(answer.starts_with("HTTP/1.1 400"), "{request:?} → {answer}");
    }
    assert_eq!(protected.hits(), 0, "the protected backend was reached");
}
