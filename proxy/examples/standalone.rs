//! The engine in standalone mode, as `traefikee start-data-node --configfile=FILE` runs it:
//! serves the file and reloads it on change. Used by `bench/proxy.sh`.
//!
//! `TRAEFIKEE_WORKERS=1 cargo run --release -p traefikee-proxy --example standalone -- config.yaml`
//! (`RUST_LOG=info` for logs).

use std::path::PathBuf;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let Some(path) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: standalone CONFIG_FILE");
        return std::process::ExitCode::from(2);
    };
    let workers = std::env::var("TRAEFIKEE_WORKERS")
        .ok()
        .and_then(|w| w.parse::<usize>().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(workers.max(1)).enable_all().build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let options = traefikee_proxy::engine::EngineOptions::default();
    match runtime.block_on(traefikee_proxy::standalone::run_standalone(&path, options)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
