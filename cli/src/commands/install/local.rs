//! `install --local` and `uninstall --local`: supervises a real cluster of `traefikee`
//! processes on this machine, each "machine" a loopback address, for a first contact without
//! any infrastructure. Starting the processes, recording them in `install.json`, waiting
//! until they are ready, stopping them and removing what they left are this module's; the
//! flags are `crate::args`'s and the choice between local and Kubernetes is `super`'s.
//!
//! Layout under `$XDG_DATA_HOME/traefikee/<name>` (default `~/.local/share/traefikee`):
//! `install.json` (what runs where), `logs/<node>.log`, `nodes/<node>/` (state dirs and
//! sockets) and `credentials/` (the one-time API credential, consumed by the connect).
//!
//! Join tokens reach the nodes through their environment (`TRAEFIKEE_TOKEN`), never their
//! command line, which every user of the machine can read in `/proc/PID/cmdline`.

use std::fs;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use traefikee_apiserver::types::{NodeList, NodeRole, Status, Tokens};
use traefikee_apiserver::ErrorCode;
use traefikee_records::names::{check_cluster_name, check_node_name};

use crate::args::InstallArgs;
use crate::commands::{connect, Session};
use crate::profile::Profiles;
use crate::progress::counter;
use traefikee_client::output::Format;
use traefikee_client::{Failure, Outcome};

const CLUSTER_PORT: u16 = 4242;
const API_PORT: u16 = 55055;
const DEFAULT_NAME: &str = "local";
/// The variable `start-control-node` and `start-data-node` read their `--token` from.
const TOKEN_VAR: &str = "TRAEFIKEE_TOKEN";

/// What `install.json` records.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Installed {
    name: String,
    nodes: Vec<LocalNode>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LocalNode {
    name: String,
    ip: String,
    pid: u32,
    control: bool,
}

/// `$XDG_DATA_HOME/traefikee/<name>`. The name is checked again here (clap checked the flag),
/// so that no path outside that directory is ever removed or written.
fn install_dir(name: &str) -> Result<PathBuf, Failure> {
    check_cluster_name(name).map_err(|e| Failure::refused(e.to_string()))?;
    Ok(crate::profile::xdg_dir("XDG_DATA_HOME", ".local/share", "the cluster")?.join("traefikee").join(name))
}

/// The nodes' names are the cluster's with a suffix: they must be valid node names too.
fn check_node_names(name: &str, nodes: &[(String, String)]) -> Outcome {
    for (node, _) in nodes {
        check_node_name(node).map_err(|e| {
            Failure::refused(format!("--clustername={name} makes node names that are not valid: {e}"))
                .hint("pick a shorter --clustername; nothing was started")
        })?;
    }
    Ok(())
}

/// A /24 of 127/8 of the cluster's own, derived from its name, so that two local clusters
/// with different names use different addresses.
fn subnet(name: &str) -> String {
    let h = name.bytes().fold(2166136261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16777619));
    format!("127.{}.{}", 100 + h % 100, 1 + (h >> 8) % 250)
}

fn find_traefikee(given: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(p) = given {
        return if p.is_file() {
            Ok(p.to_path_buf())
        } else {
            Err(Failure::refused(format!("{} is not a file", p.display())).hint("pass the traefikee binary's path"))
        };
    }
    let beside = std::env::current_exe().ok().and_then(|p| p.parent().map(|d| d.join("traefikee")));
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("traefikee")).collect::<Vec<_>>())
        .unwrap_or_default();
    beside.into_iter().chain(on_path).find(|p| p.is_file()).ok_or_else(|| {
        Failure::refused("the traefikee binary is not beside traefikeectl nor on $PATH")
            .hint("install it (cargo install --path node) or pass --traefikee-bin=PATH")
    })
}

fn port_free(addr: &str) -> Result<(), Failure> {
    TcpListener::bind(addr).map(drop).map_err(|e| {
        Failure::refused(format!("{addr} is not available: {e}"))
            .hint("stop what uses it, or install under another --clustername (it gets other addresses)")
    })
}

fn is_alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.contains("traefikee"))
        && fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit(')').next().map(|r| !r.trim_start().starts_with('Z')))
            .unwrap_or(false)
}

fn signal(pid: u32, sig: nix::sys::signal::Signal) {
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), sig);
}

