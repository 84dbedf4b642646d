//! `addPrefix`: prepends a prefix to the path, for backends mounted below `/`.

use std::sync::Arc;

use super::{
    ensure_leading_slash, escape_path, set_path, BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request,
    SharedHandler,
};
use crate::config::AddPrefix as Config;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    if config.prefix.is_empty() {
        return Err(ctx.invalid("addPrefix needs a prefix"));
    }
    Ok(Arc::new(AddPrefix { escaped_prefix: escape_path(&config.prefix).into() }))
}

struct AddPrefix {
    escaped_prefix: Arc<str>,
}

impl Middleware for AddPrefix {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { escaped_prefix: self.escaped_prefix.clone(), next })
    }
}

struct Layer {
    escaped_prefix: Arc<str>,
    next: SharedHandler,
}

impl Handler for Layer {
    fn handle(&self, mut req: Request) -> HandlerFuture {
        let path = ensure_leading_slash(&format!("{}{}", self.escaped_prefix, req.uri().path()));
        set_path(&mut req, &path);
        self.next.handle(req)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{echo, get, text};
    use super::*;

    #[tokio::test]
    async fn prepends_the_prefix() {
        for (prefix, target, expect) in [
            ("/api", "/users?a=b", "GET /api/users?a=b"),
            ("api", "/users", "GET /api/users"),
            ("/a b", "/c", "GET /a%20b/c"),
        ] {
            let mw = build(&Config { prefix: prefix.into() }, &BuildContext::new("t")).expect("builds");
            assert_eq!(text(mw.wrap(echo()).handle(get("h", target)).await).await, expect);
        }
    }
}
