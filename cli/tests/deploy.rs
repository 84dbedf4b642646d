//! `traefikeectl deploy` and `get config` through the mTLS API, with a real data node.

mod common;

use std::os::unix::fs::PermissionsExt;
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
    // The token in a file, not on the command line; a file others may read is refused.
    let token_file = c.dir.path().join("data-token");
    std::fs::write(&token_file, format!("{data_token}\n")).unwrap();
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut args = c.data_node_args(d, &[ids[0]], &data_token);
    args.retain(|a| !a.starts_with("--token="));
    args.push(format!("--tokenfile={}", token_file.display()));
    c.node_mut(d).start(args.clone());
    let refused = c.node_mut(d).wait_exit(Duration::from_secs(20));
    assert_eq!(refused.code(), Some(1), "{}", c.node(d).logs());
    assert!(c.node(d).logs().contains("is readable by others (mode 644)"), "{}", c.node(d).logs());
    assert!(!c.node(d).statedir().exists());
    std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600)).unwrap();
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

    // Issue 12, item 8: the README's example, a router in the file on an entry point of the
    // flags: `deploy --entryPoints='Name:web Address::8080' --configfile=dynamic.yaml`.
    let dynamic = laptop.path().join("dynamic.yaml");
    std::fs::write(
        &dynamic,
        format!(
            "http:\n  routers:\n    api:\n      rule: PathPrefix(`/`)\n      entryPoints: [web2]\n      service: api\n  services:\n    api:\n      loadBalancer:\n        servers:\n          - url: {}\n",
            backend.url()
        ),
    )
    .unwrap();
    let undeclared = laptop.ctl(&["deploy", &format!("--configfile={}", dynamic.display())]);
    assert_eq!(undeclared.code(), Some(1), "{undeclared:?}");
    assert!(
        undeclared.stderr.contains(r#"http.routers.api.entryPoints[0]: unknown entry point "web2""#),
        "{}",
        undeclared.stderr
    );
    let run = laptop
        .ctl(&[
            "deploy",
            "--entryPoints=Name:web2 Address::18081",
            &format!("--configfile={}", dynamic.display()),
            "--wait",
        ])
        .success();
    assert!(run.stdout.contains("✔ Configuration version 2 deployed: 1 entry points, 1 routers"), "{}", run.stdout);
    let body = wait_for(Duration::from_secs(10), "the route on the flag's entry point", || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        rt.block_on(async { reqwest::get(format!("http://{}:18081/y", c.node(d).ip)).await.ok()?.text().await.ok() })
    });
    assert_eq!(body, "hello");
}

/// `get providers`: each provider, what it gave, and why one fails (etcd unreachable: nothing
/// listens on the port it names). Consul is the testkit's stand-in (no Consul binary here).
#[test]
fn get_providers_shows_each_provider_and_why_one_fails() {
    let backend = Backend::start("kv");
    let consul = traefikee_testkit::consul::ConsulKv::start("127.0.0.1", Some("acl-token-1"));
    consul.put("traefik/http/routers/kv/rule", "Host(`kv.test`)");
    consul.put("traefik/http/routers/kv/service", "kv");
    consul.put("traefik/http/services/kv/loadbalancer/servers/0/url", &backend.url());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut c = cluster();
    let ids = c.start_control_plane(&["p1"]);
    let laptop = Laptop::new();
    connect(&c, &laptop, ids[0]).success();
    let file = laptop.path().join("providers.yaml");
    std::fs::write(
        &file,
        format!(
            "entryPoints:\n  web:\n    address: ':18090'\nproviders:\n  consul:\n    endpoints: ['{}']\n    token: acl-token-1\n  etcd:\n    endpoints: ['{closed}']\n",
            consul.addr
        ),
    )
    .unwrap();
    laptop.ctl(&["deploy", &format!("--configfile={}", file.display())]).success();
    wait_for(Duration::from_secs(20), "consul ok and etcd failing", || {
        let run = laptop.ctl(&["get", "providers", "-o", "json"]);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).ok()?;
        let status = |name: &str| {
            v["providers"]
                .as_array()?
                .iter()
                .find(|p| p["name"] == name)
                .and_then(|p| p["status"].as_str().map(str::to_string))
        };
        (status("consul")? == "ok" && status("etcd")? == "error").then_some(())
    });
    let table = laptop.ctl(&["get", "providers"]).success();
    let mut settings = insta::Settings::clone_current();
    for (from, to) in filters() {
        settings.add_filter(from, to);
    }
    settings.add_filter(r"\[IP\]:\d+", "[IP]:[PORT]");
    // Column widths follow the values the filters replace.
    settings.add_filter(r"(?m) +$", "");
    settings.add_filter(r" {2,}", "  ");
    settings.bind(|| insta::assert_snapshot!("get_providers", table.stdout));
}
