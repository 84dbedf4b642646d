//! The traefikee data plane engine.
//!
//! - [`rule`]: Traefik v3 router rules, parsed and evaluated with Traefik's semantics.

pub mod rule;
