//! `inFlightReq`: caps the requests being served at once per traffic source, so that slow
//! requests from one source cannot hold every connection of a backend.
//!
//! Traefik's semantics (`pkg/middlewares/inflightreq`, on oxy's `connlimit`): the source is
//! `sourceCriterion` as for `rateLimit`, but by default the request **host** (not the client
//! IP); a request arriving when its source already has `amount` requests in flight is answered
//! 429 with `max connections reached: <amount>` as body. A request counts until its response
//! has been sent: the slot is released when the response body ends or is dropped, as Go's
//! handler returns only once the body is written. Counters live in the handler returned by
//! `wrap`, one set per router.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use hyper::body::{Body as HttpBody, Frame, SizeHint};

use super::rate_limit::{DefaultSource, Source};
use super::{BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler};
use crate::body::{boxed, full, Body, BoxError, Response};
use crate::config::InFlightReq as Config;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    let amount =
        config.amount.filter(|a| *a > 0).ok_or_else(|| ctx.invalid("inFlightReq.amount must be greater than zero"))?;
    let source = Source::new(config.source_criterion.as_ref(), DefaultSource::RequestHost)
        .map_err(|e| ctx.invalid(format!("inFlightReq.sourceCriterion: {e}")))?;
    Ok(Arc::new(InFlightReq(Arc::new(Settings { source, amount }))))
}

struct Settings {
    source: Source,
    amount: i64,
}

struct InFlightReq(Arc<Settings>);

impl Middleware for InFlightReq {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { settings: self.0.clone(), counters: Arc::default(), next })
    }
}

type Counters = Arc<Mutex<HashMap<String, i64>>>;

struct Layer {
    settings: Arc<Settings>,
    counters: Counters,
    next: SharedHandler,
}

/// One request in flight for `source`; released on drop.
struct Slot {
    counters: Counters,
    source: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.source) {
            *n -= 1;
            if *n <= 0 {
                map.remove(&self.source);
            }
        }
    }
}

impl Layer {
    fn acquire(&self, source: String) -> Option<Slot> {
        let mut map = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let current = map.entry(source.clone()).or_insert(0);
        if *current >= self.settings.amount {
            return None;
        }
        *current += 1;
        Some(Slot { counters: self.counters.clone(), source })
    }
}

/// A response body that keeps its request's slot until it ends or is dropped.
struct HoldSlot {
    inner: Body,
    slot: Option<Slot>,
}

impl HttpBody for HoldSlot {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) {
            self.slot = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Handler for Layer {
    fn handle(&self, req: Request) -> HandlerFuture {
        let source = self.settings.source.extract(&req);
        let Some(slot) = self.acquire(source) else {
            let mut resp = Response::new(full(format!("max connections reached: {}", self.settings.amount)));
            *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            resp.headers_mut()
                .insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            return Box::pin(async move { resp });
        };
        let fut = self.next.handle(req);
        Box::pin(async move {
            let resp = fut.await;
            let (parts, body) = resp.into_parts();
            Response::from_parts(parts, boxed(HoldSlot { inner: body, slot: Some(slot) }))
        })
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::super::test_support::{echo, get, text};
    use super::*;
    use crate::config::SourceCriterion;

    fn layer(amount: i64, criterion: Option<SourceCriterion>, next: SharedHandler) -> SharedHandler {
        let mw = build(&Config { amount: Some(amount), source_criterion: criterion }, &BuildContext::new("t"))
            .expect("builds");
        mw.wrap(next)
    }

    #[tokio::test]
    async fn the_slot_is_held_until_the_body_is_done() {
        let h = layer(1, None, echo());
        let first = h.handle(get("a.example", "/")).await;
        assert_eq!(first.status(), 200);
        let refused = h.handle(get("a.example", "/")).await;
        assert_eq!(refused.status(), 429);
        assert_eq!(text(refused).await, "max connections reached: 1");
        // Another host is another source (the default criterion is the host).
        assert_eq!(h.handle(get("b.example", "/")).await.status(), 200);
        // Reading the first body to its end frees the slot.
        let _ = first.into_body().collect().await;
        assert_eq!(h.handle(get("a.example", "/")).await.status(), 200);
    }

    #[tokio::test]
    async fn dropping_the_response_frees_the_slot() {
        let h = layer(2, None, echo());
        let a = h.handle(get("h", "/")).await;
        let b = h.handle(get("h", "/")).await;
        assert_eq!(h.handle(get("h", "/")).await.status(), 429);
        drop((a, b));
        assert_eq!(h.handle(get("h", "/")).await.status(), 200);
    }

    #[tokio::test]
    async fn header_criterion() {
        let criterion = SourceCriterion { request_header_name: Some("X-User".into()), ..SourceCriterion::default() };
        let h = layer(1, Some(criterion), echo());
        let mut alice = get("h", "/");
        alice.headers_mut().insert("x-user", HeaderValue::from_static("alice"));
        let held = h.handle(alice).await;
        let mut bob = get("h", "/");
        bob.headers_mut().insert("x-user", HeaderValue::from_static("bob"));
        assert_eq!(h.handle(bob).await.status(), 200);
        let mut alice = get("h", "/");
        alice.headers_mut().insert("x-user", HeaderValue::from_static("alice"));
        assert_eq!(h.handle(alice).await.status(), 429);
        drop(held);
    }
}
