//! The API refuses every credential that is not a live operator certificate of the cluster,
//! and every malformed request, in its one error shape.

mod common;

use common::*;
use traefikee_pki::tls::{client_config, ServerTrust};
use traefikee_pki::{new_key_and_csr, CaBundle, Identity, Role, Validity};

fn http(ca_pem: &str, cert: Option<(&str, &str)>) -> reqwest::Client {
    let tls = client_config(ServerTrust::Cluster { ca_pem: ca_pem.into(), cluster_id: None }, cert).unwrap();
    reqwest::Client::builder().use_preconfigured_tls((*tls).clone()).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_operator_certificates_of_the_cluster_get_in() {
    let mut c = cluster();
    let ids = tokio::task::block_in_place(|| c.start_control_plane(&["s1"]));
    let laptop = Laptop::new();
    tokio::task::block_in_place(|| connect(&c, &laptop, ids[0]).success());
    let read = |dir: &std::path::Path, f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
    let profile = laptop.profile_dir("traefikee");
    let ca = read(&profile, "ca.pem");
    let url = format!("https://{}/api/v1/nodes", c.node(ids[0]).api_addr());

    // The operator gets in.
    let op = http(&ca, Some((&read(&profile, "cert.pem"), &read(&profile, "key.pem"))));
    assert_eq!(op.get(&url).send().await.unwrap().status(), 200);

    // No client certificate: the handshake is refused.
    assert!(http(&ca, None).get(&url).send().await.is_err());

    // A certificate from another CA, even one claiming this cluster: refused in the handshake.
    let cluster_id: serde_json::Value = op
        .get(format!("https://{}/api/v1/cluster", c.node(ids[0]).api_addr()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let foreign = CaBundle::generate("evil", "x").unwrap();
    let key = new_key_and_csr("eve").unwrap();
    let cert = foreign
        .issue_for_csr(
            &key.csr_pem,
            &Identity::new(cluster_id["id"].as_str().unwrap(), Role::Operator, "eve"),
            &[],
            Validity::OPERATOR,
        )
        .unwrap();
    assert!(http(&ca, Some((&cert.cert_pem, &key.key_pem))).get(&url).send().await.is_err());

    // A node's own certificate is not an operator's.
    let node: serde_json::Value = serde_json::from_str(&read(&c.node(ids[0]).statedir(), "node.json")).unwrap();
    let as_node = http(&ca, Some((node["cert_pem"].as_str().unwrap(), node["key_pem"].as_str().unwrap())));
    let resp = as_node.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("controller node certificate cannot call the API"),
        "{body}"
    );

    // Malformed JSON and unknown fields: 400 in the error shape.
    let creds = format!("https://{}/api/v1/credentials", c.node(ids[0]).api_addr());
    for body in ["{", r#"{"name": "bob", "admin": true}"#, r#"{"name": 7}"#] {
        let resp = op.post(&creds).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        let err: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(err["error"]["code"], "invalid_request", "{body}: {err}");
    }
    let resp = op
        .post(&creds)
        .header("content-type", "application/json")
        .body(r#"{"name": "bob", "admin": true}"#)
        .send()
        .await
        .unwrap();
    let err: serde_json::Value = resp.json().await.unwrap();
    assert!(err["error"]["message"].as_str().unwrap().contains("unknown field `admin`"), "{err}");
    let resp = op.get(format!("https://{}/api/v1/audit?limit=x", c.node(ids[0]).api_addr())).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    let resp = op.get(format!("https://{}/api/v1/nope", c.node(ids[0]).api_addr())).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let err: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(err["error"]["code"], "not_found");

    // The operator may not exchange again; the served OpenAPI document is the committed one.
    let resp = op
        .post(format!("https://{}/api/v1/credentials/exchange", c.node(ids[0]).api_addr()))
        .json(&serde_json::json!({"csr_pem": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let doc = op
        .get(format!("https://{}/api/v1/openapi.json", c.node(ids[0]).api_addr()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        doc,
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../apiserver/openapi.json")).unwrap()
    );
}
