//! Entry point of the `traefikee` binary: parse, set up logging, run a command, report.

pub mod args;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::ExitCode;

use clap::Parser;

pub use args::Cli;
use args::Command;

use traefikee_apiserver::ErrorCode;
pub use traefikee_client::{Failure, Outcome};

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
        Command::Recover(args) => commands::recover::run(args).await,
        Command::Version => {
            traefikee_client::outln!("traefikee {}", traefikee_apiserver::VERSION);
            Ok(())
        }
    }
}

/// The join token's text, from `--token` (or `TRAEFIKEE_TOKEN`) or from `--tokenfile`, which
/// must be the owner's alone: a token on a command line is readable by every user of the
/// machine (`/proc/PID/cmdline`), the environment and a private file are not.
pub fn token_text(token: Option<&str>, tokenfile: Option<&Path>) -> Result<Option<String>, Failure> {
    let Some(path) = tokenfile else { return Ok(token.map(str::to_owned)) };
    if token.is_some() {
        return Err(Failure::new(
            ErrorCode::InvalidRequest,
            "the token is given twice: --tokenfile and --token (or TRAEFIKEE_TOKEN)",
        )
        .hint("pass only one of them; unset TRAEFIKEE_TOKEN to use --tokenfile"));
    }
    let unreadable =
        |e: std::io::Error| Failure::refused(format!("cannot read the token file {}: {e}", path.display()));
    let mode = std::fs::metadata(path).map_err(unreadable)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(Failure::refused(format!(
            "the token file {} is readable by others (mode {:03o})",
            path.display(),
            mode & 0o777
        ))
        .hint(format!(
            "chmod 600 {}, and get a new token (`traefikee tokens rotate`) if others may have read it",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(unreadable)?;
    Ok(Some(text.trim().to_owned()))
}

/// This node's name when it joins: `--name` (checked by clap), or the host name when it is a
/// valid node name.
pub fn node_name(given: Option<&str>) -> Result<String, Failure> {
    if let Some(name) = given {
        return Ok(name.to_owned());
    }
    let host = crate::commands::default_name();
    traefikee_records::names::check_node_name(&host)
        .map_err(|e| Failure::refused(format!("the host name is no node name: {e}")).hint("pass --name=NAME"))?;
    Ok(host)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use clap::Parser;

    use super::*;

    #[test]
    fn hostile_names_are_refused_by_the_flags() {
        for (args, kind) in [
            (&["traefikee", "bootstrap", "--clustername=../../x"][..], "cluster name"),
            (&["traefikee", "bootstrap", "--name=a/b"], "node name"),
            (&["traefikee", "start-control-node", "--name=\u{1b}[31mred"], "node name"),
            (&["traefikee", "start-data-node", "--name=.."], "node name"),
        ] {
            let err = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation, "{args:?}");
            assert!(err.to_string().contains(&format!("invalid {kind}")), "{args:?}: {err}");
        }
        assert!(Cli::try_parse_from(["traefikee", "bootstrap", "--clustername=prod-eu.1", "--name=cn1"]).is_ok());
    }

    #[test]
    fn the_token_comes_from_a_private_file_or_the_flag_once() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "tkee1.control.x\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(token_text(None, Some(&file)).unwrap().as_deref(), Some("tkee1.control.x"));
        assert_eq!(token_text(Some("t"), None).unwrap().as_deref(), Some("t"));
        assert_eq!(token_text(None, None).unwrap(), None);

        let twice = token_text(Some("t"), Some(&file)).unwrap_err();
        assert!(twice.message.contains("given twice"), "{}", twice.message);

        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let open = token_text(None, Some(&file)).unwrap_err();
        assert!(open.message.contains("readable by others (mode 644)"), "{}", open.message);
        assert!(open.hint.unwrap().starts_with("chmod 600"));

        let missing = token_text(None, Some(&dir.path().join("nope"))).unwrap_err();
        assert!(missing.message.contains("cannot read the token file"), "{}", missing.message);
    }
}
