//! Writing: validate everything first, then stream tar → gzip → age into the output.
//!
//! A file is written atomically, because a half-written backup found after a crash is
//! worse than none: the archive goes to a temporary file (mode 0600) beside the
//! destination, is fsynced, renamed over (or, without `overwrite`, linked to a name that
//! must not exist, so a concurrent writer cannot be clobbered either), and the directory
//! is fsynced. Any failure, a panic included, drops the temporary file, which removes it.

use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::envelope::{gzip, Sink};
use crate::names::{self, MANIFEST_DIGEST_NAME, MANIFEST_NAME};
use crate::{
    entries_of, parse_time, sha256_hex, tarfmt, Backup, BackupError, Manifest, DEFAULT_SCRYPT_LOG_N, FORMAT_VERSION,
    MAX_ARCHIVE_BYTES, MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_SCRYPT_LOG_N,
};

/// Room left under [`MAX_ARCHIVE_BYTES`] for what gzip and age add to the tar.
const LAYER_OVERHEAD: u64 = 1 << 20;

/// How to write an archive. `WriteOptions::default()` is a plain, unencrypted tar that
/// refuses to replace an existing file.
#[derive(Clone, Copy)]
pub struct WriteOptions<'a> {
    /// Encrypt with age to this passphrase (it must not be empty). The caller trims the
    /// newline a passphrase file usually ends with.
    pub passphrase: Option<&'a str>,
    /// Gzip the tar (inside the encryption).
    pub gzip: bool,
    /// Replace an existing file at the destination ([`write`] only).
    pub overwrite: bool,
    /// scrypt work factor, log2 N, 1..=[`MAX_SCRYPT_LOG_N`]; [`DEFAULT_SCRYPT_LOG_N`] unless
    /// a test needs speed.
    pub scrypt_log_n: u8,
}

impl Default for WriteOptions<'_> {
    fn default() -> Self {
        WriteOptions { passphrase: None, gzip: false, overwrite: false, scrypt_log_n: DEFAULT_SCRYPT_LOG_N }
    }
}

impl fmt::Debug for WriteOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteOptions")
            .field("passphrase", &self.passphrase.map(|_| "<redacted>"))
            .field("gzip", &self.gzip)
            .field("overwrite", &self.overwrite)
            .field("scrypt_log_n", &self.scrypt_log_n)
            .finish()
    }
}

/// The bytes of `backup` as [`write`] would store them.
pub fn to_bytes(backup: &Backup, options: &WriteOptions<'_>) -> Result<Vec<u8>, BackupError> {
    write_to(backup, Vec::new(), options, &mut |_, _| {})
}

/// Writes `backup` to `out` and returns it. `progress(done, total)` is called at the
/// start and after each entry, in bytes of entry content (the manifest's included).
pub fn write_to<W: Write>(
    backup: &Backup,
    out: W,
    options: &WriteOptions<'_>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<W, BackupError> {
    let prepared = Prepared::new(backup, options)?;
    prepared.write(backup, out, options, progress, "write the archive")
}

/// Writes `backup` to the file `path`, atomically, with mode 0600. Refuses an existing
/// file unless `options.overwrite`. On error, nothing is left behind and an existing
/// file is untouched.
pub fn write(
    backup: &Backup,
    path: &Path,
    options: &WriteOptions<'_>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(), BackupError> {
    let prepared = Prepared::new(backup, options)?;
    let action = format!("write {}", path.display());
    write_atomically(path, options.overwrite, |file| {
        let mut buffered = BufWriter::with_capacity(256 << 10, file);
        prepared.write(backup, &mut buffered, options, progress, &action)?;
        buffered.flush().map_err(|e| BackupError::io(action.as_str(), e))
    })
}

/// What is computed before the first byte is written, so that a backup that cannot be
/// read back is refused without touching the destination.
struct Prepared {
    manifest_json: Vec<u8>,
    digest_line: Vec<u8>,
    names: Vec<String>,
    mtime: u64,
}

