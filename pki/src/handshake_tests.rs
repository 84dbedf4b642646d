//! Real TLS handshakes in memory between the configurations of this crate.

use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, ServerConnection};

use crate::tls::{client_config, peer_info, server_config, ClientAuth, ServerTrust};
use crate::{new_key_and_csr, CaBundle, Identity, Role, Validity};

struct Node {
    cert: String,
    key: String,
}

fn node(ca: &CaBundle, cluster: &str, role: Role, id: &str) -> Node {
    let req = new_key_and_csr(id).unwrap();
    let cert = ca
        .issue_for_csr(&req.csr_pem, &Identity::new(cluster, role, id), &["127.0.0.1".parse().unwrap()], Validity::NODE)
        .unwrap();
    Node { cert: cert.cert_pem, key: req.key_pem }
}

/// Runs a handshake to completion; returns the server connection or the first error.
fn handshake(client: Arc<rustls::ClientConfig>, server: Arc<rustls::ServerConfig>) -> Result<ServerConnection, String> {
    let mut c = ClientConnection::new(client, ServerName::try_from("10.9.8.7").unwrap()).unwrap();
    let mut s = ServerConnection::new(server).unwrap();
    for _ in 0..20 {
        let mut buf = Vec::new();
        while c.wants_write() {
            c.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            s.read_tls(&mut rd).unwrap();
        }
        s.process_new_packets().map_err(|e| format!("server: {e}"))?;
        let mut buf = Vec::new();
        while s.wants_write() {
            s.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            c.read_tls(&mut rd).unwrap();
        }
        c.process_new_packets().map_err(|e| format!("client: {e}"))?;
        if !c.is_handshaking() && !s.is_handshaking() {
            return Ok(s);
        }
    }
    Err("handshake did not finish".into())
}

#[test]
fn joining_node_trusts_a_controller_by_pin() {
    let ca = CaBundle::generate("t", "c1").unwrap();
    let ctl = node(&ca, "c1", Role::Controller, "n1");
    let server = server_config(&ca.cert_pem, &ctl.cert, &ctl.key, ClientAuth::Optional).unwrap();
    let client = client_config(ServerTrust::Pin(ca.pin().unwrap()), None).unwrap();
    let s = handshake(client, server).unwrap();
    assert!(peer_info(s.peer_certificates()).is_none(), "anonymous caller has no identity");
}

#[test]
fn a_wrong_pin_fails_before_anything_is_sent() {
    let ca = CaBundle::generate("t", "c1").unwrap();
    let other = CaBundle::generate("t", "c2").unwrap();
    let ctl = node(&ca, "c1", Role::Controller, "n1");
    let server = server_config(&ca.cert_pem, &ctl.cert, &ctl.key, ClientAuth::Optional).unwrap();
    let client = client_config(ServerTrust::Pin(other.pin().unwrap()), None).unwrap();
    let err = handshake(client, server).unwrap_err();
    assert!(err.contains("does not match the pin"), "{err}");
}

#[test]
fn clients_refuse_a_server_of_another_cluster_or_role() {
    let ca = CaBundle::generate("t", "c1").unwrap();
    let other = CaBundle::generate("t", "c2").unwrap();
    let ctl = node(&ca, "c1", Role::Controller, "n1");
    let server = server_config(&ca.cert_pem, &ctl.cert, &ctl.key, ClientAuth::Optional).unwrap();

    let foreign =
        client_config(ServerTrust::Cluster { ca_pem: other.cert_pem.clone(), cluster_id: None }, None).unwrap();
    assert!(handshake(foreign, server.clone()).is_err());

    let wrong_id =
        client_config(ServerTrust::Cluster { ca_pem: ca.cert_pem.clone(), cluster_id: Some("c9".into()) }, None)
            .unwrap();
    let err = handshake(wrong_id, server.clone()).unwrap_err();
    assert!(err.contains("not c9"), "{err}");

    let proxy = node(&ca, "c1", Role::Proxy, "p1");
    let proxy_server = server_config(&ca.cert_pem, &proxy.cert, &proxy.key, ClientAuth::Optional).unwrap();
    let ok_client =
        client_config(ServerTrust::Cluster { ca_pem: ca.cert_pem.clone(), cluster_id: Some("c1".into()) }, None)
            .unwrap();
    let err = handshake(ok_client.clone(), proxy_server).unwrap_err();
    assert!(err.contains("not a controller"), "{err}");

    handshake(ok_client, server).unwrap();
}

#[test]
fn required_client_auth_admits_only_the_cluster_ca() {
    let ca = CaBundle::generate("t", "c1").unwrap();
    let other = CaBundle::generate("t", "c2").unwrap();
    let ctl = node(&ca, "c1", Role::Controller, "n1");
    let server = server_config(&ca.cert_pem, &ctl.cert, &ctl.key, ClientAuth::Required).unwrap();
    let trust = ServerTrust::Cluster { ca_pem: ca.cert_pem.clone(), cluster_id: None };

    assert!(handshake(client_config(trust.clone(), None).unwrap(), server.clone()).is_err());

    let stranger = node(&other, "c2", Role::Operator, "eve");
    let c = client_config(trust.clone(), Some((&stranger.cert, &stranger.key))).unwrap();
    assert!(handshake(c, server.clone()).is_err());

    let op = node(&ca, "c1", Role::Operator, "alice");
    let c = client_config(trust, Some((&op.cert, &op.key))).unwrap();
    let s = handshake(c, server).unwrap();
    let info = peer_info(s.peer_certificates()).unwrap().unwrap();
    assert_eq!(info.identity, Identity::new("c1", Role::Operator, "alice"));
}
