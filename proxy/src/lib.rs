//! The traefikee data plane engine.
//!
//! - [`config`]: Traefik's file-provider configuration (static and dynamic parts), loaded from
//!   YAML or TOML and checked, refusing what we do not implement instead of ignoring it.
//! - [`rule`]: Traefik v3 router rules, parsed and evaluated with Traefik's semantics.
//! - [`router`]: the per-entry-point index that finds the router for a request without
//!   evaluating every rule.
//! - [`handler`], [`middleware`]: the request handler interface, middlewares and their chains.
//! - [`errors`]: the answers the proxy gives by itself (404, 502, 503, 504...).

pub mod body;
pub mod config;
pub mod context;
pub mod engine;
pub mod errors;
pub mod handler;
pub mod middleware;
pub mod observability;
pub mod router;
pub mod rule;
pub mod service;
pub mod standalone;
pub mod tls;
