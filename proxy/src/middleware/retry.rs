//! `retry`: sends a request again when it never reached an upstream that answered (connection
//! refused, no server available), so that a server going away does not turn into client errors.
//!
//! Traefik's semantics (`pkg/middlewares/retry`): up to `attempts` tries in all; a try is
//! retried only when the request was not written to an upstream, which here is a proxy-made
//! response whose [`ProxyError::is_retryable`] says so (never an upstream's answer, whatever
//! its status, nor a timeout). Between tries it waits on Traefik's exponential backoff
//! (`cenkalti/backoff`): `initialInterval` (none by default) randomized by ±50%, multiplied
//! after each try by 2^(1/(attempts-1)) so that the interval at most doubles over all tries,
//! capped at 60 s, and no waiting past 15 minutes in all.
//!
//! The body: Traefik retries only before the request was written, so its body is still unread.
//! Here each try gets a body that takes the client's body only when first read; a try that
//! fails without reading it leaves it for the next one, and a try that read some of it is never
//! retried (its answer goes to the client). Nothing is buffered.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::Instant;

use super::{BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler};
use crate::body::{boxed, Body, BoxError};
use crate::config::Retry as Config;
use crate::errors::ProxyError;

/// Backoff ceilings of `cenkalti/backoff`'s exponential backoff, which Traefik uses.
const MAX_INTERVAL: Duration = Duration::from_secs(60);
const MAX_ELAPSED: Duration = Duration::from_secs(15 * 60);
const RANDOMIZATION: f64 = 0.5;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    let attempts = config
        .attempts
        .filter(|a| *a > 0)
        .and_then(|a| u32::try_from(a).ok())
        .ok_or_else(|| ctx.invalid(format!("retry.attempts: incorrect (or empty) value {:?}", config.attempts)))?;
    let initial_interval = match config.initial_interval {
        None => Duration::ZERO,
        Some(d) => d.to_std().ok_or_else(|| ctx.invalid("retry.initialInterval must not be negative"))?,
    };
    Ok(Arc::new(Retry(Arc::new(Settings { attempts, initial_interval }))))
}

struct Settings {
    attempts: u32,
    initial_interval: Duration,
}

/// Traefik's exponential backoff for one request.
struct Backoff {
    current: Duration,
    multiplier: f64,
    started: Instant,
}

impl Backoff {
    /// `None` when there is no waiting at all (no interval, or a single attempt).
    fn new(settings: &Settings) -> Option<Self> {
        if settings.attempts < 2 || settings.initial_interval.is_zero() {
            return None;
        }
        let multiplier = 2f64.powf(1.0 / f64::from(settings.attempts - 1));
        Some(Backoff { current: settings.initial_interval, multiplier, started: Instant::now() })
    }

    /// The next wait, with `random` in [0, 1); `None` when the elapsed time would pass the limit.
    fn next(&mut self, random: f64) -> Option<Duration> {
        let current = self.current.as_secs_f64();
        let delta = RANDOMIZATION * current;
        let (min, max) = (current - delta, current + delta);
        // cenkalti/backoff draws in [min, max] nanoseconds.
        let wait = Duration::from_secs_f64((min + random * (max - min + 1e-9)).max(0.0));
        self.current = if self.current.as_secs_f64() >= MAX_INTERVAL.as_secs_f64() / self.multiplier {
            MAX_INTERVAL
        } else {
            self.current.mul_f64(self.multiplier)
        };
        (self.started.elapsed() + wait <= MAX_ELAPSED).then_some(wait)
    }
}

struct Retry(Arc<Settings>);

impl Middleware for Retry {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { settings: self.0.clone(), next })
    }
}

struct Layer {
    settings: Arc<Settings>,
    next: SharedHandler,
}

/// The client's body, handed to the first try that reads it.
struct Lender {
    body: Mutex<Option<Body>>,
    read: AtomicBool,
}

