//! `traefikee bootstrap`: create a cluster, and with `--controlnodes=N` hand it over to the N
//! control nodes once they have joined.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use openraft::ChangeMembers;
use traefikee_apiserver::ErrorCode;
use traefikee_pki::{new_key_and_csr, CaBundle, Identity, Role, Validity};

use super::{advertise_ip, bind, serve, wait_for_exit, Bound};
use crate::cli::args::BootstrapArgs;
use crate::cli::{Failure, Outcome};
use crate::controller::{new_tokens, Controller};
use crate::raft::NodeAddr;
use crate::state::{
    self, keys, BootstrapPlan, ClusterRecord, Command, EnrollmentRecord, InitCluster, NodeKind, NodeRecord, Origin,
};
use crate::statedir::{write_private, NodeIdentity, StateDir};
use crate::wire::{AbortRequest, PeerInfo};

fn internal(what: &str) -> impl Fn(&dyn std::fmt::Display) -> Failure + '_ {
    move |e| Failure::new(ErrorCode::Internal, format!("{what}: {e}"))
}

pub async fn run(args: BootstrapArgs) -> Outcome {
    if args.licensekey.is_some() {
        tracing::info!("--licensekey is accepted for compatibility; traefikee needs no license");
    }
    if args.control_nodes > 1 && args.control_nodes.is_multiple_of(2) {
        tracing::warn!(
            "--controlnodes={} is even: it tolerates no more failures than {} control nodes would",
            args.control_nodes,
            args.control_nodes - 1
        );
    }
    let bound = bind(&args.net).await?;
    let statedir =
        StateDir::open(&args.net.statedir).map_err(|e| Failure::io(e.to_string()).hint("pass another --statedir"))?;
    if let Some(identity) = statedir.identity().map_err(|e| Failure::io(e.to_string()))? {
        return resume(identity, statedir, bound).await;
    }
    let creds = &args.mtlscertsoutputdir;
    if creds.join("cert.pem").exists() || creds.join("key.pem").exists() {
        return Err(Failure::refused(format!("{} already holds API credentials of a cluster", creds.display()))
            .hint("move them away, or pass another --mtlscertsoutputdir"));
    }
    match create(&args, &statedir, bound).await {
        Ok(()) => Ok(()),
        Err(f) => {
            let _ = statedir.wipe();
            Err(f)
        }
    }
}

/// What a cluster bootstrapped from a backup starts with.
struct Restored {
    cluster: ClusterRecord,
    restore: state::Restore,
    file: String,
}

fn load_archive(path: &Path, passphrase_file: Option<&Path>) -> Result<Restored, Failure> {
    use traefikee_client::backup::{read_archive, read_passphrase};
    let passphrase = read_passphrase(passphrase_file)?;
    let backup = read_archive(path, passphrase.as_deref())?;
    let refused = |e: traefikee_apiserver::ApiError| {
        Failure::refused(format!("{}: {}", path.display(), e.message)).hint("no cluster was created")
    };
    let cluster = crate::backup::archived_cluster(&backup).map_err(refused)?;
    let (restore, _) = crate::backup::plan(&backup, &cluster, false).map_err(refused)?;
    Ok(Restored { cluster, restore, file: path.display().to_string() })
}

