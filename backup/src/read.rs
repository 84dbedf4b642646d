//! Reading and inspecting: every check runs before a [`Backup`] is returned.
//!
//! One pass serves both [`read`] and [`inspect`]. What makes the archive unreadable as a
//! whole (wrong passphrase, not a tar, no manifest, a newer format, a manifest that fails
//! its checksum) is an error for both. Past the manifest, each failed check is recorded
//! and the pass goes on, so that `backup inspect` can show every entry's state; [`read`]
//! then refuses with the first problem found, in archive order.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use crate::names::{self, MANIFEST_DIGEST_NAME, MANIFEST_NAME};
use crate::{
    envelope, parse_time, sha256_hex, tarfmt, Backup, BackupError, Manifest, FORMAT_VERSION, MAX_ARCHIVE_BYTES,
    MAX_ENTRIES, MAX_ENTRY_BYTES,
};

/// What `backup inspect` shows: the manifest and the result of every check.
#[derive(Debug)]
pub struct Inspection {
    /// The manifest (it passed its checksum and parses).
    pub manifest: Manifest,
    /// The file is age-encrypted.
    pub encrypted: bool,
    /// The tar is gzipped.
    pub compressed: bool,
    /// Size of the file as given.
    pub archive_bytes: u64,
    /// The manifest's entries in its order, then entries found but not expected.
    pub entries: Vec<EntryCheck>,
    /// Every failed check, in the order found; empty when the archive is intact.
    pub problems: Vec<BackupError>,
}

impl Inspection {
    /// Whether every check passed (what [`read`] requires).
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One entry's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryCheck {
    /// The tar entry name.
    pub name: String,
    /// The record key it holds, if the name is a record name.
    pub key: Option<String>,
    /// Its size: found in the archive, or the manifest's for a missing entry.
    pub size: u64,
    /// The result.
    pub status: EntryStatus,
}

/// The result of one entry's checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryStatus {
    /// Present, right size and sha256.
    Intact,
    /// Its size differs from the manifest's.
    SizeMismatch {
        /// The manifest's size.
        expected: u64,
    },
    /// Its sha256 differs from the manifest's.
    ChecksumMismatch {
        /// The sha256 of the content found.
        actual: String,
    },
    /// Listed in the manifest, absent from the archive (or after the point where the
    /// archive became unreadable).
    Missing,
    /// In the archive, not in the manifest.
    NotInManifest,
    /// A second entry with the same name.
    Duplicate,
    /// A name that could escape a directory (`..`, absolute).
    UnsafeName,
}

/// Reads and fully verifies the archive at `path`. A passphrase is needed for, and only
/// for, an encrypted archive.
pub fn read(path: &Path, passphrase: Option<&str>) -> Result<Backup, BackupError> {
    read_bytes(&read_file(path)?, passphrase)
}

/// [`read`] from memory, e.g. an upload.
pub fn read_bytes(bytes: &[u8], passphrase: Option<&str>) -> Result<Backup, BackupError> {
    let (inspection, records) = scan(bytes, passphrase, true)?;
    if let Some(problem) = inspection.problems.into_iter().next() {
        return Err(problem);
    }
    Ok(Backup { manifest: inspection.manifest, records })
}

/// Checks the archive at `path` and reports on every entry. An error means the archive
/// could not be checked at all; damage past the manifest is in [`Inspection::problems`].
pub fn inspect(path: &Path, passphrase: Option<&str>) -> Result<Inspection, BackupError> {
    inspect_bytes(&read_file(path)?, passphrase)
}

/// [`inspect`] from memory.
pub fn inspect_bytes(bytes: &[u8], passphrase: Option<&str>) -> Result<Inspection, BackupError> {
    scan(bytes, passphrase, false).map(|(inspection, _)| inspection)
}

