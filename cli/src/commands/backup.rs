//! `backup`, `backup inspect` and `restore`.
//!
//! Passphrases never leave this machine: the cluster sends and receives plain archives over
//! mutual TLS, and encryption and decryption happen here. Every archive is verified in full
//! on both sides: here before it is written or sent, and on the controller before anything
//! changes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use traefikee_apiserver::types::RestoreResult;
use traefikee_apiserver::ErrorCode;
use traefikee_backup::{Backup, EntryStatus, Inspection, WriteOptions};

use super::Session;
use crate::failure::{Failure, Outcome};
use crate::output::{escape, Format};

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

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The archive.
    pub file: PathBuf,

    /// Passphrase file, for an encrypted archive.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive to restore.
    #[arg(long, value_name = "PATH")]
    pub file: PathBuf,

    /// Passphrase file, for an encrypted archive.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    /// Restore an archive of another cluster (its configuration only).
    #[arg(long)]
    pub force: bool,

    /// Run every check and say what would change, without changing anything.
    #[arg(long)]
    pub dry_run: bool,
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

/// A spinner on a terminal, nothing otherwise.
pub fn spinner(message: &str) -> ProgressBar {
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / (1 << 10) as f64),
        b => format!("{b} bytes"),
    }
}

/// Takes a backup through the API and writes it (atomically, mode 0600).
pub async fn backup(s: &Session, args: &BackupArgs) -> Outcome {
    let fetch = async { s.client.send_raw(reqwest::Method::GET, "/api/v1/backup", None).await.map(|(b, _)| b) };
    take_backup(args, &format!("cluster {}", s.profile.meta.name), Some(&s.profile.meta.cluster_id), fetch).await
}

/// Fetches an archive of `what` with `fetch`, verifies it (of cluster `expected`, when
/// given) and writes it as `args` say. `traefikee backup` shares it, over the node's socket.
pub async fn take_backup(
    args: &BackupArgs,
    what: &str,
    expected: Option<&str>,
    fetch: impl std::future::Future<Output = Result<bytes::Bytes, Failure>>,
) -> Outcome {
    let passphrase = read_passphrase(args.passphrase_file.as_deref())?;
    let path = args
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(traefikee_backup::default_file_name(time::OffsetDateTime::now_utc())));
    if path.exists() && !args.force {
        return Err(Failure::refused(format!("{} already exists: not overwriting it", path.display()))
            .hint("pass --force to replace it, or --file to choose another name"));
    }
    let bar = spinner(&format!("taking a backup of {what}"));
    let bytes = fetch.await.inspect_err(|_| bar.finish_and_clear())?;
    bar.set_message("verifying the archive");
    let backup = traefikee_backup::read_bytes(&bytes, None).map_err(|e| {
        bar.finish_and_clear();
        Failure::new(ErrorCode::Internal, format!("the cluster sent an archive that does not verify: {e}"))
            .hint("nothing was written; try again, and report it if it persists")
    })?;
    if let Some(expected) = expected.filter(|id| *id != backup.manifest.cluster_id) {
        bar.finish_and_clear();
        return Err(Failure::new(
            ErrorCode::Internal,
            format!("the archive is of cluster {}, not {expected}", backup.manifest.cluster_id),
        ));
    }
    bar.set_message(if passphrase.is_some() { "encrypting and writing" } else { "writing" });
    let options = WriteOptions {
        passphrase: passphrase.as_deref(),
        gzip: args.gzip,
        overwrite: args.force,
        ..WriteOptions::default()
    };
    if !bar.is_hidden() {
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {bar:30} {bytes}/{total_bytes}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }
    let mut progress = |done: u64, total: u64| {
        bar.set_length(total);
        bar.set_position(done);
    };
    traefikee_backup::write(&backup, &path, &options, &mut progress).map_err(|e| {
        bar.finish_and_clear();
        Failure::refused(e.to_string())
    })?;
    bar.finish_and_clear();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
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

/// Restores an archive through the API.
pub async fn restore(s: &Session, args: &RestoreArgs) -> Outcome {
    let passphrase = read_passphrase(args.passphrase_file.as_deref())?;
    let bar = spinner("verifying the archive");
    let backup = read_archive(&args.file, passphrase.as_deref()).inspect_err(|_| bar.finish_and_clear())?;
    let plain = traefikee_backup::to_bytes(&backup, &WriteOptions::default())
        .map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?;
    bar.set_message(format!("restoring into cluster {}", s.profile.meta.name));
    let path = format!("/api/v1/restore?force={}&dry_run={}", args.force, args.dry_run);
    let answer = s.client.send_raw(reqwest::Method::POST, &path, Some((plain, "application/x-tar"))).await;
    bar.finish_and_clear();
    let (bytes, _) = answer?;
    let result: RestoreResult = serde_json::from_slice(&bytes)
        .map_err(|e| Failure::new(ErrorCode::Internal, format!("unexpected answer from the cluster: {e}")))?;
    if s.format == Format::Json || s.format == Format::Yaml {
        s.print(&result, |_| String::new());
        return Ok(());
    }
    let from = &result.from;
    let what = restored_parts(&result);
    if result.dry_run {
        println!(
            "✔ The backup of {} taken {} (index {}) passes every check; restoring it would bring back {what} (nothing was changed)",
            escape(&from.cluster_name),
            escape(&from.created_at),
            from.raft_index
        );
    } else {
        println!(
            "✔ Restored {what} from the backup of {} taken {} (index {})",
            escape(&from.cluster_name),
            escape(&from.created_at),
            from.raft_index
        );
    }
    Ok(())
}

