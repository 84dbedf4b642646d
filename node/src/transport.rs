//! Serving an axum router over TLS, with the caller's certificate attached to each request,
//! and over the node's unix socket.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;
use traefikee_apiserver::Transport;
use traefikee_pki::CertInfo;

/// The verified certificate of the caller, or `None` for a caller without one.
#[derive(Debug, Clone)]
pub struct Peer(pub Option<CertInfo>);

/// What one listener admits, and how long each phase of a connection may take. A caller
/// without a certificate (a node joining with its token, or anyone on the network) is
/// "unauthenticated" until its TLS handshake shows a certificate of the cluster CA; such
/// callers are bounded per source address and in total, and their connections live at most
/// `unauthenticated_lifetime`, so neither half-open handshakes nor slow requests can use up
/// the file descriptors or memory that the nodes and operators need.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections of every kind.
    pub max_connections: usize,
    /// Connections still in their handshake or without a client certificate; past it the
    /// oldest of them is closed to make room.
    pub max_unauthenticated: usize,
    /// The same, per source IP address.
    pub max_unauthenticated_per_ip: usize,
    pub handshake_timeout: Duration,
    /// Time to send a request's headers (HTTP/1.1).
    pub header_timeout: Duration,
    /// Lifetime of a connection without a client certificate (a join answers within seconds).
    pub unauthenticated_lifetime: Duration,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 4096,
            max_unauthenticated: 256,
            max_unauthenticated_per_ip: 16,
            handshake_timeout: Duration::from_secs(5),
            header_timeout: Duration::from_secs(5),
            unauthenticated_lifetime: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(300),
        }
    }
}

impl Limits {
    /// The defaults, fitted under this process's file descriptor limit (leaving room for
    /// LMDB, logs, peers and the other listener).
    pub fn within_fd_limit(fd_limit: u64) -> Self {
        let mut l = Limits::default();
        let budget = usize::try_from(fd_limit / 3).unwrap_or(usize::MAX).max(64);
        l.max_connections = l.max_connections.min(budget);
        l.max_unauthenticated = l.max_unauthenticated.min(l.max_connections / 4).max(1);
        l
    }
}

/// Raises the soft limit on open files to the hard limit (as Go programs do at start), and
/// returns it.
pub fn raise_fd_limit() -> u64 {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => hard,
            Err(_) => soft,
        },
        Ok((soft, _)) => soft,
        Err(_) => 1024,
    }
}

/// Counts a listener's connections and decides whether a new one may come in.
struct Admission {
    name: &'static str,
    limits: Limits,
    state: Mutex<Counts>,
    shed: ShedLog,
}

#[derive(Default)]
struct Counts {
    total: usize,
    unauthenticated: usize,
    per_ip: HashMap<IpAddr, usize>,
    /// The connections counted as unauthenticated, oldest first.
    pending: VecDeque<Pending>,
    next_id: u64,
}

struct Pending {
    id: u64,
    ip: IpAddr,
    evict: Arc<Notify>,
}

/// A connection's place in its listener's counts, given back when it ends.
struct Slot {
    admission: Arc<Admission>,
    id: u64,
    /// Fires when a newer connection took this one's place (see [`Admission::admit`]).
    evicted: Arc<Notify>,
    unauthenticated: bool,
}

impl Admission {
    /// Admits a connection from `ip`, or refuses it. When every place for connections without
    /// a certificate is taken, the oldest of them gives its place up: a legitimate client
    /// finishes its handshake within milliseconds, so silent connections from many addresses
    /// cannot keep it out, while a flood from one address stays within its own limit.
    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let mut c = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let from_ip = c.per_ip.get(&ip).copied().unwrap_or(0);
        let refused = if c.total >= self.limits.max_connections {
            Some(format!("{} connections are open (the limit)", c.total))
        } else if from_ip >= self.limits.max_unauthenticated_per_ip {
            Some(format!("{ip} has {from_ip} connections without a client certificate open (the limit per address)"))
        } else {
            None
        };
        if let Some(why) = refused {
            drop(c);
            self.shed.refused(self.name, &why);
            return None;
        }
        let mut evicted_one = false;
        if c.unauthenticated >= self.limits.max_unauthenticated {
            if let Some(oldest) = c.pending.pop_front() {
                c.release_unauthenticated(oldest.ip);
                oldest.evict.notify_one();
                evicted_one = true;
            }
        }
        c.total += 1;
        c.unauthenticated += 1;
        *c.per_ip.entry(ip).or_insert(0) += 1;
        c.next_id += 1;
        let id = c.next_id;
        let evicted = Arc::new(Notify::new());
        c.pending.push_back(Pending { id, ip, evict: evicted.clone() });
        let unauthenticated = c.unauthenticated;
        drop(c);
        if evicted_one {
            self.shed.refused(
                self.name,
                &format!("{unauthenticated} connections without a client certificate were open (the limit): the oldest was closed"),
            );
        }
        Some(Slot { admission: self.clone(), id, evicted, unauthenticated: true })
    }
}

impl Slot {
    /// The caller showed a certificate of the cluster CA: it no longer counts against the
    /// unauthenticated limits.
    fn authenticated(&mut self) {
        if std::mem::replace(&mut self.unauthenticated, false) {
            let mut c = self.admission.state.lock().unwrap_or_else(|p| p.into_inner());
            c.forget_pending(self.id);
        }
    }
}

