//! Traefik's file-provider configuration: model, loading and validation.
//!
//! The model mirrors Traefik v3's YAML/TOML format key for key, so that an existing Traefik file
//! loads unchanged when it uses only what traefikee implements; like Traefik, keys match
//! whatever their case (`entrypoints` is `entryPoints`) and are written back in camelCase. Every struct refuses unknown
//! keys; keys that Traefik knows but traefikee does not implement are refused with a specific
//! message. After parsing, the whole document is validated and every problem is reported at once
//! with its key path. The model serializes back to the same format and compares with `==`, so the
//! engine can tell what changed between two versions.

mod document;
mod duration;
mod dynamic;
mod keycase;
mod kv;
mod load;
mod merge;
mod middleware;
mod nesting;
mod static_config;
mod unsupported;
mod validate;

use std::path::{Path, PathBuf};

pub use document::ConfigDocument;
pub use duration::GoDuration;
pub use dynamic::*;
pub use kv::{from_kv, KvError, MAX_KV_KEYS};
pub use load::ParseError;
pub use merge::{merge_providers, merged_name, provider_of, reported_name, FILE_PROVIDER, INTERNAL_PROVIDER};
pub use middleware::*;
pub use nesting::{MAX_DEPTH, MAX_DOCUMENT_BYTES};
pub use static_config::*;
pub use unsupported::{Hint, Unsupported};
pub use validate::{parse_status_range, ValidationError, ValidationErrors, MAX_USER_PRIORITY};

/// A configuration text format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// YAML (`.yml`, `.yaml`).
    Yaml,
    /// TOML (`.toml`).
    Toml,
    /// JSON (`.json`), the output format of the API.
    Json,
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The text is not a configuration in the model's shape.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// The configuration parsed but is inconsistent.
    #[error("{0}")]
    Invalid(#[from] ValidationErrors),
    /// The file could not be read.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file name does not say which format it is in.
    #[error("{}: unknown configuration format, expected a .yml, .yaml, .toml or .json file", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
}

/// Parses and validates a dynamic configuration (routers, services, middlewares, TLS).
pub fn load_dynamic(text: &str, format: Format) -> Result<DynamicConfig, ConfigError> {
    let config: DynamicConfig = load::parse(text, format)?;
    config.validate()?;
    Ok(config)
}

/// Parses a dynamic configuration without validating it, for a caller that merges it with
/// others (the files of `providers.file`) and validates the whole.
pub fn parse_dynamic(text: &str, format: Format) -> Result<DynamicConfig, ParseError> {
    load::parse(text, format)
}

/// Parses and validates a static configuration (entry points, providers).
pub fn load_static(text: &str, format: Format) -> Result<StaticConfig, ConfigError> {
    let config: StaticConfig = load::parse(text, format)?;
    config.validate()?;
    Ok(config)
}

/// Parses and validates a document holding static and dynamic keys together, as
/// `traefikee deploy --configfile` accepts.
pub fn load_document(text: &str, format: Format) -> Result<ConfigDocument, ConfigError> {
    let document = parse_document(text, format)?;
    document.validate()?;
    Ok(document)
}

/// Parses a document without validating it, for a caller that adds to it first (the entry
/// points of `deploy --entryPoints`) and then validates the whole with
/// [`ConfigDocument::validate`].
pub fn parse_document(text: &str, format: Format) -> Result<ConfigDocument, ParseError> {
    load::parse(text, format)
}

/// Reads a combined document from a file, choosing the format by extension, without
/// validating it.
pub fn parse_file(path: &Path) -> Result<ConfigDocument, ConfigError> {
    let (text, format) = load::read_file(path)?;
    Ok(parse_document(&text, format)?)
}

/// Reads a combined document from a file, choosing the format by extension.
pub fn load_file(path: &Path) -> Result<ConfigDocument, ConfigError> {
    let (text, format) = load::read_file(path)?;
    load_document(&text, format)
}

impl ConfigDocument {
    /// The document in `format`, keys in Traefik's camelCase (what `-o yaml|json` prints).
    pub fn to_text(&self, format: Format) -> Result<String, SerializeError> {
        let result = match format {
            Format::Yaml => serde_yaml::to_string(self).map_err(|e| e.to_string()),
            Format::Toml => toml::to_string(self).map_err(|e| e.to_string()),
            Format::Json => serde_json::to_string_pretty(self).map_err(|e| e.to_string()),
        };
        result.map_err(|message| SerializeError { format, message })
    }
}

/// The model could not be written in the requested format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("writing the configuration as {format:?}: {message}")]
pub struct SerializeError {
    /// The format asked for.
    pub format: Format,
    /// The serializer's message.
    pub message: String,
}
