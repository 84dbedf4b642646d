//! The optional layers around the tar: gzip, then age passphrase encryption.
//!
//! Encryption is age's scrypt recipient (a memory-hard KDF and ChaCha20-Poly1305 in
//! 64 KiB authenticated chunks), so every byte of an encrypted file is authenticated and a
//! truncation is caught by the last-chunk flag; nothing here is our own cryptography.
//!
//! A reader tells the layers apart by their first bytes (`age-encryption.org/`, then
//! `1f 8b`), decodes each into memory under [`MAX_ARCHIVE_BYTES`] so that a small hostile
//! file cannot expand without bound, and refuses anything after the end of a gzip stream.
//! The gzip header must be exactly the one we write (no name, no time), so that its bytes
//! cannot change unnoticed either.

use std::borrow::Cow;
use std::io::{self, Read, Write};
use std::iter;

use age::secrecy::SecretString;
use flate2::{Compression, GzBuilder};

use crate::{BackupError, MAX_ARCHIVE_BYTES, MAX_SCRYPT_LOG_N};

const AGE_MAGIC: &[u8] = b"age-encryption.org/";
const AGE_ARMOR: &[u8] = b"-----BEGIN AGE ENCRYPTED FILE-----";
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
/// What [`GzBuilder`] writes with no name, mtime 0, level 6 and OS "unknown".
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
const GZIP_LEVEL: u32 = 6;

/// The tar bytes and how they were wrapped.
pub struct Opened<'a> {
    pub tar: Cow<'a, [u8]>,
    pub encrypted: bool,
    pub compressed: bool,
}

/// Unwraps the layers of `bytes` down to the tar.
pub fn open<'a>(bytes: &'a [u8], passphrase: Option<&str>) -> Result<Opened<'a>, BackupError> {
    check_size("the archive", bytes.len() as u64)?;
    if bytes.is_empty() {
        return Err(BackupError::NotATar("the file is empty".to_owned()));
    }
    if bytes.len() < AGE_MAGIC.len() && AGE_MAGIC.starts_with(bytes) {
        return Err(BackupError::Truncated("it ends inside the age header".to_owned()));
    }
    let (inner, encrypted) = if bytes.starts_with(AGE_MAGIC) {
        (Cow::Owned(decrypt(bytes, passphrase)?), true)
    } else if bytes.starts_with(AGE_ARMOR) {
        return Err(BackupError::UnsupportedEncryption(
            "ASCII-armored age file; decrypt it with `age -d` first".to_owned(),
        ));
    } else if passphrase.is_some() {
        return Err(BackupError::NotEncrypted);
    } else {
        (Cow::Borrowed(bytes), false)
    };
    if inner.starts_with(GZIP_MAGIC) {
        let tar = gunzip(&inner)?;
        Ok(Opened { tar: Cow::Owned(tar), encrypted, compressed: true })
    } else {
        Ok(Opened { tar: inner, encrypted, compressed: false })
    }
}

fn check_size(what: &str, size: u64) -> Result<(), BackupError> {
    if size > MAX_ARCHIVE_BYTES {
        return Err(BackupError::TooLarge { what: what.to_owned(), size, limit: MAX_ARCHIVE_BYTES });
    }
    Ok(())
}

/// Reads `reader` to its end, refusing more than [`MAX_ARCHIVE_BYTES`].
fn read_limited(reader: impl Read, what: &str) -> io::Result<Result<Vec<u8>, BackupError>> {
    let mut out = Vec::new();
    reader.take(MAX_ARCHIVE_BYTES + 1).read_to_end(&mut out)?;
    Ok(check_size(what, out.len() as u64).map(|()| out))
}

