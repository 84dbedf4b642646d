//! Simulated machines in network namespaces, with a network that can be broken on request.
//!
//! Loopback addresses share one network stack, so nothing can be cut between them. A [`Net`]
//! gives each host its own namespace (`lo` up, `eth0` with `10.A.B.i/24`, a /24 chosen at
//! random per `Net`), all cabled to a Linux bridge in a further namespace, so the machine's
//! own interfaces are never touched. Faults are iptables rules in the receiving host's `INPUT`
//! chain: drops for partitions and random loss, and an `NFQUEUE` rule served by the `netdelay`
//! program for delays (the kernel has no `sch_netem`). Applied at the receiver, a packet really
//! leaves its sender: the sender gets no error and its socket is not throttled by packets held
//! on its side.
//!
//! The rules are stateless (no conntrack match): a partition drops the packets of open
//! connections too, and those connections carry on after [`Net::heal`] if TCP has not given up.
//!
//! Needs root, iproute2 (`ip netns`) and iptables (legacy or nft backend, with the
//! `statistic` match and the `NFQUEUE` target). Everything is torn down when the `Net` is
//! dropped, also when the test panics; namespaces left by a killed test process (their name
//! carries its pid) are removed, with what still runs in them, by the next [`Net::new`].
//!
//! ```no_run
//! use std::time::Duration;
//! use traefikee_testkit::{Cluster, Net};
//!
//! let net = Net::new(3);
//! net.delay(1, 2, Duration::from_millis(50));
//! let cluster = Cluster::with_net("/path/to/traefikee", net);
//! // ... start nodes on machines 1..=3, then:
//! cluster.net().partition(&[1], &[2, 3]);
//! cluster.net().heal();
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::Duration;

use nix::errno::Errno;
use nix::sched::{setns, CloneFlags};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// Every namespace of the kit is named `tk-<pid>-<counter>-<random>-<role>`.
const PREFIX: &str = "tk-";
const NETNS_DIR: &str = "/var/run/netns";

/// A set of hosts, numbered from 1, each in its own network namespace, on one bridge.
pub struct Net {
    name: String,
    subnet: String,
    /// Namespace of host i at index i - 1.
    hosts: Vec<String>,
    netdelay: Option<PathBuf>,
    faults: Mutex<Faults>,
}

/// What is applied, so faults are idempotent and `heal` knows what to undo.
#[derive(Default)]
struct Faults {
    /// Hosts whose `INPUT` chain holds rules.
    touched: BTreeSet<usize>,
    /// (from, to) pairs whose packets are all dropped.
    dropped: BTreeSet<(usize, usize)>,
    /// (from, to) → the drop probability, as given to iptables.
    lossy: BTreeMap<(usize, usize), String>,
    /// (from, to) → the running netdelay.
    delayed: BTreeMap<(usize, usize), Delayer>,
}

struct Delayer {
    delay: Duration,
    child: Child,
    /// Closing it tells netdelay to let its packets go and exit.
    stdin: Option<ChildStdin>,
}

