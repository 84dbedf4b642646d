//! `backup`, shared by `traefikee backup` (a node's socket) and `traefikeectl backup` (the
//! API): the flags, the passphrase file, and verifying and writing the archive here.
//!
//! Passphrases never leave this machine: the cluster sends plain archives, and encryption
//! happens here. Every archive is verified in full before it is written.

use std::path::{Path, PathBuf};

use clap::Args;
use traefikee_apiserver::ErrorCode;
use traefikee_backup::{Backup, WriteOptions};

use crate::failure::{Failure, Outcome};
use crate::output::escape;
use crate::progress::{ClearOnDrop, Progress};
use crate::Client;

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the archive (default: ./<UTC time>_traefikee-backup.tar).
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Encrypt the archive (age, scrypt) with the passphrase in this file (first line).
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    /// Gzip the archive (inside the encryption, if any).
    #[arg(long)]
    pub gzip: bool,

    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Reads a passphrase file: its first line, without the line ending.
pub fn read_passphrase(file: Option<&Path>) -> Result<Option<String>, Failure> {
    let Some(file) = file else { return Ok(None) };
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::refused(format!("cannot read the passphrase file {}: {e}", file.display())))?;
    let line = text.lines().next().unwrap_or("").to_owned();
    if line.is_empty() {
        return Err(Failure::refused(format!("the passphrase file {} is empty", file.display()))
            .hint("put the passphrase on its first line"));
    }
    Ok(Some(line))
}

pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / (1 << 10) as f64),
        b => format!("{b} bytes"),
    }
}

/// Fetches an archive of `what` with `client`, verifies it (of cluster `expected`, when
/// given) and writes it as `args` say.
pub async fn take_backup(
    client: &Client,
    args: &BackupArgs,
    what: &str,
    expected: Option<&str>,
    progress: &dyn Progress,
) -> Outcome {
    let _clear = ClearOnDrop(progress);
    let passphrase = read_passphrase(args.passphrase_file.as_deref())?;
    let path = args
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(traefikee_backup::default_file_name(time::OffsetDateTime::now_utc())));
    if path.exists() && !args.force {
        return Err(Failure::refused(format!("{} already exists: not overwriting it", path.display()))
            .hint("pass --force to replace it, or --file to choose another name"));
    }
    progress.step(&format!("taking a backup of {what}"));
    let bytes = client.backup().await?;
    progress.step("verifying the archive");
    let backup = traefikee_backup::read_bytes(&bytes, None).map_err(|e| {
        Failure::new(ErrorCode::Internal, format!("the cluster sent an archive that does not verify: {e}"))
            .hint("nothing was written; try again, and report it if it persists")
    })?;
    if let Some(expected) = expected.filter(|id| *id != backup.manifest.cluster_id) {
        return Err(Failure::new(
            ErrorCode::Internal,
            format!("the archive is of cluster {}, not {expected}", backup.manifest.cluster_id),
        ));
    }
    let step = if passphrase.is_some() { "encrypting and writing" } else { "writing" };
    progress.step(step);
    let options = WriteOptions {
        passphrase: passphrase.as_deref(),
        gzip: args.gzip,
        overwrite: args.force,
        ..WriteOptions::default()
    };
    let mut advance = |done: u64, total: u64| progress.bytes(step, done, total);
    traefikee_backup::write(&backup, &path, &options, &mut advance).map_err(|e| Failure::io(e.to_string()))?;
    progress.clear();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    crate::outln!(
        "✔ Backup of cluster {} (index {}, {} records{}) written to {} ({})",
        escape(&backup.manifest.cluster_name),
        backup.manifest.raft_index,
        backup.records.len(),
        if passphrase.is_some() { ", encrypted" } else { "" },
        path.display(),
        human_size(size)
    );
    Ok(())
}

/// Reads and verifies a local archive, with the messages an operator needs.
pub fn read_archive(path: &Path, passphrase: Option<&str>) -> Result<Backup, Failure> {
    traefikee_backup::read(path, passphrase).map_err(|e| {
        Failure::refused(format!("{} was refused: {e}", path.display()))
            .hint("nothing was changed; `traefikeectl backup inspect FILE` shows every check")
    })
}