impl Prepared {
    fn new(backup: &Backup, options: &WriteOptions<'_>) -> Result<Prepared, BackupError> {
        if options.passphrase == Some("") {
            return Err(BackupError::EmptyPassphrase);
        }
        if !(1..=MAX_SCRYPT_LOG_N).contains(&options.scrypt_log_n) {
            return Err(BackupError::InvalidOptions(format!(
                "scrypt_log_n is {}, it must be within 1..={MAX_SCRYPT_LOG_N} for a reader to accept it",
                options.scrypt_log_n
            )));
        }
        let created_at = parse_time(&backup.manifest.created_at).ok_or_else(|| {
            BackupError::InvalidManifest(format!("created_at {:?} is not an RFC 3339 time", backup.manifest.created_at))
        })?;
        if backup.records.len() + 2 > MAX_ENTRIES {
            return Err(BackupError::TooLarge {
                what: "the number of records".to_owned(),
                size: backup.records.len() as u64,
                limit: (MAX_ENTRIES - 2) as u64,
            });
        }
        let mut names = Vec::with_capacity(backup.records.len());
        let mut tar_size = 1024; // the end-of-archive marker
        for (key, value) in &backup.records {
            names::check_key(key)?;
            let size = value.len() as u64;
            if size > MAX_ENTRY_BYTES {
                return Err(BackupError::TooLarge { what: format!("record {key:?}"), size, limit: MAX_ENTRY_BYTES });
            }
            let name = names::entry_name(key);
            tar_size += entry_tar_size(&name, size);
            names.push(name);
        }
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            entries: entries_of(&backup.records),
            ..backup.manifest.clone()
        };
        let mut manifest_json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| BackupError::InvalidManifest(format!("cannot serialize it: {e}")))?;
        manifest_json.push(b'\n');
        let manifest_size = manifest_json.len() as u64;
        if manifest_size > MAX_ENTRY_BYTES {
            return Err(BackupError::TooLarge {
                what: MANIFEST_NAME.to_owned(),
                size: manifest_size,
                limit: MAX_ENTRY_BYTES,
            });
        }
        let digest_line = format!("{}  {MANIFEST_NAME}\n", sha256_hex(&manifest_json)).into_bytes();
        tar_size += entry_tar_size(MANIFEST_NAME, manifest_size)
            + entry_tar_size(MANIFEST_DIGEST_NAME, digest_line.len() as u64);
        if tar_size > MAX_ARCHIVE_BYTES - LAYER_OVERHEAD {
            return Err(BackupError::TooLarge {
                what: "the archive".to_owned(),
                size: tar_size,
                limit: MAX_ARCHIVE_BYTES - LAYER_OVERHEAD,
            });
        }
        let mtime = crate::mtime_of(created_at);
        Ok(Prepared { manifest_json, digest_line, names, mtime })
    }

    fn write<W: Write>(
        &self,
        backup: &Backup,
        out: W,
        options: &WriteOptions<'_>,
        progress: &mut dyn FnMut(u64, u64),
        action: &str,
    ) -> Result<W, BackupError> {
        let total = (self.manifest_json.len() + self.digest_line.len()) as u64
            + backup.records.values().map(|v| v.len() as u64).sum::<u64>();
        let mut done = 0;
        progress(done, total);
        let mut on_entry = |size: u64| {
            done += size;
            progress(done, total);
        };
        let entries = [(MANIFEST_NAME, &self.manifest_json[..]), (MANIFEST_DIGEST_NAME, &self.digest_line[..])]
            .into_iter()
            .chain(self.names.iter().map(String::as_str).zip(backup.records.values().map(Vec::as_slice)));
        let io = |e| BackupError::io(action, e);
        let sink = Sink::new(out, options.passphrase, options.scrypt_log_n)?;
        let sink = if options.gzip {
            let encoder = tarfmt::encode(gzip(sink), self.mtime, entries, &mut on_entry).map_err(io)?;
            encoder.finish().map_err(io)?
        } else {
            tarfmt::encode(sink, self.mtime, entries, &mut on_entry).map_err(io)?
        };
        sink.finish().map_err(io)
    }
}