fn read_file(path: &Path) -> Result<Vec<u8>, BackupError> {
    let action = || format!("read {}", path.display());
    let file = File::open(path).map_err(|e| BackupError::io(action(), e))?;
    let size = file.metadata().map_err(|e| BackupError::io(action(), e))?.len();
    let too_large = |size| BackupError::TooLarge { what: path.display().to_string(), size, limit: MAX_ARCHIVE_BYTES };
    if size > MAX_ARCHIVE_BYTES {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_ARCHIVE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| BackupError::io(action(), e))?;
    if bytes.len() as u64 > MAX_ARCHIVE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Just enough of a manifest to refuse a newer format before trusting the rest.
#[derive(Deserialize)]
struct VersionProbe {
    format_version: u32,
    #[serde(default)]
    tool_version: Option<String>,
}

/// Runs every check; returns the records only if `keep_records` and all checks passed.
fn scan(
    bytes: &[u8],
    passphrase: Option<&str>,
    keep_records: bool,
) -> Result<(Inspection, BTreeMap<String, Vec<u8>>), BackupError> {
    let opened = envelope::open(bytes, passphrase)?;
    let checked = check_tar(&opened.tar)?;
    let records = if keep_records && checked.problems.is_empty() {
        checked.records.into_iter().map(|(key, value)| (key, value.to_vec())).collect()
    } else {
        BTreeMap::new()
    };
    let inspection = Inspection {
        manifest: checked.manifest,
        encrypted: opened.encrypted,
        compressed: opened.compressed,
        archive_bytes: bytes.len() as u64,
        entries: checked.entries,
        problems: checked.problems,
    };
    Ok((inspection, records))
}

struct Checked<'a> {
    manifest: Manifest,
    entries: Vec<EntryCheck>,
    problems: Vec<BackupError>,
    records: BTreeMap<String, &'a [u8]>,
}

fn check_tar(tar: &[u8]) -> Result<Checked<'_>, BackupError> {
    let mut reader = tarfmt::Reader::new(tar);
    let first = reader.next_entry()?.ok_or_else(|| BackupError::NotABackup("the tar archive is empty".to_owned()))?;
    if first.name != MANIFEST_NAME {
        return Err(BackupError::NotABackup(format!("its first entry is `{}`, not `{MANIFEST_NAME}`", first.name)));
    }
    let manifest_bytes = first.data;
    let (digest, mut pending) = match reader.next_entry()? {
        Some(entry) if entry.name == MANIFEST_DIGEST_NAME => (Some(entry.data), None),
        other => (None, other),
    };
    if let Some(digest) = digest {
        check_manifest_digest(manifest_bytes, digest)?;
    }
    let probe: VersionProbe =
        serde_json::from_slice(manifest_bytes).map_err(|e| BackupError::InvalidManifest(e.to_string()))?;
    if probe.format_version > FORMAT_VERSION {
        return Err(BackupError::NewerFormat {
            tool_version: probe.tool_version.unwrap_or_else(|| "(unknown version)".to_owned()),
            format_version: probe.format_version,
            supported: FORMAT_VERSION,
        });
    }
    let Some(digest) = digest else {
        return Err(BackupError::MissingEntry { name: MANIFEST_DIGEST_NAME.to_owned() });
    };
    let manifest: Manifest =
        serde_json::from_slice(manifest_bytes).map_err(|e| BackupError::InvalidManifest(e.to_string()))?;
    let mtime = validate_manifest(&manifest)?;

    let expected: HashMap<&str, usize> =
        manifest.entries.iter().enumerate().map(|(i, info)| (info.name.as_str(), i)).collect();
    let mut found: Vec<Option<(EntryStatus, u64)>> = vec![None; manifest.entries.len()];
    let mut extras = Vec::new();
    let mut problems = Vec::new();
    let mut records = BTreeMap::new();
    loop {
        let entry = match pending.take().map(Ok).or_else(|| reader.next_entry().transpose()) {
            None => break,
            Some(Ok(entry)) => entry,
            Some(Err(problem)) => {
                problems.push(problem);
                break;
            }
        };
        let size = entry.data.len() as u64;
        let extra = |name: String, status| EntryCheck { key: names::record_key(&name), name, size, status };
        if names::is_unsafe(&entry.name) {
            problems.push(BackupError::UnsafeEntryName { name: entry.name.clone() });
            extras.push(extra(entry.name, EntryStatus::UnsafeName));
            continue;
        }
        let Some(&index) = expected.get(entry.name.as_str()) else {
            if entry.name == MANIFEST_NAME || entry.name == MANIFEST_DIGEST_NAME {
                problems.push(BackupError::DuplicateEntry { name: entry.name.clone() });
                extras.push(extra(entry.name, EntryStatus::Duplicate));
            } else {
                problems.push(BackupError::UnexpectedEntry { name: entry.name.clone() });
                extras.push(extra(entry.name, EntryStatus::NotInManifest));
            }
            continue;
        };
        let info = &manifest.entries[index];
        if found[index].is_some() {
            problems.push(BackupError::DuplicateEntry { name: entry.name.clone() });
            extras.push(extra(entry.name, EntryStatus::Duplicate));
            continue;
        }
        let status = if size != info.size {
            problems.push(BackupError::SizeMismatch { name: entry.name, expected: info.size, actual: size });
            EntryStatus::SizeMismatch { expected: info.size }
        } else {
            let actual = sha256_hex(entry.data);
            if actual != info.sha256 {
                problems.push(BackupError::ChecksumMismatch {
                    name: entry.name,
                    expected: info.sha256.clone(),
                    actual: actual.clone(),
                });
                EntryStatus::ChecksumMismatch { actual }
            } else {
                // validate_manifest made sure every listed name decodes to a key.
                if let Some(key) = names::record_key(&entry.name) {
                    records.insert(key, entry.data);
                }
                EntryStatus::Intact
            }
        };
        found[index] = Some((status, size));
    }

    let mut entries = Vec::with_capacity(manifest.entries.len() + extras.len());
    for (info, found) in manifest.entries.iter().zip(found) {
        let (status, size) = found.unwrap_or_else(|| {
            problems.push(BackupError::MissingEntry { name: info.name.clone() });
            (EntryStatus::Missing, info.size)
        });
        entries.push(EntryCheck { name: info.name.clone(), key: info.key(), size, status });
    }
    entries.extend(extras);

    if problems.is_empty() {
        check_canonical(tar, mtime, manifest_bytes, digest, &records, &mut problems);
    }
    Ok(Checked { manifest, entries, problems, records })
}

