//! One configuration from several providers, named as Traefik names them.
//!
//! In Traefik every router, service and middleware belongs to a provider and is known as
//! `name@provider` (`whoami@kubernetes`, `strip@etcd`); a reference without a suffix means
//! the referring element's own provider. Here the deployed document is the `file` provider's:
//! its elements keep their plain names (so `web` is reported as `web@file`, as before), and a
//! reference to `name@file` from anywhere is that plain name. Every other provider's elements
//! enter the merged document under their qualified names, with their own references
//! qualified, so that the engine and the validator see one document whose every reference is
//! a key of it.

use std::collections::BTreeMap;

use super::document::ConfigDocument;
use super::dynamic::DynamicConfig;
use super::validate::ValidationError;

/// The provider of the deployed document.
pub const FILE_PROVIDER: &str = "file";
/// Traefik's built-in elements (`api@internal`, `noop@internal`).
pub const INTERNAL_PROVIDER: &str = "internal";

/// Merges the providers' configurations into the deployed document. `parts` are (provider,
/// configuration) pairs; a provider's names may not contain `@`. Errors name the element by
/// its key path in the merged document.
pub fn merge_providers(
    mut deployed: ConfigDocument,
    parts: &[(&str, &DynamicConfig)],
) -> Result<ConfigDocument, Vec<ValidationError>> {
    let mut errors = Vec::new();
    plain_names(&deployed.dynamic, &mut errors);
    qualify(&mut deployed.dynamic, FILE_PROVIDER);
    // Entry points name middlewares and TLS options too (`http.middlewares: [auth@file]`).
    for ep in deployed.static_config.entry_points.values_mut() {
        if let Some(http) = ep.http.as_mut() {
            http.middlewares.iter_mut().for_each(|m| *m = resolve(m, FILE_PROVIDER));
            if let Some(options) = http.tls.as_mut().and_then(|t| t.options.as_mut()) {
                if options != "default" {
                    *options = resolve(options, FILE_PROVIDER);
                }
            }
        }
    }
    for (provider, part) in parts {
        plain_names(part, &mut errors);
        let mut part = (*part).clone();
        qualify(&mut part, provider);
        add(&mut deployed.dynamic, part, provider, &mut errors);
    }
    if errors.is_empty() {
        Ok(deployed)
    } else {
        Err(errors)
    }
}

/// The name an element of `provider` called `name` has in the merged document.
pub fn merged_name(name: &str, provider: &str) -> String {
    if provider == FILE_PROVIDER {
        name.to_string()
    } else {
        format!("{name}@{provider}")
    }
}

/// The name Traefik reports (logs, metrics) for a key of the merged document: its own when a
/// provider brought it, with `default`'s suffix otherwise (`web@file`).
pub fn reported_name(key: &str, default: &str) -> String {
    if key.contains('@') {
        key.to_string()
    } else {
        format!("{key}@{default}")
    }
}

/// The provider of a key of the merged document.
pub fn provider_of(key: &str) -> &str {
    key.split_once('@').map_or(FILE_PROVIDER, |(_, p)| p)
}

/// How a reference written by an element of `provider` reads in the merged document.
fn resolve(reference: &str, provider: &str) -> String {
    match reference.split_once('@') {
        Some((name, FILE_PROVIDER)) => name.to_string(),
        Some(_) => reference.to_string(),
        None => merged_name(reference, provider),
    }
}

fn plain_names(config: &DynamicConfig, errors: &mut Vec<ValidationError>) {
    let mut check = |section: &str, names: &mut dyn Iterator<Item = &String>| {
        for name in names.filter(|n| n.contains('@')) {
            errors.push(ValidationError {
                path: format!("{section}.{name}"),
                message: "the character @ is not allowed in names: it separates a name from its provider".into(),
            });
        }
    };
    check("http.routers", &mut config.http.routers.keys());
    check("http.services", &mut config.http.services.keys());
    check("http.middlewares", &mut config.http.middlewares.keys());
    check("tcp.routers", &mut config.tcp.routers.keys());
    check("tcp.services", &mut config.tcp.services.keys());
    check("tls.options", &mut config.tls.options.keys());
}

