//! Joining a cluster with a token: find a controller, check it holds the CA the token pins
//! (during the TLS handshake, before the token is sent), get a certificate for our own key.

use std::time::{Duration, Instant};

use traefikee_apiserver::ErrorCode;
use traefikee_pki::tls::{client_config, ServerTrust};
use traefikee_pki::{JoinToken, KeyAndCsr};

use crate::cli::Failure;
use crate::controller::decode;
use crate::state::NodeKind;
use crate::statedir::NodeIdentity;
use crate::wire::{JoinRequest, JoinResponse};

/// What the joining node says about itself.
pub struct JoinTarget {
    pub kind: NodeKind,
    pub name: String,
    pub address: String,
    pub api_address: Option<String>,
}

/// Whether a TLS failure came from the CA pin check (a different cluster), which retrying
/// cannot fix.
fn pin_mismatch(e: &reqwest::Error) -> Option<String> {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        let text = s.to_string();
        if text.contains("does not match the pin") {
            return Some(text);
        }
        source = s.source();
    }
    None
}

/// What joining gave: who we are now, and every controller of the cluster at that moment.
pub struct Joined {
    pub identity: NodeIdentity,
    pub controllers: Vec<String>,
}

/// Tries the peers in turn, with backoff, until one admits us or the deadline passes.
pub async fn join_cluster(
    peers: &[String],
    token: &JoinToken,
    target: JoinTarget,
    key: KeyAndCsr,
    deadline: Instant,
) -> Result<Joined, Failure> {
    let tls = client_config(ServerTrust::Pin(token.ca_pin), None)
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("TLS setup: {e}")))?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls((*tls).clone())
        .connect_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("HTTP client: {e}")))?;
    let request = JoinRequest {
        token: token.to_string(),
        kind: target.kind,
        name: target.name.clone(),
        address: target.address.clone(),
        api_address: target.api_address.clone(),
        csr_pem: key.csr_pem.clone(),
    };
    let mut backoff = Duration::from_millis(200);
    loop {
        let mut failures = Vec::new();
        for peer in peers {
            let url = format!("https://{peer}/cluster/v1/join");
            match client.post(&url).json(&request).send().await {
                Ok(resp) => match decode::<JoinResponse>(resp).await {
                    Ok(joined) => {
                        tracing::info!(cluster = %joined.cluster_id, via = %peer, "joined cluster {}", joined.cluster_name);
                        let controllers = joined.controllers.iter().map(|c| c.address.clone()).collect();
                        let identity = NodeIdentity {
                            node_id: joined.node_id,
                            name: target.name,
                            kind: target.kind,
                            cluster_id: joined.cluster_id,
                            cluster_name: joined.cluster_name,
                            ca_pem: joined.ca_pem,
                            cert_pem: joined.cert_pem,
                            key_pem: key.key_pem,
                            bootstrap: false,
                        };
                        return Ok(Joined { identity, controllers });
                    }
                    // No leader yet, or the cluster is busy: try again.
                    Err(e) if e.code == ErrorCode::Unavailable => failures.push(format!("{peer}: {}", e.message)),
                    Err(e) => return Err(e.into()),
                },
                Err(e) => {
                    if let Some(why) = pin_mismatch(&e) {
                        return Err(Failure::new(
                            ErrorCode::Unauthenticated,
                            format!("{peer} is not a control node of the token's cluster: {why}"),
                        )
                        .hint("check --peeraddresses and that the token comes from this cluster's `traefikee env`"));
                    }
                    failures.push(format!("{peer}: {e}"));
                }
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(Failure::new(
                ErrorCode::Unavailable,
                format!("no control node admitted this node before the timeout ({})", failures.join("; ")),
            )
            .hint("check that the control nodes run and that --peeraddresses lists their cluster addresses"));
        }
        tracing::warn!("cannot join yet ({}); retrying in {}ms", failures.join("; "), backoff.as_millis());
        tokio::time::sleep(backoff.min(deadline - now)).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
