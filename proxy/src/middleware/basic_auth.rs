//! `basicAuth`: HTTP basic authentication against htpasswd entries (bcrypt, apr1, SHA1).
//!
//! Not implemented yet: a configuration using it is refused with a message naming the
//! middleware. Replace the body of [`build`] (see the interface in `middleware/mod.rs`).

use std::sync::Arc;

use super::{BuildContext, BuildError, Middleware};
use crate::config::BasicAuth;

pub(super) fn build(_config: &BasicAuth, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    Err(BuildError::not_implemented(ctx, "basicAuth"))
}
