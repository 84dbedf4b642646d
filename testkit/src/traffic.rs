//! Real HTTP backends and a bounded load generator, for tests that check routing keeps
//! working while the cluster is disturbed. Both can run in a host of a [`Net`].

use std::collections::BTreeMap;
use std::fs::File;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Net;

/// An HTTP server answering every request with a fixed body, on 127.0.0.1 (or a [`Net`]
/// host's address); it counts the requests it answered.
pub struct Backend {
    pub addr: SocketAddr,
    hits: Arc<AtomicU64>,
    _runtime: tokio::runtime::Runtime,
}

impl Backend {
    pub fn start(body: &'static str) -> Backend {
        Backend::serve("127.0.0.1", body)
    }

    /// Like [`Backend::start`], listening on host `host`'s address in its namespace.
    pub fn start_in(net: &Net, host: usize, body: &'static str) -> Backend {
        let ip = net.ip(host);
        // The runtime's threads are spawned, and the listener opened, inside the namespace.
        net.spawn_in(host, move || Backend::serve(&ip, body)).join().expect("start backend")
    }

    fn serve(ip: &str, body: &'static str) -> Backend {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
        let listener = runtime.block_on(tokio::net::TcpListener::bind((ip, 0))).expect("bind backend");
        let addr = listener.local_addr().expect("backend address");
        let hits = Arc::new(AtomicU64::new(0));
        let counter = hits.clone();
        let app = axum::Router::new().fallback(move || {
            counter.fetch_add(1, Ordering::Relaxed);
            async move { body }
        });
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Backend { addr, hits, _runtime: runtime }
    }

    /// How many requests it answered.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// One answer as the load generator saw it.
#[derive(Debug, Clone)]
pub struct Answer {
    pub target: SocketAddr,
    pub status: u16,
    pub body: String,
    pub headers: BTreeMap<String, String>,
}

/// What a load run saw.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub ok: u64,
    /// Requests that got no answer or a non-200 answer, described.
    pub failed: Vec<String>,
    /// 200 answers the check refused, described.
    pub inconsistent: Vec<String>,
    /// How many 200 answers each body got.
    pub bodies: BTreeMap<String, u64>,
    /// The latency of each 200 answer, in microseconds.
    pub latencies_us: Vec<u64>,
    /// Requests a balanced load sent to another target because the first refused or closed
    /// the connection before answering (see [`Load::start_balanced`]).
    pub rerouted: u64,
}

impl LoadReport {
    /// Fails the test if a request got no answer or a non-200 one, showing the first five.
    #[track_caller]
    pub fn assert_no_failures(&self) {
        assert!(
            self.failed.is_empty(),
            "{} requests failed: {:?}",
            self.failed.len(),
            &self.failed[..self.failed.len().min(5)]
        );
    }

    /// Fails the test if the check refused a 200 answer, showing the first five.
    #[track_caller]
    pub fn assert_consistent(&self) {
        assert!(
            self.inconsistent.is_empty(),
            "{} answers were inconsistent: {:?}",
            self.inconsistent.len(),
            &self.inconsistent[..self.inconsistent.len().min(5)]
        );
    }

    /// Counts one request's outcome; true for a 200 answer the check accepted.
    fn record(
        &mut self,
        target: SocketAddr,
        answer: Result<Answer, reqwest::Error>,
        check: fn(&Answer) -> Result<(), String>,
        latency: Duration,
    ) -> bool {
        match answer {
            Err(e) => self.failed.push(format!("{target}: {e}")),
            Ok(a) if a.status != 200 => self.failed.push(format!("{target}: HTTP {} {}", a.status, a.body.trim())),
            Ok(a) => match check(&a) {
                Err(why) => self.inconsistent.push(format!("{target}: {why}")),
                Ok(()) => {
                    self.ok += 1;
                    self.latencies_us.push(latency.as_micros() as u64);
                    *self.bodies.entry(a.body).or_default() += 1;
                    return true;
                }
            },
        }
        false
    }

