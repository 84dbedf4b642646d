//! Files: atomic writes, mode 0600, overwrite, and the size limit on what is read.

mod common;

use std::fs;
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use common::*;
use traefikee_backup::{inspect, read, write, write_to, BackupError, WriteOptions, MAX_ARCHIVE_BYTES};

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn write_then_read_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backup = sample();
    for (name, options, passphrase) in
        [("plain.tar", plain(), None), ("gz.tar", gzip(), None), ("age.tar", encrypted(), Some(PASSPHRASE))]
    {
        let path = dir.path().join(name);
        write(&backup, &path, &options, &mut |_, _| {}).expect("written");
        assert_eq!(read(&path, passphrase).expect("read"), backup);
        assert!(inspect(&path, passphrase).expect("inspected").is_intact());
    }
    assert_eq!(listing(dir.path()), ["age.tar", "gz.tar", "plain.tar"]);
}

#[cfg(unix)]
#[test]
fn files_are_0600_even_when_replacing_a_wider_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("b.tar");
    write(&sample(), &path, &plain(), &mut |_, _| {}).expect("written");
    assert_eq!(fs::metadata(&path).expect("exists").permissions().mode() & 0o777, 0o600);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
    let options = WriteOptions { overwrite: true, ..plain() };
    write(&sample(), &path, &options, &mut |_, _| {}).expect("written");
    assert_eq!(fs::metadata(&path).expect("exists").permissions().mode() & 0o777, 0o600);
}

#[test]
fn an_existing_file_is_kept_unless_overwrite() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("b.tar");
    fs::write(&path, b"precious").expect("written");
    let error = write(&sample(), &path, &plain(), &mut |_, _| {}).expect_err("refused");
    assert!(matches!(error, BackupError::AlreadyExists { .. }), "{error}");
    assert!(error.to_string().ends_with("b.tar already exists: not overwriting it"), "{error}");
    assert_eq!(fs::read(&path).expect("readable"), b"precious");
    let options = WriteOptions { overwrite: true, ..plain() };
    write(&sample(), &path, &options, &mut |_, _| {}).expect("replaced");
    assert_eq!(read(&path, None).expect("read"), sample());
    assert_eq!(listing(dir.path()), ["b.tar"]);
}

#[test]
fn a_panic_mid_write_leaves_no_file_and_no_temporary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("b.tar");
    let mut calls = 0;
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        write(&sample(), &path, &gzip(), &mut |_, _| {
            calls += 1;
            assert!(calls < 4, "injected failure after three entries");
        })
    }));
    assert!(result.is_err());
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
}

#[test]
fn a_missing_directory_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("no/such/dir/b.tar");
    let error = write(&sample(), &path, &plain(), &mut |_, _| {}).expect_err("refused");
    assert!(error.to_string().starts_with("cannot create a temporary file in"), "{error}");
    assert!(listing(dir.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn a_read_only_directory_is_an_error_and_stays_empty() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).expect("mkdir");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o500)).expect("chmod");
    if fs::write(locked.join("probe"), b"").is_ok() {
        // Running as root: permissions do not apply; the injected-failure tests cover this.
        let _ = fs::remove_file(locked.join("probe"));
        return;
    }
    let error = write(&sample(), &locked.join("b.tar"), &plain(), &mut |_, _| {}).expect_err("refused");
    assert!(matches!(error, BackupError::Io { .. }), "{error}");
    assert!(listing(&locked).is_empty());
}

/// A writer that fails after `left` bytes.
#[derive(Debug)]
struct FailingWriter {
    left: usize,
}

impl Write for FailingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("injected I/O error"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn an_io_error_mid_stream_is_reported() {
    for options in [plain(), gzip(), encrypted()] {
        for left in [0, 10, 300] {
            let error = write_to(&sample(), FailingWriter { left }, &options, &mut |_, _| {}).expect_err("refused");
            assert!(matches!(error, BackupError::Io { .. }), "{error}");
            assert!(error.to_string().starts_with("cannot write the a"), "{error}");
        }
    }
}

#[test]
fn a_file_over_the_size_limit_is_refused_unread() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("huge.tar");
    let file = fs::File::create(&path).expect("created");
    file.set_len(MAX_ARCHIVE_BYTES + 1).expect("sparse");
    let error = read(&path, None).expect_err("refused");
    assert!(matches!(error, BackupError::TooLarge { .. }), "{error}");
    assert!(error.to_string().contains("the limit is 1073741824"), "{error}");
}

#[test]
fn a_gzip_bomb_stops_at_the_limit() {
    // 1 GiB + 1 zero bytes compress to about 1 MiB.
    let mut encoder =
        flate2::GzBuilder::new().mtime(0).operating_system(0xff).write(Vec::new(), flate2::Compression::new(6));
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        encoder.write_all(&zeros).expect("in memory");
    }
    encoder.write_all(&[0]).expect("in memory");
    let bomb = encoder.finish().expect("in memory");
    let error = traefikee_backup::read_bytes(&bomb, None).expect_err("refused");
    assert!(error.to_string().starts_with("the decompressed archive is too large"), "{error}");
}

#[test]
fn reading_a_missing_file_names_it() {
    let error = read(Path::new("/nonexistent/b.tar"), None).expect_err("refused");
    assert!(error.to_string().starts_with("cannot read /nonexistent/b.tar:"), "{error}");
}
