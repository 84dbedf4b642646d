use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use traefikee_pki::{CertInfo, Role};

use crate::{ApiError, ControlPlane};

/// How a request arrived; the server that accepted the connection inserts it.
#[derive(Debug, Clone)]
pub enum Transport {
    /// The node's unix socket: whoever can open it (mode 0600) is its owner.
    Local,
    /// The mTLS port, with the client certificate rustls already verified against the CA.
    Tls(Option<CertInfo>),
}

/// Who is calling, once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The owner of a node, through its local socket.
    Local,
    /// An operator with a personal certificate.
    Operator { name: String, serial: String },
    /// The one-time bootstrap credential: it may only be exchanged.
    Enrollment { id: String, serial: String },
}

impl Caller {
    /// How the audit trail names the caller.
    pub fn actor(&self) -> String {
        match self {
            Caller::Local => "local socket".to_string(),
            Caller::Operator { name, .. } => format!("operator {name}"),
            Caller::Enrollment { id, .. } => format!("enrollment {id}"),
        }
    }
}

/// Turns the transport into a [`Caller`] or refuses the request; the caller's credential is
/// checked against a state that holds every acknowledged write.
pub(crate) async fn authenticate(State(cp): State<Arc<dyn ControlPlane>>, req: Request, next: Next) -> Response {
    authenticate_with(cp, req, next, true).await
}

/// As [`authenticate`], for the diagnostic reads: checked against this controller's state as
/// it is.
pub(crate) async fn authenticate_diagnostic(
    State(cp): State<Arc<dyn ControlPlane>>,
    req: Request,
    next: Next,
) -> Response {
    authenticate_with(cp, req, next, false).await
}

async fn authenticate_with(cp: Arc<dyn ControlPlane>, mut req: Request, next: Next, fresh: bool) -> Response {
    let caller = match req.extensions().get::<Transport>() {
        // The local owner may do anything; its reads, like everyone's, must be current
        // (a write is checked by Raft itself).
        Some(Transport::Local) => {
            let read = req.method() == axum::http::Method::GET;
            cp.authorize(&Caller::Local, None, fresh && read).await.map(|()| Caller::Local)
        }
        Some(Transport::Tls(Some(cert))) => caller_for_cert(cp.as_ref(), cert, fresh).await,
        Some(Transport::Tls(None)) => Err(ApiError::unauthenticated("a client certificate is required")
            .with_hint("connect with `traefikeectl connect` to get one, or pass the profile with --clustername")),
        None => Err(ApiError::internal("request arrived on an unknown transport")),
    };
    match caller {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

async fn caller_for_cert(cp: &dyn ControlPlane, cert: &CertInfo, fresh: bool) -> Result<Caller, ApiError> {
    if cert.identity.cluster_id != cp.cluster_id() {
        return Err(ApiError::unauthenticated(format!(
            "the client certificate belongs to cluster {}, not to this one",
            cert.identity.cluster_id
        )));
    }
    let caller = caller_for_role(cert)?;
    cp.authorize(&caller, Some(&cert.key_sha256), fresh).await?;
    Ok(caller)
}

/// Which certificates are API callers at all: operators, and enrollment credentials (for the
/// exchange); node certificates never are.
fn caller_for_role(cert: &CertInfo) -> Result<Caller, ApiError> {
    match cert.identity.role {
        Role::Operator => Ok(Caller::Operator { name: cert.identity.id.clone(), serial: cert.serial.clone() }),
        Role::Enrollment => Ok(Caller::Enrollment { id: cert.identity.id.clone(), serial: cert.serial.clone() }),
        role @ (Role::Controller | Role::Proxy) => Err(ApiError::forbidden(format!(
            "a {role} node certificate cannot call the API; use an operator credential"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use traefikee_pki::Identity;

    use super::*;
    use crate::ErrorCode;

    fn cert(role: Role) -> CertInfo {
        CertInfo {
            identity: Identity::new("c", role, "x"),
            serial: "0a".into(),
            not_after: time::OffsetDateTime::now_utc(),
            key_sha256: String::new(),
        }
    }

    #[test]
    fn node_certificates_are_not_api_callers() {
        for role in [Role::Controller, Role::Proxy] {
            let err = caller_for_role(&cert(role)).unwrap_err();
            assert_eq!(err.code, ErrorCode::Forbidden);
            assert!(err.message.contains("node certificate cannot call the API"), "{}", err.message);
        }
        assert!(matches!(caller_for_role(&cert(Role::Operator)), Ok(Caller::Operator { .. })));
        assert!(matches!(caller_for_role(&cert(Role::Enrollment)), Ok(Caller::Enrollment { .. })));
    }
}

/// Extractor for handlers that an operator or the local owner may call.
#[derive(Debug, Clone)]
pub(crate) struct Operator(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Caller>() {
            Some(c @ (Caller::Local | Caller::Operator { .. })) => Ok(Operator(c.clone())),
            Some(Caller::Enrollment { .. }) => {
                Err(ApiError::forbidden("the one-time enrollment credential can only be exchanged for a personal one")
                    .with_hint("run `traefikeectl connect` with it first"))
            }
            None => Err(ApiError::unauthenticated("not authenticated")),
        }
    }
}

/// Extractor for the few reads an enrollment credential may also make (cluster info).
#[derive(Debug, Clone)]
pub(crate) struct AnyCaller(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for AnyCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .map(AnyCaller)
            .ok_or_else(|| ApiError::unauthenticated("not authenticated"))
    }
}