async fn create(args: &BootstrapArgs, statedir: &StateDir, bound: Bound) -> Outcome {
    let mut restored = match &args.archivepath {
        Some(path) => Some(load_archive(path, args.passphrase_file.as_deref())?),
        None => None,
    };
    let cluster_id = restored.as_ref().map(|r| r.cluster.id.clone()).unwrap_or_else(traefikee_records::new_cluster_id);
    let cluster_name = restored.as_ref().map(|r| r.cluster.name.clone()).unwrap_or_else(|| args.clustername.clone());
    let name = crate::cli::node_name(args.net.name.as_deref())?;
    let node_id: u64 = loop {
        let id = rand::random();
        if id != 0 {
            break id;
        }
    };
    let ca = match &restored {
        Some(r) => r.cluster.ca.clone(),
        None => CaBundle::generate(&cluster_name, &cluster_id).map_err(|e| internal("creating the CA")(&e))?,
    };
    let key = new_key_and_csr(&name).map_err(|e| internal("creating the node key")(&e))?;
    let ips: Vec<_> =
        [advertise_ip(&bound.advertise), advertise_ip(&bound.api_advertise)].into_iter().flatten().collect();
    let cert = ca
        .issue_for_csr(
            &key.csr_pem,
            &Identity::new(&cluster_id, Role::Controller, keys::node_id_text(node_id)),
            &ips,
            Validity::NODE,
        )
        .map_err(|e| internal("issuing the node certificate")(&e))?;
    let (control, data) = match restored.as_mut().and_then(|r| r.restore.tokens.take()) {
        Some(tokens) => tokens,
        None => new_tokens(&ca).map_err(|e| internal("creating the join tokens")(&e))?,
    };
    let enrollment_id = hex::encode(rand::random::<[u8; 8]>());
    let (enrollment_cert, enrollment_key) = ca
        .issue_with_new_key(&Identity::new(&cluster_id, Role::Enrollment, &enrollment_id), Validity::OPERATOR)
        .map_err(|e| internal("issuing the API credentials")(&e))?;

    let identity = NodeIdentity {
        node_id,
        name: name.clone(),
        kind: NodeKind::Controller,
        cluster_id: cluster_id.clone(),
        cluster_name: cluster_name.clone(),
        ca_pem: ca.cert_pem.clone(),
        cert_pem: cert.cert_pem.clone(),
        key_pem: key.key_pem.clone(),
        bootstrap: true,
    };
    statedir.save_identity(&identity).map_err(|e| Failure::io(e.to_string()))?;
    let controller = Controller::start(
        identity,
        statedir,
        bound.advertise.clone(),
        Some(bound.api_advertise.clone()),
        bound.grace_period,
        bound.timing,
    )
    .await
    .map_err(|e| internal("starting Raft")(&e))?;
    controller
        .raft
        .initialize(BTreeMap::from([(node_id, NodeAddr { addr: bound.advertise.clone() })]))
        .await
        .map_err(|e| internal("initializing Raft")(&e))?;
    controller
        .raft
        .wait(Some(Duration::from_secs(10)))
        .current_leader(node_id, "bootstrap node leads")
        .await
        .map_err(|e| internal("electing the bootstrap node")(&e))?;

    let plan = (args.control_nodes > 1)
        .then_some(BootstrapPlan { bootstrap_node: node_id, control_nodes: args.control_nodes });
    let now = state::now_ms();
    let init = Command::InitCluster(Box::new(InitCluster {
        cluster: ClusterRecord {
            id: cluster_id.clone(),
            name: cluster_name.clone(),
            created_at: restored.as_ref().map(|r| r.cluster.created_at).unwrap_or(now),
            ca: ca.clone(),
            bootstrap: plan,
        },
        control,
        data,
        node: NodeRecord {
            id: node_id,
            name: name.clone(),
            kind: NodeKind::Controller,
            address: bound.advertise.clone(),
            api_address: Some(bound.api_advertise.clone()),
            joined_at: now,
            key_sha256: Some(crate::controller::key_of(&cert.cert_pem)?),
            cert_serial: cert.serial,
        },
        enrollment: EnrollmentRecord {
            id: enrollment_id,
            serial: enrollment_cert.serial.clone(),
            created_at: now,
            consumed: None,
            for_name: None,
            not_after: enrollment_cert.not_after.unix_timestamp() * 1000,
            created_by: format!("bootstrap {name}"),
            revoked: None,
        },
    }));
    controller.write(Origin::system(format!("bootstrap {name}")), init).await?;
    if let Some(mut r) = restored {
        r.restore.keep_version = true;
        controller
            .write(Origin::system(format!("bootstrap {name} from {}", r.file)), Command::Restore(Box::new(r.restore)))
            .await?;
    }
    write_credentials(&args.mtlscertsoutputdir, &ca.cert_pem, &enrollment_cert.cert_pem, &enrollment_key)?;

    let socket_path = bound.socket_path.clone();
    let advertise = bound.advertise.clone();
    serve(&controller, bound)?;
    match &args.archivepath {
        Some(path) => eprintln!(
            "Cluster {cluster_name} ({cluster_id}) restored from {}; {name} is its bootstrap node.",
            path.display()
        ),
        None => eprintln!("Cluster {cluster_name} ({cluster_id}) created; {name} is its bootstrap node."),
    }
    eprintln!("API credentials for `traefikeectl connect` written to {}", args.mtlscertsoutputdir.display());
    eprintln!("Join tokens: `traefikee env --traefikeesocket={}`", socket_path.display());

    if args.control_nodes == 1 {
        return wait_for_exit(&controller, statedir, &socket_path).await;
    }
    eprintln!(
        "Waiting up to {}s for {} control nodes: traefikee start-control-node --peeraddresses={advertise} --token=$CONTROL_NODE_TOKEN ...",
        args.timeout, args.control_nodes
    );
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let outcome = match hand_over(&controller, args.control_nodes, deadline, args.timeout).await {
        Ok(successors) => {
            let names: Vec<_> = successors.iter().map(|p| p.name.as_str()).collect();
            eprintln!("✔ The cluster is handed over to {}; the bootstrap node leaves.", names.join(", "));
            Ok(())
        }
        Err(reason) => {
            abort_joined(&controller, &reason).await;
            let _ = remove_credentials(&args.mtlscertsoutputdir);
            Err(Failure::new(ErrorCode::Unavailable, format!("{reason}; the cluster was not created"))
                .hint("start the control nodes sooner, or raise --timeout"))
        }
    };
    let _ = controller.raft.shutdown().await;
    let _ = statedir.wipe();
    let _ = std::fs::remove_file(&socket_path);
    outcome
}

