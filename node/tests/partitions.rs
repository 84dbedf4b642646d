//! Issue 13: the cluster on a broken network. Every node runs in its own network namespace
//! (see `traefikee_testkit::netns`): machines 1–3 are control nodes, 4 a data node, 5 the
//! backend and the clients. Partitions, loss and delay are made with iptables and an
//! NFQUEUE delay program between those namespaces; nothing touches the machine's own
//! interfaces. Root is needed (CI runs as root).

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;
use traefikee_testkit::{wait_for, wait_for_or, Answer, Backend, Cluster, Load, Net};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");
const PORT: u16 = 18000;
const HOST: &str = "app.test";
const PROXY: usize = 4;
const CLIENT: usize = 5;

fn config(backend: &Backend, n: u32) -> String {
    format!(
        "entryPoints:\n  web:\n    address: ':{PORT}'\nhttp:\n  routers:\n    app:\n      rule: Host(`{HOST}`)\n      service: app\n      middlewares: [tag]\n  middlewares:\n    tag:\n      headers:\n        customResponseHeaders:\n          X-Deploy: 'd{n}'\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: {}\n",
        backend.url()
    )
}

fn deploy(c: &Cluster, on: usize, backend: &Backend, n: u32) -> traefikee_testkit::Run {
    let path = c.dir.path().join(format!("deploy-{n}.yaml"));
    std::fs::write(&path, config(backend, n)).unwrap();
    c.node(on).local(&["deploy", &format!("--configfile={}", path.display())])
}

/// The version a successful `deploy` printed.
fn deployed(run: &traefikee_testkit::Run) -> Option<u64> {
    run.ok().then_some(())?;
    let at = run.stdout.find("version ")?;
    run.stdout[at + 8..].split(|ch: char| !ch.is_ascii_digit()).next()?.parse().ok()
}

fn ok(a: &Answer) -> Result<(), String> {
    if a.status == 200 && a.body == "A" {
        Ok(())
    } else {
        Err(format!("{} {:?}", a.status, a.body))
    }
}

/// Three control nodes and a data node in their own namespaces, the data node told about
/// every controller and serving deploy 1; the backend in the client namespace.
fn cluster() -> (Cluster, Vec<usize>, usize, Backend) {
    let mut c = Cluster::with_net(BIN, Net::new(5));
    let ctl = c.start_control_plane(&["c1", "c2", "c3"]);
    let backend = Backend::start_in(c.net(), CLIENT, "A");
    let d = c.add("d1");
    assert_eq!(d + 1, PROXY);
    let (_, data) = c.node(ctl[0]).tokens();
    let args = c.data_node_args(d, &ctl, &data);
    c.node_mut(d).start(args);
    c.wait_members(ctl[0], 4, Duration::from_secs(30));
    let v1 = deployed(&deploy(&c, ctl[0], &backend, 1).success()).expect("a version");
    wait_until_proxy_runs(&c, ctl[0], v1, Duration::from_secs(15));
    (c, ctl, d, backend)
}

/// The configuration version the data node reports to controller `on`.
fn proxy_version(c: &Cluster, on: usize) -> Option<u64> {
    c.node(on).nodes()?.into_iter().find(|n| n["name"] == "d1")?["config_version"].as_u64()
}

fn wait_until_proxy_runs(c: &Cluster, on: usize, version: u64, timeout: Duration) -> Duration {
    let start = Instant::now();
    wait_for_or(
        timeout,
        || (proxy_version(c, on) >= Some(version)).then_some(()),
        || {
            format!(
                "the data node does not run version {version} (it reports {:?})\n{}",
                proxy_version(c, on),
                c.all_logs()
            )
        },
    );
    start.elapsed()
}

fn leader(c: &Cluster, among: &[usize]) -> usize {
    let name = wait_for(Duration::from_secs(20), "a leader", || c.node(among[0]).leader());
    c.index_of(&name)
}

fn proxy_addr(c: &Cluster) -> SocketAddr {
    format!("{}:{PORT}", c.node(PROXY - 1).ip).parse().unwrap()
}

