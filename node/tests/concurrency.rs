//! Concurrent writes through different controllers: each deploy is told the version its own
//! entry committed (returned by the write, not read back afterwards, when another deploy may
//! already have come).

use std::collections::BTreeSet;

use traefikee_testkit::Cluster;

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");

#[test]
fn concurrent_deploys_are_each_told_their_own_version() {
    let mut c = Cluster::new(BIN);
    let ids = c.start_control_plane(&["k1", "k2", "k3"]);
    let dir = tempfile::tempdir().unwrap();
    const EACH: usize = 15;
    let versions: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(t, &node)| {
                let c = &c;
                let dir = dir.path();
                s.spawn(move || {
                    let mut seen = Vec::new();
                    for i in 0..EACH {
                        let path = dir.join(format!("c{t}-{i}.yaml"));
                        std::fs::write(
                            &path,
                            format!(
                                "http:\n  routers:\n    r{t}x{i}:\n      rule: Host(`a`)\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:1\n"
                            ),
                        )
                        .unwrap();
                        let run = c.node(node).local(&["deploy", &format!("--configfile={}", path.display())]).success();
                        let version = run
                            .stdout
                            .split_whitespace()
                            .skip_while(|w| *w != "version")
                            .nth(1)
                            .and_then(|v| v.parse::<u64>().ok())
                            .unwrap_or_else(|| panic!("no version in {:?}", run.stdout));
                        seen.push(version);
                    }
                    seen
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let distinct: BTreeSet<u64> = versions.iter().copied().collect();
    assert_eq!(distinct.len(), versions.len(), "two deploys were told the same version: {versions:?}");
    assert_eq!(distinct, (1..=(3 * EACH) as u64).collect(), "{versions:?}");
}
