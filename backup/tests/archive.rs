//! Round trips, and every refusal with the message an operator sees.

mod common;

use common::*;
use traefikee_backup::{
    inspect_bytes, read_bytes, to_bytes, write_to, Backup, BackupError, EntryStatus, WriteOptions, FORMAT_VERSION,
    MAX_ENTRY_BYTES,
};

fn refusal(bytes: &[u8], passphrase: Option<&str>) -> BackupError {
    match read_bytes(bytes, passphrase) {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    }
}

fn assert_says(error: &BackupError, words: &[&str]) {
    let message = error.to_string();
    for word in words {
        assert!(message.contains(word), "{message:?} does not say {word:?}");
    }
    assert!(!message.ends_with('.'), "{message:?} ends with a period");
}

// ---- round trips ----

#[test]
fn round_trip_plain_gzip_encrypted() {
    let backup = sample();
    for (options, passphrase) in [
        (plain(), None),
        (gzip(), None),
        (encrypted(), Some(PASSPHRASE)),
        (WriteOptions { gzip: true, ..encrypted() }, Some(PASSPHRASE)),
    ] {
        let bytes = to_bytes(&backup, &options).expect("written");
        assert_eq!(read_bytes(&bytes, passphrase).expect("read back"), backup, "{options:?}");
        let inspection = inspect_bytes(&bytes, passphrase).expect("inspected");
        assert!(inspection.is_intact(), "{:?}", inspection.problems);
        assert_eq!(inspection.encrypted, options.passphrase.is_some());
        assert_eq!(inspection.compressed, options.gzip);
        assert_eq!(inspection.entries.len(), backup.records.len());
        assert!(inspection.entries.iter().all(|e| e.status == EntryStatus::Intact));
        assert_eq!(inspection.manifest, backup.manifest);
    }
}

#[test]
fn an_empty_backup_round_trips() {
    let backup = Backup::new("c1", "prod", "0.1.0", 1, Default::default());
    let bytes = to_bytes(&backup, &plain()).expect("written");
    assert_eq!(read_bytes(&bytes, None).expect("read"), backup);
}

#[test]
fn plain_output_is_a_tar_with_the_manifest_first_and_is_deterministic() {
    let backup = sample();
    let bytes = to_bytes(&backup, &plain()).expect("written");
    assert_eq!(bytes, to_bytes(&backup, &plain()).expect("written again"));
    let mut archive = tar::Archive::new(&bytes[..]);
    let names: Vec<String> = archive
        .entries()
        .expect("a tar")
        .map(|e| e.expect("entry").path().expect("path").to_string_lossy().into_owned())
        .collect();
    assert_eq!(names[..2], ["manifest.json", "manifest.sha256"]);
    assert!(names.contains(&"records/token%2Fcontrol".to_owned()));
    assert_eq!(names.len(), 2 + backup.records.len());
    let gz = to_bytes(&backup, &gzip()).expect("written");
    assert!(gz.len() < bytes.len());
    assert_eq!(&gz[..2], [0x1f, 0x8b]);
    let age = to_bytes(&backup, &encrypted()).expect("written");
    assert!(age.starts_with(b"age-encryption.org/v1\n"));
}

#[test]
fn progress_counts_up_to_the_total() {
    let backup = sample();
    let mut calls = Vec::new();
    write_to(&backup, Vec::new(), &plain(), &mut |done, total| calls.push((done, total))).expect("written");
    assert_eq!(calls.len(), 1 + 2 + backup.records.len());
    let total = calls[0].1;
    assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0 && w[1].1 == total));
    assert_eq!(calls.last().map(|c| c.0), Some(total));
}

// ---- refusals: damage ----

