//! The manifests' structure: what there is, in which order, with which names, replicas,
//! budgets, labels and commands.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::Value;
use traefikee_kube::render::{
    controller_min_available, controller_script, proxy_min_available, API_SERVICE, CONTROLLER, CREDENTIALS_SECRET,
    DASHBOARD_SERVICE, PROXY, SEED_SECRET, TOKENS_SECRET,
};
use traefikee_kube::{check, render, render_yaml, Credentials, InstallOptions, Seed, Target};

fn seed() -> Seed {
    Seed {
        archive: vec![0, 1, 2, 250, 255],
        control_token: "ctl-token".into(),
        data_token: "data-token".into(),
        enrollment: Credentials { ca_pem: "CA PEM".into(), cert_pem: "CERT PEM".into(), key_pem: "KEY PEM".into() },
    }
}

fn opts() -> InstallOptions {
    InstallOptions { seed: seed(), ..Default::default() }
}

fn kind_names(manifests: &[Value]) -> Vec<String> {
    manifests
        .iter()
        .map(|m| format!("{} {}", m["kind"].as_str().unwrap(), m["metadata"]["name"].as_str().unwrap()))
        .collect()
}

fn find<'a>(manifests: &'a [Value], kind: &str, name: &str) -> &'a Value {
    manifests
        .iter()
        .find(|m| m["kind"] == kind && m["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {:?}", kind_names(manifests)))
}

fn decode(v: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn defaults_render_every_object_in_apply_order() {
    let m = render(&opts(), &Target::default());
    assert_eq!(
        kind_names(&m),
        [
            "Namespace traefikee",
            "ServiceAccount traefikee-controller",
            "ServiceAccount traefikee-proxy",
            "Role traefikee-controller",
            "RoleBinding traefikee-controller",
            "Secret traefikee-tokens",
            "Secret traefikee-seed",
            "Secret traefikee-credentials",
            "Service traefikee-controller",
            "Service traefikee-api",
            "Service traefikee-proxy",
            "PodDisruptionBudget traefikee-controller",
            "PodDisruptionBudget traefikee-proxy",
            "StatefulSet traefikee-controller",
            "Deployment traefikee-proxy",
        ]
    );
    for obj in &m[1..] {
        assert_eq!(obj["metadata"]["namespace"], "traefikee", "{}", obj["metadata"]["name"]);
    }
}

#[test]
fn replicas_follow_the_options() {
    for (control, data) in [(1, 0), (3, 2), (5, 10)] {
        let m = render(&InstallOptions { control_nodes: control, data_nodes: data, ..opts() }, &Target::default());
        assert_eq!(find(&m, "StatefulSet", CONTROLLER)["spec"]["replicas"], control);
        assert_eq!(find(&m, "Deployment", PROXY)["spec"]["replicas"], data);
    }
}

#[test]
fn disruption_budgets_keep_a_raft_majority() {
    let table = [(1, None), (2, Some(2)), (3, Some(2)), (4, Some(3)), (5, Some(3)), (6, Some(4)), (7, Some(4))];
    for (n, min) in table {
        assert_eq!(controller_min_available(n), min, "{n} controllers");
        let m = render(&InstallOptions { control_nodes: n, ..opts() }, &Target::default());
        let pdb = m.iter().find(|o| o["kind"] == "PodDisruptionBudget" && o["metadata"]["name"] == CONTROLLER);
        match min {
            None => assert!(pdb.is_none(), "{n} controllers: a budget would block every drain"),
            Some(min) => {
                let pdb = pdb.unwrap();
                assert_eq!(pdb["spec"]["minAvailable"], min);
                // Losing the allowed number of controllers still leaves a majority.
                let may_lose = n - min;
                assert!(n - may_lose > n / 2, "{n}");
            }
        }
    }
    for (n, min) in [(0, None), (1, None), (2, Some(1)), (5, Some(1))] {
        assert_eq!(proxy_min_available(n), min, "{n} proxies");
        let m = render(&InstallOptions { data_nodes: n, ..opts() }, &Target::default());
        let pdb = m.iter().find(|o| o["kind"] == "PodDisruptionBudget" && o["metadata"]["name"] == PROXY);
        assert_eq!(pdb.map(|p| p["spec"]["minAvailable"].as_u64().unwrap() as u32), min);
    }
}

#[test]
fn an_even_number_of_controllers_renders_and_warns() {
    let o = InstallOptions { control_nodes: 4, ..opts() };
    let warnings = check(&o).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("even"));
    let m = render(&o, &Target::default());
    assert_eq!(find(&m, "StatefulSet", CONTROLLER)["spec"]["replicas"], 4);
    assert_eq!(find(&m, "PodDisruptionBudget", CONTROLLER)["spec"]["minAvailable"], 3);
}