/// Restarts a control node whose state dir already holds a cluster.
async fn resume(identity: NodeIdentity, statedir: StateDir, bound: Bound) -> Outcome {
    if identity.kind != NodeKind::Controller {
        return Err(Failure::refused(format!("state dir {} holds a data node", statedir.path().display())));
    }
    let controller = Controller::start(
        identity,
        &statedir,
        bound.advertise.clone(),
        Some(bound.api_advertise.clone()),
        bound.grace_period,
        bound.timing,
    )
    .await
    .map_err(|e| internal("starting Raft")(&e))?;
    let pending = controller.cluster_record().ok().and_then(|c| c.bootstrap);
    if pending.is_some() {
        let _ = controller.raft.shutdown().await;
        return Err(Failure::refused(format!(
            "state dir {} holds an unfinished bootstrap of cluster {}",
            statedir.path().display(),
            controller.identity.cluster_id
        ))
        .hint(format!("remove it (rm -rf {}) to bootstrap a new cluster", statedir.path().display())));
    }
    tracing::info!(node = %controller.identity.name, cluster = %controller.identity.cluster_id, "resuming from the state dir");
    let socket_path = bound.socket_path.clone();
    serve(&controller, bound)?;
    wait_for_exit(&controller, &statedir, &socket_path).await
}

fn write_credentials(dir: &Path, ca: &str, cert: &str, key: &str) -> Outcome {
    use std::os::unix::fs::PermissionsExt;
    let fail = |e: &dyn std::fmt::Display| {
        Failure::io(format!("cannot write the API credentials to {}: {e}", dir.display()))
            .hint("pass a writable --mtlscertsoutputdir")
    };
    std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| fail(&e))?;
    write_private(&dir.join("ca.pem"), ca.as_bytes()).map_err(|e| fail(&e))?;
    write_private(&dir.join("cert.pem"), cert.as_bytes()).map_err(|e| fail(&e))?;
    write_private(&dir.join("key.pem"), key.as_bytes()).map_err(|e| fail(&e))?;
    Ok(())
}

fn remove_credentials(dir: &Path) -> std::io::Result<()> {
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    Ok(())
}

/// Waits for `wanted` control nodes to join as learners, then makes exactly them the voters.
async fn hand_over(c: &Arc<Controller>, wanted: u32, deadline: Instant, timeout: u64) -> Result<Vec<PeerInfo>, String> {
    let mut applied = c.db.applied();
    let mut metrics = c.raft.metrics();
    let mut reported = 0;
    let successors = loop {
        let others: Vec<PeerInfo> =
            c.controllers().map_err(|e| e.to_string())?.into_iter().filter(|p| p.id != c.id()).collect();
        let members = c.members();
        let ready: Vec<PeerInfo> = others.iter().filter(|p| members.contains(&p.id)).cloned().collect();
        if ready.len() != reported {
            reported = ready.len();
            eprintln!("{reported} of {wanted} control nodes joined");
        }
        if ready.len() >= wanted as usize {
            break ready.into_iter().take(wanted as usize).collect::<Vec<_>>();
        }
        if Instant::now() >= deadline {
            return Err(format!("only {} of {wanted} control nodes joined within {timeout}s", ready.len()));
        }
        let wait = deadline.saturating_duration_since(Instant::now()).min(Duration::from_millis(500));
        tokio::select! {
            _ = applied.changed() => {}
            _ = metrics.changed() => {}
            _ = tokio::time::sleep(wait) => {}
        }
    };
    let _serial = c.membership_lock.lock().await;
    c.write(Origin::system("bootstrap"), Command::FinishBootstrap).await.map_err(|e| e.message)?;
    let voters: BTreeSet<u64> = successors.iter().map(|p| p.id).collect();
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now()).max(Duration::from_secs(5));
        match tokio::time::timeout(
            remaining,
            c.raft.change_membership(ChangeMembers::ReplaceAllVoters(voters.clone()), false),
        )
        .await
        {
            Ok(Ok(_)) => break,
            Ok(Err(e)) if Instant::now() < deadline => {
                tracing::warn!("handing over failed ({e}); retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Ok(Err(e)) => return Err(format!("could not hand the cluster over: {e}")),
            Err(_) => return Err("the control nodes did not accept the new membership in time".into()),
        }
    }
    // The bootstrap node is out of the membership. Ask a successor to stand for election now
    // rather than after an election timeout.
    for p in &successors {
        let url = format!("https://{}/cluster/v1/elect", p.address);
        if c.peers.post(url).timeout(Duration::from_secs(2)).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
    }
    Ok(successors)
}

/// Tells the control nodes that joined that the cluster will not be created.
async fn abort_joined(c: &Arc<Controller>, reason: &str) {
    let Ok(peers) = c.controllers() else { return };
    for p in peers.into_iter().filter(|p| p.id != c.id()) {
        let url = format!("https://{}/cluster/v1/abort", p.address);
        let body = AbortRequest { reason: reason.to_string() };
        if let Err(e) = c.peers.post(url).json(&body).timeout(Duration::from_secs(2)).send().await {
            tracing::warn!(node = %p.name, "could not tell it the bootstrap gave up: {e}");
        }
    }
}
