//! read(write(x)) == x for arbitrary records, keys and manifest fields.

mod common;

use std::collections::BTreeMap;

use proptest::prelude::*;
use time::macros::datetime;
use traefikee_backup::{read_bytes, to_bytes, Backup, WriteOptions};

fn backups() -> impl Strategy<Value = Backup> {
    (
        ".{0,40}",
        ".{0,40}",
        "[0-9a-z.+-]{0,20}",
        any::<u64>(),
        prop::collection::btree_map(".{1,120}", prop::collection::vec(any::<u8>(), 0..1500), 0..12),
        0i64..4_000_000_000,
    )
        .prop_map(|(id, name, version, index, records, seconds): (_, _, _, _, BTreeMap<String, Vec<u8>>, _)| {
            let at = datetime!(1970-01-01 0:00 UTC) + time::Duration::seconds(seconds);
            Backup::new_at(id, name, version, index, records, at)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn round_trip(backup in backups(), gzip in any::<bool>(), encrypt in prop::bool::weighted(0.2)) {
        let passphrase = encrypt.then_some(common::PASSPHRASE);
        let options = WriteOptions { passphrase, gzip, scrypt_log_n: 1, ..WriteOptions::default() };
        let bytes = to_bytes(&backup, &options).expect("written");
        prop_assert_eq!(read_bytes(&bytes, passphrase).expect("read back"), backup);
    }
}
