//! `rateLimit`: a token bucket per traffic source, so that one client cannot take a service's
//! whole capacity. Requests slightly early are delayed; the others get 429 with `Retry-After`.
//!
//! Traefik's semantics (`pkg/middlewares/ratelimiter`, on `golang.org/x/time/rate`):
//! - the bucket refills at `average / period` tokens per second (`period` defaults to 1s;
//!   `average: 0` means no limit) and holds `burst` tokens (at least 1); a new bucket is full;
//! - a request takes a token; when none is left it may still borrow one if the token arrives
//!   within `maxDelay` (1 / (2 × rate), or 500 ms for rates below 1/s) and then waits for it;
//!   otherwise it is answered 429 `Too Many Requests` with `Retry-After` (whole seconds, rounded
//!   up) and `X-Retry-In` (Go's duration format), and takes nothing;
//! - the source is `sourceCriterion` ([`Source`]): the client IP by default (`ipStrategy`),
//!   a request header's value, or the request host; the three are mutually exclusive;
//! - a bucket unused for its TTL (2 s, or 1 + 1/rate seconds for rates below 1/s) is forgotten,
//!   and at most 65,536 sources are kept per router (the soonest to expire make room).
//!
//! Buckets live in the handler returned by `wrap`, so each router has its own, as in Traefik.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderName, HeaderValue, StatusCode};
use tokio::time::Instant;

use super::ip_allow_list::{status_text_response, ClientIp};
use super::{request_host, BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler};
use crate::config::{GoDuration, RateLimit as Config, SourceCriterion};

/// Most sources tracked per router (Traefik's `maxSources`).
const MAX_SOURCES: usize = 65_536;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    Ok(Arc::new(RateLimit(Arc::new(Settings::new(config, ctx)?))))
}

impl Settings {
    fn new(config: &Config, ctx: &BuildContext<'_>) -> Result<Self, BuildError> {
        let source = Source::new(config.source_criterion.as_ref(), DefaultSource::ClientIp)
            .map_err(|e| ctx.invalid(format!("rateLimit.sourceCriterion: {e}")))?;
        let period = match config.period {
            None => Duration::from_secs(1),
            Some(p) => match p.to_std() {
                None => return Err(ctx.invalid("rateLimit.period: negative value not valid")),
                Some(d) if d.is_zero() => Duration::from_secs(1),
                Some(d) => d,
            },
        };
        let average = config.average.unwrap_or(0);
        if average < 0 {
            return Err(ctx.invalid("rateLimit.average: must not be negative"));
        }
        let rate = if average > 0 {
            #[allow(clippy::cast_precision_loss)]
            let average = average as f64;
            average / period.as_secs_f64()
        } else {
            f64::INFINITY
        };
        let max_delay = if rate.is_infinite() {
            Duration::ZERO
        } else if rate < 1.0 {
            Duration::from_millis(500)
        } else {
            // Go: time.Second / (time.Duration(rate) * 2), in whole nanoseconds.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let per_second = rate as u64;
            Duration::from_nanos(1_000_000_000 / per_second.saturating_mul(2).max(1))
        };
        let ttl_secs = if rate >= 1.0 {
            2
        } else {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let inverse = (1.0 / rate) as u64;
            1 + inverse
        };
        let burst = config.burst.unwrap_or(0).max(1);
        #[allow(clippy::cast_precision_loss)]
        let burst = burst as f64;
        Ok(Settings { source, rate, burst, max_delay, ttl: Duration::from_secs(ttl_secs) })
    }
}

/// What identifies a traffic source when none is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DefaultSource {
    /// The client IP (`rateLimit`).
    ClientIp,
    /// The request host (`inFlightReq`).
    RequestHost,
}

/// Traefik's `sourceCriterion`: what requests are grouped by.
#[derive(Debug)]
pub(super) enum Source {
    /// The client IP by an `ipStrategy`.
    Ip(ClientIp),
    /// A request header's (first) value; a request without it is the source "".
    Header(HeaderName),
    /// The `Host`, port included.
    Host,
}

