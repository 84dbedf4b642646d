//! Requests to the REST API, through the real router (`traefikee_apiserver::router`: body
//! and query extraction, the Idempotency-Key check, authentication) to a stand-in control
//! plane that applies the node's own validation of each request: `deploy::build` for a
//! configuration, `backup::read_archive` and `backup::plan` for a restore, the CA signing a
//! CSR for an exchange. Properties: no panic; no 500; every refusal is the API's one error
//! shape with the status of its code; what a handler received encodes and decodes to itself;
//! a deploy the API accepts is a document data nodes load; a restore plan is an entry that
//! survives Raft's encoding.
//!
//! Input: one byte choosing the endpoint (modulo 7: deploy, exchange, create credential,
//! revoke, restore, audit, remove node), one byte of request options (content type,
//! Idempotency-Key, restore query), then the body; for audit the query string, for remove
//! node the path segment.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::Body;
use http::{HeaderValue, Method, StatusCode};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tower::ServiceExt;
use traefikee_apiserver::types::*;
use traefikee_apiserver::{ApiError, Caller, ControlPlane, ErrorBody, Transport};
use traefikee_node::state::{ClusterRecord, Command, ConfigRecord};
use traefikee_pki::{CaBundle, Identity, Role, Validity};
use traefikee_proxy::config::{load_document, Format};
use traefikee_proxy::router::HttpRoutingTables;

/// A cluster with a fixed CA, so that archives saved as regression cases name this cluster
/// on every run. Test-only key.
pub fn cluster() -> ClusterRecord {
    ClusterRecord {
        id: "fuzzcluster00000000000000".into(),
        name: "fuzz".into(),
        created_at: 1_700_000_000_000,
        ca: CaBundle { cert_pem: CA_CERT.into(), key_pem: CA_KEY.into() },
        bootstrap: None,
    }
}

const CA_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMIkODxhXL9BoZf0e
rSvOwU8MRUKWNbDxZskFhZWzvryhRANCAAQ21cEi9fP5FtoVHozd/BKG8c8L0PgS
f3VOrur2f4QsJSv5Ia8syVyVyCEyUrDivzeWr65vM0ccI6VWVok3w0hu
-----END PRIVATE KEY-----
";

const CA_CERT: &str = "-----BEGIN CERTIFICATE-----
MIICDjCCAbSgAwIBAgIUHyANkAjIO/8idHTMR9hId5Lq2YswCgYIKoZIzj0EAwIw
UjESMBAGA1UECgwJdHJhZWZpa2VlMTwwOgYDVQQDDDN0cmFlZmlrZWUgY2x1c3Rl
ciBDQSBmdXp6IGZ1enpjbHVzdGVyMDAwMDAwMDAwMDAwMDAwIBcNMjYxMjAyMDEy
NzAzWhgPMjEyNjExMDgwMTI3MDNaMFIxEjAQBgNVBAoMCXRyYWVmaWtlZTE8MDoG
A1UEAwwzdHJhZWZpa2VlIGNsdXN0ZXIgQ0EgZnV6eiBmdXp6Y2x1c3RlcjAwMDAw
MDAwMDAwMDAwMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENtXBIvXz+RbaFR6M
3fwShvHPC9D4En91Tq7q9n+ELCUr+SGvLMlclcghMlKw4r83lq+ubzNHHCOlVlaJ
N8NIbqNmMGQwHQYDVR0OBBYEFIDxfaRNCt4O6NwBm8dnUtR/3KHrMB8GA1UdIwQY
MBaAFIDxfaRNCt4O6NwBm8dnUtR/3KHrMBIGA1UdEwEB/wQIMAYBAf8CAQAwDgYD
VR0PAQH/BAQDAgGGMAoGCCqGSM49BAMCA0gAMEUCIQCpBnvpOn7uEh2xJQGHNsVE
HQ98GKv04kr0lXljO1HcfwIgGdEk9jguKf3mj9NJy5T65V0oDoXGx8VbCQIXOJZk
p18=
-----END CERTIFICATE-----
";

/// The configuration deployed before each request (a deploy without content keeps its
/// routers).
const DEPLOYED: &str = r#"{"entryPoints":{"web":{"address":":80"}},"http":{"routers":{"r":{"rule":"Host(`a`)","service":"s"}},"services":{"s":{"loadBalancer":{"servers":[{"url":"http://127.0.0.1:1"}]}}}}}"#;

/// What a handler of the stand-in control plane was given.
#[derive(Debug)]
enum Received {
    Deploy(DeployRequest),
    Exchange(ExchangeRequest),
    Create(CreateCredentialRequest),
    Revoke(RevokeRequest),
    Restore,
    Audit(usize),
    Remove(String),
}

