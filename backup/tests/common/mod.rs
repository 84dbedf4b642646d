//! Helpers shared by the integration tests: a sample backup, fast encryption, and a
//! builder of hand-made tar archives for the refusal tests.
#![allow(dead_code)]

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use time::macros::datetime;
use traefikee_backup::{Backup, WriteOptions};

pub const PASSPHRASE: &str = "correct horse battery staple";

/// A small backup with keys that need encoding and one long enough for a GNU long name.
pub fn sample() -> Backup {
    let records: BTreeMap<String, Vec<u8>> = [
        ("cluster", br#"{"id":"c1","name":"prod"}"#.to_vec()),
        ("token/control", br#""tok-123""#.to_vec()),
        ("credential/4f3a", br#"{"user":"admin","revoked":false}"#.to_vec()),
        (
            "config/http/routers/a-very-long-router-name-that-needs-a-gnu-long-name-entry-in-the-tar@file",
            vec![b'x'; 700],
        ),
        ("empty", Vec::new()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Backup::new_at("c1", "prod", "0.1.0", 42, records, datetime!(2026-11-22 20:15:00 UTC))
}

/// Plain tar.
pub fn plain() -> WriteOptions<'static> {
    WriteOptions::default()
}

/// Encrypted with a tiny scrypt work factor, so tests stay fast.
pub fn encrypted() -> WriteOptions<'static> {
    WriteOptions { passphrase: Some(PASSPHRASE), scrypt_log_n: 2, ..WriteOptions::default() }
}

pub fn gzip() -> WriteOptions<'static> {
    WriteOptions { gzip: true, ..WriteOptions::default() }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `manifest.sha256` content for `manifest`.
pub fn digest_line(manifest: &[u8]) -> Vec<u8> {
    format!("{}  manifest.json\n", sha256_hex(manifest)).into_bytes()
}

/// The manifest JSON of `backup`, as the writer would produce it.
pub fn manifest_json(backup: &Backup) -> Vec<u8> {
    let mut json = serde_json::to_vec_pretty(&backup.manifest).expect("serializable");
    json.push(b'\n');
    json
}

/// A tar of `entries` with the headers our writer uses; names are written raw into the
/// header, so they may be absolute or hold `..`.
pub fn raw_tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o600);
        header.set_size(data.len() as u64);
        if name.len() > 100 {
            builder.append_data(&mut header, name, *data).expect("in memory");
            continue;
        }
        let slot = &mut header.as_old_mut().name;
        slot[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        builder.append(&header, *data).expect("in memory");
    }
    builder.into_inner().expect("in memory")
}

/// A tar holding `manifest` (with its right digest) then `records` (name, data).
pub fn tar_with_manifest(manifest: &[u8], records: &[(&str, &[u8])]) -> Vec<u8> {
    let digest = digest_line(manifest);
    let mut entries: Vec<(&str, &[u8])> = vec![("manifest.json", manifest), ("manifest.sha256", &digest)];
    entries.extend_from_slice(records);
    raw_tar(&entries)
}

/// Record entries of `backup`: (entry name, value).
pub fn record_entries(backup: &Backup) -> Vec<(String, Vec<u8>)> {
    backup
        .manifest
        .entries
        .iter()
        .map(|e| (e.name.clone(), backup.records[&e.key().expect("record name")].clone()))
        .collect()
}

/// A small deterministic generator (xorshift), so mutation tests replay exactly.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}
