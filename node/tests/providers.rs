//! Providers: routes discovered in etcd (Debian's etcd-server), Redis (Debian's
//! redis-server) and Consul (a stand-in: see `traefikee_testkit::consul`), in Traefik v3's KV
//! layout, served by every proxy of a 3+2 cluster; a bad key tree and an unreachable store
//! keep what the provider gave before; the providers move to the new leader when the leader
//! dies.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use traefikee_apiserver::types::{ProviderInfo, ProviderList};
use traefikee_testkit::consul::ConsulKv;
use traefikee_testkit::stores::{Etcd, Redis};
use traefikee_testkit::{wait_for, wait_for_or, Backend, Cluster};

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");
const PORT: u16 = 18600;
const TOKEN: &str = "b1gs3cret-acl-token";

/// What a proxy answers for `host`: status, body and the `X-Tag` header.
fn ask(addr: SocketAddr, host: &str) -> Option<(u16, String, String)> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    rt.block_on(async {
        let resp = reqwest::Client::new()
            .get(format!("http://{addr}/"))
            .header("host", host)
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()?;
        let status = resp.status().as_u16();
        let tag = resp.headers().get("x-tag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        Some((status, resp.text().await.unwrap_or_default(), tag))
    })
}

fn providers(c: &Cluster, i: usize) -> Option<ProviderList> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    rt.block_on(common::local(c, i).providers()).ok()
}

fn provider(c: &Cluster, i: usize, name: &str) -> Option<ProviderInfo> {
    providers(c, i)?.providers.into_iter().find(|p| p.name == name)
}

/// The keys of a router `name` for `host`, through the `tag@file` middleware of the deployed
/// configuration, to a service of its own provider.
fn route(root: &str, name: &str, host: &str, backend: &Backend) -> Vec<(String, String)> {
    vec![
        (format!("{root}/http/routers/{name}/rule"), format!("Host(`{host}`)")),
        (format!("{root}/http/routers/{name}/entrypoints/0"), "web".into()),
        (format!("{root}/http/routers/{name}/service"), format!("{name}-svc")),
        (format!("{root}/http/routers/{name}/middlewares/0"), "tag@file".into()),
        (format!("{root}/http/services/{name}-svc/loadbalancer/servers/0/url"), backend.url()),
    ]
}

