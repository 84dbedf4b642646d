//! `traefikeectl deploy` and `get config` through the mTLS API, with a real data node.

mod common;

use std::time::Duration;

use common::*;
use traefikee_testkit::{wait_for, Backend};

#[test]
fn deploy_remotely_and_read_back_what_is_deployed() {
    let backend = Backend::start("hello");
    let mut c = cluster();
    let ids = c.start_control_plane(&["r1", "r2"]);
    let (_, data_token) = c.node(ids[0]).tokens();
    let d = c.add("edge");
    let args = c.data_node_args(d, &[ids[0]], &data_token);
    c.node_mut(d).start(args);
    c.wait_members(ids[0], 3, Duration::from_secs(30));

    let laptop = Laptop::new();
    connect(&c, &laptop, ids[1]).success();
    let file = laptop.path().join("app.toml");
    std::fs::write(
        &file,
        format!(
            "[http.routers.app]\nrule = \"PathPrefix(`/`)\"\nservice = \"app\"\n[http.services.app.loadBalancer]\n[[http.services.app.loadBalancer.servers]]\nurl = \"{}\"\n",
            backend.url()
        ),
    )
    .unwrap();
    let run = laptop.ctl(&[
        "deploy",
        &format!("--configfile={}", file.display()),
        "--entryPoints=Name:web Address::18080",
        "--defaultentrypoints=web",
        "--wait",
    ]);
    let run = run.success();
    insta::assert_snapshot!("deploy", run.stdout);

    let body = wait_for(Duration::from_secs(10), "the route to answer", || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        rt.block_on(async { reqwest::get(format!("http://{}:18080/x", c.node(d).ip)).await.ok()?.text().await.ok() })
    });
    assert_eq!(body, "hello");

    let yaml = laptop.ctl(&["get", "config"]).success();
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!("get_config", yaml.stdout.replace(&backend.url(), "[BACKEND]")) });
    let json = laptop.ctl(&["get", "config", "-o", "json"]).success();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["document"]["entryPoints"]["web"]["asDefault"], true);

    let details = laptop.ctl(&["list-nodes", "--details"]).success();
    let edge = details.stdout.lines().find(|l| l.contains("edge")).unwrap().to_string();
    assert!(edge.contains("DATA NODE") && edge.trim_end().ends_with("v1"), "{}", details.stdout);

    let bad = laptop.path().join("bad.yaml");
    std::fs::write(&bad, "http:\n  routers:\n    app:\n      rule: Hots(`x`)\n      service: app\n").unwrap();
    let run = laptop.ctl(&["deploy", &format!("--configfile={}", bad.display())]);
    assert_eq!(run.code(), Some(1));
    assert!(run.stderr.contains("http.routers.app.rule") && run.stderr.contains("Hots"), "{}", run.stderr);

    let audit = laptop.ctl(&["audit"]).success();
    assert_eq!(audit.stdout.matches("config.deploy").count(), 1, "{}", audit.stdout);
}
