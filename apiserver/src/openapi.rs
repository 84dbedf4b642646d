//! The OpenAPI document, generated from the types and handlers.

use utoipa::OpenApi;

use crate::routes::{
    __path_audit, __path_backup, __path_cluster_info, __path_config, __path_create_credential, __path_deploy,
    __path_exchange, __path_list_credentials, __path_list_nodes, __path_openapi, __path_providers, __path_remove_node,
    __path_restore, __path_revoke_credential, __path_rotate_tokens, __path_tokens,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "traefikee API",
        description = "Manage a traefikee cluster. Served with mutual TLS on every controller and on each node's local socket."
    ),
    paths(
        cluster_info,
        list_nodes,
        remove_node,
        tokens,
        rotate_tokens,
        exchange,
        list_credentials,
        create_credential,
        revoke_credential,
        audit,
        deploy,
        config,
        providers,
        backup,
        restore,
        openapi
    ),
    components(schemas(crate::ErrorBody, crate::ApiError, crate::ErrorCode))
)]
struct ApiDoc;

/// The document as pretty JSON, exactly as committed under `apiserver/openapi.json`.
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = crate::VERSION.to_string();
    let mut text = doc.to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}