/// One try's body: takes the client's body from the [`Lender`] when first polled, and gives it
/// back when dropped before any of it was read.
struct Lent {
    lender: Arc<Lender>,
    body: Option<Body>,
    yielded: bool,
}

impl Drop for Lent {
    fn drop(&mut self) {
        if !self.yielded {
            if let Some(body) = self.body.take() {
                *self.lender.body.lock().unwrap_or_else(PoisonError::into_inner) = Some(body);
            }
        }
    }
}

impl Lent {
    fn with_body<T>(&self, f: impl FnOnce(Option<&Body>) -> T) -> T {
        match &self.body {
            Some(b) => f(Some(b)),
            None => f(self.lender.body.lock().unwrap_or_else(PoisonError::into_inner).as_ref()),
        }
    }
}

impl HttpBody for Lent {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.body.is_none() && !self.yielded {
            let taken = self.lender.body.lock().unwrap_or_else(PoisonError::into_inner).take();
            self.body = taken;
        }
        let polled = match self.body.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        };
        if matches!(polled, Poll::Ready(Some(_))) && !self.yielded {
            self.yielded = true;
            self.lender.read.store(true, Ordering::SeqCst);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.with_body(|b| b.is_none_or(HttpBody::is_end_stream))
    }

    fn size_hint(&self) -> SizeHint {
        self.with_body(|b| b.map_or_else(|| SizeHint::with_exact(0), HttpBody::size_hint))
    }
}

/// A copy of the request's head with `body`.
fn attempt(parts: &http::request::Parts, body: Body) -> Request {
    let mut req = Request::new(body);
    *req.method_mut() = parts.method.clone();
    *req.uri_mut() = parts.uri.clone();
    *req.version_mut() = parts.version;
    *req.headers_mut() = parts.headers.clone();
    *req.extensions_mut() = parts.extensions.clone();
    req
}

