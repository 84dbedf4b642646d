//! `completion SHELL`: the completion script on stdout.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::args::Cli;

pub fn run(shell: Shell) {
    clap_complete::generate(shell, &mut Cli::command(), "traefikeectl", &mut std::io::stdout());
}
