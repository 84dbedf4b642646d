//! Test harness for traefikee clusters made of real processes.
//!
//! Each [`Cluster`] owns a temporary directory and a /24 of the loopback range
//! (`127.X.Y.0/24`, chosen at random so parallel tests do not collide); node `i` plays the
//! machine `127.X.Y.i` and uses the default ports, as the on-premise guide does. Processes are
//! killed when the harness is dropped. Waiting is always polling with a deadline.
//!
//! A cluster made with [`Cluster::with_net`] runs machine `i` in host `i` of a [`netns::Net`]
//! instead, so tests can cut, slow down or make lossy the network between nodes.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};

pub mod consul;
pub mod generated;
pub mod netns;
pub mod stores;
mod traffic;
pub use netns::Net;
use nix::unistd::Pid;
pub use traffic::{Answer, Backend, Load, LoadReport};

/// Polls `check` every 50 ms until it returns `Some`, or panics after `timeout` with `what`.
pub fn wait_for<T>(timeout: Duration, what: &str, check: impl FnMut() -> Option<T>) -> T {
    wait_for_or(timeout, check, || format!("timed out after {timeout:?} waiting for {what}"))
}

/// Like [`wait_for`], with the panic message built only on timeout (e.g. with the logs).
pub fn wait_for_or<T>(
    timeout: Duration,
    mut check: impl FnMut() -> Option<T>,
    on_timeout: impl FnOnce() -> String,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("{}", on_timeout());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Like [`wait_for`] but returns the time it took, for tests that assert a bound.
pub fn time_until(timeout: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    wait_for(timeout, what, || check().then_some(()));
    start.elapsed()
}

/// Path of the binary `name` of the workspace package `package`, built by cargo if it is
/// missing or stale.
///
/// Integration tests get their own package's binaries from cargo (`CARGO_BIN_EXE_*`); tests
/// that also need another package's binary (traefikeectl's tests need `traefikee`) call this.
/// The build lands in the same target directory and profile as the running test.
pub fn workspace_bin(package: &str, name: &str) -> PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>
    let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>").to_path_buf();
    let target_dir = profile_dir.parent().expect("target dir").to_path_buf();
    let profile = profile_dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug");
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let cargo_profile = if profile == "debug" { "dev" } else { profile };
        let mut cmd = Command::new(cargo);
        // Cargo sets these for the test process; some build scripts track them (ring tracks
        // CARGO_MANIFEST_DIR), so passing them on would rebuild half the tree every time.
        for (key, _) in std::env::vars_os() {
            let k = key.to_string_lossy();
            let per_crate = [
                "CARGO_MANIFEST_",
                "CARGO_PKG_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ];
            if per_crate.iter().any(|p| k.starts_with(p)) {
                cmd.env_remove(&key);
            }
        }
        let status = cmd
            // The same target selection as `cargo nextest run --workspace`, so both resolve
            // features alike and share artifacts instead of rebuilding each other's.
            .args(["build", "--quiet", "--workspace", "--bins", "--tests", "--profile", cargo_profile])
            .arg("--target-dir")
            .arg(&target_dir)
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build of {package} (for the {name} binary) failed");
        built.push(name.to_string());
    }
    profile_dir.join(name)
}

