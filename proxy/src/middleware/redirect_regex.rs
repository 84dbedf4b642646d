//! `redirectRegex`: Redirects when the full request URL matches a regexp, with `$1`-style replacement.
//!
//! Not implemented yet: a configuration using it is refused with a message naming the
//! middleware. Replace the body of [`build`] (see the interface in `middleware/mod.rs`).

use std::sync::Arc;

use super::{BuildContext, BuildError, Middleware};
use crate::config::RedirectRegex;

pub(super) fn build(_config: &RedirectRegex, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    Err(BuildError::not_implemented(ctx, "redirectRegex"))
}
