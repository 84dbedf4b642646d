//! Data nodes in the cluster, under continuous client load: a leader kill, every controller
//! stopped, a data node restarted while no controller answers, a deploy after another — and
//! bad deploys refused with the cluster unchanged.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use traefikee_testkit::{wait_for, Answer, Backend, Cluster, Load};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");
const PORT: u16 = 18000;
const HOST: &str = "app.test";

/// A configuration routing `app.test` to `backend`, tagged with `tag` by a header middleware.
fn config(backend: &Backend, tag: &str) -> String {
    format!(
        "entryPoints:\n  web:\n    address: ':{PORT}'\nhttp:\n  routers:\n    app:\n      rule: Host(`{HOST}`)\n      service: app\n      middlewares: [tag]\n  middlewares:\n    tag:\n      headers:\n        customResponseHeaders:\n          X-Config: '{tag}'\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: {}\n",
        backend.url()
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn deploy(c: &Cluster, on: usize, file: &str) -> traefikee_testkit::Run {
    c.node(on).local(&["deploy", &format!("--configfile={file}"), "--wait", "--wait-timeout=30"])
}

fn proxy_addr(c: &Cluster, i: usize) -> SocketAddr {
    format!("{}:{PORT}", c.node(i).ip).parse().unwrap()
}

/// The body says which backend answered; the header which configuration routed it.
fn consistent(a: &Answer) -> Result<(), String> {
    let tag = a.headers.get("x-config").cloned().unwrap_or_default();
    if tag.starts_with(a.body.as_str()) {
        Ok(())
    } else {
        Err(format!("configuration {tag:?} but backend {:?} answered", a.body))
    }
}

/// A node's status as the controller `on` lists it; `None` when it is not listed.
fn status(c: &Cluster, on: usize, name: &str) -> Option<String> {
    c.node(on).nodes()?.into_iter().find(|n| n["name"] == name).map(|n| n["status"].as_str().unwrap_or("").to_string())
}

fn get(addr: SocketAddr) -> Option<(u16, String)> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .get(format!("http://{addr}/"))
            .header("host", HOST)
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()?;
        let status = resp.status().as_u16();
        Some((status, resp.text().await.unwrap_or_default()))
    })
}

#[test]
fn proxies_keep_routing_through_a_leader_kill_a_full_outage_and_their_own_restart() {
    let a = Backend::start("A");
    let b = Backend::start("B");
    let mut c = Cluster::new(BIN);
    let ctl = c.start_control_plane(&["c1", "c2", "c3"]);
    let (_, data_token) = c.node(ctl[0]).tokens();
    // The data nodes are told only about c1: they learn c2 and c3 from the cluster.
    let dns: Vec<usize> = ["d1", "d2"].iter().map(|n| c.add(n)).collect();
    for &d in &dns {
        let args = c.data_node_args(d, &[ctl[0]], &data_token);
        c.node_mut(d).start(args);
    }
    c.wait_members(ctl[0], 5, Duration::from_secs(30));
    let v1 = write(c.dir.path(), "v1.yml", &config(&a, "A1"));
    let run = deploy(&c, ctl[0], &v1).success();
    assert!(run.stdout.contains("✔ 2 data nodes run version 1"), "{}", run.stdout);

    let load = Load::start(dns.iter().map(|&d| proxy_addr(&c, d)).collect(), HOST, consistent);
    load.wait_for_more(200, Duration::from_secs(20));

    // kill -9 the Raft leader.
    let leader = wait_for(Duration::from_secs(10), "a leader", || c.node(ctl[1]).leader());
    let dead = c.index_of(&leader);
    c.node_mut(dead).kill9();
    let survivor = *ctl.iter().find(|&&i| i != dead).unwrap();
    wait_for(Duration::from_secs(10), "a new leader", || c.node(survivor).leader().filter(|l| *l != leader));
    load.wait_for_more(200, Duration::from_secs(20));

    // A deploy through a survivor reaches the proxies, whichever controllers they knew of.
    let v2 = write(c.dir.path(), "v2.yml", &config(&b, "B2"));
    let run = deploy(&c, survivor, &v2).success();
    assert!(run.stdout.contains("run version 2"), "{}\n{}", run.stdout, run.stderr);
    load.wait_for_more(200, Duration::from_secs(20));

    // Stop every controller: the proxies keep routing.
    for &i in &ctl {
        c.node_mut(i).kill9();
    }
    load.wait_for_more(500, Duration::from_secs(30));
    let report = load.stop();
    report.assert_no_failures();
    report.assert_consistent();
    assert!(
        report.bodies.get("A").copied().unwrap_or(0) > 0 && report.bodies.get("B").copied().unwrap_or(0) > 0,
        "{:?}",
        report.bodies
    );

    // Restart a proxy while no controller answers: it routes with its last configuration.
    let d = dns[1];
    c.node_mut(d).stop();
    let mut args = c.data_node_args(d, &[], "");
    args.retain(|a| !a.starts_with("--token") && !a.starts_with("--peeraddresses"));
    c.node_mut(d).restart(Some(args));
    let answer = wait_for(Duration::from_secs(15), "the restarted proxy to route", || {
        get(proxy_addr(&c, d)).filter(|(s, _)| *s == 200)
    });
    assert_eq!(answer.1, "B", "it serves version 2, its last configuration");
}

