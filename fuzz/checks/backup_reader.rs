//! Any bytes given to the backup reader (a file, or an upload to the API) are refused or
//! read, never a panic; and what reads as a plain archive is exactly what the writer
//! produces for that content. Without a passphrase: the age header is still parsed, but
//! scrypt (up to 2^20, 1 GiB) is not run on every input. Input: the archive bytes.

use traefikee_backup::{inspect_bytes, read_bytes, to_bytes, WriteOptions};

/// Whether the bytes read as a backup.
pub fn check(data: &[u8]) -> bool {
    let read = read_bytes(data, None);
    let inspected = inspect_bytes(data, None);
    if let Ok(inspection) = &inspected {
        assert_eq!(inspection.is_intact(), read.is_ok());
    }
    let Ok(backup) = read else { return false };
    let gzip = data.starts_with(&[0x1f, 0x8b]);
    let again =
        to_bytes(&backup, &WriteOptions { gzip, ..WriteOptions::default() }).expect("what was read can be written");
    if !gzip {
        assert_eq!(again, data, "a plain archive that reads is canonical");
    }
    assert_eq!(read_bytes(&again, None).ok(), Some(backup));
    true
}
