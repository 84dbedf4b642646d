//! The API client: mutual TLS with the profile's credential, trying the given address first
//! and then the other controllers' when one does not answer.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use traefikee_apiserver::{ErrorBody, ErrorCode};
use traefikee_pki::tls::{client_config, ServerTrust};

use crate::failure::Failure;
use crate::profile::Profile;

pub struct ApiClient {
    http: reqwest::Client,
    addresses: Vec<String>,
    cluster: String,
}

/// Why a request did not get an answer.
enum Miss {
    /// Nothing answered there (refused, timed out): try the next address.
    Unreachable(String),
    /// Something answered but the TLS handshake failed: the wrong cluster, or our
    /// certificate refused. Trying other controllers will not help.
    Tls(String),
}

/// The rustls error behind a failed request, if any. Connectors wrap it in `io::Error`s, whose
/// `source()` skips the wrapped error itself, so descend through `get_ref()` for those.
fn tls_reason(e: &reqwest::Error) -> Option<String> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r.to_string());
        }
        current = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

fn classify(e: reqwest::Error) -> Miss {
    match tls_reason(&e) {
        Some(reason) => Miss::Tls(reason),
        None => Miss::Unreachable(if e.is_timeout() { "timed out".into() } else { root_cause(&e) }),
    }
}

fn root_cause(e: &dyn std::error::Error) -> String {
    let mut last = e.to_string();
    let mut current = e.source();
    while let Some(err) = current {
        last = err.to_string();
        current = err.source();
    }
    last
}

impl ApiClient {
    /// A client for the profile's cluster, authenticated with its credential.
    pub fn new(profile: &Profile) -> Result<ApiClient, Failure> {
        let info = traefikee_pki::inspect_cert_pem(&profile.cert_pem)
            .map_err(|e| Failure::refused(format!("the profile's certificate is unreadable: {e}")))?;
        if info.not_after < time::OffsetDateTime::now_utc() {
            return Err(Failure::new(
                ErrorCode::Unauthenticated,
                format!("your credential for cluster {} expired on {}", profile.meta.name, info.not_after.date()),
            )
            .hint("ask an operator for new credentials: traefikeectl credentials create NAME"));
        }
        Self::with_identity(profile, &profile.cert_pem, &profile.key_pem, Some(profile.meta.cluster_id.clone()))
    }

    /// A client presenting any certificate (e.g. the one-time credential during `connect`).
    pub fn with_identity(
        profile: &Profile,
        cert_pem: &str,
        key_pem: &str,
        cluster_id: Option<String>,
    ) -> Result<ApiClient, Failure> {
        let tls = client_config(
            ServerTrust::Cluster { ca_pem: profile.ca_pem.clone(), cluster_id },
            Some((cert_pem, key_pem)),
        )
        .map_err(|e| Failure::refused(format!("the credentials are unusable: {e}")))?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Failure::new(ErrorCode::Internal, format!("HTTP client: {e}")))?;
        Ok(ApiClient { http, addresses: profile.addresses(), cluster: profile.meta.name.clone() })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        self.send::<(), T>(reqwest::Method::GET, path, None).await.map(|(v, _)| v)
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, Failure> {
        self.send(reqwest::Method::POST, path, Some(body)).await.map(|(v, _)| v)
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        self.send::<(), T>(reqwest::Method::DELETE, path, None).await.map(|(v, _)| v)
    }

    /// Sends to each address in turn until one answers; returns the answer and the address.
    pub async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<(T, String), Failure> {
        let body = match body {
            Some(b) => Some((
                serde_json::to_vec(b).map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?,
                "application/json",
            )),
            None => None,
        };
        let (bytes, addr) = self.send_raw(method, path, body).await?;
        let value = serde_json::from_slice(&bytes)
            .map_err(|e| Failure::new(ErrorCode::Internal, format!("unexpected answer from the cluster: {e}")))?;
        Ok((value, addr))
    }