impl Net {
    /// Creates `hosts` hosts (1..=hosts). Panics if namespaces cannot be created.
    pub fn new(hosts: usize) -> Net {
        assert!((1..=250).contains(&hosts), "a Net has 1 to 250 hosts, not {hosts}");
        remove_leftovers();
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "{PREFIX}{}-{}-{:04x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u16>()
        );
        let subnet = format!("10.{}.{}", rand::random::<u8>(), rand::random::<u8>());
        let hosts = (1..=hosts).map(|i| format!("{name}-h{i}")).collect();
        let net = Net { name, subnet, hosts, netdelay: None, faults: Mutex::new(Faults::default()) };
        // From here on, Drop removes whatever was created if a step fails.
        net.create();
        net
    }

    fn create(&self) {
        let bridge = self.bridge_ns();
        if let Err(e) = ip(&["netns", "add", &bridge]) {
            panic!(
                "cannot create a network namespace ({e}); the netns tests need root, iproute2 \
                 (`ip netns`) and iptables"
            );
        }
        ip(&["-n", &bridge, "link", "add", "br0", "type", "bridge"]).unwrap_or_else(|e| panic!("{e}"));
        ip(&["-n", &bridge, "link", "set", "br0", "up"]).unwrap_or_else(|e| panic!("{e}"));
        for host in 1..=self.hosts() {
            let ns = self.ns(host);
            let port = format!("h{host}");
            let addr = format!("{}/24", self.ip(host));
            let steps: [&[&str]; 6] = [
                &["netns", "add", ns],
                &["-n", ns, "link", "set", "lo", "up"],
                // Created in the bridge's namespace, the host's end moved straight into its own.
                &["-n", &bridge, "link", "add", &port, "type", "veth", "peer", "name", "eth0", "netns", ns],
                &["-n", &bridge, "link", "set", &port, "master", "br0", "up"],
                &["-n", ns, "addr", "add", &addr, "dev", "eth0"],
                &["-n", ns, "link", "set", "eth0", "up"],
            ];
            for args in steps {
                ip(args).unwrap_or_else(|e| panic!("setting up host {host} of {}: {e}", self.name));
            }
        }
    }

    /// Uses `path` as the netdelay program (e.g. `env!("CARGO_BIN_EXE_netdelay")` in the
    /// testkit's own tests) instead of building it with [`crate::workspace_bin`].
    pub fn with_netdelay(mut self, path: impl Into<PathBuf>) -> Net {
        self.netdelay = Some(path.into());
        self
    }

    /// How many hosts there are.
    pub fn hosts(&self) -> usize {
        self.hosts.len()
    }

    /// The IPv4 address of host `host` (1-based).
    pub fn ip(&self, host: usize) -> String {
        self.check(host);
        format!("{}.{host}", self.subnet)
    }

    /// `10.A.B`, the first three octets of every host's address.
    pub(crate) fn subnet(&self) -> &str {
        &self.subnet
    }

    /// The name of host `host`'s namespace, for `ip netns exec`.
    pub fn ns(&self, host: usize) -> &str {
        self.check(host);
        &self.hosts[host - 1]
    }

    fn bridge_ns(&self) -> String {
        format!("{}-br", self.name)
    }

    fn check(&self, host: usize) {
        assert!((1..=self.hosts()).contains(&host), "no host {host}: this Net has hosts 1..={}", self.hosts());
    }

    /// A command running `program` in host `host`'s namespace. `ip netns exec` execs the
    /// program, so the child's pid is the program's.
    pub fn command(&self, host: usize, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", self.ns(host)]).arg(program);
        cmd
    }

    /// Moves the calling thread (only it, and threads it spawns later) into host `host`'s
    /// namespace, so the sockets it opens are that host's. The thread stays there; prefer
    /// [`Net::spawn_in`].
    pub fn enter(&self, host: usize) {
        enter_file(self.ns_file(host));
    }

    /// Runs `f` on a new thread inside host `host`'s namespace.
    pub fn spawn_in<T: Send + 'static>(&self, host: usize, f: impl FnOnce() -> T + Send + 'static) -> JoinHandle<T> {
        let file = self.ns_file(host);
        std::thread::spawn(move || {
            enter_file(file);
            f()
        })
    }

    /// The namespace file of host `host`, opened (so a thread can enter it later).
    pub(crate) fn ns_file(&self, host: usize) -> File {
        let path = format!("{NETNS_DIR}/{}", self.ns(host));
        File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"))
    }

    /// Drops every packet between each host of `a` and each host of `b`, both ways.
    pub fn partition(&self, a: &[usize], b: &[usize]) {
        self.partition_one_way(a, b);
        self.partition_one_way(b, a);
    }

    /// Drops every packet from each host of `from` to each host of `to`; the other way works.
    pub fn partition_one_way(&self, from: &[usize], to: &[usize]) {
        let mut faults = self.lock();
        for &f in from {
            for &t in to {
                self.check(f);
                self.check(t);
                if f != t && !faults.dropped.contains(&(f, t)) {
                    self.iptables(t, &["-I", "INPUT", "1", "-s", &self.ip(f), "-j", "DROP"]);
                    faults.touched.insert(t);
                    faults.dropped.insert((f, t));
                }
            }
        }
    }

    /// Drops each packet between `a` and `b` (both ways) with `probability`, replacing any
    /// loss set before for them.
    pub fn loss(&self, a: usize, b: usize, probability: f64) {
        assert!((0.0..=1.0).contains(&probability), "a probability is in 0..=1, not {probability}");
        let p = format!("{probability}");
        let mut faults = self.lock();
        for (from, to) in [(a, b), (b, a)] {
            self.check(from);
            if faults.lossy.get(&(from, to)) == Some(&p) {
                continue;
            }
            if let Some(old) = faults.lossy.remove(&(from, to)) {
                self.iptables(to, &loss_rule("-D", &self.ip(from), &old));
            }
            self.iptables(to, &loss_rule("-I", &self.ip(from), &p));
            faults.touched.insert(to);
            faults.lossy.insert((from, to), p.clone());
        }
    }

    /// Delays every packet from `a` to `b` and from `b` to `a` by `one_way` (so a round trip
    /// takes twice that longer), replacing any delay set before for them.
    ///
    /// A `netdelay` process in the receiving host's namespace holds the packets of an
    /// `NFQUEUE` rule without `--queue-bypass`: if it dies, the packets are dropped, which a
    /// test notices, instead of flowing undelayed, which it might not.
    pub fn delay(&self, a: usize, b: usize, one_way: Duration) {
        let mut faults = self.lock();
        for (from, to) in [(a, b), (b, a)] {
            self.check(from);
            self.check(to);
            if faults.delayed.get(&(from, to)).is_some_and(|d| d.delay == one_way) {
                continue;
            }
            if let Some(old) = faults.delayed.remove(&(from, to)) {
                self.iptables(to, &queue_rule("-D", &self.ip(from), from));
                old.stop();
            }
            let delayer = self.start_netdelay(to, from, one_way);
            // Appended, after every drop rule: a queued packet that netdelay accepts skips the
            // rest of the chain.
            self.iptables(to, &queue_rule("-A", &self.ip(from), from));
            faults.touched.insert(to);
            faults.delayed.insert((from, to), delayer);
        }
    }

    fn start_netdelay(&self, host: usize, queue: usize, delay: Duration) -> Delayer {
        let program = self.netdelay.clone().unwrap_or_else(netdelay_bin);
        let mut child = self
            .command(host, &program)
            .args(["--queue", &queue.to_string(), "--delay-ms", &delay.as_millis().to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        // It prints `ready` once bound, or exits (closing stdout) saying why on stderr.
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line);
        if line.trim() != "ready" {
            let _ = child.kill();
            let status = child.wait();
            panic!("netdelay did not start in {} ({status:?}); see its stderr above", self.ns(host));
        }
        let stdin = child.stdin.take();
        Delayer { delay, child, stdin }
    }

    /// Removes every fault: flushes the rules and stops the netdelay programs.
    pub fn heal(&self) {
        let mut faults = self.lock();
        for &host in &faults.touched {
            self.iptables(host, &["-F", "INPUT"]);
        }
        // After the flush: netdelay lets its held packets go when it stops.
        for (_, delayer) in std::mem::take(&mut faults.delayed) {
            delayer.stop();
        }
        *faults = Faults::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn iptables(&self, host: usize, args: &[impl AsRef<str>]) {
        let out = self.command(host, "iptables").arg("-w").args(args.iter().map(AsRef::as_ref)).output();
        if let Err(e) = check_output("iptables", args, out) {
            panic!("in {}: {e} (the kit needs iptables with the statistic match and NFQUEUE)", self.ns(host));
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        let faults = std::mem::take(&mut *self.lock());
        for (_, delayer) in faults.delayed {
            delayer.stop();
        }
        for ns in self.hosts.iter().cloned().chain([self.bridge_ns()]) {
            if std::path::Path::new(NETNS_DIR).join(&ns).exists() {
                delete_ns(&ns);
            }
        }
    }
}

impl Delayer {
    fn stop(mut self) {
        drop(self.stdin.take());
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Moves the calling thread into the network namespace `file` is.
pub(crate) fn enter_file(file: File) {
    setns(file, CloneFlags::CLONE_NEWNET).unwrap_or_else(|e| panic!("setns into a test namespace: {e}"));
}

/// `op` is `-I` (first in the chain, before the NFQUEUE rules) or `-D`.
fn loss_rule(op: &str, from: &str, p: &str) -> Vec<String> {
    let position = if op == "-I" { Some("1") } else { None };
    [op, "INPUT"]
        .into_iter()
        .chain(position)
        .chain(["-s", from, "-m", "statistic", "--mode", "random", "--probability", p, "-j", "DROP"])
        .map(str::to_string)
        .collect()
}

/// `op` is `-A` (last in the chain, after the drop rules) or `-D`.
fn queue_rule(op: &str, from: &str, queue: usize) -> Vec<String> {
    [op, "INPUT", "-s", from, "-j", "NFQUEUE", "--queue-num", &queue.to_string()].map(str::to_string).to_vec()
}

/// The netdelay binary: cargo names it in the testkit's own tests under nextest, otherwise
/// it is built like any other workspace binary.
fn netdelay_bin() -> PathBuf {
    match std::env::var_os("CARGO_BIN_EXE_netdelay") {
        Some(path) => path.into(),
        None => crate::workspace_bin("traefikee-testkit", "netdelay"),
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    check_output("ip", args, Command::new("ip").args(args).output())
}

fn check_output(program: &str, args: &[impl AsRef<str>], out: std::io::Result<Output>) -> Result<(), String> {
    let line = || format!("{program} {}", args.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(" "));
    match out {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => {
            Err(format!("`{}` failed ({}): {}", line(), out.status, String::from_utf8_lossy(&out.stderr).trim()))
        }
        Err(e) => Err(format!("cannot run `{}`: {e}", line())),
    }
}

/// Kills what still runs in namespace `ns` (never this process) and deletes it. Never panics:
/// it runs in `Drop`.
fn delete_ns(ns: &str) {
    if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
        let me = std::process::id().to_string();
        for pid in String::from_utf8_lossy(&out.stdout).split_whitespace().filter(|p| *p != me) {
            if let Ok(pid) = pid.parse() {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
    }
    if let Err(e) = ip(&["netns", "delete", ns]) {
        eprintln!("warning: {e}");
    }
}

/// Deletes the kit's namespaces whose creating process is gone.
fn remove_leftovers() {
    let Ok(entries) = std::fs::read_dir(NETNS_DIR) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(PREFIX).and_then(|rest| rest.split('-').next()?.parse::<i32>().ok()) else {
            continue;
        };
        if kill(Pid::from_raw(pid), None) == Err(Errno::ESRCH) {
            delete_ns(&name);
        }
    }
}