/// The output of a finished command, with helpers for assertions.
#[derive(Debug)]
pub struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output) -> Run {
        Run {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn ok(&self) -> bool {
        self.status.success()
    }

    /// Panics with both streams unless the command succeeded.
    pub fn success(self) -> Run {
        assert!(self.ok(), "command failed ({:?})\nstdout:\n{}\nstderr:\n{}", self.status, self.stdout, self.stderr);
        self
    }
}

/// One simulated machine running one node.
pub struct Node {
    pub name: String,
    pub ip: String,
    pub dir: PathBuf,
    bin: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    child: Option<Child>,
    starts: u32,
    /// The network namespace the node runs in, for a cluster made with [`Cluster::with_net`].
    netns: Option<String>,
}

impl Node {
    /// Sets an environment variable for this node's next starts.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_string(), value.to_string()));
    }

    pub fn statedir(&self) -> PathBuf {
        self.dir.join("state")
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("traefikee.sock")
    }

    pub fn creds_dir(&self) -> PathBuf {
        self.dir.join("creds")
    }

    /// `IP:4242`
    pub fn cluster_addr(&self) -> String {
        format!("{}:4242", self.ip)
    }

    /// `IP:55055`
    pub fn api_addr(&self) -> String {
        format!("{}:55055", self.ip)
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.join(format!("node-{}.log", self.starts))
    }

    /// Everything the node logged in its current and previous runs.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for i in 1..=self.starts {
            out.push_str(&fs::read_to_string(self.dir.join(format!("node-{i}.log"))).unwrap_or_default());
        }
        out
    }

    /// Starts the node with `args` (remembered for [`Node::restart`]).
    pub fn start(&mut self, args: Vec<String>) {
        self.args = args;
        self.spawn();
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.name);
        self.starts += 1;
        let log = fs::File::create(self.log_path()).expect("log file");
        let mut cmd = match &self.netns {
            // `ip netns exec` execs the binary: the child's pid is the node's.
            Some(ns) => {
                let mut cmd = Command::new("ip");
                cmd.args(["netns", "exec", ns]).arg(&self.bin);
                cmd
            }
            None => Command::new(&self.bin),
        };
        let child = cmd
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .env("RUST_LOG", "info,openraft=error")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .spawn()
            .expect("start traefikee");
        self.child = Some(child);
    }

    /// Restarts the node with the same arguments, or with `args` when given.
    pub fn restart(&mut self, args: Option<Vec<String>>) {
        if let Some(a) = args {
            self.args = a;
        }
        self.spawn();
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// `kill -9`, and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        let mut c = self.child.take()?;
        let _ = kill(Pid::from_raw(c.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = c.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                let _ = c.kill();
                return c.wait().ok();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The exit status, if the process has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        let status = self.child.as_mut()?.try_wait().ok().flatten()?;
        self.child = None;
        Some(status)
    }

    /// Waits for the process to end by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let name = self.name.clone();
        let status = wait_for(timeout, &format!("{name} to exit"), || {
            self.child.as_mut().and_then(|c| c.try_wait().ok().flatten())
        });
        self.child = None;
        status
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Runs `traefikee <args> --traefikeesocket=<this node's socket>` and waits for it.
    pub fn local(&self, args: &[&str]) -> Run {
        let mut cmd = Command::new(&self.bin);
        cmd.args(args).arg(format!("--traefikeesocket={}", self.socket().display()));
        Run::from(cmd.output().expect("run traefikee"))
    }

    /// `list-nodes -o json` on this node, parsed; `None` if the node does not answer.
    pub fn nodes(&self) -> Option<Vec<serde_json::Value>> {
        let run = self.local(&["list-nodes", "-o", "json"]);
        if !run.ok() {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(&run.stdout).ok()?;
        v["nodes"].as_array().cloned()
    }

    /// Name of the leader this node reports.
    pub fn leader(&self) -> Option<String> {
        self.nodes()?.into_iter().find(|n| n["leader"] == true).and_then(|n| n["name"].as_str().map(str::to_string))
    }

    /// `export NAME="..."` lines of `traefikee env`, as (control, data).
    pub fn tokens(&self) -> (String, String) {
        let run = self.local(&["env"]).success();
        let get = |var: &str| {
            run.stdout
                .lines()
                .find(|l| l.contains(var))
                .and_then(|l| l.split('"').nth(1))
                .unwrap_or_else(|| panic!("{var} missing from env output:\n{}", run.stdout))
                .to_string()
        };
        (get("CONTROL_NODE_TOKEN"), get("DATA_NODE_TOKEN"))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A set of simulated machines sharing a temporary directory and a loopback /24 (or a
/// [`Net`]).
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub bin: PathBuf,
    prefix: String,
    nodes: Vec<Node>,
    /// After `nodes`: fields drop in order, so the nodes are killed before their namespaces go.
    net: Option<Net>,
}

impl Cluster {
    /// A new, empty cluster of machines using `bin` (`env!("CARGO_BIN_EXE_traefikee")`).
    pub fn new(bin: impl AsRef<Path>) -> Cluster {
        let dir = tempfile::Builder::new().prefix("tkee").tempdir().expect("tempdir");
        let prefix = loop {
            let p = format!("127.{}.{}", rand::random_range(2..250u8), rand::random_range(0..255u8));
            // A taken cluster port on .1 means another test picked the same block.
            if TcpListener::bind(format!("{p}.1:4242")).is_ok() {
                break p;
            }
        };
        Cluster { dir, bin: bin.as_ref().to_path_buf(), prefix, nodes: Vec::new(), net: None }
    }

    /// A new, empty cluster whose machine `i` is host `i` of `net`: its IP is the host's and
    /// its processes run in the host's namespace. [`Node::local`] still works (a unix socket).
    pub fn with_net(bin: impl AsRef<Path>, net: Net) -> Cluster {
        let dir = tempfile::Builder::new().prefix("tkee").tempdir().expect("tempdir");
        let prefix = net.subnet().to_string();
        Cluster { dir, bin: bin.as_ref().to_path_buf(), prefix, nodes: Vec::new(), net: Some(net) }
    }

    /// The network of a cluster made with [`Cluster::with_net`], to break it.
    pub fn net(&self) -> &Net {
        self.net.as_ref().expect("this cluster runs on loopback; make it with Cluster::with_net")
    }

    /// The IP of machine number `i` (1-based), for other programs sharing the block.
    pub fn ip(&self, i: usize) -> String {
        format!("{}.{i}", self.prefix)
    }

    /// Adds machine number `nodes.len() + 1` named `name`; it is not started.
    pub fn add(&mut self, name: &str) -> usize {
        let i = self.nodes.len() + 1;
        let netns = self.net.as_ref().map(|net| {
            assert!(i <= net.hosts(), "machine {i} ({name}) has no host: the Net has {} hosts", net.hosts());
            net.ns(i).to_string()
        });
        let dir = self.dir.path().join(name);
        fs::create_dir_all(&dir).expect("node dir");
        self.nodes.push(Node {
            name: name.to_string(),
            ip: format!("{}.{i}", self.prefix),
            dir,
            bin: self.bin.clone(),
            args: Vec::new(),
            env: Vec::new(),
            child: None,
            starts: 0,
            netns,
        });
        i - 1
    }

    pub fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    pub fn node_mut(&mut self, i: usize) -> &mut Node {
        &mut self.nodes[i]
    }

    pub fn index_of(&self, name: &str) -> usize {
        self.nodes.iter().position(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"))
    }

    /// Common flags of a control node on machine `i`.
    pub fn control_flags(&self, i: usize) -> Vec<String> {
        let n = &self.nodes[i];
        vec![
            format!("--listen={}", n.cluster_addr()),
            format!("--advertise={}", n.cluster_addr()),
            format!("--api.addr={}", n.api_addr()),
            format!("--name={}", n.name),
            format!("--statedir={}", n.statedir().display()),
            format!("--traefikeesocket={}", n.socket().display()),
        ]
    }

    /// `traefikee bootstrap` on machine `i` with extra flags.
    pub fn bootstrap_args(&self, i: usize, extra: &[&str]) -> Vec<String> {
        let mut args = vec!["bootstrap".to_string()];
        args.extend(self.control_flags(i));
        args.push(format!("--mtlscertsoutputdir={}", self.nodes[i].creds_dir().display()));
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }

    /// `traefikee start-control-node` on machine `i`.
    pub fn control_node_args(&self, i: usize, peers: &[usize], token: &str) -> Vec<String> {
        let mut args = vec!["start-control-node".to_string()];
        args.extend(self.control_flags(i));
        let peers: Vec<String> = peers.iter().map(|p| self.nodes[*p].cluster_addr()).collect();
        args.push(format!("--peeraddresses={}", peers.join(",")));
        args.push(format!("--token={token}"));
        args
    }

    /// `traefikee start-data-node` on machine `i`: entry points without a host listen on its IP.
    pub fn data_node_args(&self, i: usize, peers: &[usize], token: &str) -> Vec<String> {
        let n = &self.nodes[i];
        let peers: Vec<String> = peers.iter().map(|p| self.nodes[*p].cluster_addr()).collect();
        vec![
            "start-data-node".to_string(),
            format!("--listen={}", n.ip),
            format!("--name={}", n.name),
            format!("--statedir={}", n.statedir().display()),
            format!("--traefikeesocket={}", n.socket().display()),
            format!("--peeraddresses={}", peers.join(",")),
            format!("--token={token}"),
        ]
    }

    /// Runs `traefikee` once with `args`, waiting for it to finish.
    pub fn run(&self, args: &[String]) -> Run {
        Run::from(Command::new(&self.bin).args(args).output().expect("run traefikee"))
    }

    /// Runs `traefikee` once with `args` on machine `i` (1-based, as in [`Cluster::ip`]), in
    /// its host's namespace, waiting for it to finish.
    pub fn run_on(&self, i: usize, args: &[String]) -> Run {
        Run::from(self.net().command(i, &self.bin).args(args).output().expect("run traefikee"))
    }

    /// Logs of every node, for failure messages.
    pub fn all_logs(&self) -> String {
        self.nodes.iter().map(|n| format!("==== {} ====\n{}", n.name, n.logs())).collect::<Vec<_>>().join("\n")
    }

    /// Waits until machine `i` lists exactly `expected` READY, ACCEPTED nodes.
    pub fn wait_members(&self, i: usize, expected: usize, timeout: Duration) {
        let node = &self.nodes[i];
        wait_for_or(
            timeout,
            || {
                let nodes = node.nodes()?;
                let ready = nodes.iter().filter(|n| n["status"] == "READY" && n["membership"] == "ACCEPTED").count();
                (ready == expected && nodes.len() == expected).then_some(())
            },
            || {
                format!(
                    "{} did not list {expected} ready members; it lists {:?}\n{}",
                    node.name,
                    node.nodes(),
                    self.all_logs()
                )
            },
        );
    }

    /// Starts a single-node cluster on machine 0 named `name`, then `more` control nodes that
    /// join it, and waits until every node lists them all as READY members.
    pub fn start_control_plane(&mut self, names: &[&str]) -> Vec<usize> {
        let mut ids = Vec::new();
        for name in names {
            ids.push(self.add(name));
        }
        let args = self.bootstrap_args(ids[0], &[]);
        self.nodes[ids[0]].start(args);
        let first = ids[0];
        wait_for(Duration::from_secs(20), "the bootstrap node to answer", || self.nodes[first].nodes());
        let (control, _) = self.nodes[first].tokens();
        for &i in &ids[1..] {
            let args = self.control_node_args(i, &[first], &control);
            self.nodes[i].start(args);
        }
        let expected = ids.len();
        for &i in &ids {
            self.wait_members(i, expected, Duration::from_secs(30));
        }
        ids
    }
}