#[test]
fn truncations_are_refused() {
    let backup = sample();
    for (options, passphrase) in [(plain(), None), (gzip(), None), (encrypted(), Some(PASSPHRASE))] {
        let bytes = to_bytes(&backup, &options).expect("written");
        let n = bytes.len();
        let cuts = [0, 1, 100, 511, 512, 1000, 1536, n / 2]
            .into_iter()
            .chain([1024, 600, 512, 17, 1].map(|k| n.saturating_sub(k)));
        for len in cuts.filter(|&len| len < n) {
            let error = refusal(&bytes[..len], passphrase);
            let message = error.to_string();
            assert!(
                matches!(
                    error,
                    BackupError::Truncated(_)
                        | BackupError::NotATar(_)
                        | BackupError::DecryptionFailed(_)
                        | BackupError::Damaged(_)
                ),
                "{options:?} cut at {len}: {message}"
            );
        }
        if passphrase.is_none() && !options.gzip {
            assert_says(&refusal(&bytes[..n - 512], None), &["truncated", "end-of-archive marker"]);
            assert_says(&refusal(&bytes[..1000], None), &["truncated", "manifest.json"]);
        }
    }
    let bytes = to_bytes(&backup, &gzip()).expect("written");
    assert_says(&refusal(&bytes[..bytes.len() - 3], None), &["truncated", "gzip"]);
    let bytes = to_bytes(&backup, &encrypted()).expect("written");
    assert_says(&refusal(&bytes[..bytes.len() - 3], Some(PASSPHRASE)), &["fails authentication"]);
}

/// The offset of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).position(|w| w == needle).expect("present")
}

#[test]
fn a_flipped_byte_in_an_entry_names_the_entry() {
    let bytes = to_bytes(&sample(), &plain()).expect("written");
    let mut damaged = bytes.clone();
    let at = find(&bytes, b"tok-123");
    damaged[at] ^= 0x01;
    let error = refusal(&damaged, None);
    assert!(matches!(error, BackupError::ChecksumMismatch { .. }), "{error}");
    assert_says(&error, &["entry `records/token%2Fcontrol` fails its checksum", "the manifest says"]);
}

#[test]
fn a_flipped_byte_in_the_manifest_is_refused() {
    let bytes = to_bytes(&sample(), &plain()).expect("written");
    let mut damaged = bytes.clone();
    let at = find(&bytes, b"\"prod\"");
    damaged[at + 2] ^= 0x02; // prod -> prmd: still valid JSON
    assert_says(&refusal(&damaged, None), &["manifest.json fails its checksum", "manifest.sha256 says"]);
}

#[test]
fn a_flipped_byte_in_a_tar_header_is_refused() {
    let bytes = to_bytes(&sample(), &plain()).expect("written");
    // The header of the second entry: its mtime field.
    let mut damaged = bytes.clone();
    let header = find(&bytes, b"manifest.sha256\0");
    damaged[header + 136] ^= 0x01;
    assert_says(&refusal(&damaged, None), &["damaged", "tar header at offset", "fails its checksum"]);
    // Its checksum field, respelled with a leading space instead of a zero.
    let mut damaged = bytes.clone();
    damaged[header + 148] = b' ';
    assert_says(&refusal(&damaged, None), &["fails its checksum"]);
    // The first header's name.
    let mut damaged = bytes.clone();
    damaged[0] = b'M';
    assert_says(&refusal(&damaged, None), &["damaged", "offset 0"]);
}

#[test]
fn damage_outside_entries_is_refused() {
    let bytes = to_bytes(&sample(), &plain()).expect("written");
    let n = bytes.len();
    // Padding after the manifest.sha256 content.
    let mut damaged = bytes.clone();
    let line = find(&bytes, b"  manifest.json\n");
    damaged[line + 20] = 1;
    assert_says(&refusal(&damaged, None), &["padding after entry `manifest.sha256` is not zero"]);
    // The end-of-archive marker.
    let mut damaged = bytes.clone();
    damaged[n - 3] = 1;
    assert_says(&refusal(&damaged, None), &["end-of-archive marker"]);
    // Anything appended.
    let mut damaged = bytes.clone();
    damaged.extend_from_slice(&[0; 512]);
    assert_says(&refusal(&damaged, None), &["follow the end-of-archive marker"]);
    let mut damaged = bytes.clone();
    damaged.extend_from_slice(b"junk");
    assert_says(&refusal(&damaged, None), &["end-of-archive marker"]);
}

#[test]
fn damage_in_gzip_and_age_layers_is_refused() {
    let backup = sample();
    let gz = to_bytes(&backup, &gzip()).expect("written");
    let mut damaged = gz.clone();
    damaged[gz.len() / 2] ^= 0xff;
    assert_says(&refusal(&damaged, None), &["damaged"]);
    let mut damaged = gz.clone();
    damaged[4] = 1; // gzip mtime
    assert_says(&refusal(&damaged, None), &["gzip header byte 4 differs"]);
    let mut damaged = gz.clone();
    damaged.push(0);
    assert_says(&refusal(&damaged, None), &["1 bytes follow the gzip stream"]);

    let age = to_bytes(&backup, &encrypted()).expect("written");
    let mut damaged = age.clone();
    let last = damaged.len() - 5;
    damaged[last] ^= 0x01;
    let error = refusal(&damaged, Some(PASSPHRASE));
    assert!(matches!(error, BackupError::DecryptionFailed(_)), "{error}");
    assert_says(&error, &["fails authentication"]);
    // The header MAC line.
    let mut damaged = age.clone();
    let mac = find(&age, b"\n--- ") + 5;
    damaged[mac] = if damaged[mac] == b'A' { b'B' } else { b'A' };
    assert_says(&refusal(&damaged, Some(PASSPHRASE)), &["encrypted archive fails authentication"]);
}

