//! Any bytes given to the backup reader: see `checks/backup_reader.rs` (shared with the stable harness).
#![no_main]

#[path = "../checks/backup_reader.rs"]
mod backup_reader;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    backup_reader::check(data);
});
