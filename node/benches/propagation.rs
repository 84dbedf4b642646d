//! Configuration propagation: from `deploy` returning to every data node serving the new
//! route. 3 controllers and 5 data nodes on loopback, release build, real processes.
//! Each deploy adds a route `Path(/vN)`; every proxy is polled (1 ms apart) until it answers
//! it with 200. Then the same with 10,000 routers in the configuration.
//!
//! `cargo bench -p traefikee-node --bench propagation`
//! Environment: BENCH_DEPLOYS (100), BENCH_BIG_DEPLOYS (20), BENCH_BIG_ROUTERS (10000).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use traefikee_apiserver::types::{ConfigFormat, DeployRequest};
use traefikee_client::Client;
use traefikee_testkit::{wait_for, Backend, Cluster};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");
const PORT: u16 = 18100;

fn env_num(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn config(backend: &str, version: usize, filler: usize) -> String {
    let mut s = format!("entryPoints:\n  web:\n    address: ':{PORT}'\nhttp:\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: {backend}\n  routers:\n");
    s.push_str(&format!("    newest:\n      rule: Host(`app.test`) && Path(`/v{version}`)\n      service: app\n"));
    for i in 0..filler {
        s.push_str(&format!(
            "    r{i}:\n      rule: Host(`host{i}.test`) && PathPrefix(`/p{i}`)\n      service: app\n"
        ));
    }
    s
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn serves(client: &reqwest::Client, proxy: SocketAddr, version: usize) -> bool {
    let req =
        client.get(format!("http://{proxy}/v{version}")).header("host", "app.test").timeout(Duration::from_secs(2));
    matches!(req.send().await, Ok(r) if r.status() == 200)
}

async fn run(
    socket: &std::path::Path,
    proxies: &[SocketAddr],
    backend: &str,
    deploys: usize,
    filler: usize,
    label: &str,
) -> Vec<Duration> {
    let api = Client::local(socket);
    let http = reqwest::Client::new();
    let mut out = Vec::new();
    for n in 1..=deploys {
        let req = DeployRequest {
            content: Some(config(backend, n, filler)),
            format: ConfigFormat::Yaml,
            ..Default::default()
        };
        let before = Instant::now();
        api.deploy(&req).await.expect("deploy");
        let deployed = Instant::now();
        let waits = proxies.iter().map(|p| {
            let http = http.clone();
            let p = *p;
            async move {
                while !serves(&http, p, n).await {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    assert!(deployed.elapsed() < Duration::from_secs(30), "proxy {p} never served version {n}");
                }
            }
        });
        futures::future::join_all(waits).await;
        let lat = deployed.elapsed();
        eprintln!("{label} deploy {n}: deploy call {:?}, propagation {lat:?}", deployed - before);
        out.push(lat);
    }
    out
}

fn main() {
    let deploys = env_num("BENCH_DEPLOYS", 100);
    let big_deploys = env_num("BENCH_BIG_DEPLOYS", 20);
    let big_routers = env_num("BENCH_BIG_ROUTERS", 10_000);
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
    let socket = c.node(c.index_of(&leader)).socket();
    let proxies: Vec<SocketAddr> = dns.iter().map(|&d| format!("{}:{PORT}", c.node(d).ip).parse().unwrap()).collect();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

    let mut small = rt.block_on(run(&socket, &proxies, &backend.url(), deploys, 0, "small"));
    let mut big = rt.block_on(run(&socket, &proxies, &backend.url(), big_deploys, big_routers, "big"));
    let rss: Vec<String> = dns
        .iter()
        .filter_map(|&d| c.node(d).pid())
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|s| {
            s.lines().find(|l| l.starts_with("VmRSS")).map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_string())
        })
        .collect();

    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    println!("\n| configuration | deploys | p50 | p99 | max |");
    println!("|---|---|---|---|---|");
    println!(
        "| 1 router | {} | {} | {} | {} |",
        small.len(),
        ms(pct(&mut small, 0.5)),
        ms(pct(&mut small, 0.99)),
        ms(pct(&mut small, 1.0))
    );
    println!(
        "| {} routers | {} | {} | {} | {} |",
        big_routers + 1,
        big.len(),
        ms(pct(&mut big, 0.5)),
        ms(pct(&mut big, 0.99)),
        ms(pct(&mut big, 1.0))
    );
    println!("\ndata node RSS with {} routers: {} kB", big_routers + 1, rss.join(", "));
}
