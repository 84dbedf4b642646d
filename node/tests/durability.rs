//! Issue 13: writes whose answer was lost, and full disks, against real processes.
//!
//! - a write sent again with its `Idempotency-Key`, to the same or another controller,
//!   applies once and gets the first answer;
//! - a controller whose state dir fills up stops with a clear message (exit 74) instead of
//!   running on without Raft; the others keep committing; restarted once space is back, it
//!   catches up with its store intact;
//! - a data node whose state dir is full keeps serving and takes new configurations.
//!
//! The full-disk tests mount a small tmpfs (root is needed, as CI runs); the mount is
//! removed when the test ends, failed or not.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use traefikee_testkit::{wait_for, wait_for_or, Cluster};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");

async fn deploy(http: &reqwest::Client, api: &str, key: Option<&str>, content: &str) -> (u16, Value) {
    let mut req = http.post(format!("https://{api}/api/v1/config")).json(&json!({ "content": content }));
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    let resp = req.send().await.expect("the API answers");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_sent_again_with_its_key_applies_once() {
    let mut c = Cluster::new(BIN);
    let ids = tokio::task::block_in_place(|| c.start_control_plane(&["k1", "k2", "k3"]));
    let alice = operator(&c, ids[0], "alice").await;
    let http = alice.http();
    let (api1, api2) = (c.node(ids[0]).api_addr(), c.node(ids[1]).api_addr());
    let doc = "http:\n  routers:\n    r:\n      rule: Host(`a.example`)\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:9\n";

    let (status, first) = deploy(&http, &api1, Some("retry-key-0000000001"), doc).await;
    assert_eq!(status, 200, "{first}");
    let version = first["version"].as_u64().expect("a version");
    // The answer was "lost": the client sends it again, to another controller.
    let (status, again) = deploy(&http, &api2, Some("retry-key-0000000001"), doc).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["version"].as_u64(), Some(version), "the retry must get the first answer: {again}");
    let (status, current) = (200, json(local(&c, ids[2]).config().await.unwrap()));
    assert_eq!((status, current["version"].as_u64()), (200, Some(version)), "{current}");

    // Another operator's write with the same key is not taken for alice's.
    let bob = operator(&c, ids[0], "bob").await;
    let (status, other) = deploy(&bob.http(), &api1, Some("retry-key-0000000001"), doc).await;
    assert_eq!((status, other["version"].as_u64()), (200, Some(version + 1)), "{other}");
    // A new key is a new write.
    let (status, next) = deploy(&http, &api2, Some("retry-key-0000000002"), doc).await;
    assert_eq!((status, next["version"].as_u64()), (200, Some(version + 2)), "{next}");

    // A key that is not a plain token is refused before anything happens.
    for bad in ["short", "has/a/slash-0123456789", &"x".repeat(65)] {
        let (status, body) = deploy(&http, &api1, Some(bad), doc).await;
        assert_eq!(status, 400, "{bad:?}: {body}");
        assert!(body["error"]["message"].as_str().unwrap_or("").contains("Idempotency-Key"), "{body}");
    }
    let current = json(local(&c, ids[0]).config().await.unwrap());
    assert_eq!(current["version"].as_u64(), Some(version + 2), "{current}");
}

/// A tmpfs of `mib` MiB mounted at `dir`, unmounted on drop.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    fn mount(dir: &Path, mib: u32) -> SmallDisk {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m,mode=0700"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "mounting a {mib} MiB tmpfs at {} failed (this test needs root): {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk { dir: dir.to_path_buf() }
    }

    /// Writes a filler file until the disk is full.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.dir.join("filler")).unwrap();
        let block = vec![0x5au8; 64 << 10];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.dir.join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

fn deployed_version(c: &Cluster, i: usize) -> Option<u64> {
    let run = c.node(i).local(&["status", "-o", "json"]);
    run.ok().then_some(())?;
    common::deployed_version(c, i)
}

fn deploy_via(c: &Cluster, i: usize, n: u32) -> traefikee_testkit::Run {
    let file = c.dir.path().join(format!("deploy-{n}.yaml"));
    std::fs::write(
        &file,
        format!(
            "http:\n  routers:\n    r{n}:\n      rule: Host(`v{n}.example`)\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:9\n"
        ),
    )
    .unwrap();
    c.node(i).local(&["deploy", &format!("--configfile={}", file.display())])
}

