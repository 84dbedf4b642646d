//! Thousands of damaged archives, made by deterministic mutations of good ones: reading
//! never panics, and never accepts a changed file (for gzip: never returns a changed
//! backup; gzip ignores the spare bits at the end of a deflate block).

mod common;

use common::*;
use traefikee_backup::{inspect_bytes, read_bytes, to_bytes, WriteOptions};

fn mutate(original: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut bytes = original.to_vec();
    let rounds = 1 + rng.below(3) * rng.below(2);
    for _ in 0..rounds {
        let len = bytes.len();
        let at = rng.below(len);
        match rng.below(9) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = rng.next() as u8,
            2 => bytes.truncate(at),
            3 => bytes.insert(at, rng.next() as u8),
            4 => {
                let end = (at + 1 + rng.below(600)).min(len);
                bytes.drain(at..end);
            }
            5 => {
                let end = (at + 1 + rng.below(64)).min(len);
                bytes[at..end].fill(0);
            }
            6 => {
                // Swap two 512-byte blocks: tar-shaped damage.
                let blocks = len / 512;
                if blocks >= 2 {
                    let (a, b) = (rng.below(blocks) * 512, rng.below(blocks) * 512);
                    for i in 0..512 {
                        bytes.swap(a + i, b + i);
                    }
                }
            }
            7 => {
                let block = (at / 512) * 512;
                let copy: Vec<u8> = bytes[block..(block + 512).min(len)].to_vec();
                bytes.splice(block..block, copy);
            }
            _ => bytes.extend((0..1 + rng.below(1024)).map(|_| rng.next() as u8)),
        }
        if bytes.is_empty() {
            break;
        }
    }
    bytes
}

fn run(options: WriteOptions<'_>, passphrase: Option<&str>, cases: usize, seed: u64) {
    let backup = sample();
    let original = to_bytes(&backup, &options).expect("written");
    let mut rng = Rng(seed);
    let (mut refused, mut same_content, mut unchanged) = (0, 0, 0);
    for case in 0..cases {
        let mutated = mutate(&original, &mut rng);
        let result = read_bytes(&mutated, passphrase);
        if passphrase.is_none() {
            // Same pass as read_bytes; with a passphrase each call costs an scrypt calibration.
            let _ = inspect_bytes(&mutated, passphrase);
        }
        match result {
            Err(_) => refused += 1,
            Ok(read) if mutated == original => {
                assert_eq!(read, backup);
                unchanged += 1;
            }
            Ok(read) => {
                assert!(options.gzip, "case {case}: a changed {options:?} archive was accepted");
                assert_eq!(read, backup, "case {case}: a changed gzip archive gave another backup");
                same_content += 1;
            }
        }
    }
    assert_eq!(refused + same_content + unchanged, cases);
    assert!(refused >= (cases - unchanged) * 9 / 10, "only {refused} of {cases} refused");
    println!(
        "{options:?}: {cases} mutations, {unchanged} left the file unchanged, {refused} refused, \
         {same_content} accepted with identical content"
    );
}

#[test]
fn mutated_plain_archives_are_refused() {
    run(plain(), None, 4000, 0x9e37_79b9_7f4a_7c15);
}

#[test]
fn mutated_gzip_archives_are_refused_or_decode_to_the_same_backup() {
    run(gzip(), None, 2000, 0xdead_beef_cafe_f00d);
}

#[test]
fn mutated_encrypted_archives_are_refused() {
    run(encrypted(), Some(PASSPHRASE), 500, 0x0123_4567_89ab_cdef);
    run(WriteOptions { gzip: true, ..encrypted() }, Some(PASSPHRASE), 250, 42);
}

#[test]
fn every_single_byte_flip_of_a_plain_archive_is_refused() {
    let original = to_bytes(&sample(), &plain()).expect("written");
    for i in 0..original.len() {
        let mut mutated = original.clone();
        mutated[i] ^= 0x80;
        assert!(read_bytes(&mutated, None).is_err(), "byte {i} flipped went unnoticed");
    }
}