#[test]
fn every_object_carries_the_labels() {
    let o = InstallOptions { cluster_name: "prod".into(), dashboard: true, ..opts() };
    for obj in render(&o, &Target::default()) {
        let labels = &obj["metadata"]["labels"];
        let what = format!("{} {}", obj["kind"], obj["metadata"]["name"]);
        assert_eq!(labels["app.kubernetes.io/name"], "traefikee", "{what}");
        assert_eq!(labels["app.kubernetes.io/instance"], "prod", "{what}");
        assert_eq!(labels["app.kubernetes.io/managed-by"], "traefikeectl", "{what}");
        if obj["kind"] == "Namespace" {
            assert!(labels.get("app.kubernetes.io/component").is_none(), "the namespace belongs to both");
        } else {
            let component = labels["app.kubernetes.io/component"].as_str().unwrap();
            assert!(["controller", "proxy"].contains(&component), "{what}: {component}");
        }
        // Pod templates and claim templates carry them too, and match their selectors.
        if let Some(template) = obj["spec"].get("template") {
            let pod_labels = template["metadata"]["labels"].as_object().unwrap();
            assert_eq!(Some(pod_labels), labels.as_object(), "{what}");
            for (k, v) in obj["spec"]["selector"]["matchLabels"].as_object().unwrap() {
                assert_eq!(pod_labels.get(k), Some(v), "{what}: selector {k}");
            }
        }
        for claim in obj["spec"]["volumeClaimTemplates"].as_array().into_iter().flatten() {
            assert_eq!(claim["metadata"]["labels"], *labels, "{what}: claims");
        }
    }
}

#[test]
fn services_select_their_component() {
    let m = render(&InstallOptions { dashboard: true, ..opts() }, &Target::default());
    for (name, component) in
        [(CONTROLLER, "controller"), (API_SERVICE, "controller"), (DASHBOARD_SERVICE, "controller"), (PROXY, "proxy")]
    {
        assert_eq!(find(&m, "Service", name)["spec"]["selector"]["app.kubernetes.io/component"], component);
    }
    let headless = find(&m, "Service", CONTROLLER);
    assert_eq!(headless["spec"]["clusterIP"], "None");
    assert_eq!(headless["spec"]["publishNotReadyAddresses"], true);
    let lb = find(&m, "Service", PROXY);
    assert_eq!(lb["spec"]["type"], "LoadBalancer");
    let ports: BTreeSet<_> =
        lb["spec"]["ports"].as_array().unwrap().iter().map(|p| p["port"].as_u64().unwrap()).collect();
    assert_eq!(ports, BTreeSet::from([80, 443]));
    assert_eq!(find(&m, "Service", API_SERVICE)["spec"]["ports"][0]["port"], 55055);
    assert_eq!(find(&m, "StatefulSet", CONTROLLER)["spec"]["serviceName"], CONTROLLER);
    assert_eq!(find(&m, "StatefulSet", CONTROLLER)["spec"]["podManagementPolicy"], "Parallel");
}

#[test]
fn the_dashboard_is_optional() {
    let without = render(&opts(), &Target::default());
    assert!(!kind_names(&without).contains(&format!("Service {DASHBOARD_SERVICE}")));
    assert!(!controller_script(&opts()).contains("--dashboard"));
    let o = InstallOptions { dashboard: true, ..opts() };
    let with = render(&o, &Target::default());
    find(&with, "Service", DASHBOARD_SERVICE);
    let ports = &find(&with, "StatefulSet", CONTROLLER)["spec"]["template"]["spec"]["containers"][0]["ports"];
    assert!(ports.as_array().unwrap().iter().any(|p| p["containerPort"] == 8080));
    assert!(controller_script(&o).contains(" --dashboard"));
}

