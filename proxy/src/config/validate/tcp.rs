//! Checks of TCP routers (`HostSNI` rules, TLS passthrough) and TCP services.

use super::*;

impl Validator {
    pub(super) fn tcp_router(
        &mut self,
        name: &str,
        router: &TcpRouter,
        config: &DynamicConfig,
        statics: Option<&StaticConfig>,
    ) {
        let path = format!("tcp.routers.{name}");
        self.name(&path, name);
        match router.rule.as_deref() {
            None | Some("") => self.err(format!("{path}.rule"), "a rule is required"),
            Some(text) => match rule::parse_tcp_rule(text) {
                Err(e) => self.err(format!("{path}.rule"), format!("invalid rule {e}")),
                Ok(parsed) => {
                    if router.tls.is_none() && parsed.host_sni_values().first().is_some_and(|v| v != "*") {
                        self.err(
                            format!("{path}.rule"),
                            "a HostSNI matcher other than HostSNI(`*`) needs `tls` on the router",
                        );
                    }
                }
            },
        }
        self.rule_syntax(format!("{path}.ruleSyntax"), router.rule_syntax.as_deref());
        self.service_ref(&path, router.service.as_deref(), "TCP service", |s| config.tcp.services.contains_key(s));
        self.priority(format!("{path}.priority"), router.priority);
        self.router_entry_points(&path, &router.entry_points, statics);
        if let Some(tls) = &router.tls {
            self.router_tls(&path, tls.options.as_deref(), &tls.domains, &config.tls);
        }
    }

    pub(super) fn tcp_service(&mut self, name: &str, service: &TcpService, tcp: &TcpConfig) {
        let path = format!("tcp.services.{name}");
        self.name(&path, name);
        self.one_service_kind(&path, service.load_balancer.is_some(), service.weighted.is_some());
        if let Some(lb) = &service.load_balancer {
            if lb.servers.is_empty() {
                self.err(format!("{path}.loadBalancer.servers"), "at least one server is required");
            }
            for (i, server) in lb.servers.iter().enumerate() {
                let addr = server.address.as_str();
                let port_ok = addr.rfind(':').is_some_and(|i| addr[i + 1..].parse::<u16>().is_ok_and(|p| p > 0));
                if split_host_port(addr).is_none_or(str::is_empty) || !port_ok {
                    self.err(
                        format!("{path}.loadBalancer.servers[{i}].address"),
                        format!("invalid address {addr:?}, expected host:port"),
                    );
                }
            }
        }
        if let Some(w) = &service.weighted {
            self.weighted_services(&format!("{path}.weighted"), &w.services, |n| tcp.services.contains_key(n));
        }
    }
}
