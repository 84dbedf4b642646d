//! Large texts inside Raft entries travel and sit in the log compressed.
//!
//! openraft 0.9 gives every AppendEntries call one heartbeat interval (50 ms) to complete;
//! a 10,000-router configuration is about 1 MB of JSON, which does not reliably cross mTLS,
//! get parsed and fsynced by a follower in that time on a loaded machine. Compressed with
//! zstd it is about a tenth of that. The encoded form is `zstd:` followed by base64; a plain
//! string (older log entries, which start with `{`) is read as it is.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Deserializer, Serializer};

const PREFIX: &str = "zstd:";
/// Fast; the document is compressed once per deploy, on the controller that proposes it.
const LEVEL: i32 = 3;
/// Nothing that passed the API's body limit expands beyond this.
const MAX_TEXT_BYTES: u64 = traefikee_apiserver::MAX_BODY_BYTES as u64 * 4;

pub fn serialize<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    let packed = zstd::bulk::compress(text.as_bytes(), LEVEL).map_err(serde::ser::Error::custom)?;
    let mut out = String::with_capacity(PREFIX.len() + packed.len().div_ceil(3) * 4);
    out.push_str(PREFIX);
    B64.encode_string(&packed, &mut out);
    s.serialize_str(&out)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = String::deserialize(d)?;
    unpack(&raw).map_err(serde::de::Error::custom)
}

fn unpack(raw: &str) -> Result<String, String> {
    let Some(encoded) = raw.strip_prefix(PREFIX) else {
        return Ok(raw.to_owned());
    };
    let packed = B64.decode(encoded).map_err(|e| format!("packed text is not base64: {e}"))?;
    let decoder = zstd::stream::read::Decoder::new(packed.as_slice()).map_err(|e| e.to_string())?;
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(decoder, MAX_TEXT_BYTES + 1), &mut text)
        .map_err(|e| format!("packed text does not decompress: {e}"))?;
    if text.len() as u64 > MAX_TEXT_BYTES {
        return Err(format!("packed text expands beyond {MAX_TEXT_BYTES} bytes"));
    }
    String::from_utf8(text).map_err(|e| format!("packed text is not UTF-8: {e}"))
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Doc {
        #[serde(with = "super")]
        text: String,
    }

    #[test]
    fn round_trip_is_smaller_for_repetitive_text() {
        let text: String = (0..10_000).map(|i| format!("{{\"r{i}\":{{\"rule\":\"Host(`h{i}.test`)\"}}}},")).collect();
        let doc = Doc { text: text.clone() };
        let json = serde_json::to_string(&doc).unwrap();
        assert!(json.contains("zstd:"), "{}", &json[..40]);
        assert!(json.len() * 5 < text.len(), "{} bytes packed from {}", json.len(), text.len());
        assert_eq!(serde_json::from_str::<Doc>(&json).unwrap(), doc);
    }

    #[test]
    fn plain_text_from_older_entries_is_read_as_is() {
        let doc: Doc = serde_json::from_str(r#"{"text":"{\"http\":{}}"}"#).unwrap();
        assert_eq!(doc.text, r#"{"http":{}}"#);
    }

    #[test]
    fn damaged_packing_is_an_error_not_a_panic() {
        for bad in [r#"{"text":"zstd:!!!"}"#, r#"{"text":"zstd:AAAA"}"#] {
            let err = serde_json::from_str::<Doc>(bad).unwrap_err().to_string();
            assert!(err.contains("packed text"), "{err}");
        }
    }
}
