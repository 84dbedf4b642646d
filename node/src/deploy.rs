//! Turning a deploy request into a validated configuration document, on the controller,
//! before anything is committed.

use traefikee_apiserver::types::{ConfigFormat, DeployRequest};
use traefikee_apiserver::ApiError;
use traefikee_proxy::config::{
    load_document, parse_document, ConfigDocument, EntryPoint, EntryPointHttp, EntryPointTls, Format,
};

use crate::state::ConfigRecord;

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

/// The document a deploy request describes: its content (or the deployed dynamic
/// configuration), with the entry points of the flags, validated. Returns the document as
/// JSON text and a one-line summary.
///
/// The content is only parsed at first: the flags' entry points are data added to it, and the
/// whole is validated once, so that the file's routers may name them
/// (`--entryPoints='Name:web Address::8080' --configfile=dynamic.yaml`). A flag replaces the
/// file's entry point of the same name.
pub fn build(current: Option<&ConfigRecord>, req: &DeployRequest) -> Result<(String, String), ApiError> {
    let mut doc = match &req.content {
        Some(text) => parse_document(text, format_of(req.format)).map_err(invalid)?,
        None => {
            let mut doc = match current {
                Some(c) => load_document(&c.document, Format::Json)
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
    doc.validate().map_err(invalid)?;
    let json = doc.to_text(Format::Json).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((json, summary(&doc)))
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
        let (json, summary) = build(None, &req).unwrap();
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
        let err = build(None, &req).unwrap_err();
        assert!(err.message.contains("http.routers.web") && err.message.contains("colour"), "{}", err.message);
        assert!(err.message.contains("line 6"), "{}", err.message);
        assert!(err.hint.unwrap().contains("not changed"));

        let req = DeployRequest { default_entry_points: vec!["nope".into()], ..Default::default() };
        assert!(build(None, &req).unwrap_err().message.contains("\"nope\""));
    }

    const ROUTED_TO_WEB: &str = "http:\n  routers:\n    app:\n      rule: PathPrefix(`/`)\n      entryPoints: [web]\n      service: app\n  services:\n    app:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:1\n";

    /// Issue 12, item 8: the README's `deploy --entryPoints='Name:web Address::8080'
    /// --configfile=dynamic.yaml` with a router on `web` was refused, the file being validated
    /// before the flags' entry points joined it.
    #[test]
    fn routers_may_name_the_entry_points_of_the_flags() {
        let alone = DeployRequest { content: Some(ROUTED_TO_WEB.into()), ..Default::default() };
        let err = build(None, &alone).unwrap_err();
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
        let (json, summary) = build(None, &req).unwrap();
        assert!(summary.starts_with("1 entry points, 1 routers, 1 services"), "{summary}");
        let doc = load_document(&json, Format::Json).unwrap();
        assert_eq!(doc.static_config.entry_points["web"].address, ":8080");
        assert_eq!(doc.dynamic.http.routers["app"].entry_points, vec!["web".to_string()]);

        // A flag replaces the file's entry point of the same name; others stay.
        let with_own =
            format!("entryPoints:\n  web:\n    address: ':9000'\n  admin:\n    address: ':9001'\n{ROUTED_TO_WEB}");
        let req = DeployRequest { content: Some(with_own), ..req };
        let (json, _) = build(None, &req).unwrap();
        let doc = load_document(&json, Format::Json).unwrap();
        assert_eq!(doc.static_config.entry_points["web"].address, ":8080");
        assert_eq!(doc.static_config.entry_points["admin"].address, ":9001");

        // An entry point neither the file nor the flags declare is still refused, with its name.
        let req = DeployRequest {
            content: Some(ROUTED_TO_WEB.replace("[web]", "[websecure]")),
            entry_points: vec![flag("web", ":8080", false)],
            ..Default::default()
        };
        let err = build(None, &req).unwrap_err();
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
        let (json, _) = build(None, &first).unwrap();
        let current = ConfigRecord {
            version: 1,
            document: json,
            deployed_at: 0,
            deployed_by: "t".into(),
            summary: String::new(),
        };
        let req = DeployRequest { entry_points: vec![flag("web", ":9000", false)], ..Default::default() };
        let (json, summary) = build(Some(&current), &req).unwrap();
        let doc = load_document(&json, Format::Json).unwrap();
        assert_eq!(doc.static_config.entry_points["web"].address, ":9000");
        assert!(summary.contains("1 routers"), "{summary}");
    }
}
