//! One error type for writing and reading archives.
//!
//! An operator reads these messages after `traefikeectl restore` or `backup inspect`
//! refused a file, so each one names the check that failed and, where it helps, the
//! entry and offset; none ends with a period (the CLI prints `error: <message>`).

use std::io;
use std::path::PathBuf;

/// Why an archive could not be written, read or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// A file system or writer operation failed.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being done, e.g. `read /var/backups/x.tar`.
        action: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// The destination exists and overwriting was not asked for.
    #[error("{} already exists: not overwriting it", path.display())]
    AlreadyExists {
        /// The destination.
        path: PathBuf,
    },

    /// The bytes are not a tar archive (nor a gzip- or age-wrapped one).
    #[error("not a tar archive: {0}")]
    NotATar(String),

    /// A tar archive, but not one traefikee wrote (no manifest first).
    #[error("not a traefikee backup: {0}")]
    NotABackup(String),

    /// The archive ends before its structure does.
    #[error("the archive is truncated: {0}")]
    Truncated(String),

    /// The container structure (tar, gzip) fails a check.
    #[error("the archive is damaged: {0}")]
    Damaged(String),

    /// An input, a decoded layer or an entry is over a size limit.
    #[error("{what} is too large: {size} bytes, the limit is {limit}")]
    TooLarge {
        /// What was measured.
        what: String,
        /// Its size (or the first size known to be over the limit).
        size: u64,
        /// The limit.
        limit: u64,
    },

    /// A tar entry that is not a regular file (a link, a directory, a device...).
    #[error("entry `{name}` is {kind}: a traefikee backup holds only regular files")]
    UnsupportedEntry {
        /// The entry's name.
        name: String,
        /// What it is instead.
        kind: String,
    },

    /// An entry name that would escape a directory if extracted.
    #[error("entry name `{name}` is unsafe (absolute, or with a `..` component)")]
    UnsafeEntryName {
        /// The entry's name.
        name: String,
    },

    /// The same entry twice.
    #[error("entry `{name}` appears more than once")]
    DuplicateEntry {
        /// The entry's name.
        name: String,
    },

    /// An entry the manifest does not list.
    #[error("entry `{name}` is not listed in the manifest")]
    UnexpectedEntry {
        /// The entry's name.
        name: String,
    },

    /// An entry the manifest lists but the archive lacks.
    #[error("entry `{name}` is listed in the manifest but missing from the archive")]
    MissingEntry {
        /// The entry's name.
        name: String,
    },

    /// An entry whose size differs from the manifest's.
    #[error("entry `{name}` fails its size check: it holds {actual} bytes, the manifest says {expected}")]
    SizeMismatch {
        /// The entry's name.
        name: String,
        /// Size in the manifest.
        expected: u64,
        /// Size in the archive.
        actual: u64,
    },

    /// An entry whose sha256 differs from the manifest's.
    #[error("entry `{name}` fails its checksum: its sha256 is {actual}, the manifest says {expected}")]
    ChecksumMismatch {
        /// The entry's name.
        name: String,
        /// sha256 in the manifest (hex).
        expected: String,
        /// sha256 of the content (hex).
        actual: String,
    },

    /// `manifest.json` does not match `manifest.sha256`.
    #[error("manifest.json fails its checksum: {0}")]
    ManifestChecksum(String),

    /// `manifest.json` does not parse or holds impossible values.
    #[error("manifest.json is invalid: {0}")]
    InvalidManifest(String),

    /// Written by a newer traefikee in a format this build does not know.
    #[error(
        "this backup was made by traefikee {tool_version} with format {format_version}; \
         this build reads formats up to {supported}: upgrade traefikee to read it"
    )]
    NewerFormat {
        /// The writer's version, as its manifest says.
        tool_version: String,
        /// The archive's format.
        format_version: u32,
        /// The newest format this build reads.
        supported: u32,
    },

    /// Encrypted, and no passphrase was given.
    #[error("the archive is encrypted: a passphrase is needed to read it")]
    PassphraseRequired,

    /// A passphrase was given for a plain archive.
    #[error(
        "a passphrase was given but the archive is not encrypted \
         (refused: anyone could have written a plain archive)"
    )]
    NotEncrypted,

    /// The passphrase does not unlock the archive.
    #[error("wrong passphrase: it does not unlock the archive (or the encryption header is damaged)")]
    WrongPassphrase,

    /// The age layer fails authentication: damaged or truncated ciphertext.
    #[error("the encrypted archive fails authentication (damaged or truncated): {0}")]
    DecryptionFailed(String),

    /// Encrypted, but not in the way traefikee writes (age to keys, armored, unknown version).
    #[error("the archive is encrypted in a way traefikee does not read: {0}")]
    UnsupportedEncryption(String),

    /// A record key that cannot be written.
    #[error("record key {key:?} cannot be stored: {reason}")]
    InvalidKey {
        /// The key (cut if long).
        key: String,
        /// Why.
        reason: String,
    },

    /// A passphrase must not be empty.
    #[error("the passphrase is empty")]
    EmptyPassphrase,

    /// Write options out of range.
    #[error("invalid write options: {0}")]
    InvalidOptions(String),

    /// Encryption failed (the age library refused).
    #[error("cannot encrypt the archive: {0}")]
    Encryption(String),
}

impl BackupError {
    pub(crate) fn io(action: impl Into<String>, source: io::Error) -> Self {
        BackupError::Io { action: action.into(), source }
    }
}
