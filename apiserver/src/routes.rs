use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{middleware, Json, Router};

use crate::auth::{authenticate, authenticate_diagnostic, AnyCaller, Operator};
use crate::types::*;
use crate::{ApiError, ControlPlane};

type Cp = State<Arc<dyn ControlPlane>>;

/// The API router. The transport that serves it must insert a [`crate::Transport`] extension
/// into every request.
pub fn router(cp: Arc<dyn ControlPlane>) -> Router {
    // Diagnostic reads answer from the controller's state as it is, so an operator can look at
    // a controller cut off from the others; everything else is authorized against a state
    // that holds every acknowledged write (see `ControlPlane`).
    let diagnostic = Router::new()
        .route("/cluster", get(cluster_info))
        .route("/nodes", get(list_nodes))
        .route("/audit", get(audit))
        .route_layer(middleware::from_fn_with_state(cp.clone(), authenticate_diagnostic));
    let api = Router::new()
        .route("/nodes/{node}", delete(remove_node))
        .route("/tokens", get(tokens))
        .route("/tokens/rotate", post(rotate_tokens))
        .route("/credentials", get(list_credentials).post(create_credential))
        .route("/credentials/revoke", post(revoke_credential))
        .route("/credentials/exchange", post(exchange))
        .route("/config", get(config).post(deploy))
        .route("/providers", get(providers))
        .route("/backup", get(backup))
        .route("/restore", post(restore))
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
        .route_layer(middleware::from_fn_with_state(cp.clone(), authenticate))
        .route_layer(middleware::from_fn(crate::idempotency::scope))
        .merge(diagnostic)
        .route("/openapi.json", get(openapi))
        .with_state(cp);
    Router::new().nest("/api/v1", api).fallback(not_found).method_not_allowed_fallback(method_not_allowed)
}

async fn not_found(req: Request) -> ApiError {
    ApiError::not_found(format!("no such endpoint: {} {}", req.method(), req.uri().path()))
}

async fn method_not_allowed(req: Request) -> ApiError {
    ApiError::invalid(format!("method {} is not allowed on {}", req.method(), req.uri().path()))
}

/// A JSON object body whose rejections use the API's error shape. Every request body of the
/// API is an object: anything else (an array, which serde would otherwise take for the
/// struct's fields in order, a number, `null`) is refused before it is decoded.
pub(crate) struct Body<T>(pub T);

fn invalid_body(why: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("invalid request body: {why}"))
}

/// `application/json` or `application/<something>+json`, as axum's `Json` accepts.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mime = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

impl<S, T> FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(invalid_body("Expected request with `Content-Type: application/json`"));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|r| invalid_body(r.body_text()))?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(invalid_body("expected a JSON object"));
        }
        match Json::<T>::from_bytes(&bytes) {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(invalid_body(rejection.body_text())),
        }
    }
}

/// A query string whose rejections use the API's error shape.
pub(crate) struct Params<T>(pub T);

impl<S, T> FromRequestParts<S> for Params<T>
where
    Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(Params(v)),
            Err(rejection) => Err(ApiError::invalid(format!("invalid query: {}", rejection.body_text()))),
        }
    }
}

/// A path parameter whose rejections (a segment that is not UTF-8 once percent-decoded) use
/// the API's error shape.
pub(crate) struct PathParam<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParam<T>
where
    Path<T>: FromRequestParts<S, Rejection = PathRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(PathParam(v)),
            Err(rejection) => Err(ApiError::invalid(format!("invalid path: {}", rejection.body_text()))),
        }
    }
}

/// Cluster identity, version, leader and controllers. An enrollment credential may read it.
#[utoipa::path(get, path = "/api/v1/cluster", tag = "cluster",
    responses((status = 200, body = ClusterInfo), (status = "4XX", body = crate::ErrorBody)))]
async fn cluster_info(State(cp): Cp, _: AnyCaller) -> Result<Json<ClusterInfo>, ApiError> {
    cp.cluster_info().await.map(Json)
}

/// Every node of the cluster with its role, membership and status.
#[utoipa::path(get, path = "/api/v1/nodes", tag = "nodes",
    responses((status = 200, body = NodeList), (status = "4XX", body = crate::ErrorBody)))]
