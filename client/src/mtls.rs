//! The mTLS transport: the operator's credential, trying the preferred controller first and
//! then the others when one does not answer or cannot serve.

use std::time::Duration;

use traefikee_apiserver::ErrorCode;
use traefikee_pki::tls::{client_config, ServerTrust};

use crate::api::decode;
use crate::failure::Failure;

/// Where a cluster's API is and how to prove who we are to it.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The cluster's name, for messages.
    pub cluster: &'a str,
    /// The cluster id its controllers' certificates must carry (none while connecting).
    pub cluster_id: Option<&'a str>,
    /// The controllers' API addresses, the preferred one first.
    pub addresses: Vec<String>,
    pub ca_pem: &'a str,
    pub cert_pem: &'a str,
    pub key_pem: &'a str,
}

pub(crate) struct MtlsTransport {
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

impl MtlsTransport {
    /// A transport presenting `target`'s certificate, refused at once if it has expired.
    pub fn operator(target: &Target<'_>) -> Result<MtlsTransport, Failure> {
        let info = traefikee_pki::inspect_cert_pem(target.cert_pem)
            .map_err(|e| Failure::io(format!("the profile's certificate is unreadable: {e}")))?;
        if info.not_after < time::OffsetDateTime::now_utc() {
            return Err(Failure::new(
                ErrorCode::Unauthenticated,
                format!("your credential for cluster {} expired on {}", target.cluster, info.not_after.date()),
            )
            .hint("ask an operator for new credentials: traefikeectl credentials create NAME"));
        }
        Self::with_identity(target)
    }

    /// A transport presenting any certificate (e.g. the one-time credential during `connect`).
    pub fn with_identity(target: &Target<'_>) -> Result<MtlsTransport, Failure> {
        let tls = client_config(
            ServerTrust::Cluster { ca_pem: target.ca_pem.to_owned(), cluster_id: target.cluster_id.map(str::to_owned) },
            Some((target.cert_pem, target.key_pem)),
        )
        .map_err(|e| Failure::refused(format!("the credentials are unusable: {e}")))?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Failure::internal(format!("HTTP client: {e}")))?;
        Ok(MtlsTransport { http, addresses: target.addresses.clone(), cluster: target.cluster.to_owned() })
    }

    /// The address tried first.
    pub fn first_address(&self) -> Option<&str> {
        self.addresses.first().map(String::as_str)
    }

    /// Sends to each address in turn until one answers; returns the successful answer's
    /// bytes and the address that gave it.
    pub async fn send(
        &self,
        method: http::Method,
        path: &str,
        body: Option<(bytes::Bytes, &str)>,
    ) -> Result<(bytes::Bytes, String), Failure> {
        // A write carries a key of its own, the same to every controller it is sent to: one
        // that answered "no quorum" may still hold it, and the cluster applies it at most once.
        let key = (method != http::Method::GET).then(|| format!("{:032x}", rand::random::<u128>()));
        let mut tried = Vec::new();
        let mut unavailable = None;
        for addr in &self.addresses {
            let mut req = self.http.request(method.clone(), format!("https://{addr}{path}"));
            if let Some(key) = &key {
                req = req.header(traefikee_apiserver::idempotency::HEADER, key.as_str());
            }
            if let Some((b, ct)) = &body {
                req = req.header("content-type", *ct).body(b.clone());
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
    decode(status, bytes)
}

#[cfg(test)]
mod tests {
    use traefikee_pki::{CaBundle, Identity, Role, Validity};

    use super::*;

    #[test]
    fn an_expired_credential_is_reported_before_any_request() {
        let ca = CaBundle::generate("t", "c1").unwrap();
        let attempt = |validity| {
            let (cert, key) = ca.issue_with_new_key(&Identity::new("c1", Role::Operator, "alice"), validity).unwrap();
            let target = Target {
                cluster: "t",
                cluster_id: Some("c1"),
                addresses: vec!["127.0.0.1:1".into()],
                ca_pem: &ca.cert_pem,
                cert_pem: &cert.cert_pem,
                key_pem: &key,
            };
            MtlsTransport::operator(&target).map(|_| ())
        };
        let err = attempt(Validity { days: -1 }).expect_err("refused");
        assert_eq!(err.code, ErrorCode::Unauthenticated.exit_code());
        assert!(err.message.contains("expired on"), "{}", err.message);
        assert!(err.hint.unwrap().contains("credentials create"));
        assert!(attempt(Validity::OPERATOR).is_ok());
    }
}