#[test]
fn a_controller_on_a_full_disk_stops_clearly_and_recovers_with_its_store() {
    let mut c = Cluster::new(BIN);
    let f1 = c.add("f1");
    let f2 = c.add("f2");
    let f3 = c.add("f3");
    // f3's state dir is a 24 MiB disk of its own.
    let disk = SmallDisk::mount(&c.node(f3).statedir(), 24);
    let args = c.bootstrap_args(f1, &[]);
    c.node_mut(f1).start(args);
    wait_for(Duration::from_secs(20), "the bootstrap node", || c.node(f1).nodes());
    let (control, _) = c.node(f1).tokens();
    for i in [f2, f3] {
        let args = c.control_node_args(i, &[f1], &control);
        c.node_mut(i).start(args);
    }
    for i in [f1, f2, f3] {
        c.wait_members(i, 3, Duration::from_secs(30));
    }
    deploy_via(&c, f1, 1).success();
    wait_for(Duration::from_secs(10), "f3 to apply version 1", || (deployed_version(&c, f3) == Some(1)).then_some(()));

    disk.fill();
    // The writes go on through the two others; f3 cannot append them and stops.
    for n in 2..=4 {
        deploy_via(&c, f1, n).success();
    }
    let status = c.node_mut(f3).wait_exit(Duration::from_secs(30));
    let logs = c.node(f3).logs();
    assert_eq!(status.code(), Some(74), "f3 must exit 74 when Raft stops:\n{logs}");
    assert!(logs.contains("Raft stopped on this control node"), "{logs}");
    assert!(logs.contains("check the disk of the state dir"), "{logs}");
    assert!(!logs.contains("panicked"), "{logs}");
    // The others list it DOWN and keep committing.
    wait_for_or(
        Duration::from_secs(10),
        || {
            let nodes = c.node(f1).nodes()?;
            nodes.iter().any(|n| n["name"] == "f3" && n["status"] == "DOWN").then_some(())
        },
        || format!("f1 does not list f3 DOWN: {:?}", c.node(f1).nodes()),
    );
    deploy_via(&c, f2, 5).success();

    // Space comes back; started again, f3 has its store and catches up.
    disk.free();
    c.node_mut(f3).restart(None);
    wait_for_or(
        Duration::from_secs(30),
        || (deployed_version(&c, f3) == Some(5)).then_some(()),
        || format!("f3 did not catch up to version 5 (it has {:?})\n{}", deployed_version(&c, f3), c.all_logs()),
    );
    c.wait_members(f3, 3, Duration::from_secs(30));
    deploy_via(&c, f3, 6).success();
    for i in [f1, f2, f3] {
        wait_for(Duration::from_secs(10), "every controller at version 6", || {
            (deployed_version(&c, i) == Some(6)).then_some(())
        });
    }
}

/// The status of `GET /` with `Host: host` on `addr`, over a fresh connection.
fn status_of(addr: &str, host: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(s, "GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

#[test]
fn a_data_node_on_a_full_disk_keeps_serving_and_takes_new_configurations() {
    let backend = traefikee_testkit::Backend::start("from-backend");
    let mut c = Cluster::new(BIN);
    let ids = c.start_control_plane(&["d1"]);
    let p = c.add("p1");
    let disk = SmallDisk::mount(&c.node(p).statedir(), 16);
    let (_, data) = c.node(ids[0]).tokens();
    let args = c.data_node_args(p, &[ids[0]], &data);
    c.node_mut(p).start(args);
    c.wait_members(ids[0], 2, Duration::from_secs(30));
    let port = free_port(&c.node(p).ip);
    let write = |n: u32| {
        let file = c.dir.path().join(format!("dp-{n}.yaml"));
        std::fs::write(
            &file,
            format!(
                "entryPoints:\n  web:\n    address: \":{port}\"\nhttp:\n  routers:\n    r:\n      entryPoints: [web]\n      rule: Host(`v{n}.example`)\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: {}\n",
                backend.url()
            ),
        )
        .unwrap();
        c.node(ids[0]).local(&["deploy", &format!("--configfile={}", file.display())]).success();
    };
    let get = |host: &str| status_of(&format!("{}:{port}", c.node(p).ip), host);
    write(1);
    wait_for(Duration::from_secs(15), "v1 served", || (get("v1.example") == Some(200)).then_some(()));
    disk.fill();
    write(2);
    wait_for_or(
        Duration::from_secs(15),
        || (get("v2.example") == Some(200)).then_some(()),
        || format!("the data node on a full disk did not take v2\n{}", c.all_logs()),
    );
    let logs = c.node(p).logs();
    assert!(logs.contains("could not keep configuration 2 in the state dir"), "{logs}");
    disk.free();
    write(3);
    wait_for(Duration::from_secs(15), "v3 served", || (get("v3.example") == Some(200)).then_some(()));
    assert!(c.node_mut(p).is_running(), "{}", c.node(p).logs());
}
