//! The `traefikeectl` command line: every clap type of the binary, and nothing else. Command
//! code lives in `crate::commands`.
//!
//! Two argument sets are not here: `deploy`'s `DeployArgs` and `backup`'s `BackupArgs` live in
//! the `traefikee-client` crate (`traefikee_client::deploy`, `traefikee_client::backup`),
//! because the `traefikee` daemon's binary offers the same commands with the same flags.

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
    Restore(RestoreArgs),
    /// Start a cluster on this machine (`--local`), wait until it is healthy, and connect.
    Install(InstallArgs),
    /// Stop a cluster started by `install --local` and remove its state.
    Uninstall(UninstallArgs),
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
    /// The deployed configuration (YAML unless -o json), and what each provider gave.
    Config,
    /// The providers (etcd, Consul, Redis) and how each is doing.
    Providers,
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
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The archive.
    pub file: PathBuf,

    /// Passphrase file, for an encrypted archive.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive to restore.
    #[arg(long, value_name = "PATH")]
    pub file: PathBuf,

    /// Passphrase file, for an encrypted archive.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    /// Restore an archive of another cluster (its configuration only).
    #[arg(long)]
    pub force: bool,

    /// Run every check and say what would change, without changing anything.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// How many of the newest entries to show.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["local", "kubernetes"])))]
pub struct InstallArgs {
    /// Start the cluster on this machine: one loopback address per node.
    #[arg(long)]
    pub local: bool,

    /// Install on Kubernetes with the current kubeconfig context.
    #[arg(long)]
    pub kubernetes: bool,

    /// Number of control nodes (odd numbers tolerate failures best).
    #[arg(long = "controlnodes", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=9))]
    pub control_nodes: u32,

    /// Number of data nodes (proxies; at most 20 with --local).
    #[arg(long = "datanodes", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub data_nodes: u32,

    /// Serve the dashboard (not implemented yet: refused).
    #[arg(long)]
    pub dashboard: bool,

    /// Replace an installation of the same name (--local) or in the same namespace
    /// (--kubernetes; its state is deleted).
    #[arg(long)]
    pub force: bool,

    /// The traefikee binary (default: beside traefikeectl, then $PATH).
    #[arg(long, env = "TRAEFIKEE_BIN", value_name = "PATH", conflicts_with = "kubernetes")]
    pub traefikee_bin: Option<PathBuf>,

    /// The namespace to install into (--kubernetes).
    #[arg(long, value_name = "NAMESPACE", default_value = traefikee_kube::DEFAULT_NAMESPACE)]
    pub namespace: String,

    /// The traefikee image the pods run (--kubernetes; default: this version's).
    #[arg(long, value_name = "IMAGE", conflicts_with = "local")]
    pub image: Option<String>,

    /// Start the cluster from a backup: same identity, tokens, credentials and
    /// configuration (--kubernetes).
    #[arg(long = "archivepath", value_name = "FILE", conflicts_with = "local")]
    pub archivepath: Option<PathBuf>,

    /// The backup's passphrase, in a file (with --archivepath).
    #[arg(long = "passphrase-file", value_name = "FILE", requires = "archivepath")]
    pub passphrase_file: Option<PathBuf>,

    /// Print the manifests (YAML, or JSON with -o json) instead of applying them
    /// (--kubernetes).
    #[arg(long = "dry-run", conflicts_with = "local")]
    pub dry_run: bool,

    /// The Kubernetes release to render for with --dry-run, e.g. 1.20 (default: the newest
    /// this version knows; a real install asks the server).
    #[arg(long = "kube-version", value_name = "MAJOR.MINOR", requires = "dry_run")]
    pub kube_version: Option<traefikee_kube::KubeVersion>,

    /// How long to wait for the controllers and proxies to be ready, in seconds.
    #[arg(long = "wait-timeout", value_name = "SECONDS", default_value_t = 300)]
    pub wait_timeout: u64,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["local", "kubernetes"])))]
pub struct UninstallArgs {
    /// Stop the local cluster and remove its state, logs and profile.
    #[arg(long)]
    pub local: bool,

    /// Remove what `install --kubernetes` created (current kubeconfig context), the
    /// controllers' volumes included, and the profile.
    #[arg(long)]
    pub kubernetes: bool,

    /// The cluster's namespace (--kubernetes).
    #[arg(long, value_name = "NAMESPACE", default_value = traefikee_kube::DEFAULT_NAMESPACE)]
    pub namespace: String,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// bash, zsh, fish, powershell or elvish.
    #[arg(value_enum)]
    pub shell: Shell,
}
