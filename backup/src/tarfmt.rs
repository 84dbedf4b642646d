//! The tar layer: a deterministic writer and a strict reader.
//!
//! The writer uses the `tar` crate with GNU headers (long names as `././@LongLink`
//! entries, which GNU tar and bsdtar read). Every header is built from the entry's name
//! and size, the backup's creation time and fixed values, so the same content always
//! gives the same bytes.
//!
//! The reader walks the bytes itself, using `tar::Header` only to decode fields, because
//! it must refuse what a tolerant tar reader skips: a header whose checksum field is not
//! spelled as we write it, non-zero padding, a missing or damaged end-of-archive marker,
//! anything after it, links and other non-files. Together with the sha256 of every entry
//! and of the manifest, and the final comparison with a fresh encoding (see `read.rs`),
//! a plain archive is accepted only when it is byte for byte what [`encode`] writes.

use std::io::{self, Write};

use tar::{EntryType, Header};

use crate::{BackupError, MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_KEY_BYTES};

const BLOCK: usize = 512;
const CKSUM: std::ops::Range<usize> = 148..156;
const MAGIC: std::ops::Range<usize> = 257..265;
const GNU_MAGIC: &[u8; 8] = b"ustar  \0";
const USTAR_MAGIC: &[u8; 8] = b"ustar\x0000";
/// `records/` + a key of [`MAX_KEY_BYTES`] all percent-encoded + the NUL.
const MAX_LONG_NAME: u64 = (8 + 3 * MAX_KEY_BYTES + 1) as u64;

/// Writes `entries` (name, content) as a tar archive, calling `on_entry` with each
/// content length once it is written.
pub fn encode<'a, W: Write>(
    out: W,
    mtime: u64,
    entries: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    on_entry: &mut dyn FnMut(u64),
) -> io::Result<W> {
    let mut builder = tar::Builder::new(out);
    for (name, data) in entries {
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_mode(0o600);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        header.set_size(data.len() as u64);
        builder.append_data(&mut header, name, data)?;
        on_entry(data.len() as u64);
    }
    builder.into_inner()
}

/// One regular file of the archive.
#[derive(Debug)]
pub struct RawEntry<'a> {
    pub name: String,
    pub data: &'a [u8],
}

