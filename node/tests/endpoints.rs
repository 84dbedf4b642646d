//! Every endpoint of the cluster port checks the caller's role: only the join endpoint takes
//! a caller without a certificate, and the API port refuses the TLS handshake outright.

use std::time::Duration;

use traefikee_pki::tls::{client_config, ServerTrust};
use traefikee_pki::JoinToken;
use traefikee_testkit::Cluster;

const BIN: &str = env!("CARGO_BIN_EXE_traefikee");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_callers_reach_only_the_join_endpoint() {
    let mut c = Cluster::new(BIN);
    let ids = tokio::task::block_in_place(|| c.start_control_plane(&["e1"]));
    let (control, _) = c.node(ids[0]).tokens();
    let token: JoinToken = control.parse().unwrap();
    let tls = client_config(ServerTrust::Pin(token.ca_pin), None).unwrap();
    let http = reqwest::Client::builder().use_preconfigured_tls((*tls).clone()).build().unwrap();
    let base = format!("https://{}", c.node(ids[0]).cluster_addr());

    for path in [
        "/raft/v1/vote",
        "/raft/v1/append",
        "/raft/v1/snapshot",
        "/cluster/v1/write",
        "/cluster/v1/promote",
        "/cluster/v1/heartbeat",
        "/cluster/v1/elect",
        "/cluster/v1/remove",
    ] {
        let resp = http.post(format!("{base}{path}")).json(&serde_json::json!({})).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated", "{path}: {body}");
    }

    // The join endpoint answers an anonymous caller, and refuses a bad token in the error shape.
    let resp = http
        .post(format!("{base}/cluster/v1/join"))
        .json(&serde_json::json!({"token": "nope", "kind": "controller", "name": "x", "address": "127.0.0.1:1", "api_address": null, "csr_pem": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("malformed join token"), "{body}");

    // Unknown fields are refused, not ignored.
    let resp =
        http.post(format!("{base}/cluster/v1/join")).json(&serde_json::json!({"tokn": "x"})).send().await.unwrap();
    assert!(resp.status().is_client_error());

    // The API port wants a client certificate during the handshake.
    let api = format!("https://{}/api/v1/nodes", c.node(ids[0]).api_addr());
    let err = http.get(api).timeout(Duration::from_secs(5)).send().await;
    let refused = match err {
        Err(_) => true,
        Ok(resp) => !resp.status().is_success(),
    };
    assert!(refused, "the API answered a caller without a client certificate");
}
