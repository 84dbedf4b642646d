//! traefikee: control nodes (Raft on LMDB) and data nodes.
//!
//! `main.rs` only parses the command line and calls [`cli::run`].

// Standard output belongs to `traefikee_client::output`: see `output::print`.
#![deny(clippy::print_stdout)]

pub mod api;
pub mod authz;
pub mod backup;
pub mod cli;
pub mod cluster_port;
pub mod commands;
pub mod controller;
pub mod currency;
pub mod data_node;
pub mod deploy;
pub mod join;
pub mod providers;
pub mod raft;
pub mod state;
pub mod statedir;
pub mod transport;
pub mod wire;