impl Source {
    /// The extractor for `criterion`, or `default` when it sets nothing.
    pub(super) fn new(criterion: Option<&SourceCriterion>, default: DefaultSource) -> Result<Self, String> {
        let empty = SourceCriterion::default();
        let c = criterion.unwrap_or(&empty);
        let header = c.request_header_name.as_deref().filter(|h| !h.is_empty());
        let host = c.request_host == Some(true);
        match (&c.ip_strategy, header, host) {
            (Some(_), Some(_), _) => Err("ipStrategy and requestHeaderName are mutually exclusive".to_owned()),
            (Some(_), _, true) => Err("ipStrategy and requestHost are mutually exclusive".to_owned()),
            (_, Some(_), true) => Err("requestHost and requestHeaderName are mutually exclusive".to_owned()),
            (Some(strategy), None, false) => ClientIp::new(Some(strategy)).map(Source::Ip),
            (None, Some(name), false) => HeaderName::try_from(name)
                .map(Source::Header)
                .map_err(|_| format!("requestHeaderName: invalid header name {name:?}")),
            (None, None, true) => Ok(Source::Host),
            (None, None, false) => match default {
                DefaultSource::ClientIp => ClientIp::new(None).map(Source::Ip),
                DefaultSource::RequestHost => Ok(Source::Host),
            },
        }
    }

    /// The source of `req`.
    pub(super) fn extract(&self, req: &Request) -> String {
        match self {
            Source::Ip(strategy) => strategy.get(req),
            Source::Header(name) => {
                req.headers().get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).unwrap_or_default()
            }
            Source::Host => request_host(req).to_owned(),
        }
    }
}

struct Settings {
    source: Source,
    /// Tokens per second; infinite when there is no limit.
    rate: f64,
    burst: f64,
    max_delay: Duration,
    ttl: Duration,
}

struct RateLimit(Arc<Settings>);

impl Middleware for RateLimit {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { settings: self.0.clone(), buckets: Arc::new(Mutex::new(HashMap::new())), next })
    }
}

struct Bucket {
    tokens: f64,
    last: Instant,
    expires: Instant,
}

type Buckets = Arc<Mutex<HashMap<String, Bucket>>>;

struct Layer {
    settings: Arc<Settings>,
    buckets: Buckets,
    next: SharedHandler,
}

impl Settings {
    /// Takes a token for `source` at `now`: `Ok(wait)` when the request may go after `wait`,
    /// `Err(wait)` when the token is further away than `max_delay` (nothing is taken).
    fn reserve(
        &self,
        buckets: &Mutex<HashMap<String, Bucket>>,
        source: String,
        now: Instant,
    ) -> Result<Duration, Duration> {
        let mut map = buckets.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let fresh = Bucket { tokens: self.burst, last: now, expires: now + self.ttl };
        let bucket = match map.get_mut(&source) {
            Some(b) if b.expires >= now => b,
            Some(b) => {
                *b = fresh;
                b
            }
            None => {
                if map.len() >= MAX_SOURCES {
                    make_room(&mut map, now);
                }
                map.entry(source).or_insert(fresh)
            }
        };
        bucket.expires = now + self.ttl;
        if self.rate.is_infinite() {
            return Ok(Duration::ZERO);
        }
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        let available = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.last = now;
        let left = available - 1.0;
        if left >= 0.0 {
            bucket.tokens = left;
            return Ok(Duration::ZERO);
        }
        let wait = nanos(-left / self.rate);
        if wait > self.max_delay {
            bucket.tokens = available;
            Err(wait)
        } else {
            bucket.tokens = left;
            Ok(wait)
        }
    }
}

/// Go's `time.Duration(1e9 * seconds)`.
fn nanos(seconds: f64) -> Duration {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let ns = (1e9 * seconds) as u64;
    Duration::from_nanos(ns)
}

/// Drops expired buckets, or the one expiring first when none has (Traefik's ttlmap).
fn make_room(map: &mut HashMap<String, Bucket>, now: Instant) {
    let before = map.len();
    map.retain(|_, b| b.expires >= now);
    if map.len() < before {
        return;
    }
    if let Some(key) = map.iter().min_by_key(|(_, b)| b.expires).map(|(k, _)| k.clone()) {
        map.remove(&key);
    }
}

/// The 429 Traefik answers when the wait would be too long.
fn too_many_requests(wait: Duration) -> crate::body::Response {
    let mut resp = status_text_response(StatusCode::TOO_MANY_REQUESTS);
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let headers = resp.headers_mut();
    headers.insert(http::header::RETRY_AFTER, HeaderValue::from(seconds));
    let go = GoDuration::from_nanos(i64::try_from(wait.as_nanos()).unwrap_or(i64::MAX)).to_string();
    if let Ok(v) = HeaderValue::from_str(&go) {
        headers.insert("x-retry-in", v);
    }
    resp
}

