//! `list-nodes`, `rm-node`, `status`.

use traefikee_apiserver::types::{ClusterInfo, NodeList, RemovedNode};

use super::Session;
use traefikee_client::output;
use traefikee_client::Outcome;

pub async fn list(s: &Session, details: bool) -> Outcome {
    let list: NodeList = s.client.nodes().await?;
    output::warn_stale(list.warning.as_deref());
    s.print(&list, |l| output::nodes_table(l, details));
    Ok(())
}

pub async fn remove(s: &Session, node: &str) -> Outcome {
    let removed: RemovedNode = s.client.remove_node(node).await?;
    traefikee_client::outln!(
        "Node {} ({}) removed from the cluster",
        output::escape(&removed.removed.name),
        output::escape(&removed.removed.id)
    );
    Ok(())
}

pub async fn status(s: &Session) -> Outcome {
    let info: ClusterInfo = s.client.cluster_info().await?;
    output::warn_stale(info.warning.as_deref());
    s.print(&info, output::cluster_info);
    Ok(())
}
