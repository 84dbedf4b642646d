//! Making the next input: pick a parent from the pool (seeds and accepted mutants), apply a
//! few stacked edits, sometimes start from random bytes instead.

use std::collections::HashSet;

use crate::{fnv1a, json, Target};

/// xorshift64*: small, fast, and the same sequence for the same seed on every machine.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // splitmix64 of the seed, so that near seeds give unrelated sequences (and 0 works).
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    pub fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A length biased towards small values: most edits are local.
    pub fn small(&mut self, max: usize) -> usize {
        let scale = self.below(max.max(1)) + 1;
        self.below(scale) + 1
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

const POOL_LIMIT: usize = 512;

const INTERESTING_BYTES: &[u8] = &[0, 1, 0x0a, 0x20, 0x7f, 0x80, 0xfe, 0xff];
const INTERESTING_INTS: &[u64] = &[
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x3fff,
    0x7fff,
    0x8000,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];
const INTERESTING_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "255",
    "65535",
    "65536",
    "2147483648",
    "4294967296",
    "9007199254740993",
    "9223372036854775807",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "1e999",
    "-1e-999",
    "0.5",
    "1.0",
    "NaN",
    "inf",
    "0x10",
    "010",
];

pub(crate) struct Mutator<'a> {
    target: &'a Target,
    rng: Rng,
    pool: Vec<Vec<u8>>,
    seeds: usize,
    seen: HashSet<u64>,
    json_words: Vec<String>,
}

impl<'a> Mutator<'a> {
    pub(crate) fn new(target: &'a Target, seed: u64) -> Self {
        let mut pool: Vec<Vec<u8>> = target.seeds.clone();
        if pool.is_empty() {
            pool.push(Vec::new());
        }
        let seen = pool.iter().map(|p| fnv1a(p)).collect();
        let json_words = if target.json { json::words(target, &pool) } else { Vec::new() };
        Mutator { target, rng: Rng::new(seed), seeds: pool.len(), pool, seen, json_words }
    }

    pub(crate) fn pool(&self) -> &[Vec<u8>] {
        &self.pool
    }

    /// An accepted mutant becomes a parent of later ones (bounded; seeds always stay).
    pub(crate) fn keep(&mut self, input: Vec<u8>) {
        if !self.seen.insert(fnv1a(&input)) {
            return;
        }
        if self.pool.len() < POOL_LIMIT {
            self.pool.push(input);
        } else {
            let i = self.seeds + self.rng.below(self.pool.len() - self.seeds);
            self.pool[i] = input;
        }
    }

    pub(crate) fn next_input(&mut self) -> Vec<u8> {
        let header = self.target.header;
        if self.rng.chance(48) {
            return self.random_input();
        }
        // A third of the time from a seed: the pool drifts towards short inputs that are
        // quick to accept, and the seeds hold the structure worth mutating.
        let parent = if self.rng.chance(3) { self.rng.below(self.seeds) } else { self.rng.below(self.pool.len()) };
        let mut input = self.pool[parent].clone();
        let split = header.min(input.len());
        let mut payload = input.split_off(split);
        let tree_edit = if self.target.json && !self.rng.chance(4) {
            json::mutate(&mut self.rng, &payload, &self.pool, header, &self.json_words)
        } else {
            None
        };
        if let Some(edited) = tree_edit {
            payload = edited;
            if self.rng.chance(4) {
                self.edit_bytes(&mut payload);
            }
        } else {
            let rounds = if self.rng.chance(8) { 1 + self.rng.below(16) } else { 1 + self.rng.below(4) };
            for _ in 0..rounds {
                self.edit_bytes(&mut payload);
            }
        }
        if self.target.text && std::str::from_utf8(&payload).is_err() && !self.rng.chance(8) {
            payload = String::from_utf8_lossy(&payload).into_owned().into_bytes();
        }
        if header > 0 && (input.len() < header || self.rng.chance(24)) {
            input.resize(header, 0);
            let i = self.rng.below(header);
            input[i] = self.rng.next_u64() as u8;
        }
        input.extend_from_slice(&payload);
        input.truncate(self.target.max_len);
        input
    }

    fn random_input(&mut self) -> Vec<u8> {
        let len = self.rng.small(1024).min(self.target.max_len);
        let mut input = self.rng.bytes(len);
        if self.target.text && !self.rng.chance(4) {
            for b in &mut input {
                *b = b' ' + (*b % 95);
            }
        }
        input
    }

