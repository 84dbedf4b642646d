//! Reading a TLS ClientHello without terminating TLS, to route a connection by SNI before
//! choosing what handles it (TLS passthrough, TCP or HTTPS routers, the TLS options of the
//! matching router). The bytes read are kept and replayed to whoever takes the connection.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

/// Largest ClientHello we accept to buffer (post-quantum key shares make them ~2 KB; the TLS
/// limit for a handshake message is far above what clients send).
const MAX_HELLO: usize = 64 * 1024;

/// What the first bytes of a connection say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hello {
    /// Whether the connection starts with a TLS handshake record.
    pub is_tls: bool,
    /// The SNI, lower-cased, when present.
    pub server_name: Option<String>,
    /// The ALPN protocols offered.
    pub alpn: Vec<String>,
}

/// Reads from `stream` until the ClientHello is complete (or the first bytes show the
/// connection is not TLS); returns the bytes read and what they say. An empty buffer means the
/// peer closed without sending anything.
pub async fn read_hello<S: AsyncRead + Unpin>(stream: &mut S) -> io::Result<(Vec<u8>, Hello)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    if buf.first() != Some(&0x16) {
        return Ok((buf, Hello::default()));
    }
    loop {
        match parse(&buf) {
            Parse::Done(hello) => return Ok((buf, hello)),
            Parse::Invalid => return Ok((buf, Hello { is_tls: true, ..Hello::default() })),
            Parse::NeedMore if buf.len() >= MAX_HELLO => {
                return Ok((buf, Hello { is_tls: true, ..Hello::default() }));
            }
            Parse::NeedMore => {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Ok((buf, Hello { is_tls: true, ..Hello::default() }));
                }
                buf.extend_from_slice(&chunk[..n]);
            }
        }
    }
}

/// Parses a complete ClientHello at the start of `bytes` (TLS records); `None` when the bytes
/// are not a TLS handshake, are malformed, or stop before the end of the message.
pub fn parse_hello(bytes: &[u8]) -> Option<Hello> {
    match parse(bytes) {
        Parse::Done(hello) => Some(hello),
        Parse::NeedMore | Parse::Invalid => None,
    }
}

enum Parse {
    Done(Hello),
    NeedMore,
    Invalid,
}

/// Joins the handshake records' payloads, then parses the ClientHello.
fn parse(buf: &[u8]) -> Parse {
    let mut payload = Vec::new();
    let mut rest = buf;
    loop {
        if rest.len() < 5 {
            return Parse::NeedMore;
        }
        if rest[0] != 0x16 {
            return Parse::Invalid;
        }
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        if rest.len() < 5 + len {
            return Parse::NeedMore;
        }
        payload.extend_from_slice(&rest[5..5 + len]);
        rest = &rest[5 + len..];
        if payload.len() >= 4 {
            if payload[0] != 1 {
                return Parse::Invalid;
            }
            let body_len = usize::from(payload[1]) << 16 | usize::from(payload[2]) << 8 | usize::from(payload[3]);
            if payload.len() >= 4 + body_len {
                return match client_hello(&payload[4..4 + body_len]) {
                    Some(hello) => Parse::Done(hello),
                    None => Parse::Invalid,
                };
            }
        }
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<usize> {
        self.take(1).map(|b| usize::from(b[0]))
    }
    fn u16(&mut self) -> Option<usize> {
        self.take(2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(n)
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(n)
    }
}

fn client_hello(body: &[u8]) -> Option<Hello> {
    let mut r = Reader(body);
    r.take(2 + 32)?; // legacy version, random
    r.vec8()?; // session id
    r.vec16()?; // cipher suites
    r.vec8()?; // compression methods
    let mut hello = Hello { is_tls: true, ..Hello::default() };
    let Some(extensions) = r.vec16() else { return Some(hello) };
    let mut exts = Reader(extensions);
    while !exts.0.is_empty() {
        let kind = exts.u16()?;
        let data = exts.vec16()?;
        match kind {
            0 => {
                let mut list = Reader(Reader(data).vec16()?);
                while !list.0.is_empty() {
                    let name_type = list.u8()?;
                    let name = list.vec16()?;
                    if name_type == 0 {
                        hello.server_name = std::str::from_utf8(name).ok().map(|n| n.to_ascii_lowercase());
                    }
                }
            }
            16 => {
                let mut list = Reader(Reader(data).vec16()?);
                while !list.0.is_empty() {
                    let proto = list.vec8()?;
                    hello.alpn.push(String::from_utf8_lossy(proto).into_owned());
                }
            }
            _ => {}
        }
    }
    Some(hello)
}

/// A stream that first yields bytes already read from it.
#[derive(Debug)]
pub struct Rewind<S> {
    prefix: Vec<u8>,
    offset: usize,
    inner: S,
}

impl<S> Rewind<S> {
    /// `inner` with `prefix` put back in front.
    pub fn new(prefix: Vec<u8>, inner: S) -> Self {
        Rewind { prefix, offset: 0, inner }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.offset < self.prefix.len() {
            let n = buf.remaining().min(self.prefix.len() - self.offset);
            let start = self.offset;
            buf.put_slice(&self.prefix[start..start + n]);
            self.offset += n;
            if self.offset == self.prefix.len() {
                self.prefix = Vec::new();
                self.offset = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewind<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello as rustls writes it, captured through a client connection.
    fn rustls_hello(sni: &str, alpn: &[&str]) -> Vec<u8> {
        let mut roots = rustls::RootCertStore::empty();
        let _ = &mut roots;
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        let name = rustls::pki_types::ServerName::try_from(sni.to_owned()).expect("name");
        let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name).expect("conn");
        let mut out = Vec::new();
        conn.write_tls(&mut out).expect("write");
        out
    }

    #[tokio::test]
    async fn reads_sni_and_alpn_and_replays_the_bytes() {
        let bytes = rustls_hello("Example.COM", &["h2", "http/1.1"]);
        // Deliver in small pieces to exercise reassembly.
        let mut stream = tokio_test_reader(bytes.clone());
        let (read, hello) = read_hello(&mut stream).await.expect("reads");
        assert_eq!(read, bytes);
        assert_eq!(hello.server_name.as_deref(), Some("example.com"));
        assert_eq!(hello.alpn, vec!["h2".to_owned(), "http/1.1".to_owned()]);
        let mut rewound = Rewind::new(read, &b""[..]);
        let mut again = Vec::new();
        rewound.read_to_end(&mut again).await.expect("reads");
        assert_eq!(again, bytes);
    }

    #[tokio::test]
    async fn plain_http_is_not_tls() {
        let mut stream = &b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"[..];
        let (read, hello) = read_hello(&mut stream).await.expect("reads");
        assert!(!hello.is_tls);
        assert!(read.starts_with(b"GET /"));
    }

    #[test]
    fn garbage_never_panics() {
        for len in 0..64 {
            let data: Vec<u8> = (0..len).map(|i| if i == 0 { 0x16 } else { (i * 37 % 251) as u8 }).collect();
            let _ = parse(&data);
        }
    }

    fn tokio_test_reader(bytes: Vec<u8>) -> impl AsyncRead + Unpin {
        struct Slow(Vec<u8>, usize);
        impl AsyncRead for Slow {
            fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
                let n = buf.remaining().min(7).min(self.0.len() - self.1);
                let start = self.1;
                buf.put_slice(&self.0[start..start + n]);
                self.1 += n;
                Poll::Ready(Ok(()))
            }
        }
        Slow(bytes, 0)
    }
}
