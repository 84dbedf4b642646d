//! `ipAllowList`: Refuses clients whose IP (per `ipStrategy`) is outside `sourceRange`.
//!
//! Not implemented yet: a configuration using it is refused with a message naming the
//! middleware. Replace the body of [`build`] (see the interface in `middleware/mod.rs`).

use std::sync::Arc;

use super::{BuildContext, BuildError, Middleware};
use crate::config::IpAllowList;

pub(super) fn build(_config: &IpAllowList, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    Err(BuildError::not_implemented(ctx, "ipAllowList"))
}