#[test]
fn an_isolated_leader_acknowledges_nothing_and_the_proxies_follow_the_majority() {
    let (c, ctl, _d, backend) = cluster();
    let load = Load::start_in(c.net(), CLIENT, vec![proxy_addr(&c)], HOST, ok);
    let old = leader(&c, &ctl);
    let majority: Vec<usize> = ctl.iter().copied().filter(|i| *i != old).collect();
    let term_before = common::raft_term(&c, majority[0]);

    // The leader loses the other control nodes; the data node still reaches all three.
    c.net().partition(&[old + 1], &majority.iter().map(|i| i + 1).collect::<Vec<_>>());
    let cut = Instant::now();

    // The majority elects and commits; the first write through it may wait for the election.
    let (version, committed_after) = wait_for(Duration::from_secs(20), "a write committed by the majority", || {
        deployed(&deploy(&c, majority[0], &backend, 2)).map(|v| (v, cut.elapsed()))
    });
    eprintln!("committed write {committed_after:?} after the leader was cut off");

    // The old leader acknowledges nothing and says why.
    let refused = deploy(&c, old, &backend, 3);
    assert_eq!(refused.code(), Some(3), "a write through the isolated leader: {}\n{}", refused.stdout, refused.stderr);
    assert!(refused.stderr.contains("no quorum"), "{}", refused.stderr);
    assert!(refused.stderr.contains("1 of 3 control nodes answer this one"), "{}", refused.stderr);
    assert!(refused.stderr.contains("may or may not have been applied"), "{}", refused.stderr);

    // It no longer names a leader, and warns that what it shows may be stale.
    let listed = c.node(old).local(&["list-nodes", "-o", "json"]).success();
    let nodes: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert!(
        nodes["nodes"].as_array().unwrap().iter().all(|n| n["leader"] == false),
        "the isolated controller still names a leader: {}",
        listed.stdout
    );
    assert!(listed.stderr.contains("may be stale"), "{}", listed.stderr);

    // The data node leaves the stale controller and runs what the majority committed.
    let moved = wait_until_proxy_runs(&c, majority[0], version, Duration::from_secs(15));
    eprintln!("data node on version {version} {moved:?} after the commit");

    // Healed, every controller converges on the majority's history.
    c.net().heal();
    let after = deployed(&deploy(&c, majority[1], &backend, 4).success()).unwrap();
    for &i in &ctl {
        wait_for_or(
            Duration::from_secs(20),
            || (common::deployed_version(&c, i) == Some(after)).then_some(()),
            || {
                format!(
                    "{} did not converge on version {after}: {:?}\n{}",
                    c.node(i).name,
                    common::deployed_version(&c, i),
                    c.all_logs()
                )
            },
        );
    }
    let terms: Vec<u64> = ctl.iter().map(|i| common::raft_term(&c, *i)).collect();
    assert!(terms.iter().all(|t| *t == terms[0]), "terms differ after healing: {terms:?}");
    assert!(terms[0] <= term_before + 3, "elections went on: term {term_before} → {terms:?}");
    wait_until_proxy_runs(&c, majority[0], after, Duration::from_secs(15));
    let report = load.stop();
    report.assert_no_failures();
    assert!(report.ok > 0);
}

#[test]
fn a_proxy_cut_off_from_every_controller_keeps_serving_and_catches_up_when_the_link_returns() {
    let (c, ctl, _d, backend) = cluster();
    let load = Load::start_in(c.net(), CLIENT, vec![proxy_addr(&c)], HOST, ok);
    c.net().partition(&[PROXY], &[1, 2, 3]);
    load.wait_for_more(200, Duration::from_secs(20));
    let meanwhile = deployed(&deploy(&c, ctl[0], &backend, 2).success()).unwrap();
    load.wait_for_more(200, Duration::from_secs(20));
    c.net().heal();
    let caught_up = wait_until_proxy_runs(&c, ctl[0], meanwhile, Duration::from_secs(20));
    eprintln!("data node caught up {caught_up:?} after the link returned");
    let report = load.stop();
    report.assert_no_failures();
}