#[test]
fn a_deploy_after_another_under_load_loses_nothing_and_never_mixes_versions() {
    let a = Backend::start("A");
    let b = Backend::start("B");
    let mut c = Cluster::new(BIN);
    let ctl = c.start_control_plane(&["c1"]);
    let (_, data_token) = c.node(ctl[0]).tokens();
    let dns: Vec<usize> = ["d1", "d2"].iter().map(|n| c.add(n)).collect();
    for &d in &dns {
        let args = c.data_node_args(d, &[ctl[0]], &data_token);
        c.node_mut(d).start(args);
    }
    c.wait_members(ctl[0], 3, Duration::from_secs(30));
    let first = write(c.dir.path(), "v.yml", &config(&a, "A0"));
    deploy(&c, ctl[0], &first).success();

    let load = Load::start(dns.iter().map(|&d| proxy_addr(&c, d)).collect(), HOST, consistent);
    for n in 1..=12 {
        let (backend, tag) = if n % 2 == 0 { (&a, format!("A{n}")) } else { (&b, format!("B{n}")) };
        let file = write(c.dir.path(), &format!("v{n}.yml"), &config(backend, &tag));
        let run = deploy(&c, ctl[0], &file).success();
        assert!(run.stdout.contains(&format!("run version {}", n + 1)), "{}", run.stdout);
        load.wait_for_more(20, Duration::from_secs(10));
    }
    let report = load.stop();
    report.assert_no_failures();
    assert!(
        report.inconsistent.is_empty(),
        "half-applied configurations: {:?}",
        &report.inconsistent[..report.inconsistent.len().min(10)]
    );
    assert!(report.ok > 400, "{report:?}");
}