    /// As [`ApiClient::send`] with a body of any content type (a backup archive), returning
    /// the successful answer's bytes as they came.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<(Vec<u8>, &str)>,
    ) -> Result<(bytes::Bytes, String), Failure> {
        let body = body.map(|(b, ct)| (bytes::Bytes::from(b), ct.to_owned()));
        // A write carries a key of its own, the same to every controller it is sent to: one
        // that answered "no quorum" may still hold it, and the cluster applies it at most once.
        let key = (method != reqwest::Method::GET).then(|| format!("{:032x}", rand::random::<u128>()));
        let mut tried = Vec::new();
        let mut unavailable = None;
        for addr in &self.addresses {
            let mut req = self.http.request(method.clone(), format!("https://{addr}{path}"));
            if let Some(key) = &key {
                req = req.header(traefikee_apiserver::idempotency::HEADER, key.as_str());
            }
            if let Some((b, ct)) = &body {
                req = req.header("content-type", ct.as_str()).body(b.clone());
            }
            match req.send().await {
                // A controller cut off from the others, or without a leader: another may do.
                Ok(resp) if resp.status() == reqwest::StatusCode::SERVICE_UNAVAILABLE => {
                    let failure = read_answer(resp).await.err().unwrap_or_else(|| {
                        Failure::new(ErrorCode::Unavailable, format!("{addr} answered 503 without an error"))
                    });
                    tried.push(format!("{addr} ({})", failure.message));
                    unavailable = Some(failure);
                }
                Ok(resp) => return read_answer(resp).await.map(|v| (v, addr.clone())),
                Err(e) => match classify(e) {
                    Miss::Unreachable(why) => tried.push(format!("{addr} ({why})")),
                    Miss::Tls(why) => {
                        return Err(Failure::new(ErrorCode::Unauthenticated, format!(
                            "the TLS handshake with {addr} failed: {why}"
                        ))
                        .hint(format!(
                            "{addr} may not be a controller of cluster {}, or your credential was refused; reconnect with fresh credentials if it keeps failing",
                            self.cluster
                        )))
                    }
                },
            }
        }
        // Every controller was tried; a single one's answer is given as it is.
        if let Some(failure) = unavailable {
            if tried.len() == 1 {
                return Err(failure);
            }
            let hint = failure.hint.clone();
            let mut all = Failure::new(
                ErrorCode::Unavailable,
                format!("no controller of cluster {} could serve the request: {}", self.cluster, tried.join("; ")),
            );
            all.hint = hint;
            return Err(all);
        }
        Err(Failure::new(
            ErrorCode::Unavailable,
            format!("cannot reach cluster {}: tried {}", self.cluster, tried.join(", ")),
        )
        .hint("check that the controllers run and that the address is right; --clustername picks another profile"))
    }
}

/// The body of a successful answer, or the API's error.
async fn read_answer(resp: reqwest::Response) -> Result<bytes::Bytes, Failure> {
    let status = resp.status();
    let bytes =
        resp.bytes().await.map_err(|e| Failure::new(ErrorCode::Unavailable, format!("reading the answer: {e}")))?;
    if status.is_success() {
        return Ok(bytes);
    }
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(body) => Err(body.error.into()),
        Err(_) => Err(Failure::new(ErrorCode::Internal, format!("HTTP {status}: {}", String::from_utf8_lossy(&bytes)))),
    }
}

#[cfg(test)]
mod tests {
    use traefikee_pki::{CaBundle, Identity, Role, Validity};

    use super::*;
    use crate::profile::ProfileMeta;

    fn profile_with(validity: Validity) -> Profile {
        let ca = CaBundle::generate("t", "c1").unwrap();
        let (cert, key) = ca.issue_with_new_key(&Identity::new("c1", Role::Operator, "alice"), validity).unwrap();
        Profile {
            meta: ProfileMeta {
                name: "t".into(),
                cluster_id: "c1".into(),
                operator: "alice".into(),
                api_address: "127.0.0.1:1".into(),
                api_addresses: vec![],
                kubernetes: None,
            },
            dir: Default::default(),
            ca_pem: ca.cert_pem,
            cert_pem: cert.cert_pem,
            key_pem: key,
        }
    }

    #[test]
    fn an_expired_credential_is_reported_before_any_request() {
        let err = ApiClient::new(&profile_with(Validity { days: -1 })).err().expect("refused");
        assert_eq!(err.code, ErrorCode::Unauthenticated.exit_code());
        assert!(err.message.contains("expired on"), "{}", err.message);
        assert!(err.hint.unwrap().contains("credentials create"));
        assert!(ApiClient::new(&profile_with(Validity::OPERATOR)).is_ok());
    }
}