#[test]
fn a_proxy_cut_off_from_some_controllers_and_a_one_way_partition_lose_nothing() {
    let (c, ctl, _d, backend) = cluster();
    let load = Load::start_in(c.net(), CLIENT, vec![proxy_addr(&c)], HOST, ok);
    // The data node reaches only one controller, the leader or not.
    c.net().partition(&[PROXY], &[1, 2]);
    let v2 = deployed(&deploy(&c, ctl[0], &backend, 2).success()).unwrap();
    wait_until_proxy_runs(&c, ctl[2], v2, Duration::from_secs(15));
    c.net().heal();

    // One direction only: the leader hears the others, they do not hear it.
    let old = leader(&c, &ctl);
    let rest: Vec<usize> = ctl.iter().copied().filter(|i| *i != old).map(|i| i + 1).collect();
    c.net().partition_one_way(&[old + 1], &rest);
    let v3 = wait_for(Duration::from_secs(20), "a write during the one-way partition", || {
        deployed(&deploy(&c, ctl.iter().copied().find(|i| *i != old).unwrap(), &backend, 3))
    });
    wait_until_proxy_runs(&c, ctl.iter().copied().find(|i| *i != old).unwrap(), v3, Duration::from_secs(15));
    c.net().heal();
    let v4 = deployed(&deploy(&c, old, &backend, 4).success()).unwrap();
    for &i in &ctl {
        wait_for(Duration::from_secs(20), "every controller on the last version", || {
            (common::deployed_version(&c, i) == Some(v4)).then_some(())
        });
    }
    let report = load.stop();
    report.assert_no_failures();
}

/// Three control nodes in namespaces of their own, all with `--raft.heartbeat-interval`.
fn slow_cluster(heartbeat_ms: u32) -> Cluster {
    let mut c = Cluster::with_net(BIN, Net::new(3));
    let timing = format!("--raft.heartbeat-interval={heartbeat_ms}");
    let first = c.add("w1");
    let args = c.bootstrap_args(first, &[timing.as_str()]);
    c.node_mut(first).start(args);
    wait_for(Duration::from_secs(20), "the bootstrap node", || c.node(first).nodes());
    let (control, _) = c.node(first).tokens();
    for name in ["w2", "w3"] {
        let i = c.add(name);
        let mut args = c.control_node_args(i, &[first], &control);
        args.push(timing.clone());
        c.node_mut(i).start(args);
    }
    for i in 0..3 {
        c.wait_members(i, 3, Duration::from_secs(30));
    }
    c
}

/// Control nodes 100 ms apart (one way), as across regions: with a heartbeat above the round
/// trip, deploys succeed and no election happens.
#[test]
fn deploys_succeed_between_control_nodes_100ms_apart() {
    let c = slow_cluster(300);
    for (a, b) in [(1, 2), (1, 3), (2, 3)] {
        c.net().delay(a, b, Duration::from_millis(100));
    }
    let term_before = common::raft_term(&c, 0);
    let backend = Backend::start_in(c.net(), 3, "A");
    let mut versions = Vec::new();
    let start = Instant::now();
    for n in 1..=10u32 {
        let run = deploy(&c, (n as usize) % 3, &backend, n);
        versions.push(
            deployed(&run).unwrap_or_else(|| panic!("deploy {n} failed at 100 ms: {}\n{}", run.stderr, c.all_logs())),
        );
    }
    eprintln!("10 deploys at 100 ms one way in {:?}", start.elapsed());
    assert!(versions.windows(2).all(|w| w[1] > w[0]), "{versions:?}");
    let term_after = common::raft_term(&c, 0);
    assert_eq!(term_before, term_after, "elections happened on a slow but healthy link");
}

