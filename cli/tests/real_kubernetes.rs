//! `traefikeectl install --kubernetes` on a real Kubernetes, as a user runs it: the seed's HA
//! walkthrough (`shared/seeds/004`) end to end.
//!
//! `scripts/k8s.sh up` starts Kubernetes 1.20.2 built from Debian's source package (API
//! server, controller-manager, scheduler, kubelet with containerd and runc, kube-proxy), a
//! CNI bridge pod network, and two stand-ins for what a cloud cluster has and cannot be built
//! here: a cluster DNS (CoreDNS) and a volume provisioner. All of it runs in a network
//! namespace the script creates, so the pods' private addresses never reach the machine's
//! interfaces; the API server is forwarded to 127.0.0.1:6443. The traefikee image is made from
//! the binary these tests run, with the Dockerfile's runtime layout, and imported into
//! containerd: no registry.
//!
//! The Kubernetes binaries come from `scripts/k8s.sh build` (about ten minutes once; `.ci/run`
//! does it and keeps them outside the clone). Without them this test fails, saying so: it
//! never skips. It needs root (network namespaces, containerd), as CI runs. One test, one
//! cluster: the phases run in order and each says what it checks.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use traefikee_testkit::{wait_for, wait_for_or, workspace_bin, Answer, Load, Run};

const NS: &str = "traefikee";
const IMAGE: &str = "local/traefikee:test";
const WHOAMI_IMAGE: &str = "local/whoami:test";
const HOST: &str = "whoami.example.test";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_path_buf()
}

/// The cluster `scripts/k8s.sh` runs; stopped and removed on drop, whatever happened.
struct Kubernetes {
    home: PathBuf,
    netns: String,
}

impl Kubernetes {
    fn script() -> Command {
        Command::new(repo().join("scripts/k8s.sh"))
    }

    fn up() -> Kubernetes {
        let home = std::env::temp_dir().join("traefikee-k8s-test");
        let netns = "traefikee-k8s-test".to_string();
        let k = Kubernetes { home, netns };
        let started = Instant::now();
        let run = k.script_run(&["up"]);
        assert!(
            run.ok(),
            "scripts/k8s.sh up failed (are the Kubernetes binaries built? run `scripts/k8s.sh build` once, \
             about ten minutes; .ci/run does it):\n{}\n{}",
            run.stdout,
            run.stderr
        );
        eprintln!("[k8s] up in {:.1}s", started.elapsed().as_secs_f64());
        k
    }

    fn script_run(&self, args: &[&str]) -> Run {
        let out = Kubernetes::script()
            .args(args)
            .env("K8S_HOME", &self.home)
            .env("K8S_NETNS", &self.netns)
            .output()
            .expect("run scripts/k8s.sh");
        Run::from(out)
    }

    fn admin_kubeconfig(&self) -> PathBuf {
        self.home.join("pki/admin.kubeconfig")
    }

    fn limited_kubeconfig(&self) -> PathBuf {
        self.home.join("pki/limited.kubeconfig")
    }

    fn netns_path(&self) -> String {
        format!("/var/run/netns/{}", self.netns)
    }

    /// kubectl on this machine, as the cluster's admin.
    fn kubectl(&self, args: &[&str]) -> Run {
        let out = Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", self.admin_kubeconfig())
            .output()
            .expect("run kubectl");
        Run::from(out)
    }

    fn kubectl_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let run = self.kubectl(&all).success();
        serde_json::from_str(&run.stdout).expect("kubectl's JSON")
    }

    fn apply(&self, manifest: &str) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), manifest).unwrap();
        self.kubectl(&["apply", "-f", &file.path().display().to_string()]).success();
    }

    /// What is left labelled as traefikee's anywhere: namespaced objects of every kind install
    /// makes, cluster-scoped RBAC, and volumes bound to a claim of namespace `ns`.
    fn leftovers(&self, ns: &str) -> Vec<String> {
        let mut left = Vec::new();
        let selector = "app.kubernetes.io/name=traefikee";
        let kinds = "statefulsets,deployments,pods,services,secrets,serviceaccounts,roles,rolebindings,\
                     poddisruptionbudgets.v1beta1.policy,persistentvolumeclaims";
        for item in self.kubectl_json(&["get", kinds, "-A", "-l", selector])["items"].as_array().unwrap() {
            left.push(format!("{} {}/{}", item["kind"], item["metadata"]["namespace"], item["metadata"]["name"]));
        }
        for item in
            self.kubectl_json(&["get", "clusterroles,clusterrolebindings", "-l", selector])["items"].as_array().unwrap()
        {
            left.push(format!("{} {}", item["kind"], item["metadata"]["name"]));
        }
        for pv in self.kubectl_json(&["get", "persistentvolumes"])["items"].as_array().unwrap() {
            if pv["spec"]["claimRef"]["namespace"] == ns {
                left.push(format!("PersistentVolume {} ({})", pv["metadata"]["name"], pv["status"]["phase"]));
            }
        }
        if self.kubectl(&["get", "namespace", ns]).ok() {
            left.push(format!("Namespace {ns}"));
        }
        left
    }
}

