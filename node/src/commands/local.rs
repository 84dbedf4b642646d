//! Commands that talk to a running node through its local socket.

use traefikee_apiserver::types::Tokens;
use traefikee_client::progress::Silent;
use traefikee_client::{output, Client};

use crate::cli::args::{BackupCmdArgs, DeployCmdArgs, ListNodesArgs, RmNodeArgs, SocketArgs, StatusArgs};
use crate::cli::Outcome;

pub async fn list_nodes(args: ListNodesArgs) -> Outcome {
    let list = Client::local(&args.socket.traefikeesocket).nodes().await?;
    output::warn_stale(list.warning.as_deref());
    traefikee_client::out!("{}", output::render(args.output, &list, |l| output::nodes_table(l, args.details)));
    Ok(())
}

pub async fn status(args: StatusArgs) -> Outcome {
    let info = Client::local(&args.socket.traefikeesocket).cluster_info().await?;
    output::warn_stale(info.warning.as_deref());
    traefikee_client::out!("{}", output::render(args.output, &info, output::cluster_info));
    Ok(())
}

fn print_env(tokens: &Tokens) {
    traefikee_client::outln!("export CONTROL_NODE_TOKEN=\"{}\"", output::escape(&tokens.control_node_token));
    traefikee_client::outln!("export DATA_NODE_TOKEN=\"{}\"", output::escape(&tokens.data_node_token));
}

pub async fn env(args: SocketArgs) -> Outcome {
    print_env(&Client::local(&args.traefikeesocket).tokens().await?);
    Ok(())
}

pub async fn rotate_tokens(args: SocketArgs) -> Outcome {
    let tokens = Client::local(&args.traefikeesocket).rotate_tokens().await?;
    eprintln!("Join tokens rotated: the previous ones are refused from now on.");
    print_env(&tokens);
    Ok(())
}

pub async fn rm_node(args: RmNodeArgs) -> Outcome {
    let removed = Client::local(&args.socket.traefikeesocket).remove_node(&args.node).await?;
    traefikee_client::outln!(
        "Node {} ({}) removed from the cluster",
        output::escape(&removed.removed.name),
        output::escape(&removed.removed.id)
    );
    Ok(())
}

pub async fn deploy(args: DeployCmdArgs) -> Outcome {
    traefikee_client::deploy::run(&Client::local(&args.socket.traefikeesocket), &args.deploy, &Silent).await
}

pub async fn backup(args: BackupCmdArgs) -> Outcome {
    let client = Client::local(&args.socket.traefikeesocket);
    traefikee_client::backup::take_backup(&client, &args.backup, "the cluster", None, &Silent).await
}