// ---- refusals: entries ----

#[test]
fn a_missing_entry_is_named() {
    let backup = sample();
    let manifest = manifest_json(&backup);
    let records = record_entries(&backup);
    let kept: Vec<(&str, &[u8])> =
        records.iter().filter(|(n, _)| n != "records/cluster").map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    let bytes = tar_with_manifest(&manifest, &kept);
    let error = refusal(&bytes, None);
    assert!(matches!(error, BackupError::MissingEntry { .. }), "{error}");
    assert_says(&error, &["entry `records/cluster` is listed in the manifest but missing"]);
    let inspection = inspect_bytes(&bytes, None).expect("inspectable");
    assert!(!inspection.is_intact());
    let cluster = inspection.entries.iter().find(|e| e.name == "records/cluster").expect("listed");
    assert_eq!(cluster.status, EntryStatus::Missing);
    assert_eq!(cluster.key.as_deref(), Some("cluster"));
}

#[test]
fn an_added_entry_is_named() {
    let backup = sample();
    let manifest = manifest_json(&backup);
    let records = record_entries(&backup);
    let mut entries: Vec<(&str, &[u8])> = records.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    entries.push(("records/extra", b"{}"));
    let error = refusal(&tar_with_manifest(&manifest, &entries), None);
    assert!(matches!(error, BackupError::UnexpectedEntry { .. }), "{error}");
    assert_says(&error, &["entry `records/extra` is not listed in the manifest"]);
}

#[test]
fn duplicate_entries_are_refused() {
    let backup = sample();
    let manifest = manifest_json(&backup);
    let records = record_entries(&backup);
    let mut entries: Vec<(&str, &[u8])> = records.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    entries.push(entries[0]);
    assert_says(
        &refusal(&tar_with_manifest(&manifest, &entries), None),
        &["entry `records/cluster` appears more than once"],
    );
    let mut entries: Vec<(&str, &[u8])> = records.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    entries.push(("manifest.json", &manifest));
    assert_says(
        &refusal(&tar_with_manifest(&manifest, &entries), None),
        &["entry `manifest.json` appears more than once"],
    );
}

#[test]
fn a_wrong_size_or_checksum_in_the_manifest_is_named() {
    let mut backup = sample();
    backup.manifest.entries[0].size += 1;
    let records = record_entries(&sample());
    let entries: Vec<(&str, &[u8])> = records.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    let error = refusal(&tar_with_manifest(&manifest_json(&backup), &entries), None);
    assert_says(&error, &["fails its size check", "the manifest says"]);
    let inspection = inspect_bytes(&tar_with_manifest(&manifest_json(&backup), &entries), None).expect("inspectable");
    let first = &inspection.entries[0];
    assert!(matches!(first.status, EntryStatus::SizeMismatch { .. }), "{first:?}");
}

#[test]
fn path_tricks_are_refused() {
    let backup = sample();
    let manifest = manifest_json(&backup);
    for name in ["../../etc/cron.d/x", "/etc/passwd", "records/../../x"] {
        let error = refusal(&tar_with_manifest(&manifest, &[(name, b"x")]), None);
        assert!(matches!(error, BackupError::UnsafeEntryName { .. }), "{name}: {error}");
        assert_says(&error, &["is unsafe"]);
    }
    // A manifest cannot list one either.
    let mut backup = sample();
    backup.manifest.entries[0].name = "../x".to_owned();
    assert_says(
        &refusal(&tar_with_manifest(&manifest_json(&backup), &[]), None),
        &["manifest.json is invalid", "\"../x\""],
    );
}

