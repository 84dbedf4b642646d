//! The REST API router, in process, against a fake control plane: the status of every
//! endpoint, the one error shape for every refusal (the control plane's, the router's own and
//! the extractors'), the authentication guards, and the router against the OpenAPI document.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::body::{Body, Bytes};
use axum::Router;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;
use traefikee_apiserver::types::*;
use traefikee_apiserver::{router, ApiError, Caller, ControlPlane, ErrorBody, ErrorCode, Transport};
use traefikee_pki::{CertInfo, Identity, Role};

const CLUSTER: &str = "cluster0001";
const KEY_SHA256: &str = "5f1c0ffee0ddba11";

// ---------------------------------------------------------------------------------------------
// The fake control plane
// ---------------------------------------------------------------------------------------------

/// One `authorize` call.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Authorization {
    caller: Caller,
    key_sha256: Option<String>,
    fresh: bool,
}

/// One call of a handler method of the control plane.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    op: &'static str,
    /// The caller the handler passed, for the methods that take one.
    caller: Option<Caller>,
    /// The arguments, as text.
    detail: String,
    /// `idempotency::current()` while the method ran.
    idempotency_key: Option<String>,
}

/// Records every call; answers canned values, or the configured errors.
#[derive(Default)]
struct Fake {
    /// What `authorize` answers (Ok when none).
    authorize_error: Mutex<Option<ApiError>>,
    /// What every handler method answers (its canned value when none).
    error: Mutex<Option<ApiError>>,
    authorizations: Mutex<Vec<Authorization>>,
    calls: Mutex<Vec<Call>>,
}

impl Fake {
    fn new() -> Arc<Fake> {
        Arc::new(Fake::default())
    }

    /// A control plane whose handler methods all fail with `error`.
    fn failing(error: ApiError) -> Arc<Fake> {
        let fake = Fake::default();
        *fake.error.lock().unwrap() = Some(error);
        Arc::new(fake)
    }

    /// A control plane whose `authorize` fails with `error`.
    fn refusing(error: ApiError) -> Arc<Fake> {
        let fake = Fake::default();
        *fake.authorize_error.lock().unwrap() = Some(error);
        Arc::new(fake)
    }

    fn app(self: &Arc<Self>) -> Router {
        router(self.clone())
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn ops(&self) -> Vec<&'static str> {
        self.calls().into_iter().map(|c| c.op).collect()
    }

    fn authorizations(&self) -> Vec<Authorization> {
        self.authorizations.lock().unwrap().clone()
    }

