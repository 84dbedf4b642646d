//! Any configuration text, in every format, loads or is refused without panicking; only text
//! the format's own parser accepts loads; what loads writes back and loads again to the same
//! model, in its own format and as the JSON that controllers send to data nodes; and data
//! nodes can build routing tables from it.
//! Input: one byte choosing the format (YAML, TOML, JSON: the byte modulo 3), then the text.

use traefikee_proxy::config::{load_document, load_dynamic, load_static, Format};
use traefikee_proxy::router::HttpRoutingTables;

/// Whether the text loaded as a document.
pub fn check(data: &[u8]) -> bool {
    let Some((&selector, rest)) = data.split_first() else { return false };
    let Ok(text) = std::str::from_utf8(rest) else { return false };
    let format = match selector % 3 {
        0 => Format::Yaml,
        1 => Format::Toml,
        _ => Format::Json,
    };
    let _ = load_dynamic(text, format);
    let _ = load_static(text, format);
    let Ok(document) = load_document(text, format) else { return false };
    let well_formed = match format {
        Format::Yaml => serde_yaml::from_str::<serde_yaml::Value>(text).map(drop).map_err(|e| e.to_string()),
        Format::Toml => toml::from_str::<toml::Table>(text).map(drop).map_err(|e| e.to_string()),
        Format::Json => serde_json::from_str::<serde_json::Value>(text).map(drop).map_err(|e| e.to_string()),
    };
    if let Err(e) = well_formed {
        panic!("a {format:?} text its parser refuses ({e}) loaded:\n{text}");
    }
    for out in [format, Format::Json] {
        // Some documents have no TOML form (a null inside an array); that is a refusal, not a bug.
        if let Ok(again) = document.to_text(out) {
            match load_document(&again, out) {
                Ok(reloaded) => assert_eq!(reloaded, document, "{out:?} text of a loaded document:\n{again}"),
                Err(e) => panic!("the {out:?} text of a loaded document does not load: {e}\n{again}"),
            }
        } else {
            assert!(out != Format::Json, "a loaded document has no JSON form");
        }
    }
    if let Err(e) = HttpRoutingTables::from_document(&document) {
        panic!("a document that validates has routers data nodes cannot build: {e}");
    }
    true
}