impl Handler for Layer {
    fn handle(&self, req: Request) -> HandlerFuture {
        if self.settings.attempts == 1 {
            return self.next.handle(req);
        }
        let settings = self.settings.clone();
        let next = self.next.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let lender = Arc::new(Lender { body: Mutex::new(Some(body)), read: AtomicBool::new(false) });
            let mut backoff = Backoff::new(&settings);
            let mut tries = 1;
            loop {
                let body = boxed(Lent { lender: lender.clone(), body: None, yielded: false });
                let resp = next.handle(attempt(&parts, body)).await;
                let retryable = resp.extensions().get::<ProxyError>().is_some_and(ProxyError::is_retryable);
                if !retryable || tries >= settings.attempts || lender.read.load(Ordering::SeqCst) {
                    return resp;
                }
                let wait = match backoff.as_mut() {
                    None => Duration::ZERO,
                    Some(b) => match b.next(rand::random::<f64>()) {
                        Some(wait) => wait,
                        None => return resp,
                    },
                };
                tries += 1;
                tracing::debug!(attempt = tries, ?wait, "retry: new attempt");
                drop(resp);
                if !wait.is_zero() {
                    tokio::time::sleep(wait).await;
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use http_body_util::BodyExt;

    use super::super::handler_fn;
    use super::super::test_support::{get, text};
    use super::*;
    use crate::body::full;
    use crate::errors::{NoAvailableServer, UpstreamFailed, UpstreamTimeout};

    fn layer(attempts: i64, interval_ms: i64, next: SharedHandler) -> SharedHandler {
        let config = Config {
            attempts: Some(attempts),
            initial_interval: Some(crate::config::GoDuration::from_nanos(interval_ms * 1_000_000)),
        };
        build(&config, &BuildContext::new("t")).expect("builds").wrap(next)
    }

    fn refused() -> crate::body::Response {
        ProxyError::from(UpstreamFailed { server: "http://x".into(), cause: "refused".into() }).into_response()
    }

    /// Fails `failures` times without reading the body, then echoes the body.
    fn flaky(failures: usize, calls: Arc<AtomicUsize>) -> SharedHandler {
        handler_fn(move |req: Request| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < failures {
                    return refused();
                }
                let body = req.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
                crate::body::Response::new(full(body))
            }
        })
    }

    fn post(body: &'static str) -> Request {
        let mut req = get("h", "/");
        *req.method_mut() = http::Method::POST;
        *req.body_mut() = full(body);
        req
    }

    #[tokio::test]
    async fn retries_until_an_upstream_answers_and_replays_the_body() {
        let calls = Arc::new(AtomicUsize::new(0));
        let resp = layer(3, 0, flaky(2, calls.clone())).handle(post("payload")).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(text(resp).await, "payload");
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn gives_up_after_the_attempts() {
        let calls = Arc::new(AtomicUsize::new(0));
        let resp = layer(2, 0, flaky(5, calls.clone())).handle(get("h", "/")).await;
        assert_eq!(resp.status(), 502);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn only_requests_that_reached_no_upstream_are_retried() {
        for (resp, retried) in [
            (ProxyError::from(NoAvailableServer { service: "s".into() }).into_response(), true),
            (ProxyError::from(UpstreamTimeout { server: "u".into() }).into_response(), false),
            (
                {
                    let mut r = crate::body::Response::new(full("upstream says 502"));
                    *r.status_mut() = http::StatusCode::BAD_GATEWAY;
                    r
                },
                false,
            ),
        ] {
            let calls = Arc::new(AtomicUsize::new(0));
            let template = Arc::new(Mutex::new(Some(resp)));
            let c = calls.clone();
            let h = handler_fn(move |_req: Request| {
                let first = template.lock().unwrap_or_else(PoisonError::into_inner).take();
                c.fetch_add(1, Ordering::SeqCst);
                async move { first.unwrap_or_else(|| crate::body::Response::new(full("second"))) }
            });
            let _ = layer(3, 0, h).handle(get("h", "/")).await;
            assert_eq!(calls.load(Ordering::SeqCst), if retried { 2 } else { 1 });
        }
    }

    #[tokio::test]
    async fn a_try_that_read_the_body_is_not_retried() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let h = handler_fn(move |req: Request| {
            c.fetch_add(1, Ordering::SeqCst);
            async move {
                let _ = req.into_body().frame().await;
                refused()
            }
        });
        assert_eq!(layer(3, 0, h).handle(post("x")).await.status(), 502);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn waits_on_traefiks_exponential_backoff() {
        let stamps = Arc::new(Mutex::new(Vec::new()));
        let s = stamps.clone();
        let h = handler_fn(move |_req: Request| {
            s.lock().unwrap_or_else(PoisonError::into_inner).push(Instant::now());
            async { refused() }
        });
        let resp = layer(3, 100, h).handle(get("h", "/")).await;
        assert_eq!(resp.status(), 502);
        let stamps = stamps.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(stamps.len(), 3);
        let first = stamps[1] - stamps[0];
        let second = stamps[2] - stamps[1];
        // 100 ms ± 50%, then 100 ms × √2 ± 50%.
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(151), "{first:?}");
        assert!(second >= Duration::from_millis(70) && second <= Duration::from_millis(213), "{second:?}");
    }

    #[test]
    fn backoff_progression() {
        let settings = Settings { attempts: 5, initial_interval: Duration::from_secs(1) };
        let mut b = Backoff::new(&settings).expect("backoff");
        let waits: Vec<f64> = (0..4).filter_map(|_| b.next(0.5)).map(|d| d.as_secs_f64()).collect();
        // The middle of each range: 1, 2^(1/4), 2^(2/4), 2^(3/4) seconds.
        for (i, w) in waits.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let want = 2f64.powf(i as f64 / 4.0);
            assert!((w - want).abs() < 1e-3, "{i}: {w} vs {want}");
        }
        assert!(Backoff::new(&Settings { attempts: 1, initial_interval: Duration::from_secs(1) }).is_none());
        assert!(Backoff::new(&Settings { attempts: 3, initial_interval: Duration::ZERO }).is_none());
    }
}