    /// One byte-level edit of `data`.
    fn edit_bytes(&mut self, data: &mut Vec<u8>) {
        let rng = &mut self.rng;
        let len = data.len();
        let at = rng.below(len + 1);
        let op = if self.target.block > 0 && rng.chance(4) { 100 } else { rng.below(17) };
        match op {
            0 if len > 0 => data[at.min(len - 1)] ^= 1 << rng.below(8),
            1 if len > 0 => data[at.min(len - 1)] = rng.next_u64() as u8,
            2 if len > 0 => data[at.min(len - 1)] = *rng.pick(INTERESTING_BYTES),
            3 if len > 0 => {
                let width = *rng.pick(&[1usize, 2, 3, 4, 8]);
                let mut value = *rng.pick(INTERESTING_INTS);
                if rng.chance(3) {
                    value = (len as u64).wrapping_add(rng.below(3) as u64).wrapping_sub(1);
                }
                let mut bytes = value.to_be_bytes()[8 - width..].to_vec();
                if rng.chance(2) {
                    bytes.reverse();
                }
                let at = at.min(len - 1);
                let end = (at + width).min(len);
                data[at..end].copy_from_slice(&bytes[..end - at]);
            }
            4 => {
                let n = rng.small(8);
                let bytes = rng.bytes(n);
                data.splice(at..at, bytes);
            }
            5 | 6 if !self.target.dictionary.is_empty() => {
                let token = rng.pick(&self.target.dictionary).clone();
                if op == 6 && at < len {
                    let end = (at + rng.small(token.len().max(1))).min(len);
                    data.splice(at..end, token);
                } else {
                    data.splice(at..at, token);
                }
            }
            7 if at < len => {
                let end = (at + if rng.chance(8) { rng.small(256) } else { rng.small(16) }).min(len);
                data.drain(at..end);
            }
            8 => data.truncate(at),
            9 if at < len => {
                let end = (at + rng.small(64)).min(len);
                let copy = data[at..end].to_vec();
                let to = rng.below(len + 1);
                data.splice(to..to, copy);
            }
            10 if at < len => {
                // Repeat a short slice: deep nesting, long runs.
                let end = (at + rng.small(8)).min(len);
                let most = if rng.chance(8) { 2000 } else { 64 };
                let copy = data[at..end].repeat(2 + rng.below(most));
                data.splice(at..at, copy);
            }
            11 | 12 => {
                let other = rng.pick(&self.pool).get(self.target.header..).unwrap_or_default();
                let from = rng.below(other.len() + 1);
                if op == 11 {
                    // Splice: our head, their tail.
                    data.truncate(at);
                    data.extend_from_slice(&other[from..]);
                } else {
                    let end = (from + rng.small(128)).min(other.len());
                    data.splice(at..at, other[from..end].iter().copied());
                }
            }
            13 if len > 1 => {
                let n = rng.small(32).min(len / 2);
                let a = rng.below(len - n + 1);
                let b = rng.below(len - n + 1);
                if a + n <= b || b + n <= a {
                    for i in 0..n {
                        data.swap(a + i, b + i);
                    }
                }
            }
            14 => replace_number(rng, data, at),
            15 => edit_lines(rng, data),
            100 => edit_blocks(rng, data, self.target.block),
            _ => {
                let bytes = rng.bytes(1);
                data.splice(at..at, bytes);
            }
        }
    }
}

/// Replaces the run of digits around `at` (or inserts at `at`) with a boundary number.
fn replace_number(rng: &mut Rng, data: &mut Vec<u8>, at: usize) {
    let digit = |b: &u8| b.is_ascii_digit() || *b == b'-' || *b == b'.';
    let mut start = at.min(data.len());
    while start > 0 && digit(&data[start - 1]) {
        start -= 1;
    }
    let mut end = at.min(data.len());
    while end < data.len() && digit(&data[end]) {
        end += 1;
    }
    let number = rng.pick(INTERESTING_NUMBERS).as_bytes().to_vec();
    data.splice(start..end, number);
}

fn edit_lines(rng: &mut Rng, data: &mut Vec<u8>) {
    let mut lines: Vec<Vec<u8>> = data.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let n = lines.len();
    let (a, b) = (rng.below(n), rng.below(n));
    match rng.below(5) {
        0 => {
            let line = lines[a].clone();
            lines.insert(b, line);
        }
        1 if n > 1 => {
            lines.remove(a);
        }
        2 => lines.swap(a, b),
        3 => lines[a].splice(0..0, b"  ".iter().copied()).for_each(drop),
        _ => {
            let indent = lines[a].iter().take_while(|&&c| c == b' ' || c == b'\t').count();
            lines[a].drain(..indent.min(1 + rng.below(4)));
        }
    }
    *data = lines.join(&b'\n');
}

fn edit_blocks(rng: &mut Rng, data: &mut Vec<u8>, size: usize) {
    let blocks = data.len() / size;
    if blocks == 0 {
        return;
    }
    let (a, b) = (rng.below(blocks) * size, rng.below(blocks) * size);
    match rng.below(4) {
        0 if a != b => {
            for i in 0..size {
                data.swap(a + i, b + i);
            }
        }
        1 => {
            let copy = data[a..a + size].to_vec();
            data.splice(b..b, copy);
        }
        2 => {
            data.drain(a..a + size);
        }
        _ => data[a..a + size].fill(0),
    }
}
