//! The traefikee data plane engine.
//!
//! - [`rule`]: Traefik v3 router rules, parsed and evaluated with Traefik's semantics.
//! - [`router`]: the per-entry-point index that finds the router for a request without
//!   evaluating every rule.
//!
//! Services, middlewares, listeners and TLS build on these types.

pub mod router;
pub mod rule;
