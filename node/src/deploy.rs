//! Turning a deploy request into a validated configuration document, on the controller,
//! before anything is committed; the configuration proxies run, merged with the providers'.

use traefikee_apiserver::types::{ConfigFormat, DeployRequest};
use traefikee_apiserver::ApiError;
use traefikee_proxy::config::{
    merge_providers, parse_document, ConfigDocument, DynamicConfig, EntryPoint, EntryPointHttp, EntryPointTls, Format,
    KvProvider, ValidationErrors,
};

use crate::state::{ConfigRecord, ProviderRecord};

fn format_of(f: ConfigFormat) -> Format {
    match f {
        ConfigFormat::Yaml => Format::Yaml,
        ConfigFormat::Toml => Format::Toml,
        ConfigFormat::Json => Format::Json,
    }
}

const NOTHING_CHANGED: &str = "fix the configuration and deploy again; the running configuration was not changed";

fn invalid(e: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(format!("invalid configuration: {e}")).with_hint(NOTHING_CHANGED)
}

/// The providers' configurations, by provider name, as the state holds them.
pub type Parts = Vec<(String, DynamicConfig)>;

/// The configurations the providers gave, from their records.
pub fn provider_parts(records: &[ProviderRecord]) -> Result<Parts, ApiError> {
    let mut parts = Vec::new();
    for rec in records {
        if let Some(doc) = &rec.document {
            let config: DynamicConfig = serde_json::from_str(doc).map_err(|e| {
                ApiError::internal(format!("the configuration the {} provider gave no longer loads: {e}", rec.name))
            })?;
            parts.push((rec.name.clone(), config));
        }
    }
    Ok(parts)
}

/// The names of the providers a deployed document configures (`file`, `etcd`, `consul`...).
pub fn configured_providers(doc: &ConfigDocument) -> Vec<&'static str> {
    doc.static_config.providers.as_ref().map(|p| p.names()).unwrap_or_default()
}

/// The deployed document merged with what the providers it configures gave: what proxies
/// run. Parts of providers it does not configure are left out.
pub fn merge(deployed: ConfigDocument, parts: &Parts) -> Result<ConfigDocument, ValidationErrors> {
    let configured = configured_providers(&deployed);
    let parts: Vec<(&str, &DynamicConfig)> =
        parts.iter().filter(|(name, _)| configured.contains(&name.as_str())).map(|(n, c)| (n.as_str(), c)).collect();
    merge_providers(deployed, &parts).map_err(ValidationErrors)
}

/// [`merge`] of the stored texts, validated, as JSON: the document proxies receive.
pub fn running_document(deployed: Option<&str>, parts: &Parts) -> Result<String, ApiError> {
    let doc = match deployed {
        Some(text) => parse_document(text, Format::Json)
            .map_err(|e| ApiError::internal(format!("the deployed configuration no longer loads: {e}")))?,
        None => ConfigDocument::default(),
    };
    let mut merged = merge(doc, parts)
        .map_err(|e| ApiError::internal(format!("the providers' configurations do not merge: {e}")))?;
    // Proxies need none of it, and it holds the stores' credentials.
    merged.static_config.providers = None;
    merged.to_text(Format::Json).map_err(|e| ApiError::internal(e.to_string()))
}

