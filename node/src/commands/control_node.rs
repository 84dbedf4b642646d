//! `traefikee start-control-node`: join a cluster with the control node token, or restart
//! from the state dir.

use std::sync::Arc;
use std::time::{Duration, Instant};

use traefikee_apiserver::{ApiError, ErrorCode};
use traefikee_pki::{JoinToken, TokenRole};

use super::{bind, serve, wait_for_exit};
use crate::cli::args::ControlNodeArgs;
use crate::cli::{token_text, Failure, Outcome};
use crate::controller::{decode, Controller};
use crate::join::{join_cluster, JoinTarget};
use crate::state::NodeKind;
use crate::statedir::{NodeIdentity, StateDir};
use crate::wire::PromoteResponse;

pub async fn run(args: ControlNodeArgs) -> Outcome {
    // Parse the token before touching anything: a malformed or wrong-kind token changes nothing.
    let token = match token_text(args.token.as_deref(), args.tokenfile.as_deref())? {
        Some(t) => Some(parse_token(&t, TokenRole::Control)?),
        None => None,
    };
    let bound = bind(&args.net).await?;
    let statedir =
        StateDir::open(&args.net.statedir).map_err(|e| Failure::io(e.to_string()).hint("pass another --statedir"))?;
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let (identity, fresh) = match statedir.identity().map_err(|e| Failure::io(e.to_string()))? {
        Some(identity) => {
            check_same_cluster(&identity, token.as_ref(), &statedir)?;
            if identity.kind != NodeKind::Controller {
                return Err(Failure::refused(format!("state dir {} holds a data node", statedir.path().display())));
            }
            tracing::info!(node = %identity.name, cluster = %identity.cluster_id, "restarting from the state dir");
            (identity, false)
        }
        None => {
            let Some(token) = token else {
                return Err(Failure::new(ErrorCode::InvalidRequest, "--token is required to join a cluster")
                    .hint("pass --token=$CONTROL_NODE_TOKEN (from `traefikee env` on a control node)"));
            };
            if args.peeraddresses.is_empty() {
                return Err(Failure::new(ErrorCode::InvalidRequest, "--peeraddresses is required to join a cluster")
                    .hint(
                        "list the cluster addresses of existing control nodes, e.g. --peeraddresses=10.10.0.1:4242",
                    ));
            }
            let name = crate::cli::node_name(args.net.name.as_deref())?;
            let key = statedir.join_key(&name).map_err(|e| Failure::io(e.to_string()))?;
            let target = JoinTarget {
                kind: NodeKind::Controller,
                name,
                address: bound.advertise.clone(),
                api_address: Some(bound.api_advertise.clone()),
            };
            let identity = join_cluster(&args.peeraddresses, &token, target, key, deadline).await?.identity;
            statedir.save_joined(&identity).map_err(|e| Failure::io(e.to_string()))?;
            (identity, true)
        }
    };
    let controller = Controller::start(
        identity,
        &statedir,
        bound.advertise.clone(),
        Some(bound.api_advertise.clone()),
        bound.grace_period,
        bound.timing,
    )
    .await
    .map_err(|e| Failure::new(ErrorCode::Internal, format!("starting Raft: {e}")))?;
    let socket_path = bound.socket_path.clone();
    serve(&controller, bound)?;
    let peers = args.peeraddresses.clone();
    let c = controller.clone();
    let promotion = tokio::spawn(async move { become_member(&c, &peers, deadline).await });
    if fresh {
        // A fresh node reports only once it is a member, so a failed join exits non-zero.
        match promotion.await {
            Ok(Ok(())) => {}
            Ok(Err(f)) => {
                let _ = controller.raft.shutdown().await;
                return Err(f);
            }
            Err(e) => return Err(Failure::new(ErrorCode::Internal, e.to_string())),
        }
    }
    wait_for_exit(&controller, &statedir, &socket_path).await
}

pub fn parse_token(text: &str, wanted: TokenRole) -> Result<JoinToken, Failure> {
    let token: JoinToken = text.parse().map_err(|e: traefikee_pki::PkiError| {
        Failure::new(ErrorCode::Unauthenticated, e.to_string()).hint("copy the token whole from `traefikee env`")
    })?;
    if token.role != wanted {
        let (node, var) = match wanted {
            TokenRole::Control => ("start-control-node", "CONTROL_NODE_TOKEN"),
            TokenRole::Data => ("start-data-node", "DATA_NODE_TOKEN"),
        };
        return Err(Failure::new(
            ErrorCode::Forbidden,
            format!("this is a {}; {node} needs the {}", token.role.describe(), wanted.describe()),
        )
        .hint(format!("use {var} from `traefikee env`")));
    }
    Ok(token)
}

fn check_same_cluster(identity: &NodeIdentity, token: Option<&JoinToken>, statedir: &StateDir) -> Outcome {
    let Some(token) = token else { return Ok(()) };
    let pin = traefikee_pki::CaBundle { cert_pem: identity.ca_pem.clone(), key_pem: String::new() }
        .pin()
        .map_err(|e| Failure::io(format!("the state dir's CA is unreadable: {e}")))?;
    if pin != token.ca_pin {
        return Err(Failure::refused(format!(
            "state dir {} belongs to another cluster ({} {}) than the token",
            statedir.path().display(),
            identity.cluster_name,
            identity.cluster_id
        ))
        .hint("use another --statedir to join this cluster, or drop --token to restart that node"));
    }
    tracing::info!("the state dir already holds this node; the token is not needed");
    Ok(())
}

/// Makes sure this control node is a Raft member, asking the leader (through any peer) until
/// it is or the deadline passes.
async fn become_member(c: &Arc<Controller>, peers: &[String], deadline: Instant) -> Outcome {
    let mut backoff = Duration::from_millis(100);
    loop {
        if c.voters().contains(&c.id()) {
            return Ok(());
        }
        let mut targets: Vec<String> =
            c.controllers().unwrap_or_default().into_iter().filter(|p| p.id != c.id()).map(|p| p.address).collect();
        for p in peers {
            if !targets.contains(p) {
                targets.push(p.clone());
            }
        }
        let mut last = String::from("no control node to ask");
        for addr in &targets {
            let url = format!("https://{addr}/cluster/v1/promote");
            match c.peers.post(&url).timeout(Duration::from_secs(70)).send().await {
                Ok(resp) => match decode::<PromoteResponse>(resp).await {
                    Ok(r) => {
                        tracing::info!(voter = r.voter, "joined the Raft membership");
                        return Ok(());
                    }
                    Err(e) if is_final(&e) => return Err(e.into()),
                    Err(e) => last = format!("{addr}: {}", e.message),
                },
                Err(e) => last = format!("{addr}: {e}"),
            }
        }
        if Instant::now() >= deadline {
            return Err(Failure::new(ErrorCode::Unavailable, format!("could not join the Raft membership: {last}")));
        }
        tracing::warn!("not a member yet ({last}); retrying in {}ms", backoff.as_millis());
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

fn is_final(e: &ApiError) -> bool {
    matches!(
        e.code,
        ErrorCode::NotFound | ErrorCode::Forbidden | ErrorCode::Unauthenticated | ErrorCode::InvalidRequest
    )
}
