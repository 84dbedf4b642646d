//! Shared by traefikeectl's end-to-end tests: a cluster of real `traefikee` processes and a
//! `traefikeectl` run with its own HOME (so profiles never touch the real one).

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use traefikee_testkit::{workspace_bin, Cluster, Run};

pub const CTL: &str = env!("CARGO_BIN_EXE_traefikeectl");

pub fn cluster() -> Cluster {
    Cluster::new(workspace_bin("traefikee-node", "traefikee"))
}

/// An operator's machine: a HOME of its own.
pub struct Laptop {
    pub home: tempfile::TempDir,
}

impl Default for Laptop {
    fn default() -> Self {
        Self::new()
    }
}

impl Laptop {
    pub fn new() -> Laptop {
        Laptop { home: tempfile::Builder::new().prefix("laptop").tempdir().unwrap() }
    }

    pub fn path(&self) -> &Path {
        self.home.path()
    }

    pub fn ctl(&self, args: &[&str]) -> Run {
        let out = Command::new(CTL)
            .args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path().join(".config"))
            .env("USER", "alice")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .expect("run traefikeectl");
        Run::from(out)
    }

    /// Copies a credentials directory onto this machine, as `scp -r` would.
    pub fn copy_credentials(&self, from: &Path, name: &str) -> PathBuf {
        let to = self.home.path().join(name);
        fs::create_dir_all(&to).unwrap();
        for f in ["ca.pem", "cert.pem", "key.pem"] {
            fs::copy(from.join(f), to.join(f)).unwrap();
        }
        to
    }

    pub fn profile_dir(&self, name: &str) -> PathBuf {
        self.home.path().join(".config/traefikee").join(name)
    }
}

/// Replaces what changes between runs (temporary paths, addresses, ids, serials, times).
pub fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"/tmp/[A-Za-z0-9._/-]*laptop[A-Za-z0-9_]+", "[HOME]"),
        (r"/tmp/tkee[A-Za-z0-9_]+", "[CLUSTER]"),
        (r"127\.\d+\.\d+\.\d+", "[IP]"),
        (r"\b[0-9a-f]{32}\b", "[SERIAL]"),
        (r"\b[0-9a-f]{16}\b", "[ID]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "[TIME]"),
        (r"\b[0-9a-z]{25}\b", "[CLUSTER-ID]"),
    ]
}

/// Connects the laptop to the cluster through machine `i` with the bootstrap credentials.
pub fn connect(c: &Cluster, laptop: &Laptop, i: usize) -> Run {
    let creds = laptop.copy_credentials(&c.node(0).creds_dir(), "creds");
    laptop.ctl(&[
        "connect",
        &format!("--onpremise.mtlscertsdir={}", creds.display()),
        &format!("--onpremise.apiaddress={}", c.node(i).api_addr()),
        "--name=alice",
    ])
}
