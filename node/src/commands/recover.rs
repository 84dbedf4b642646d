//! `traefikee recover`: a cluster that lost its quorum for good starts again from one of
//! the control nodes that are left (etcd's `--force-new-cluster`, Consul's and TraefikEE's
//! `peers.json` recovery).
//!
//! On the stopped survivor, the Raft membership is made of that node alone (see
//! [`Db::force_single_voter`]) and the other control nodes are written down in the state dir.
//! Started again, the node elects itself, then removes those control nodes from the registry
//! (their certificates revoked, the join tokens replaced): if one comes back it is refused
//! and stops, instead of splitting the cluster. New control nodes join with the new tokens.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use traefikee_apiserver::ErrorCode;

use crate::cli::args::RecoverArgs;
use crate::cli::{Failure, Outcome};
use crate::controller::Controller;
use crate::raft::store::Db;
use crate::raft::NodeId;
use crate::state::{keys, NodeKind, Origin};
use crate::statedir::{write_private, StateDir};

/// Written by `recover`, removed once the node has carried it out.
const PENDING: &str = "recovery.json";

#[derive(Serialize, Deserialize)]
struct Pending {
    /// The control nodes lost with the quorum, to remove from the registry.
    remove: Vec<NodeId>,
}

pub async fn run(args: RecoverArgs) -> Outcome {
    if !args.statedir.join("node.json").exists() {
        return Err(Failure::refused(format!("{} holds no node", args.statedir.display()))
            .hint("pass the --statedir of the control node to recover"));
    }
    let statedir = StateDir::open(&args.statedir).map_err(|e| {
        Failure::refused(e.to_string()).hint("stop the control node first: recover changes a stopped node")
    })?;
    let identity = statedir
        .identity()
        .map_err(|e| Failure::io(e.to_string()))?
        .ok_or_else(|| Failure::refused(format!("{} holds no node", args.statedir.display())))?;
    if identity.kind != NodeKind::Controller {
        return Err(Failure::refused(format!(
            "{} holds a data node; only a control node can be recovered",
            args.statedir.display()
        )));
    }
    let db = Db::open(&statedir.raft_dir())
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("opening the store: {e}")))?;
    let storage = |e: crate::state::StateError| Failure::new(ErrorCode::Internal, format!("reading the store: {e}"));
    let me = identity.node_id;
    let record = db.read(|v| v.node(me)).map_err(storage)?.ok_or_else(|| {
        Failure::refused(format!("{} is not in the registry of its cluster: it was removed", identity.name))
            .hint("recover from a control node that is still a member")
    })?;
    let own_serial = traefikee_pki::inspect_cert_pem(&identity.cert_pem)
        .map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?
        .serial;
    if db.read(|v| v.is_revoked(&own_serial)).map_err(storage)? {
        return Err(Failure::refused(format!(
            "{} was removed from its cluster (its certificate is revoked)",
            identity.name
        )));
    }
    let others: Vec<_> = db
        .read(|v| v.nodes())
        .map_err(storage)?
        .into_iter()
        .filter(|n| n.kind == NodeKind::Controller && n.id != me)
        .collect();
    let addr = args.advertise.clone().unwrap_or_else(|| record.address.clone());
    let index = db
        .force_single_voter(me, &addr)
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("writing the store: {e}")))?;
    let pending = Pending { remove: others.iter().map(|n| n.id).collect() };
    let bytes = serde_json::to_vec(&pending).map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?;
    write_private(&statedir.path().join(PENDING), &bytes).map_err(|e| Failure::io(e.to_string()))?;
    traefikee_client::outln!(
        "{} is now the only control node of cluster {} (membership entry {index}).",
        identity.name,
        identity.cluster_id
    );
    if !others.is_empty() {
        let names: Vec<String> = others.iter().map(|n| format!("{} ({})", n.name, keys::node_id_text(n.id))).collect();
        traefikee_client::outln!(
            "When it starts, it removes {} from the cluster: if they come back they are refused.",
            names.join(", ")
        );
    }
    traefikee_client::outln!(
        "Start it again as before, then join new control nodes with the new token (`traefikee env`)."
    );
    Ok(())
}

/// On a recovered node's start: removes the lost control nodes once it leads.
pub fn spawn_pending_removals(controller: &Arc<Controller>, statedir: &Path) {
    let path = statedir.join(PENDING);
    let Some(pending) = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice::<Pending>(&b).ok()) else {
        return;
    };
    let controller = controller.clone();
    tokio::spawn(async move {
        let mut left = pending.remove;
        while !left.is_empty() {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if controller.confirmed_leader() != Some(controller.id()) {
                continue;
            }
            let id = left[0];
            let origin = Origin::System { what: "traefikee recover".into() };
            match controller.remove_here(id, origin).await {
                Ok(()) => {
                    tracing::info!(node = %keys::node_id_text(id), "recovery: the lost control node is removed from the cluster");
                    left.remove(0);
                }
                Err(e) if e.code == ErrorCode::NotFound => {
                    left.remove(0);
                }
                Err(e) => {
                    tracing::warn!(node = %keys::node_id_text(id), "recovery: removing the lost control node failed, retrying: {}", e.message)
                }
            }
        }
        if let Err(e) = std::fs::remove_file(&path) {
            tracing::warn!("recovery done, but {} could not be removed: {e}", path.display());
        }
    });
}