#[test]
fn secrets_hold_the_seed() {
    let m = render(&opts(), &Target::default());
    let tokens = &find(&m, "Secret", TOKENS_SECRET)["data"];
    assert_eq!(decode(&tokens["CONTROL_NODE_TOKEN"]), b"ctl-token");
    assert_eq!(decode(&tokens["DATA_NODE_TOKEN"]), b"data-token");
    assert_eq!(decode(&find(&m, "Secret", SEED_SECRET)["data"]["seed.tar"]), [0, 1, 2, 250, 255]);
    let creds = &find(&m, "Secret", CREDENTIALS_SECRET)["data"];
    assert_eq!(decode(&creds["ca.pem"]), b"CA PEM");
    assert_eq!(decode(&creds["cert.pem"]), b"CERT PEM");
    assert_eq!(decode(&creds["key.pem"]), b"KEY PEM");
    // Tokens reach the pods through the environment, never the command line.
    let yaml = render_yaml(&opts(), &Target::default());
    assert!(!yaml.contains("ctl-token") && !yaml.contains("data-token"));
}

#[test]
fn pods_are_locked_down() {
    let m = render(&opts(), &Target::default());
    for (kind, name) in [("StatefulSet", CONTROLLER), ("Deployment", PROXY)] {
        let pod = &find(&m, kind, name)["spec"]["template"]["spec"];
        assert_eq!(pod["automountServiceAccountToken"], false, "{name}");
        assert_eq!(pod["serviceAccountName"], name);
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{name}");
        let c = &pod["containers"][0];
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true, "{name}");
        assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false, "{name}");
        assert_eq!(c["securityContext"]["capabilities"]["drop"][0], "ALL", "{name}");
        assert!(c["resources"]["requests"]["cpu"].is_string() && c["resources"]["requests"]["memory"].is_string());
        assert!(c.get("readinessProbe").is_some() && c.get("livenessProbe").is_some(), "{name}");
    }
    let rbac = find(&m, "Role", CONTROLLER);
    assert_eq!(rbac["rules"], serde_json::json!([]), "controllers need nothing from the API server");
    assert!(!kind_names(&m).iter().any(|n| n.starts_with("Role") && n.ends_with(PROXY)), "proxies have no role");
}

#[test]
fn the_state_lives_on_a_claim() {
    let o = InstallOptions { storage_class: Some("fast".into()), storage_size: "3Gi".into(), ..opts() };
    let m = render(&o, &Target::default());
    let sts = &find(&m, "StatefulSet", CONTROLLER)["spec"];
    let claim = &sts["volumeClaimTemplates"][0];
    assert_eq!(claim["metadata"]["name"], "state");
    assert_eq!(claim["spec"]["storageClassName"], "fast");
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "3Gi");
    let mounts = &sts["template"]["spec"]["containers"][0]["volumeMounts"];
    assert!(mounts.as_array().unwrap().iter().any(|v| v["name"] == "state" && v["mountPath"] == "/var/lib/traefikee"));
    assert!(render(&opts(), &Target::default()).iter().all(|o| !o.to_string().contains("storageClassName")));
}

#[test]
fn proxies_know_every_controller() {
    let o = InstallOptions { namespace: "edge".into(), control_nodes: 3, ..opts() };
    let m = render(&o, &Target::default());
    let args = &find(&m, "Deployment", PROXY)["spec"]["template"]["spec"]["containers"][0]["args"];
    let args: Vec<&str> = args.as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(args[0], "start-data-node");
    assert!(args.contains(
        &"--peeraddresses=traefikee-controller-0.traefikee-controller.edge.svc:4242,\
          traefikee-controller-1.traefikee-controller.edge.svc:4242,\
          traefikee-controller-2.traefikee-controller.edge.svc:4242"
    ));
}

#[test]
fn the_yaml_is_the_same_objects() {
    let o = InstallOptions { dashboard: true, ..opts() };
    let yaml = render_yaml(&o, &Target::default());
    assert!(yaml.starts_with("---\n"));
    let docs: Vec<Value> =
        serde_yaml::Deserializer::from_str(&yaml).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect();
    assert_eq!(docs, render(&o, &Target::default()));
}

/// Runs the controllers' start script with /bin/sh and a stand-in `traefikee` that prints
/// its arguments, as pod `pod` would, with the seed archive mounted.
fn run_script(o: &InstallOptions, pod: &str) -> Vec<String> {
    run_script_seeded(o, pod, true)
}