fn decrypt(bytes: &[u8], passphrase: Option<&str>) -> Result<Vec<u8>, BackupError> {
    use age::DecryptError as E;
    // The header is parsed before the passphrase is asked for, so that a damaged header
    // says so rather than asking for a passphrase that cannot help.
    let decryptor = age::Decryptor::new_buffered(bytes).map_err(|e| match e {
        E::UnknownFormat => BackupError::UnsupportedEncryption("an unknown age version".to_owned()),
        E::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            BackupError::Truncated("it ends inside the age header".to_owned())
        }
        other => BackupError::DecryptionFailed(format!("bad age header: {other}")),
    })?;
    if !decryptor.is_scrypt() {
        return Err(BackupError::UnsupportedEncryption(
            "it is encrypted to age recipients (keys), not to a passphrase".to_owned(),
        ));
    }
    let Some(passphrase) = passphrase else {
        return Err(BackupError::PassphraseRequired);
    };
    let mut identity = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    identity.set_max_work_factor(MAX_SCRYPT_LOG_N);
    let reader = decryptor.decrypt(iter::once(&identity as &dyn age::Identity)).map_err(|e| match e {
        E::DecryptionFailed | E::KeyDecryptionFailed | E::NoMatchingKeys => BackupError::WrongPassphrase,
        E::ExcessiveWork { required, .. } => BackupError::UnsupportedEncryption(format!(
            "its scrypt work factor 2^{required} is over the limit of 2^{MAX_SCRYPT_LOG_N}"
        )),
        E::InvalidMac => BackupError::DecryptionFailed("the age header MAC does not match".to_owned()),
        other => BackupError::DecryptionFailed(other.to_string()),
    })?;
    read_limited(reader, "the decrypted archive").map_err(|e| BackupError::DecryptionFailed(format!("payload: {e}")))?
}

fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, BackupError> {
    if let Some(i) = GZIP_HEADER.iter().zip(bytes).position(|(want, got)| want != got) {
        return Err(BackupError::Damaged(format!(
            "gzip header byte {i} differs from what traefikee writes (re-compressed? gunzip it and read the .tar)"
        )));
    }
    let mut decoder = flate2::bufread::GzDecoder::new(bytes);
    let tar = read_limited(&mut decoder, "the decompressed archive").map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            BackupError::Truncated(format!("the gzip stream ends early ({e})"))
        } else {
            BackupError::Damaged(format!("gzip stream: {e}"))
        }
    })??;
    let rest = decoder.into_inner();
    if !rest.is_empty() {
        return Err(BackupError::Damaged(format!("{} bytes follow the gzip stream", rest.len())));
    }
    Ok(tar)
}

/// The writer under the tar: plain, or age-encrypting; [`Sink::finish`] returns the output.
pub enum Sink<W: Write> {
    Plain(W),
    Age(age::stream::StreamWriter<W>),
}

impl<W: Write> Sink<W> {
    /// Starts the encryption layer if there is a passphrase.
    pub fn new(out: W, passphrase: Option<&str>, scrypt_log_n: u8) -> Result<Self, BackupError> {
        let Some(passphrase) = passphrase else { return Ok(Sink::Plain(out)) };
        let mut recipient = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
        recipient.set_work_factor(scrypt_log_n);
        let encryptor = age::Encryptor::with_recipients(iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| BackupError::Encryption(e.to_string()))?;
        let writer = encryptor.wrap_output(out).map_err(|e| BackupError::io("write the age header", e))?;
        Ok(Sink::Age(writer))
    }

    pub fn finish(self) -> io::Result<W> {
        match self {
            Sink::Plain(out) => Ok(out),
            Sink::Age(writer) => writer.finish(),
        }
    }
}

impl<W: Write> Write for Sink<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(out) => out.write(buf),
            Sink::Age(writer) => writer.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(out) => out.flush(),
            Sink::Age(writer) => writer.flush(),
        }
    }
}

/// The gzip encoder with the one header [`gunzip`] accepts.
pub fn gzip<W: Write>(out: W) -> flate2::write::GzEncoder<W> {
    GzBuilder::new().mtime(0).operating_system(0xff).write(out, Compression::new(GZIP_LEVEL))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_gzip_header_is_the_one_we_accept() {
        let bytes = gzip(Vec::new()).finish().unwrap_or_default();
        assert_eq!(bytes.get(..10), Some(&GZIP_HEADER[..]));
    }
}
