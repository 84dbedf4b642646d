//! [`Client`]: one typed method per endpoint of the API, over either transport. The API's
//! paths are written here and nowhere else on the client side.

use std::path::Path;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use traefikee_apiserver::types::{
    AuditLog, ClusterInfo, CreateCredentialRequest, CredentialList, DeployRequest, DeployResult, DeployedConfig,
    ExchangeRequest, ExchangeResponse, NewCredential, NodeList, ProviderList, RemovedNode, RestoreQuery, RestoreResult,
    RevokeRequest, Revoked, Tokens,
};
use traefikee_apiserver::{ApiError, ErrorCode};

use crate::failure::Failure;
use crate::local::LocalTransport;
use crate::mtls::{MtlsTransport, Target};

/// Called with the controllers' API addresses when a request was answered by another
/// controller than the preferred one, so the caller can remember them all.
type Learn = Box<dyn Fn(Vec<String>) + Send + Sync>;

/// A client of one cluster's API.
pub struct Client {
    transport: Transport,
    learn: Option<Learn>,
}

enum Transport {
    Mtls(MtlsTransport),
    Local(LocalTransport),
}

const JSON: &str = "application/json";

impl Client {
    /// An operator's client: mutual TLS with the target's credential, refused at once if that
    /// credential has expired.
    pub fn operator(target: &Target<'_>) -> Result<Client, Failure> {
        Ok(Client { transport: Transport::Mtls(MtlsTransport::operator(target)?), learn: None })
    }

    /// A client presenting any certificate (the one-time credential during `connect`).
    pub fn with_identity(target: &Target<'_>) -> Result<Client, Failure> {
        Ok(Client { transport: Transport::Mtls(MtlsTransport::with_identity(target)?), learn: None })
    }

    /// A client of the node listening on `socket`.
    pub fn local(socket: &Path) -> Client {
        Client { transport: Transport::Local(LocalTransport::new(socket)), learn: None }
    }

    /// Calls `learn` with every controller's API address after a request that another
    /// controller than the preferred one answered.
    pub fn on_failover(mut self, learn: impl Fn(Vec<String>) + Send + Sync + 'static) -> Client {
        self.learn = Some(Box::new(learn));
        self
    }

    pub async fn cluster_info(&self) -> Result<ClusterInfo, Failure> {
        self.get("/api/v1/cluster").await
    }

    pub async fn nodes(&self) -> Result<NodeList, Failure> {
        self.get("/api/v1/nodes").await
    }

    /// Removes a node, named by its name or id.
    pub async fn remove_node(&self, node: &str) -> Result<RemovedNode, Failure> {
        self.call(http::Method::DELETE, &format!("/api/v1/nodes/{}", encode_segment(node)), None::<&()>).await
    }

    pub async fn tokens(&self) -> Result<Tokens, Failure> {
        self.get("/api/v1/tokens").await
    }

    pub async fn rotate_tokens(&self) -> Result<Tokens, Failure> {
        self.post("/api/v1/tokens/rotate", &()).await
    }

    pub async fn create_credential(&self, req: &CreateCredentialRequest) -> Result<NewCredential, Failure> {
        self.post("/api/v1/credentials", req).await
    }

    pub async fn credentials(&self) -> Result<CredentialList, Failure> {
        self.get("/api/v1/credentials").await
    }

    pub async fn revoke_credential(&self, req: &RevokeRequest) -> Result<Revoked, Failure> {
        self.post("/api/v1/credentials/revoke", req).await
    }

    /// Exchanges the one-time credential this client presents for a personal certificate.
    pub async fn exchange(&self, req: &ExchangeRequest) -> Result<ExchangeResponse, Failure> {
        self.post("/api/v1/credentials/exchange", req).await
    }

    pub async fn audit(&self, limit: usize) -> Result<AuditLog, Failure> {
        self.get(&format!("/api/v1/audit?limit={limit}")).await
    }

    pub async fn deploy(&self, req: &DeployRequest) -> Result<DeployResult, Failure> {
        self.post("/api/v1/config", req).await
    }

    pub async fn config(&self) -> Result<DeployedConfig, Failure> {
        self.get("/api/v1/config").await
    }

    pub async fn providers(&self) -> Result<ProviderList, Failure> {
        self.get("/api/v1/providers").await
    }

    /// A plain backup archive, as the cluster sent it.
    pub async fn backup(&self) -> Result<Bytes, Failure> {
        self.send(http::Method::GET, "/api/v1/backup", None).await
    }

    /// Sends a plain backup archive to restore.
    pub async fn restore(&self, archive: Vec<u8>, query: &RestoreQuery) -> Result<RestoreResult, Failure> {
        let path = format!("/api/v1/restore?force={}&dry_run={}", query.force, query.dry_run);
        let bytes = self.send(http::Method::POST, &path, Some((Bytes::from(archive), "application/x-tar"))).await?;
        parse(&bytes)
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        self.call(http::Method::GET, path, None::<&()>).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, Failure> {
        self.call(http::Method::POST, path, Some(body)).await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Failure> {
        let body = match body {
            Some(b) => Some((
                Bytes::from(serde_json::to_vec(b).map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?),
                JSON,
            )),
            None => None,
        };
        parse(&self.send(method, path, body).await?)
    }

    async fn send(&self, method: http::Method, path: &str, body: Option<(Bytes, &str)>) -> Result<Bytes, Failure> {
        match &self.transport {
            Transport::Local(local) => local.send(method, path, body).await,
            Transport::Mtls(mtls) => {
                let (bytes, answered) = mtls.send(method, path, body).await?;
                if let Some(learn) = &self.learn {
                    if mtls.first_address() != Some(answered.as_str()) {
                        // Best effort: the command's answer stands whatever this gives.
                        if let Ok((info, _)) = mtls.send(http::Method::GET, "/api/v1/cluster", None).await {
                            if let Ok(info) = parse::<ClusterInfo>(&info) {
                                learn(info.controllers.into_iter().filter_map(|c| c.api_address).collect());
                            }
                        }
                    }
                }
                Ok(bytes)
            }
        }
    }
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(bytes)
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("unexpected answer from the cluster: {e}")))
}

/// The body of a successful answer, or the API's error; both transports decode with it.
pub(crate) fn decode(status: http::StatusCode, bytes: Bytes) -> Result<Bytes, Failure> {
    if status.is_success() {
        return Ok(bytes);
    }
    Err(ApiError::from_answer(status, &bytes).into())
}

/// Percent-encodes a path segment (node names are host names, but be safe).
fn encode_segment(s: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_decode_to_the_failure_of_their_code() {
        let body = br#"{"error":{"code":"not_found","message":"no node x","hint":"list-nodes"}}"#;
        let f = decode(http::StatusCode::NOT_FOUND, Bytes::from_static(body)).unwrap_err();
        assert_eq!((f.code, f.message.as_str(), f.hint.as_deref()), (5, "no node x", Some("list-nodes")));
        let f = decode(http::StatusCode::BAD_GATEWAY, Bytes::from_static(b"<html>")).unwrap_err();
        assert_eq!(f.code, 70);
        assert_eq!(f.message, "HTTP 502 Bad Gateway: <html>");
        assert_eq!(decode(http::StatusCode::OK, Bytes::from_static(b"{}")).unwrap(), Bytes::from_static(b"{}"));
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(encode_segment("node-1.example"), "node-1.example");
        assert_eq!(encode_segment("a/b c"), "a%2Fb%20c");
    }
}
