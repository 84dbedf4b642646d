//! A client for the current kubeconfig context, checked to answer before it is returned.

use std::path::Path;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::{Client, Config};

use crate::error::error_chain;
use crate::KubeError;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the first request (`/version`) may take before the server counts as unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// A client for the current context of `$KUBECONFIG` or `~/.kube/config`; inside a pod
/// without a kubeconfig, its service account. Fails with a clear error when there is no
/// kubeconfig, when it cannot be used, or when its API server does not answer.
pub async fn client_from_kubeconfig() -> Result<Client, KubeError> {
    let config = match Config::from_kubeconfig(&KubeConfigOptions::default()).await {
        Ok(config) => config,
        Err(e @ (KubeconfigError::FindPath | KubeconfigError::ReadConfig(..))) => {
            if std::env::var_os("KUBERNETES_SERVICE_HOST").is_some() {
                Config::incluster().map_err(|ic| KubeError::NoKubeconfig {
                    reason: format!("{}; in-cluster: {}", error_chain(&e), error_chain(&ic)),
                })?
            } else {
                return Err(no_kubeconfig(&e));
            }
        }
        Err(e) => return Err(KubeError::Kubeconfig { reason: error_chain(&e) }),
    };
    connect(config).await
}

/// A client for the current context of the kubeconfig at `path` (a `--kubeconfig` flag).
pub async fn client_from_kubeconfig_file(path: &Path) -> Result<Client, KubeError> {
    let kubeconfig = Kubeconfig::read_from(path).map_err(|e| match e {
        KubeconfigError::ReadConfig(..) => no_kubeconfig(&e),
        other => KubeError::Kubeconfig { reason: format!("{}: {}", path.display(), error_chain(&other)) },
    })?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| KubeError::Kubeconfig { reason: format!("{}: {}", path.display(), error_chain(&e)) })?;
    connect(config).await
}

fn no_kubeconfig(e: &KubeconfigError) -> KubeError {
    let reason = match e {
        KubeconfigError::ReadConfig(io, path) => format!("cannot read {}: {io}", path.display()),
        other => error_chain(other),
    };
    KubeError::NoKubeconfig { reason }
}

/// Builds the client and asks the API server for its version, so that a wrong context or a
/// stopped cluster is reported here, naming the URL, rather than halfway through an install.
async fn connect(mut config: Config) -> Result<Client, KubeError> {
    let url = config.cluster_url.to_string();
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    let client = Client::try_from(config).map_err(|e| KubeError::Kubeconfig { reason: error_chain(&e) })?;
    match tokio::time::timeout(PROBE_TIMEOUT, client.apiserver_version()).await {
        Ok(Ok(_)) => Ok(client),
        Ok(Err(kube::Error::Api(status))) if status.code == 401 => {
            Err(KubeError::Unauthorized { url, reason: status.message.clone() })
        }
        // Any other HTTP answer means the server is there; later calls say what they need.
        Ok(Err(kube::Error::Api(_))) => Ok(client),
        Ok(Err(e)) => Err(KubeError::Unreachable { url, reason: error_chain(&e) }),
        Err(_) => Err(KubeError::Unreachable { url, reason: format!("no answer within {}s", PROBE_TIMEOUT.as_secs()) }),
    }
}
