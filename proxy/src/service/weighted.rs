//! `weighted` services: weighted round robin over other services, with an optional sticky
//! cookie naming the chosen child service.

use std::sync::Arc;

use http::header;

use super::load_balancer::StickyCookie;
use super::wrr::Wrr;
use crate::body::Request;
use crate::errors::{NoAvailableServer, ProxyError};
use crate::handler::{Handler, HandlerFuture, SharedHandler};

pub(crate) struct Weighted {
    pub(crate) name: Arc<str>,
    /// Child service names (as configured) and handlers.
    pub(crate) children: Vec<(String, SharedHandler)>,
    pub(crate) wrr: Wrr,
    pub(crate) sticky: Option<StickyCookie>,
}

pub(crate) struct WeightedHandler(pub(crate) Arc<Weighted>);

impl Handler for WeightedHandler {
    fn handle(&self, req: Request) -> HandlerFuture {
        let w = &self.0;
        let sticky = w.sticky.as_ref().and_then(|c| c.find(&req)).and_then(|v| w.wrr.sticky(v));
        let (index, set_cookie) = match sticky {
            Some(i) => (Some(i), None),
            None => {
                let index = w.wrr.next();
                let cookie = match (&w.sticky, index.and_then(|i| w.children.get(i))) {
                    (Some(c), Some((name, _))) => c.set_cookie(name),
                    _ => None,
                };
                (index, cookie)
            }
        };
        let Some((_, child)) = index.and_then(|i| w.children.get(i)) else {
            let resp = ProxyError::from(NoAvailableServer { service: w.name.clone() }).into_response();
            return Box::pin(async move { resp });
        };
        let fut = child.handle(req);
        Box::pin(async move {
            let mut resp = fut.await;
            if let Some(cookie) = set_cookie {
                resp.headers_mut().append(header::SET_COOKIE, cookie);
            }
            resp
        })
    }
}
