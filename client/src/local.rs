//! The local-socket transport: plain HTTP/1.1 over a node's unix socket, where the caller is
//! whoever may open the socket (root, for the default one).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use traefikee_apiserver::ErrorCode;

use crate::api::decode;
use crate::failure::Failure;

pub(crate) struct LocalTransport {
    socket: PathBuf,
}

impl LocalTransport {
    pub fn new(socket: &Path) -> Self {
        LocalTransport { socket: socket.to_path_buf() }
    }

    /// One request; the successful answer's bytes as they came.
    pub async fn send(&self, method: http::Method, path: &str, body: Option<(Bytes, &str)>) -> Result<Bytes, Failure> {
        let stream = tokio::net::UnixStream::connect(&self.socket).await.map_err(|e| self.connect_error(e))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Failure::new(ErrorCode::Unavailable, format!("talking to {}: {e}", self.socket.display())))?;
        tokio::spawn(conn);
        let (bytes, content_type) = body.unwrap_or((Bytes::new(), "application/json"));
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost")
            .header("content-type", content_type)
            .body(Full::new(bytes))
            .map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?;
        let resp = sender.send_request(req).await.map_err(|e| {
            Failure::new(ErrorCode::Unavailable, format!("the node at {} did not answer: {e}", self.socket.display()))
        })?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| Failure::new(ErrorCode::Unavailable, format!("reading the answer: {e}")))?
            .to_bytes();
        decode(status, body)
    }

    fn connect_error(&self, e: std::io::Error) -> Failure {
        let path = self.socket.display();
        match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                Failure::new(ErrorCode::Unavailable, format!("no traefikee node is running on socket {path}"))
                    .hint("start the node first, or point at its socket with --traefikeesocket=PATH")
            }
            std::io::ErrorKind::PermissionDenied => {
                Failure::new(ErrorCode::Forbidden, format!("permission denied on socket {path}"))
                    .hint("run this as the user that started the node (root for the default socket)")
            }
            _ => Failure::new(ErrorCode::Unavailable, format!("cannot connect to {path}: {e}")),
        }
    }
}
