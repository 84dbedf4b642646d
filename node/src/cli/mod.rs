//! Entry point of the `traefikee` binary: parse, set up logging, run a command, report.

pub mod args;

use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
use args::Command;

pub use traefikee_cli::failure::{Failure, Outcome};

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.log_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(70);
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(format!("{level},openraft=error")))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,openraft=error"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
}

async fn run(command: Command) -> Outcome {
    use crate::commands;
    match command {
        Command::Bootstrap(args) => commands::bootstrap::run(args).await,
        Command::StartControlNode(args) => commands::control_node::run(args).await,
        Command::StartDataNode(args) => commands::data_node::run(args).await,
        Command::ListNodes(args) => commands::local::list_nodes(args).await,
        Command::Env(args) => commands::local::env(args).await,
        Command::Status(args) => commands::local::status(args).await,
        Command::Tokens(args::TokensCommand::Rotate(args)) => commands::local::rotate_tokens(args).await,
        Command::RmNode(args) => commands::local::rm_node(args).await,
        Command::Deploy(args) => commands::local::deploy(args).await,
        Command::Backup(args) => commands::local::backup(args).await,
        Command::Version => {
            println!("traefikee {}", traefikee_apiserver::VERSION);
            Ok(())
        }
    }
}
