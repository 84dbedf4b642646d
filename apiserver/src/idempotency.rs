//! `Idempotency-Key`: a write the client sends again, to the same or another controller,
//! after its answer was lost or it was refused as "no quorum", applies at most once.
//!
//! The key a request carries is made available to the [`crate::ControlPlane`] implementation
//! for the duration of the request ([`current`]); the control plane scopes it to the caller
//! and records it with the write, so a second write with the same key gets the first one's
//! answer instead of applying again. traefikeectl sends a new key with every write.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

pub const HEADER: &str = "idempotency-key";

/// The header as the OpenAPI document describes it, on every write.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKey {
    /// 16 to 64 letters, digits, '-' or '_', new for each write and the same when it is sent
    /// again: the cluster applies a key at most once per caller (for ten minutes) and answers
    /// a repeat with the first answer.
    #[param(rename = "Idempotency-Key")]
    idempotency_key: Option<String>,
}

tokio::task_local! {
    static KEY: Option<String>;
}

/// The `Idempotency-Key` of the request being served, if it carried one.
pub fn current() -> Option<String> {
    KEY.try_with(Clone::clone).ok().flatten()
}

/// 16 to 64 letters, digits, '-' or '_': enough for a random id, nothing to escape.
fn valid(key: &str) -> bool {
    (16..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Middleware: validates the header and makes it [`current`] while the request is served.
pub async fn scope(req: Request, next: Next) -> Response {
    let key = match req.headers().get(HEADER).map(|v| v.to_str().map(str::to_string)) {
        None => None,
        Some(Ok(key)) if valid(&key) => Some(key),
        Some(_) => {
            return ApiError::invalid("the Idempotency-Key header must be 16 to 64 letters, digits, '-' or '_'")
                .into_response()
        }
    };
    KEY.scope(key, next.run(req)).await
}

#[cfg(test)]
mod tests {
    use super::valid;

    #[test]
    fn keys_are_short_plain_tokens() {
        assert!(valid("0123456789abcdef"));
        assert!(valid(&"a".repeat(64)));
        assert!(!valid("short"));
        assert!(!valid(&"a".repeat(65)));
        assert!(!valid("0123456789abcdef\n"));
        assert!(!valid("0123456789abcdef/.."));
    }
}
