//! One module per `traefikee` command; shared plumbing for the ones that run a control node.

pub mod bootstrap;
pub mod control_node;
pub mod data_node;
pub mod local;
pub mod recover;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::{TcpListener, UnixListener};
use traefikee_apiserver::{ControlPlane, ErrorCode};
use traefikee_pki::tls::{server_config, ClientAuth};

use crate::api::Api;
use crate::cli::args::ControlNodeNetArgs;
use crate::cli::{Failure, Outcome};
use crate::controller::Controller;
use crate::statedir::StateDir;
use crate::transport;

/// A control node's listeners, bound before anything else happens so that a port in use is
/// reported before any state is created.
pub struct Bound {
    pub cluster: TcpListener,
    pub api: TcpListener,
    pub socket: UnixListener,
    pub socket_path: PathBuf,
    pub advertise: String,
    pub api_advertise: String,
    pub grace_period: std::time::Duration,
    pub timing: crate::raft::Timing,
}

fn port_error(what: &str, addr: SocketAddr, e: std::io::Error) -> Failure {
    let (reason, hint) = match e.kind() {
        std::io::ErrorKind::AddrInUse => (
            "address already in use".to_string(),
            Some("another traefikee node or another program uses this port; stop it or choose another address"),
        ),
        std::io::ErrorKind::AddrNotAvailable => {
            ("no such address on this machine".to_string(), Some("check --listen and --api.addr"))
        }
        std::io::ErrorKind::PermissionDenied => {
            ("permission denied".to_string(), Some("ports below 1024 need root or CAP_NET_BIND_SERVICE"))
        }
        _ => (e.to_string(), None),
    };
    let f = Failure::new(ErrorCode::Conflict, format!("cannot listen on {addr} for the {what}: {reason}"));
    match hint {
        Some(h) => f.hint(h),
        None => f,
    }
}

pub async fn bind(net: &ControlNodeNetArgs) -> Result<Bound, Failure> {
    let advertise = match &net.advertise {
        Some(a) => a.clone(),
        None if net.listen.ip().is_unspecified() => {
            return Err(Failure::new(
                ErrorCode::InvalidRequest,
                format!(
                    "--listen={} is a wildcard address, so other nodes cannot be told where to reach this one",
                    net.listen
                ),
            )
            .hint("pass --advertise=IP:PORT, the address other nodes reach this one at"))
        }
        None => net.listen.to_string(),
    };
    let timing = crate::raft::Timing::new(Some(net.raft_heartbeat_interval), net.raft_election_timeout)
        .map_err(|e| Failure::new(ErrorCode::InvalidRequest, e.to_string()))?;
    let api_addr = net.api_addr.unwrap_or_else(|| SocketAddr::new(net.listen.ip(), 55055));
    let api_advertise = if api_addr.ip().is_unspecified() {
        let host = advertise.rsplit_once(':').map(|(h, _)| h).unwrap_or(&advertise);
        format!("{host}:{}", api_addr.port())
    } else {
        api_addr.to_string()
    };
    let cluster = TcpListener::bind(net.listen).await.map_err(|e| port_error("cluster port", net.listen, e))?;
    let api = TcpListener::bind(api_addr).await.map_err(|e| port_error("API", api_addr, e))?;
    let socket_path = net.socket.traefikeesocket.clone();
    let socket = transport::bind_socket(&socket_path).await.map_err(|e| {
        let f = Failure::new(ErrorCode::Conflict, format!("cannot create the socket {}: {e}", socket_path.display()));
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            f.hint("run as root for the default socket, or pass --traefikeesocket=PATH")
        } else {
            f.hint("pass another --traefikeesocket=PATH")
        }
    })?;
    let grace_period = std::time::Duration::from_secs(net.datanode_grace_period);
    Ok(Bound { cluster, api, socket, socket_path, advertise, api_advertise, grace_period, timing })
}