fn restored_parts(r: &RestoreResult) -> String {
    let mut parts = Vec::new();
    match (&r.config, r.version) {
        (Some(summary), Some(v)) => parts.push(format!("the configuration as version {v} ({})", escape(summary))),
        (Some(summary), None) => parts.push(format!("the configuration ({})", escape(summary))),
        _ => {}
    }
    if r.tokens {
        parts.push("the join tokens".to_owned());
    }
    if r.credentials > 0 {
        parts.push(format!("{} credential records", r.credentials));
    }
    if r.revocations > 0 {
        parts.push(format!("{} revocations", r.revocations));
    }
    if parts.is_empty() {
        "nothing".to_owned()
    } else {
        parts.join(", ")
    }
}

#[derive(Serialize)]
struct InspectView<'a> {
    file: String,
    intact: bool,
    encrypted: bool,
    compressed: bool,
    archive_bytes: u64,
    manifest: &'a traefikee_backup::Manifest,
    entries: Vec<EntryView>,
    problems: Vec<String>,
}

#[derive(Serialize)]
struct EntryView {
    name: String,
    key: Option<String>,
    size: u64,
    status: String,
}

fn status_text(s: &EntryStatus) -> String {
    match s {
        EntryStatus::Intact => "ok".into(),
        EntryStatus::SizeMismatch { expected } => format!("size differs (manifest: {expected})"),
        EntryStatus::ChecksumMismatch { actual } => format!("sha256 differs (found {actual})"),
        EntryStatus::Missing => "missing".into(),
        EntryStatus::NotInManifest => "not in the manifest".into(),
        EntryStatus::Duplicate => "duplicate".into(),
        EntryStatus::UnsafeName => "unsafe name".into(),
    }
}

/// Prints an archive's manifest and the result of every check; fails unless all pass.
pub fn inspect(format: Format, args: &InspectArgs) -> Outcome {
    let passphrase = read_passphrase(args.passphrase_file.as_deref())?;
    let inspection: Inspection = traefikee_backup::inspect(&args.file, passphrase.as_deref())
        .map_err(|e| Failure::refused(format!("{} cannot be inspected: {e}", args.file.display())))?;
    let view = InspectView {
        file: args.file.display().to_string(),
        intact: inspection.is_intact(),
        encrypted: inspection.encrypted,
        compressed: inspection.compressed,
        archive_bytes: inspection.archive_bytes,
        manifest: &inspection.manifest,
        entries: inspection
            .entries
            .iter()
            .map(|e| EntryView {
                name: e.name.clone(),
                key: e.key.clone(),
                size: e.size,
                status: status_text(&e.status),
            })
            .collect(),
        problems: inspection.problems.iter().map(|p| p.to_string()).collect(),
    };
    print!("{}", crate::output::render(format, &view, table));
    if view.intact {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "{} fails {} check{}: {}",
            view.file,
            view.problems.len(),
            if view.problems.len() == 1 { "" } else { "s" },
            view.problems.join("; ")
        ))
        .hint("do not restore it; take another backup, or use an older one that passes"))
    }
}

fn table(v: &InspectView<'_>) -> String {
    let m = v.manifest;
    let mut out = String::new();
    let layers = match (v.encrypted, v.compressed) {
        (true, true) => "encrypted (age), gzip, tar",
        (true, false) => "encrypted (age), tar",
        (false, true) => "gzip, tar",
        (false, false) => "tar",
    };
    let rows = [
        ("File", format!("{} ({})", v.file, human_size(v.archive_bytes))),
        ("Layers", layers.to_owned()),
        ("Format version", m.format_version.to_string()),
        ("Cluster", format!("{} ({})", m.cluster_name, m.cluster_id)),
        ("Created", m.created_at.clone()),
        ("Written by", format!("traefikee {}", m.tool_version)),
        ("Raft index", m.raft_index.to_string()),
        ("Records", m.entries.len().to_string()),
    ];
    for (k, val) in rows {
        out.push_str(&format!("{k:<15} {}\n", escape(&val)));
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED).set_header(["RECORD", "SIZE", "CHECK"]);
    // Every entry that fails a check, and the first ones that pass.
    let shown = 50;
    let mut ok_shown = 0;
    for e in &v.entries {
        if e.status == "ok" {
            ok_shown += 1;
            if ok_shown > shown {
                continue;
            }
        }
        let record = e.key.as_deref().unwrap_or(&e.name);
        t.add_row([escape(record).into_owned(), e.size.to_string(), escape(&e.status).into_owned()]);
    }
    out.push_str(&format!("{t}\n"));
    if ok_shown > shown {
        out.push_str(&format!("... and {} more intact records (-o json lists them all)\n", ok_shown - shown));
    }
    if v.intact {
        out.push_str("✔ Every checksum matches\n");
    }
    out
}
