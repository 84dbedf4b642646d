//! The `traefikee` command line, as clap types. Command code lives in `crate::commands`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use traefikee_client::output::Format;
use traefikee_records::names::{parse_cluster_name, parse_node_name};

pub const DEFAULT_STATEDIR: &str = "/var/lib/traefikee_state";
pub const DEFAULT_SOCKET: &str = "/var/run/traefikee.sock";

#[derive(Debug, Parser)]
#[command(
    name = "traefikee",
    version,
    about = "traefikee: a highly available ingress cluster — control nodes (Raft) and data nodes (proxies)",
    propagate_version = true,
    after_help = "Run `traefikee <command> --help` for the flags of a command."
)]
pub struct Cli {
    /// Log level: error, warn, info, debug, trace (or a RUST_LOG filter).
    #[arg(long = "log.level", global = true, env = "TRAEFIKEE_LOG_LEVEL", default_value = "info")]
    pub log_level: String,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a cluster: CA, join tokens, API credentials and the first control node.
    Bootstrap(BootstrapArgs),
    /// Start a control node that joins a cluster (or rejoins from its state dir).
    StartControlNode(ControlNodeArgs),
    /// Start a data node (a proxy): joins a cluster, or serves a file with --configfile.
    StartDataNode(DataNodeArgs),
    /// List the nodes of the cluster (through this node's socket).
    ListNodes(ListNodesArgs),
    /// Print the join tokens as shell exports.
    Env(SocketArgs),
    /// Show the cluster's identity, leader and this node's Raft progress.
    Status(StatusArgs),
    /// Manage the join tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Remove a node from the cluster by name or id.
    RmNode(RmNodeArgs),
    /// Validate and deploy a configuration (through this control node's socket).
    Deploy(DeployCmdArgs),
    /// Write a backup of the cluster (through this control node's socket).
    Backup(BackupCmdArgs),
    /// Make this stopped control node the only one of its cluster, when the others are lost
    /// for good (quorum lost); the lost ones are removed when it starts again.
    Recover(RecoverArgs),
    /// Print the version.
    Version,
}

#[derive(Debug, Args)]
pub struct RecoverArgs {
    /// The state dir of the stopped control node.
    #[arg(long, default_value = DEFAULT_STATEDIR)]
    pub statedir: PathBuf,

    /// Address other nodes reach this node's cluster port at (default: the one the cluster
    /// knows).
    #[arg(long)]
    pub advertise: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SocketArgs {
    /// The node's local API socket.
    #[arg(long, env = "TRAEFIKEE_SOCKET", default_value = DEFAULT_SOCKET)]
    pub traefikeesocket: PathBuf,
}

/// Where a control node listens and how others reach it.
#[derive(Debug, Clone, Args)]
pub struct ControlNodeNetArgs {
    /// Address the cluster port listens on.
    #[arg(long, default_value = "0.0.0.0:4242")]
    pub listen: SocketAddr,

    /// Address other nodes reach this node's cluster port at (default: --listen, unless it is
    /// a wildcard address).
    #[arg(long)]
    pub advertise: Option<String>,

    /// Address the mTLS API listens on (default: the --listen IP, port 55055).
    #[arg(long = "api.addr")]
    pub api_addr: Option<SocketAddr>,

    /// Name of this node (default: the host name): 1 to 63 ASCII letters, digits, '-', '_'
    /// and '.', starting with a letter or a digit.
    #[arg(long, value_parser = parse_node_name)]
    pub name: Option<String>,

    /// Where this node keeps its identity and Raft data.
    #[arg(long, default_value = DEFAULT_STATEDIR)]
    pub statedir: PathBuf,

    /// Seconds a data node may stay silent before it leaves the node list (it comes back
    /// when it reports again).
    #[arg(long = "datanode-grace-period", default_value_t = 60, value_name = "SECONDS")]
    pub datanode_grace_period: u64,

    /// Milliseconds between the leader's heartbeats to the other control nodes, which is also
    /// how long each replication request may take: about 1.5 times the longest round trip
    /// between control nodes, 3 times on a lossy link (give every control node of a cluster
    /// the same timing).
    #[arg(long = "raft.heartbeat-interval", value_name = "MS", default_value_t = crate::raft::Timing::DEFAULT_HEARTBEAT_MS)]
    pub raft_heartbeat_interval: u64,

    /// Milliseconds of silence from the leader after which a control node stands for
    /// election (default: the larger of 150 and 3 heartbeat intervals).
    #[arg(long = "raft.election-timeout", value_name = "MS")]
    pub raft_election_timeout: Option<u64>,

    #[command(flatten)]
    pub socket: SocketArgs,
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub net: ControlNodeNetArgs,

    /// Number of control nodes of the cluster. With more than one, this bootstrap node waits
    /// for them, hands the cluster over and exits.
    #[arg(long = "controlnodes", alias = "controlNodes", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=99))]
    pub control_nodes: u32,

    /// Seconds to wait for the control nodes before giving up (no cluster is left behind).
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,

