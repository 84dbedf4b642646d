//! Entry point listeners and what happens to an accepted connection: the first bytes decide
//! between plain HTTP, HTTPS and the TCP routers, in Traefik's order:
//!
//! 1. an entry point with only non-TLS TCP routers (no TLS router of any kind) hands the
//!    connection to a matching one at once, for protocols where the server speaks first;
//! 2. otherwise the first bytes are read: not TLS → a matching non-TLS TCP router, else HTTP;
//! 3. TLS → by SNI: an HTTPS router naming that host; else a TCP TLS router naming it
//!    (terminated or passthrough); else an HTTPS router without `Host`; else a catch-all TCP
//!    TLS router; else HTTPS with the default options (which answers 404).

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::state::EntryPointRuntime;
use super::tcp::{self, TcpTls};
use super::{http, Shared};
use crate::context::{ConnectionInfo, TlsInfo};
use crate::rule::ConnInfo;
use crate::tls::client_hello::{read_hello, Rewind};

/// A bound entry point address and its accept loop.
pub(crate) struct Listener {
    /// The address as resolved (`ip:port` as configured, port 0 included), which decides whether
    /// a new configuration can keep this listener.
    pub(crate) key: String,
    pub(crate) local: SocketAddr,
    name: Arc<RwLock<Arc<str>>>,
    stop: watch::Sender<bool>,
}

impl Listener {
    /// Starts accepting on `listener` for the entry point `name`.
    pub(crate) fn start(key: String, listener: TcpListener, name: &str, shared: Arc<Shared>) -> std::io::Result<Self> {
        let local = listener.local_addr()?;
        let name = Arc::new(RwLock::new(Arc::<str>::from(name)));
        let (stop, stop_rx) = watch::channel(false);
        let loop_name = name.clone();
        tokio::spawn(accept_loop(listener, local, loop_name, shared, stop_rx));
        Ok(Listener { key, local, name, stop })
    }

    /// The entry point served.
    pub(crate) fn name(&self) -> Arc<str> {
        self.name.read().map(|n| n.clone()).unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Serves another entry point name from now on (a renamed entry point keeps its socket).
    pub(crate) fn rename(&self, name: &str) {
        let mut guard = self.name.write().unwrap_or_else(|e| e.into_inner());
        *guard = name.into();
    }

    /// Stops accepting; open connections finish their requests and close.
    pub(crate) fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn accept_loop(
    listener: TcpListener,
    local: SocketAddr,
    name: Arc<RwLock<Arc<str>>>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let ep = name.read().map(|n| n.clone()).unwrap_or_else(|e| e.into_inner().clone());
                    let shared = shared.clone();
                    let stop = stop.clone();
                    tokio::spawn(async move {
                        let _guard = shared.connections.enter();
                        serve_connection(shared.clone(), ep, stream, peer, local, stop).await;
                    });
                }
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%local, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// Decrements the open connections gauge when the connection ends.
struct OpenGauge(Option<Arc<crate::observability::metrics::Gauge>>);

impl Drop for OpenGauge {
    fn drop(&mut self) {
        if let Some(g) = &self.0 {
            g.add(-1);
        }
    }
}

enum Choice {
    Https(Arc<rustls::ServerConfig>),
    Tcp(tcp::TcpRoute),
}

async fn serve_connection(
    shared: Arc<Shared>,
    ep_name: Arc<str>,
    mut stream: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    stop: watch::Receiver<bool>,
) {
    let peer = SocketAddr::new(peer.ip().to_canonical(), peer.port());
    let ep: Arc<EntryPointRuntime> = {
        let runtime = shared.runtime.load();
        match runtime.entry_point(&ep_name) {
            Some(ep) => ep.clone(),
            None => return,
        }
    };
    let gauge = shared.runtime.load().metrics.as_ref().map(|m| m.open_connections(&ep_name, "TCP"));
    if let Some(g) = &gauge {
        g.add(1);
    }
    let _gauge = OpenGauge(gauge);
    let _ = stream.set_nodelay(true);
    let client_ip = Some(peer.ip());

    if !ep.tcp.plain.is_empty() && ep.tcp.tls.is_empty() && !ep.has_tls_http_routes() {
        let conn = ConnInfo { server_name: "", client_ip, alpn_protocols: &[] };
        if let Some(route) = ep.tcp.find_plain(&conn).cloned() {
            tcp::proxy(&route, stream).await;
            return;
        }
    }

    let read = match ep.read_timeout {
        Some(limit) => match tokio::time::timeout(limit, read_hello(&mut stream)).await {
            Ok(r) => r,
            Err(_) => return,
        },
        None => read_hello(&mut stream).await,
    };
    let Ok((bytes, hello)) = read else { return };
    if bytes.is_empty() {
        return;
    }
    let io = Rewind::new(bytes, stream);
    let mut info = ConnectionInfo { entry_point: ep_name.clone(), peer, local, tls: None };

    if !hello.is_tls {
        let conn = ConnInfo { server_name: "", client_ip, alpn_protocols: &[] };
        if let Some(route) = ep.tcp.find_plain(&conn).cloned() {
            tcp::proxy(&route, io).await;
            return;
        }
        http::serve(shared, ep, io, info, stop).await;
        return;
    }

    let alpn: Vec<&str> = hello.alpn.iter().map(String::as_str).collect();
    let sni = hello.server_name.as_deref();
    let conn = ConnInfo { server_name: sni.unwrap_or_default(), client_ip, alpn_protocols: &alpn };
    let https = ep.https.find(sni);
    let tcp_route = ep.tcp.find_tls(&conn).cloned();
    let choice = match (https, tcp_route) {
        (Some((config, true)), _) => Choice::Https(config),
        (_, Some(route)) if !route.is_catch_all() => Choice::Tcp(route),
        (Some((config, false)), _) => Choice::Https(config),
        (None, Some(route)) => Choice::Tcp(route),
        (None, None) => match &ep.default_tls {
            Some(config) => Choice::Https(config.clone()),
            None => return,
        },
    };
    match choice {
        Choice::Tcp(route) => match &route.tls {
            TcpTls::Passthrough => tcp::proxy(&route, io).await,
            TcpTls::Terminate(config) => {
                let Some(tls) = handshake(config.clone(), io, ep.read_timeout).await else { return };
                tcp::proxy(&route, tls).await;
            }
            TcpTls::None => {}
        },
        Choice::Https(config) => {
            let Some(tls) = handshake(config, io, ep.read_timeout).await else { return };
            let (_, session) = tls.get_ref();
            info.tls = Some(TlsInfo {
                server_name: session.server_name().map(Arc::from),
                version: match session.protocol_version() {
                    Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3",
                    _ => "TLS 1.2",
                },
                cipher: session.negotiated_cipher_suite().and_then(|s| s.suite().as_str()),
            });
            http::serve(shared, ep, tls, info, stop).await;
        }
    }
}

async fn handshake(
    config: Arc<rustls::ServerConfig>,
    io: Rewind<TcpStream>,
    limit: Option<Duration>,
) -> Option<tokio_rustls::server::TlsStream<Rewind<TcpStream>>> {
    let accept = TlsAcceptor::from(config).accept(io);
    let result = match limit {
        Some(limit) => tokio::time::timeout(limit, accept).await.ok()?,
        None => accept.await,
    };
    match result {
        Ok(tls) => Some(tls),
        Err(e) => {
            tracing::debug!(error = %e, "TLS handshake failed");
            None
        }
    }
}
