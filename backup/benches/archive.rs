//! Write and read a backup the size the backup issue asks about: 10,000 router records
//! (~300 bytes of JSON each) and 1,000 TLS certificate records (~3 KiB: a PEM certificate
//! and key), plain, gzipped and encrypted (scrypt at the default work factor, 2^18).
//!
//! Run: `cargo bench -p traefikee-backup --bench archive`. Archive sizes are printed first.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use traefikee_backup::{read_bytes, to_bytes, write, Backup, WriteOptions};

const PASSPHRASE: &str = "a passphrase an operator would type";

fn router(i: usize) -> Vec<u8> {
    format!(
        r#"{{"entryPoints":["websecure"],"rule":"Host(`app-{i}.example.com`) && PathPrefix(`/api/v{v}`)","service":"svc-{i}@kubernetes","middlewares":["auth@file","ratelimit-{m}@file","headers@file"],"priority":{i},"tls":{{"certResolver":"le","options":"default"}},"observability":{{"accessLogs":true}}}}"#,
        v = i % 5,
        m = i % 17
    )
    .into_bytes()
}

/// Pseudo-random base64 lines: PEM compresses like the real thing (not at all, nearly).
fn pem(label: &str, bytes: usize, seed: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state = seed | 1;
    let mut body = String::new();
    for i in 0..bytes {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        body.push(char::from(ALPHABET[(state % 64) as usize]));
        if i % 64 == 63 {
            body.push('\n');
        }
    }
    format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n")
}

fn certificate(i: usize) -> Vec<u8> {
    let cert = pem("CERTIFICATE", 1700, i as u64 * 2 + 1);
    let key = pem("PRIVATE KEY", 1200, i as u64 * 2 + 2);
    serde_json::to_vec(&serde_json::json!({"certFile": cert, "keyFile": key, "stores": ["default"]}))
        .unwrap_or_default()
}

fn large_backup() -> Backup {
    let mut records = BTreeMap::new();
    for i in 0..10_000 {
        records.insert(format!("config/http/routers/router-{i:05}@kubernetes"), router(i));
    }
    for i in 0..1_000 {
        records.insert(format!("config/tls/certificates/cert-{i:04}"), certificate(i));
    }
    records.insert("cluster".to_owned(), br#"{"id":"c1","name":"prod"}"#.to_vec());
    Backup::new("c1", "prod", "0.1.0", 123_456, records)
}

fn bench(c: &mut Criterion) {
    let backup = large_backup();
    let content: usize = backup.records.values().map(Vec::len).sum();
    let variants = [
        ("plain", WriteOptions::default()),
        ("gzip", WriteOptions { gzip: true, ..WriteOptions::default() }),
        ("encrypted", WriteOptions { passphrase: Some(PASSPHRASE), ..WriteOptions::default() }),
        ("encrypted+gzip", WriteOptions { passphrase: Some(PASSPHRASE), gzip: true, ..WriteOptions::default() }),
    ];
    println!("{} records, {content} bytes of record content", backup.records.len());
    let mut archives = Vec::new();
    for (name, options) in &variants {
        let bytes = to_bytes(&backup, options).unwrap_or_default();
        println!("archive size {name}: {} bytes", bytes.len());
        archives.push(bytes);
    }

    let dir = tempfile::tempdir().ok();
    let mut group = c.benchmark_group("backup");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for ((name, options), bytes) in variants.iter().zip(&archives) {
        let passphrase = options.passphrase;
        group.bench_function(format!("write {name} (to a file, fsync)"), |b| {
            let Some(dir) = &dir else { return };
            let path = dir.path().join(format!("{name}.tar"));
            let options = WriteOptions { overwrite: true, ..*options };
            b.iter(|| write(&backup, &path, &options, &mut |_, _| {}));
        });
        group.bench_function(format!("read {name} (from memory, verified)"), |b| {
            b.iter(|| read_bytes(black_box(bytes), passphrase).map(|backup| backup.records.len()));
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