/// Serves the cluster port, the API and the local socket for `controller`.
pub fn serve(controller: &Arc<Controller>, bound: Bound) -> Outcome {
    let id = &controller.identity;
    let tls_err = |e: traefikee_pki::PkiError| Failure::new(ErrorCode::Internal, format!("TLS setup: {e}"));
    let cluster_tls = server_config(&id.ca_pem, &id.cert_pem, &id.key_pem, ClientAuth::Optional).map_err(tls_err)?;
    let api_tls = server_config(&id.ca_pem, &id.cert_pem, &id.key_pem, ClientAuth::Required).map_err(tls_err)?;
    let cp: Arc<dyn ControlPlane> = Arc::new(Api(controller.clone()));
    let api = traefikee_apiserver::router(cp);
    let limits = transport::Limits::within_fd_limit(transport::raise_fd_limit());
    tokio::spawn(transport::serve_tls(
        bound.cluster,
        cluster_tls,
        crate::cluster_port::router(controller.clone()),
        "cluster port",
        limits.clone(),
    ));
    tokio::spawn(transport::serve_tls(bound.api, api_tls, api.clone(), "API", limits));
    tokio::spawn(transport::serve_socket(bound.socket, api));
    controller.spawn_quarantine();
    controller.spawn_heartbeats();
    controller.spawn_currency();
    controller.spawn_elector();
    controller.spawn_cleanup();
    crate::providers::spawn(controller.clone());
    Ok(())
}

/// Exit code of a control node whose Raft stopped on a storage error (EX_IOERR).
pub const EXIT_STORAGE: u8 = traefikee_client::EXIT_IO;

/// Runs until SIGINT/SIGTERM (a clean stop), until the bootstrap node aborts, until this
/// node learns it was removed, or until Raft stops on a storage error.
pub async fn wait_for_exit(controller: &Arc<Controller>, statedir: &StateDir, socket: &std::path::Path) -> Outcome {
    recover::spawn_pending_removals(controller, statedir.path());
    let mut abort = controller.abort.subscribe();
    let mut removed = controller.removed.subscribe();
    let mut metrics = controller.raft.metrics();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("cannot watch for SIGTERM: {e}")))?;
    let outcome = tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        _ = term.recv() => Ok(()),
        reason = abort.wait_for(|r| r.is_some()) => {
            let reason = reason.ok().and_then(|r| r.clone()).unwrap_or_default();
            Err(Failure::refused(format!("the bootstrap node gave up: {reason}; no cluster was created")))
        }
        reason = removed.wait_for(|r| r.is_some()) => {
            let reason = reason.ok().and_then(|r| r.clone()).unwrap_or_default();
            tracing::error!("this control node was removed from the cluster ({reason}); stopping");
            // Its state dir stays as it is (an operator may want to look at it); it never
            // serves again, since every controller refuses its certificate.
            return finish_removed(controller, socket, reason).await;
        }
        stopped = metrics.wait_for(|m| m.running_state.is_err()) => {
            // Raft quits on a storage error (a full disk, an I/O error) and never comes back
            // by itself. A process that went on would answer heartbeats and keep data nodes
            // on a state that no longer moves: stop, so the supervisor restarts the node
            // once the cause is fixed; the state dir holds everything committed.
            let why = match stopped.as_deref().map(|m| &m.running_state) {
                Ok(Err(e)) => e.to_string(),
                _ => "Raft stopped".to_string(),
            };
            tracing::error!("Raft stopped on this control node ({why}); stopping");
            let _ = std::fs::remove_file(socket);
            return Err(Failure {
                message: format!("Raft stopped on this control node: {why}"),
                hint: Some(format!(
                    "check the disk of the state dir {} (space, permissions, I/O errors) and start the node again: \
                     it keeps its data and catches up with the others",
                    statedir.path().display()
                )),
                code: EXIT_STORAGE,
            });
        }
    };
    tracing::info!("stopping");
    let _ = controller.raft.shutdown().await;
    if outcome.is_err() {
        let _ = statedir.wipe();
    }
    let _ = std::fs::remove_file(socket);
    outcome
}

async fn finish_removed(controller: &Arc<Controller>, socket: &std::path::Path, reason: String) -> Outcome {
    let _ = controller.raft.shutdown().await;
    let _ = std::fs::remove_file(socket);
    Err(Failure::new(
        ErrorCode::Forbidden,
        format!("this control node was removed from the cluster ({reason}); it stopped"),
    )
    .hint("to bring this machine back, start it with a fresh --statedir and the control node token (`traefikee env` on a control node)"))
}

/// The default node name: the host name.
pub fn default_name() -> String {
    nix::unistd::gethostname().ok().and_then(|h| h.into_string().ok()).unwrap_or_else(|| "traefikee".into())
}

/// The IP in a `host:port` address, if the host is an IP.
pub fn advertise_ip(advertise: &str) -> Option<IpAddr> {
    crate::controller::host_ip(advertise)
}
