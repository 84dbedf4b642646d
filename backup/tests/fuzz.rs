//! Issue 13: the backup reader under the stable fuzzing harness (`traefikee-fuzzkit`), with
//! the check of the libFuzzer target `backup_reader`. Seeds: plain, gzip and encrypted
//! archives of the sample backup and of an empty one; tar-aware edits move, repeat and drop
//! 512-byte blocks.

mod common;

#[path = "../../fuzz/checks/backup_reader.rs"]
mod backup_reader;

use std::collections::BTreeMap;

use common::*;
use time::macros::datetime;
use traefikee_backup::{to_bytes, Backup, WriteOptions};
use traefikee_fuzzkit::Target;

#[test]
fn fuzz_backup_reader() {
    let empty = Backup::new_at("c2", "", "0.1.0", 0, BTreeMap::new(), datetime!(1970-01-01 0:00 UTC));
    let mut seeds = Vec::new();
    for backup in [sample(), empty] {
        for options in [plain(), gzip(), encrypted()] {
            seeds.push(to_bytes(&backup, &options).expect("written"));
        }
    }
    seeds.push(to_bytes(&sample(), &WriteOptions { gzip: true, ..encrypted() }).expect("written"));
    Target::new("backup_reader")
        .blocks(512)
        .seeds(seeds)
        .dictionary([
            "manifest.json",
            "manifest.sha256",
            "records/",
            "ustar",
            "\"format_version\"",
            "age-encryption.org/v1",
        ])
        .max_len(256 << 10)
        .expect_accepted(4)
        .run(backup_reader::check);
}
