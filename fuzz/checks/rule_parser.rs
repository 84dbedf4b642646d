//! Any rule text: parsing it as an HTTP or a TCP rule, matching the rule and indexing it in
//! a router must not panic. Input: the rule text (UTF-8; other bytes are ignored).

use traefikee_proxy::router::{HttpRoute, HttpRouterIndex};
use traefikee_proxy::rule::{parse_http_rule, parse_tcp_rule, ConnInfo, SimpleRequest};

/// Whether the text parsed as a rule of either kind.
pub fn check(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else { return false };
    let mut parsed = false;
    if let Ok(rule) = parse_http_rule(text) {
        parsed = true;
        let requests = [
            SimpleRequest::new("GET", "Example.com:8080", "/api/%41%2Fx?q=1&r")
                .header("X-A", "1")
                .client_ip([10, 0, 0, 1].into()),
            SimpleRequest::new("post", "[::1]:443", "/a%zz b").client_ip([0u16, 0, 0, 0, 0, 0, 0, 1].into()),
            SimpleRequest::new("GET", "", ""),
        ];
        for req in &requests {
            let _ = rule.matches(req);
        }
        let _ = rule.default_priority();
        let index = HttpRouterIndex::new([HttpRoute::new("r", vec!["web".to_owned()], rule, 0, ())]);
        for req in &requests {
            let _ = index.lookup("web", req);
        }
    }
    if let Ok(rule) = parse_tcp_rule(text) {
        parsed = true;
        let _ = rule.matches(&ConnInfo { server_name: "a.example.com", client_ip: None, alpn_protocols: &["h2"] });
        let _ = rule.matches(&ConnInfo { server_name: "", client_ip: Some([10, 0, 0, 1].into()), alpn_protocols: &[] });
        let _ = rule.default_priority();
    }
    parsed
}