    /// The `q` quantile (0.0–1.0) of the latencies of 200 answers.
    pub fn latency(&self, q: f64) -> Duration {
        let mut sorted = self.latencies_us.clone();
        sorted.sort_unstable();
        match sorted.len() {
            0 => Duration::ZERO,
            n => Duration::from_micros(sorted[((n - 1) as f64 * q).round() as usize]),
        }
    }
}

/// Sends requests with a `Host` header to each target in turn, one client per target, until
/// stopped or until its bounds (count and time) are reached.
pub struct Load {
    stop: Arc<AtomicBool>,
    ok: Arc<AtomicU64>,
    report: Arc<Mutex<LoadReport>>,
    handle: Option<JoinHandle<()>>,
}

impl Load {
    pub const MAX_REQUESTS: u64 = 500_000;
    pub const MAX_TIME: Duration = Duration::from_secs(240);
    pub const MAX_PACED_TIME: Duration = Duration::from_secs(900);
    /// Requests of a paced load that may wait for their answers at once.
    pub const MAX_IN_FLIGHT: usize = 256;

    /// `check` judges each 200 answer (e.g. that its headers and body come from one
    /// configuration version).
    pub fn start(targets: Vec<SocketAddr>, host: &str, check: fn(&Answer) -> Result<(), String>) -> Load {
        Load::run(None, targets, host, check, false)
    }

