//! The `traefikeectl` command line, as clap types. Command code lives in `crate::commands`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::Shell;

use traefikee_client::output::Format;

#[derive(Debug, Parser)]
#[command(
    name = "traefikeectl",
    version,
    about = "Drive a traefikee cluster remotely through its mTLS API",
    propagate_version = true,
    after_help = "Start with `traefikeectl connect`; then every command uses the saved profile."
)]
pub struct Cli {
    /// Cluster profile to use (default: the last one connected): 1 to 63 ASCII letters,
    /// digits, '-', '_' and '.', starting with a letter or a digit.
    #[arg(long, global = true, env = "TRAEFIKEECTL_CLUSTERNAME", value_parser = traefikee_records::names::parse_cluster_name)]
    pub clustername: Option<String>,

    /// Output format of read commands.
    #[arg(short, long, global = true, value_enum, default_value_t = Format::Table)]
    pub output: Format,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Exchange a cluster's one-time credentials for your own, and save a profile.
    Connect(ConnectArgs),
    /// List the nodes of the cluster.
    ListNodes(ListNodesArgs),
    /// Remove a node from the cluster by name or id.
    RmNode(RmNodeArgs),
    /// Cluster identity, leader and the answering controller's Raft status.
    Status,
    /// Show or rotate the join tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Manage operator credentials.
    #[command(subcommand)]
    Credentials(CredentialsCommand),
    /// Validate and deploy a configuration; data nodes apply it atomically.
    Deploy(traefikee_client::deploy::DeployArgs),
    /// Show what is deployed.
    #[command(subcommand)]
    Get(GetCommand),
    /// Show the newest changes made to the cluster: who, when, what.
    Audit(AuditArgs),
    /// Write a backup of the cluster (configuration, certificates, CA, tokens, credentials).
    Backup(BackupCommandArgs),
    /// Restore a backup into the running cluster through Raft, in one step.
    Restore(crate::commands::backup::RestoreArgs),
    /// Start a cluster on this machine (`--local`), wait until it is healthy, and connect.
    Install(crate::commands::install::InstallArgs),
    /// Stop a cluster started by `install --local` and remove its state.
    Uninstall(crate::commands::install::UninstallArgs),
    /// Print the client's and the cluster's versions.
    Version,
    /// Print a shell completion script.
    Completion(CompletionArgs),
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Directory holding the one-time credentials (ca.pem, cert.pem, key.pem).
    #[arg(long = "onpremise.mtlscertsdir", value_name = "DIR", required_unless_present = "kubernetes")]
    pub mtlscertsdir: Option<PathBuf>,

    /// API address of a controller, or of a VIP in front of the controllers.
    #[arg(long = "onpremise.apiaddress", value_name = "HOST:PORT", required_unless_present = "kubernetes")]
    pub apiaddress: Option<String>,

    /// Connect to a cluster installed with `install --kubernetes` (current kubeconfig
    /// context): read its one-time credential Secret, use it, delete it.
    #[arg(long, conflicts_with_all = ["mtlscertsdir", "apiaddress"])]
    pub kubernetes: bool,

    /// The cluster's namespace (with --kubernetes).
    #[arg(long, value_name = "NAMESPACE", default_value = traefikee_kube::DEFAULT_NAMESPACE, requires = "kubernetes")]
    pub namespace: String,

    /// Your operator name, when the credentials do not fix one (default: $USER).
    #[arg(long)]
    pub name: Option<String>,

    /// Replace an existing profile of the same name.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ListNodesArgs {
    /// Show ids, membership, status and availability.
    #[arg(long)]
    pub details: bool,
}

#[derive(Debug, Args)]
pub struct RmNodeArgs {
    /// Name or id of the node (see `list-nodes --details`).
    pub node: String,
}

#[derive(Debug, Subcommand)]
pub enum GetCommand {
    /// The deployed configuration (YAML unless -o json).
    Config,
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Print the join tokens as shell exports.
    Show,
    /// Replace both join tokens; the old ones are refused from then on.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum CredentialsCommand {
    /// Create one-time credentials for another operator.
    Create(CreateCredentialArgs),
    /// List operator and one-time credentials with their status.
    List,
    /// Revoke credentials by operator name, serial or id; every controller refuses them.
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct CreateCredentialArgs {
    /// Name of the operator the credentials are for.
    pub name: String,

    /// Where to write them (default: ./<name>-credentials).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Operator name, certificate serial or enrollment id.
    pub credential: String,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct BackupCommandArgs {
    #[command(subcommand)]
    pub command: Option<BackupCommand>,

    #[command(flatten)]
    pub backup: traefikee_client::backup::BackupArgs,
}

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// Print an archive's manifest and verify every checksum (no cluster needed).
    Inspect(crate::commands::backup::InspectArgs),
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// How many of the newest entries to show.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
}