    fn record(&self, op: &'static str, caller: Option<&Caller>, detail: String) -> Result<(), ApiError> {
        self.calls.lock().unwrap().push(Call {
            op,
            caller: caller.cloned(),
            detail,
            idempotency_key: traefikee_apiserver::idempotency::current(),
        });
        match self.error.lock().unwrap().clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl ControlPlane for Fake {
    async fn authorize(&self, caller: &Caller, key_sha256: Option<&str>, fresh: bool) -> Result<(), ApiError> {
        self.authorizations.lock().unwrap().push(Authorization {
            caller: caller.clone(),
            key_sha256: key_sha256.map(str::to_string),
            fresh,
        });
        match self.authorize_error.lock().unwrap().clone() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn cluster_id(&self) -> String {
        CLUSTER.to_string()
    }

    async fn cluster_info(&self) -> Result<ClusterInfo, ApiError> {
        self.record("cluster_info", None, String::new())?;
        Ok(canned_cluster_info())
    }

    async fn list_nodes(&self) -> Result<NodeList, ApiError> {
        self.record("list_nodes", None, String::new())?;
        Ok(NodeList { nodes: vec![canned_node()], warning: None })
    }

    async fn remove_node(&self, caller: &Caller, node: &str) -> Result<RemovedNode, ApiError> {
        self.record("remove_node", Some(caller), node.to_string())?;
        Ok(RemovedNode { removed: canned_node() })
    }

    async fn tokens(&self) -> Result<Tokens, ApiError> {
        self.record("tokens", None, String::new())?;
        Ok(canned_tokens())
    }

    async fn rotate_tokens(&self, caller: &Caller) -> Result<Tokens, ApiError> {
        self.record("rotate_tokens", Some(caller), String::new())?;
        Ok(canned_tokens())
    }

    async fn exchange(&self, caller: &Caller, req: ExchangeRequest) -> Result<ExchangeResponse, ApiError> {
        self.record("exchange", Some(caller), serde_json::to_string(&req).unwrap())?;
        Ok(canned_exchange())
    }

    async fn create_credential(
        &self,
        caller: &Caller,
        req: CreateCredentialRequest,
    ) -> Result<NewCredential, ApiError> {
        self.record("create_credential", Some(caller), serde_json::to_string(&req).unwrap())?;
        Ok(canned_new_credential())
    }

    async fn list_credentials(&self) -> Result<CredentialList, ApiError> {
        self.record("list_credentials", None, String::new())?;
        Ok(CredentialList { credentials: vec![canned_credential()] })
    }

    async fn revoke_credential(&self, caller: &Caller, req: RevokeRequest) -> Result<Revoked, ApiError> {
        self.record("revoke_credential", Some(caller), serde_json::to_string(&req).unwrap())?;
        Ok(Revoked { revoked: vec![canned_credential()] })
    }

    async fn audit(&self, limit: usize) -> Result<AuditLog, ApiError> {
        self.record("audit", None, limit.to_string())?;
        Ok(canned_audit())
    }

    async fn deploy(&self, caller: &Caller, req: DeployRequest) -> Result<DeployResult, ApiError> {
        self.record("deploy", Some(caller), serde_json::to_string(&req).unwrap())?;
        Ok(DeployResult { version: Some(7), dry_run: req.dry_run, summary: "1 router".into() })
    }

    async fn config(&self) -> Result<DeployedConfig, ApiError> {
        self.record("config", None, String::new())?;
        Ok(canned_config())
    }

    async fn providers(&self) -> Result<ProviderList, ApiError> {
        self.record("providers", None, String::new())?;
        Ok(canned_providers())
    }

    async fn backup(&self, caller: &Caller) -> Result<Vec<u8>, ApiError> {
        self.record("backup", Some(caller), String::new())?;
        Ok(BACKUP_ARCHIVE.to_vec())
    }

    async fn restore(&self, caller: &Caller, archive: Vec<u8>, query: RestoreQuery) -> Result<RestoreResult, ApiError> {
        let detail = format!("{} bytes force={} dry_run={}", archive.len(), query.force, query.dry_run);
        self.record("restore", Some(caller), detail)?;
        Ok(canned_restore())
    }
}

// ---------------------------------------------------------------------------------------------
// Canned values
// ---------------------------------------------------------------------------------------------

const BACKUP_ARCHIVE: &[u8] = b"not really a tar\0\x01\x02";

fn canned_cluster_info() -> ClusterInfo {
    ClusterInfo {
        id: CLUSTER.into(),
        name: "prod".into(),
        version: "9.9.9".into(),
        leader: Some("c1".into()),
        ca_fingerprint: "sha256:00ff".into(),
        controllers: vec![ControllerEndpoint {
            name: "c1".into(),
            cluster_address: "10.0.0.1:4242".into(),
            api_address: Some("10.0.0.1:8443".into()),
        }],
        answered_by: "c1".into(),
        raft: RaftStatus {
            term: 3,
            last_log_index: Some(10),
            last_applied_index: Some(10),
            snapshot_index: None,
            purged_index: None,
            voters: vec!["c1".into()],
            learners: vec![],
        },
        warning: None,
    }
}

fn canned_node() -> NodeInfo {
    NodeInfo {
        id: "n1id".into(),
        name: "n1".into(),
        role: NodeRole::DataNode,
        leader: false,
        membership: Membership::Accepted,
        status: Status::Ready,
        availability: Availability::Active,
        address: String::new(),
        api_address: None,
        joined_at: "2024-01-01T00:00:00Z".into(),
        last_seen_ms: Some(12),
        config_version: Some(7),
        config_refused: None,
    }
}

fn canned_tokens() -> Tokens {
    Tokens { control_node_token: "ctl-token".into(), data_node_token: "data-token".into() }
}

fn canned_exchange() -> ExchangeResponse {
    ExchangeResponse {
        name: "alice".into(),
        cert_pem: "CERT".into(),
        ca_pem: "CA".into(),
        cluster_id: CLUSTER.into(),
        cluster_name: "prod".into(),
        api_addresses: vec!["10.0.0.1:8443".into()],
    }
}

fn canned_new_credential() -> NewCredential {
    NewCredential {
        name: "bob".into(),
        id: "enr1".into(),
        ca_pem: "CA".into(),
        cert_pem: "CERT".into(),
        key_pem: "KEY".into(),
        expires_at: "2030-01-01T00:00:00Z".into(),
    }
}

fn canned_credential() -> CredentialInfo {
    CredentialInfo {
        kind: CredentialKind::Operator,
        name: "bob".into(),
        id: "0b".into(),
        serial: "0b".into(),
        status: CredentialStatus::Active,
        created_at: "2024-01-01T00:00:00Z".into(),
        expires_at: "2030-01-01T00:00:00Z".into(),
    }
}

fn canned_audit() -> AuditLog {
    AuditLog {
        entries: vec![AuditEntry {
            seq: 1,
            at: "2024-01-01T00:00:00Z".into(),
            actor: "operator alice".into(),
            action: "deploy".into(),
            detail: "version 7".into(),
        }],
    }
}

fn canned_providers() -> ProviderList {
    ProviderList {
        providers: vec![ProviderInfo {
            name: "etcd".into(),
            endpoints: vec!["10.10.0.10:2379".into()],
            root_key: "traefik".into(),
            status: "error".into(),
            summary: "1 routers, 1 services, 0 middlewares, 0 TCP routers".into(),
            last_change: Some("2024-01-01T00:00:00Z".into()),
            version: Some(3),
            error: Some("etcd at http://10.10.0.10:2379: connection refused".into()),
            failing_since: Some("2024-01-02T00:00:00Z".into()),
        }],
    }
}

fn canned_config() -> DeployedConfig {
    DeployedConfig {
        version: 7,
        deployed_at: "2024-01-01T00:00:00Z".into(),
        deployed_by: "operator alice".into(),
        summary: "1 router".into(),
        document: json!({"http": {"routers": {}}}),
        providers: Default::default(),
    }
}

fn canned_restore() -> RestoreResult {
    RestoreResult {
        from: BackupOrigin {
            cluster_id: CLUSTER.into(),
            cluster_name: "prod".into(),
            created_at: "2024-01-01T00:00:00Z".into(),
            raft_index: 42,
            tool_version: "9.9.9".into(),
        },
        dry_run: false,
        version: Some(8),
        config: Some("1 router".into()),
        tokens: true,
        credentials: 2,
        revocations: 0,
    }
}

// ---------------------------------------------------------------------------------------------
// The endpoints
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Payload {
    None,
    Json(&'static str),
    Tar(&'static [u8]),
}

/// Every authenticated endpoint, with a valid request for it.
#[derive(Debug, Clone, Copy)]
struct Endpoint {
    method: &'static str,
    /// The route, as in the OpenAPI document.
    route: &'static str,
    /// A concrete path of it.
    uri: &'static str,
    payload: Payload,
    /// The control-plane method it calls.
    op: &'static str,
    /// Authorized against the controller's state as it is (`fresh = false`).
    diagnostic: bool,
}

const fn ep(
    method: &'static str,
    route: &'static str,
    uri: &'static str,
    payload: Payload,
    op: &'static str,
    diagnostic: bool,
) -> Endpoint {
    Endpoint { method, route, uri, payload, op, diagnostic }
}

const ENDPOINTS: &[Endpoint] = &[
    ep("GET", "/api/v1/cluster", "/api/v1/cluster", Payload::None, "cluster_info", true),
    ep("GET", "/api/v1/nodes", "/api/v1/nodes", Payload::None, "list_nodes", true),
    ep("GET", "/api/v1/audit", "/api/v1/audit?limit=5", Payload::None, "audit", true),
    ep("DELETE", "/api/v1/nodes/{node}", "/api/v1/nodes/n1", Payload::None, "remove_node", false),
    ep("GET", "/api/v1/tokens", "/api/v1/tokens", Payload::None, "tokens", false),
    ep("POST", "/api/v1/tokens/rotate", "/api/v1/tokens/rotate", Payload::None, "rotate_tokens", false),
    ep("GET", "/api/v1/credentials", "/api/v1/credentials", Payload::None, "list_credentials", false),
    ep(
        "POST",
        "/api/v1/credentials",
        "/api/v1/credentials",
        Payload::Json(r#"{"name":"bob"}"#),
        "create_credential",
        false,
    ),
    ep(
        "POST",
        "/api/v1/credentials/revoke",
        "/api/v1/credentials/revoke",
        Payload::Json(r#"{"credential":"bob"}"#),
        "revoke_credential",
        false,
    ),
    ep(
        "POST",
        "/api/v1/credentials/exchange",
        "/api/v1/credentials/exchange",
        Payload::Json(r#"{"name":"alice","csr_pem":"CSR"}"#),
        "exchange",
        false,
    ),
    ep("GET", "/api/v1/config", "/api/v1/config", Payload::None, "config", false),
    ep(
        "POST",
        "/api/v1/config",
        "/api/v1/config",
        Payload::Json(r#"{"content":"http: {}","dry_run":true}"#),
        "deploy",
        false,
    ),
    ep("GET", "/api/v1/providers", "/api/v1/providers", Payload::None, "providers", false),
    ep("GET", "/api/v1/backup", "/api/v1/backup", Payload::None, "backup", false),
    ep("POST", "/api/v1/restore", "/api/v1/restore?dry_run=true", Payload::Tar(b"archive bytes"), "restore", false),
];

/// The one route that needs no authentication.
const OPENAPI: (&str, &str) = ("GET", "/api/v1/openapi.json");

/// How many (method, route) pairs the router serves: the authenticated ones and the document.
const ROUTE_COUNT: usize = 16;

/// The answer of `op` for the canned values, as JSON.
fn canned_answer(op: &str) -> Value {
    let v = match op {
        "cluster_info" => serde_json::to_value(canned_cluster_info()),
        "list_nodes" => serde_json::to_value(NodeList { nodes: vec![canned_node()], warning: None }),
        "remove_node" => serde_json::to_value(RemovedNode { removed: canned_node() }),
        "tokens" | "rotate_tokens" => serde_json::to_value(canned_tokens()),
        "list_credentials" => serde_json::to_value(CredentialList { credentials: vec![canned_credential()] }),
        "create_credential" => serde_json::to_value(canned_new_credential()),
        "revoke_credential" => serde_json::to_value(Revoked { revoked: vec![canned_credential()] }),
        "exchange" => serde_json::to_value(canned_exchange()),
        "audit" => serde_json::to_value(canned_audit()),
        "config" => serde_json::to_value(canned_config()),
        "providers" => serde_json::to_value(canned_providers()),
        "deploy" => serde_json::to_value(DeployResult { version: Some(7), dry_run: true, summary: "1 router".into() }),
        "restore" => serde_json::to_value(canned_restore()),
        other => panic!("no canned JSON answer for {other}"),
    };
    v.unwrap()
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

fn cert(cluster: &str, role: Role, id: &str) -> CertInfo {
    CertInfo {
        identity: Identity::new(cluster, role, id),
        serial: "0a1b2c".into(),
        not_after: time::OffsetDateTime::now_utc() + time::Duration::days(30),
        key_sha256: KEY_SHA256.into(),
    }
}

/// An operator's mTLS connection, as the node's TLS server describes it.
fn operator() -> Transport {
    Transport::Tls(Some(cert(CLUSTER, Role::Operator, "alice")))
}

fn operator_caller() -> Caller {
    Caller::Operator { name: "alice".into(), serial: "0a1b2c".into() }
}

fn enrollment() -> Transport {
    Transport::Tls(Some(cert(CLUSTER, Role::Enrollment, "enr1")))
}

fn build(method: &str, uri: &str, payload: Payload, transport: Option<Transport>) -> Request<Body> {
    let builder = Request::builder().method(method).uri(uri);
    let mut req = match payload {
        Payload::None => builder.body(Body::empty()),
        Payload::Json(text) => builder.header("content-type", "application/json").body(Body::from(text)),
        Payload::Tar(bytes) => builder.header("content-type", "application/x-tar").body(Body::from(bytes)),
    }
    .unwrap();
    if let Some(transport) = transport {
        req.extensions_mut().insert(transport);
    }
    req
}

fn endpoint_request(e: &Endpoint, transport: Option<Transport>) -> Request<Body> {
    build(e.method, e.uri, e.payload, transport)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.text()))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The API's error shape, exactly: `{"error": {"code", "message", "hint"?}}` and nothing
    /// else, with the status of its code.
    fn error(&self) -> ApiError {
        let value = self.json();
        let outer = value.as_object().unwrap_or_else(|| panic!("not an object: {value}"));
        assert_eq!(outer.keys().collect::<Vec<_>>(), ["error"], "{value}");
        let inner = outer["error"].as_object().unwrap_or_else(|| panic!("error is not an object: {value}"));
        for key in inner.keys() {
            assert!(["code", "message", "hint"].contains(&key.as_str()), "unexpected key {key}: {value}");
        }
        assert!(inner["code"].is_string() && inner["message"].is_string(), "{value}");
        assert!(inner.get("hint").is_none_or(Value::is_string), "{value}");
        assert_eq!(
            self.headers.get("content-type").map(|v| v.to_str().unwrap()),
            Some("application/json"),
            "an error is JSON: {value}"
        );
        let body: ErrorBody = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(self.status, documented_status(body.error.code), "status of {value}");
        body.error
    }
}

/// The request was refused as invalid, with a message starting with `prefix`, and no
/// handler ran.
#[track_caller]
fn assert_invalid_before_any_handler(answer: &Answer, fake: &Fake, what: &str, prefix: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{what}: {}", answer.text());
    let error = answer.error();
    assert_eq!(error.code, ErrorCode::InvalidRequest, "{what}");
    assert!(error.message.starts_with(prefix), "{what}: {}", error.message);
    assert!(fake.calls().is_empty(), "{what} reached the handler");
}

async fn send(app: &Router, req: Request<Body>) -> Answer {
    let response = app.clone().oneshot(req).await.expect("the router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.expect("the body").to_bytes();
    Answer { status, headers, body }
}

/// The HTTP status each error code is documented to answer with (`ErrorCode`'s docs and the
/// OpenAPI "4XX"/5XX answers), written out here rather than taken from `ErrorCode::status`.
fn documented_status(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
        ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Every error code with its wire name.
const CODES: [(ErrorCode, &str); 7] = [
    (ErrorCode::InvalidRequest, "invalid_request"),
    (ErrorCode::Unauthenticated, "unauthenticated"),
    (ErrorCode::Forbidden, "forbidden"),
    (ErrorCode::NotFound, "not_found"),
    (ErrorCode::Conflict, "conflict"),
    (ErrorCode::Unavailable, "unavailable"),
    (ErrorCode::Internal, "internal"),
];

// ---------------------------------------------------------------------------------------------
// Status codes and the error shape
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_endpoint_answers_200_with_the_control_plane_answer() {
    for e in ENDPOINTS {
        let fake = Fake::new();
        let answer = send(&fake.app(), endpoint_request(e, Some(operator()))).await;
        assert_eq!(answer.status, StatusCode::OK, "{} {}: {}", e.method, e.uri, answer.text());
        if e.op == "backup" {
            assert_eq!(answer.headers["content-type"], "application/x-tar");
            assert_eq!(&answer.body[..], BACKUP_ARCHIVE);
        } else {
            assert_eq!(answer.headers["content-type"], "application/json", "{} {}", e.method, e.uri);
            assert_eq!(answer.json(), canned_answer(e.op), "{} {}", e.method, e.uri);
        }
        assert_eq!(fake.ops(), [e.op], "{} {} calls exactly its control-plane method", e.method, e.uri);
    }
}

#[tokio::test]
async fn handlers_receive_the_request_as_sent() {
    let fake = Fake::new();
    let app = fake.app();
    for e in ENDPOINTS {
        let answer = send(&app, endpoint_request(e, Some(operator()))).await;
        assert_eq!(answer.status, StatusCode::OK, "{} {}: {}", e.method, e.uri, answer.text());
    }
    let detail = |op: &str| {
        let calls = fake.calls();
        calls.iter().find(|c| c.op == op).unwrap_or_else(|| panic!("{op} not called")).detail.clone()
    };
    assert_eq!(detail("remove_node"), "n1");
    assert_eq!(detail("audit"), "5");
    assert_eq!(detail("restore"), "13 bytes force=false dry_run=true");
    assert_eq!(detail("create_credential"), r#"{"name":"bob"}"#);
    assert_eq!(detail("revoke_credential"), r#"{"credential":"bob"}"#);
    assert_eq!(detail("exchange"), r#"{"name":"alice","csr_pem":"CSR"}"#);
    let deploy: DeployRequest = serde_json::from_str(&detail("deploy")).unwrap();
    assert_eq!(deploy, DeployRequest { content: Some("http: {}".into()), dry_run: true, ..Default::default() });
}

#[tokio::test]
async fn a_percent_encoded_node_name_reaches_the_handler_decoded() {
    let fake = Fake::new();
    let answer = send(&fake.app(), build("DELETE", "/api/v1/nodes/n%C3%A9%20x", Payload::None, Some(operator()))).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(fake.calls()[0].detail, "n\u{e9} x");
}

#[tokio::test]
async fn the_audit_limit_defaults_to_100_and_is_clamped() {
    for (query, limit) in
        [("", "100"), ("?limit=0", "1"), ("?limit=1", "1"), ("?limit=10000", "10000"), ("?limit=99999", "10000")]
    {
        let fake = Fake::new();
        let answer =
            send(&fake.app(), build("GET", &format!("/api/v1/audit{query}"), Payload::None, Some(operator()))).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text());
        assert_eq!(fake.calls()[0].detail, limit, "{query}");
    }
}

#[tokio::test]
async fn the_restore_query_reaches_the_handler() {
    for (query, expected) in [
        ("", "force=false dry_run=false"),
        ("?force=true", "force=true dry_run=false"),
        ("?force=true&dry_run=true", "force=true dry_run=true"),
    ] {
        let fake = Fake::new();
        let uri = format!("/api/v1/restore{query}");
        let answer = send(&fake.app(), build("POST", &uri, Payload::Tar(b"abc"), Some(operator()))).await;
        assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.text());
        assert_eq!(fake.calls()[0].detail, format!("3 bytes {expected}"), "{query}");
    }
}

#[tokio::test]
async fn the_openapi_document_is_served_without_authentication() {
    let fake = Fake::new();
    let answer = send(&fake.app(), build("GET", "/api/v1/openapi.json", Payload::None, None)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(answer.text(), traefikee_apiserver::openapi::document());
    assert!(fake.authorizations().is_empty() && fake.calls().is_empty());
}

#[tokio::test]
async fn every_error_code_of_the_control_plane_answers_its_status_in_the_error_shape() {
    for e in ENDPOINTS {
        for (code, wire) in CODES {
            for hint in [None, Some("try again later")] {
                let mut error = ApiError::new(code, format!("{} failed", e.op));
                if let Some(hint) = hint {
                    error = error.with_hint(hint);
                }
                let fake = Fake::failing(error);
                let answer = send(&fake.app(), endpoint_request(e, Some(operator()))).await;
                let what = format!("{} {} with {wire}", e.method, e.uri);
                assert_eq!(answer.status, documented_status(code), "{what}: {}", answer.text());
                let mut expected = json!({"error": {"code": wire, "message": format!("{} failed", e.op)}});
                if let Some(hint) = hint {
                    expected["error"]["hint"] = json!(hint);
                }
                assert_eq!(answer.json(), expected, "{what}");
                answer.error();
                assert_eq!(fake.ops(), [e.op], "{what}");
            }
        }
    }
}

#[tokio::test]
async fn error_codes_have_the_documented_statuses() {
    // The mapping the router relies on, checked against the literal numbers.
    let expected = [400, 401, 403, 404, 409, 503, 500];
    for ((code, wire), status) in CODES.into_iter().zip(expected) {
        assert_eq!(code.status().as_u16(), status, "{wire}");
        assert_eq!(serde_json::to_value(code).unwrap(), json!(wire));
    }
}

#[tokio::test]
async fn an_unknown_path_answers_404_in_the_error_shape() {
    for uri in [
        "/",
        "/nope",
        "/api",
        "/api/v1",
        "/api/v1/",
        "/api/v2/cluster",
        "/api/v1/nope",
        "/api/v1/cluster/",
        "/api/v1/nodes/a/b",
        "/api/v1/credentials/exchange/x",
        "/API/V1/CLUSTER",
    ] {
        for transport in [None, Some(Transport::Local), Some(operator())] {
            let fake = Fake::new();
            let answer = send(&fake.app(), build("GET", uri, Payload::None, transport.clone())).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri} {transport:?}: {}", answer.text());
            let error = answer.error();
            assert_eq!(error.code, ErrorCode::NotFound, "{uri}");
            assert_eq!(error.message, format!("no such endpoint: GET {uri}"));
            assert!(fake.authorizations().is_empty() && fake.calls().is_empty(), "{uri}");
        }
    }
}

#[tokio::test]
async fn a_wrong_method_answers_in_the_error_shape() {
    for (method, uri) in [
        ("PUT", "/api/v1/config"),
        ("DELETE", "/api/v1/config"),
        ("POST", "/api/v1/tokens"),
        ("GET", "/api/v1/tokens/rotate"),
        ("GET", "/api/v1/nodes/n1"),
        ("POST", "/api/v1/cluster"),
        ("DELETE", "/api/v1/nodes"),
        ("PATCH", "/api/v1/audit"),
        ("GET", "/api/v1/restore"),
        ("POST", "/api/v1/backup"),
        ("GET", "/api/v1/credentials/revoke"),
        ("POST", "/api/v1/openapi.json"),
    ] {
        let fake = Fake::new();
        let answer = send(&fake.app(), build(method, uri, Payload::None, Some(operator()))).await;
        let what = format!("{method} {uri}");
        assert!(
            !answer.body.is_empty() && answer.headers.get("content-type").is_some_and(|v| v == "application/json"),
            "{what}: {} with a body that is not the API's error shape: {:?}",
            answer.status,
            answer.text()
        );
        let error = answer.error();
        assert_eq!(error.code, ErrorCode::InvalidRequest, "{what}");
        assert_eq!(error.message, format!("method {method} is not allowed on {uri}"), "{what}");
        assert!(fake.calls().is_empty(), "{what} reached a handler: {:?}", fake.calls());
    }
}

#[tokio::test]
async fn a_malformed_json_body_is_refused_in_the_error_shape() {
    let json_endpoints: Vec<_> = ENDPOINTS.iter().filter(|e| matches!(e.payload, Payload::Json(_))).collect();
    assert_eq!(json_endpoints.len(), 4);
    let bodies: [(&str, Option<&str>); 10] = [
        ("{", Some("application/json")),
        // serde reads an array as a struct's fields in order: an object is required.
        ("[]", Some("application/json")),
        (r#"["x"]"#, Some("application/json")),
        ("", Some("application/json")),
        ("42", Some("application/json")),
        ("null", Some("application/json")),
        (r#"{"name": 1, "credential": 1, "csr_pem": 1, "content": 1}"#, Some("application/json")),
        (r#"{"unknown_field": true, "name": "x", "credential": "x", "csr_pem": "x"}"#, Some("application/json")),
        (r#"{"name":"x","credential":"x","csr_pem":"x"}"#, None),
        (r#"{"name":"x","credential":"x","csr_pem":"x"}"#, Some("text/plain")),
    ];
    for e in json_endpoints {
        for (body, content_type) in bodies {
            let fake = Fake::new();
            let mut req = Request::builder().method(e.method).uri(e.uri);
            if let Some(content_type) = content_type {
                req = req.header("content-type", content_type);
            }
            let mut req = req.body(Body::from(body)).unwrap();
            req.extensions_mut().insert(operator());
            let answer = send(&fake.app(), req).await;
            let what = format!("{} {} with {body:?} ({content_type:?})", e.method, e.uri);
            assert_invalid_before_any_handler(&answer, &fake, &what, "invalid request body: ");
        }
    }
}

#[tokio::test]
async fn bad_query_parameters_are_refused_in_the_error_shape() {
    for uri in [
        "/api/v1/audit?limit=abc",
        "/api/v1/audit?limit=-1",
        "/api/v1/audit?limit=1.5",
        "/api/v1/audit?limit=99999999999999999999999",
        "/api/v1/audit?other=1",
        "/api/v1/restore?force=maybe",
        "/api/v1/restore?dry_run=1",
        "/api/v1/restore?x=1",
    ] {
        let fake = Fake::new();
        let method = if uri.contains("restore") { "POST" } else { "GET" };
        let payload = if method == "POST" { Payload::Tar(b"abc") } else { Payload::None };
        let answer = send(&fake.app(), build(method, uri, payload, Some(operator()))).await;
        assert_invalid_before_any_handler(&answer, &fake, uri, "invalid query: ");
    }
}

#[tokio::test]
async fn an_invalid_idempotency_key_is_refused_and_a_valid_one_reaches_the_control_plane() {
    let key = "0123456789abcdef-_XYZ";
    for e in ENDPOINTS.iter().filter(|e| !e.diagnostic) {
        for bad in ["short", "0123456789abcdef/..", &"a".repeat(65)] {
            let fake = Fake::new();
            let mut req = endpoint_request(e, Some(operator()));
            req.headers_mut().insert("idempotency-key", bad.parse().unwrap());
            let answer = send(&fake.app(), req).await;
            assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{} {} key {bad}: {}", e.method, e.uri, answer.text());
            assert_eq!(answer.error().code, ErrorCode::InvalidRequest);
            assert!(fake.calls().is_empty(), "{} {} reached the handler with key {bad}", e.method, e.uri);
        }
        let fake = Fake::new();
        let mut req = endpoint_request(e, Some(operator()));
        req.headers_mut().insert("idempotency-key", key.parse().unwrap());
        let answer = send(&fake.app(), req).await;
        assert_eq!(answer.status, StatusCode::OK, "{} {}: {}", e.method, e.uri, answer.text());
        assert_eq!(fake.calls()[0].idempotency_key.as_deref(), Some(key), "{} {}", e.method, e.uri);
        let fake = Fake::new();
        send(&fake.app(), endpoint_request(e, Some(operator()))).await;
        assert_eq!(fake.calls()[0].idempotency_key, None, "{} {}", e.method, e.uri);
    }
}

/// A body of `len` bytes streamed in chunks of one static buffer, so that a body over the
/// 256 MiB limit costs no memory until it is refused.
fn streamed_body(len: usize) -> Body {
    static CHUNK: [u8; 1 << 20] = [b' '; 1 << 20];
    let chunks = (0..len.div_ceil(CHUNK.len())).map(move |i| {
        let size = CHUNK.len().min(len - i * CHUNK.len());
        Ok::<_, std::io::Error>(Bytes::from_static(&CHUNK[..size]))
    });
    Body::from_stream(futures::stream::iter(chunks))
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused() {
    let over = traefikee_apiserver::MAX_BODY_BYTES + 1;
    for (uri, content_type) in [("/api/v1/restore", "application/x-tar"), ("/api/v1/config", "application/json")] {
        let fake = Fake::new();
        let mut req = Request::builder()
            .method("POST")
            .uri(uri)
            .header("content-type", content_type)
            .body(streamed_body(over))
            .unwrap();
        req.extensions_mut().insert(operator());
        let answer = send(&fake.app(), req).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}: {}", answer.text());
        let error = answer.error();
        assert_eq!(error.code, ErrorCode::InvalidRequest);
        assert!(error.message.contains("length limit exceeded"), "{uri}: {}", error.message);
        assert!(fake.calls().is_empty(), "{uri} reached the handler");
    }
}

#[tokio::test]
async fn a_body_over_axums_default_limit_but_under_ours_is_accepted() {
    // axum refuses bodies over 2 MB unless told otherwise: a large configuration or backup
    // must get through.
    let len = 3 << 20;
    let fake = Fake::new();
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/v1/restore")
        .header("content-type", "application/x-tar")
        .body(streamed_body(len))
        .unwrap();
    req.extensions_mut().insert(operator());
    let answer = send(&fake.app(), req).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(fake.calls()[0].detail, format!("{len} bytes force=false dry_run=false"));

    let fake = Fake::new();
    let content = "#".repeat(len);
    let body = serde_json::to_vec(&json!({"content": content})).unwrap();
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/v1/config")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    req.extensions_mut().insert(operator());
    let answer = send(&fake.app(), req).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(fake.ops(), ["deploy"]);
}

// ---------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_request_without_a_transport_is_refused() {
    for e in ENDPOINTS {
        let fake = Fake::new();
        let answer = send(&fake.app(), endpoint_request(e, None)).await;
        assert!(!answer.status.is_success(), "{} {}: {}", e.method, e.uri, answer.text());
        let error = answer.error();
        assert_eq!(error.code, ErrorCode::Internal, "{} {}", e.method, e.uri);
        assert!(fake.authorizations().is_empty() && fake.calls().is_empty(), "{} {}", e.method, e.uri);
    }
}

#[tokio::test]
async fn a_tls_request_without_a_client_certificate_is_unauthenticated() {
    for e in ENDPOINTS {
        let fake = Fake::new();
        let answer = send(&fake.app(), endpoint_request(e, Some(Transport::Tls(None)))).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{} {}: {}", e.method, e.uri, answer.text());
        let error = answer.error();
        assert_eq!(error.code, ErrorCode::Unauthenticated);
        assert!(error.hint.as_deref().is_some_and(|h| h.contains("traefikeectl connect")), "{error:?}");
        assert!(fake.authorizations().is_empty() && fake.calls().is_empty(), "{} {}", e.method, e.uri);
    }
}

#[tokio::test]
async fn a_certificate_of_another_cluster_is_unauthenticated() {
    for e in ENDPOINTS {
        let fake = Fake::new();
        let transport = Transport::Tls(Some(cert("othercluster", Role::Operator, "alice")));
        let answer = send(&fake.app(), endpoint_request(e, Some(transport))).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{} {}: {}", e.method, e.uri, answer.text());
        let error = answer.error();
        assert!(error.message.contains("othercluster"), "{}", error.message);
        assert!(fake.authorizations().is_empty() && fake.calls().is_empty(), "{} {}", e.method, e.uri);
    }
}

#[tokio::test]
async fn node_certificates_are_forbidden() {
    for role in [Role::Controller, Role::Proxy] {
        for e in ENDPOINTS {
            let fake = Fake::new();
            let transport = Transport::Tls(Some(cert(CLUSTER, role, "node1")));
            let answer = send(&fake.app(), endpoint_request(e, Some(transport))).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{role:?} {} {}: {}", e.method, e.uri, answer.text());
            assert_eq!(answer.error().code, ErrorCode::Forbidden);
            assert!(fake.authorizations().is_empty() && fake.calls().is_empty(), "{} {}", e.method, e.uri);
        }
    }
}

#[tokio::test]
async fn an_authorize_failure_stops_the_request_before_the_handler() {
    for e in ENDPOINTS {
        for transport in [operator(), Transport::Local, enrollment()] {
            for (code, wire) in [
                (ErrorCode::Unauthenticated, "unauthenticated"),
                (ErrorCode::Forbidden, "forbidden"),
                (ErrorCode::Unavailable, "unavailable"),
            ] {
                let fake = Fake::refusing(ApiError::new(code, "revoked").with_hint("ask for a new credential"));
                let answer = send(&fake.app(), endpoint_request(e, Some(transport.clone()))).await;
                let what = format!("{} {} {transport:?} {wire}", e.method, e.uri);
                assert_eq!(answer.status, documented_status(code), "{what}: {}", answer.text());
                assert_eq!(
                    answer.json(),
                    json!({"error": {"code": wire, "message": "revoked", "hint": "ask for a new credential"}}),
                    "{what}"
                );
                assert_eq!(fake.authorizations().len(), 1, "{what}");
                assert!(fake.calls().is_empty(), "{what}: the handler ran: {:?}", fake.calls());
            }
        }
    }
}

#[tokio::test]
async fn diagnostic_reads_authorize_as_they_are_and_the_rest_fresh() {
    for e in ENDPOINTS {
        let fake = Fake::new();
        let answer = send(&fake.app(), endpoint_request(e, Some(operator()))).await;
        assert_eq!(answer.status, StatusCode::OK, "{} {}: {}", e.method, e.uri, answer.text());
        assert_eq!(
            fake.authorizations(),
            [Authorization { caller: operator_caller(), key_sha256: Some(KEY_SHA256.into()), fresh: !e.diagnostic }],
            "{} {}",
            e.method,
            e.uri
        );
    }
}

#[tokio::test]
async fn local_reads_are_authorized_fresh_and_local_writes_are_left_to_raft() {
    // auth.rs: "The local owner may do anything; its reads, like everyone's, must be current
    // (a write is checked by Raft itself)."
    for e in ENDPOINTS {
        let fake = Fake::new();
        let answer = send(&fake.app(), endpoint_request(e, Some(Transport::Local))).await;
        assert_eq!(answer.status, StatusCode::OK, "{} {}: {}", e.method, e.uri, answer.text());
        let fresh = !e.diagnostic && e.method == "GET";
        assert_eq!(
            fake.authorizations(),
            [Authorization { caller: Caller::Local, key_sha256: None, fresh }],
            "{} {}",
            e.method,
            e.uri
        );
    }
    // The secrets among the reads are fresh for the local owner too.
    for uri in ["/api/v1/tokens", "/api/v1/backup", "/api/v1/config", "/api/v1/credentials"] {
        let fake = Fake::new();
        send(&fake.app(), build("GET", uri, Payload::None, Some(Transport::Local))).await;
        assert!(fake.authorizations()[0].fresh, "{uri}");
    }
}

#[tokio::test]
async fn handlers_get_the_authenticated_caller() {
    let with_caller = [
        "remove_node",
        "rotate_tokens",
        "create_credential",
        "revoke_credential",
        "exchange",
        "deploy",
        "backup",
        "restore",
    ];
    for (transport, caller) in [(Transport::Local, Caller::Local), (operator(), operator_caller())] {
        for e in ENDPOINTS {
            let fake = Fake::new();
            let answer = send(&fake.app(), endpoint_request(e, Some(transport.clone()))).await;
            assert_eq!(answer.status, StatusCode::OK, "{} {} {transport:?}: {}", e.method, e.uri, answer.text());
            let calls = fake.calls();
            assert_eq!(calls.len(), 1);
            let expected = with_caller.contains(&e.op).then(|| caller.clone());
            assert_eq!(calls[0].caller, expected, "{} {} {transport:?}", e.method, e.uri);
        }
    }
}

#[tokio::test]
async fn an_enrollment_credential_may_only_read_the_cluster_and_exchange() {
    let enrollment_caller = Caller::Enrollment { id: "enr1".into(), serial: "0a1b2c".into() };
    for e in ENDPOINTS {
        let fake = Fake::new();
        let answer = send(&fake.app(), endpoint_request(e, Some(enrollment()))).await;
        let what = format!("{} {}", e.method, e.uri);
        assert_eq!(
            fake.authorizations(),
            [Authorization {
                caller: enrollment_caller.clone(),
                key_sha256: Some(KEY_SHA256.into()),
                fresh: !e.diagnostic
            }],
            "{what}"
        );
        if matches!(e.op, "cluster_info" | "exchange") {
            assert_eq!(answer.status, StatusCode::OK, "{what}: {}", answer.text());
            assert_eq!(fake.ops(), [e.op], "{what}");
            if e.op == "exchange" {
                assert_eq!(fake.calls()[0].caller.as_ref(), Some(&enrollment_caller));
            }
        } else {
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{what}: {}", answer.text());
            let error = answer.error();
            assert!(error.message.contains("can only be exchanged"), "{what}: {}", error.message);
            assert!(error.hint.is_some(), "{what}");
            assert!(fake.calls().is_empty(), "{what}: the handler ran");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The router and the OpenAPI document
// ---------------------------------------------------------------------------------------------

/// The (METHOD, path) pairs of the `.route("...", ...)` calls of the router's source, under
/// `/api/v1`.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let source = include_str!("../src/routes.rs");
    // The unit tests at the end build routers of their own.
    let source = source.split("#[cfg(test)]").next().unwrap();
    assert!(source.contains(r#".nest("/api/v1", api)"#), "the API is no longer nested under /api/v1");
    let mut routes = BTreeSet::new();
    let mut rest = source;
    while let Some(start) = rest.find(".route(") {
        rest = &rest[start + ".route(".len()..];
        let mut depth = 1;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .map(|(i, _)| i)
            .expect("a .route( call without its closing parenthesis");
        let args = rest[..end].trim_start();
        let path = args
            .strip_prefix('"')
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("a route whose path is not a string literal: {args}"));
        let handlers = &args[path.len() + 2..];
        let methods = methods_in(handlers);
        assert!(!methods.is_empty(), "no HTTP method found in .route({args})");
        for method in methods {
            routes.insert((method, format!("/api/v1{path}")));
        }
    }
    routes
}

/// The HTTP methods of a method router expression such as `get(a).post(b)`.
fn methods_in(expr: &str) -> Vec<String> {
    let mut methods = Vec::new();
    let bytes = expr.as_bytes();
    for name in ["get", "post", "put", "delete", "patch", "head", "options", "trace", "connect", "any", "on"] {
        let needle = format!("{name}(");
        let mut from = 0;
        while let Some(i) = expr[from..].find(&needle) {
            let at = from + i;
            from = at + needle.len();
            let boundary = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
            if !boundary {
                continue;
            }
            assert!(name != "any" && name != "on", "cannot tell the methods of {expr}; extend this parser");
            methods.push(name.to_uppercase());
        }
    }
    methods
}

/// The (METHOD, path) pairs of the OpenAPI document.
fn routes_in_openapi() -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_str(&traefikee_apiserver::openapi::document()).expect("the document is JSON");
    let paths = doc["paths"].as_object().expect("the document has paths");
    let mut routes = BTreeSet::new();
    for (path, item) in paths {
        for method in item.as_object().expect("a path item").keys() {
            if ["get", "put", "post", "delete", "options", "head", "patch", "trace"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn show(routes: &BTreeSet<(String, String)>) -> String {
    routes.iter().map(|(m, p)| format!("\n  {m} {p}")).collect()
}

#[test]
fn every_route_is_documented_and_every_documented_operation_is_routed() {
    let routed = routes_in_source();
    assert!(
        routed.len() >= ROUTE_COUNT,
        "found {} routes in src/routes.rs, expected at least {ROUTE_COUNT}: the parser no longer finds them{}",
        routed.len(),
        show(&routed)
    );
    let documented = routes_in_openapi();
    assert!(
        documented.len() >= ROUTE_COUNT,
        "the OpenAPI document has {} operations{}",
        documented.len(),
        show(&documented)
    );
    let undocumented: BTreeSet<_> = routed.difference(&documented).cloned().collect();
    let unrouted: BTreeSet<_> = documented.difference(&routed).cloned().collect();
    assert!(undocumented.is_empty(), "routed but missing from the OpenAPI document:{}", show(&undocumented));
    assert!(unrouted.is_empty(), "in the OpenAPI document but not routed:{}", show(&unrouted));
}

#[test]
fn these_tests_cover_every_route() {
    let mut covered: BTreeSet<_> = ENDPOINTS.iter().map(|e| (e.method.to_string(), e.route.to_string())).collect();
    covered.insert((OPENAPI.0.to_string(), OPENAPI.1.to_string()));
    assert_eq!(covered.len(), ROUTE_COUNT);
    let routed = routes_in_source();
    assert_eq!(covered, routed, "ENDPOINTS here and the routes of src/routes.rs differ");
}

#[tokio::test]
async fn every_documented_and_every_routed_operation_is_answered_by_a_route() {
    let all: BTreeSet<_> = routes_in_openapi().union(&routes_in_source()).cloned().collect();
    assert!(all.len() >= ROUTE_COUNT);
    for (method, path) in all {
        // A concrete path for a templated one.
        let uri: String =
            path.split('/').map(|s| if s.starts_with('{') { "n1" } else { s }).collect::<Vec<_>>().join("/");
        let payload =
            ENDPOINTS.iter().find(|e| e.method == method && e.route == path).map_or(Payload::None, |e| e.payload);
        let fake = Fake::new();
        let answer = send(&fake.app(), build(&method, &uri, payload, Some(operator()))).await;
        let text = answer.text();
        assert!(
            !text.contains("no such endpoint") && !text.contains("is not allowed on"),
            "{method} {path} ({uri}) is not routed: {} {text}",
            answer.status
        );
        assert_eq!(answer.status, StatusCode::OK, "{method} {uri}: {text}");
    }
}