impl Counts {
    fn release_unauthenticated(&mut self, ip: IpAddr) {
        self.unauthenticated = self.unauthenticated.saturating_sub(1);
        if let Some(n) = self.per_ip.get_mut(&ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_ip.remove(&ip);
            }
        }
    }

    /// Releases a connection's unauthenticated place, unless an eviction already did.
    fn forget_pending(&mut self, id: u64) {
        if let Some(pos) = self.pending.iter().position(|p| p.id == id) {
            if let Some(p) = self.pending.remove(pos) {
                self.release_unauthenticated(p.ip);
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.admission.state.lock().unwrap_or_else(|p| p.into_inner());
        c.total = c.total.saturating_sub(1);
        if self.unauthenticated {
            c.forget_pending(self.id);
        }
    }
}

/// Logs refused connections at most once every few seconds, with how many there were.
struct ShedLog {
    refused: AtomicU64,
    last: Mutex<Option<Instant>>,
}

const SHED_LOG_EVERY: Duration = Duration::from_secs(5);

impl ShedLog {
    fn refused(&self, listener: &str, why: &str) {
        let n = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= SHED_LOG_EVERY) {
            *last = Some(Instant::now());
            self.refused.store(0, Ordering::Relaxed);
            tracing::warn!("{listener}: refusing connections, {n} since the last report; latest because {why}");
        }
    }
}

/// Tracks a connection's requests in flight and when the last one ended, for the idle timeout.
#[derive(Default)]
struct Activity {
    in_flight: AtomicUsize,
    /// Milliseconds since the connection opened at the end of the last request.
    last_done_ms: AtomicU64,
}

struct InFlight {
    activity: Arc<Activity>,
    opened: Instant,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.activity.last_done_ms.store(ms, Ordering::Relaxed);
        self.activity.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Accepts TLS connections on `listener` and serves `app` on each, HTTP/1.1 or HTTP/2, within
/// `limits`. `name` is how the logs call the listener.
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    name: &'static str,
    limits: Limits,
) {
    let acceptor = TlsAcceptor::from(tls);
    let admission = Arc::new(Admission {
        name,
        limits: limits.clone(),
        state: Mutex::new(Counts::default()),
        shed: ShedLog { refused: AtomicU64::new(0), last: Mutex::new(None) },
    });
    loop {
        let (stream, remote) = match listener.accept().await {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors and the like: wait a little rather than spin.
                admission.shed.refused(name, &format!("accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Over a limit the connection is closed at once: its descriptor is back right away.
        let Some(slot) = admission.admit(remote.ip()) else { continue };
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let app = app.clone();
        let limits = limits.clone();
        tokio::spawn(async move {
            let mut slot = slot;
            let evicted = slot.evicted.clone();
            let handshake = tokio::select! {
                result = tokio::time::timeout(limits.handshake_timeout, acceptor.accept(stream)) => result,
                _ = evicted.notified() => {
                    tracing::debug!(%remote, "closed during its handshake to make room for a newer connection");
                    return;
                }
            };
            let tls = match handshake {
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
            if peer.is_some() {
                slot.authenticated();
            }
            let opened = Instant::now();
            let activity = Arc::new(Activity::default());
            let tracked = activity.clone();
            let svc = tower::service_fn(move |mut req: Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(Peer(peer.clone()));
                req.extensions_mut().insert(Transport::Tls(peer.clone()));
                tracked.in_flight.fetch_add(1, Ordering::Relaxed);
                // Held until the response is ready (long polls included).
                let guard = InFlight { activity: tracked.clone(), opened };
                let answer = app.clone().oneshot(req);
                async move {
                    let response = answer.await;
                    drop(guard);
                    response
                }
            });
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
            builder
                .http2()
                .timer(TokioTimer::new())
                .keep_alive_interval(Some(Duration::from_secs(20)))
                .keep_alive_timeout(Duration::from_secs(10));
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), TowerToHyperService::new(svc));
            tokio::pin!(conn);
            let lifetime = if slot.unauthenticated { Some(limits.unauthenticated_lifetime) } else { None };
            let give_up = async {
                match lifetime {
                    Some(l) => {
                        tokio::select! {
                            _ = tokio::time::sleep(l) => {}
                            _ = evicted.notified() => {}
                        }
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::pin!(give_up);
            let check_every = (limits.idle_timeout / 4).max(Duration::from_millis(100));
            let mut closing = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(%remote, "connection ended: {e}");
                        }
                        break;
                    }
                    _ = &mut give_up => {
                        tracing::debug!(%remote, "connection without a client certificate lived too long or made room for a newer one; closing it");
                        break;
                    }
                    _ = tokio::time::sleep(check_every), if !closing => {
                        let since_ms = u64::try_from(opened.elapsed().as_millis()).unwrap_or(u64::MAX)
                            .saturating_sub(activity.last_done_ms.load(Ordering::Relaxed));
                        let idle = activity.in_flight.load(Ordering::Relaxed) == 0
                            && Duration::from_millis(since_ms) >= limits.idle_timeout;
                        if idle {
                            closing = true;
                            conn.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
            drop(slot);
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
