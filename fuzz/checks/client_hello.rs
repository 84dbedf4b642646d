//! Any bytes at the start of a connection: reading a TLS ClientHello (SNI, ALPN) without
//! terminating TLS must not panic, and the listener's incremental reader, fed the same bytes
//! in pieces, must reach the same answer and keep every byte it read for the handshake.
//! Input: the first bytes of the connection.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};
use traefikee_proxy::tls::client_hello::{parse_hello, read_hello, Hello};

/// Whether the bytes held a complete ClientHello.
pub fn check(data: &[u8]) -> bool {
    let parsed = parse_hello(data);
    // Piece sizes from the data itself, so a failure replays the same way.
    let step = data.iter().take(8).fold(1usize, |a, &b| a.wrapping_mul(31).wrapping_add(b.into())) % 97 + 1;
    let mut stream = Pieces { data, offset: 0, step };
    let (read, hello) = futures::executor::block_on(read_hello(&mut stream)).expect("reading from memory cannot fail");
    assert_eq!(read, &data[..read.len()], "the bytes kept for the handshake are the bytes read");
    if data.first() != Some(&0x16) {
        assert_eq!(hello, Hello::default(), "not TLS");
    } else if let Some(parsed) = &parsed {
        assert_eq!(&hello, parsed, "read in pieces of {step} bytes");
    } else {
        assert!(hello.is_tls && hello.server_name.is_none() && hello.alpn.is_empty(), "{hello:?}");
    }
    parsed.is_some()
}

/// A connection delivering `data` `step` bytes at a time.
struct Pieces<'a> {
    data: &'a [u8],
    offset: usize,
    step: usize,
}

impl AsyncRead for Pieces<'_> {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let end = (self.offset + self.step).min(self.data.len());
        let n = (end - self.offset).min(buf.remaining());
        buf.put_slice(&self.data[self.offset..self.offset + n]);
        self.offset += n;
        Poll::Ready(Ok(()))
    }
}
