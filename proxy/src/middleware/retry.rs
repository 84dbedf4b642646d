//! `retry`: Retries requests that did not reach an answering upstream (`ProxyError::is_retryable`) with exponential backoff.
//!
//! Not implemented yet: a configuration using it is refused with a message naming the
//! middleware. Replace the body of [`build`] (see the interface in `middleware/mod.rs`).

use std::sync::Arc;

use super::{BuildContext, BuildError, Middleware};
use crate::config::Retry;

pub(super) fn build(_config: &Retry, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    Err(BuildError::not_implemented(ctx, "retry"))
}
