//! `traefikee start-data-node`: a proxy that joins the cluster with the data node token (or
//! restarts from its state dir), or serves a file standalone with `--configfile`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use traefikee_apiserver::types::NodeList;
use traefikee_apiserver::{ApiError, ErrorCode};
use traefikee_pki::TokenRole;
use traefikee_proxy::engine::EngineOptions;

use super::control_node::parse_token;
use crate::cli::args::DataNodeArgs;
use crate::cli::{node_name, token_text, Failure, Outcome};
use crate::data_node::DataNode;
use crate::join::{join_cluster, JoinTarget};
use crate::state::NodeKind;
use crate::statedir::StateDir;
use crate::transport;

pub async fn run(args: DataNodeArgs) -> Outcome {
    let options = EngineOptions { listen_ip: args.listen, internal_address: args.metrics_addr, ..Default::default() };
    if let Some(file) = &args.configfile {
        return traefikee_proxy::standalone::run_standalone(file, options)
            .await
            .map_err(|e| Failure::refused(e.to_string()).hint("fix the file; nothing is served until it loads"));
    }
    let token = match token_text(args.token.as_deref(), args.tokenfile.as_deref())? {
        Some(t) => Some(parse_token(&t, TokenRole::Data)?),
        None => None,
    };
    let socket_path = args.socket.traefikeesocket.clone();
    let socket = transport::bind_socket(&socket_path).await.map_err(|e| {
        Failure::io(format!("cannot create the socket {}: {e}", socket_path.display()))
            .hint("pass another --traefikeesocket=PATH")
    })?;
    let statedir =
        StateDir::open(&args.statedir).map_err(|e| Failure::io(e.to_string()).hint("pass another --statedir"))?;
    let address = args.listen.map(|ip| ip.to_string()).unwrap_or_else(|| "*".into());
    let mut peers = args.peeraddresses.clone();
    let identity = match statedir.identity().map_err(|e| Failure::io(e.to_string()))? {
        Some(identity) if identity.kind == NodeKind::Proxy => {
            tracing::info!(node = %identity.name, cluster = %identity.cluster_id, "restarting from the state dir");
            identity
        }
        Some(_) => return Err(Failure::refused(format!("state dir {} holds a control node", args.statedir.display()))),
        None => {
            let Some(token) = token else {
                return Err(Failure::new(ErrorCode::InvalidRequest, "--token is required to join a cluster")
                    .hint("pass --token=$DATA_NODE_TOKEN (from `traefikee env` on a control node), or --configfile=FILE to run without a cluster"));
            };
            if args.peeraddresses.is_empty() {
                return Err(Failure::new(ErrorCode::InvalidRequest, "--peeraddresses is required to join a cluster")
                    .hint("list the cluster addresses of the control nodes, e.g. --peeraddresses=10.10.0.2:4242"));
            }
            let name = node_name(args.name.as_deref())?;
            let key = statedir.join_key(&name).map_err(|e| Failure::io(e.to_string()))?;
            let target = JoinTarget { kind: NodeKind::Proxy, name, address: address.clone(), api_address: None };
            let deadline = Instant::now() + Duration::from_secs(args.timeout);
            let joined = join_cluster(&args.peeraddresses, &token, target, key, deadline).await?;
            statedir.save_joined(&joined.identity).map_err(|e| Failure::io(e.to_string()))?;
            // Every controller, not only the ones we were told of: heartbeats reach them all
            // from the first second.
            peers.extend(joined.controllers);
            joined.identity
        }
    };
    let node = DataNode::start(identity, statedir.path().to_path_buf(), options, &peers, address)
        .await
        .map_err(|e| Failure::io(format!("cannot start the proxy: {e}")))?;
    node.spawn();
    tokio::spawn(transport::serve_socket(socket, local_api(node.clone())));
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("cannot watch for SIGTERM: {e}")))?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("stopping: requests in flight finish first");
    node.shutdown().await;
    if args.leave_on_stop {
        node.leave().await;
    }
    let _ = std::fs::remove_file(&socket_path);
    Ok(())
}

/// The local socket of a data node: `list-nodes` works from any node.
fn local_api(node: Arc<DataNode>) -> Router {
    Router::new()
        .route("/api/v1/nodes", get(nodes))
        .fallback(|| async {
            ApiError::not_found("a data node's socket serves only the node list")
                .with_hint("run this command on a control node")
        })
        .with_state(node)
}

async fn nodes(State(node): State<Arc<DataNode>>) -> Result<Json<NodeList>, ApiError> {
    node.nodes().await.map(Json)
}
