//! The traefikee backup archive: what `traefikee backup` and `traefikeectl backup` write,
//! and what `backup inspect`, `restore` and `bootstrap --archivepath` read.
//!
//! A backup holds the cluster's replicated records (key → JSON value bytes: `cluster`,
//! `token/control`, `credential/<serial>`, the deployed configuration...) taken at one
//! committed Raft index, and never the Raft log or node identities. Restoring replaces a
//! cluster's whole state, so the reader's job is to refuse, before returning anything,
//! every file that is not exactly what a writer produced; the integrator's job is the
//! cluster checks (same cluster id unless `--force`), from [`Manifest`].
//!
//! # The file
//!
//! ```text
//! age, scrypt passphrase           only with a passphrase (starts "age-encryption.org/v1")
//! └ gzip                           only with WriteOptions::gzip (starts 1f 8b)
//!   └ tar, GNU headers, mode 0600, mtime = created_at
//!     manifest.json                the Manifest as pretty JSON; always the first entry
//!     manifest.sha256              "<sha256 of manifest.json>  manifest.json\n"
//!     records/<encoded key>        one per record, its value bytes as stored, sorted by key
//!     two zero blocks              the end-of-archive marker, nothing after it
//! ```
//!
//! Why a tar: operators can look inside with the tools they have (`tar tvf` lists the
//! records, `tar xf` then `sha256sum -c manifest.sha256` checks the manifest, and each
//! entry's sha256 is in it). The default is a plain tar, as the name
//! `<time>_traefikee-backup.tar` says; gzip is an option for size (GNU tar and bsdtar
//! detect it when reading). With a passphrase the whole (possibly gzipped) tar is
//! encrypted with age, readable with `age -d` as well; the file name stays the same and
//! the content says it is encrypted.
//!
//! Record keys are percent-encoded into entry names (see `names.rs`): `token/control` is
//! `records/token%2Fcontrol`, which extracts flat and decodes back to one key only.
//!
//! # What reading checks
//!
//! In this order, and nothing is returned unless all pass: the size limits; the
//! encryption layer (a passphrase is required for, and only for, an encrypted file; age
//! authenticates every byte); the gzip layer (our header, its CRC and length, nothing
//! after it); the tar structure (header checksums, zero padding, the end marker, nothing
//! after it, regular files only); `manifest.json` first and matching `manifest.sha256`;
//! the format version; the manifest's fields; then every entry against the manifest
//! (unsafe names, duplicates, entries not listed, size, sha256, entries missing); and
//! last, for the tar layer, that the bytes are exactly what this writer produces for that
//! content. So a changed byte anywhere in a plain or encrypted archive is refused; in a
//! gzip archive, only changes that the gzip format itself ignores and that decode to the
//! same archive (spare bits at the end of a deflate block) can pass, with the same content.
//!
//! A passphrase given for a plain archive is refused rather than ignored: with age's
//! passphrase encryption only a holder of the passphrase can write a file that reads, and
//! an operator who gives one expects that guarantee, which a plain file cannot offer.
//!
//! Writing is atomic: a temporary file (mode 0600) in the destination's directory,
//! fsync, rename, fsync of the directory; on any failure the temporary file is removed
//! and the destination untouched.
//!
//! # Example
//!
//! ```
//! use std::collections::BTreeMap;
//! use traefikee_backup::{read_bytes, to_bytes, Backup, WriteOptions};
//!
//! let records = BTreeMap::from([("token/control".to_owned(), br#""tok""#.to_vec())]);
//! let backup = Backup::new("cluster-id", "prod", "0.1.0", 42, records);
//! // The default work factor (2^18) takes a good fraction of a second: lowered for the example.
//! let options = WriteOptions { passphrase: Some("hunter2"), gzip: true, scrypt_log_n: 10, ..WriteOptions::default() };
//! let bytes = to_bytes(&backup, &options)?;
//! assert_eq!(read_bytes(&bytes, Some("hunter2"))?, backup);
//! assert!(read_bytes(&bytes, Some("hunter3")).is_err());
//! # Ok::<(), traefikee_backup::BackupError>(())
//! ```

mod envelope;
mod error;
mod names;
mod read;
mod tarfmt;
mod write;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

pub use error::BackupError;
pub use names::{MANIFEST_DIGEST_NAME, MANIFEST_NAME, RECORD_PREFIX};
pub use read::{inspect, inspect_bytes, read, read_bytes, EntryCheck, EntryStatus, Inspection};
pub use write::{to_bytes, write, write_to, WriteOptions};

/// The archive format this build writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Largest archive, and largest decrypted or decompressed layer: 1 GiB.
pub const MAX_ARCHIVE_BYTES: u64 = 1 << 30;
/// Largest entry (the manifest or one record): 64 MiB.
pub const MAX_ENTRY_BYTES: u64 = 64 << 20;
/// Most entries in one archive, the manifest's two included.
pub const MAX_ENTRIES: usize = 1_000_000;
/// Longest record key, in bytes.
pub const MAX_KEY_BYTES: usize = 1024;
/// The scrypt work factor (log2 N) used when writing: 2^18 needs 256 MiB and about half a
/// second, age's usual strength for a passphrase typed by a person.
pub const DEFAULT_SCRYPT_LOG_N: u8 = 18;
/// The highest scrypt work factor a reader accepts: 2^20 needs 1 GiB. A file asking for
/// more is refused before any work, so an upload cannot exhaust a controller's memory.
pub const MAX_SCRYPT_LOG_N: u8 = 20;