/// Stops the processes, SIGTERM then SIGKILL after 5 s; returns those that had to be killed.
fn stop_all(nodes: &[LocalNode]) -> usize {
    for n in nodes.iter().filter(|n| is_alive(n.pid)) {
        signal(n.pid, nix::sys::signal::Signal::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while nodes.iter().any(|n| is_alive(n.pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let stubborn: Vec<_> = nodes.iter().filter(|n| is_alive(n.pid)).collect();
    for n in &stubborn {
        signal(n.pid, nix::sys::signal::Signal::SIGKILL);
    }
    stubborn.len()
}

struct Launch {
    dir: PathBuf,
    bin: PathBuf,
    nodes: Vec<LocalNode>,
    /// The processes started, to tell exactly when one exits.
    children: Vec<std::process::Child>,
}

impl Launch {
    /// Starts `traefikee args`; a join token goes through its environment.
    fn spawn(
        &mut self,
        name: &str,
        ip: &str,
        control: bool,
        args: Vec<String>,
        token: Option<&str>,
    ) -> Result<(), Failure> {
        let logs = self.dir.join("logs");
        fs::create_dir_all(&logs).map_err(|e| Failure::io(format!("cannot create {}: {e}", logs.display())))?;
        let log_path = logs.join(format!("{name}.log"));
        let log = fs::File::create(&log_path)
            .map_err(|e| Failure::io(format!("cannot create {}: {e}", log_path.display())))?;
        let err = log.try_clone().map_err(|e| Failure::io(e.to_string()))?;
        let mut command = Command::new(&self.bin);
        command.args(&args).env_remove(TOKEN_VAR);
        if let Some(token) = token {
            command.env(TOKEN_VAR, token);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .process_group(0)
            .spawn()
            .map_err(|e| Failure::io(format!("cannot start {}: {e}", self.bin.display())))?;
        self.nodes.push(LocalNode { name: name.into(), ip: ip.into(), pid: child.id(), control });
        self.children.push(child);
        self.record()
    }

    fn record(&self) -> Result<(), Failure> {
        let installed = Installed {
            name: self.dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            nodes: self.nodes.clone(),
        };
        let path = self.dir.join("install.json");
        fs::write(&path, serde_json::to_vec_pretty(&installed).unwrap_or_default())
            .map_err(|e| Failure::io(format!("cannot write {}: {e}", path.display())))
    }

    fn node_args(&self, name: &str, ip: &str) -> Vec<String> {
        let node_dir = self.dir.join("nodes").join(name);
        vec![
            format!("--name={name}"),
            format!("--statedir={}", node_dir.join("state").display()),
            format!("--traefikeesocket={}", self.dir.join("nodes").join(format!("{name}.sock")).display()),
            format!("--peeraddresses={ip}"),
        ]
    }

    /// The end of a node's log, for a failure message.
    fn log_tail(&self, name: &str) -> String {
        let text = fs::read_to_string(self.dir.join("logs").join(format!("{name}.log"))).unwrap_or_default();
        let lines: Vec<&str> = text.lines().rev().take(5).collect();
        lines.into_iter().rev().collect::<Vec<_>>().join("\n")
    }

    fn check_running(&mut self) -> Result<(), Failure> {
        for (i, child) in self.children.iter_mut().enumerate() {
            if let Ok(Some(status)) = child.try_wait() {
                let name = self.nodes[i].name.clone();
                return Err(Failure::new(
                    ErrorCode::Unavailable,
                    format!("{name} exited ({status}):\n{}", self.log_tail(&name)),
                ));
            }
        }
        Ok(())
    }

    /// Stops every process started, SIGTERM then SIGKILL after 5 s; returns how many had to
    /// be killed.
    fn stop(&mut self) -> usize {
        for child in &self.children {
            signal(child.id(), nix::sys::signal::Signal::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut killed = 0;
        for child in &mut self.children {
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
                let _ = child.wait();
                killed += 1;
            }
        }
        killed
    }
}

/// Polls `check` every 50 ms until it gives a value, the deadline passes, or a node exits.
async fn wait<T, F, Fut>(launch: &mut Launch, timeout: Duration, what: &str, mut check: F) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Ok(v);
        }
        launch.check_running()?;
        if Instant::now() >= deadline {
            return Err(Failure::new(
                ErrorCode::Unavailable,
                format!("{what} did not happen within {}s", timeout.as_secs()),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `install --local`: starts the cluster, waits until every node is ready and connects a
/// profile; on any failure, stops what it started and removes its directory.
pub(super) async fn install(clustername: Option<String>, args: &InstallArgs) -> Outcome {
    if args.data_nodes > 20 {
        return Err(Failure::refused(format!("--datanodes={} is more than 20 for a local cluster", args.data_nodes)));
    }
    super::refuse_dashboard(args)?;
    let name = clustername.unwrap_or_else(|| DEFAULT_NAME.to_owned());
    if args.control_nodes > 1 && args.control_nodes.is_multiple_of(2) {
        eprintln!(
            "warning: --controlnodes={} is even: it tolerates no more failures than {}",
            args.control_nodes,
            args.control_nodes - 1
        );
    }
    let net = subnet(&name);
    let controllers: Vec<(String, String)> =
        (1..=args.control_nodes).map(|i| (format!("{name}-controller-{i}"), format!("{net}.{i}"))).collect();
    let proxies: Vec<(String, String)> =
        (1..=args.data_nodes).map(|i| (format!("{name}-proxy-{i}"), format!("{net}.{}", 100 + i))).collect();
    check_node_names(&name, &controllers)?;
    check_node_names(&name, &proxies)?;
    let bin = find_traefikee(args.traefikee_bin.as_deref())?;
    let dir = install_dir(&name)?;
    if dir.join("install.json").exists() {
        if !args.force {
            return Err(Failure::refused(format!(
                "a local cluster named {name:?} is already installed in {}",
                dir.display()
            ))
            .hint(format!(
                "uninstall it first (traefikeectl uninstall --local --clustername={name}), or pass --force"
            )));
        }
        uninstall_dir(&name, &dir)?;
    }
    for (_, ip) in &controllers {
        port_free(&format!("{ip}:{CLUSTER_PORT}"))?;
        port_free(&format!("{ip}:{API_PORT}"))?;
    }
    fs::create_dir_all(&dir).map_err(|e| Failure::io(format!("cannot create {}: {e}", dir.display())))?;
    let started = Instant::now();
    let mut launch = Launch { dir: dir.clone(), bin, nodes: Vec::new(), children: Vec::new() };
    match run_install(&name, &mut launch, &controllers, &proxies, args).await {
        Ok(()) => {
            print_up(&name, &dir, &controllers, &proxies, started.elapsed());
            Ok(())
        }
        Err(f) => {
            let killed = launch.stop();
            let _ = fs::remove_dir_all(&dir);
            remove_profile(&Profiles::locate()?, &name, &launch.nodes);
            let mut f = f;
            f.message = format!("the local cluster could not be installed: {}", f.message);
            let left = if killed > 0 { format!(" ({killed} had to be killed)") } else { String::new() };
            Err(f.hint(format!("everything it started was stopped{left} and {} removed", dir.display())))
        }
    }
}

/// What `install --local` prints once the cluster is up: where it is and what to do next.
fn print_up(name: &str, dir: &Path, controllers: &[(String, String)], proxies: &[(String, String)], took: Duration) {
    traefikee_client::outln!(
        "✔ Local cluster {name} is up in {:.1}s: {} control node{}, {} data node{}; profile {name:?} connected",
        took.as_secs_f64(),
        controllers.len(),
        if controllers.len() == 1 { "" } else { "s" },
        proxies.len(),
        if proxies.len() == 1 { "" } else { "s" },
    );
    traefikee_client::outln!("  state and logs: {}", dir.display());
    if !proxies.is_empty() {
        let ips: Vec<&str> = proxies.iter().map(|(_, ip)| ip.as_str()).collect();
        traefikee_client::outln!("  proxies listen on {} (entry points without a host bind there)", ips.join(", "));
    }
    traefikee_client::outln!("Next:");
    traefikee_client::outln!("  traefikeectl list-nodes");
    traefikee_client::outln!(
        "  traefikeectl deploy --entryPoints='Name:web Address::8080' --configfile=dynamic.yaml --wait"
    );
    if let Some((_, ip)) = proxies.first() {
        traefikee_client::outln!("  curl http://{ip}:8080/");
    }
    traefikee_client::outln!(
        "  traefikeectl uninstall --local{}",
        if name == DEFAULT_NAME { String::new() } else { format!(" --clustername={name}") }
    );
}

async fn run_install(
    name: &str,
    launch: &mut Launch,
    controllers: &[(String, String)],
    proxies: &[(String, String)],
    args: &InstallArgs,
) -> Outcome {
    let total = (controllers.len() + proxies.len() + 2) as u64;
    let progress = counter(total);
    let (first, first_ip) = &controllers[0];
    let creds = launch.dir.join("credentials");
    progress.set_message(format!("starting {first}"));
    let mut bootstrap = vec!["bootstrap".to_string(), format!("--clustername={name}")];
    bootstrap.extend(launch.node_args(first, first_ip).into_iter().filter(|a| !a.starts_with("--peeraddresses")));
    bootstrap.extend([
        format!("--listen={first_ip}:{CLUSTER_PORT}"),
        format!("--api.addr={first_ip}:{API_PORT}"),
        format!("--mtlscertsoutputdir={}", creds.display()),
    ]);
    launch.spawn(first, first_ip, true, bootstrap, None)?;
    wait(launch, Duration::from_secs(30), &format!("{first} writing the API credentials"), || async {
        creds.join("key.pem").exists().then_some(())
    })
    .await?;
    progress.inc(1);

    progress.set_message("connecting traefikeectl");
    progress.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    let one_time = connect::read_credentials(&creds)?;
    let source = connect::Source::Dir(creds.clone());
    connect::exchange(Some(name.to_owned()), one_time, source, format!("{first_ip}:{API_PORT}"), None, args.force)
        .await?;
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        progress.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    }
    progress.inc(1);
    let session = Session::open(Some(name), Format::Table).await?;
    let tokens: Tokens = session.client.tokens().await?;

    let peers = format!("{first_ip}:{CLUSTER_PORT}");
    for (node, ip) in &controllers[1..] {
        progress.set_message(format!("starting {node}"));
        let mut a = vec!["start-control-node".to_string()];
        a.extend(launch.node_args(node, &peers));
        a.extend([format!("--listen={ip}:{CLUSTER_PORT}"), format!("--api.addr={ip}:{API_PORT}")]);
        launch.spawn(node, ip, true, a, Some(&tokens.control_node_token))?;
    }
    let all_controllers: Vec<String> = controllers.iter().map(|(_, ip)| format!("{ip}:{CLUSTER_PORT}")).collect();
    for (node, ip) in proxies {
        progress.set_message(format!("starting {node}"));
        let mut a = vec!["start-data-node".to_string()];
        a.extend(launch.node_args(node, &all_controllers.join(",")));
        a.push(format!("--listen={ip}"));
        launch.spawn(node, ip, false, a, Some(&tokens.data_node_token))?;
    }
    progress.set_message("waiting for every node to be ready");
    let wanted = controllers.len() + proxies.len();
    let reported = std::cell::Cell::new(1u64);
    wait(launch, Duration::from_secs(60), &format!("{wanted} nodes becoming ready"), || {
        let session = &session;
        let progress = &progress;
        let reported = &reported;
        async move {
            let list: NodeList = session.client.nodes().await.ok()?;
            let ready = list.nodes.iter().filter(|n| n.status == Status::Ready).count();
            let has_leader = list.nodes.iter().any(|n| n.role == NodeRole::ControlNode && n.leader);
            let now = ready.max(1) as u64;
            if now > reported.get() {
                progress.inc(now - reported.get());
                reported.set(now);
            }
            (ready == wanted && list.nodes.len() == wanted && has_leader).then_some(())
        }
    })
    .await?;
    // The profile was saved when only the first controller ran: it learns every controller's
    // API address now, so that commands fail over when the first one is down.
    let mut meta = session.profile.meta.clone();
    meta.api_addresses = controllers.iter().map(|(_, ip)| format!("{ip}:{API_PORT}")).collect();
    session.profiles.update_meta(&meta)?;
    progress.finish_and_clear();
    Ok(())
}

fn uninstall_dir(name: &str, dir: &Path) -> Result<usize, Failure> {
    let path = dir.join("install.json");
    let installed: Installed = match fs::read(&path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| Failure::io(format!("{} is damaged: {e}", path.display())))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Failure::new(ErrorCode::NotFound, format!("no local cluster named {name:?} is installed"))
                .hint("`traefikeectl install --local` creates one; --clustername picks another"))
        }
        Err(e) => return Err(Failure::io(format!("cannot read {}: {e}", path.display()))),
    };
    let stopped = installed.nodes.iter().filter(|n| is_alive(n.pid)).count();
    stop_all(&installed.nodes);
    fs::remove_dir_all(dir).map_err(|e| Failure::io(format!("cannot remove {}: {e}", dir.display())))?;
    if let Ok(profiles) = Profiles::locate() {
        remove_profile(&profiles, name, &installed.nodes);
    }
    Ok(stopped)
}

/// Removes profile `name` if it is this local cluster's (its API address is one of `nodes`'),
/// not another cluster's of the same name; best effort.
fn remove_profile(profiles: &Profiles, name: &str, nodes: &[LocalNode]) {
    if profiles.read(name).ok().flatten().is_some_and(|p| nodes.iter().any(|n| p.meta.api_address.starts_with(&n.ip))) {
        if let Ok(profile_dir) = profiles.dir_of(name) {
            let _ = fs::remove_dir_all(profile_dir);
        }
    }
}

/// `uninstall --local`: stops the processes `install.json` lists and removes the directory
/// and the cluster's profile.
pub(super) fn uninstall(clustername: Option<String>) -> Outcome {
    let name = clustername.unwrap_or_else(|| DEFAULT_NAME.to_owned());
    let dir = install_dir(&name)?;
    let stopped = uninstall_dir(&name, &dir)?;
    traefikee_client::outln!("✔ Local cluster {name} removed: {stopped} processes stopped, {} deleted", dir.display());
    Ok(())
}