/// Reads entries one by one, refusing anything but what [`encode`] writes.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    count: usize,
    last_name: Option<String>,
    finished: bool,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0, count: 0, last_name: None, finished: false }
    }

    /// The next regular file, `None` after the end-of-archive marker (whose checks passed).
    pub fn next_entry(&mut self) -> Result<Option<RawEntry<'a>>, BackupError> {
        if self.finished {
            return Ok(None);
        }
        let result = self.read_entry();
        if !matches!(result, Ok(Some(_))) {
            self.finished = true;
        }
        result
    }

    fn read_entry(&mut self) -> Result<Option<RawEntry<'a>>, BackupError> {
        let mut long_name: Option<String> = None;
        loop {
            let offset = self.pos;
            let block = self.header_block(offset)?;
            if block.iter().all(|&b| b == 0) {
                if long_name.is_some() {
                    return Err(BackupError::Damaged(format!(
                        "the long name at offset {} is not followed by its file",
                        offset - BLOCK
                    )));
                }
                self.check_end(offset)?;
                return Ok(None);
            }
            self.check_header(block, offset)?;
            let header = Header::from_byte_slice(block);
            let size = header.entry_size().map_err(|e| {
                BackupError::Damaged(format!("the tar header at offset {offset}{} has a bad size: {e}", self.after()))
            })?;
            let entry_type = header.entry_type();
            if entry_type == EntryType::GNULongName {
                if long_name.is_some() {
                    return Err(BackupError::Damaged(format!("two long names in a row at offset {offset}")));
                }
                if size > MAX_LONG_NAME {
                    return Err(BackupError::Damaged(format!(
                        "the long name at offset {offset} is {size} bytes, more than any entry name"
                    )));
                }
                let data = self.content(offset, size, "a long entry name")?;
                long_name = Some(parse_long_name(data, offset)?);
                continue;
            }
            let name = match long_name.take() {
                Some(name) => name,
                None => String::from_utf8(header.path_bytes().into_owned())
                    .map_err(|_| BackupError::Damaged(format!("the entry name at offset {offset} is not UTF-8")))?,
            };
            if !(entry_type == EntryType::Regular || entry_type.as_byte() == b'\0') {
                return Err(BackupError::UnsupportedEntry { name, kind: describe(entry_type) });
            }
            if size > MAX_ENTRY_BYTES {
                return Err(BackupError::TooLarge { what: format!("entry `{name}`"), size, limit: MAX_ENTRY_BYTES });
            }
            self.count += 1;
            if self.count > MAX_ENTRIES {
                return Err(BackupError::TooLarge {
                    what: "the number of entries".to_owned(),
                    size: self.count as u64,
                    limit: MAX_ENTRIES as u64,
                });
            }
            let data = self.content(offset, size, &format!("entry `{name}`"))?;
            self.last_name = Some(name.clone());
            return Ok(Some(RawEntry { name, data }));
        }
    }

    fn after(&self) -> String {
        match &self.last_name {
            Some(name) => format!(" (after entry `{name}`)"),
            None => String::new(),
        }
    }

    fn header_block(&self, offset: usize) -> Result<&'a [u8; BLOCK], BackupError> {
        let rest = self.buf.get(offset..).unwrap_or_default();
        match rest.get(..BLOCK).and_then(|b| <&[u8; BLOCK]>::try_from(b).ok()) {
            Some(block) => Ok(block),
            None if offset == 0 && !looks_like_ours(rest) => {
                Err(BackupError::NotATar(format!("{} bytes are too few for a tar header", rest.len())))
            }
            None if rest.is_empty() => Err(BackupError::Truncated(format!(
                "it ends at offset {offset}{} without the end-of-archive marker",
                self.after()
            ))),
            None => {
                Err(BackupError::Truncated(format!("the tar header at offset {offset}{} is cut short", self.after())))
            }
        }
    }

    fn check_header(&self, block: &[u8; BLOCK], offset: usize) -> Result<(), BackupError> {
        let magic = block.get(MAGIC).unwrap_or_default();
        let magic_ok = magic == GNU_MAGIC || magic == USTAR_MAGIC;
        let sum: u32 = block
            .iter()
            .enumerate()
            .map(|(i, &b)| if CKSUM.contains(&i) { u32::from(b' ') } else { u32::from(b) })
            .sum();
        let spelled = format!("{sum:07o}\0");
        let checksum_ok = block.get(CKSUM) == Some(spelled.as_bytes());
        if offset == 0 && !magic_ok && !checksum_ok {
            return Err(BackupError::NotATar("no tar header at the start of the file".to_owned()));
        }
        if !checksum_ok && offset == 0 && magic_ok && checksum_value(block) == Some(sum) {
            // A sound header, spelled as another tar writer spells it (GNU tar writes six
            // digits, a NUL and a space): someone else's archive, not a damaged one of ours.
            let name = block.iter().take(100).take_while(|&&b| b != 0).map(|&b| char::from(b)).collect::<String>();
            return Err(BackupError::NotABackup(format!(
                "a tar archive written by another program (its first entry is `{name}`, not manifest.json)"
            )));
        }
        if !checksum_ok {
            return Err(BackupError::Damaged(format!(
                "the tar header at offset {offset}{} fails its checksum",
                self.after()
            )));
        }
        if !magic_ok {
            return Err(BackupError::Damaged(format!(
                "the tar header at offset {offset}{} has no ustar magic",
                self.after()
            )));
        }
        Ok(())
    }

    /// The content of the entry whose header is at `offset`, with its padding checked.
    fn content(&mut self, offset: usize, size: u64, what: &str) -> Result<&'a [u8], BackupError> {
        let start = offset + BLOCK;
        // size is at most MAX_ENTRY_BYTES or MAX_LONG_NAME here, so these cannot overflow.
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        let padded = size.div_ceil(BLOCK).saturating_mul(BLOCK);
        let end = start.saturating_add(padded);
        let Some(area) = self.buf.get(start..end) else {
            return Err(BackupError::Truncated(format!(
                "{what} needs {size} bytes from offset {start}, the archive ends at {}",
                self.buf.len()
            )));
        };
        let (data, padding) = area.split_at(size);
        if padding.iter().any(|&b| b != 0) {
            return Err(BackupError::Damaged(format!("the padding after {what} is not zero")));
        }
        self.pos = end;
        Ok(data)
    }

    /// The end-of-archive marker: exactly two zero blocks, and nothing after them.
    fn check_end(&self, offset: usize) -> Result<(), BackupError> {
        let rest = self.buf.get(offset..).unwrap_or_default();
        if offset == 0 && rest.iter().all(|&b| b == 0) {
            return Ok(()); // an empty tar, or zeros: the caller says it is not a backup
        }
        if let Some(bad) = rest.iter().position(|&b| b != 0) {
            return Err(BackupError::Damaged(format!(
                "non-zero byte at offset {} in or after the end-of-archive marker",
                offset + bad
            )));
        }
        if rest.len() < 2 * BLOCK {
            return Err(BackupError::Truncated(format!(
                "the end-of-archive marker at offset {offset} is {} bytes, not {}",
                rest.len(),
                2 * BLOCK
            )));
        }
        if rest.len() > 2 * BLOCK {
            return Err(BackupError::Damaged(format!(
                "{} bytes follow the end-of-archive marker at offset {offset}",
                rest.len() - 2 * BLOCK
            )));
        }
        Ok(())
    }
}

