//! Control-plane figures, traefikee beside etcd in one run, on loopback, real processes:
//! - join time of a control node (spawn to READY member),
//! - replicated write latency with fsync (p50/p99, sequential writes to the leader),
//! - leader failover: kill -9 of the leader to the first committed write on a survivor.
//!
//! `cargo bench -p traefikee-node --bench control_plane` (see bench/control-plane.sh).
//! Environment: BENCH_KILLS (10), BENCH_WRITES (500), BENCH_JOINS (4), ETCD (/usr/bin/etcd).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use traefikee_client::Client;
use traefikee_testkit::{wait_for, Cluster};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");

/// During a failover both systems are probed the same way: a write attempt that has not
/// committed within this time is abandoned and another one is sent at once.
const ATTEMPT: Duration = Duration::from_millis(100);

fn env_num(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Default)]
struct Stats(Vec<Duration>);

impl Stats {
    fn push(&mut self, d: Duration) {
        self.0.push(d);
    }
    fn pct(&self, p: f64) -> Duration {
        let mut v = self.0.clone();
        v.sort();
        let idx = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[idx]
    }
    fn max(&self) -> Duration {
        self.0.iter().max().copied().unwrap_or_default()
    }
    fn ms(d: Duration) -> String {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}

fn main() {
    let kills = env_num("BENCH_KILLS", 10);
    let writes = env_num("BENCH_WRITES", 500);
    let joins = env_num("BENCH_JOINS", 4);
    let etcd = std::env::var("ETCD").unwrap_or_else(|_| "/usr/bin/etcd".into());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();

    let t_join = traefikee_joins(joins);
    let (t_write, t_fail) = traefikee_cluster(&rt, writes, kills);
    let (e_write, e_fail) = etcd_cluster(&rt, &PathBuf::from(etcd), writes, kills);

    println!("\n| figure | traefikee | etcd 3.4 |");
    println!("|---|---|---|");
    println!("| control node join, median (n={}) | {} | — |", t_join.0.len(), Stats::ms(t_join.pct(0.5)));
    println!("| control node join, max | {} | — |", Stats::ms(t_join.max()));
    println!(
        "| replicated write p50 (n={writes}) | {} | {} |",
        Stats::ms(t_write.pct(0.5)),
        Stats::ms(e_write.pct(0.5))
    );
    println!("| replicated write p99 | {} | {} |", Stats::ms(t_write.pct(0.99)), Stats::ms(e_write.pct(0.99)));
    println!(
        "| leader kill -9 → committed write, median (n={kills}) | {} | {} |",
        Stats::ms(t_fail.pct(0.5)),
        Stats::ms(e_fail.pct(0.5))
    );
    println!("| leader kill -9 → committed write, max | {} | {} |", Stats::ms(t_fail.max()), Stats::ms(e_fail.max()));
}

fn member_count(c: &Cluster, i: usize) -> usize {
    c.node(i)
        .nodes()
        .map(|ns| ns.iter().filter(|n| n["status"] == "READY" && n["membership"] == "ACCEPTED").count())
        .unwrap_or(0)
}

/// Bootstrap one node, then join `n` control nodes one at a time.
fn traefikee_joins(n: usize) -> Stats {
    let mut c = Cluster::new(BIN);
    let ids = c.start_control_plane(&["j0"]);
    let (token, _) = c.node(ids[0]).tokens();
    let mut stats = Stats::default();
    for k in 1..=n {
        let i = c.add(&format!("j{k}"));
        let args = c.control_node_args(i, &[ids[0]], &token);
        let start = Instant::now();
        c.node_mut(i).start(args);
        wait_for(Duration::from_secs(30), "join", || (member_count(&c, ids[0]) == k + 1).then_some(()));
        stats.push(start.elapsed());
        eprintln!("traefikee join {k}: {:?}", start.elapsed());
    }
    stats
}

fn leader_index(c: &Cluster, n: usize) -> usize {
    let name = wait_for(Duration::from_secs(10), "a leader", || (0..n).find_map(|i| c.node(i).leader()));
    c.index_of(&name)
}

fn traefikee_cluster(rt: &tokio::runtime::Runtime, writes: usize, kills: usize) -> (Stats, Stats) {
    let mut c = Cluster::new(BIN);
    let ids = c.start_control_plane(&["t1", "t2", "t3"]);
    let leader = leader_index(&c, 3);
    let client = Client::local(&c.node(leader).socket());
    let mut lat = Stats::default();
    for _ in 0..writes {
        let start = Instant::now();
        rt.block_on(client.rotate_tokens()).expect("write");
        lat.push(start.elapsed());
    }
    eprintln!("traefikee writes: p50 {:?}", lat.pct(0.5));

    let mut fail = Stats::default();
    for k in 0..kills {
        let leader = leader_index(&c, 3);
        let survivor = *ids.iter().find(|&&i| i != leader).unwrap();
        let client = Client::local(&c.node(survivor).socket());
        c.node_mut(leader).kill9();
        let start = Instant::now();
        loop {
            let attempt = client.rotate_tokens();
            if let Ok(Ok(_)) = rt.block_on(async { tokio::time::timeout(ATTEMPT, attempt).await }) {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "no write after the leader died");
        }
        fail.push(start.elapsed());
        eprintln!("traefikee failover {k}: {:?}", start.elapsed());
        let mut args = c.control_flags(leader);
        args.insert(0, "start-control-node".into());
        c.node_mut(leader).restart(Some(args));
        c.wait_members(leader, 3, Duration::from_secs(30));
        c.wait_members(survivor, 3, Duration::from_secs(30));
    }
    (lat, fail)
}

struct Etcd {
    name: String,
    ip: String,
    args: Vec<String>,
    child: Option<Child>,
    log: PathBuf,
}

impl Etcd {
    fn start(&mut self, bin: &PathBuf) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        self.child = Some(
            Command::new(bin)
                .args(&self.args)
                .stdout(Stdio::from(log.try_clone().unwrap()))
                .stderr(Stdio::from(log))
                .spawn()
                .expect("start etcd"),
        );
    }
    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
    fn url(&self, path: &str) -> String {
        format!("http://{}:2379{path}", self.ip)
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        self.kill9();
    }
}

