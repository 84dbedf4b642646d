use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{CaPin, PkiError};

/// Which kind of node a join token admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenRole {
    Control,
    Data,
}

impl TokenRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRole::Control => "control",
            TokenRole::Data => "data",
        }
    }

    /// What the guide calls it, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            TokenRole::Control => "control node token",
            TokenRole::Data => "data node token",
        }
    }
}

impl fmt::Display for TokenRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A join token: `tkee1.<role>.<token-id>.<secret>.<ca-pin-hex>`.
///
/// The cluster stores only the sha256 of the secret. The CA pin lets the joining node check
/// the cluster's certificate during the TLS handshake, before the secret is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct JoinToken {
    pub role: TokenRole,
    pub id: String,
    secret: String,
    pub ca_pin: CaPin,
}

const PREFIX: &str = "tkee1";

impl JoinToken {
    pub fn generate(role: TokenRole, ca_pin: CaPin) -> Self {
        let id: [u8; 8] = rand::random();
        let secret: [u8; 32] = rand::random();
        JoinToken { role, id: hex::encode(id), secret: URL_SAFE_NO_PAD.encode(secret), ca_pin }
    }

    /// What the cluster stores: sha256 of the secret, hex.
    pub fn secret_hash(&self) -> String {
        hex::encode(Sha256::digest(self.secret.as_bytes()))
    }

    /// Checks the secret against a stored hash in constant time.
    pub fn matches_hash(&self, stored_hash_hex: &str) -> bool {
        let ours = Sha256::digest(self.secret.as_bytes());
        match hex::decode(stored_hash_hex) {
            Ok(theirs) if theirs.len() == ours.len() => ours.as_slice().ct_eq(&theirs).into(),
            _ => false,
        }
    }
}

impl fmt::Display for JoinToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}.{}.{}.{}.{}", self.role, self.id, self.secret, hex::encode(self.ca_pin.0))
    }
}

impl fmt::Debug for JoinToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinToken").field("role", &self.role).field("id", &self.id).finish_non_exhaustive()
    }
}

impl FromStr for JoinToken {
    type Err = PkiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| PkiError::MalformedToken(why.to_string());
        let s = s.trim();
        if s.is_empty() {
            return Err(bad("the token is empty"));
        }
        let parts: Vec<&str> = s.split('.').collect();
        if parts[0] != PREFIX {
            return Err(bad("it does not start with \"tkee1.\"; copy it whole from `traefikee env`"));
        }
        if parts.len() != 5 {
            return Err(bad(&format!("expected 5 dot-separated parts, found {}", parts.len())));
        }
        let role = match parts[1] {
            "control" => TokenRole::Control,
            "data" => TokenRole::Data,
            other => return Err(bad(&format!("unknown token role {other:?}"))),
        };
        let id = parts[2];
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("the token id is not 16 hex digits"));
        }
        let secret = parts[3];
        match URL_SAFE_NO_PAD.decode(secret) {
            Ok(bytes) if bytes.len() == 32 => {}
            _ => return Err(bad("the secret is not 32 bytes of base64url")),
        }
        let mut pin = [0u8; 32];
        hex::decode_to_slice(parts[4], &mut pin).map_err(|_| bad("the CA pin is not 64 hex digits"))?;
        Ok(JoinToken { role, id: id.to_ascii_lowercase(), secret: secret.to_string(), ca_pin: CaPin(pin) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin() -> CaPin {
        CaPin([7; 32])
    }

    #[test]
    fn round_trips_through_text() {
        let t = JoinToken::generate(TokenRole::Data, pin());
        let text = t.to_string();
        assert!(text.starts_with("tkee1.data."));
        assert!(!text.contains('"') && !text.contains(' '));
        let back: JoinToken = text.parse().unwrap();
        assert_eq!(back, t);
        assert!(back.matches_hash(&t.secret_hash()));
    }

    #[test]
    fn another_tokens_hash_does_not_match() {
        let a = JoinToken::generate(TokenRole::Control, pin());
        let b = JoinToken::generate(TokenRole::Control, pin());
        assert!(!a.matches_hash(&b.secret_hash()));
        assert!(!a.matches_hash("not hex"));
        assert!(!a.matches_hash(""));
    }

    #[test]
    fn malformed_tokens_say_what_is_wrong() {
        let good = JoinToken::generate(TokenRole::Control, pin()).to_string();
        let cases = [
            ("".to_string(), "empty"),
            ("hello".to_string(), "tkee1"),
            (good.replacen(".control.", ".admin.", 1), "role"),
            (good[..good.len() - 2].to_string(), "CA pin"),
            (format!("{good}.x"), "5 dot-separated"),
            (good.replacen("tkee1.control.", "tkee1.control.zz", 1), "token id"),
        ];
        for (text, needle) in cases {
            let err = text.parse::<JoinToken>().unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
        }
    }
}
