//! Entry point of the `traefikee` binary: parse, set up logging, run a command, report.

pub mod args;

use std::process::ExitCode;

use clap::Parser;
use traefikee_apiserver::{ApiError, ErrorCode};

pub use args::Cli;
use args::Command;

/// A failure to report to the user: `error: ...` and, when useful, `hint: ...`.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hint: Option<String>,
    pub code: u8,
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure { message: message.into(), hint: None, code: code.exit_code() }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure { code: e.code.exit_code(), message: e.message, hint: e.hint }
    }
}

pub type Outcome = Result<(), Failure>;

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
        Err(f) => {
            eprintln!("error: {}", f.message);
            if let Some(hint) = f.hint {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(f.code)
        }
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
        Command::ListNodes(args) => commands::local::list_nodes(args).await,
        Command::Env(args) => commands::local::env(args).await,
        Command::Status(args) => commands::local::status(args).await,
        Command::Tokens(args::TokensCommand::Rotate(args)) => commands::local::rotate_tokens(args).await,
        Command::RmNode(args) => commands::local::rm_node(args).await,
        Command::Version => {
            println!("traefikee {}", traefikee_apiserver::VERSION);
            Ok(())
        }
    }
}