async fn etcd_put(http: &reqwest::Client, e: &Etcd, timeout: Duration) -> bool {
    let body =
        serde_json::json!({"key": "YmVuY2g=", "value": "dmFsdWUtb2YtYS1yZXBsaWNhdGVkLXdyaXRlLWZvci10aGUtYmVuY2htYXJr"});
    match http.post(e.url("/v3/kv/put")).json(&body).timeout(timeout).send().await {
        Ok(r) => r.status().is_success(),
        Err(_) => false,
    }
}

async fn etcd_leader(http: &reqwest::Client, members: &[Etcd]) -> Option<usize> {
    for m in members {
        let Ok(r) = http
            .post(m.url("/v3/maintenance/status"))
            .json(&serde_json::json!({}))
            .timeout(Duration::from_millis(500))
            .send()
            .await
        else {
            continue;
        };
        let Ok(v) = r.json::<serde_json::Value>().await else { continue };
        if v["leader"].is_string() && v["leader"] == v["header"]["member_id"] {
            return members.iter().position(|x| x.name == m.name);
        }
    }
    None
}

fn etcd_cluster(rt: &tokio::runtime::Runtime, bin: &PathBuf, writes: usize, kills: usize) -> (Stats, Stats) {
    // A testkit cluster only to get a free loopback block and a temporary directory.
    let c = Cluster::new(BIN);
    let ips: Vec<String> = (1..=3).map(|i| c.ip(i)).collect();
    let initial: Vec<String> = ips.iter().enumerate().map(|(i, ip)| format!("e{i}=http://{ip}:2380")).collect();
    let mut members: Vec<Etcd> = ips
        .iter()
        .enumerate()
        .map(|(i, ip)| Etcd {
            name: format!("e{i}"),
            ip: ip.clone(),
            log: c.dir.path().join(format!("etcd{i}.log")),
            args: vec![
                format!("--name=e{i}"),
                format!("--data-dir={}", c.dir.path().join(format!("etcd{i}")).display()),
                format!("--listen-client-urls=http://{ip}:2379"),
                format!("--advertise-client-urls=http://{ip}:2379"),
                format!("--listen-peer-urls=http://{ip}:2380"),
                format!("--initial-advertise-peer-urls=http://{ip}:2380"),
                format!("--initial-cluster={}", initial.join(",")),
                "--initial-cluster-state=new".into(),
                "--initial-cluster-token=bench".into(),
            ],
            child: None,
        })
        .collect();
    for m in members.iter_mut() {
        m.start(bin);
    }
    let http = reqwest::Client::new();
    let leader = wait_for(Duration::from_secs(30), "etcd leader", || rt.block_on(etcd_leader(&http, &members)));
    let mut lat = Stats::default();
    for _ in 0..writes {
        let start = Instant::now();
        assert!(rt.block_on(etcd_put(&http, &members[leader], Duration::from_secs(5))), "etcd put");
        lat.push(start.elapsed());
    }
    eprintln!("etcd writes: p50 {:?}", lat.pct(0.5));
    let mut fail = Stats::default();
    for k in 0..kills {
        let leader = wait_for(Duration::from_secs(30), "etcd leader", || rt.block_on(etcd_leader(&http, &members)));
        let survivor = (leader + 1) % 3;
        members[leader].kill9();
        let start = Instant::now();
        while !rt.block_on(etcd_put(&http, &members[survivor], ATTEMPT)) {
            assert!(start.elapsed() < Duration::from_secs(30), "no etcd write after the leader died");
        }
        fail.push(start.elapsed());
        eprintln!("etcd failover {k}: {:?}", start.elapsed());
        members[leader].start(bin);
        wait_for(Duration::from_secs(30), "etcd member back", || {
            rt.block_on(etcd_put(&http, &members[leader], Duration::from_millis(500))).then_some(())
        });
    }
    (lat, fail)
}
