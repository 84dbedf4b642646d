//! Issue 13: a rolling restart of every node (SIGTERM, start again) under constant load
//! through both proxies, as a load balancer in front of them sends it: no request fails,
//! and the p99 latency during the roll is printed beside the one before it.

use std::net::SocketAddr;
use std::time::Duration;

use traefikee_testkit::{wait_for, wait_for_or, Answer, Backend, Cluster, Load};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");
const PORT: u16 = 18000;
const HOST: &str = "app.test";

fn ok(a: &Answer) -> Result<(), String> {
    (a.body == "A").then_some(()).ok_or_else(|| format!("body {:?}", a.body))
}

fn answers(addr: SocketAddr) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(addr) else { return false };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(s, "GET / HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

#[test]
fn a_rolling_restart_of_every_node_fails_no_request() {
    let backend = Backend::start("A");
    let mut c = Cluster::new(BIN);
    let ctl = c.start_control_plane(&["c1", "c2", "c3"]);
    let (_, data) = c.node(ctl[0]).tokens();
    let dns: Vec<usize> = ["d1", "d2"].iter().map(|n| c.add(n)).collect();
    for &d in &dns {
        let args = c.data_node_args(d, &ctl, &data);
        c.node_mut(d).start(args);
    }
    c.wait_members(ctl[0], 5, Duration::from_secs(30));
    let file = c.dir.path().join("app.yaml");
    std::fs::write(
        &file,
        format!(
            "entryPoints:\n  web:\n    address: ':{PORT}'\nhttp:\n  routers:\n    app:\n      rule: Host(`{HOST}`)\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: {}\n",
            backend.url()
        ),
    )
    .unwrap();
    c.node(ctl[0]).local(&["deploy", &format!("--configfile={}", file.display()), "--wait"]).success();
    let proxies: Vec<SocketAddr> = dns.iter().map(|d| format!("{}:{PORT}", c.node(*d).ip).parse().unwrap()).collect();

    let before = Load::start_balanced(proxies.clone(), HOST, ok);
    before.wait_for_more(2_000, Duration::from_secs(30));
    let before = before.stop();

    let load = Load::start_balanced(proxies.clone(), HOST, ok);
    for i in ctl.iter().chain(&dns).copied() {
        let status = c.node_mut(i).stop().expect("the node was running");
        assert!(status.success(), "{} did not stop cleanly: {status:?}\n{}", c.node(i).name, c.node(i).logs());
        c.node_mut(i).restart(None);
        let other = ctl.iter().copied().find(|o| *o != i).unwrap();
        c.wait_members(other, 5, Duration::from_secs(30));
        if dns.contains(&i) {
            let addr = proxies[dns.iter().position(|d| *d == i).unwrap()];
            wait_for_or(
                Duration::from_secs(20),
                || answers(addr).then_some(()),
                || format!("{} does not serve again", c.node(i).name),
            );
        }
        load.wait_for_more(200, Duration::from_secs(20));
    }
    // The control plane still commits after the roll.
    wait_for(Duration::from_secs(10), "a write after the roll", || {
        c.node(ctl[1]).local(&["tokens", "rotate"]).ok().then_some(())
    });
    let during = load.stop();
    eprintln!(
        "rolling restart of 5 nodes: {} requests, 0 failed, {} rerouted from a restarting proxy; p50/p99 before {:?}/{:?}, during {:?}/{:?}",
        during.ok,
        during.rerouted,
        before.latency(0.5),
        before.latency(0.99),
        during.latency(0.5),
        during.latency(0.99)
    );
    during.assert_no_failures();
    during.assert_consistent();
}