pub struct Api {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    received: Arc<Mutex<Option<Received>>>,
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

impl Api {
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let received = Arc::new(Mutex::new(None));
        let plane = StandIn { cluster: cluster(), received: received.clone() };
        Api { runtime, router: traefikee_apiserver::router(Arc::new(plane)), received }
    }

    /// Whether the request was answered with success.
    pub fn check(&mut self, data: &[u8]) -> bool {
        let [endpoint, options, payload @ ..] = data else { return false };
        let restore_query = ["", "?force=true", "?dry_run=true", "?force=true&dry_run=true", "?force=1", "?x=1"];
        let (method, uri, json) = match endpoint % 7 {
            0 => (Method::POST, "/api/v1/config".to_owned(), true),
            1 => (Method::POST, "/api/v1/credentials/exchange".to_owned(), true),
            2 => (Method::POST, "/api/v1/credentials".to_owned(), true),
            3 => (Method::POST, "/api/v1/credentials/revoke".to_owned(), true),
            4 => (Method::POST, format!("/api/v1/restore{}", restore_query[usize::from(options >> 4) % 6]), false),
            5 => (Method::GET, format!("/api/v1/audit?{}", escape(payload, b"=&+%")), false),
            _ => (Method::DELETE, format!("/api/v1/nodes/{}", escape(payload, b"")), false),
        };
        let mut request = http::Request::builder().method(method).uri(&uri);
        let content_type = match options & 3 {
            0 if json => Some("application/json"),
            0 => Some("application/x-tar"),
            1 => None,
            2 => Some("application/json; charset=utf-8"),
            _ => Some("text/plain"),
        };
        if let Some(content_type) = content_type {
            request = request.header(http::header::CONTENT_TYPE, content_type);
        }
        let key: Option<HeaderValue> = match (options >> 2) & 3 {
            0 => None,
            1 => Some(HeaderValue::from_static("0123456789abcdef-_0123")),
            2 => Some(HeaderValue::from_static("short")),
            _ => HeaderValue::from_bytes(b"0123456789abcdef\xff").ok(),
        };
        if let Some(key) = key {
            request = request.header(traefikee_apiserver::idempotency::HEADER, key);
        }
        let body = if uri.starts_with("/api/v1/audit") || uri.starts_with("/api/v1/nodes/") {
            Body::empty()
        } else {
            Body::from(payload.to_vec())
        };
        // A URI too long for the http crate is one no client can send.
        let Ok(mut request) = request.body(body) else { return false };
        request.extensions_mut().insert(Transport::Local);

        let router = self.router.clone();
        let (status, bytes) = self.runtime.block_on(async move {
            let response = router.oneshot(request).await.expect("the router answers");
            let status = response.status();
            (status, response.into_body().collect().await.expect("the answer's body").to_bytes())
        });
        let received = self.received.lock().unwrap_or_else(|p| p.into_inner()).take();
        let text = String::from_utf8_lossy(&bytes);
        assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{uri}: 500: {text}");
        if let Some(Received::Remove(node)) = &received {
            assert_eq!(node.as_bytes(), payload, "the node named in the path");
        }
        if !status.is_success() {
            let error: ErrorBody = serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{uri}: a {status} answer is not the API's error shape ({e}): {text}"));
            assert_eq!(error.error.code.status(), status, "{uri}: {text}");
            return false;
        }
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_else(|e| panic!("{uri}: {e}: {text}"));
        match received {
            Some(Received::Deploy(r)) => same(&r),
            Some(Received::Exchange(r)) => same(&r),
            Some(Received::Create(r)) => same(&r),
            Some(Received::Revoke(r)) => same(&r),
            Some(Received::Audit(limit)) => assert!((1..=10_000).contains(&limit), "audit limit {limit}"),
            Some(Received::Restore | Received::Remove(_)) => {}
            None => panic!("{uri}: {status} without reaching the control plane"),
        }
        true
    }
}

/// `bytes` for a URI: unreserved bytes and `keep` as they are, the rest percent-encoded.
fn escape(bytes: &[u8], keep: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn same<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(value: &T) {
    let text = serde_json::to_string(value).expect("a request encodes");
    let again: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(&again, value);
}

/// The operator-name rule of the node's API (`check_name` in node/src/api.rs, private there):
/// names that reach the CA.
fn plain_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c))
}

struct StandIn {
    cluster: ClusterRecord,
    received: Arc<Mutex<Option<Received>>>,
}

impl StandIn {
    fn got(&self, what: Received) {
        *self.received.lock().unwrap_or_else(|p| p.into_inner()) = Some(what);
    }
}

fn not_here() -> ApiError {
    ApiError::not_found("not served by the fuzzing stand-in")
}

#[async_trait]
impl ControlPlane for StandIn {
    async fn authorize(&self, _: &Caller, _: Option<&str>, _: bool) -> Result<(), ApiError> {
        Ok(())
    }

    fn cluster_id(&self) -> String {
        self.cluster.id.clone()
    }