    /// Name of the cluster: 1 to 63 ASCII letters, digits, '-', '_' and '.', starting with a
    /// letter or a digit.
    #[arg(long, default_value = "traefikee", value_parser = parse_cluster_name)]
    pub clustername: String,

    /// Where to write the one-time API credentials for `traefikeectl connect`.
    #[arg(long, default_value = "./.traefikee")]
    pub mtlscertsoutputdir: PathBuf,

    /// Accepted for compatibility with TraefikEE; traefikee needs no license.
    #[arg(long, conflicts_with = "archivepath")]
    pub licensekey: Option<String>,

    /// Start the cluster from a backup archive: same cluster id, CA, tokens, credentials and
    /// configuration (--clustername is then the archive's).
    #[arg(long, value_name = "PATH")]
    pub archivepath: Option<PathBuf>,

    /// Passphrase file of an encrypted --archivepath.
    #[arg(long, value_name = "FILE", requires = "archivepath")]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ControlNodeArgs {
    #[command(flatten)]
    pub net: ControlNodeNetArgs,

    /// Cluster addresses of existing control nodes, comma separated.
    #[arg(long, value_delimiter = ',')]
    pub peeraddresses: Vec<String>,

    /// The control node token (`traefikee env`); not needed to restart from a state dir.
    /// Prefer TRAEFIKEE_TOKEN or --tokenfile: every user of the machine can read a command line.
    #[arg(long, env = "TRAEFIKEE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// A file holding the control node token, readable by its owner only (mode 0600).
    #[arg(long, value_name = "PATH")]
    pub tokenfile: Option<PathBuf>,

    /// Seconds to keep trying to reach a peer before giving up.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct DataNodeArgs {
    /// Cluster addresses of control nodes, comma separated.
    #[arg(long, value_delimiter = ',', conflicts_with = "configfile")]
    pub peeraddresses: Vec<String>,

    /// The data node token (`traefikee env`); not needed to restart from a state dir.
    /// Prefer TRAEFIKEE_TOKEN or --tokenfile: every user of the machine can read a command line.
    #[arg(long, env = "TRAEFIKEE_TOKEN", hide_env_values = true, conflicts_with = "configfile")]
    pub token: Option<String>,

    /// A file holding the data node token, readable by its owner only (mode 0600).
    #[arg(long, value_name = "PATH", conflicts_with = "configfile")]
    pub tokenfile: Option<PathBuf>,

    /// Entry points whose address has no host (`:80`) listen on this IP only, so several data
    /// nodes can share a machine.
    #[arg(long)]
    pub listen: Option<std::net::IpAddr>,

    /// Serve this configuration file (YAML, TOML or JSON) without a cluster, reloading it when
    /// it changes: for development and benchmarks.
    #[arg(long)]
    pub configfile: Option<PathBuf>,

    /// Serve /ping and /metrics (Prometheus) on this address.
    #[arg(long = "metrics.addr", value_name = "IP:PORT")]
    pub metrics_addr: Option<SocketAddr>,

    /// Name of this node (default: the host name): 1 to 63 ASCII letters, digits, '-', '_'
    /// and '.', starting with a letter or a digit.
    #[arg(long, value_parser = parse_node_name)]
    pub name: Option<String>,

    /// Where this node keeps its identity and last configuration.
    #[arg(long, default_value = DEFAULT_STATEDIR)]
    pub statedir: PathBuf,

    /// Seconds to keep trying to reach a control node when joining.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,

    /// On SIGTERM, once requests in flight are done, tell the controllers this node is gone
    /// for good, so `list-nodes` forgets it at once instead of showing it DOWN until the
    /// grace period ends (for replaceable nodes, such as the pods of a Deployment).
    #[arg(long = "leave-on-stop", conflicts_with = "configfile")]
    pub leave_on_stop: bool,

    #[command(flatten)]
    pub socket: SocketArgs,
}

#[derive(Debug, Args)]
pub struct ListNodesArgs {
    /// Show ids, membership, status and availability.
    #[arg(long)]
    pub details: bool,

    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub output: Format,

    #[command(flatten)]
    pub socket: SocketArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub output: Format,

    #[command(flatten)]
    pub socket: SocketArgs,
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Replace both join tokens; the old ones are refused from then on.
    Rotate(SocketArgs),
}

#[derive(Debug, Args)]
pub struct DeployCmdArgs {
    #[command(flatten)]
    pub deploy: traefikee_client::deploy::DeployArgs,

    #[command(flatten)]
    pub socket: SocketArgs,
}

#[derive(Debug, Args)]
pub struct BackupCmdArgs {
    #[command(flatten)]
    pub backup: traefikee_client::backup::BackupArgs,

    #[command(flatten)]
    pub socket: SocketArgs,
}

#[derive(Debug, Args)]
pub struct RmNodeArgs {
    /// Name or id of the node (see `list-nodes --details`).
    pub node: String,

    #[command(flatten)]
    pub socket: SocketArgs,
}
