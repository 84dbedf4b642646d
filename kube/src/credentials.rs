//! The one-time API credential Secret that `connect --kubernetes` reads, then deletes.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams};
use kube::Client;

use crate::error::is_not_found;
use crate::options::Credentials;
use crate::render::CREDENTIALS_SECRET;
use crate::KubeError;

/// Reads the one-time API credential install left in `namespace` (Secret
/// `traefikee-credentials`: `ca.pem`, `cert.pem`, `key.pem`).
pub async fn read_credentials(client: Client, namespace: &str) -> Result<Credentials, KubeError> {
    let secret = Api::<Secret>::namespaced(client, namespace)
        .get_opt(CREDENTIALS_SECRET)
        .await
        .map_err(|e| KubeError::from_kube(format!("reading Secret {CREDENTIALS_SECRET} in namespace {namespace}"), &e))?
        .ok_or_else(|| KubeError::NoCredentials { namespace: namespace.into(), secret: CREDENTIALS_SECRET.into() })?;
    let data = secret.data.unwrap_or_default();
    let field = |key: &str| -> Result<String, KubeError> {
        let bad = |reason: String| KubeError::BadCredentials {
            namespace: namespace.into(),
            secret: CREDENTIALS_SECRET.into(),
            reason,
        };
        let bytes = data.get(key).ok_or_else(|| bad(format!("it has no {key}")))?;
        let text = String::from_utf8(bytes.0.clone()).map_err(|_| bad(format!("its {key} is not text")))?;
        if text.trim().is_empty() {
            return Err(bad(format!("its {key} is empty")));
        }
        Ok(text)
    };
    Ok(Credentials { ca_pem: field("ca.pem")?, cert_pem: field("cert.pem")?, key_pem: field("key.pem")? })
}

/// Deletes the one-time API credential Secret ("Removing cluster credentials from
/// platform"). Deleting one that is already gone is not an error.
pub async fn delete_credentials(client: Client, namespace: &str) -> Result<(), KubeError> {
    match Api::<Secret>::namespaced(client, namespace).delete(CREDENTIALS_SECRET, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => {
            Err(KubeError::from_kube(format!("deleting Secret {CREDENTIALS_SECRET} in namespace {namespace}"), &e))
        }
    }
}