impl Drop for Kubernetes {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // What the pods said, for the failure's report.
            let pods = self.kubectl(&["get", "pods", "-A", "-o", "wide"]);
            eprintln!("[k8s] pods at failure:\n{}", pods.stdout);
            let logs = self.kubectl(&["-n", NS, "logs", "-l", "app.kubernetes.io/name=traefikee", "--tail=30"]);
            eprintln!("[k8s] traefikee logs:\n{}{}", logs.stdout, logs.stderr);
        }
        let run = self.script_run(&["down"]);
        if !run.ok() {
            eprintln!("scripts/k8s.sh down failed:\n{}\n{}", run.stdout, run.stderr);
        }
    }
}

/// traefikeectl on an operator's machine whose kubeconfig is `kubeconfig`.
fn ctl(laptop: &Laptop, kubeconfig: &Path, args: &[&str]) -> Run {
    let out = Command::new(CTL)
        .args(args)
        .env_clear()
        .env("HOME", laptop.path())
        .env("XDG_CONFIG_HOME", laptop.path().join(".config"))
        .env("KUBECONFIG", kubeconfig)
        .env("USER", "alice")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("run traefikeectl");
    Run::from(out)
}

fn nodes(laptop: &Laptop, kubeconfig: &Path) -> Option<Vec<Value>> {
    let run = ctl(laptop, kubeconfig, &["list-nodes", "-o", "json"]);
    if !run.ok() {
        return None;
    }
    let v: Value = serde_json::from_str(&run.stdout).ok()?;
    v["nodes"].as_array().cloned()
}

fn names_of(nodes: &[Value], role: &str) -> Vec<String> {
    let mut names: Vec<String> =
        nodes.iter().filter(|n| n["role"] == role).map(|n| n["name"].as_str().unwrap_or("").to_string()).collect();
    names.sort();
    names
}

fn all_ready(nodes: &[Value]) -> bool {
    nodes.iter().all(|n| n["status"] == "READY")
}