    /// `per_second` requests a second to `target`, open loop (the n-th request leaves at
    /// n / `per_second` s whatever the answers before it took, as a population of clients
    /// sends them; at most [`Load::MAX_IN_FLIGHT`] at once), each on a new connection (a
    /// load balancer in front, such as kube-proxy, picks a backend per connection), from
    /// inside the network namespace at `netns_path` (`/var/run/netns/NAME`), up to
    /// [`Load::MAX_PACED_TIME`]. Latencies run from when the request was due; a request
    /// unanswered after 15 s fails.
    pub fn paced_in(
        netns_path: &str,
        target: SocketAddr,
        host: &str,
        per_second: u32,
        check: fn(&Answer) -> Result<(), String>,
    ) -> Load {
        let file = File::open(netns_path).unwrap_or_else(|e| panic!("open {netns_path}: {e}"));
        let pace = Duration::from_secs(1) / per_second.max(1);
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let report = Arc::new(Mutex::new(LoadReport::default()));
        let (s, o, r, host) = (stop.clone(), ok.clone(), report.clone(), host.to_string());
        let handle = std::thread::spawn(move || {
            crate::netns::enter_file(file);
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                // A load test tool's patience (wrk, hey and ab wait far longer): a request
                // that takes a glibc resolver retry (5 s) is slow, not lost.
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(15))
                    .pool_max_idle_per_host(0)
                    .build()
                    .expect("client");
                let in_flight = Arc::new(tokio::sync::Semaphore::new(Load::MAX_IN_FLIGHT));
                let started = tokio::time::Instant::now();
                let mut due = started;
                let mut tasks = tokio::task::JoinSet::new();
                while !s.load(Ordering::Relaxed) && started.elapsed() < Load::MAX_PACED_TIME {
                    tokio::time::sleep_until(due).await;
                    let Ok(permit) = in_flight.clone().acquire_owned().await else { break };
                    let (client, host, r, o, was_due) = (client.clone(), host.clone(), r.clone(), o.clone(), due);
                    tasks.spawn(async move {
                        let res = client.get(format!("http://{target}/")).header("host", &host).send().await;
                        let answer = read_answer(target, res).await;
                        let mut rep = r.lock().unwrap_or_else(|p| p.into_inner());
                        if rep.record(target, answer, check, was_due.elapsed()) {
                            o.fetch_add(1, Ordering::Relaxed);
                        }
                        drop(permit);
                    });
                    while tasks.try_join_next().is_some() {}
                    due += pace;
                }
                while tasks.join_next().await.is_some() {}
            });
        });
        Load { stop, ok, report, handle: Some(handle) }
    }

    /// As a load balancer in front of the targets sends it: one loop per target, each
    /// request to its loop's target or, when that one refuses the connection or closes it
    /// before any answer (a proxy restarting), to the next target.
    pub fn start_balanced(targets: Vec<SocketAddr>, host: &str, check: fn(&Answer) -> Result<(), String>) -> Load {
        Load::run(None, targets, host, check, true)
    }

    /// Like [`Load::start`], with the clients in host `net_host` of `net` (its namespace).
    pub fn start_in(
        net: &Net,
        net_host: usize,
        targets: Vec<SocketAddr>,
        host: &str,
        check: fn(&Answer) -> Result<(), String>,
    ) -> Load {
        Load::run(Some(net.ns_file(net_host)), targets, host, check, false)
    }

    fn run(
        netns: Option<File>,
        targets: Vec<SocketAddr>,
        host: &str,
        check: fn(&Answer) -> Result<(), String>,
        balanced: bool,
    ) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let ok = Arc::new(AtomicU64::new(0));
        let report = Arc::new(Mutex::new(LoadReport::default()));
        let (s, o, r, host) = (stop.clone(), ok.clone(), report.clone(), host.to_string());
        let handle = std::thread::spawn(move || {
            if let Some(file) = netns {
                crate::netns::enter_file(file);
            }
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                let started = Instant::now();
                let sent = Arc::new(AtomicU64::new(0));
                let all = targets.clone();
                let loops = targets.into_iter().enumerate().map(|(first, target)| {
                    let (s, o, r, host, sent) = (s.clone(), o.clone(), r.clone(), host.clone(), sent.clone());
                    let all = all.clone();
                    async move {
                        let client =
                            reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
                        while !s.load(Ordering::Relaxed)
                            && sent.fetch_add(1, Ordering::Relaxed) < Load::MAX_REQUESTS
                            && started.elapsed() < Load::MAX_TIME
                        {
                            let began = Instant::now();
                            let mut target = target;
                            let mut res = client.get(format!("http://{target}/")).header("host", &host).send().await;
                            if balanced {
                                for next in (1..all.len()).map(|k| all[(first + k) % all.len()]) {
                                    // Refused, or closed before any answer (a keep-alive
                                    // connection the restarting proxy closed as the request
                                    // left): a GET goes to the next target, as nginx's
                                    // `proxy_next_upstream error` and HAProxy's `retry-on
                                    // conn-failure empty-response` do.
                                    if !matches!(&res, Err(e) if e.is_connect() || (e.is_request() && !e.is_timeout()))
                                    {
                                        break;
                                    }
                                    target = next;
                                    r.lock().unwrap_or_else(|p| p.into_inner()).rerouted += 1;
                                    res = client.get(format!("http://{target}/")).header("host", &host).send().await;
                                }
                            }
                            let answer = read_answer(target, res).await;
                            let mut rep = r.lock().unwrap_or_else(|p| p.into_inner());
                            if rep.record(target, answer, check, began.elapsed()) {
                                o.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                });
                // Concurrently, one task per target.
                let tasks: Vec<_> = loops.map(tokio::spawn).collect();
                for t in tasks {
                    let _ = t.await;
                }
            });
        });
        Load { stop, ok, report, handle: Some(handle) }
    }

    /// 200 answers so far.
    pub fn ok(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
    }

    /// Failures so far, without stopping.
    pub fn failures(&self) -> usize {
        let r = self.report.lock().unwrap_or_else(|p| p.into_inner());
        r.failed.len() + r.inconsistent.len()
    }

    /// Waits until `more` further requests succeeded (the load really ran across an event).
    pub fn wait_for_more(&self, more: u64, timeout: Duration) {
        let target = self.ok() + more;
        crate::wait_for(timeout, &format!("{more} more successful requests"), || (self.ok() >= target).then_some(()));
    }

    pub fn stop(mut self) -> LoadReport {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
        std::mem::take(&mut *self.report.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A response read whole: status, headers and body.
async fn read_answer(
    target: SocketAddr,
    res: Result<reqwest::Response, reqwest::Error>,
) -> Result<Answer, reqwest::Error> {
    let resp = res?;
    let status = resp.status().as_u16();
    let headers =
        resp.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string())).collect();
    let body = resp.text().await?;
    Ok(Answer { target, status, body, headers })
}
