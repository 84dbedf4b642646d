//! `traefikeectl install --local` end to end: a 3+2 cluster of real processes on loopback,
//! a route deployed and answered through a proxy, `uninstall` leaving nothing running.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use traefikee_testkit::{wait_for, workspace_bin, Backend, Run};

fn ctl(laptop: &Laptop, args: &[&str]) -> Run {
    let out = Command::new(CTL)
        .args(args)
        .env_clear()
        .env("HOME", laptop.path())
        .env("XDG_CONFIG_HOME", laptop.path().join(".config"))
        .env("XDG_DATA_HOME", laptop.path().join("data"))
        .env("TRAEFIKEE_BIN", workspace_bin("traefikee-node", "traefikee"))
        .env("USER", "alice")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("run traefikeectl");
    Run::from(out)
}

fn pids(laptop: &Laptop, name: &str) -> Vec<u32> {
    let path = laptop.path().join("data/traefikee").join(name).join("install.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["nodes"].as_array().unwrap().iter().map(|n| n["pid"].as_u64().unwrap() as u32).collect()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !s.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
}

#[test]
fn install_local_gives_a_working_cluster_and_uninstall_removes_it() {
    let backend = Backend::start("hello from the backend");
    let laptop = Laptop::new();
    let name = format!("t{}", std::process::id());
    let run = ctl(&laptop, &["install", "--local", &format!("--clustername={name}")]).success();
    assert!(
        run.stdout.contains("✔ Local cluster") && run.stdout.contains("3 control nodes, 2 data nodes"),
        "{}",
        run.stdout
    );
    let started = pids(&laptop, &name);
    assert_eq!(started.len(), 5);

    // Issue 12, item 8: the join tokens never were on a command line (every user reads
    // /proc/PID/cmdline) nor in a log.
    let tokens = ctl(&laptop, &["tokens", "show"]).success();
    let secrets: Vec<&str> = tokens.stdout.lines().filter_map(|l| l.split('"').nth(1)).collect();
    assert_eq!(secrets.len(), 2, "{}", tokens.stdout);
    for pid in &started {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        assert!(cmdline.contains("traefikee"), "{cmdline}");
        assert!(!cmdline.contains("tkee1.") && !cmdline.contains("--token"), "pid {pid}: {cmdline}");
    }
    let logs = laptop.path().join("data/traefikee").join(&name).join("logs");
    for entry in std::fs::read_dir(&logs).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(secrets.iter().all(|s| !text.contains(s)), "a token in the logs:\n{text}");
    }

    // The profile knows every controller, so commands fail over.
    let meta_path = laptop.path().join(".config/traefikee").join(&name).join("profile.json");
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    assert_eq!(meta["api_addresses"].as_array().unwrap().len(), 3, "{meta}");

    let nodes = ctl(&laptop, &["list-nodes", "-o", "json"]).success();
    let v: serde_json::Value = serde_json::from_str(&nodes.stdout).unwrap();
    assert_eq!(v["nodes"].as_array().unwrap().len(), 5, "{}", nodes.stdout);

    let again = ctl(&laptop, &["install", "--local", &format!("--clustername={name}")]);
    assert_eq!(again.code(), Some(1), "{}", again.stderr);
    assert!(again.stderr.contains("already installed") && again.stderr.contains("--force"), "{}", again.stderr);

    let file = laptop.path().join("app.yaml");
    std::fs::write(
        &file,
        format!("http:\n  routers:\n    app:\n      rule: PathPrefix(`/`)\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: {}\n", backend.url()),
    )
    .unwrap();
    ctl(
        &laptop,
        &["deploy", "--entryPoints=Name:web Address::18380", &format!("--configfile={}", file.display()), "--wait"],
    )
    .success();
    let proxy = run
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("proxies listen on "))
        .and_then(|rest| rest.split(',').next())
        .map(|ip| ip.trim().to_string())
        .expect("the proxies' addresses are printed");
    let body = wait_for(Duration::from_secs(10), "the route through the proxy", || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        rt.block_on(async { reqwest::get(format!("http://{proxy}:18380/")).await.ok()?.text().await.ok() })
    });
    assert_eq!(body, "hello from the backend");

    // Issue 12, item 8: the first controller, the one the profile was connected through,
    // stops; traefikeectl goes to the others.
    let first = started[0];
    assert!(alive(first));
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(first as i32), nix::sys::signal::Signal::SIGKILL).unwrap();
    wait_for(Duration::from_secs(10), "the first controller to be gone", || (!alive(first)).then_some(()));
    let nodes = wait_for(Duration::from_secs(15), "list-nodes through another controller", || {
        let r = ctl(&laptop, &["list-nodes"]);
        r.ok().then_some(r)
    });
    assert!(nodes.stdout.contains(&format!("{name}-controller-2")), "{}", nodes.stdout);
    let installed: serde_json::Value = serde_json::from_slice(
        &std::fs::read(laptop.path().join("data/traefikee").join(&name).join("install.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(installed["nodes"][0]["pid"], first);
    assert_eq!(meta["api_address"], format!("{}:55055", installed["nodes"][0]["ip"].as_str().unwrap()));

    let run = ctl(&laptop, &["uninstall", "--local", &format!("--clustername={name}")]).success();
    assert!(run.stdout.contains("4 processes stopped"), "{}", run.stdout);
    wait_for(Duration::from_secs(10), "every process to be gone", || started.iter().all(|&p| !alive(p)).then_some(()));
    assert!(!laptop.path().join("data/traefikee").join(&name).exists());
    let gone = ctl(&laptop, &["list-nodes", &format!("--clustername={name}")]);
    assert_ne!(gone.code(), Some(0), "the profile went with the cluster");
    let twice = ctl(&laptop, &["uninstall", "--local", &format!("--clustername={name}")]);
    assert_eq!(twice.code(), Some(5), "{}", twice.stderr);
}

#[test]
fn install_local_refuses_what_it_cannot_do_and_leaves_nothing() {
    let laptop = Laptop::new();
    let dash = ctl(&laptop, &["install", "--local", "--dashboard", "--clustername=d1"]);
    assert_eq!(dash.code(), Some(1));
    assert!(dash.stderr.contains("--dashboard is not implemented"), "{}", dash.stderr);
    // A port in use on the first controller's address.
    let name = format!("busy{}", std::process::id());
    let probe =
        ctl(&laptop, &["install", "--local", "--controlnodes=1", "--datanodes=0", &format!("--clustername={name}")])
            .success();
    let dir = laptop.path().join("data/traefikee").join(&name);
    assert!(dir.join("install.json").exists(), "{}", probe.stdout);
    let other = Laptop::new();
    let clash =
        ctl(&other, &["install", "--local", "--controlnodes=1", "--datanodes=0", &format!("--clustername={name}")]);
    assert_eq!(clash.code(), Some(1), "{}", clash.stderr);
    assert!(clash.stderr.contains("is not available"), "{}", clash.stderr);
    assert!(!other.path().join("data/traefikee").join(&name).exists(), "nothing half-installed");
    ctl(&laptop, &["uninstall", "--local", &format!("--clustername={name}")]).success();
}
