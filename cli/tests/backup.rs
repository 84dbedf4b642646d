//! Backup and restore on clusters of real processes: a round trip under load, every kind of
//! bad archive refused with the cluster unchanged, and a lost cluster bootstrapped again
//! from its backup.

mod common;

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use traefikee_testkit::{wait_for, Answer, Backend, Cluster, Load, Run};

const PORT: u16 = 18300;
const HOST: &str = "app.test";

fn config(backend: &Backend, tag: &str) -> String {
    format!(
        "entryPoints:\n  web:\n    address: ':{PORT}'\nhttp:\n  routers:\n    app:\n      rule: Host(`{HOST}`)\n      service: app\n      middlewares: [tag]\n  middlewares:\n    tag:\n      headers:\n        customResponseHeaders:\n          X-Config: '{tag}'\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: {}\n",
        backend.url()
    )
}

fn consistent(a: &Answer) -> Result<(), String> {
    let tag = a.headers.get("x-config").cloned().unwrap_or_default();
    if tag.starts_with(a.body.as_str()) {
        Ok(())
    } else {
        Err(format!("configuration {tag:?} but backend {:?} answered", a.body))
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn arg(flag: &str, path: &Path) -> String {
    format!("--{flag}={}", path.display())
}

fn deploy(laptop: &Laptop, file: &Path) -> Run {
    laptop.ctl(&["deploy", &arg("configfile", file), "--wait", "--wait-timeout=30"]).success()
}

fn proxy_addr(c: &Cluster, i: usize) -> SocketAddr {
    format!("{}:{PORT}", c.node(i).ip).parse().unwrap()
}

/// The deployed configuration as `get config -o json` shows it.
fn deployed(laptop: &Laptop) -> serde_json::Value {
    serde_json::from_str(&laptop.ctl(&["get", "config", "-o", "json"]).success().stdout).unwrap()
}

fn tokens(laptop: &Laptop) -> String {
    laptop.ctl(&["tokens", "show"]).success().stdout
}

/// Which backend answers through a proxy, if any.
fn body_via(addr: SocketAddr) -> Option<String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .get(format!("http://{addr}/"))
            .header("host", HOST)
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()?;
        (resp.status() == 200).then_some(())?;
        resp.text().await.ok()
    })
}

/// The archive with its manifest saying format version 2, the manifest's checksum updated:
/// what a newer traefikee would write.
fn with_newer_format(archive: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let mut out = archive.to_vec();
    let size =
        usize::from_str_radix(std::str::from_utf8(&out[124..135]).unwrap().trim_matches('\0').trim(), 8).unwrap();
    let manifest = &mut out[512..512 + size];
    let text = std::str::from_utf8(manifest).unwrap().replace("\"format_version\": 1,", "\"format_version\": 2,");
    assert_eq!(text.len(), size);
    manifest.copy_from_slice(text.as_bytes());
    let digest = hex::encode(sha2::Sha256::digest(text.as_bytes()));
    let second = 512 + size.div_ceil(512) * 512 + 512;
    out[second..second + 64].copy_from_slice(digest.as_bytes());
    out
}

