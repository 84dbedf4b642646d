//! Real key-value stores for the providers' tests: Debian's etcd (3.4) and Redis servers,
//! started on a loopback address with their data in a temporary directory, stopped (and
//! restartable) by the test.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::wait_for;

fn free_port(ip: &str) -> u16 {
    TcpListener::bind(format!("{ip}:0")).unwrap().local_addr().unwrap().port()
}

fn require(bin: &str, package: &str) {
    assert!(std::path::Path::new(bin).exists(), "{bin} is missing: install Debian's {package} package (.ci/run does)");
}

/// A store server process: its command line, to start it again after a stop.
struct Server {
    program: String,
    args: Vec<String>,
    child: Option<Child>,
    log: PathBuf,
}

impl Server {
    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.program));
        self.child = Some(child);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A one-member etcd cluster.
pub struct Etcd {
    pub endpoint: String,
    server: Server,
    _dir: tempfile::TempDir,
}

impl Etcd {
    pub const BIN: &'static str = "/usr/bin/etcd";

    pub fn start(ip: &str) -> Etcd {
        require(Self::BIN, "etcd-server");
        let dir = tempfile::tempdir().unwrap();
        let (client, peer) = (free_port(ip), free_port(ip));
        let endpoint = format!("{ip}:{client}");
        let args = vec![
            "--name=test".to_string(),
            format!("--data-dir={}", dir.path().join("data").display()),
            format!("--listen-client-urls=http://{endpoint}"),
            format!("--advertise-client-urls=http://{endpoint}"),
            format!("--listen-peer-urls=http://{ip}:{peer}"),
            format!("--initial-advertise-peer-urls=http://{ip}:{peer}"),
            format!("--initial-cluster=test=http://{ip}:{peer}"),
            "--logger=zap".to_string(),
        ];
        let log = dir.path().join("etcd.log");
        let mut etcd =
            Etcd { endpoint, server: Server { program: Self::BIN.into(), args, child: None, log }, _dir: dir };
        etcd.resume();
        etcd
    }

    /// Starts it again (same data) after [`Etcd::stop`], and waits until it answers.
    pub fn resume(&mut self) {
        self.server.spawn();
        let this = &*self;
        crate::wait_for_or(
            Duration::from_secs(20),
            || this.put("probe", "1").then_some(()),
            || format!("etcd at {} did not answer within 20 s:\n{}", this.endpoint, this.server.logs()),
        );
    }

    pub fn stop(&mut self) {
        self.server.stop();
    }

    fn ctl(&self, args: &[&str]) -> std::process::Output {
        Command::new("/usr/bin/etcdctl")
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints=http://{}", self.endpoint))
            .arg("--command-timeout=3s")
            .args(args)
            .output()
            .expect("etcdctl (Debian's etcd-client)")
    }

    /// `etcdctl put KEY VALUE`; whether it worked.
    pub fn put(&self, key: &str, value: &str) -> bool {
        self.ctl(&["put", key, "--", value]).status.success()
    }

    /// `etcdctl del KEY`.
    pub fn delete(&self, key: &str) -> bool {
        self.ctl(&["del", key]).status.success()
    }
}

/// A Redis server with keyspace notifications on (as the provider's documentation asks).
pub struct Redis {
    pub endpoint: String,
    server: Server,
    _dir: tempfile::TempDir,
}

impl Redis {
    pub const BIN: &'static str = "/usr/bin/redis-server";

    pub fn start(ip: &str) -> Redis {
        require(Self::BIN, "redis-server");
        let dir = tempfile::tempdir().unwrap();
        let port = free_port(ip);
        let args = vec![
            "--bind".to_string(),
            ip.to_string(),
            "--port".to_string(),
            port.to_string(),
            "--save".to_string(),
            String::new(),
            "--appendonly".to_string(),
            "no".to_string(),
            "--dir".to_string(),
            dir.path().display().to_string(),
            "--notify-keyspace-events".to_string(),
            "KA".to_string(),
        ];
        let log = dir.path().join("redis.log");
        let mut redis = Redis {
            endpoint: format!("{ip}:{port}"),
            server: Server { program: Self::BIN.into(), args, child: None, log },
            _dir: dir,
        };
        redis.server.spawn();
        wait_for(Duration::from_secs(20), "redis to answer", || redis.cli(&["PING"]).then_some(()));
        redis
    }

    fn cli(&self, args: &[&str]) -> bool {
        let (host, port) = self.endpoint.rsplit_once(':').unwrap();
        Command::new("/usr/bin/redis-cli")
            .args(["-h", host, "-p", port])
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success() && !String::from_utf8_lossy(&o.stdout).starts_with("ERR"))
    }

    /// `SET KEY VALUE`; whether it worked.
    pub fn set(&self, key: &str, value: &str) -> bool {
        self.cli(&["SET", key, value])
    }

    /// `DEL KEY`.
    pub fn del(&self, key: &str) -> bool {
        self.cli(&["DEL", key])
    }
}
