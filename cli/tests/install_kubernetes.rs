//! `install --kubernetes` without Kubernetes: there is no Kubernetes API server on these
//! machines. The apply / wait / connect / uninstall flow is tested against kube-rs's mock
//! service in `kube/tests/flow.rs`, and every manifest against the Kubernetes schemas in
//! `kube/tests/validate.rs`. What is tested here is that the manifests `--dry-run` prints
//! carry a cluster that really starts: the seed Secret's archive is bootstrapped by a real
//! `traefikee` process with the flags of controller 0's container, the one-time credential
//! Secret connects traefikeectl, and the token Secret joins a data node.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use common::*;

fn objects(yaml: &str) -> Vec<serde_json::Value> {
    serde_yaml::Deserializer::from_str(yaml)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("a YAML document"))
        .collect()
}

fn find<'a>(objects: &'a [serde_json::Value], kind: &str, name: &str) -> &'a serde_json::Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the manifests"))
}

fn secret(objects: &[serde_json::Value], name: &str) -> BTreeMap<String, Vec<u8>> {
    let data = find(objects, "Secret", name)["data"].as_object().expect("Secret data").clone();
    data.into_iter()
        .map(|(k, v)| (k, base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap()))
        .collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn the_dry_run_manifests_carry_a_cluster_that_starts() {
    let laptop = Laptop::new();
    let run =
        laptop.ctl(&["--clustername=edge", "install", "--kubernetes", "--dry-run", "--namespace=ingress"]).success();
    assert!(run.stderr.contains("nothing was applied"), "{}", run.stderr);
    let objects = objects(&run.stdout);
    assert!(objects
        .iter()
        .all(|o| o["metadata"]["labels"]["app.kubernetes.io/instance"] == "edge" || o["kind"] == "Namespace"));
    assert!(!laptop.profile_dir("edge").exists(), "a dry run connects nothing");

    // Controller 0 runs `traefikee bootstrap --archivepath=<seed>` with these flags.
    let sts = find(&objects, "StatefulSet", "traefikee-controller");
    let script = sts["spec"]["template"]["spec"]["containers"][0]["command"][2].as_str().unwrap();
    let bootstrap = script.lines().find(|l| l.contains("traefikee bootstrap")).expect("the bootstrap line");
    for flag in ["--archivepath=/var/run/traefikee-seed/seed.tar", "--controlnodes=1", "--clustername='edge'"] {
        assert!(bootstrap.contains(flag), "{bootstrap}");
    }

    let mut c = cluster();
    let k = c.add("k1");
    let seed = c.dir.path().join("seed.tar");
    std::fs::write(&seed, &secret(&objects, "traefikee-seed")["seed.tar"]).unwrap();
    let args = c.bootstrap_args(k, &[&format!("--archivepath={}", seed.display()), "--controlnodes=1"]);
    c.node_mut(k).start(args);
    c.wait_members(k, 1, Duration::from_secs(30));

    // The tokens the Secret gives the pods are the cluster's.
    let tokens = secret(&objects, "traefikee-tokens");
    let (control, data) = c.node(k).tokens();
    assert_eq!((text(&tokens["CONTROL_NODE_TOKEN"]), text(&tokens["DATA_NODE_TOKEN"])), (control, data.clone()));

    // The one-time credential Secret connects traefikeectl, once.
    let creds = secret(&objects, "traefikee-credentials");
    let dir = laptop.path().join("from-secret");
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        std::fs::write(dir.join(f), &creds[f]).unwrap();
    }
    let api = c.node(k).api_addr();
    let run = laptop.ctl(&[
        "connect",
        &format!("--onpremise.mtlscertsdir={}", dir.display()),
        &format!("--onpremise.apiaddress={api}"),
    ]);
    assert!(run.ok(), "{run:?}");
    let info: serde_json::Value =
        serde_json::from_str(&laptop.ctl(&["version", "-o", "json"]).success().stdout).unwrap();
    assert!(info["cluster"].as_str().unwrap().starts_with("edge ("), "{info}");

    // A data node joins with the data token.
    let d = c.add("p1");
    let args = c.data_node_args(d, &[k], &data);
    c.node_mut(d).start(args);
    c.wait_members(k, 2, Duration::from_secs(30));
    let nodes = laptop.ctl(&["list-nodes"]).success().stdout;
    assert!(nodes.contains("p1") && nodes.contains("k1"), "{nodes}");
}

#[test]
fn bad_kubernetes_installs_are_refused_before_anything_is_applied() {
    let laptop = Laptop::new();
    let run = laptop.ctl(&["install", "--kubernetes", "--local"]);
    assert_eq!(run.code(), Some(2), "{run:?}");
    let run = laptop.ctl(&["install", "--kubernetes", "--namespace=Not_A_Namespace", "--dry-run"]);
    assert!(!run.ok() && run.stderr.contains("--namespace"), "{run:?}");
    let run = laptop.ctl(&["install", "--kubernetes", "--dashboard", "--dry-run"]);
    assert!(!run.ok() && run.stderr.contains("--dashboard is not implemented"), "{run:?}");
    let run = laptop.ctl(&["install", "--kubernetes", "--controlnodes=4", "--dry-run"]);
    assert!(run.ok() && run.stderr.contains("--controlnodes=4 is even"), "{run:?}");
    let run = laptop.ctl(&["install", "--kubernetes", "--archivepath=/nonexistent/backup.tar", "--dry-run"]);
    assert!(!run.ok() && run.stderr.contains("/nonexistent/backup.tar"), "{run:?}");

    // No kubeconfig: a clear error, nothing written.
    let run = laptop.ctl(&["install", "--kubernetes"]);
    assert!(!run.ok(), "{run:?}");
    assert!(run.stderr.contains("kubeconfig"), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let run = laptop.ctl(&["connect", "--kubernetes"]);
    assert!(!run.ok() && run.stderr.contains("kubeconfig"), "{run:?}");
    let run = laptop.ctl(&["uninstall", "--kubernetes"]);
    assert!(!run.ok() && run.stderr.contains("kubeconfig"), "{run:?}");
}
