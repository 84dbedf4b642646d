//! Client for a node's local socket: plain HTTP/1.1 over a unix stream.

use std::path::{Path, PathBuf};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use serde::Serialize;
use traefikee_apiserver::{ApiError, ErrorBody};

pub struct LocalClient {
    socket: PathBuf,
}

impl LocalClient {
    pub fn new(socket: &Path) -> Self {
        LocalClient { socket: socket.to_path_buf() }
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.call::<(), T>(http::Method::GET, path, None).await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: Option<&B>) -> Result<T, ApiError> {
        self.call(http::Method::POST, path, body).await
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.call::<(), T>(http::Method::DELETE, path, None).await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let bytes = match body {
            Some(b) => serde_json::to_vec(b).map_err(|e| ApiError::internal(e.to_string()))?,
            None => Vec::new(),
        };
        let body = self.call_raw(method, path, bytes, "application/json").await?;
        serde_json::from_slice(&body).map_err(|e| ApiError::internal(format!("unexpected answer: {e}")))
    }

    /// A request with a body of any type; the successful answer's bytes as they came.
    pub async fn call_raw(
        &self,
        method: http::Method,
        path: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<Bytes, ApiError> {
        let stream = tokio::net::UnixStream::connect(&self.socket).await.map_err(|e| self.connect_error(e))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| ApiError::unavailable(format!("talking to {}: {e}", self.socket.display())))?;
        tokio::spawn(conn);
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost")
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let resp = sender
            .send_request(req)
            .await
            .map_err(|e| ApiError::unavailable(format!("the node at {} did not answer: {e}", self.socket.display())))?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| ApiError::unavailable(format!("reading the answer: {e}")))?
            .to_bytes();
        if status.is_success() {
            return Ok(body);
        }
        match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(b) => Err(b.error),
            Err(_) => Err(ApiError::internal(format!("HTTP {status}: {}", String::from_utf8_lossy(&body)))),
        }
    }

    fn connect_error(&self, e: std::io::Error) -> ApiError {
        let path = self.socket.display();
        match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                ApiError::unavailable(format!("no traefikee node is running on socket {path}"))
                    .with_hint("start the node first, or point at its socket with --traefikeesocket=PATH")
            }
            std::io::ErrorKind::PermissionDenied => ApiError::forbidden(format!("permission denied on socket {path}"))
                .with_hint("run this as the user that started the node (root for the default socket)"),
            _ => ApiError::unavailable(format!("cannot connect to {path}: {e}")),
        }
    }
}
