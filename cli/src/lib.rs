//! traefikeectl: drives a cluster remotely through its mTLS API (see `traefikee-client`).

// Standard output belongs to `traefikee_client::output`: see `output::print`.
#![deny(clippy::print_stdout)]

pub mod args;
pub mod commands;
pub mod profile;
pub mod progress;

use std::process::ExitCode;

use clap::Parser;

use args::{BackupCommand, BackupCommandArgs, Cli, Command, CredentialsCommand, GetCommand, TokensCommand};
use commands::Session;
use traefikee_apiserver::ErrorCode;
use traefikee_client::{Failure, Outcome};

/// Entry point of the `traefikeectl` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return Failure::new(ErrorCode::Internal, format!("cannot start the async runtime: {e}")).report(),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => f.report(),
    }
}

async fn run(cli: Cli) -> Outcome {
    let name = cli.clustername.as_deref();
    let session = || Session::open(name, cli.output);
    match cli.command {
        Command::Connect(args) => commands::connect::run(cli.clustername.clone(), args).await,
        Command::ListNodes(args) => commands::nodes::list(&session().await?, args.details).await,
        Command::RmNode(args) => commands::nodes::remove(&session().await?, &args.node).await,
        Command::Status => commands::nodes::status(&session().await?).await,
        Command::Tokens(TokensCommand::Show) => commands::tokens::show(&session().await?).await,
        Command::Tokens(TokensCommand::Rotate) => commands::tokens::rotate(&session().await?).await,
        Command::Credentials(CredentialsCommand::Create(args)) => {
            commands::credentials::create(&session().await?, args).await
        }
        Command::Credentials(CredentialsCommand::List) => commands::credentials::list(&session().await?).await,
        Command::Credentials(CredentialsCommand::Revoke(args)) => {
            commands::credentials::revoke(&session().await?, &args.credential).await
        }
        Command::Audit(args) => commands::audit::run(&session().await?, args.limit).await,
        Command::Backup(BackupCommandArgs { command: Some(BackupCommand::Inspect(args)), .. }) => {
            commands::backup::inspect(cli.output, &args)
        }
        Command::Backup(args) => commands::backup::backup(&session().await?, &args.backup).await,
        Command::Restore(args) => commands::backup::restore(&session().await?, &args).await,
        Command::Install(args) => commands::install::install(cli.clustername.clone(), &args, cli.output).await,
        Command::Uninstall(args) => commands::install::uninstall(cli.clustername.clone(), &args).await,
        Command::Deploy(args) => commands::config::deploy(&session().await?, &args).await,
        Command::Get(GetCommand::Config) => commands::config::get(&session().await?).await,
        Command::Get(GetCommand::Providers) => commands::config::providers(&session().await?).await,
        Command::Version => commands::version::run(name, cli.output).await,
        Command::Completion(args) => {
            commands::completion::run(args.shell);
            Ok(())
        }
    }
}
