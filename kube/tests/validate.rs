//! Every rendered manifest, validated against the Kubernetes schemas by a real validator:
//! `kubernetes-validate` from PyPI (`pip install kubernetes-validate==1.37.0`, which CI does).
//! The manifests are rendered for, and validated against, Kubernetes 1.36 (the version the
//! k8s-openapi feature of this crate targets) and 1.25 (the oldest release the validator has
//! schemas for). Older releases (1.20, without `policy/v1`) meet a real API server in
//! `tests/real_cluster.rs` of the CLI. Without the validator this test fails: it must not
//! pass by skipping.

use std::path::Path;
use std::process::Command;

use traefikee_kube::{render_yaml, Credentials, InstallOptions, KubeVersion, Seed, Target};

/// The releases validated, as the validator names them.
const KUBERNETES_VERSIONS: [(KubeVersion, &str); 2] =
    [(KubeVersion::NEWEST, "1.36.0"), (KubeVersion::new(1, 25), "1.25.0")];

fn seed() -> Seed {
    Seed {
        archive: b"not really a tar, but bytes all the same".to_vec(),
        control_token: "ctl-token".into(),
        data_token: "data-token".into(),
        enrollment: Credentials {
            ca_pem: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n".into(),
            cert_pem: "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n".into(),
            key_pem: "-----BEGIN PRIVATE KEY-----\nKEY\n-----END PRIVATE KEY-----\n".into(),
        },
    }
}

fn option_sets() -> Vec<(&'static str, InstallOptions)> {
    vec![
        ("defaults", InstallOptions { seed: seed(), ..Default::default() }),
        (
            "single-controller-no-proxy-dashboard",
            InstallOptions { control_nodes: 1, data_nodes: 0, dashboard: true, seed: seed(), ..Default::default() },
        ),
        (
            "even-controllers-one-proxy",
            InstallOptions {
                namespace: "edge".into(),
                cluster_name: "prod.eu-1".into(),
                control_nodes: 4,
                data_nodes: 1,
                image: "registry.example.com/traefikee:dev".into(),
                storage_class: Some("fast-ssd".into()),
                storage_size: "5Gi".into(),
                seed: seed(),
                ..Default::default()
            },
        ),
        (
            "large",
            InstallOptions { control_nodes: 7, data_nodes: 20, dashboard: true, seed: seed(), ..Default::default() },
        ),
    ]
}

fn validator() -> &'static str {
    "kubernetes-validate"
}

fn validate(file: &Path, version: &str) -> std::process::Output {
    match Command::new(validator()).args(["--strict", "--kubernetes-version", version]).arg(file).output() {
        Ok(out) => out,
        Err(e) => panic!(
            "cannot run `{}` ({e}): install it with `pip install kubernetes-validate==1.37.0` \
             (CI installs it); this test does not skip without it",
            validator()
        ),
    }
}

#[test]
fn every_manifest_passes_kubernetes_validate_strict() {
    let dir = tempfile::tempdir().unwrap();
    for ((name, opts), (release, version)) in
        option_sets().into_iter().flat_map(|o| KUBERNETES_VERSIONS.map(|v| (o.clone(), v)))
    {
        let target = Target::for_version(release);
        let file = dir.path().join(format!("{name}-{version}.yaml"));
        std::fs::write(&file, render_yaml(&opts, &target)).unwrap();
        let out = validate(&file, version);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "kubernetes-validate --strict refused the manifests of {name} for {version}:\n{stdout}\n{stderr}"
        );
        // One "PASSED" line per document: nothing was skipped as unknown.
        let documents = render_yaml(&opts, &target).matches("---\n").count();
        let passed = stdout.lines().filter(|l| l.starts_with("INFO") && l.contains("passed")).count();
        assert_eq!(passed, documents, "{name}: not every document was validated:\n{stdout}\n{stderr}");
    }
}

/// The validator is the real thing: a broken manifest fails it.
#[test]
fn the_validator_refuses_a_broken_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let opts = InstallOptions { seed: seed(), ..Default::default() };
    let yaml = render_yaml(&opts, &Target::default());
    let broken = yaml.replace("podManagementPolicy: Parallel", "podManagementPolicy: Parallel\n    replica: 3");
    assert_ne!(broken, yaml);
    let file = dir.path().join("broken.yaml");
    std::fs::write(&file, broken).unwrap();
    let out = validate(&file, KUBERNETES_VERSIONS[0].1);
    assert!(!out.status.success(), "a misspelt field passed:\n{}", String::from_utf8_lossy(&out.stdout));
}