async fn list_nodes(State(cp): Cp, _: Operator) -> Result<Json<NodeList>, ApiError> {
    cp.list_nodes().await.map(Json)
}

/// Removes a node by name or id; a control node leaves the Raft membership.
#[utoipa::path(delete, path = "/api/v1/nodes/{node}", tag = "nodes",
    params(("node" = String, Path, description = "node name or id"), crate::idempotency::IdempotencyKey),
    responses((status = 200, body = RemovedNode), (status = "4XX", body = crate::ErrorBody)))]
async fn remove_node(
    State(cp): Cp,
    Operator(caller): Operator,
    PathParam(node): PathParam<String>,
) -> Result<Json<RemovedNode>, ApiError> {
    cp.remove_node(&caller, &node).await.map(Json)
}

/// The current join tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens",
    responses((status = 200, body = Tokens), (status = "4XX", body = crate::ErrorBody)))]
async fn tokens(State(cp): Cp, _: Operator) -> Result<Json<Tokens>, ApiError> {
    cp.tokens().await.map(Json)
}

/// Replaces both join tokens; the old ones are refused from then on.
#[utoipa::path(post, path = "/api/v1/tokens/rotate", tag = "tokens", params(crate::idempotency::IdempotencyKey),
    responses((status = 200, body = Tokens), (status = "4XX", body = crate::ErrorBody)))]
async fn rotate_tokens(State(cp): Cp, Operator(caller): Operator) -> Result<Json<Tokens>, ApiError> {
    cp.rotate_tokens(&caller).await.map(Json)
}

/// Exchanges the one-time enrollment credential the caller presents for a personal
/// certificate of the CSR's key. Works once per enrollment credential.
#[utoipa::path(post, path = "/api/v1/credentials/exchange", tag = "credentials", request_body = ExchangeRequest, params(crate::idempotency::IdempotencyKey),
    responses((status = 200, body = ExchangeResponse), (status = "4XX", body = crate::ErrorBody)))]
async fn exchange(
    State(cp): Cp,
    AnyCaller(caller): AnyCaller,
    Body(req): Body<ExchangeRequest>,
) -> Result<Json<ExchangeResponse>, ApiError> {
    cp.exchange(&caller, req).await.map(Json)
}

/// Operator credentials and one-time credentials, with their status.
#[utoipa::path(get, path = "/api/v1/credentials", tag = "credentials",
    responses((status = 200, body = CredentialList), (status = "4XX", body = crate::ErrorBody)))]
async fn list_credentials(State(cp): Cp, _: Operator) -> Result<Json<CredentialList>, ApiError> {
    cp.list_credentials().await.map(Json)
}

/// Creates a one-time credential for another operator.
#[utoipa::path(post, path = "/api/v1/credentials", tag = "credentials", request_body = CreateCredentialRequest, params(crate::idempotency::IdempotencyKey),
    responses((status = 200, body = NewCredential), (status = "4XX", body = crate::ErrorBody)))]
async fn create_credential(
    State(cp): Cp,
    Operator(caller): Operator,
    Body(req): Body<CreateCredentialRequest>,
) -> Result<Json<NewCredential>, ApiError> {
    cp.create_credential(&caller, req).await.map(Json)
}

/// Revokes credentials by operator name, serial or enrollment id; every controller refuses
/// them from then on.
#[utoipa::path(post, path = "/api/v1/credentials/revoke", tag = "credentials", request_body = RevokeRequest, params(crate::idempotency::IdempotencyKey),
    responses((status = 200, body = Revoked), (status = "4XX", body = crate::ErrorBody)))]
async fn revoke_credential(
    State(cp): Cp,
    Operator(caller): Operator,
    Body(req): Body<RevokeRequest>,
) -> Result<Json<Revoked>, ApiError> {
    cp.revoke_credential(&caller, req).await.map(Json)
}

/// The newest changes to the cluster: who, when, what.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = AuditLog), (status = "4XX", body = crate::ErrorBody)))]
async fn audit(State(cp): Cp, _: Operator, Params(q): Params<AuditQuery>) -> Result<Json<AuditLog>, ApiError> {
    cp.audit(q.limit.unwrap_or(100).clamp(1, 10_000)).await.map(Json)
}

