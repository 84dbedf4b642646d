//! Issue 13 figures: three control nodes and a data node, each in its own network namespace
//! (root needed), under constant load through the data node:
//! - the time from cutting the leader off until a write commits through the majority
//!   (median and max over BENCH_ROUNDS rounds), with failed requests and p99 during it;
//! - the same for a leader killed with -9 (restarted before the next round);
//! - a data node cut off from every controller for 3 s.
//!
//! `cargo bench -p traefikee-node --bench faults` (see bench/faults.sh).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use traefikee_testkit::{wait_for, Answer, Backend, Cluster, Load, LoadReport, Net};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");
const PORT: u16 = 18000;
const HOST: &str = "app.test";

fn ok(a: &Answer) -> Result<(), String> {
    (a.body == "A").then_some(()).ok_or_else(|| a.body.clone())
}

fn deploy(c: &Cluster, on: usize, backend: &Backend, n: u32) -> bool {
    let path = c.dir.path().join(format!("bench-{n}.yaml"));
    std::fs::write(
        &path,
        format!(
            "entryPoints:\n  web:\n    address: ':{PORT}'\nhttp:\n  routers:\n    app{n}:\n      rule: Host(`{HOST}`)\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: {}\n",
            backend.url()
        ),
    )
    .unwrap();
    c.node(on).local(&["deploy", &format!("--configfile={}", path.display())]).ok()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn summary(name: &str, times: &mut [Duration], loads: &[LoadReport]) {
    times.sort();
    let failed: usize = loads.iter().map(|l| l.failed.len() + l.inconsistent.len()).sum();
    let requests: u64 = loads.iter().map(|l| l.ok).sum::<u64>() + failed as u64;
    let p99 = loads.iter().map(|l| l.latency(0.99)).max().unwrap_or_default();
    println!(
        "| {name} | {} | {} | {} | {failed} of {requests} | {} |",
        times.len(),
        ms(times[times.len() / 2]),
        ms(*times.last().unwrap()),
        ms(p99)
    );
}

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let mut c = Cluster::with_net(BIN, Net::new(5));
    let ctl = c.start_control_plane(&["c1", "c2", "c3"]);
    let backend = Backend::start_in(c.net(), 5, "A");
    let d = c.add("d1");
    let (_, data) = c.node(ctl[0]).tokens();
    let args = c.data_node_args(d, &ctl, &data);
    c.node_mut(d).start(args);
    c.wait_members(ctl[0], 4, Duration::from_secs(30));
    assert!(deploy(&c, ctl[0], &backend, 0));
    let proxy: SocketAddr = format!("{}:{PORT}", c.node(d).ip).parse().unwrap();
    wait_for(Duration::from_secs(15), "the proxy to serve", || {
        let load = Load::start_in(c.net(), 5, vec![proxy], HOST, ok);
        std::thread::sleep(Duration::from_millis(200));
        let r = load.stop();
        (r.ok > 0 && r.failed.is_empty()).then_some(())
    });
    let quiet = Load::start_in(c.net(), 5, vec![proxy], HOST, ok);
    std::thread::sleep(Duration::from_secs(3));
    let quiet = quiet.stop();

    println!("| fault | rounds | time to a committed write, median | max | failed requests | p99 during |");
    println!("|---|---|---|---|---|---|");
    println!("| none (3 s) | - | - | - | {} of {} | {} |", quiet.failed.len(), quiet.ok, ms(quiet.latency(0.99)));
    let mut n = 1;
    for kill in [false, true] {
        let (mut times, mut loads) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let name = wait_for(Duration::from_secs(20), "a leader", || {
                c.node(ctl[0]).leader().or_else(|| c.node(ctl[1]).leader())
            });
            let leader = c.index_of(&name);
            let majority: Vec<usize> = ctl.iter().copied().filter(|i| *i != leader).collect();
            let load = Load::start_in(c.net(), 5, vec![proxy], HOST, ok);
            std::thread::sleep(Duration::from_millis(300));
            let start = Instant::now();
            if kill {
                c.node_mut(leader).kill9();
            } else {
                c.net().partition(&[leader + 1], &[majority[0] + 1, majority[1] + 1]);
            }
            n += 1;
            while !deploy(&c, majority[0], &backend, n) {
                n += 1;
            }
            times.push(start.elapsed());
            eprintln!("round: {:?}", start.elapsed());
            std::thread::sleep(Duration::from_millis(300));
            loads.push(load.stop());
            if kill {
                c.node_mut(leader).restart(None);
            } else {
                c.net().heal();
            }
            for &i in &ctl {
                c.wait_members(i, 4, Duration::from_secs(30));
            }
        }
        summary(if kill { "leader killed (-9)" } else { "leader cut off from the majority" }, &mut times, &loads);
    }
    let load = Load::start_in(c.net(), 5, vec![proxy], HOST, ok);
    c.net().partition(&[4], &[1, 2, 3]);
    std::thread::sleep(Duration::from_secs(3));
    c.net().heal();
    std::thread::sleep(Duration::from_millis(500));
    let cut = load.stop();
    println!(
        "| data node cut off from every controller (3 s) | 1 | - | - | {} of {} | {} |",
        cut.failed.len(),
        cut.ok + cut.failed.len() as u64,
        ms(cut.latency(0.99))
    );
    let _ = common::raft_term(&c, ctl[0]);
}