/// Renames a provider's elements and rewrites the references they hold.
fn qualify(config: &mut DynamicConfig, provider: &str) {
    fn names<T>(map: &mut BTreeMap<String, T>, provider: &str) {
        if provider != FILE_PROVIDER {
            *map = std::mem::take(map).into_iter().map(|(k, v)| (merged_name(&k, provider), v)).collect();
        }
    }
    let r = |s: &mut String| *s = resolve(s, provider);
    // TLS options: `default` is the cluster's, whoever names it.
    let tls_option = |s: &mut String| {
        if s != "default" {
            *s = resolve(s, provider)
        }
    };
    for router in config.http.routers.values_mut() {
        router.service.as_mut().map(r);
        router.middlewares.iter_mut().for_each(r);
        if let Some(tls) = router.tls.as_mut() {
            tls.options.as_mut().map(tls_option);
        }
    }
    for service in config.http.services.values_mut() {
        if let Some(w) = service.weighted.as_mut() {
            w.services.iter_mut().for_each(|s| r(&mut s.name));
        }
    }
    for middleware in config.http.middlewares.values_mut() {
        if let Some(chain) = middleware.chain.as_mut() {
            chain.middlewares.iter_mut().for_each(r);
        }
    }
    for router in config.tcp.routers.values_mut() {
        router.service.as_mut().map(r);
        if let Some(tls) = router.tls.as_mut() {
            tls.options.as_mut().map(tls_option);
        }
    }
    for service in config.tcp.services.values_mut() {
        if let Some(w) = service.weighted.as_mut() {
            w.services.iter_mut().for_each(|s| r(&mut s.name));
        }
    }
    names(&mut config.http.routers, provider);
    names(&mut config.http.services, provider);
    names(&mut config.http.middlewares, provider);
    names(&mut config.tcp.routers, provider);
    names(&mut config.tcp.services, provider);
    if provider != FILE_PROVIDER {
        let options = std::mem::take(&mut config.tls.options);
        config.tls.options = options
            .into_iter()
            .map(|(k, v)| if k == "default" { (k, v) } else { (merged_name(&k, provider), v) })
            .collect();
    }
}

fn add(into: &mut DynamicConfig, part: DynamicConfig, provider: &str, errors: &mut Vec<ValidationError>) {
    fn each<T>(
        section: &str,
        into: &mut BTreeMap<String, T>,
        from: BTreeMap<String, T>,
        provider: &str,
        errors: &mut Vec<ValidationError>,
    ) {
        for (name, value) in from {
            match into.entry(name) {
                std::collections::btree_map::Entry::Occupied(taken) => errors.push(ValidationError {
                    path: format!("{section}.{}", taken.key()),
                    message: format!("defined by the {provider} provider and by another one"),
                }),
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(value);
                }
            }
        }
    }
    each("http.routers", &mut into.http.routers, part.http.routers, provider, errors);
    each("http.services", &mut into.http.services, part.http.services, provider, errors);
    each("http.middlewares", &mut into.http.middlewares, part.http.middlewares, provider, errors);
    each("tcp.routers", &mut into.tcp.routers, part.tcp.routers, provider, errors);
    each("tcp.services", &mut into.tcp.services, part.tcp.services, provider, errors);
    each("tls.options", &mut into.tls.options, part.tls.options, provider, errors);
    each("tls.stores", &mut into.tls.stores, part.tls.stores, provider, errors);
    into.tls.certificates.extend(part.tls.certificates);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Format;

    const DEPLOYED: &str = "entryPoints:\n  web:\n    address: ':80'\nhttp:\n  routers:\n    home:\n      rule: Path(`/`)\n      service: whoami@etcd\n      middlewares: [strip@file]\n  middlewares:\n    strip:\n      stripPrefix:\n        prefixes: [/x]\n";

    /// Parsed, not validated: it names a service of a provider.
    fn deployed() -> ConfigDocument {
        crate::config::parse_document(DEPLOYED, Format::Yaml).unwrap()
    }

    fn etcd() -> DynamicConfig {
        crate::config::from_kv(
            "traefik",
            [
                ("traefik/http/routers/whoami/rule", "Host(`w`)"),
                ("traefik/http/routers/whoami/service", "whoami"),
                ("traefik/http/routers/whoami/middlewares/0", "strip@file"),
                ("traefik/http/routers/whoami/middlewares/1", "auth"),
                ("traefik/http/middlewares/auth/basicauth/users/0", "u:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/"),
                ("traefik/http/services/whoami/loadbalancer/servers/0/url", "http://127.0.0.1:1"),
            ],
        )
        .unwrap()
    }

    #[test]
    fn providers_elements_are_qualified_and_their_references_resolved() {
        let etcd = etcd();
        let merged = merge_providers(deployed(), &[("etcd", &etcd)]).unwrap();
        merged.validate().unwrap();
        let d = &merged.dynamic;
        assert_eq!(d.http.routers["home"].service.as_deref(), Some("whoami@etcd"));
        assert_eq!(d.http.routers["home"].middlewares, ["strip"]);
        let whoami = &d.http.routers["whoami@etcd"];
        assert_eq!(whoami.service.as_deref(), Some("whoami@etcd"));
        assert_eq!(whoami.middlewares, ["strip", "auth@etcd"]);
        assert!(d.http.middlewares.contains_key("auth@etcd"));
        assert_eq!(provider_of("whoami@etcd"), "etcd");
        assert_eq!(provider_of("home"), "file");
    }

    #[test]
    fn without_the_provider_a_reference_to_it_is_unknown() {
        let merged = merge_providers(deployed(), &[]).unwrap();
        let err = merged.validate().unwrap_err().to_string();
        assert!(err.contains("whoami@etcd"), "{err}");
    }

    #[test]
    fn at_signs_in_names_are_refused() {
        let mut doc = deployed();
        doc.dynamic.http.middlewares.insert("x@etcd".into(), Default::default());
        let errors = merge_providers(doc, &[]).unwrap_err();
        assert_eq!(errors[0].path, "http.middlewares.x@etcd");
    }
}