/// Validates a configuration and, unless it is a dry run, deploys it: data nodes apply it
/// atomically. An invalid configuration is refused with the key (and line) at fault, and the
/// running one stays.
#[utoipa::path(post, path = "/api/v1/config", tag = "config", request_body = DeployRequest, params(crate::idempotency::IdempotencyKey),
    responses((status = 200, body = DeployResult), (status = "4XX", body = crate::ErrorBody)))]
async fn deploy(
    State(cp): Cp,
    Operator(caller): Operator,
    Body(req): Body<DeployRequest>,
) -> Result<Json<DeployResult>, ApiError> {
    cp.deploy(&caller, req).await.map(Json)
}

/// The deployed configuration and its version.
#[utoipa::path(get, path = "/api/v1/config", tag = "config",
    responses((status = 200, body = DeployedConfig), (status = "4XX", body = crate::ErrorBody)))]
async fn config(State(cp): Cp, _: Operator) -> Result<Json<DeployedConfig>, ApiError> {
    cp.config().await.map(Json)
}

/// The providers the deployed configuration enables (etcd, Consul, Redis), and how each is
/// doing: what it gave, when, and why it fails while it does. What a failing provider gave
/// before keeps running.
#[utoipa::path(get, path = "/api/v1/providers", tag = "config",
    responses((status = 200, body = ProviderList), (status = "4XX", body = crate::ErrorBody)))]
async fn providers(State(cp): Cp, _: Operator) -> Result<Json<ProviderList>, ApiError> {
    cp.providers().await.map(Json)
}

/// A backup of the cluster: a tar archive (see `traefikee backup` for the format) of the
/// replicated configuration and secrets, taken at one committed Raft index. It holds the CA
/// key: treat it as a secret.
#[utoipa::path(get, path = "/api/v1/backup", tag = "backup",
    responses((status = 200, content_type = "application/x-tar", description = "the archive"),
        (status = "4XX", body = crate::ErrorBody)))]
async fn backup(State(cp): Cp, Operator(caller): Operator) -> Result<Response, ApiError> {
    let archive = cp.backup(&caller).await?;
    Ok(([("content-type", "application/x-tar")], archive).into_response())
}

/// Restores a backup archive (plain tar; decrypt it on the client): the configuration, and
/// from an archive of this cluster also the join tokens and credential state, in one Raft
/// entry. Membership and node identities are untouched. Every check runs before anything
/// changes.
#[utoipa::path(post, path = "/api/v1/restore", tag = "backup", params(RestoreQuery, crate::idempotency::IdempotencyKey),
    request_body(content = Vec<u8>, content_type = "application/x-tar", description = "the archive"),
    responses((status = 200, body = RestoreResult), (status = "4XX", body = crate::ErrorBody)))]
async fn restore(
    State(cp): Cp,
    Operator(caller): Operator,
    Params(query): Params<RestoreQuery>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<RestoreResult>, ApiError> {
    let body = body.map_err(|r| ApiError::invalid(format!("the archive could not be received: {}", r.body_text())))?;
    cp.restore(&caller, body.to_vec(), query).await.map(Json)
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "the OpenAPI document")))]
async fn openapi() -> Response {
    ([("content-type", "application/json")], crate::openapi::document()).into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;
    use crate::{ErrorBody, ErrorCode};

    /// Issue 13 (found by `fuzz_api_bodies`): `DELETE /api/v1/nodes/c%8B` was refused with
    /// axum's plain-text "Invalid URL", not the API's error shape.
    #[tokio::test]
    async fn a_path_segment_that_is_not_utf8_is_refused_in_the_error_shape() {
        let app = Router::new().route("/nodes/{node}", get(|PathParam(node): PathParam<String>| async move { node }));
        let call = |uri: &'static str| {
            let app = app.clone();
            async move {
                let response = app.oneshot(http::Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
                let status = response.status();
                (status, response.into_body().collect().await.unwrap().to_bytes())
            }
        };
        let (status, body) = call("/nodes/c%8B").await;
        assert_eq!(status, http::StatusCode::BAD_REQUEST);
        let error: ErrorBody = serde_json::from_slice(&body).expect("the error shape");
        assert_eq!(error.error.code, ErrorCode::InvalidRequest);
        assert!(error.error.message.contains("UTF-8"), "{}", error.error.message);
        assert_eq!(&call("/nodes/c%C3%A9").await.1[..], "c\u{e9}".as_bytes());
    }
}
