//! Provider propagation: from a key written to etcd (Debian's etcd-server, one member on
//! loopback) to every data node serving the route it changes. 3 controllers and 5 data
//! nodes, release build, real processes. Each write changes the rule of the router `newest`
//! to `Path(/vN)`; every proxy is polled (1 ms apart) until it answers `/vN` with 200. Then
//! the same with 10,000 more routers in etcd, and the leader's CPU time and memory.
//!
//! `cargo bench -p traefikee-node --bench providers`
//! Environment: BENCH_WRITES (100), BENCH_BIG_WRITES (20), BENCH_BIG_ROUTERS (10000).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::json;
use traefikee_testkit::stores::Etcd;
use traefikee_testkit::{wait_for, Backend, Cluster};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");
const PORT: u16 = 18700;

fn env_num(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Writes keys through etcd's JSON gateway, 128 per transaction (etcd's default limit).
async fn put_all(http: &reqwest::Client, endpoint: &str, keys: &[(String, String)]) {
    for chunk in keys.chunks(128) {
        let ops: Vec<_> =
            chunk.iter().map(|(k, v)| json!({"request_put": {"key": B64.encode(k), "value": B64.encode(v)}})).collect();
        let resp =
            http.post(format!("http://{endpoint}/v3/kv/txn")).json(&json!({"success": ops})).send().await.unwrap();
        assert!(resp.status().is_success(), "etcd txn: {}", resp.text().await.unwrap());
    }
}

async fn serves(client: &reqwest::Client, proxy: SocketAddr, version: usize) -> bool {
    let req =
        client.get(format!("http://{proxy}/v{version}")).header("host", "app.test").timeout(Duration::from_secs(2));
    matches!(req.send().await, Ok(r) if r.status() == 200)
}

async fn run(etcd: &str, proxies: &[SocketAddr], writes: usize, first: usize, label: &str) -> Vec<Duration> {
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for n in first..first + writes {
        let rule = format!("Host(`app.test`) && Path(`/v{n}`)");
        put_all(&http, etcd, &[("traefik/http/routers/newest/rule".into(), rule)]).await;
        let written = Instant::now();
        let waits = proxies.iter().map(|p| {
            let http = http.clone();
            let p = *p;
            async move {
                while !serves(&http, p, n).await {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    assert!(written.elapsed() < Duration::from_secs(60), "proxy {p} never served /v{n}");
                }
            }
        });
        futures::future::join_all(waits).await;
        let lat = written.elapsed();
        eprintln!("{label} write {n}: propagation {lat:?}");
        out.push(lat);
    }
    out
}

/// CPU seconds (user + system) and RSS (kB) of a process.
fn usage(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: f64 = fields.get(11..13).map(|f| f.iter().filter_map(|t| t.parse::<f64>().ok()).sum()).unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0);
    (ticks / 100.0, rss)
}

fn main() {
    let writes = env_num("BENCH_WRITES", 100);
    let big_writes = env_num("BENCH_BIG_WRITES", 20);
    let big_routers = env_num("BENCH_BIG_ROUTERS", 10_000);
    let etcd = Etcd::start("127.0.0.1");
    let backend = Backend::start("ok");
    let mut c = Cluster::new(BIN);
    let ctl = c.start_control_plane(&["c1", "c2", "c3"]);
    let (_, data_token) = c.node(ctl[0]).tokens();
    let dns: Vec<usize> = (1..=5).map(|i| c.add(&format!("d{i}"))).collect();
    for &d in &dns {
        let args = c.data_node_args(d, &[ctl[0]], &data_token);
        c.node_mut(d).start(args);
    }
    c.wait_members(ctl[0], 8, Duration::from_secs(60));
    let leader = wait_for(Duration::from_secs(10), "a leader", || c.node(ctl[0]).leader());
    let leader = c.index_of(&leader);
    let proxies: Vec<SocketAddr> = dns.iter().map(|&d| format!("{}:{PORT}", c.node(d).ip).parse().unwrap()).collect();
    let file = c.dir.path().join("providers.yml");
    std::fs::write(
        &file,
        format!(
            "entryPoints:\n  web:\n    address: ':{PORT}'\nproviders:\n  etcd:\n    endpoints: ['{}']\n",
            etcd.endpoint
        ),
    )
    .unwrap();
    c.node(leader).local(&["deploy", &format!("--configfile={}", file.display()), "--wait"]).success();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let http = reqwest::Client::new();
    rt.block_on(put_all(
        &http,
        &etcd.endpoint,
        &[
            ("traefik/http/services/app/loadbalancer/servers/0/url".into(), backend.url()),
            ("traefik/http/routers/newest/service".into(), "app".into()),
        ],
    ));

    let mut small = rt.block_on(run(&etcd.endpoint, &proxies, writes, 1, "small"));

    let mut many = Vec::with_capacity(big_routers * 2);
    for i in 0..big_routers {
        many.push((format!("traefik/http/routers/r{i}/rule"), format!("Host(`host{i}.test`) && PathPrefix(`/p{i}`)")));
        many.push((format!("traefik/http/routers/r{i}/service"), "app".into()));
    }
    let loading = Instant::now();
    rt.block_on(put_all(&http, &etcd.endpoint, &many));
    let first_big = writes + 1;
    let mut loaded = rt.block_on(run(&etcd.endpoint, &proxies, 1, first_big, "load"));
    eprintln!("{} keys written and served in {:?}", many.len(), loading.elapsed());
    let pid = c.node(leader).pid().unwrap();
    let (cpu_before, _) = usage(pid);
    let started = Instant::now();
    let mut big = rt.block_on(run(&etcd.endpoint, &proxies, big_writes, first_big + 1, "big"));
    let (cpu_after, rss) = usage(pid);
    let wall = started.elapsed().as_secs_f64();

    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    println!("\n| routers in etcd | writes | p50 | p99 | max |");
    println!("|---|---|---|---|---|");
    println!(
        "| 1 | {} | {} | {} | {} |",
        small.len(),
        ms(pct(&mut small, 0.5)),
        ms(pct(&mut small, 0.99)),
        ms(pct(&mut small, 1.0))
    );
    println!(
        "| {} | {} | {} | {} | {} |",
        big_routers + 1,
        big.len(),
        ms(pct(&mut big, 0.5)),
        ms(pct(&mut big, 0.99)),
        ms(pct(&mut big, 1.0))
    );
    println!(
        "\nloading {} keys in {} transactions: served by all proxies {} after the last write",
        many.len(),
        many.len().div_ceil(128),
        ms(pct(&mut loaded, 1.0))
    );
    println!(
        "leader with {} routers from etcd: {:.2} s of CPU over {:.1} s of {} writes ({:.0}% of a core), RSS {} MiB",
        big_routers + 1,
        cpu_after - cpu_before,
        wall,
        big.len(),
        (cpu_after - cpu_before) / wall * 100.0,
        rss / 1024
    );
}