#[test]
fn bad_deploys_are_refused_and_change_nothing() {
    let a = Backend::start("A");
    let mut c = Cluster::new(BIN);
    let ctl = c.start_control_plane(&["c1"]);
    let (control_token, data_token) = c.node(ctl[0]).tokens();
    let d = c.add("d1");

    // A control token does not make a data node.
    let mut args = c.data_node_args(d, &[ctl[0]], &control_token);
    args.push("--timeout=5".into());
    let run = c.run(&args);
    assert_eq!(run.code(), Some(4), "{run:?}");
    assert!(
        run.stderr.contains("this is a control node token; start-data-node needs the data node token"),
        "{}",
        run.stderr
    );

    let args = c.data_node_args(d, &[ctl[0]], &data_token);
    c.node_mut(d).start(args);
    c.wait_members(ctl[0], 2, Duration::from_secs(30));
    let good = write(c.dir.path(), "good.yml", &config(&a, "A1"));
    deploy(&c, ctl[0], &good).success();

    let bad = write(
        c.dir.path(),
        "bad.yml",
        &config(&a, "A2").replace("      service: app\n", "      service: app\n      colour: red\n"),
    );
    let run = c.node(ctl[0]).local(&["deploy", &format!("--configfile={bad}")]);
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(
        run.stderr.contains("http.routers.app") && run.stderr.contains("colour") && run.stderr.contains("line 9"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: ") && run.stderr.contains("not changed"), "{}", run.stderr);

    let missing = write(c.dir.path(), "missing.yml", &config(&a, "A3").replace("service: app", "service: nowhere"));
    let run = c.node(ctl[0]).local(&["deploy", &format!("--configfile={missing}")]);
    assert_eq!(run.code(), Some(1));
    assert!(run.stderr.contains("nowhere"), "{}", run.stderr);

    let run = c.node(ctl[0]).local(&["deploy", "--entryPoints=Name:web Port:80"]);
    assert_eq!(run.code(), Some(2), "a malformed flag is a usage error: {run:?}");

    let dry = c.node(ctl[0]).local(&["deploy", &format!("--configfile={good}"), "--dry-run"]).success();
    assert!(dry.stdout.contains("nothing was deployed"), "{}", dry.stdout);

    // Still version 1 everywhere, and still serving it.
    let nodes = c.node(ctl[0]).nodes().unwrap();
    let dn = nodes.iter().find(|n| n["name"] == "d1").unwrap();
    assert_eq!(dn["config_version"], 1, "{dn}");
    assert_eq!(get(proxy_addr(&c, d)).unwrap(), (200, "A".to_string()));
}

#[test]
fn dead_data_nodes_go_down_leave_the_list_and_come_back() {
    let a = Backend::start("A");
    let mut c = Cluster::new(BIN);
    let boot = c.add("c1");
    let args = c.bootstrap_args(boot, &["--datanode-grace-period=3"]);
    c.node_mut(boot).start(args);
    wait_for(Duration::from_secs(20), "c1", || c.node(boot).nodes());
    let (_, data_token) = c.node(boot).tokens();
    let dns: Vec<usize> = ["d1", "d2"].iter().map(|n| c.add(n)).collect();
    for &d in &dns {
        let args = c.data_node_args(d, &[boot], &data_token);
        c.node_mut(d).start(args);
    }
    c.wait_members(boot, 3, Duration::from_secs(30));
    let file = write(c.dir.path(), "v1.yml", &config(&a, "A1"));
    deploy(&c, boot, &file).success();

    c.node_mut(dns[0]).kill9();
    wait_for(Duration::from_secs(5), "d1 to show DOWN", || {
        (status(&c, boot, "d1").as_deref() == Some("DOWN")).then_some(())
    });
    wait_for(Duration::from_secs(10), "d1 to leave the list", || status(&c, boot, "d1").is_none().then_some(()));

    // Back from its state dir: it is listed again and runs the deployed version.
    let mut args = c.data_node_args(dns[0], &[boot], "");
    args.retain(|a| !a.starts_with("--token"));
    c.node_mut(dns[0]).restart(Some(args));
    wait_for(Duration::from_secs(10), "d1 to be listed again", || {
        (status(&c, boot, "d1").as_deref() == Some("READY")).then_some(())
    });

    // rm-node removes at once, for good: its certificate is revoked.
    c.node(boot).local(&["rm-node", "d2"]).success();
    assert!(status(&c, boot, "d2").is_none());
    let d2 = dns[1];
    wait_for(Duration::from_secs(10), "d2 to be refused", || {
        c.node(d2).logs().contains("removed from the cluster").then_some(())
    });
    assert!(status(&c, boot, "d2").is_none(), "a removed node does not re-register");
    // It keeps routing with what it had: nothing depends on the control plane to serve.
    assert_eq!(get(proxy_addr(&c, d2)).unwrap().0, 200);
}

/// A controller `c1` (the default 60 s grace period) and a data node `d1` started with
/// `extra`: the cluster, their indexes and d1's arguments.
fn controller_and_data_node(extra: &[&str]) -> (Cluster, usize, usize, Vec<String>) {
    let mut c = Cluster::new(BIN);
    let boot = c.add("c1");
    let args = c.bootstrap_args(boot, &[]);
    c.node_mut(boot).start(args);
    wait_for(Duration::from_secs(20), "c1", || c.node(boot).nodes());
    let (_, data_token) = c.node(boot).tokens();
    let d = c.add("d1");
    let mut args = c.data_node_args(d, &[boot], &data_token);
    args.extend(extra.iter().map(|a| a.to_string()));
    c.node_mut(d).start(args.clone());
    c.wait_members(boot, 2, Duration::from_secs(30));
    (c, boot, d, args)
}

#[test]
fn a_data_node_that_leaves_on_stop_is_forgotten_at_once_and_listed_again_on_restart() {
    // The default grace period (60 s): forgetting within the checks below is the leave.
    let (mut c, boot, d, _) = controller_and_data_node(&["--leave-on-stop"]);

    let exit = c.node_mut(d).stop().expect("d1 ran");
    assert!(exit.success(), "{exit:?}");
    // Forgotten when it stopped: never listed DOWN first.
    assert!(status(&c, boot, "d1").is_none(), "still listed after leaving: {:?}", status(&c, boot, "d1"));
    assert!(c.node(d).logs().contains("left the cluster"), "{}", c.node(d).logs());

    // The same node restarting from its state dir is listed again (forgotten, not revoked).
    let mut args = c.data_node_args(d, &[boot], "");
    args.retain(|a| !a.starts_with("--token"));
    c.node_mut(d).restart(Some(args));
    wait_for(Duration::from_secs(10), "d1 to be listed again", || {
        (status(&c, boot, "d1").as_deref() == Some("READY")).then_some(())
    });
}

/// A join whose answer is lost (the node killed, a timeout) is retried by the node with the
/// key it kept in its state dir: the cluster gives it its registration back, rather than
/// refusing its name forever (a pod in CrashLoopBackOff).
#[test]
fn a_join_retried_with_the_kept_key_is_the_same_node_and_another_key_is_refused() {
    let (mut c, boot, d, args) = controller_and_data_node(&[]);
    let id_before = c.node(boot).nodes().unwrap().iter().find(|n| n["name"] == "d1").unwrap()["id"].clone();

    // The join's answer lost: the node has its key, not its identity.
    c.node_mut(d).kill9();
    let dir = c.node(d).statedir();
    assert!(!dir.join("join-key.pem").exists(), "the join key goes once the identity is saved");
    let identity: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("node.json")).unwrap()).unwrap();
    std::fs::write(dir.join("join-key.pem"), identity["key_pem"].as_str().unwrap()).unwrap();
    std::fs::remove_file(dir.join("node.json")).unwrap();
    c.node_mut(d).restart(Some(args.clone()));
    // Joined again: its identity saved, a new certificate for the same key.
    let again = wait_for(Duration::from_secs(20), "d1 to join again", || {
        let bytes = std::fs::read(dir.join("node.json")).ok()?;
        serde_json::from_slice::<serde_json::Value>(&bytes).ok()
    });
    assert_eq!(again["key_pem"], identity["key_pem"]);
    assert_ne!(again["cert_pem"], identity["cert_pem"]);
    assert!(!dir.join("join-key.pem").exists());
    assert!(c.node(d).logs().contains("joined"), "{}", c.node(d).logs());
    let nodes = c.node(boot).nodes().unwrap();
    assert_eq!(nodes.iter().filter(|n| n["name"] == "d1").count(), 1);
    assert_eq!(nodes.iter().find(|n| n["name"] == "d1").unwrap()["id"], id_before, "the same node");

    // A new state dir (a new key) under the same name is another node: refused, named.
    c.node_mut(d).kill9();
    std::fs::remove_dir_all(&dir).unwrap();
    let run = c.run(&args);
    assert!(!run.ok());
    assert!(run.stderr.contains("a node named \"d1\" is already in the cluster"), "{}", run.stderr);
}

