//! A local port forwarded to the controllers' API, as `kubectl port-forward` does: the API
//! Service is a ClusterIP one, so from an operator's machine `connect --kubernetes` reaches
//! it through the Kubernetes API server.

use std::net::SocketAddr;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::Client;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::error::reason;
use crate::install::pod_ready;
use crate::render::{API_PORT, APP, LABEL_COMPONENT, LABEL_NAME};
use crate::KubeError;

/// A listener on `127.0.0.1:<random port>` whose every connection is forwarded to port 55055
/// of a ready controller (chosen per connection, so a controller going away is survived by
/// the next connection). Forwarding stops when this is dropped.
#[derive(Debug)]
pub struct ApiForward {
    /// Where to connect: `127.0.0.1:<port>`.
    pub local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for ApiForward {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Forwards a local port to the API of a ready controller in `namespace`. Fails at once when
/// no controller is ready.
pub async fn forward_api(client: Client, namespace: &str) -> Result<ApiForward, KubeError> {
    ready_controller(&client, namespace).await?;
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.map_err(|e| KubeError::Api {
        action: "listening on 127.0.0.1 for the port forward".into(),
        reason: e.to_string(),
    })?;
    let local_addr = listener.local_addr().map_err(|e| KubeError::Api {
        action: "listening on 127.0.0.1 for the port forward".into(),
        reason: e.to_string(),
    })?;
    let namespace = namespace.to_string();
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else { continue };
            let client = client.clone();
            let namespace = namespace.clone();
            tokio::spawn(async move {
                // A failure closes this connection; the caller's client reports it.
                let Ok(pod) = ready_controller(&client, &namespace).await else { return };
                let Ok(mut forwarder) = Api::<Pod>::namespaced(client, &namespace).portforward(&pod, &[API_PORT]).await
                else {
                    return;
                };
                if let Some(mut upstream) = forwarder.take_stream(API_PORT) {
                    let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
                }
                forwarder.abort();
            });
        }
    });
    Ok(ApiForward { local_addr, task })
}

/// The name of a ready controller pod in `namespace`, the lowest ordinal first.
pub(crate) async fn ready_controller(client: &Client, namespace: &str) -> Result<String, KubeError> {
    let selector = format!("{LABEL_NAME}={APP},{LABEL_COMPONENT}=controller");
    let pods = Api::<Pod>::namespaced(client.clone(), namespace)
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| KubeError::Api {
        action: format!("listing the controller pods of namespace {namespace}"),
        reason: reason(&e),
    })?;
    let mut ready: Vec<String> = pods
        .items
        .iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none() && pod_ready(p))
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    ready.sort_by_key(|n| (n.len(), n.clone()));
    ready.into_iter().next().ok_or_else(|| KubeError::NoReadyController { namespace: namespace.into() })
}
