//! `completion SHELL`: the completion script on stdout.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::Cli;

pub fn run(shell: Shell) {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "traefikeectl", &mut script);
    traefikee_client::output::print(&String::from_utf8_lossy(&script));
}
