//! Record keys ↔ tar entry names.
//!
//! Keys are arbitrary strings (`token/control`, `credential/<serial>`, router names with
//! `@`), but an entry name must be safe to extract and must map back to exactly one key.
//! So a key is percent-encoded: ASCII letters, digits, `-` and `_` stay, every other byte
//! becomes `%XX` (uppercase hex). The encoded part therefore never holds `/` or `.`, so no
//! entry name has a `..` or a directory of its own; and decoding accepts only the one
//! canonical spelling, so two entries can never decode to the same key.

use std::fmt::Write as _;

use crate::{BackupError, MAX_KEY_BYTES};

/// The manifest, always the first entry.
pub const MANIFEST_NAME: &str = "manifest.json";
/// `sha256sum -c` line for the manifest, always the second entry.
pub const MANIFEST_DIGEST_NAME: &str = "manifest.sha256";
/// Prefix of every record entry.
pub const RECORD_PREFIX: &str = "records/";

fn kept(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// The entry name of a record key (no validation: see [`check_key`]).
pub fn entry_name(key: &str) -> String {
    let mut name = String::with_capacity(RECORD_PREFIX.len() + key.len());
    name.push_str(RECORD_PREFIX);
    for byte in key.bytes() {
        if kept(byte) {
            name.push(char::from(byte));
        } else {
            let _ = write!(name, "%{byte:02X}");
        }
    }
    name
}

/// The record key of an entry name, if the name is one [`entry_name`] produces.
pub fn record_key(name: &str) -> Option<String> {
    let encoded = name.strip_prefix(RECORD_PREFIX)?.as_bytes();
    if encoded.is_empty() {
        return None;
    }
    let mut key = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while let Some(&byte) = encoded.get(i) {
        if byte == b'%' {
            let hex = encoded.get(i + 1..i + 3)?;
            let decoded = (upper_hex(*hex.first()?)? << 4) | upper_hex(*hex.get(1)?)?;
            if kept(decoded) {
                return None;
            }
            key.push(decoded);
            i += 3;
        } else if kept(byte) {
            key.push(byte);
            i += 1;
        } else {
            return None;
        }
    }
    if key.len() > MAX_KEY_BYTES {
        return None;
    }
    String::from_utf8(key).ok()
}

fn upper_hex(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Whether extracting `name` could escape the extraction directory.
pub fn is_unsafe(name: &str) -> bool {
    name.starts_with('/') || name.starts_with('\\') || name.split(['/', '\\']).any(|part| part == "..")
}

/// Refuses keys this format cannot hold.
pub fn check_key(key: &str) -> Result<(), BackupError> {
    let reason = if key.is_empty() {
        "it is empty".to_owned()
    } else if key.len() > MAX_KEY_BYTES {
        format!("it is {} bytes long, the limit is {MAX_KEY_BYTES}", key.len())
    } else {
        return Ok(());
    };
    let shown: String = key.chars().take(80).collect();
    Err(BackupError::InvalidKey { key: shown, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_stay_flat() {
        for key in ["cluster", "token/control", "credential/0a1B", "r@file", "../../etc/passwd", "é/ü", "%41", "."] {
            let name = entry_name(key);
            let encoded = &name[RECORD_PREFIX.len()..];
            assert!(!encoded.contains('/') && !encoded.contains('.'), "{name}");
            assert!(!is_unsafe(&name));
            assert_eq!(record_key(&name).as_deref(), Some(key));
        }
        assert_eq!(entry_name("token/control"), "records/token%2Fcontrol");
    }

    #[test]
    fn only_the_canonical_spelling_decodes() {
        for name in [
            "records/",
            "records/%41",
            "records/%2f",
            "records/%2",
            "records/a/b",
            "records/a.b",
            "records/%FF",
            "other/x",
            "records/%C3",
        ] {
            assert_eq!(record_key(name), None, "{name}");
        }
        assert_eq!(record_key("records/%C3%A9").as_deref(), Some("é"));
    }

    #[test]
    fn unsafe_names() {
        for name in ["/etc/passwd", "../x", "records/../../x", "a/..", "\\x", "a\\..\\b"] {
            assert!(is_unsafe(name), "{name}");
        }
        for name in ["manifest.json", "records/..x", "records/a..b"] {
            assert!(!is_unsafe(name), "{name}");
        }
    }

    #[test]
    fn keys_are_checked() {
        assert!(check_key("").is_err());
        assert!(check_key(&"k".repeat(MAX_KEY_BYTES + 1)).is_err());
        assert!(check_key(&"k".repeat(MAX_KEY_BYTES)).is_ok());
    }
}
