//! `replacePathRegex`: Rewrites the path with a regexp and replacement; the original goes to `X-Replaced-Path`.
//!
//! Not implemented yet: a configuration using it is refused with a message naming the
//! middleware. Replace the body of [`build`] (see the interface in `middleware/mod.rs`).

use std::sync::Arc;

use super::{BuildContext, BuildError, Middleware};
use crate::config::ReplacePathRegex;

pub(super) fn build(_config: &ReplacePathRegex, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    Err(BuildError::not_implemented(ctx, "replacePathRegex"))
}