/// 30% loss and 100 ms delay between the control nodes while deploying without pause: each
/// deploy either fails cleanly or is durable, elections stay rare (pre-vote), and the
/// cluster settles once the link is clean.
#[test]
fn a_lossy_slow_link_keeps_elections_rare_and_loses_no_acknowledged_write() {
    // A lossy link needs room for TCP to retransmit within one heartbeat: about three round
    // trips (at 300 ms, 1.5 round trips, no deploy got through 30% loss; none failed unclean).
    let c = slow_cluster(600);
    let backend = Backend::start_in(c.net(), 3, "A");
    let term_before = common::raft_term(&c, 0);
    for (a, b) in [(1, 2), (1, 3), (2, 3)] {
        c.net().delay(a, b, Duration::from_millis(100));
        c.net().loss(a, b, 0.3);
    }
    let until = Instant::now() + Duration::from_secs(20);
    let (mut acknowledged, mut failed) = (Vec::new(), 0);
    let mut n = 0;
    while Instant::now() < until {
        n += 1;
        let run = deploy(&c, n as usize % 3, &backend, n);
        match deployed(&run) {
            Some(v) => acknowledged.push(v),
            None => {
                failed += 1;
                assert!(!run.stderr.contains("panicked") && run.stderr.contains("error: "), "{}", run.stderr);
                assert!(
                    run.stderr.contains("nothing was changed")
                        || run.stderr.contains("may or may not have been applied"),
                    "a failed deploy must say whether it may have been applied: {}",
                    run.stderr
                );
            }
        }
    }
    c.net().heal();
    let healed = Instant::now();
    let term_lossy = common::raft_term(&c, 0);
    let last =
        wait_for(Duration::from_secs(20), "a deploy on the healed link", || deployed(&deploy(&c, 0, &backend, 999)));
    eprintln!(
        "lossy link: {} deploys acknowledged, {failed} failed, term {term_before} → {term_lossy}; a write {:?} after healing",
        acknowledged.len(),
        healed.elapsed()
    );
    assert!(!acknowledged.is_empty(), "no deploy got through 30% loss at 100 ms");
    assert!(acknowledged.windows(2).all(|w| w[1] > w[0]), "versions must increase: {acknowledged:?}");
    assert!(term_lossy <= term_before + 6, "election storm: term {term_before} → {term_lossy}");
    // Every acknowledged deploy is in the history every controller ends with.
    for i in 0..3 {
        wait_for(Duration::from_secs(20), "every controller on the last version", || {
            (common::deployed_version(&c, i) == Some(last)).then_some(())
        });
    }
    let history: Value = {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        common::json(rt.block_on(common::local(&c, 1).audit(1000)).unwrap())
    };
    let text = history.to_string();
    for v in &acknowledged {
        assert!(text.contains(&format!("version {v}")), "acknowledged version {v} is not in the history: {text}");
    }
}

/// The leader is cut off, healed, and the next leader cut off, three times: each time the
/// majority commits a write within a few seconds (an election and a retried forward).
#[test]
fn repeated_leader_partitions_each_recover_within_seconds() {
    let (c, ctl, _d, backend) = cluster();
    for round in 0..3u32 {
        let old = leader(&c, &ctl);
        let majority: Vec<usize> = ctl.iter().copied().filter(|i| *i != old).collect();
        c.net().partition(&[old + 1], &majority.iter().map(|i| i + 1).collect::<Vec<_>>());
        let cut = Instant::now();
        let mut n = 10 * (round + 1);
        loop {
            let run = deploy(&c, majority[0], &backend, n);
            if run.ok() {
                break;
            }
            eprintln!(
                "round {round}: a deploy through {} failed after {:?}: {}",
                c.node(majority[0]).name,
                cut.elapsed(),
                run.stderr
            );
            n += 1;
            assert!(cut.elapsed() < Duration::from_secs(20), "no write committed\n{}", c.all_logs());
        }
        let took = cut.elapsed();
        eprintln!(
            "round {round}: {} cut off, a write committed through {} after {took:?}",
            c.node(old).name,
            c.node(majority[0]).name
        );
        assert!(took < Duration::from_secs(4), "round {round} took {took:?}\n{}", c.all_logs());
        c.net().heal();
        for &i in &ctl {
            c.wait_members(i, 4, Duration::from_secs(30));
        }
    }
}
