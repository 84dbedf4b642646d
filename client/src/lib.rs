//! The one client of the traefikee API, and how both command-line tools report.
//!
//! - [`Client`] (`api.rs`): one typed method per endpoint; the only place that knows the
//!   API's paths. It speaks over one of two transports: mutual TLS to the controllers with
//!   failover (`mtls.rs`, used by `traefikeectl`), or plain HTTP on a node's local socket
//!   (`local.rs`, used by `traefikee`'s own commands). Both decode errors the same way.
//! - [`Failure`] (`failure.rs`): `error: ...`, `hint: ...`, and the exit code of each kind of
//!   failure, the same in both binaries.
//! - [`output`]: tables, JSON and YAML, and the escaping of what a cluster says.
//! - [`deploy`] and [`backup`]: the commands both binaries have, with their flags.
//! - [`progress`]: what a long command shows while it runs, drawn by the caller.

// Standard output belongs to `output`: see `output::print`.
#![deny(clippy::print_stdout)]

mod api;
pub mod backup;
pub mod deploy;
mod failure;
mod local;
mod mtls;
pub mod output;
pub mod progress;

pub use api::Client;
pub use failure::{Failure, Outcome, EXIT_IO};
pub use mtls::Target;
