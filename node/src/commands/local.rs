//! Commands that talk to a running node through its local socket.

use traefikee_apiserver::types::{ClusterInfo, NodeList, RemovedNode, Tokens};
use traefikee_cli::output;

use crate::cli::args::{BackupCmdArgs, DeployCmdArgs, ListNodesArgs, RmNodeArgs, SocketArgs, StatusArgs};
use crate::cli::Outcome;
use crate::local_client::LocalClient;

pub async fn list_nodes(args: ListNodesArgs) -> Outcome {
    let list: NodeList = LocalClient::new(&args.socket.traefikeesocket).get("/api/v1/nodes").await?;
    output::warn_stale(list.warning.as_deref());
    print!("{}", output::render(args.output, &list, |l| output::nodes_table(l, args.details)));
    Ok(())
}

pub async fn status(args: StatusArgs) -> Outcome {
    let info: ClusterInfo = LocalClient::new(&args.socket.traefikeesocket).get("/api/v1/cluster").await?;
    output::warn_stale(info.warning.as_deref());
    print!("{}", output::render(args.output, &info, output::cluster_info));
    Ok(())
}

fn print_env(tokens: &Tokens) {
    println!("export CONTROL_NODE_TOKEN=\"{}\"", output::escape(&tokens.control_node_token));
    println!("export DATA_NODE_TOKEN=\"{}\"", output::escape(&tokens.data_node_token));
}

pub async fn env(args: SocketArgs) -> Outcome {
    let tokens: Tokens = LocalClient::new(&args.traefikeesocket).get("/api/v1/tokens").await?;
    print_env(&tokens);
    Ok(())
}

pub async fn rotate_tokens(args: SocketArgs) -> Outcome {
    let tokens: Tokens = LocalClient::new(&args.traefikeesocket).post::<(), _>("/api/v1/tokens/rotate", None).await?;
    eprintln!("Join tokens rotated: the previous ones are refused from now on.");
    print_env(&tokens);
    Ok(())
}

pub async fn rm_node(args: RmNodeArgs) -> Outcome {
    let path = format!("/api/v1/nodes/{}", encode_segment(&args.node));
    let removed: RemovedNode = LocalClient::new(&args.socket.traefikeesocket).delete(&path).await?;
    println!(
        "Node {} ({}) removed from the cluster",
        output::escape(&removed.removed.name),
        output::escape(&removed.removed.id)
    );
    Ok(())
}

pub async fn deploy(args: DeployCmdArgs) -> Outcome {
    use traefikee_apiserver::types::DeployResult;
    use traefikee_cli::deploy::{report, request, wait_for_version};
    let client = LocalClient::new(&args.socket.traefikeesocket);
    let req = request(&args.deploy)?;
    let result: DeployResult = client.post("/api/v1/config", Some(&req)).await?;
    report(&result);
    if let (true, Some(version)) = (args.deploy.wait, result.version) {
        let timeout = std::time::Duration::from_secs(args.deploy.wait_timeout);
        wait_for_version(version, timeout, || async {
            client.get::<NodeList>("/api/v1/nodes").await.map_err(Into::into)
        })
        .await?;
    }
    Ok(())
}

pub async fn backup(args: BackupCmdArgs) -> Outcome {
    let client = LocalClient::new(&args.socket.traefikeesocket);
    let fetch = async {
        client.call_raw(http::Method::GET, "/api/v1/backup", Vec::new(), "application/json").await.map_err(Into::into)
    };
    traefikee_cli::commands::backup::take_backup(&args.backup, "the cluster", None, fetch).await
}

/// Percent-encodes a path segment (node names are host names, but be safe).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