#[test]
fn kv_providers_route_on_every_proxy_keep_the_last_good_state_and_follow_the_leader() {
    let mut etcd = Etcd::start("127.0.0.1");
    let redis = Redis::start("127.0.0.1");
    let consul = ConsulKv::start("127.0.0.1", Some(TOKEN));
    let backend = Backend::start("W");

    let mut c = Cluster::new(BIN);
    let (ctl, dns) = common::cluster_of(&mut c, &["c1", "c2", "c3"], &["d1", "d2"]);
    let proxies: Vec<SocketAddr> = dns.iter().map(|&d| format!("{}:{PORT}", c.node(d).ip).parse().unwrap()).collect();

    let config = format!(
        "entryPoints:\n  web:\n    address: ':{PORT}'\nproviders:\n  etcd:\n    endpoints: ['127.0.0.1:1', '{}']\n  redis:\n    endpoints: ['{}']\n    rootKey: apps\n  consul:\n    endpoints: ['{}']\n    token: {TOKEN}\nhttp:\n  middlewares:\n    tag:\n      headers:\n        customResponseHeaders:\n          X-Tag: from-file\n",
        etcd.endpoint, redis.endpoint, consul.addr
    );
    let file = c.dir.path().join("providers.yml");
    std::fs::write(&file, config).unwrap();
    let run = c.node(ctl[0]).local(&["deploy", &format!("--configfile={}", file.display()), "--wait"]).success();
    assert!(run.stdout.contains("run version"), "{}", run.stdout);

    // Routes written in each store reach both proxies, through a middleware of the file (etcd
    // through its second endpoint: nothing listens on the first).
    for (k, v) in route("traefik", "e", "etcd.test", &backend) {
        assert!(etcd.put(&k, &v));
    }
    for (k, v) in route("apps", "r", "redis.test", &backend) {
        assert!(redis.set(&k, &v));
    }
    for (k, v) in route("traefik", "k", "consul.test", &backend) {
        consul.put(&k, &v);
    }
    let served = |host: &str| {
        proxies.iter().all(|&p| ask(p, host).is_some_and(|(s, b, t)| s == 200 && b == "W" && t == "from-file"))
    };
    for host in ["etcd.test", "redis.test", "consul.test"] {
        wait_for_or(
            Duration::from_secs(20),
            || served(host).then_some(()),
            || format!("{host} is not served: {:?}\n{}", providers(&c, ctl[0]), c.all_logs()),
        );
    }
    let list = providers(&c, ctl[1]).unwrap();
    let names: Vec<&str> = list.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["consul", "etcd", "redis"], "{list:?}");
    for p in &list.providers {
        assert_eq!(p.status, "ok", "{p:?}");
        assert!(p.summary.starts_with("1 routers, 1 services"), "{p:?}");
    }
    // Proxies never receive the stores' credentials (Consul's ACL token here).
    for &d in &dns {
        let saved = std::fs::read_to_string(c.node(d).statedir().join("config.json")).unwrap();
        assert!(saved.contains("e@etcd") && !saved.contains(TOKEN), "{saved}");
    }
    // `get config` shows what each provider gave, apart from the deployed document.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let config = rt.block_on(common::local(&c, ctl[2]).config()).unwrap();
    assert!(config.providers["etcd"]["http"]["routers"]["e"].is_object(), "{:?}", config.providers);
    assert!(config.document["http"]["routers"].is_null(), "{}", config.document);
    // ...and not the stores' credentials.
    assert_eq!(config.document["providers"]["consul"]["token"], "[redacted]");
    assert!(!serde_json::to_string(&config).unwrap().contains(TOKEN));

    // A key tree that is not a configuration is refused with the key named; the route stays.
    assert!(etcd.put("traefik/http/routers/e/priority", "high"));
    let failing = wait_for(Duration::from_secs(20), "etcd to report the bad key", || {
        provider(&c, ctl[0], "etcd").filter(|p| p.status == "error")
    });
    let error = failing.error.unwrap();
    assert!(error.contains("traefik/http/routers/e/priority") && error.contains("\"high\""), "{error}");
    assert!(served("etcd.test"));
    assert!(etcd.delete("traefik/http/routers/e/priority"));
    wait_for(Duration::from_secs(20), "etcd to recover", || provider(&c, ctl[0], "etcd").filter(|p| p.status == "ok"));

    // A configuration the cluster refuses (a service of no provider) is refused the same way.
    consul.put("traefik/http/routers/k/service", "nowhere");
    let failing = wait_for(Duration::from_secs(20), "consul to report the refused route", || {
        provider(&c, ctl[1], "consul").filter(|p| p.status == "error")
    });
    assert!(failing.error.as_deref().unwrap().contains("nowhere@consul"), "{failing:?}");
    assert!(served("consul.test"));
    consul.put("traefik/http/routers/k/service", "k-svc");

    // An unreachable store: reported, and its routes keep running.
    etcd.stop();
    let down = wait_for(Duration::from_secs(30), "etcd to be reported unreachable", || {
        provider(&c, ctl[0], "etcd").filter(|p| p.status == "error")
    });
    assert!(down.error.as_deref().unwrap().contains(&etcd.endpoint), "{down:?}");
    assert!(served("etcd.test"));

    // The leader dies: another one runs the providers, from where the state is.
    let leader = wait_for(Duration::from_secs(10), "a leader", || c.node(ctl[1]).leader());
    let dead = c.index_of(&leader);
    c.node_mut(dead).kill9();
    let survivor = *ctl.iter().find(|&&i| i != dead).unwrap();
    wait_for(Duration::from_secs(15), "a new leader", || c.node(survivor).leader().filter(|l| *l != leader));
    assert!(served("etcd.test") && served("redis.test") && served("consul.test"));
    for (k, v) in route("traefik", "k2", "consul2.test", &backend) {
        consul.put(&k, &v);
    }
    wait_for_or(
        Duration::from_secs(20),
        || served("consul2.test").then_some(()),
        || format!("consul2.test is not served after the failover: {:?}\n{}", providers(&c, survivor), c.all_logs()),
    );
    // A route deleted from Consul leaves the proxies.
    for (k, _) in route("traefik", "k2", "consul2.test", &backend) {
        consul.delete(&k);
    }
    wait_for(Duration::from_secs(20), "consul2.test to leave", || {
        proxies.iter().all(|&p| ask(p, "consul2.test").is_some_and(|(s, _, _)| s == 404)).then_some(())
    });
    // Consul's index goes backwards (a restored Consul): the routes written after it still
    // arrive, with nothing lost.
    consul.reset_index();
    for (k, v) in route("traefik", "k3", "consul3.test", &backend) {
        consul.put(&k, &v);
    }
    // (Consul answers a query on the old index only when its wait, 10 s, ends.)
    wait_for(Duration::from_secs(30), "consul3.test after the index reset", || served("consul3.test").then_some(()));
    etcd.resume();
    wait_for(Duration::from_secs(40), "etcd to be back", || {
        provider(&c, survivor, "etcd").filter(|p| p.status == "ok")
    });

    // A route deleted from the store leaves the proxies.
    for (k, _) in route("apps", "r", "redis.test", &backend) {
        assert!(redis.del(&k));
    }
    wait_for(Duration::from_secs(20), "redis.test to leave", || {
        proxies.iter().all(|&p| ask(p, "redis.test").is_some_and(|(s, _, _)| s == 404)).then_some(())
    });
    assert!(served("etcd.test") && served("consul3.test"));
}

