//! Any rule text: parsing as an HTTP or TCP rule, and matching a parsed rule, must not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traefikee_proxy::rule::{parse_http_rule, parse_tcp_rule, ConnInfo, SimpleRequest};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(rule) = parse_http_rule(text) {
        let req = SimpleRequest::new("GET", "Example.com:8080", "/api/%41%2Fx?q=1&r")
            .header("X-A", "1")
            .client_ip([10, 0, 0, 1].into());
        let _ = rule.matches(&req);
        let _ = rule.default_priority();
    }
    if let Ok(rule) = parse_tcp_rule(text) {
        let _ = rule.matches(&ConnInfo { server_name: "a.example.com", client_ip: None, alpn_protocols: &["h2"] });
    }
});
