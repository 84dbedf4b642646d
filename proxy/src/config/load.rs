//! Reading configuration text: format detection, deserialization with key paths, and the
//! wording of parse errors.

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;

use super::keycase::CaseInsensitive;
use super::{ConfigError, Format};

/// A document that could not be read into the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Dotted key path, e.g. `http.routers.web.foo`; empty for the document itself.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// 1-based line in the document, when the parser knows it.
    pub line: Option<usize>,
    /// The keys allowed there, or the right spelling of a mistyped one.
    pub hint: Option<String>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "; {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

impl Format {
    /// The format of a file, by extension: `.yml`/`.yaml`, `.toml` or `.json`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "yml" | "yaml" => Some(Format::Yaml),
            "toml" => Some(Format::Toml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Deserializes `text` into `T`, reporting the first problem with its key path and line.
pub(crate) fn parse<T: DeserializeOwned + Default>(text: &str, format: Format) -> Result<T, ParseError> {
    super::nesting::check(text, format)?;
    match format {
        Format::Yaml => {
            // An empty YAML document (or one with only comments) is an empty configuration.
            if serde_yaml::from_str::<serde_yaml::Value>(text).is_ok_and(|v| v.is_null()) {
                return Ok(T::default());
            }
            serde_path_to_error::deserialize(CaseInsensitive(serde_yaml::Deserializer::from_str(text))).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let line = inner.location().map(|l| l.line());
                build_error(path, strip_yaml_suffix(&inner.to_string()), line)
            })
        }
        Format::Toml => {
            let de = CaseInsensitive(toml::Deserializer::new(text));
            serde_path_to_error::deserialize(de).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let line = inner.span().map(|span| line_of(text, span.start));
                build_error(path, inner.message().to_owned(), line)
            })
        }
        Format::Json => {
            let mut de = serde_json::Deserializer::from_str(text);
            let value = serde_path_to_error::deserialize(CaseInsensitive(&mut de)).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let line = (inner.line() > 0).then_some(inner.line());
                build_error(path, strip_json_suffix(&inner.to_string()), line)
            })?;
            // Text after the document (a second one pasted in, a bad merge) is refused, not ignored.
            de.end().map_err(|e| build_error(String::new(), strip_json_suffix(&e.to_string()), Some(e.line())))?;
            Ok(value)
        }
    }
}

pub(crate) fn read_file(path: &Path) -> Result<(String, Format), ConfigError> {
    let format = Format::from_path(path).ok_or_else(|| ConfigError::UnknownFormat { path: path.to_path_buf() })?;
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io { path: path.to_path_buf(), source })?;
    Ok((text, format))
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|&&b| b == b'\n').count() + 1
}

/// serde_yaml appends " at line L column C" (and sometimes prefixes the path it knows).
fn strip_yaml_suffix(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => &message[..at],
        _ => message,
    };
    message.to_owned()
}

fn strip_json_suffix(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

/// Puts the offending key at the end of the path for unknown fields, turns serde's wording into
/// ours and lists the keys allowed there.
fn build_error(path: String, message: String, line: Option<usize>) -> ParseError {
    let path = if path == "." { String::new() } else { path };
    // serde_yaml prefixes the path it knows ("http.routers.web: ..."); drop it.
    let message = match message.split_once(": ") {
        Some((prefix, rest))
            if !prefix.contains(' ') && path.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix)) =>
        {
            rest.to_owned()
        }
        _ => message,
    };
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return ParseError { path, message, line, hint: None };
    };
    let Some((field, expected)) = rest.split_once('`') else {
        return ParseError { path, message, line, hint: None };
    };
    let full_path = if path.is_empty() {
        field.to_owned()
    } else if path == field || path.ends_with(&format!(".{field}")) {
        path
    } else {
        format!("{path}.{field}")
    };
    let message = format!("unknown field {field:?}");
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let hint = if candidates.is_empty() { None } else { Some(format!("known keys: {}", candidates.join(", "))) };
    ParseError { path: full_path, message, line, hint }
}
