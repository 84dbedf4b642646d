//! Issue 12 figures, real processes on loopback:
//! - `list-nodes` over the mTLS API (a new connection per call, as `traefikeectl` makes) and
//!   the leader's term, quiet and under a flood of half-open connections to both ports, from
//!   one address and from many;
//! - the time from `credentials revoke` and `rm-node` until every controller refuses the
//!   credential, including one stopped during the change and restarted.
//!
//! `cargo bench -p traefikee-node --bench security` (see bench/security.sh).
//! Environment: BENCH_CALLS (200), BENCH_FLOOD (3000 connections per port).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{identity, node_client, operator, raft_term, Operator};
use traefikee_apiserver::types::RevokeRequest;
use traefikee_client::Client;
use traefikee_testkit::Cluster;

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");

fn env_num(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn pct(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// `calls` list-nodes, each on a new TLS connection; their latencies and failures.
async fn list_nodes(op: &Operator, api: &str, calls: usize) -> (Vec<Duration>, usize) {
    let mut times = Vec::new();
    let mut failed = 0;
    for _ in 0..calls {
        let http = op.http();
        let started = Instant::now();
        match http.get(format!("https://{api}/api/v1/nodes")).send().await {
            Ok(r) if r.status().is_success() => times.push(started.elapsed()),
            _ => failed += 1,
        }
    }
    (times, failed)
}

/// Opens up to `count` TCP connections to `target` from the given source addresses and
/// keeps them open without sending a byte.
async fn flood(target: &str, sources: &[String], count: usize) -> Vec<tokio::net::TcpStream> {
    let addr: SocketAddr = target.parse().unwrap();
    let mut held = Vec::new();
    for i in 0..count {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{}:0", sources[i % sources.len()]).parse().unwrap()).unwrap();
        if let Ok(Ok(s)) = tokio::time::timeout(Duration::from_millis(500), socket.connect(addr)).await {
            held.push(s);
        }
    }
    held
}

async fn refused(http: &reqwest::Client, url: &str) -> bool {
    match http.get(url).send().await {
        Ok(r) => r.status() == 401 || r.status() == 403,
        Err(_) => false,
    }
}

/// Polls until every url is refused; the time it took.
async fn until_refused(http: &reqwest::Client, urls: &[String]) -> Duration {
    let started = Instant::now();
    loop {
        let mut all = true;
        for u in urls {
            all &= refused(http, u).await;
        }
        if all || started.elapsed() > Duration::from_secs(60) {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn main() {
    traefikee_node::transport::raise_fd_limit();
    let calls = env_num("BENCH_CALLS", 200);
    let flood_size = env_num("BENCH_FLOOD", 3000);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut c = Cluster::new(BIN);
    let ids = c.start_control_plane(&["b1", "b2", "b3"]);
    let (b1, b2, b3) = (ids[0], ids[1], ids[2]);
    let api = c.node(b1).api_addr();
    rt.block_on(async {
        let op = operator(&c, b1, "bench").await;
        let term0 = raft_term(&c, b1);
        let (quiet, quiet_failed) = list_nodes(&op, &api, calls).await;

        let one = vec![c.ip(250)];
        let mut held = flood(&c.node(b1).cluster_addr(), &one, flood_size).await;
        held.extend(flood(&api, &one, flood_size).await);
        let fds = std::fs::read_dir(format!("/proc/{}/fd", c.node(b1).pid().unwrap())).map(|d| d.count()).unwrap_or(0);
        let (one_ip, one_failed) = list_nodes(&op, &api, calls).await;
        let held_one = held.len();
        drop(held);

        let many: Vec<String> = (200..250).map(|i| c.ip(i)).collect();
        let mut held = flood(&c.node(b1).cluster_addr(), &many, flood_size).await;
        held.extend(flood(&api, &many, flood_size).await);
        let (many_ip, many_failed) = list_nodes(&op, &api, calls).await;
        let held_many = held.len();
        drop(held);
        let term1 = raft_term(&c, b1);

        println!("\n| list-nodes over mTLS, new connection each (n={calls}) | p50 | p99 | failed | leader term |");
        println!("|---|---|---|---|---|");
        println!("| quiet | {} | {} | {quiet_failed} | {term0} |", ms(pct(&quiet, 0.5)), ms(pct(&quiet, 0.99)));
        println!(
            "| flood: {held_one} half-open connections from one address (controller held {fds} fds) | {} | {} | {one_failed} | — |",
            ms(pct(&one_ip, 0.5)),
            ms(pct(&one_ip, 0.99))
        );
        let many_p = |p| if many_ip.is_empty() { "—".to_string() } else { ms(pct(&many_ip, p)) };
        println!(
            "| flood: {held_many} half-open connections from 50 addresses | {} | {} | {many_failed} | {term1} |",
            many_p(0.5),
            many_p(0.99)
        );

        // Revocation: every controller refuses a revoked operator; one was stopped meanwhile.
        let victim = operator(&c, b1, "victim").await;
        let http = victim.http();
        let apis: Vec<String> = ids.iter().map(|i| c.node(*i).api_addr()).collect();
        let secret = |i: usize| format!("https://{}/api/v1/tokens", apis[i]);
        let diagnostic = |i: usize| format!("https://{}/api/v1/nodes", apis[i]);
        tokio::task::block_in_place(|| c.node_mut(b3).stop());
        let local = Client::local(&c.node(b1).socket());
        local.revoke_credential(&RevokeRequest { credential: "victim".into() }).await.unwrap();
        let live = until_refused(&http, &[secret(b1), secret(b2), diagnostic(b1), diagnostic(b2)]).await;
        c.node_mut(b3).restart(None);
        let restarted = Instant::now();
        let _ = until_refused(&http, &[secret(b3), diagnostic(b3)]).await;
        let back = restarted.elapsed();

        // rm-node of a controller: every other controller refuses its certificate.
        let b4 = c.add("b4");
        let (control, _) = c.node(b1).tokens();
        let args = c.control_node_args(b4, &[b1], &control);
        c.node_mut(b4).start(args);
        tokio::task::block_in_place(|| c.wait_members(b1, 4, Duration::from_secs(60)));
        let me = identity(&c.node(b4).statedir());
        let removed = node_client(&me);
        tokio::task::block_in_place(|| c.node_mut(b3).stop());
        c.node(b1).local(&["rm-node", "b4"]).success();
        let cluster_addrs: Vec<String> = ids.iter().map(|i| c.node(*i).cluster_addr()).collect();
        let feed = |i: usize| format!("https://{}/cluster/v1/nodes", cluster_addrs[i]);
        let rm_live = until_refused(&removed, &[feed(b1), feed(b2)]).await;
        c.node_mut(b3).restart(None);
        let restarted = Instant::now();
        let _ = until_refused(&removed, &[feed(b3)]).await;
        let rm_back = restarted.elapsed();
        let exited = tokio::task::block_in_place(|| c.node_mut(b4).wait_exit(Duration::from_secs(30)));

        println!("\n| change | every live controller refuses | the one stopped during it, from its restart |");
        println!("|---|---|---|");
        println!("| credentials revoke (secret and diagnostic endpoints) | {} after the command returned | {} |", ms(live), ms(back));
        println!(
            "| rm-node of a controller (its certificate, cluster port) | {} after the command returned | {} (the removed node exited: {}) |",
            ms(rm_live),
            ms(rm_back),
            exited
        );
    });
}
