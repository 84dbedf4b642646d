//! `traefikeectl connect` and the commands after it, against a real 3-controller cluster.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::*;
use traefikee_testkit::wait_for;

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn connect_once_then_manage_the_cluster_through_any_controller() {
    let mut c = cluster();
    let ids = c.start_control_plane(&["cn1", "cn2", "cn3"]);
    let laptop = Laptop::new();
    let spare = laptop.copy_credentials(&c.node(ids[0]).creds_dir(), "spare-copy");

    let run = connect(&c, &laptop, ids[0]).success();
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!("connect", run.stdout) });
    assert!(!laptop.path().join("creds/key.pem").exists(), "the one-time credentials were removed");

    let profile = laptop.profile_dir("traefikee");
    assert_eq!(mode(&profile), 0o700);
    for f in ["ca.pem", "cert.pem", "key.pem", "profile.json"] {
        assert_eq!(mode(&profile.join(f)), 0o600, "{f}");
    }

    let run = laptop.ctl(&["list-nodes"]).success();
    assert_eq!(run.stdout.matches("(Current Leader)").count(), 1, "{}", run.stdout);
    let table = run.stdout.replace(" (Current Leader)", "");
    insta::assert_snapshot!("list_nodes", table);

    let json = laptop.ctl(&["list-nodes", "--details", "-o", "json"]).success();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["nodes"].as_array().unwrap().len(), 3);
    let yaml = laptop.ctl(&["-o", "yaml", "list-nodes"]).success();
    assert!(yaml.stdout.contains("role: CONTROL_NODE"), "{}", yaml.stdout);

    // The same one-time credentials, copied before, are refused: they were used.
    let replay = laptop.ctl(&[
        "connect",
        &format!("--onpremise.mtlscertsdir={}", spare.display()),
        &format!("--onpremise.apiaddress={}", c.node(ids[1]).api_addr()),
        "--clustername=again",
    ]);
    assert_eq!(replay.code(), Some(1), "{replay:?}");
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!("replayed_connect", format!("{}---\n{}", replay.stdout, replay.stderr)) });
    assert!(!laptop.profile_dir("again").join("profile.json").exists(), "no profile from a refused connect");

    // The controller the profile was connected through dies: commands go to the others.
    c.node_mut(ids[0]).kill9();
    let run = wait_for(Duration::from_secs(10), "list-nodes through another controller", || {
        let r = laptop.ctl(&["list-nodes", "--details"]);
        r.ok().then_some(r)
    });
    assert!(run.stdout.contains("cn2") && run.stdout.contains("cn3"), "{}", run.stdout);
    let status = laptop.ctl(&["status"]).success();
    assert!(!status.stdout.contains("Answered by: cn1"), "{}", status.stdout);

    // Writes are forwarded to whichever controller leads now.
    let rotated = laptop.ctl(&["tokens", "rotate"]).success();
    assert!(rotated.stdout.starts_with("export CONTROL_NODE_TOKEN=\"tkee1.control."), "{}", rotated.stdout);

    let version = laptop.ctl(&["version"]).success();
    assert!(
        version.stdout.contains("Client: traefikeectl ") && version.stdout.contains("Server: traefikee "),
        "{}",
        version.stdout
    );
}

#[test]
fn errors_a_user_meets_say_what_to_do() {
    let laptop = Laptop::new();
    let run = laptop.ctl(&["list-nodes"]);
    assert_eq!(run.code(), Some(4));
    insta::assert_snapshot!("no_profile", run.stderr);

    let mut c = cluster();
    let ids = c.start_control_plane(&["solo"]);
    connect(&c, &laptop, ids[0]).success();

    let run = laptop.ctl(&["rm-node", "nope"]);
    assert_eq!(run.code(), Some(5));
    assert!(
        run.stderr.contains("error: no node named or with id \"nope\"") && run.stderr.contains("hint: "),
        "{}",
        run.stderr
    );

    let run = laptop.ctl(&["connect", "--onpremise.mtlscertsdir=/nonexistent", "--onpremise.apiaddress=127.0.0.1:1"]);
    assert_eq!(run.code(), Some(1));
    assert!(run.stderr.contains("no credentials in /nonexistent"), "{}", run.stderr);

    // A profile whose cluster is gone.
    c.node_mut(ids[0]).kill9();
    let run = laptop.ctl(&["list-nodes"]);
    assert_eq!(run.code(), Some(3), "{run:?}");
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!("unreachable", run.stderr) });

    // The profile of one cluster pointed at another: the CA does not match.
    let mut other = cluster();
    let o = other.start_control_plane(&["elsewhere"]);
    let run = laptop.ctl(&["--clustername=traefikee", "version"]);
    assert_eq!(run.code(), Some(3));
    let meta_path = laptop.profile_dir("traefikee").join("profile.json");
    let mut meta: serde_json::Value = serde_json::from_slice(&std::fs::read(&meta_path).unwrap()).unwrap();
    meta["api_address"] = other.node(o[0]).api_addr().into();
    meta["api_addresses"] = serde_json::json!([]);
    std::fs::write(&meta_path, serde_json::to_vec(&meta).unwrap()).unwrap();
    let run = laptop.ctl(&["list-nodes"]);
    assert_eq!(run.code(), Some(4), "{run:?}");
    assert!(run.stderr.contains("TLS handshake") && run.stderr.contains("hint: "), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
}
