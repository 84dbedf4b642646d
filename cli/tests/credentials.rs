//! Operators beyond the first: one-time credentials, revocation on every controller, and the
//! audit trail that records it all.

mod common;

use std::time::Duration;

use common::*;
use traefikee_testkit::wait_for;

/// A synchronous API client presenting the certificate of a saved profile.
struct ProfileClient {
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl ProfileClient {
    fn new(profile: &std::path::Path) -> ProfileClient {
        use traefikee_pki::tls::{client_config, ServerTrust};
        let read = |f: &str| std::fs::read_to_string(profile.join(f)).unwrap();
        let tls = client_config(
            ServerTrust::Cluster { ca_pem: read("ca.pem"), cluster_id: None },
            Some((&read("cert.pem"), &read("key.pem"))),
        )
        .unwrap();
        let http = reqwest::Client::builder().use_preconfigured_tls((*tls).clone()).build().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        ProfileClient { http, rt }
    }

    /// GET an API path on `addr`: (status, body).
    fn get(&self, addr: &str, path: &str) -> (u16, serde_json::Value) {
        self.rt.block_on(async {
            let resp = self.http.get(format!("https://{addr}{path}")).send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap_or(serde_json::Value::Null))
        })
    }
}

#[test]
fn another_operator_gets_credentials_and_loses_them_on_revocation() {
    let mut c = cluster();
    let ids = c.start_control_plane(&["k1", "k2", "k3"]);
    let admin = Laptop::new();
    connect(&c, &admin, ids[0]).success();

    // Revoking the only operator credential would lock everyone out.
    let run = admin.ctl(&["credentials", "revoke", "alice"]);
    assert_eq!(run.code(), Some(1), "{run:?}");
    assert!(run.stderr.contains("would leave no active operator credential"), "{}", run.stderr);

    let handoff = admin.path().join("bob-creds");
    let run = admin.ctl(&["credentials", "create", "bob", &format!("--output-dir={}", handoff.display())]).success();
    assert!(run.stdout.contains("One-time credentials for bob"), "{}", run.stdout);

    let bob = Laptop::new();
    let creds = bob.copy_credentials(&handoff, "from-admin");
    let run = bob.ctl(&[
        "connect",
        &format!("--onpremise.mtlscertsdir={}", creds.display()),
        &format!("--onpremise.apiaddress={}", c.node(ids[1]).api_addr()),
        "--name=mallory",
    ]);
    let run = run.success();
    assert!(run.stdout.contains("Successfully gained access"), "{}", run.stdout);
    bob.ctl(&["list-nodes"]).success();

    let list = admin.ctl(&["credentials", "list"]).success();
    insta::with_settings!({filters => filters()}, { insta::assert_snapshot!("credentials_list", list.stdout) });

    let run = admin.ctl(&["credentials", "revoke", "bob"]).success();
    assert!(run.stdout.contains("Revoked bob operator"), "{}", run.stdout);

    // Every controller refuses bob from now on.
    let bob_client = ProfileClient::new(&bob.profile_dir("traefikee"));
    for &i in &ids {
        let addr = c.node(i).api_addr();
        let (status, body) = wait_for(Duration::from_secs(5), "the revocation to reach every controller", || {
            let (s, b) = bob_client.get(&addr, "/api/v1/nodes");
            (s == 401).then_some((s, b))
        });
        assert_eq!(status, 401);
        assert!(body["error"]["message"].as_str().unwrap().contains("revoked"), "{body}");
    }
    let run = bob.ctl(&["list-nodes"]);
    assert_eq!(run.code(), Some(4), "{run:?}");
    assert!(run.stderr.contains("has been revoked") && run.stderr.contains("hint: "), "{}", run.stderr);
    admin.ctl(&["list-nodes"]).success();

    let audit = admin.ctl(&["audit"]).success();
    for action in ["cluster.init", "node.join", "credentials.exchange", "credentials.create", "credentials.revoke"] {
        assert!(audit.stdout.contains(action), "{action} missing from\n{}", audit.stdout);
    }
    assert!(audit.stdout.contains("operator alice"), "{}", audit.stdout);
    let json = admin.ctl(&["audit", "-o", "json", "--limit=2"]).success();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);
}
