//! The traefikee data plane engine.
//!
//! - [`config`]: Traefik's file-provider configuration (static and dynamic parts), loaded from
//!   YAML or TOML and checked, refusing what we do not implement instead of ignoring it.
//! - [`rule`]: Traefik v3 router rules, parsed and evaluated with Traefik's semantics.
//! - [`router`]: the per-entry-point index that finds the router for a request without
//!   evaluating every rule.
//!
//! Services, middlewares, listeners and TLS build on these types.

pub mod config;
pub mod router;
pub mod rule;