fn run_script_seeded(o: &InstallOptions, pod: &str, seeded: bool) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("traefikee");
    std::fs::write(&bin, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    // Keep the script's `rm -rf` inside the temporary directory.
    let creds = dir.path().join("creds");
    std::fs::create_dir(&creds).unwrap();
    std::fs::write(creds.join("cert.pem"), "old").unwrap();
    let seed_dir = dir.path().join("seed");
    std::fs::create_dir(&seed_dir).unwrap();
    if seeded {
        std::fs::write(seed_dir.join("seed.tar"), "archive").unwrap();
    }
    let script = controller_script(o)
        .replace("/tmp/traefikee-credentials", creds.to_str().unwrap())
        .replace("/var/run/traefikee-seed", seed_dir.to_str().unwrap());
    let out = std::process::Command::new("/bin/sh")
        .args(["-c", &script])
        .env("POD_NAME", pod)
        .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    if pod.ends_with("-0") && seeded {
        assert!(!creds.exists(), "pod 0 starts without old bootstrap credentials");
    }
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.replace(seed_dir.to_str().unwrap(), "/var/run/traefikee-seed"))
        .collect()
}

#[test]
fn controller_zero_bootstraps_from_the_seed() {
    let o = InstallOptions { namespace: "edge".into(), cluster_name: "it's".into(), ..opts() };
    let args = run_script(&o, "traefikee-controller-0");
    assert_eq!(args[0], "bootstrap");
    for want in [
        "--archivepath=/var/run/traefikee-seed/seed.tar",
        "--clustername=it's",
        "--controlnodes=1",
        "--statedir=/var/lib/traefikee/state",
        "--listen=0.0.0.0:4242",
        "--advertise=traefikee-controller-0.traefikee-controller.edge.svc:4242",
        "--api.addr=0.0.0.0:55055",
        "--name=traefikee-controller-0",
        "--traefikeesocket=/var/run/traefikee/traefikee.sock",
    ] {
        assert!(args.iter().any(|a| a == want), "{want} missing from {args:?}");
    }
}

#[test]
fn other_controllers_join_through_the_others() {
    let o = InstallOptions { namespace: "edge".into(), control_nodes: 3, ..opts() };
    let args = run_script(&o, "traefikee-controller-2");
    assert_eq!(args[0], "start-control-node");
    assert!(
        args.iter().any(|a| a
            == "--peeraddresses=traefikee-controller-0.traefikee-controller.edge.svc:4242,\
                traefikee-controller-1.traefikee-controller.edge.svc:4242"),
        "{args:?}"
    );
    assert!(args.iter().any(|a| a == "--advertise=traefikee-controller-2.traefikee-controller.edge.svc:4242"));
    assert!(!args.iter().any(|a| a.starts_with("--archivepath") || a.starts_with("--token")), "{args:?}");
    // Pod 10 is not pod 1.
    let o = InstallOptions { control_nodes: 11, ..opts() };
    let args = run_script(&o, "traefikee-controller-10");
    let peers = args.iter().find(|a| a.starts_with("--peeraddresses=")).unwrap();
    assert_eq!(peers.matches(".svc:4242").count(), 10);
    assert!(peers.contains("traefikee-controller-1.") && !peers.contains("traefikee-controller-10."));
}