impl Handler for Layer {
    fn handle(&self, req: Request) -> HandlerFuture {
        let source = self.settings.source.extract(&req);
        match self.settings.reserve(&self.buckets, source, Instant::now()) {
            Ok(wait) if wait.is_zero() => self.next.handle(req),
            Ok(wait) => {
                let next = self.next.clone();
                Box::pin(async move {
                    tokio::time::sleep(wait).await;
                    next.handle(req).await
                })
            }
            Err(wait) => {
                let resp = too_many_requests(wait);
                Box::pin(async move { resp })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(average: i64, period: Option<GoDuration>, burst: Option<i64>) -> Settings {
        let config = Config { average: Some(average), period, burst, ..Config::default() };
        Settings::new(&config, &BuildContext::new("t")).expect("builds")
    }

    #[test]
    fn token_bucket_follows_x_time_rate() {
        let s = settings(10, None, Some(2));
        let buckets = Mutex::new(HashMap::new());
        let t0 = Instant::now();
        assert_eq!(s.reserve(&buckets, "a".into(), t0), Ok(Duration::ZERO));
        assert_eq!(s.reserve(&buckets, "a".into(), t0), Ok(Duration::ZERO));
        // Empty: the next token is 100 ms away, more than 1/(2*10) s.
        assert_eq!(s.reserve(&buckets, "a".into(), t0), Err(Duration::from_millis(100)));
        // A refused request takes nothing: 60 ms later the wait is 40 ms, within the delay.
        let wait = s.reserve(&buckets, "a".into(), t0 + Duration::from_millis(60)).expect("delayed");
        assert!(wait > Duration::from_millis(39) && wait <= Duration::from_millis(40), "{wait:?}");
        // Another source has its own bucket.
        assert_eq!(s.reserve(&buckets, "b".into(), t0), Ok(Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn early_requests_wait_late_ones_get_429() {
        use super::super::test_support::{echo, get};
        let config = Config {
            average: Some(10),
            burst: Some(1),
            source_criterion: Some(SourceCriterion { request_host: Some(true), ..SourceCriterion::default() }),
            ..Config::default()
        };
        let mw = build(&config, &BuildContext::new("t")).expect("builds");
        let h = mw.wrap(echo());
        assert_eq!(h.handle(get("a", "/")).await.status(), 200);
        let refused = h.handle(get("a", "/")).await;
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers().get("x-retry-in").map(|v| v.as_bytes()), Some(&b"100ms"[..]));
        assert_eq!(super::super::test_support::text(refused).await, "Too Many Requests");
        tokio::time::advance(Duration::from_millis(60)).await;
        let started = Instant::now();
        assert_eq!(h.handle(get("a", "/")).await.status(), 200);
        assert_eq!(started.elapsed(), Duration::from_millis(40), "waits for the token instead of refusing");
        // Buckets are per router: another wrap starts full.
        let other = mw.wrap(echo());
        assert_eq!(other.handle(get("a", "/")).await.status(), 200);
    }

    #[test]
    fn no_average_means_no_limit() {
        let s = settings(0, None, None);
        let buckets = Mutex::new(HashMap::new());
        let now = Instant::now();
        for _ in 0..1000 {
            assert_eq!(s.reserve(&buckets, String::new(), now), Ok(Duration::ZERO));
        }
    }

    #[test]
    fn sources_are_bounded() {
        let mut map = HashMap::new();
        let now = Instant::now();
        for i in 0..3u64 {
            map.insert(i.to_string(), Bucket { tokens: 1.0, last: now, expires: now + Duration::from_secs(i + 1) });
        }
        make_room(&mut map, now);
        assert_eq!(map.len(), 2);
        assert!(!map.contains_key("0"), "the bucket expiring first goes");
        make_room(&mut map, now + Duration::from_secs(10));
        assert!(map.is_empty(), "expired buckets go first");
    }

    #[test]
    fn criteria_are_mutually_exclusive() {
        let both = SourceCriterion {
            ip_strategy: Some(crate::config::IpStrategy::default()),
            request_host: Some(true),
            ..SourceCriterion::default()
        };
        let config = Config { source_criterion: Some(both), ..Config::default() };
        let err = build(&config, &BuildContext::new("t")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("mutually exclusive"), "{err}");
    }

    #[test]
    fn retry_headers() {
        let resp = too_many_requests(Duration::from_millis(1500));
        assert_eq!(resp.status(), 429);
        assert_eq!(resp.headers().get("retry-after").map(|v| v.as_bytes()), Some(&b"2"[..]));
        assert_eq!(resp.headers().get("x-retry-in").map(|v| v.as_bytes()), Some(&b"1.5s"[..]));
    }
}