fn check_manifest_digest(manifest: &[u8], digest: &[u8]) -> Result<(), BackupError> {
    let actual = sha256_hex(manifest);
    if digest == format!("{actual}  {MANIFEST_NAME}\n").as_bytes() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(digest.get(..64).unwrap_or(digest)).into_owned();
    Err(BackupError::ManifestChecksum(format!("its sha256 is {actual}, {MANIFEST_DIGEST_NAME} says {said:?}")))
}

/// Checks what serde cannot, and returns the entries' mtime.
fn validate_manifest(manifest: &Manifest) -> Result<u64, BackupError> {
    let invalid = |what: String| Err(BackupError::InvalidManifest(what));
    if manifest.format_version == 0 {
        return invalid("format_version is 0".to_owned());
    }
    let Some(created_at) = parse_time(&manifest.created_at) else {
        return invalid(format!("created_at {:?} is not an RFC 3339 time", manifest.created_at));
    };
    if manifest.entries.len() > MAX_ENTRIES - 2 {
        return invalid(format!("it lists {} entries, the limit is {}", manifest.entries.len(), MAX_ENTRIES - 2));
    }
    let mut names = std::collections::HashSet::with_capacity(manifest.entries.len());
    for info in &manifest.entries {
        if names::record_key(&info.name).is_none() {
            return invalid(format!("entry name {:?} is not a record name traefikee writes", info.name));
        }
        if !names.insert(info.name.as_str()) {
            return invalid(format!("entry `{}` is listed twice", info.name));
        }
        if info.size > MAX_ENTRY_BYTES {
            return invalid(format!("entry `{}` has size {}, over the {MAX_ENTRY_BYTES} limit", info.name, info.size));
        }
        if info.sha256.len() != 64 || !info.sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return invalid(format!("entry `{}` has sha256 {:?}, not 64 lowercase hex digits", info.name, info.sha256));
        }
    }
    Ok(crate::mtime_of(created_at))
}

/// Last check of a plain tar: its bytes are exactly what the writer produces for this
/// content, so that no byte outside the checksummed contents can differ unnoticed.
fn check_canonical(
    tar: &[u8],
    mtime: u64,
    manifest: &[u8],
    digest: &[u8],
    records: &BTreeMap<String, &[u8]>,
    problems: &mut Vec<BackupError>,
) {
    let names: Vec<String> = records.keys().map(|key| names::entry_name(key)).collect();
    let entries = [(MANIFEST_NAME, manifest), (MANIFEST_DIGEST_NAME, digest)]
        .into_iter()
        .chain(names.iter().map(String::as_str).zip(records.values().copied()));
    let again = match tarfmt::encode(Vec::with_capacity(tar.len()), mtime, entries, &mut |_| {}) {
        Ok(again) => again,
        Err(e) => {
            problems.push(BackupError::Damaged(format!("cannot re-encode the tar to compare it: {e}")));
            return;
        }
    };
    if again != tar {
        let offset = again.iter().zip(tar).position(|(a, b)| a != b).unwrap_or(again.len().min(tar.len()));
        problems.push(BackupError::Damaged(format!(
            "the tar layer differs from what traefikee writes for this content, from offset {offset} \
             (entries out of order, or altered tar metadata)"
        )));
    }
}