/// Runs the controllers' readiness probe with a stand-in `traefikee status -o json`.
fn probe_passes(status_json: &str) -> bool {
    let m = render(&opts(), &Target::default());
    let probe = &find(&m, "StatefulSet", CONTROLLER)["spec"]["template"]["spec"]["containers"][0]["readinessProbe"];
    let command: Vec<&str> = probe["exec"]["command"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(&command[..2], ["/bin/sh", "-c"]);
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("traefikee");
    std::fs::write(dir.path().join("status.json"), status_json).unwrap();
    std::fs::write(&bin, format!("#!/bin/sh\ncat {}/status.json\n", dir.path().display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::process::Command::new(command[0])
        .args(&command[1..])
        .env("PATH", format!("{}:/usr/bin:/bin", dir.path().display()))
        .status()
        .unwrap()
        .success()
}

#[test]
fn controllers_are_ready_once_they_know_a_leader() {
    // `traefikee status -o json` prints the ClusterInfo with serde_json's pretty printer.
    let with_leader = serde_json::to_string_pretty(&serde_json::json!({
        "id": "c", "name": "traefikee", "version": "0.1.0", "leader": "traefikee-controller-1",
        "ca_fingerprint": "sha256:x", "controllers": [], "answered_by": "traefikee-controller-0",
        "raft": { "term": 2, "voters": [], "learners": [] },
    }))
    .unwrap();
    let without = with_leader.replace("\"traefikee-controller-1\"", "null");
    assert!(probe_passes(&with_leader));
    assert!(!probe_passes(&without));
    assert!(!probe_passes(""), "no answer from the socket: not ready");
}

#[test]
fn the_dockerfile_builds_the_image_the_manifests_expect() {
    let dockerfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../Dockerfile")).unwrap();
    assert!(dockerfile.contains("cargo build --release --locked -p traefikee-node --bin traefikee"));
    assert!(dockerfile.contains(&format!("ARG APP_UID={}", traefikee_kube::render::RUN_AS)));
    assert!(dockerfile.contains("USER ${APP_UID}:${APP_UID}"));
    // The start script and the readiness probe need a shell and grep.
    assert!(dockerfile.contains("FROM debian:${DEBIAN_RELEASE}-slim"));
    for port in ["4242", "55055", "80", "443"] {
        assert!(
            dockerfile.lines().any(|l| l.starts_with("EXPOSE") && l.split_whitespace().any(|p| p == port)),
            "{port}"
        );
    }
    let m = render(&opts(), &Target::default());
    let pod = &find(&m, "StatefulSet", CONTROLLER)["spec"]["template"]["spec"]["securityContext"];
    assert_eq!(pod["runAsUser"], traefikee_kube::render::RUN_AS);
}

#[test]
fn controller_zero_joins_once_the_seed_is_gone() {
    let o = InstallOptions { namespace: "edge".into(), control_nodes: 3, ..opts() };
    let args = run_script_seeded(&o, "traefikee-controller-0", false);
    assert_eq!(args[0], "start-control-node", "{args:?}");
    assert!(
        args.iter().any(|a| a
            == "--peeraddresses=traefikee-controller-1.traefikee-controller.edge.svc:4242,\
                traefikee-controller-2.traefikee-controller.edge.svc:4242"),
        "{args:?}"
    );
    let m = render(&o, &Target::default());
    let volumes = &find(&m, "StatefulSet", CONTROLLER)["spec"]["template"]["spec"]["volumes"];
    let seed = volumes.as_array().unwrap().iter().find(|v| v["name"] == "seed").unwrap();
    assert_eq!(seed["secret"]["optional"], true, "pods must start once the seed Secret is deleted");
}

#[test]
fn each_kubernetes_release_gets_only_what_it_serves() {
    use traefikee_kube::KubeVersion;
    let old = render(&opts(), &Target::for_version(KubeVersion::new(1, 20)));
    let new = render(&opts(), &Target::default());
    let pdbs = |m: &[Value]| -> Vec<String> {
        m.iter().filter(|o| o["kind"] == "PodDisruptionBudget").map(|o| o["apiVersion"].to_string()).collect()
    };
    assert_eq!(pdbs(&old), ["\"policy/v1beta1\"", "\"policy/v1beta1\""]);
    assert_eq!(pdbs(&new), ["\"policy/v1\"", "\"policy/v1\""]);
    let retention = |m: &[Value]| {
        let sts = m.iter().find(|o| o["kind"] == "StatefulSet").unwrap();
        sts["spec"].get("persistentVolumeClaimRetentionPolicy").cloned()
    };
    assert_eq!(retention(&old), None);
    assert_eq!(retention(&new).unwrap()["whenDeleted"], "Delete");
    // Nothing else differs.
    let strip = |m: Vec<Value>| -> Vec<Value> {
        m.into_iter()
            .map(|mut o| {
                if o["kind"] == "PodDisruptionBudget" {
                    o["apiVersion"] = Value::Null;
                }
                if let Some(spec) = o.get_mut("spec").and_then(Value::as_object_mut) {
                    spec.remove("persistentVolumeClaimRetentionPolicy");
                }
                o
            })
            .collect()
    };
    assert_eq!(strip(old), strip(new));
}

#[test]
fn deleted_proxies_keep_serving_until_they_leave_the_service() {
    let m = render(&opts(), &Target::default());
    let proxy = m.iter().find(|o| o["kind"] == "Deployment").unwrap();
    let pod = &proxy["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let sleep = &container["lifecycle"]["preStop"]["exec"]["command"];
    assert_eq!(sleep[0], "sleep");
    let seconds: u64 = sleep[1].as_str().unwrap().parse().unwrap();
    // The pre-stop wait and the engine's drain both fit in the grace period.
    assert!(seconds + 10 < pod["terminationGracePeriodSeconds"].as_u64().unwrap());
    // Its replacement is another node: the controllers forget this one when it stops.
    assert!(container["args"].as_array().unwrap().iter().any(|a| a == "--leave-on-stop"), "{container}");
}