fn pod_names(k: &Kubernetes, component: &str) -> Vec<String> {
    let pods = k.kubectl_json(&["-n", NS, "get", "pods", "-l", &format!("app.kubernetes.io/component={component}")]);
    let mut names: Vec<String> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn whoami_answered(a: &Answer) -> Result<(), String> {
    if a.body.starts_with("Hostname: whoami-") {
        Ok(())
    } else {
        Err(format!("not whoami's answer: {:?}", a.body))
    }
}

/// Deploys, and waits for every proxy to run, a router `rule` to the whoami Service (by its
/// cluster DNS name, which the proxies resolve) on the entry point `web` (:80).
fn deploy_whoami(laptop: &Laptop, kubeconfig: &Path, rule: &str) {
    let routes = laptop.path().join("routes.yaml");
    let yaml = format!(
        "http:\n  routers:\n    whoami:\n      rule: {rule}\n      service: whoami\n  services:\n    whoami:\n      \
         loadBalancer:\n        servers:\n          - url: http://whoami.default.svc.cluster.local:8080\n"
    );
    std::fs::write(&routes, yaml).unwrap();
    let configfile = format!("--configfile={}", routes.display());
    ctl(laptop, kubeconfig, &["deploy", "--entryPoints=Name:web Address::80", &configfile, "--wait"]).success();
}

const WHOAMI: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: { name: whoami, namespace: default }
spec:
  replicas: 2
  selector: { matchLabels: { app: whoami } }
  template:
    metadata: { labels: { app: whoami } }
    spec:
      containers:
        - name: whoami
          image: local/whoami:test
          imagePullPolicy: IfNotPresent
          ports: [{ containerPort: 8080 }]
          readinessProbe: { httpGet: { path: /, port: 8080 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: whoami, namespace: default }
spec:
  selector: { app: whoami }
  ports: [{ port: 8080, targetPort: 8080 }]
"#;

#[test]
fn install_on_a_real_kubernetes_survives_the_ha_walkthrough_and_uninstalls_cleanly() {
    let k = Kubernetes::up();
    let traefikee = workspace_bin("traefikee-node", "traefikee");
    k.script_run(&["traefikee-image", &traefikee.display().to_string(), IMAGE]).success();
    k.script_run(&["whoami-image", WHOAMI_IMAGE]).success();
    let admin = k.admin_kubeconfig();
    let laptop = Laptop::new();

    // ---- Kubernetes-facing bad input: a clear error, a non-zero exit, nothing left -------------
    let none = ctl(&laptop, Path::new("/nonexistent/kubeconfig"), &["install", "--kubernetes", "--image", IMAGE]);
    assert_ne!(none.code(), Some(0));
    assert!(none.stderr.contains("no kubeconfig found"), "{}", none.stderr);

    let unreachable = laptop.path().join("unreachable.kubeconfig");
    let admin_text = std::fs::read_to_string(&admin).unwrap();
    let server = admin_text
        .lines()
        .find_map(|l| l.trim().strip_prefix("server:"))
        .map(|s| s.trim().trim_matches('"').to_string())
        .expect("the admin kubeconfig names its server");
    std::fs::write(&unreachable, admin_text.replace(&server, "https://127.0.0.1:1")).unwrap();
    let run = ctl(&laptop, &unreachable, &["install", "--kubernetes", "--image", IMAGE]);
    assert_ne!(run.code(), Some(0));
    assert!(run.stderr.contains("cannot reach the Kubernetes API server at https://127.0.0.1:1"), "{}", run.stderr);

    // A user without RBAC rights: the real server's refusal, named.
    let run = ctl(&laptop, &k.limited_kubeconfig(), &["install", "--kubernetes", "--image", IMAGE]);
    assert_ne!(run.code(), Some(0));
    assert!(run.stderr.contains("forbidden"), "{}", run.stderr);
    assert!(run.stderr.contains("namespaces"), "{}", run.stderr);
    assert_eq!(k.leftovers(NS), Vec::<String>::new());

    // A real server-side apply refusal halfway (a quota of zero StatefulSets in a namespace
    // someone else made): everything created before it is removed, the namespace is kept.
    k.kubectl(&["create", "namespace", "quota"]).success();
    k.kubectl(&["-n", "quota", "create", "quota", "no-statefulsets", "--hard=count/statefulsets.apps=0"]).success();
    let run = ctl(&laptop, &admin, &["install", "--kubernetes", "--namespace=quota", "--image", IMAGE]);
    assert_ne!(run.code(), Some(0));
    assert!(run.stderr.contains("applying StatefulSet traefikee-controller failed"), "{}", run.stderr);
    assert!(run.stderr.contains("exceeded quota"), "{}", run.stderr);
    assert!(run.stderr.contains("everything created before it was removed again"), "{}", run.stderr);
    assert_eq!(k.leftovers("quota"), vec!["Namespace quota".to_string()]);
    k.kubectl(&["delete", "namespace", "quota", "--wait=false"]).success();

    // An image that cannot start: install names the pod and its reason, and rolls back.
    let started = Instant::now();
    let run = ctl(
        &laptop,
        &admin,
        &["install", "--kubernetes", "--image=local/no-such-image:1", "--controlnodes=1", "--datanodes=1"],
    );
    assert_ne!(run.code(), Some(0));
    assert!(run.stderr.contains("a pod cannot start"), "{}", run.stderr);
    assert!(
        run.stderr.contains("traefikee-controller-0: ErrImagePull")
            || run.stderr.contains("traefikee-controller-0: ImagePullBackOff"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("everything applied was removed again"), "{}", run.stderr);
    eprintln!("[k8s] an image that cannot start: refused and rolled back in {:.1}s", started.elapsed().as_secs_f64());
    wait_for_or(
        Duration::from_secs(120),
        || k.leftovers(NS).is_empty().then_some(()),
        || format!("left after the rollback: {:?}", k.leftovers(NS)),
    );

    // ---- install: 3 controllers and 2 proxies form and connect ---------------------------------
    let started = Instant::now();
    let run = ctl(&laptop, &admin, &["install", "--kubernetes", "--image", IMAGE, "--wait-timeout=400"]);
    let install_time = started.elapsed();
    let run = run.success();
    assert!(run.stderr.contains("installed in namespace traefikee: 3 control nodes, 2 data nodes"), "{}", run.stderr);
    eprintln!("[k8s] install --kubernetes to connected (3+2): {:.1}s", install_time.as_secs_f64());

    let controllers = pod_names(&k, "controller");
    let proxies = pod_names(&k, "proxy");
    assert_eq!(controllers.len(), 3);
    assert_eq!(proxies.len(), 2);
    let listed = wait_for(Duration::from_secs(60), "every node READY in list-nodes", || {
        let n = nodes(&laptop, &admin)?;
        (names_of(&n, "CONTROL_NODE") == controllers && names_of(&n, "DATA_NODE") == proxies && all_ready(&n))
            .then_some(n)
    });
    assert_eq!(listed.iter().filter(|n| n["leader"] == true).count(), 1);

    // ---- deploy: a whoami backend, routed by every proxy ---------------------------------------
    k.apply(WHOAMI);
    wait_for(Duration::from_secs(120), "whoami available", || {
        let d = k.kubectl_json(&["-n", "default", "get", "deployment", "whoami"]);
        (d["status"]["availableReplicas"] == 2).then_some(())
    });
    deploy_whoami(&laptop, &admin, &format!("Host(`{HOST}`)"));

    // The proxies' Service, as a cloud load balancer reaches it: through kube-proxy.
    let svc = k.kubectl_json(&["-n", NS, "get", "service", "traefikee-proxy"]);
    let cluster_ip = svc["spec"]["clusterIP"].as_str().unwrap().to_string();
    let target: SocketAddr = format!("{cluster_ip}:80").parse().unwrap();
    let probe = Load::paced_in(&k.netns_path(), target, HOST, 20, whoami_answered);
    probe.wait_for_more(10, Duration::from_secs(60));
    probe.stop();

    // ---- the HA walkthrough under a constant 50 req/s ------------------------------------------
    let load = Load::paced_in(&k.netns_path(), target, HOST, 50, whoami_answered);
    load.wait_for_more(100, Duration::from_secs(30));

    // A proxy pod is deleted: it leaves the Service, finishes what it has, and is replaced.
    // It says it leaves (`--leave-on-stop`): forgotten well before the 60 s grace period.
    let gone = proxies[0].clone();
    let started = Instant::now();
    k.kubectl(&["-n", NS, "delete", "pod", &gone, "--wait=false"]).success();
    let replaced = wait_for(Duration::from_secs(45), "a replacement proxy READY, the deleted one forgotten", || {
        let now = pod_names(&k, "proxy");
        if now.len() != 2 || now.contains(&gone) {
            return None;
        }
        let n = nodes(&laptop, &admin)?;
        (names_of(&n, "DATA_NODE") == now && all_ready(&n)).then_some(now)
    });
    eprintln!(
        "[k8s] proxy {gone} deleted: replaced by {replaced:?}, listed and the old one forgotten after {:.1}s",
        started.elapsed().as_secs_f64()
    );
    load.wait_for_more(100, Duration::from_secs(30));
    let report = load.stop();
    // Each request is a new connection, which kube-proxy sends to either proxy: the deleted
    // one served its share until it went.
    let served_by = |proxy: &str| -> u64 {
        let line = format!("X-Forwarded-Server: {proxy}\n");
        report.bodies.iter().filter(|(body, _)| body.contains(&line)).map(|(_, n)| n).sum()
    };
    eprintln!(
        "[k8s] proxy deletion step: {} answered ({} by the deleted proxy), {} failed, p99 {:?}, max {:?}",
        report.ok,
        served_by(&gone),
        report.failed.len(),
        report.latency(0.99),
        report.latency(1.0)
    );
    for failure in report.failed.iter().chain(&report.inconsistent).take(10) {
        eprintln!("[k8s] proxy deletion step: failed: {failure}");
    }
    report.assert_no_failures();
    report.assert_consistent();
    assert!(served_by(&gone) > 0, "the deleted proxy served nothing: the step proved nothing");
    let load = Load::paced_in(&k.netns_path(), target, HOST, 50, whoami_answered);
    load.wait_for_more(100, Duration::from_secs(30));

    // The leader controller's pod is deleted: another controller leads, the pod comes back
    // with its volume, and every node is READY again.
    let listed = nodes(&laptop, &admin).expect("list-nodes");
    let leader = listed.iter().find(|n| n["leader"] == true).expect("a leader")["name"].as_str().unwrap().to_string();
    let uid_of = |pod: &str| -> Option<(String, bool)> {
        let run = k.kubectl(&["-n", NS, "get", "pod", pod, "-o", "json"]);
        let p: Value = serde_json::from_str(&run.stdout).ok()?;
        let ready = p["status"]["conditions"].as_array()?.iter().any(|c| c["type"] == "Ready" && c["status"] == "True");
        Some((p["metadata"]["uid"].as_str()?.to_string(), ready && p["metadata"]["deletionTimestamp"].is_null()))
    };
    let (old_uid, _) = uid_of(&leader).expect("the leader's pod");
    let started = Instant::now();
    k.kubectl(&["-n", NS, "delete", "pod", &leader, "--wait=false"]).success();
    let new_leader = wait_for(Duration::from_secs(120), "another controller to lead", || {
        let n = nodes(&laptop, &admin)?;
        let l = n.iter().find(|n| n["leader"] == true)?["name"].as_str()?.to_string();
        (l != leader).then_some(l)
    });
    let failover = started.elapsed();
    // The StatefulSet makes the pod again, with its volume: a new pod of the same name.
    wait_for(Duration::from_secs(240), "the leader's pod back, ready", || {
        uid_of(&leader).filter(|(uid, ready)| *uid != old_uid && *ready).map(|_| ())
    });
    let back = started.elapsed();
    wait_for(Duration::from_secs(120), "every node READY after the leader's pod came back", || {
        let n = nodes(&laptop, &admin)?;
        (names_of(&n, "CONTROL_NODE") == controllers && n.len() == 5 && all_ready(&n)).then_some(())
    });
    eprintln!(
        "[k8s] leader {leader} deleted: {new_leader} leads after {:.1}s; the pod is back and ready after {:.1}s, \
         every node READY after {:.1}s",
        failover.as_secs_f64(),
        back.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    load.wait_for_more(100, Duration::from_secs(30));
    let report = load.stop();
    eprintln!(
        "[k8s] leader deletion step at 50 req/s: {} answered, {} failed, p50 {:?}, p99 {:?}, max {:?}",
        report.ok,
        report.failed.len(),
        report.latency(0.5),
        report.latency(0.99),
        report.latency(1.0)
    );
    for failure in report.failed.iter().chain(&report.inconsistent).take(10) {
        eprintln!("[k8s] leader deletion step: failed: {failure}");
    }
    report.assert_no_failures();
    report.assert_consistent();

    // A configuration change still reaches the proxies through the new leader.
    deploy_whoami(&laptop, &admin, &format!("Host(`{HOST}`) || Host(`again.example.test`)"));
    let again = Load::paced_in(&k.netns_path(), target, "again.example.test", 20, whoami_answered);
    again.wait_for_more(10, Duration::from_secs(30));
    again.stop().assert_no_failures();

    // ---- backup ---------------------------------------------------------------------------------
    let archive = laptop.path().join("backup.tar");
    ctl(&laptop, &admin, &["backup", &format!("--file={}", archive.display())]).success();
    assert!(std::fs::metadata(&archive).unwrap().len() > 0);

    // ---- uninstall: nothing left --------------------------------------------------------------
    let started = Instant::now();
    let run = ctl(&laptop, &admin, &["uninstall", "--kubernetes"]).success();
    assert!(run.stdout.contains("removed from namespace traefikee"), "{}", run.stdout);
    wait_for_or(
        Duration::from_secs(180),
        || k.leftovers(NS).is_empty().then_some(()),
        || format!("left after uninstall: {:?}", k.leftovers(NS)),
    );
    eprintln!("[k8s] uninstall to nothing left: {:.1}s", started.elapsed().as_secs_f64());
    let gone = ctl(&laptop, &admin, &["list-nodes"]);
    assert_ne!(gone.code(), Some(0), "the profile went with the cluster");
}