/// The on-premise guide's deploy, with TraefikEE v1's flags, is taken as written. A route
/// that names what the deployed configuration lacks waits, reported, until a deploy brings
/// it; a provider without an endpoint is refused with the key named and nothing changes.
#[test]
fn the_guides_consul_flags_deploy_and_bad_providers_are_refused() {
    let consul = ConsulKv::start("127.0.0.1", None);
    let backend = Backend::start("G");
    let mut c = Cluster::new(BIN);
    let (ctl, d) = common::controller_and_data_node(&mut c, "c1", "d1");
    let proxy: SocketAddr = format!("{}:{PORT}", c.node(d).ip).parse().unwrap();
    for (k, v) in route("traefik", "g", "guide.test", &backend) {
        consul.put(&k, &v);
    }
    let flags = [
        format!("--entryPoints=Name:web Address::{PORT}"),
        "--defaultentrypoints=web".to_string(),
        format!("--consul.endpoint={}", consul.addr),
        "--consul.watch".to_string(),
        "--consul.prefix=traefik".to_string(),
    ];
    let mut args = vec!["deploy".to_string()];
    args.extend(flags.iter().cloned());
    let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = c.node(ctl).local(&args_ref).success();
    assert!(run.stdout.contains("deployed"), "{}", run.stdout);

    // The route names `tag@file`, which nothing defines yet: Consul's configuration waits.
    let failing = wait_for(Duration::from_secs(20), "consul to report the missing middleware", || {
        provider(&c, ctl, "consul").filter(|p| p.status == "error")
    });
    assert!(failing.error.as_deref().unwrap().contains("g@consul"), "{failing:?}");
    assert!(ask(proxy, "guide.test").is_some_and(|(s, _, _)| s == 404));

    // A deploy that brings the middleware lets it in, with nothing written to Consul.
    let file = c.dir.path().join("tag.yml");
    std::fs::write(
        &file,
        "http:\n  middlewares:\n    tag:\n      headers:\n        customResponseHeaders:\n          X-Tag: from-file\n",
    )
    .unwrap();
    let mut args = vec!["deploy".to_string(), format!("--configfile={}", file.display())];
    args.extend(flags.iter().cloned());
    let args_ref: Vec<&str> = args.iter().map(String::as_str).collect();
    c.node(ctl).local(&args_ref).success();
    wait_for_or(
        Duration::from_secs(20),
        || ask(proxy, "guide.test").filter(|(s, b, t)| *s == 200 && b == "G" && t == "from-file"),
        || {
            format!(
                "guide.test is not served: {:?} {:?}\n{}",
                ask(proxy, "guide.test"),
                providers(&c, ctl),
                c.all_logs()
            )
        },
    );
    wait_for(Duration::from_secs(10), "consul to be ok", || provider(&c, ctl, "consul").filter(|p| p.status == "ok"));

    // A provider without endpoints, or with another's options: refused, nothing changes.
    let version = common::deployed_version(&c, ctl);
    let bad = c.dir.path().join("bad.yml");
    std::fs::write(&bad, "providers:\n  etcd:\n    token: x\n").unwrap();
    let run = c.node(ctl).local(&["deploy", &format!("--configfile={}", bad.display())]);
    assert!(!run.ok());
    assert!(
        run.stderr.contains("providers.etcd.endpoints") && run.stderr.contains("providers.etcd.token"),
        "{}",
        run.stderr
    );
    assert_eq!(common::deployed_version(&c, ctl), version);
    assert!(ask(proxy, "guide.test").is_some_and(|(s, _, _)| s == 200));
}