    async fn cluster_info(&self) -> Result<ClusterInfo, ApiError> {
        Err(not_here())
    }

    async fn list_nodes(&self) -> Result<NodeList, ApiError> {
        Err(not_here())
    }

    async fn remove_node(&self, _: &Caller, node: &str) -> Result<RemovedNode, ApiError> {
        self.got(Received::Remove(node.to_owned()));
        Err(ApiError::not_found(format!("no node {node:?}")))
    }

    async fn tokens(&self) -> Result<Tokens, ApiError> {
        Err(not_here())
    }

    async fn rotate_tokens(&self, _: &Caller) -> Result<Tokens, ApiError> {
        Err(not_here())
    }

    async fn exchange(&self, _: &Caller, req: ExchangeRequest) -> Result<ExchangeResponse, ApiError> {
        self.got(Received::Exchange(req.clone()));
        let name = req.name.unwrap_or_else(|| "admin".into());
        if !plain_name(&name) {
            return Err(ApiError::invalid("invalid operator name"));
        }
        let identity = Identity::new(&self.cluster.id, Role::Operator, &name);
        let cert = self
            .cluster
            .ca
            .issue_for_csr(&req.csr_pem, &identity, &[], Validity::OPERATOR)
            .map_err(|e| ApiError::invalid(format!("the certificate request is not acceptable: {e}")))?;
        let key = traefikee_node::controller::key_of(&cert.cert_pem);
        assert!(key.is_ok(), "a certificate the CA issued has no readable key: {key:?}");
        Ok(ExchangeResponse {
            name,
            cert_pem: cert.cert_pem,
            ca_pem: self.cluster.ca.cert_pem.clone(),
            cluster_id: self.cluster.id.clone(),
            cluster_name: self.cluster.name.clone(),
            api_addresses: Vec::new(),
        })
    }

    async fn create_credential(&self, _: &Caller, req: CreateCredentialRequest) -> Result<NewCredential, ApiError> {
        self.got(Received::Create(req.clone()));
        if !plain_name(&req.name) {
            return Err(ApiError::invalid("invalid operator name"));
        }
        Ok(NewCredential {
            name: req.name,
            id: "e1".into(),
            ca_pem: String::new(),
            cert_pem: String::new(),
            key_pem: String::new(),
            expires_at: String::new(),
        })
    }

    async fn list_credentials(&self) -> Result<CredentialList, ApiError> {
        Err(not_here())
    }

    async fn revoke_credential(&self, _: &Caller, req: RevokeRequest) -> Result<Revoked, ApiError> {
        self.got(Received::Revoke(req));
        Ok(Revoked { revoked: Vec::new() })
    }

    async fn audit(&self, limit: usize) -> Result<AuditLog, ApiError> {
        self.got(Received::Audit(limit));
        Ok(AuditLog { entries: Vec::new() })
    }

    async fn deploy(&self, _: &Caller, req: DeployRequest) -> Result<DeployResult, ApiError> {
        self.got(Received::Deploy(req.clone()));
        let current = ConfigRecord {
            version: 1,
            document: DEPLOYED.into(),
            deployed_at: 0,
            deployed_by: "fuzz".into(),
            summary: String::new(),
        };
        let (document, summary) = traefikee_node::deploy::build(Some(&current), &req, &Vec::new())?;
        match load_document(&document, Format::Json) {
            Ok(doc) => {
                if let Err(e) = HttpRoutingTables::from_document(&doc) {
                    panic!("a deployed configuration has routers data nodes cannot build: {e}\n{document}");
                }
            }
            Err(e) => panic!("a deployed configuration does not load on data nodes: {e}\n{document}"),
        }
        let command = Command::Deploy { document, summary: summary.clone(), base: None };
        same(&command);
        Ok(DeployResult { version: (!req.dry_run).then_some(2), dry_run: req.dry_run, summary })
    }

    async fn config(&self) -> Result<DeployedConfig, ApiError> {
        Err(not_here())
    }

    async fn providers(&self) -> Result<ProviderList, ApiError> {
        Err(not_here())
    }

    async fn backup(&self, _: &Caller) -> Result<Vec<u8>, ApiError> {
        Err(not_here())
    }

    async fn restore(&self, _: &Caller, archive: Vec<u8>, query: RestoreQuery) -> Result<RestoreResult, ApiError> {
        self.got(Received::Restore);
        let backup = traefikee_node::backup::read_archive(&archive)?;
        let (restore, mut result) = traefikee_node::backup::plan(&backup, &self.cluster, query.force)?;
        if let Some(config) = &restore.config {
            let loaded = load_document(&config.document, Format::Json);
            assert!(loaded.is_ok(), "a restore plan holds a configuration that does not load: {loaded:?}");
        }
        same(&Command::Restore(Box::new(restore)));
        result.dry_run = query.dry_run;
        Ok(result)
    }
}