#[test]
fn backup_then_restore_under_load_brings_the_cluster_back() {
    let (a, b) = (Backend::start("A"), Backend::start("B"));
    let mut c = cluster();
    let ctl = c.start_control_plane(&["k1", "k2", "k3"]);
    let (_, data_token) = c.node(ctl[0]).tokens();
    let mut dns = Vec::new();
    for name in ["e1", "e2"] {
        let d = c.add(name);
        let args = c.data_node_args(d, &ctl, &data_token);
        c.node_mut(d).start(args);
        dns.push(d);
    }
    c.wait_members(ctl[0], 5, Duration::from_secs(30));
    let laptop = Laptop::new();
    connect(&c, &laptop, ctl[1]).success();
    let dir = laptop.path();
    deploy(&laptop, &write(dir, "a.yml", &config(&a, "A1")));
    laptop.ctl(&["credentials", "create", "bob", &arg("output-dir", &dir.join("bob"))]).success();
    let before = deployed(&laptop);
    let tokens_before = tokens(&laptop);

    let pass = write(dir, "pass", "correct horse battery staple\n");
    let file = dir.join("cluster.tar");
    let run = laptop.ctl(&["backup", &arg("file", &file), &arg("passphrase-file", &pass)]).success();
    assert!(run.stdout.starts_with("✔ Backup of cluster") && run.stdout.contains("encrypted"), "{}", run.stdout);
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let inspect = laptop.ctl(&["backup", "inspect", &file.display().to_string(), &arg("passphrase-file", &pass)]);
    let inspect = inspect.success();
    assert!(inspect.stdout.contains("✔ Every checksum matches"), "{}", inspect.stdout);
    assert!(
        inspect.stdout.contains("config/current") && inspect.stdout.contains("token/control"),
        "{}",
        inspect.stdout
    );
    assert!(!inspect.stdout.contains("node/"), "node records are not backed up:\n{}", inspect.stdout);
    let again = laptop.ctl(&["backup", &arg("file", &file)]);
    assert_eq!(again.code(), Some(1), "an existing file is not replaced without --force");

    // Change everything.
    deploy(&laptop, &write(dir, "b.yml", &config(&b, "B2")));
    laptop.ctl(&["tokens", "rotate"]).success();
    laptop.ctl(&["credentials", "revoke", "bob"]).success();
    assert_ne!(tokens(&laptop), tokens_before);

    // Restore while the proxies serve.
    let load = Load::start(dns.iter().map(|&d| proxy_addr(&c, d)).collect(), HOST, consistent);
    load.wait_for_more(100, Duration::from_secs(20));
    let run = laptop.ctl(&["restore", &arg("file", &file), &arg("passphrase-file", &pass)]).success();
    assert!(run.stdout.contains("✔ Restored the configuration as version 3"), "{}", run.stdout);
    for &d in &dns {
        wait_for(Duration::from_secs(10), "the restored route", || (body_via(proxy_addr(&c, d))? == "A").then_some(()));
    }
    load.wait_for_more(100, Duration::from_secs(20));
    let report = load.stop();
    report.assert_no_failures();
    report.assert_consistent();
    assert!(report.bodies.contains_key("A") && report.bodies.contains_key("B"), "{report:?}");

    let after = deployed(&laptop);
    assert_eq!(after["document"], before["document"]);
    assert_eq!(after["version"], 3);
    assert_eq!(tokens(&laptop), tokens_before, "the join tokens of the backup are back");
    let creds = laptop.ctl(&["credentials", "list"]).success().stdout;
    let bob = creds.lines().find(|l| l.contains("bob")).unwrap_or_default();
    assert!(bob.contains("REVOKED") || bob.contains("revoked"), "a revocation never comes undone:\n{creds}");
    let audit = laptop.ctl(&["audit"]).success().stdout;
    assert!(audit.contains("backup.restore"), "{audit}");
    c.wait_members(ctl[0], 5, Duration::from_secs(10));
}

