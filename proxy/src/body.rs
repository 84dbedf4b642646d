//! The one body type that flows through the data plane.
//!
//! Requests come from hyper's server, responses from hyper's client or are made by the proxy
//! itself (errors, redirects, `/metrics`); middlewares may wrap either. Boxing them all into
//! [`Body`] keeps every handler object-safe and the chain free of generic parameters, at the
//! cost of one allocation per body.

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};

/// Any error a body can fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A boxed HTTP body of [`Bytes`] chunks.
pub type Body = UnsyncBoxBody<Bytes, BoxError>;

/// A request as middlewares and services see it.
pub type Request = http::Request<Body>;

/// A response as middlewares and services return it.
pub type Response = http::Response<Body>;

/// A body holding `bytes`.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

/// An empty body.
pub fn empty() -> Body {
    Empty::new().map_err(|never| match never {}).boxed_unsync()
}

/// Boxes any body of [`Bytes`].
pub fn boxed<B>(body: B) -> Body
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    body.map_err(Into::into).boxed_unsync()
}
