//! The request handler abstraction shared by services and middlewares.
//!
//! A [`Handler`] takes a request and always yields a response: failures are answered with the
//! response Traefik would send ([`crate::errors::ProxyError::into_response`]), so a chain never
//! has an error path to thread through. Handlers are shared (`Arc<dyn Handler>`) and their
//! futures own what they need (`'static`), which lets one built configuration serve many
//! connections at once and be dropped when the last request on it finishes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::body::{Request, Response};

/// The future a handler returns.
pub type HandlerFuture = Pin<Box<dyn Future<Output = Response> + Send + 'static>>;

/// Something that answers HTTP requests: a service, or a middleware wrapping the next handler.
pub trait Handler: Send + Sync + 'static {
    /// Answers `req`.
    fn handle(&self, req: Request) -> HandlerFuture;
}

/// A handler shared between routers and requests.
pub type SharedHandler = Arc<dyn Handler>;

/// A handler made of a closure, for small adapters and tests.
pub fn handler_fn<F, Fut>(f: F) -> SharedHandler
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    Arc::new(FnHandler(f))
}

struct FnHandler<F>(F);

impl<F, Fut> Handler for FnHandler<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Response> + Send + 'static,
{
    fn handle(&self, req: Request) -> HandlerFuture {
        Box::pin((self.0)(req))
    }
}