#[test]
fn links_and_directories_are_refused() {
    let manifest = manifest_json(&sample());
    let mut bytes = tar_with_manifest(&manifest, &[]);
    bytes.truncate(bytes.len() - 1024);
    let mut builder = tar::Builder::new(bytes);
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Symlink);
    header.set_size(0);
    builder.append_link(&mut header, "records/cluster", "/etc/shadow").expect("in memory");
    let bytes = builder.into_inner().expect("in memory");
    assert_says(&refusal(&bytes, None), &["entry `records/cluster` is a symbolic link", "only regular files"]);
}

// ---- refusals: not ours ----

#[test]
fn a_foreign_tar_is_refused() {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(5);
    builder.append_data(&mut header, "hello.txt", &b"hello"[..]).expect("in memory");
    let bytes = builder.into_inner().expect("in memory");
    let error = refusal(&bytes, None);
    assert!(matches!(error, BackupError::NotABackup(_)), "{error}");
    assert_says(&error, &["not a traefikee backup", "first entry is `hello.txt`, not `manifest.json`"]);
    let empty = tar::Builder::new(Vec::new()).into_inner().expect("in memory");
    assert_says(&refusal(&empty, None), &["not a traefikee backup", "empty"]);
}

#[test]
fn random_bytes_and_empty_files_are_not_tars() {
    let mut rng = Rng(7);
    for len in [1, 10, 511, 512, 4096, 100_000] {
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let error = refusal(&bytes, None);
        assert!(matches!(error, BackupError::NotATar(_)), "{len}: {error}");
    }
    assert_says(&refusal(b"", None), &["not a tar archive", "empty"]);
    assert_says(&refusal(b"PK\x03\x04 a zip file", None), &["not a tar archive"]);
    assert_says(&refusal(&[0; 4096], None), &["not a traefikee backup"]);
}

#[test]
fn a_newer_format_asks_for_an_upgrade() {
    let mut backup = sample();
    backup.manifest.format_version = FORMAT_VERSION + 1;
    backup.manifest.tool_version = "9.9.9".to_owned();
    let mut json: serde_json::Value = serde_json::from_slice(&manifest_json(&backup)).expect("json");
    json["something_new"] = serde_json::json!({"a": 1});
    let manifest = serde_json::to_vec(&json).expect("json");
    let error = refusal(&tar_with_manifest(&manifest, &[("records/new-kind", b"?")]), None);
    assert!(matches!(error, BackupError::NewerFormat { .. }), "{error}");
    assert_says(
        &error,
        &[&format!(
            "made by traefikee 9.9.9 with format {}; this build reads formats up to {FORMAT_VERSION}: upgrade",
            FORMAT_VERSION + 1
        )],
    );
}

#[test]
fn a_manifest_that_does_not_parse_is_refused() {
    for (manifest, says) in [
        (&b"{not json"[..], "manifest.json is invalid"),
        (b"{\"format_version\": 1}", "missing field"),
        (b"[]", "manifest.json is invalid"),
    ] {
        assert_says(&refusal(&tar_with_manifest(manifest, &[]), None), &[says]);
    }
    let mut json: serde_json::Value = serde_json::from_slice(&manifest_json(&sample())).expect("json");
    json["surprise"] = serde_json::json!(true);
    let manifest = serde_json::to_vec(&json).expect("json");
    assert_says(&refusal(&tar_with_manifest(&manifest, &[]), None), &["unknown field `surprise`"]);
    let mut backup = sample();
    backup.manifest.created_at = "yesterday".to_owned();
    assert_says(&refusal(&tar_with_manifest(&manifest_json(&backup), &[]), None), &["created_at \"yesterday\""]);
    let mut backup = sample();
    backup.manifest.entries[1].sha256 = "ABC".to_owned();
    assert_says(&refusal(&tar_with_manifest(&manifest_json(&backup), &[]), None), &["not 64 lowercase hex"]);
    // Without manifest.sha256.
    let bytes = raw_tar(&[("manifest.json", &manifest_json(&sample()))]);
    assert_says(&refusal(&bytes, None), &["entry `manifest.sha256` is listed in the manifest but missing"]);
}

#[test]
fn entries_out_of_order_are_refused() {
    let backup = sample();
    let manifest = manifest_json(&backup);
    let records = record_entries(&backup);
    let mut entries: Vec<(&str, &[u8])> = records.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    entries.reverse();
    // raw_tar writes mtime 0 and another header layout: the canonical check names the offset.
    assert_says(&refusal(&tar_with_manifest(&manifest, &entries), None), &["differs from what traefikee writes"]);
}

// ---- refusals: passphrases ----