fn looks_like_ours(start: &[u8]) -> bool {
    start.starts_with(crate::names::MANIFEST_NAME.as_bytes())
}

fn parse_long_name(data: &[u8], offset: usize) -> Result<String, BackupError> {
    let bad = |why: &str| BackupError::Damaged(format!("the long entry name at offset {offset} {why}"));
    let name = data.strip_suffix(b"\0").ok_or_else(|| bad("does not end with a NUL"))?;
    if name.contains(&0) {
        return Err(bad("holds a NUL"));
    }
    String::from_utf8(name.to_vec()).map_err(|_| bad("is not UTF-8"))
}

fn describe(entry_type: EntryType) -> String {
    match entry_type {
        EntryType::Link => "a hard link",
        EntryType::Symlink => "a symbolic link",
        EntryType::Directory => "a directory",
        EntryType::Char | EntryType::Block => "a device",
        EntryType::Fifo => "a FIFO",
        EntryType::XHeader | EntryType::XGlobalHeader => "a pax extended header",
        EntryType::GNULongLink => "a GNU long link name",
        EntryType::GNUSparse => "a sparse file",
        _ => return format!("of tar type {:?}", char::from(entry_type.as_byte())),
    }
    .to_owned()
}

/// The value of a header's checksum field however it is spelled (octal digits, padded with
/// spaces or NULs), if it is a number at all.
fn checksum_value(block: &[u8; BLOCK]) -> Option<u32> {
    let field = block.get(CKSUM)?;
    let text = std::str::from_utf8(field).ok()?.trim_matches(|c| c == '\0' || c == ' ');
    u32::from_str_radix(text, 8).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
        encode(Vec::new(), 1_700_000_000, entries.iter().copied(), &mut |_| {}).unwrap_or_default()
    }

    fn all(buf: &[u8]) -> Result<Vec<(String, Vec<u8>)>, BackupError> {
        let mut reader = Reader::new(buf);
        let mut out = Vec::new();
        while let Some(entry) = reader.next_entry()? {
            out.push((entry.name, entry.data.to_vec()));
        }
        Ok(out)
    }

    #[test]
    fn reads_what_it_writes_including_long_names() {
        let long = format!("records/{}", "x".repeat(300));
        let buf = archive(&[("manifest.json", b"{}"), (&long, b"value"), ("records/e", b"")]);
        let entries = all(&buf).expect("valid archive");
        let names: Vec<_> = entries.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["manifest.json", long.as_str(), "records/e"]);
        assert_eq!(entries[1].1, b"value");
    }

    #[test]
    fn every_single_byte_change_is_refused() {
        let long = format!("records/{}", "y".repeat(150));
        let buf = archive(&[("manifest.json", b"{\"a\":1}"), (&long, b"v")]);
        let original = all(&buf).expect("valid archive");
        for i in 0..buf.len() {
            for delta in [1u8, 0x20, 0x80, 0xff] {
                let mut changed = buf.clone();
                changed[i] ^= delta;
                // Content bytes are the sha256's job; everything else must fail here.
                if let Ok(entries) = all(&changed) {
                    assert_ne!(entries, original, "byte {i} ^ {delta:#x} went unnoticed");
                }
            }
        }
    }

    #[test]
    fn every_truncation_is_refused() {
        let buf = archive(&[("manifest.json", b"{}"), ("records/a", &[7; 700])]);
        for len in 0..buf.len() {
            assert!(all(&buf[..len]).is_err(), "truncated to {len}");
        }
    }
}
