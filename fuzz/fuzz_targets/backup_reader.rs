//! Any bytes given to the backup reader (a file, or an upload to the API) are refused or
//! read, never a panic; and what reads as a plain archive is exactly what the writer
//! produces for that content. Without a passphrase: the age header is still parsed, but
//! scrypt (up to 2^20, 1 GiB) is not run on every input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traefikee_backup::{inspect_bytes, read_bytes, to_bytes, WriteOptions};

fuzz_target!(|data: &[u8]| {
    let read = read_bytes(data, None);
    let inspected = inspect_bytes(data, None);
    if let Ok(inspection) = &inspected {
        assert_eq!(inspection.is_intact(), read.is_ok());
    }
    if let Ok(backup) = read {
        let gzip = data.starts_with(&[0x1f, 0x8b]);
        let again = to_bytes(&backup, &WriteOptions { gzip, ..WriteOptions::default() }).expect("what was read can be written");
        if !gzip {
            assert_eq!(again, data, "a plain archive that reads is canonical");
        }
        assert_eq!(read_bytes(&again, None).ok(), Some(backup));
    }
});