#[test]
fn passphrase_mismatches_are_refused() {
    let backup = sample();
    let age = to_bytes(&backup, &encrypted()).expect("written");
    let error = refusal(&age, None);
    assert!(matches!(error, BackupError::PassphraseRequired), "{error}");
    assert_says(&error, &["encrypted", "passphrase is needed"]);
    let error = refusal(&age, Some("wrong horse"));
    assert!(matches!(error, BackupError::WrongPassphrase), "{error}");
    assert_says(&error, &["wrong passphrase"]);
    let plain_bytes = to_bytes(&backup, &plain()).expect("written");
    assert_says(&refusal(&plain_bytes, Some(PASSPHRASE)), &["passphrase was given but the archive is not encrypted"]);
    assert_says(&refusal(b"-----BEGIN AGE ENCRYPTED FILE-----\n", Some("x")), &["ASCII-armored"]);
}

#[test]
fn an_excessive_scrypt_work_factor_is_refused_before_any_work() {
    let age = to_bytes(&sample(), &encrypted()).expect("written");
    let text = String::from_utf8_lossy(&age[..age.len().min(200)]).into_owned();
    let line_end = text.find("\n-> scrypt ").expect("scrypt stanza") + 1;
    let stanza_end = line_end + text[line_end..].find('\n').expect("line");
    let stanza = &text[line_end..stanza_end];
    let raised = format!("{} 40", stanza.rsplit_once(' ').expect("log_n").0);
    let mut bytes = age[..line_end].to_vec();
    bytes.extend_from_slice(raised.as_bytes());
    bytes.extend_from_slice(&age[stanza_end..]);
    let started = std::time::Instant::now();
    assert_says(&refusal(&bytes, Some(PASSPHRASE)), &["work factor 2^40 is over the limit of 2^20"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

// ---- refusals: sizes and bad input on the writing side ----

#[test]
fn an_entry_over_the_limit_is_refused() {
    let manifest = manifest_json(&sample());
    let mut bytes = tar_with_manifest(&manifest, &[]);
    bytes.truncate(bytes.len() - 1024);
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(MAX_ENTRY_BYTES + 1);
    header.as_old_mut().name[..9].copy_from_slice(b"records/x");
    header.set_cksum();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&[0; 1024]);
    assert_says(&refusal(&bytes, None), &["entry `records/x` is too large", "the limit is 67108864"]);

    let too_big = Backup::new("c", "n", "v", 1, [("big".to_owned(), vec![0; MAX_ENTRY_BYTES as usize + 1])].into());
    assert_says(&to_bytes(&too_big, &plain()).expect_err("refused"), &["record \"big\" is too large"]);
}

#[test]
fn bad_keys_and_options_are_refused_before_writing() {
    let empty_key = Backup::new("c", "n", "v", 1, [(String::new(), vec![])].into());
    assert_says(
        &to_bytes(&empty_key, &plain()).expect_err("refused"),
        &["record key \"\" cannot be stored: it is empty"],
    );
    let long_key = Backup::new("c", "n", "v", 1, [("k".repeat(2000), vec![])].into());
    assert_says(&to_bytes(&long_key, &plain()).expect_err("refused"), &["the limit is 1024"]);
    let backup = sample();
    let options = WriteOptions { passphrase: Some(""), ..plain() };
    assert_says(&to_bytes(&backup, &options).expect_err("refused"), &["passphrase is empty"]);
    for log_n in [0, 21] {
        let options = WriteOptions { scrypt_log_n: log_n, ..encrypted() };
        assert_says(&to_bytes(&backup, &options).expect_err("refused"), &["scrypt_log_n"]);
    }
    let mut bad_time = sample();
    bad_time.manifest.created_at = "now".to_owned();
    assert_says(&to_bytes(&bad_time, &plain()).expect_err("refused"), &["created_at"]);
}

#[test]
fn the_writer_recomputes_entries_from_records() {
    let mut backup = sample();
    backup.records.insert("added/later".to_owned(), b"1".to_vec());
    let read = read_bytes(&to_bytes(&backup, &plain()).expect("written"), None).expect("read");
    assert_eq!(read.records, backup.records);
    assert_eq!(read.manifest.entries.len(), backup.records.len());
}

#[test]
fn debug_output_hides_record_values() {
    let backup = sample();
    let shown = format!("{backup:?}");
    assert!(!shown.contains("tok-123"), "{shown}");
    let options = encrypted();
    assert!(!format!("{options:?}").contains(PASSPHRASE));
}