/// Bytes an entry takes in the tar: header, padded content, and a GNU long name when the
/// name does not fit the header's 100 bytes.
fn entry_tar_size(name: &str, size: u64) -> u64 {
    let padded = |n: u64| n.div_ceil(512) * 512;
    let long_name = if name.len() > 100 { 512 + padded(name.len() as u64 + 1) } else { 0 };
    long_name + 512 + padded(size)
}

fn write_atomically(
    path: &Path,
    overwrite: bool,
    fill: impl FnOnce(&mut File) -> Result<(), BackupError>,
) -> Result<(), BackupError> {
    if !overwrite && path.symlink_metadata().is_ok() {
        return Err(BackupError::AlreadyExists { path: path.to_owned() });
    }
    let file_name = path
        .file_name()
        .ok_or_else(|| BackupError::InvalidOptions(format!("{} does not name a file", path.display())))?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{}.", file_name.to_string_lossy()))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| BackupError::io(format!("create a temporary file in {}", dir.display()), e))?;
    restrict_mode(temporary.as_file())
        .map_err(|e| BackupError::io(format!("set the mode of {}", temporary.path().display()), e))?;
    fill(temporary.as_file_mut())?;
    temporary.as_file().sync_all().map_err(|e| BackupError::io(format!("sync {}", temporary.path().display()), e))?;
    let persisted = if overwrite { temporary.persist(path) } else { temporary.persist_noclobber(path) };
    persisted.map_err(|e| match e.error.kind() {
        std::io::ErrorKind::AlreadyExists if !overwrite => BackupError::AlreadyExists { path: path.to_owned() },
        _ => BackupError::io(format!("rename the archive to {}", path.display()), e.error),
    })?;
    sync_dir(dir).map_err(|e| BackupError::io(format!("sync the directory {}", dir.display()), e))
}

#[cfg(unix)]
fn restrict_mode(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_mode(_file: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn a_failure_mid_write_leaves_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("b.tar");
        let result = write_atomically(&path, false, |file| {
            file.write_all(&[1; 10_000]).map_err(|e| BackupError::io("write", e))?;
            Err(BackupError::io("write", std::io::Error::other("disk on fire")))
        });
        assert!(matches!(result, Err(BackupError::Io { .. })));
        assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
    }

    #[test]
    fn a_failure_mid_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("b.tar");
        std::fs::write(&path, b"old").expect("write");
        let result = write_atomically(&path, true, |file| {
            file.write_all(b"new, half").map_err(|e| BackupError::io("write", e))?;
            Err(BackupError::io("write", std::io::Error::other("injected")))
        });
        assert!(result.is_err());
        assert_eq!(std::fs::read(&path).ok().as_deref(), Some(&b"old"[..]));
        assert_eq!(listing(dir.path()), ["b.tar"]);
    }

    #[test]
    fn tar_size_estimate_is_exact() {
        let records: std::collections::BTreeMap<String, Vec<u8>> = [
            ("a".to_owned(), vec![1; 511]),
            ("b".repeat(200), vec![2; 512]),
            ("c".repeat(92), vec![]),
            ("d".repeat(93), vec![3]),
        ]
        .into_iter()
        .collect();
        let backup = Backup::new("id", "name", "0", 1, records);
        let options = WriteOptions::default();
        let prepared = Prepared::new(&backup, &options).expect("valid");
        let bytes = to_bytes(&backup, &options).expect("written");
        let mut estimate = 1024
            + entry_tar_size(MANIFEST_NAME, prepared.manifest_json.len() as u64)
            + entry_tar_size(MANIFEST_DIGEST_NAME, prepared.digest_line.len() as u64);
        for (name, value) in prepared.names.iter().zip(backup.records.values()) {
            estimate += entry_tar_size(name, value.len() as u64);
        }
        assert_eq!(estimate, bytes.len() as u64);
    }
}
