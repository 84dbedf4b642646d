//! Benchmark helpers for `bench/proxy.sh`:
//!
//! - `bench_tool routers N BACKEND_URL LISTEN`: prints a configuration with N routers (half
//!   ``Host && PathPrefix``, half ``Host && Path``) to BACKEND_URL, entry point on LISTEN;
//! - `bench_tool swap N`: loads an N-router configuration into an engine, then swaps in another
//!   N-router one, and prints the parse+validate and apply times and the process RSS.

use std::fmt::Write as _;
use std::time::Instant;

use traefikee_proxy::config::{load_document, Format};
use traefikee_proxy::engine::{Engine, EngineOptions};

fn config(n: usize, backend: &str, listen: &str, salt: &str) -> String {
    let mut out = format!("entryPoints:\n  web:\n    address: \"{listen}\"\nhttp:\n  routers:\n");
    for i in 0..n {
        let rule = if i % 2 == 0 {
            format!("Host(`h{i}.example.com`) && PathPrefix(`/api{salt}/{i}`)")
        } else {
            format!("Host(`h{i}.example.com`) && Path(`/exact{salt}/{i}`)")
        };
        let _ = writeln!(out, "    r{i}:\n      rule: \"{rule}\"\n      service: s{}", i % 16);
    }
    out.push_str("  services:\n");
    for s in 0..16 {
        let _ = writeln!(out, "    s{s}:\n      loadBalancer:\n        servers:\n          - url: \"{backend}\"");
    }
    out
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("routers") if args.len() == 4 => {
            let n: usize = args[1].parse().unwrap_or(10);
            print!("{}", config(n, &args[2], &args[3], ""));
            std::process::ExitCode::SUCCESS
        }
        Some("swap") => {
            let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
            let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("error: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            runtime.block_on(async move {
                let rss_start = rss_kib();
                let engine = match Engine::start(EngineOptions {
                    listen_ip: Some("127.0.0.1".parse().expect("ip")),
                    ..EngineOptions::default()
                })
                .await
                {
                    Ok(e) => e,
                    Err(e) => {
                        eprintln!("error: {e}");
                        return std::process::ExitCode::FAILURE;
                    }
                };
                let mut report = Vec::new();
                for (round, salt) in ["", "v2"].iter().enumerate() {
                    let text = config(n, "http://127.0.0.1:18080", ":0", salt);
                    let t = Instant::now();
                    let doc = match load_document(&text, Format::Yaml) {
                        Ok(d) => d,
                        Err(e) => {
                            eprintln!("error: {e}");
                            return std::process::ExitCode::FAILURE;
                        }
                    };
                    let parse = t.elapsed();
                    let t = Instant::now();
                    if let Err(e) = engine.apply(doc).await {
                        eprintln!("error: {e}");
                        return std::process::ExitCode::FAILURE;
                    }
                    let apply = t.elapsed();
                    report.push(format!(
                        "round={} routers={n} yaml_bytes={} parse_validate_ms={:.1} apply_ms={:.1} rss_kib={}",
                        round + 1,
                        text.len(),
                        parse.as_secs_f64() * 1000.0,
                        apply.as_secs_f64() * 1000.0,
                        rss_kib()
                    ));
                }
                println!("rss_kib_before_engine={rss_start}");
                for line in report {
                    println!("{line}");
                }
                std::process::ExitCode::SUCCESS
            })
        }
        _ => {
            eprintln!("usage: bench_tool routers N BACKEND_URL LISTEN | bench_tool swap N");
            std::process::ExitCode::from(2)
        }
    }
}