/// The document a deploy request describes: its content (or the deployed dynamic
/// configuration), with the entry points and providers of the flags, validated merged with
/// what the providers gave. Returns the document as JSON text (its own elements only) and a
/// one-line summary.
///
/// The content is only parsed at first: the flags' entry points are data added to it, and the
/// whole is validated once, so that the file's routers may name them
/// (`--entryPoints='Name:web Address::8080' --configfile=dynamic.yaml`). A flag replaces the
/// file's entry point of the same name.
pub fn build(current: Option<&ConfigRecord>, req: &DeployRequest, parts: &Parts) -> Result<(String, String), ApiError> {
    let mut doc = match &req.content {
        Some(text) => parse_document(text, format_of(req.format)).map_err(invalid)?,
        None => {
            let mut doc = match current {
                Some(c) => parse_document(&c.document, Format::Json)
                    .map_err(|e| ApiError::internal(format!("the deployed configuration no longer loads: {e}")))?,
                None => ConfigDocument::default(),
            };
            if !req.entry_points.is_empty() {
                doc.static_config.entry_points.clear();
            }
            doc
        }
    };
    for ep in &req.entry_points {
        let http = ep.tls.then(|| EntryPointHttp { tls: Some(EntryPointTls::default()), ..Default::default() });
        let entry_point = EntryPoint { address: ep.address.clone(), http, ..Default::default() };
        doc.static_config.entry_points.insert(ep.name.clone(), entry_point);
    }
    for name in &req.default_entry_points {
        match doc.static_config.entry_points.get_mut(name) {
            Some(ep) => ep.as_default = Some(true),
            None => {
                return Err(ApiError::invalid(format!(
                    "--defaultentrypoints names {name:?}, which is not an entry point"
                ))
                .with_hint("declare it with --entryPoints='Name:NAME Address::PORT' or in the configuration file"))
            }
        }
    }
    add_provider_flags(&mut doc, req)?;
    // Its own names are checked and its references to `name@file` made plain...
    let own = merge(doc, &Vec::new()).map_err(invalid)?;
    // ...and it is validated as proxies will run it.
    merge(own.clone(), parts).map_err(invalid)?.validate().map_err(invalid)?;
    let json = own.to_text(Format::Json).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((json, summary(&own)))
}

/// TraefikEE v1's `--consul.endpoint=HOST:PORT --consul.prefix=traefik` (and etcd, redis):
/// the provider of that name, replacing the file's.
fn add_provider_flags(doc: &mut ConfigDocument, req: &DeployRequest) -> Result<(), ApiError> {
    for flag in &req.providers {
        let provider = KvProvider {
            endpoints: flag.endpoints.clone(),
            root_key: flag.prefix.clone(),
            username: flag.username.clone(),
            password: flag.password.clone(),
            token: flag.token.clone(),
            ..Default::default()
        };
        let providers = doc.static_config.providers.get_or_insert_with(Default::default);
        let slot = match flag.kind.as_str() {
            "consul" => &mut providers.consul,
            "etcd" => &mut providers.etcd,
            "redis" => &mut providers.redis,
            other => {
                return Err(ApiError::invalid(format!("unknown provider {other:?} in the flags"))
                    .with_hint("use --consul.endpoint, --etcd.endpoint or --redis.endpoint"))
            }
        };
        *slot = Some(provider);
    }
    Ok(())
}

pub fn summary(doc: &ConfigDocument) -> String {
    let d = &doc.dynamic;
    format!(
        "{} entry points, {} routers, {} services, {} middlewares, {} TCP routers, {} certificates",
        doc.static_config.entry_points.len(),
        d.http.routers.len(),
        d.http.services.len(),
        d.http.middlewares.len(),
        d.tcp.routers.len(),
        d.tls.certificates.len()
    )
}

#[cfg(test)]
mod tests {
    use traefikee_apiserver::types::EntryPointFlag;
    use traefikee_proxy::config::load_document;

    use super::*;

    fn flag(name: &str, address: &str, tls: bool) -> EntryPointFlag {
        EntryPointFlag { name: name.into(), address: address.into(), tls }
    }

    #[test]
    fn the_guides_flags_make_entry_points() {
        let req = DeployRequest {
            entry_points: vec![flag("http", ":80", false), flag("https", ":443", true)],
            default_entry_points: vec!["http".into(), "https".into()],
            ..Default::default()
        };
        let (json, summary) = build(None, &req, &Vec::new()).unwrap();
        assert!(summary.starts_with("2 entry points, 0 routers"), "{summary}");
        let doc = load_document(&json, Format::Json).unwrap();
        let https = &doc.static_config.entry_points["https"];
        assert_eq!(https.address, ":443");
        assert_eq!(https.as_default, Some(true));
        assert!(https.http.as_ref().and_then(|h| h.tls.as_ref()).is_some());
    }