/// `n` routers whose hosts and paths are pseudo-random hex, so that the document does not
/// compress much: Raft entries carrying it stay large.
fn large_config(backend: &Backend, seed: u64, n: usize) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut hex = |len: usize| {
        let mut s = String::with_capacity(len);
        while s.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push_str(&format!("{x:016x}"));
        }
        s.truncate(len);
        s
    };
    let mut s = format!(
        "entryPoints:\n  web:\n    address: ':{PORT}'\nhttp:\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: {}\n  routers:\n",
        backend.url()
    );
    for i in 0..n {
        s.push_str(&format!(
            "    r{i}:\n      rule: Host(`{}.test`) && PathPrefix(`/{}`)\n      service: app\n",
            hex(32),
            hex(24)
        ));
    }
    s
}

/// A controller that was down while several large configurations were deployed catches up:
/// the leader sends it the entries it missed (together well over axum's default 2 MB body
/// and more than a follower can take in one heartbeat interval), split into several calls.
#[test]
fn a_controller_back_from_an_outage_catches_up_on_large_configurations() {
    const DEPLOYS: u64 = 5;
    let a = Backend::start("A");
    let mut c = Cluster::new(BIN);
    let ctl = c.start_control_plane(&["c1", "c2", "c3"]);
    let leader = wait_for(Duration::from_secs(10), "a leader", || c.node(ctl[0]).leader());
    let leader = c.index_of(&leader);
    let away = *ctl.iter().find(|&&i| i != leader).unwrap();
    c.node_mut(away).stop();

    let mut total = 0;
    for v in 1..=DEPLOYS {
        let text = large_config(&a, v, 4_500);
        total += text.len();
        let file = write(c.dir.path(), &format!("large{v}.yml"), &text);
        let run = c.node(leader).local(&["deploy", &format!("--configfile={file}")]);
        assert!(run.ok(), "deploy {v} of {} bytes: {run:?}", text.len());
    }
    assert!(total > 2 << 20, "the missed entries must exceed 2 MB together: {total} bytes");
    assert_eq!(common::deployed_version(&c, leader), Some(DEPLOYS));

    c.node_mut(away).restart(None);
    wait_for(Duration::from_secs(60), "the returning controller to apply every deploy", || {
        (common::deployed_version(&c, away) == Some(DEPLOYS)).then_some(())
    });
    // And the cluster still commits: a small deploy goes through.
    let small = write(c.dir.path(), "small.yml", &config(&a, "A1"));
    c.node(leader).local(&["deploy", &format!("--configfile={small}")]).success();
    wait_for(Duration::from_secs(10), "every controller to apply the small deploy", || {
        ctl.iter().all(|&i| common::deployed_version(&c, i) == Some(DEPLOYS + 1)).then_some(())
    });
}
