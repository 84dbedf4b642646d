use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{middleware, Json, Router};

use crate::auth::{authenticate, Operator};
use crate::types::*;
use crate::{ApiError, ControlPlane};

type Cp = State<Arc<dyn ControlPlane>>;

/// The API router. The transport that serves it must insert a [`crate::Transport`] extension
/// into every request.
pub fn router(cp: Arc<dyn ControlPlane>) -> Router {
    let api = Router::new()
        .route("/cluster", get(cluster_info))
        .route("/nodes", get(list_nodes))
        .route("/nodes/{node}", delete(remove_node))
        .route("/tokens", get(tokens))
        .route("/tokens/rotate", post(rotate_tokens))
        .route_layer(middleware::from_fn_with_state(cp.clone(), authenticate))
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

/// A JSON body whose rejections use the API's error shape.
#[allow(dead_code)]
pub(crate) struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(rejection) => Err(ApiError::invalid(format!("invalid request body: {}", rejection.body_text()))),
        }
    }
}

/// Cluster identity, version, leader and controllers.
#[utoipa::path(get, path = "/api/v1/cluster", tag = "cluster",
    responses((status = 200, body = ClusterInfo), (status = "4XX", body = crate::ErrorBody)))]
async fn cluster_info(State(cp): Cp, _: Operator) -> Result<Json<ClusterInfo>, ApiError> {
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
    params(("node" = String, Path, description = "node name or id")),
    responses((status = 200, body = RemovedNode), (status = "4XX", body = crate::ErrorBody)))]
async fn remove_node(
    State(cp): Cp,
    Operator(caller): Operator,
    Path(node): Path<String>,
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
#[utoipa::path(post, path = "/api/v1/tokens/rotate", tag = "tokens",
    responses((status = 200, body = Tokens), (status = "4XX", body = crate::ErrorBody)))]
async fn rotate_tokens(State(cp): Cp, Operator(caller): Operator) -> Result<Json<Tokens>, ApiError> {
    cp.rotate_tokens(&caller).await.map(Json)
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", responses((status = 200, description = "the OpenAPI document")))]
async fn openapi() -> Response {
    ([("content-type", "application/json")], crate::openapi::document()).into_response()
}