    #[test]
    fn a_bad_file_is_refused_with_the_key_and_line() {
        let req = DeployRequest {
            content: Some(
                "http:\n  routers:\n    web:\n      rule: Host(`a`)\n      service: s\n      colour: red\n".into(),
            ),
            ..Default::default()
        };
        let err = build(None, &req, &Vec::new()).unwrap_err();
        assert!(err.message.contains("http.routers.web") && err.message.contains("colour"), "{}", err.message);
        assert!(err.message.contains("line 6"), "{}", err.message);
        assert!(err.hint.unwrap().contains("not changed"));

        let req = DeployRequest { default_entry_points: vec!["nope".into()], ..Default::default() };
        assert!(build(None, &req, &Vec::new()).unwrap_err().message.contains("\"nope\""));
    }

    const ROUTED_TO_WEB: &str = "http:\n  routers:\n    app:\n      rule: PathPrefix(`/`)\n      entryPoints: [web]\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:1\n";

    /// Issue 12, item 8: the README's `deploy --entryPoints='Name:web Address::8080'
    /// --configfile=dynamic.yaml` with a router on `web` was refused, the file being validated
    /// before the flags' entry points joined it.
    #[test]
    fn routers_may_name_the_entry_points_of_the_flags() {
        let alone = DeployRequest { content: Some(ROUTED_TO_WEB.into()), ..Default::default() };
        let err = build(None, &alone, &Vec::new()).unwrap_err();
        assert!(
            err.message.contains(r#"http.routers.app.entryPoints[0]: unknown entry point "web""#),
            "{}",
            err.message
        );

        let req = DeployRequest {
            content: Some(ROUTED_TO_WEB.into()),
            entry_points: vec![flag("web", ":8080", false)],
            ..Default::default()
        };
        let (json, summary) = build(None, &req, &Vec::new()).unwrap();
        assert!(summary.starts_with("1 entry points, 1 routers, 1 services"), "{summary}");
        let doc = load_document(&json, Format::Json).unwrap();
        assert_eq!(doc.static_config.entry_points["web"].address, ":8080");
        assert_eq!(doc.dynamic.http.routers["app"].entry_points, vec!["web".to_string()]);

        // A flag replaces the file's entry point of the same name; others stay.
        let with_own =
            format!("entryPoints:\n  web:\n    address: ':9000'\n  admin:\n    address: ':9001'\n{ROUTED_TO_WEB}");
        let req = DeployRequest { content: Some(with_own), ..req };
        let (json, _) = build(None, &req, &Vec::new()).unwrap();
        let doc = load_document(&json, Format::Json).unwrap();
        assert_eq!(doc.static_config.entry_points["web"].address, ":8080");
        assert_eq!(doc.static_config.entry_points["admin"].address, ":9001");

        // An entry point neither the file nor the flags declare is still refused, with its name.
        let req = DeployRequest {
            content: Some(ROUTED_TO_WEB.replace("[web]", "[websecure]")),
            entry_points: vec![flag("web", ":8080", false)],
            ..Default::default()
        };
        let err = build(None, &req, &Vec::new()).unwrap_err();
        assert!(err.message.contains(r#"unknown entry point "websecure""#), "{}", err.message);
        assert!(err.hint.unwrap().contains("not changed"));
    }

    #[test]
    fn flags_alone_keep_the_deployed_routers() {
        let first = DeployRequest {
            content: Some(
                "entryPoints:\n  web:\n    address: ':8000'\nhttp:\n  routers:\n    r:\n      rule: Host(`a`)\n      service: s\n  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:1\n".into(),
            ),
            ..Default::default()
        };
        let (json, _) = build(None, &first, &Vec::new()).unwrap();
        let current = ConfigRecord {
            version: 1,
            document: json,
            deployed_at: 0,
            deployed_by: "t".into(),
            summary: String::new(),
        };
        let req = DeployRequest { entry_points: vec![flag("web", ":9000", false)], ..Default::default() };
        let (json, summary) = build(Some(&current), &req, &Vec::new()).unwrap();
        let doc = load_document(&json, Format::Json).unwrap();
        assert_eq!(doc.static_config.entry_points["web"].address, ":9000");
        assert!(summary.contains("1 routers"), "{summary}");
    }
}
