//! `compress`: Compresses responses (gzip, br, zstd) by `Accept-Encoding`.
//!
//! Not implemented yet: a configuration using it is refused with a message naming the
//! middleware. Replace the body of [`build`] (see the interface in `middleware/mod.rs`).

use std::sync::Arc;

use super::{BuildContext, BuildError, Middleware};
use crate::config::Compress;

pub(super) fn build(_config: &Compress, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    Err(BuildError::not_implemented(ctx, "compress"))
}
