//! Key layout of the state machine database. Fixed-width hex keeps numeric order.

pub const CLUSTER: &str = "cluster";
pub const CONFIG: &str = "config/current";
pub const CONFIG_VERSION: &str = "config/version";
/// Counts the providers' changes (see `Command::Deploy`'s `base`).
pub const PROVIDERS_VERSION: &str = "config/providers-version";
pub const AUDIT_SEQ: &str = "seq/audit";
pub const NODE_PREFIX: &str = "node/";
pub const AUDIT_PREFIX: &str = "audit/";

pub const TOKEN_PREFIX: &str = "token/";
/// What each provider last gave (see `ProviderRecord`).
pub const PROVIDER_PREFIX: &str = "provider/";

pub fn provider(name: &str) -> String {
    format!("{PROVIDER_PREFIX}{name}")
}
pub const REVOKED_PREFIX: &str = "revoked/";

pub fn token(role: traefikee_pki::TokenRole) -> String {
    format!("{TOKEN_PREFIX}{role}")
}

pub fn node(id: u64) -> String {
    format!("{NODE_PREFIX}{id:016x}")
}

pub fn enrollment(id: &str) -> String {
    format!("{ENROLLMENT_PREFIX}{id}")
}

pub const ENROLLMENT_PREFIX: &str = "enrollment/";
pub const CREDENTIAL_PREFIX: &str = "credential/";

pub fn credential(serial: &str) -> String {
    format!("{CREDENTIAL_PREFIX}{serial}")
}

/// Node certificates the cluster issued (written when a node joins): only these may come
/// back after their node was forgotten.
pub const ISSUED_PREFIX: &str = "issued/";

pub fn issued(serial: &str) -> String {
    format!("{ISSUED_PREFIX}{serial}")
}

/// Writes already applied, by request id, with their response: a write retried after its
/// outcome was lost (a leader that died or was cut off while it answered) applies once.
pub const REQUEST_PREFIX: &str = "request/";
/// The same ids ordered by the time they were proposed, to forget them after a while.
pub const REQUEST_AT_PREFIX: &str = "request-at/";

pub fn request(id: &str) -> String {
    format!("{REQUEST_PREFIX}{id}")
}

pub fn request_at(at: crate::UnixMillis, id: &str) -> String {
    format!("{REQUEST_AT_PREFIX}{:020}/{id}", at.max(0))
}

pub fn revoked(serial: &str) -> String {
    format!("{REVOKED_PREFIX}{serial}")
}

pub fn audit(seq: u64) -> String {
    format!("{AUDIT_PREFIX}{seq:016x}")
}

/// How node ids are shown to people.
pub fn node_id_text(id: u64) -> String {
    format!("{id:016x}")
}
