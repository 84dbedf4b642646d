//! `backup`, `backup inspect` and `restore`.
//!
//! Passphrases never leave this machine: the cluster sends and receives plain archives over
//! mutual TLS, and encryption and decryption happen here. Every archive is verified in full
//! on both sides: here before it is written or sent, and on the controller before anything
//! changes.

use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde::Serialize;
use traefikee_apiserver::types::{RestoreQuery, RestoreResult};
use traefikee_apiserver::ErrorCode;
use traefikee_backup::{EntryStatus, Inspection, WriteOptions};
use traefikee_client::backup::{human_size, read_archive, read_passphrase, take_backup, BackupArgs};
use traefikee_client::output::{escape, Format};
use traefikee_client::{Failure, Outcome};

use super::Session;
use crate::args::{InspectArgs, RestoreArgs};
use crate::progress::{spinner, Bar};

/// Takes a backup through the API and writes it (atomically, mode 0600).
pub async fn backup(s: &Session, args: &BackupArgs) -> Outcome {
    let what = format!("cluster {}", s.profile.meta.name);
    take_backup(&s.client, args, &what, Some(&s.profile.meta.cluster_id), &Bar::terminal()).await
}

/// Restores an archive through the API.
pub async fn restore(s: &Session, args: &RestoreArgs) -> Outcome {
    let passphrase = read_passphrase(args.passphrase_file.as_deref())?;
    let bar = spinner("verifying the archive");
    let backup = read_archive(&args.file, passphrase.as_deref()).inspect_err(|_| bar.finish_and_clear())?;
    let plain = traefikee_backup::to_bytes(&backup, &WriteOptions::default())
        .map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?;
    bar.set_message(format!("restoring into cluster {}", s.profile.meta.name));
    let answer = s.client.restore(plain, &RestoreQuery { force: args.force, dry_run: args.dry_run }).await;
    bar.finish_and_clear();
    let result = answer?;
    if s.format == Format::Json || s.format == Format::Yaml {
        s.print(&result, |_| String::new());
        return Ok(());
    }
    let from = &result.from;
    let what = restored_parts(&result);
    if result.dry_run {
        traefikee_client::outln!(
            "✔ The backup of {} taken {} (index {}) passes every check; restoring it would bring back {what} (nothing was changed)",
            escape(&from.cluster_name),
            escape(&from.created_at),
            from.raft_index
        );
    } else {
        traefikee_client::outln!(
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
    traefikee_client::out!("{}", traefikee_client::output::render(format, &view, table));
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