#[test]
fn bad_archives_are_refused_and_change_nothing() {
    let a = Backend::start("A");
    let mut c = cluster();
    let ctl = c.start_control_plane(&["m1"]);
    let laptop = Laptop::new();
    connect(&c, &laptop, ctl[0]).success();
    let dir = laptop.path();
    deploy(&laptop, &write(dir, "a.yml", &config(&a, "A1")));
    let good = dir.join("good.tar");
    // `traefikee backup` on the control node, through its socket.
    let run = c.node(ctl[0]).local(&["backup", &arg("file", &good)]).success();
    assert!(run.stdout.contains("✔ Backup of cluster"), "{}", run.stdout);
    let bytes = std::fs::read(&good).unwrap();
    let pass = write(dir, "pass", "one passphrase\n");
    let wrong = write(dir, "wrong", "another passphrase\n");
    let sealed = dir.join("sealed.tar");
    laptop.ctl(&["backup", &arg("file", &sealed), &arg("passphrase-file", &pass)]).success();

    let truncated = dir.join("truncated.tar");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let flipped = dir.join("flipped.tar");
    let mut f = bytes.clone();
    let at = f.len() / 2;
    f[at] ^= 0x20;
    std::fs::write(&flipped, &f).unwrap();
    let foreign = dir.join("foreign.tar");
    let tar = std::process::Command::new("tar")
        .args(["-cf", &foreign.display().to_string(), "-C", &dir.display().to_string(), "a.yml"])
        .status()
        .expect("tar");
    assert!(tar.success());
    let newer = dir.join("newer.tar");
    std::fs::write(&newer, with_newer_format(&bytes)).unwrap();
    let missing = dir.join("missing.tar");
    std::fs::copy(&good, &missing).unwrap();
    let tar = std::process::Command::new("tar")
        .args(["--delete", "-f", &missing.display().to_string(), "records/config%2Fcurrent"])
        .status()
        .expect("tar");
    assert!(tar.success());

    let cases: Vec<(&str, Vec<String>, &str)> = vec![
        ("truncated", vec![arg("file", &truncated)], "truncated"),
        ("flipped byte", vec![arg("file", &flipped)], "refused"),
        ("foreign tar", vec![arg("file", &foreign)], "not a traefikee backup"),
        ("wrong passphrase", vec![arg("file", &sealed), arg("passphrase-file", &wrong)], "passphrase"),
        ("no passphrase", vec![arg("file", &sealed)], "passphrase"),
        ("passphrase for a plain file", vec![arg("file", &good), arg("passphrase-file", &pass)], "not encrypted"),
        ("no such file", vec![arg("file", &dir.join("nope.tar"))], "nope.tar"),
        ("newer format", vec![arg("file", &newer)], "with format 2"),
        ("missing entry", vec![arg("file", &missing)], "missing"),
    ];
    for (what, args, expected) in &cases {
        let mut full = vec!["restore".to_string()];
        full.extend(args.iter().cloned());
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let run = laptop.ctl(&refs);
        assert_eq!(run.code(), Some(1), "{what}: {}", run.stderr);
        assert!(run.stderr.to_lowercase().contains(expected), "{what}: expected {expected:?} in\n{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        let mut inspect = vec!["backup", "inspect", &args[0]["--file=".len()..]];
        inspect.extend(args[1..].iter().map(String::as_str));
        let inspect = laptop.ctl(&inspect);
        assert_ne!(inspect.code(), Some(0), "{what}: inspect must fail too");
    }
    assert_eq!(deployed(&laptop)["version"], 1, "nothing changed");

    // An archive of another cluster: refused without --force, its configuration only with it.
    let b = Backend::start("B");
    let mut other = cluster();
    let o = other.start_control_plane(&["x1"]);
    let other_laptop = Laptop::new();
    connect(&other, &other_laptop, o[0]).success();
    deploy(&other_laptop, &write(other_laptop.path(), "b.yml", &config(&b, "B1")));
    let theirs = dir.join("theirs.tar");
    other.node(o[0]).local(&["backup", &arg("file", &theirs)]).success();
    let tokens_before = tokens(&laptop);
    let run = laptop.ctl(&["restore", &arg("file", &theirs)]);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("not of this cluster") && run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(deployed(&laptop)["version"], 1);
    let dry = laptop.ctl(&["restore", &arg("file", &theirs), "--force", "--dry-run"]).success();
    assert!(dry.stdout.contains("nothing was changed"), "{}", dry.stdout);
    assert_eq!(deployed(&laptop)["version"], 1);
    laptop.ctl(&["restore", &arg("file", &theirs), "--force"]).success();
    let now = deployed(&laptop);
    assert_eq!(now["version"], 2);
    assert_eq!(now["document"], deployed(&other_laptop)["document"]);
    assert_eq!(tokens(&laptop), tokens_before, "another cluster's tokens stay out");
}

#[test]
fn a_lost_cluster_starts_again_from_its_backup() {
    let a = Backend::start("A");
    let mut c = cluster();
    let ctl = c.start_control_plane(&["p1"]);
    let (_, data_token) = c.node(ctl[0]).tokens();
    let d = c.add("edge");
    let args = c.data_node_args(d, &ctl, &data_token);
    c.node_mut(d).start(args);
    c.wait_members(ctl[0], 2, Duration::from_secs(30));
    let laptop = Laptop::new();
    connect(&c, &laptop, ctl[0]).success();
    let dir = laptop.path();
    deploy(&laptop, &write(dir, "a.yml", &config(&a, "A1")));
    let pass = write(dir, "pass", "disaster recovery\n");
    let file = dir.join("dr.tar");
    laptop.ctl(&["backup", &arg("file", &file), &arg("passphrase-file", &pass)]).success();
    let id_before = laptop.ctl(&["status", "-o", "json"]).success().stdout;
    let id_before: serde_json::Value = serde_json::from_str(&id_before).unwrap();

    // The control node's machine is lost; the proxy keeps serving on its last configuration.
    c.node_mut(ctl[0]).kill9();
    std::fs::remove_dir_all(c.node(ctl[0]).statedir()).unwrap();
    std::fs::remove_dir_all(c.node(ctl[0]).creds_dir()).unwrap();
    assert_eq!(body_via(proxy_addr(&c, d)).as_deref(), Some("A"));

    // A new control node on the same address, from the backup.
    let args = c.bootstrap_args(ctl[0], &[&arg("archivepath", &file), &arg("passphrase-file", &pass)]);
    c.node_mut(ctl[0]).start(args);
    wait_for(Duration::from_secs(20), "the restored controller to answer", || c.node(ctl[0]).nodes());
    // The operator's profile still works: same cluster id and CA.
    let status: serde_json::Value = serde_json::from_str(&wait_for(Duration::from_secs(10), "the API", || {
        let run = laptop.ctl(&["status", "-o", "json"]);
        run.ok().then_some(run.stdout)
    }))
    .unwrap();
    assert_eq!(status["id"], id_before["id"]);
    assert_eq!(status["ca_fingerprint"], id_before["ca_fingerprint"]);
    assert_eq!(deployed(&laptop)["version"], 1);
    // The old proxy's certificate is still good: it comes back by itself.
    c.wait_members(ctl[0], 2, Duration::from_secs(30));
    // A new proxy joins with the restored data token and serves the restored configuration.
    let d2 = c.add("edge2");
    let args = c.data_node_args(d2, &ctl, &data_token);
    c.node_mut(d2).start(args);
    wait_for(Duration::from_secs(20), "the new proxy to route", || {
        (body_via(proxy_addr(&c, d2))? == "A").then_some(())
    });
    // And a deploy reaches both.
    let b = Backend::start("B");
    deploy(&laptop, &write(dir, "b.yml", &config(&b, "B2")));
    for i in [d, d2] {
        wait_for(Duration::from_secs(10), "the new route", || (body_via(proxy_addr(&c, i))? == "B").then_some(()));
    }

    // A damaged archive starts nothing and leaves nothing behind.
    let broken = dir.join("broken.tar");
    std::fs::write(&broken, &std::fs::read(&file).unwrap()[..100]).unwrap();
    let m = c.add("spare");
    let args = c.bootstrap_args(m, &[&arg("archivepath", &broken), &arg("passphrase-file", &pass)]);
    let run = c.run(&args);
    assert_eq!(run.code(), Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("broken.tar") && run.stderr.contains("truncated"), "{}", run.stderr);
    assert!(!c.node(m).creds_dir().join("cert.pem").exists());
}