/// What the archive says about itself; `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// The cluster the backup was taken from.
    pub cluster_id: String,
    /// Its human name.
    pub cluster_name: String,
    /// When the backup was taken, RFC 3339 in UTC to the second.
    pub created_at: String,
    /// The traefikee version that wrote it.
    pub tool_version: String,
    /// The committed Raft index the records were read at.
    pub raft_index: u64,
    /// One per record, in the order of the archive: sorted by record key.
    pub entries: Vec<EntryInfo>,
}

/// One record entry as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryInfo {
    /// The tar entry name, `records/<percent-encoded key>`.
    pub name: String,
    /// Content length in bytes.
    pub size: u64,
    /// sha256 of the content, lowercase hex.
    pub sha256: String,
}

impl EntryInfo {
    /// The entry of a record.
    pub fn of_record(key: &str, value: &[u8]) -> EntryInfo {
        EntryInfo { name: names::entry_name(key), size: value.len() as u64, sha256: sha256_hex(value) }
    }

    /// The record key this entry holds, `None` if the name is not a record name.
    pub fn key(&self) -> Option<String> {
        names::record_key(&self.name)
    }
}

/// A backup in memory: the manifest and the records it describes.
#[derive(Clone, PartialEq, Eq)]
pub struct Backup {
    /// The manifest. When writing, `entries` is recomputed from `records`.
    pub manifest: Manifest,
    /// Record key → value bytes.
    pub records: BTreeMap<String, Vec<u8>>,
}

impl Backup {
    /// A backup of `records`, created now, with the manifest filled in.
    pub fn new(
        cluster_id: impl Into<String>,
        cluster_name: impl Into<String>,
        tool_version: impl Into<String>,
        raft_index: u64,
        records: BTreeMap<String, Vec<u8>>,
    ) -> Backup {
        Backup::new_at(cluster_id, cluster_name, tool_version, raft_index, records, OffsetDateTime::now_utc())
    }

    /// As [`Backup::new`], created at `created_at` (to the second, in UTC).
    pub fn new_at(
        cluster_id: impl Into<String>,
        cluster_name: impl Into<String>,
        tool_version: impl Into<String>,
        raft_index: u64,
        records: BTreeMap<String, Vec<u8>>,
        created_at: OffsetDateTime,
    ) -> Backup {
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            cluster_id: cluster_id.into(),
            cluster_name: cluster_name.into(),
            created_at: format_time(created_at),
            tool_version: tool_version.into(),
            raft_index,
            entries: entries_of(&records),
        };
        Backup { manifest, records }
    }
}

/// Keys and sizes only: record values hold secrets (the CA key, tokens).
impl fmt::Debug for Backup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let records: BTreeMap<&str, String> =
            self.records.iter().map(|(k, v)| (k.as_str(), format!("<{} bytes>", v.len()))).collect();
        f.debug_struct("Backup").field("manifest", &self.manifest).field("records", &records).finish()
    }
}

/// `<UTC time>_traefikee-backup.tar`, e.g. `20261122T201500Z_traefikee-backup.tar`, for a
/// backup taken at `now`. Encrypted or gzipped archives keep this name.
pub fn default_file_name(now: OffsetDateTime) -> String {
    let t = now.to_offset(UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z_traefikee-backup.tar",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn format_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC).replace_nanosecond(0).unwrap_or(at);
    // RFC 3339 formatting fails only for years outside 0..=9999.
    at.format(&Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

fn parse_time(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// The mtime of every tar entry: the backup's creation time, so `tar tvf` shows it.
fn mtime_of(created_at: OffsetDateTime) -> u64 {
    u64::try_from(created_at.unix_timestamp()).unwrap_or(0)
}

fn entries_of(records: &BTreeMap<String, Vec<u8>>) -> Vec<EntryInfo> {
    records.iter().map(|(k, v)| EntryInfo::of_record(k, v)).collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn default_name_is_utc() {
        assert_eq!(default_file_name(datetime!(2026-11-22 21:15:00 +01:00)), "20261122T201500Z_traefikee-backup.tar");
    }

    #[test]
    fn new_fills_the_manifest() {
        let records = BTreeMap::from([("token/control".to_owned(), b"\"t\"".to_vec())]);
        let backup = Backup::new_at("id", "prod", "0.1.0", 7, records, datetime!(2026-11-22 20:15:00.5 UTC));
        assert_eq!(backup.manifest.created_at, "2026-11-22T20:15:00Z");
        assert_eq!(backup.manifest.format_version, FORMAT_VERSION);
        assert_eq!(backup.manifest.entries.len(), 1);
        assert_eq!(backup.manifest.entries[0].name, "records/token%2Fcontrol");
        assert_eq!(backup.manifest.entries[0].key().as_deref(), Some("token/control"));
        assert!(!format!("{backup:?}").contains("\\\"t\\\""));
    }
}
