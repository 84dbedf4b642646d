//! Shared by the node's multi-process tests and benches: clients of a cluster's ports, an
//! operator credential made as an operator gets one, and a cluster with a data node.
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};
use traefikee_apiserver::types::CreateCredentialRequest;
use traefikee_client::Client;
use traefikee_pki::tls::{client_config, ServerTrust};
use traefikee_testkit::Cluster;

/// An HTTPS client trusting the cluster CA, presenting `cert` when given, from `source`.
pub fn client(ca_pem: &str, cert: Option<(&str, &str)>, source: Option<&str>) -> reqwest::Client {
    let tls = client_config(ServerTrust::Cluster { ca_pem: ca_pem.into(), cluster_id: None }, cert).unwrap();
    let mut b = reqwest::Client::builder().use_preconfigured_tls((*tls).clone()).timeout(Duration::from_secs(10));
    if let Some(ip) = source {
        b = b.local_address(ip.parse::<std::net::IpAddr>().unwrap());
    }
    b.build().unwrap()
}

/// A node's `node.json`: its id, certificate and key.
pub fn identity(statedir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(statedir.join("node.json")).unwrap()).unwrap()
}

/// An HTTPS client presenting a node's own certificate (from its `node.json`).
pub fn node_client(identity: &Value) -> reqwest::Client {
    let field = |k: &str| identity[k].as_str().unwrap_or_else(|| panic!("no {k} in node.json"));
    client(field("ca_pem"), Some((field("cert_pem"), field("key_pem"))), None)
}

/// The API client of a node's local socket.
pub fn local(c: &Cluster, i: usize) -> Client {
    Client::local(&c.node(i).socket())
}

/// An API answer as JSON, for assertions on its fields.
pub fn json<T: Serialize>(v: T) -> Value {
    serde_json::to_value(v).unwrap()
}

/// The configuration version node `i` has applied, read through its socket.
pub fn deployed_version(c: &Cluster, i: usize) -> Option<u64> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
    rt.block_on(local(c, i).config()).ok().map(|config| config.version)
}

pub fn raft_term(c: &Cluster, i: usize) -> u64 {
    let run = c.node(i).local(&["status", "-o", "json"]).success();
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    v["raft"]["term"].as_u64().unwrap_or_else(|| panic!("no term in {v}"))
}

/// An operator credential made the way an operator gets one: a one-time credential created
/// through a control node's socket, exchanged on the API port for a personal certificate.
pub struct Operator {
    pub ca: String,
    pub cert: String,
    pub key: String,
    pub enrollment: (String, String),
}

impl Operator {
    pub fn http(&self) -> reqwest::Client {
        client(&self.ca, Some((&self.cert, &self.key)), None)
    }
}

pub async fn operator(c: &Cluster, via: usize, name: &str) -> Operator {
    let created = local(c, via).create_credential(&CreateCredentialRequest { name: name.to_string() }).await.unwrap();
    let (ca, ecert, ekey) = (created.ca_pem, created.cert_pem, created.key_pem);
    let key = traefikee_pki::new_key_and_csr(name).unwrap();
    let enrollment = client(&ca, Some((&ecert, &ekey)), None);
    let resp = enrollment
        .post(format!("https://{}/api/v1/credentials/exchange", c.node(via).api_addr()))
        .json(&json!({ "name": null, "csr_pem": key.csr_pem }))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "exchange: {}", resp.text().await.unwrap());
    let answer: Value = resp.json().await.unwrap();
    Operator { ca, cert: answer["cert_pem"].as_str().unwrap().into(), key: key.key_pem, enrollment: (ecert, ekey) }
}

/// Starts a control node named `controller` and a data node named `proxy` joined to it, and
/// waits until both are listed READY; their machine numbers.
pub fn controller_and_data_node(c: &mut Cluster, controller: &str, proxy: &str) -> (usize, usize) {
    let ids = c.start_control_plane(&[controller]);
    let p = c.add(proxy);
    let (_, data) = c.node(ids[0]).tokens();
    let args = c.data_node_args(p, &[ids[0]], &data);
    c.node_mut(p).start(args);
    c.wait_members(ids[0], 2, Duration::from_secs(30));
    (ids[0], p)
}

/// Starts control nodes named `controllers` and data nodes named `proxies` joined to the
/// first, and waits until all are listed; their machine numbers.
pub fn cluster_of(c: &mut Cluster, controllers: &[&str], proxies: &[&str]) -> (Vec<usize>, Vec<usize>) {
    let ctl = c.start_control_plane(controllers);
    let (_, data_token) = c.node(ctl[0]).tokens();
    let dns: Vec<usize> = proxies.iter().map(|n| c.add(n)).collect();
    for &d in &dns {
        let args = c.data_node_args(d, &[ctl[0]], &data_token);
        c.node_mut(d).start(args);
    }
    c.wait_members(ctl[0], ctl.len() + dns.len(), Duration::from_secs(30));
    (ctl, dns)
}

/// A TCP port free on `ip` right now.
pub fn free_port(ip: &str) -> u16 {
    let listener = std::net::TcpListener::bind(format!("{ip}:0")).unwrap();
    listener.local_addr().unwrap().port()
}