/// `providers.file` on the control nodes: the leader reads the directory, follows edits, and a
/// broken file or a name the deployed configuration also defines keeps what it gave before.
#[test]
fn the_file_provider_reads_the_leaders_directory_and_follows_its_edits() {
    let backend = Backend::start("F");
    let mut c = Cluster::new(BIN);
    let (ctl, d) = common::controller_and_data_node(&mut c, "c1", "d1");
    let proxy: SocketAddr = format!("{}:{PORT}", c.node(d).ip).parse().unwrap();
    let dir = c.dir.path().join("dynamic");
    std::fs::create_dir(&dir).unwrap();
    let routes = |host: &str| {
        format!(
            "http:\n  routers:\n    site:\n      rule: Host(`{host}`)\n      service: site\n      middlewares: [tag]\n  services:\n    site:\n      loadBalancer:\n        servers:\n          - url: {}\n",
            backend.url()
        )
    };
    // Laid out as a Kubernetes ConfigMap mount: the file is a link into a hidden directory,
    // which a hidden link points at too; each file is read once.
    std::fs::create_dir(dir.join("..2026_12_02")).unwrap();
    std::fs::write(dir.join("..2026_12_02/site.yml"), routes("one.test")).unwrap();
    std::os::unix::fs::symlink("..2026_12_02", dir.join("..data")).unwrap();
    std::os::unix::fs::symlink("..data/site.yml", dir.join("site.yml")).unwrap();
    let main = c.dir.path().join("main.yml");
    std::fs::write(
        &main,
        format!("entryPoints:\n  web:\n    address: ':{PORT}'\nproviders:\n  file:\n    directory: {}\nhttp:\n  middlewares:\n    tag:\n      headers:\n        customResponseHeaders:\n          X-Tag: deployed\n", dir.display()),
    )
    .unwrap();
    c.node(ctl).local(&["deploy", &format!("--configfile={}", main.display())]).success();
    let serves = |host: &str| ask(proxy, host).is_some_and(|(s, b, t)| s == 200 && b == "F" && t == "deployed");
    wait_for_or(
        Duration::from_secs(20),
        || serves("one.test").then_some(()),
        || format!("one.test is not served: {:?}\n{}", providers(&c, ctl), c.all_logs()),
    );

    // An edit is followed.
    std::fs::write(dir.join("..2026_12_02/site.yml"), routes("two.test")).unwrap();
    wait_for(Duration::from_secs(20), "the edit to be served", || serves("two.test").then_some(()));
    assert!(ask(proxy, "one.test").is_some_and(|(s, _, _)| s == 404));

    // A broken file: reported with the file named; the routes stay.
    std::fs::write(dir.join("broken.yml"), "http:\n  routers:\n    x:\n      colour: red\n").unwrap();
    let failing = wait_for(Duration::from_secs(20), "the broken file to be reported", || {
        provider(&c, ctl, "file").filter(|p| p.status == "error")
    });
    let error = failing.error.unwrap();
    assert!(error.contains("broken.yml") && error.contains("colour"), "{error}");
    assert!(serves("two.test"));
    std::fs::remove_file(dir.join("broken.yml")).unwrap();
    wait_for(Duration::from_secs(20), "the file provider to recover", || {
        provider(&c, ctl, "file").filter(|p| p.status == "ok")
    });

    // A name the deployed configuration defines too: refused, the routes stay.
    std::fs::write(dir.join("dup.yml"), "http:\n  middlewares:\n    tag:\n      addPrefix:\n        prefix: /x\n")
        .unwrap();
    let failing = wait_for(Duration::from_secs(20), "the duplicate to be reported", || {
        provider(&c, ctl, "file").filter(|p| p.status == "error")
    });
    assert!(failing.error.as_deref().unwrap().contains("http.middlewares.tag"), "{failing:?}");
    assert!(serves("two.test"));
}
