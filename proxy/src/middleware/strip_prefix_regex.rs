//! `stripPrefixRegex`: Removes the prefix matched by a regexp (Go syntax, see `crate::rule::compile_go_regex`) and sets `X-Forwarded-Prefix`.
//!
//! Not implemented yet: a configuration using it is refused with a message naming the
//! middleware. Replace the body of [`build`] (see the interface in `middleware/mod.rs`).

use std::sync::Arc;

use super::{BuildContext, BuildError, Middleware};
use crate::config::StripPrefixRegex;

pub(super) fn build(_config: &StripPrefixRegex, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    Err(BuildError::not_implemented(ctx, "stripPrefixRegex"))
}
