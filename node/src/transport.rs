//! Serving an axum router over TLS, with the caller's certificate attached to each request,
//! and over the node's unix socket.

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, UnixListener};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use traefikee_apiserver::Transport;
use traefikee_pki::CertInfo;

/// The verified certificate of the caller, or `None` for a caller without one.
#[derive(Debug, Clone)]
pub struct Peer(pub Option<CertInfo>);

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Accepts TLS connections on `listener` and serves `app` on each, HTTP/1.1 or HTTP/2.
pub async fn serve_tls(listener: TcpListener, tls: Arc<rustls::ServerConfig>, app: Router) {
    let acceptor = TlsAcceptor::from(tls);
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(e)) => {
                    tracing::debug!(%remote, "TLS handshake failed: {e}");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%remote, "TLS handshake timed out");
                    return;
                }
            };
            let peer = match traefikee_pki::tls::peer_info(tls.get_ref().1.peer_certificates()) {
                Some(Ok(info)) => Some(info),
                Some(Err(e)) => {
                    tracing::debug!(%remote, "client certificate without a usable identity: {e}");
                    None
                }
                None => None,
            };
            let svc = app.map_request(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(Peer(peer.clone()));
                req.extensions_mut().insert(Transport::Tls(peer.clone()));
                req
            });
            let builder = auto::Builder::new(TokioExecutor::new());
            if let Err(e) =
                builder.serve_connection_with_upgrades(TokioIo::new(tls), TowerToHyperService::new(svc)).await
            {
                tracing::debug!(%remote, "connection ended: {e}");
            }
        });
    }
}

/// Binds the node's local socket with mode 0600, replacing a stale socket file but never one
/// that another live process answers on.
pub async fn bind_socket(path: &Path) -> io::Result<UnixListener> {
    use std::os::unix::fs::PermissionsExt;
    if path.exists() {
        if tokio::net::UnixStream::connect(path).await.is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("another traefikee node is already serving the socket {}", path.display()),
            ));
        }
        std::fs::remove_file(path)?;
    }
    if let Some(parent) = path.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)?;
        }
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(listener)
}

/// Serves the API on the local socket; callers are the socket's owner.
pub async fn serve_socket(listener: UnixListener, app: Router) {
    let app = app.layer(axum::Extension(Transport::Local));
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!("local socket server stopped: {e}");
    }
}
