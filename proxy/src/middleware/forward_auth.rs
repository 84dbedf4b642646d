//! `forwardAuth`: asks an external HTTP service whether each request may go on, so that
//! authentication (SSO, OAuth proxies, API gateways) lives outside the backends.
//!
//! Traefik v3's semantics (`pkg/middlewares/auth/forward.go`):
//! - the proxy sends `GET <address>` with the client's headers (minus hop-by-hop ones and those
//!   `Connection` names; only `authRequestHeaders` when set) and `X-Forwarded-For` (the client
//!   IP, after the client's own list when `trustForwardHeader`), `X-Forwarded-Method`, `-Proto`
//!   (`https` on TLS), `-Host` and `-Uri`, each taken from the client's header instead when
//!   `trustForwardHeader` is set and the client sent one; with `forwardBody` the body goes too
//!   (a body over `maxBodySize` is answered 401);
//! - a 2xx answer lets the request through, with the `authResponseHeaders` (and the headers
//!   matching `authResponseHeadersRegex`, on Go's canonical names such as `X-Auth-User`)
//!   replaced by the authentication server's; the cookies it set that `addAuthCookiesToResponse`
//!   names replace the backend's cookies of the same name in the final response;
//! - any other answer goes back to the client as is (status, headers, body), a relative
//!   `Location` resolved against `address` unless `preserveLocationHeader`;
//! - an authentication server that cannot be reached (or takes more than 30 s) gives an empty
//!   500, which `retry` does not retry (the request never reached the service).
//!
//! Redirects of the authentication server are never followed. The client (and its TLS
//! settings: `tls.ca`, `tls.cert`/`tls.key`, `tls.insecureSkipVerify`) is built once per
//! middleware and pools its connections.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode, Uri};
use http_body_util::BodyExt;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::{request_host, BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler};
use crate::body::{full, Body, Response};
use crate::config::{ClientTls, ForwardAuth as Config};
use crate::context::ConnectionInfo;

/// Go's `http.Client.Timeout` that Traefik sets for the authentication request.
const AUTH_TIMEOUT: Duration = Duration::from_secs(30);

/// Hop-by-hop headers Traefik removes from the authentication request and its answer
/// (`Proxy-Authorization` is meant for the authentication server and kept).
const HOP_HEADERS: [&str; 6] = ["connection", "keep-alive", "te", "trailers", "transfer-encoding", "upgrade"];

type AuthClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Body>;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    let address = Uri::try_from(config.address.as_str())
        .ok()
        .filter(|u| matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some_and(|h| !h.is_empty()))
        .ok_or_else(|| ctx.invalid(format!("forwardAuth.address: invalid address {:?}", config.address)))?;
    let names = |list: &[String], key: &str| -> Result<Vec<HeaderName>, BuildError> {
        list.iter()
            .map(|h| {
                HeaderName::try_from(h.as_str())
                    .map_err(|_| ctx.invalid(format!("forwardAuth.{key}: invalid header name {h:?}")))
            })
            .collect()
    };
    let response_headers_regex = match config.auth_response_headers_regex.as_deref().filter(|r| !r.is_empty()) {
        None => None,
        Some(re) => Some(
            crate::rule::compile_go_regex(re)
                .map_err(|e| ctx.invalid(format!("forwardAuth.authResponseHeadersRegex: {e}")))?,
        ),
    };
    let tls = tls_config(config.tls.as_ref()).map_err(|e| ctx.invalid(format!("forwardAuth.tls: {e}")))?;
    Ok(Arc::new(ForwardAuth(Arc::new(Settings {
        address,
        client: client(tls),
        trust_forward_header: config.trust_forward_header == Some(true),
        response_headers: names(&config.auth_response_headers, "authResponseHeaders")?,
        response_headers_regex,
        request_headers: names(&config.auth_request_headers, "authRequestHeaders")?,
        auth_cookies: config.add_auth_cookies_to_response.iter().cloned().collect(),
        forward_body: config.forward_body == Some(true),
        max_body_size: config.max_body_size.filter(|n| *n >= 0).and_then(|n| usize::try_from(n).ok()),
        preserve_location: config.preserve_location_header == Some(true),
    }))))
}

fn client(tls: rustls::ClientConfig) -> AuthClient {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new()).build(connector)
}

/// Traefik's `FileOrContent`: a path to an existing file, or the PEM itself.
fn file_or_content(value: &str) -> Result<Vec<u8>, String> {
    if value.contains("-----BEGIN") {
        return Ok(value.as_bytes().to_vec());
    }
    std::fs::read(value).map_err(|e| format!("cannot read {value:?}: {e}"))
}

/// The TLS client settings: Traefik's `ClientTLS.CreateTLSConfig`.
fn tls_config(tls: Option<&ClientTls>) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let none = ClientTls::default();
    let tls = tls.unwrap_or(&none);
    let verified = if tls.insecure_skip_verify == Some(true) {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        match tls.ca.as_deref().filter(|c| !c.is_empty()) {
            // As in Go, a configured CA replaces the system's.
            Some(ca) => {
                let pem = file_or_content(ca).map_err(|e| format!("ca: {e}"))?;
                let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok).collect();
                if certs.is_empty() {
                    return Err("ca: no certificate found".to_owned());
                }
                roots.add_parsable_certificates(certs);
            }
            None => {
                roots.add_parsable_certificates(system_roots());
            }
        }
        builder.with_root_certificates(roots)
    };
    let cert = tls.cert.as_deref().filter(|c| !c.is_empty());
    let key = tls.key.as_deref().filter(|k| !k.is_empty());
    match (cert, key) {
        (None, None) => Ok(verified.with_no_client_auth()),
        (Some(cert), Some(key)) => {
            let cert_pem = file_or_content(cert).map_err(|e| format!("cert: {e}"))?;
            let chain: Vec<_> = CertificateDer::pem_slice_iter(&cert_pem).filter_map(Result::ok).collect();
            if chain.is_empty() {
                return Err("cert: no certificate found".to_owned());
            }
            let key_pem = file_or_content(key).map_err(|e| format!("key: {e}"))?;
            let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| format!("key: {e}"))?;
            verified.with_client_auth_cert(chain, key).map_err(|e| format!("cert/key: {e}"))
        }
        _ => Err("both cert and key are needed for a client certificate".to_owned()),
    }
}

/// The system CA bundle where Debian and most distributions put it.
fn system_roots() -> Vec<CertificateDer<'static>> {
    for path in ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"] {
        if let Ok(iter) = CertificateDer::pem_file_iter(path) {
            let certs: Vec<_> = iter.filter_map(Result::ok).collect();
            if !certs.is_empty() {
                return certs;
            }
        }
    }
    Vec::new()
}

/// `tls.insecureSkipVerify`: accepts any server certificate (signatures are still checked).
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

struct Settings {
    address: Uri,
    client: AuthClient,
    trust_forward_header: bool,
    response_headers: Vec<HeaderName>,
    response_headers_regex: Option<regex::bytes::Regex>,
    request_headers: Vec<HeaderName>,
    auth_cookies: HashSet<String>,
    forward_body: bool,
    /// `None`: no limit.
    max_body_size: Option<usize>,
    preserve_location: bool,
}

struct ForwardAuth(Arc<Settings>);

impl Middleware for ForwardAuth {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { settings: self.0.clone(), next })
    }
}

struct Layer {
    settings: Arc<Settings>,
    next: SharedHandler,
}

/// An empty answer with `status` (Go's `rw.WriteHeader(status)`).
fn bare(status: StatusCode) -> Response {
    let mut resp = Response::new(crate::body::empty());
    *resp.status_mut() = status;
    resp
}

/// Go's `textproto.CanonicalMIMEHeaderKey`: `x-auth-user` is `X-Auth-User`.
fn canonical(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() };
            upper = c == '-';
            out
        })
        .collect()
}

/// Removes hop-by-hop headers and those the `Connection` header names.
fn remove_hop_headers(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|t| HeaderName::try_from(t.trim()).ok())
        .collect();
    for name in named.iter().map(HeaderName::as_str).chain(HOP_HEADERS) {
        headers.remove(name);
    }
}

/// Reads the body up to `max` bytes: `Err(401)` when it is longer, `Err(500)` when it fails.
async fn read_body(mut body: Body, max: Option<usize>) -> Result<Bytes, StatusCode> {
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        if let Some(data) = frame.data_ref() {
            if max.is_some_and(|max| buf.len() + data.len() > max) {
                return Err(StatusCode::UNAUTHORIZED);
            }
            buf.extend_from_slice(data);
        }
    }
    Ok(buf.freeze())
}

/// The cookie name of a `Set-Cookie` value; `None` when Go would skip it as invalid.
fn cookie_name(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let (name, _) = text.split(';').next()?.split_once('=')?;
    let name = name.trim();
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b)))
        .then(|| name.to_owned())
}

impl Settings {
    /// The authentication request for `req` (Traefik's `writeHeader`).
    fn auth_request(&self, req: &Request, body: Option<Bytes>) -> http::Request<Body> {
        let src = req.headers();
        let mut headers = src.clone();
        for name in [header::HOST, header::CONTENT_LENGTH] {
            headers.remove(name);
        }
        remove_hop_headers(&mut headers);
        if !self.request_headers.is_empty() {
            let mut kept = HeaderMap::new();
            for name in &self.request_headers {
                for value in headers.get_all(name) {
                    kept.append(name.clone(), value.clone());
                }
            }
            headers = kept;
        }
        let trust = self.trust_forward_header;
        let client_header = |name: &str| src.get(name).filter(|v| trust && !v.is_empty()).cloned();
        if let Some(info) = req.extensions().get::<ConnectionInfo>() {
            let ip = info.peer.ip().to_canonical().to_string();
            let prior: Vec<&str> = src.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
            let value = if trust && !prior.is_empty() { format!("{}, {ip}", prior.join(", ")) } else { ip };
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert("x-forwarded-for", v);
            }
        }
        let method = client_header("x-forwarded-method").or_else(|| HeaderValue::from_str(req.method().as_str()).ok());
        set_or_remove(&mut headers, "x-forwarded-method", method);
        let tls = req.extensions().get::<ConnectionInfo>().is_some_and(ConnectionInfo::is_tls);
        let proto = client_header("x-forwarded-proto")
            .unwrap_or_else(|| HeaderValue::from_static(if tls { "https" } else { "http" }));
        headers.insert("x-forwarded-proto", proto);
        if let Some(port) = client_header("x-forwarded-port") {
            headers.insert("x-forwarded-port", port);
        }
        let host = client_header("x-forwarded-host")
            .or_else(|| Some(request_host(req)).filter(|h| !h.is_empty()).and_then(|h| HeaderValue::from_str(h).ok()));
        set_or_remove(&mut headers, "x-forwarded-host", host);
        let uri = client_header("x-forwarded-uri")
            .or_else(|| req.uri().path_and_query().and_then(|pq| HeaderValue::from_str(pq.as_str()).ok()));
        set_or_remove(&mut headers, "x-forwarded-uri", uri);

        let body = body.map_or_else(crate::body::empty, full);
        let mut auth = http::Request::new(body);
        *auth.method_mut() = Method::GET;
        *auth.uri_mut() = self.address.clone();
        *auth.headers_mut() = headers;
        auth
    }

    /// The authentication server's refusal, relayed to the client.
    fn refusal(&self, parts: http::response::Parts, body: Bytes) -> Response {
        let mut headers = parts.headers;
        remove_hop_headers(&mut headers);
        if let Some(location) = headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned) {
            let resolved = if self.preserve_location { Some(location) } else { resolve(&self.address, &location) };
            match resolved.and_then(|l| HeaderValue::from_str(&l).ok()) {
                Some(v) => {
                    headers.insert(header::LOCATION, v);
                }
                None => return bare(StatusCode::INTERNAL_SERVER_ERROR),
            }
        }
        let mut resp = Response::new(full(body));
        *resp.status_mut() = parts.status;
        *resp.headers_mut() = headers;
        resp
    }

    /// Copies the authentication server's headers onto the request going on.
    fn copy_auth_headers(&self, from: &HeaderMap, to: &mut HeaderMap) {
        for name in &self.response_headers {
            to.remove(name);
            for value in from.get_all(name) {
                to.append(name.clone(), value.clone());
            }
        }
        if let Some(re) = &self.response_headers_regex {
            let matches = |name: &HeaderName| re.is_match(canonical(name.as_str()).as_bytes());
            let stale: Vec<HeaderName> = to.keys().filter(|n| matches(n)).cloned().collect();
            for name in stale {
                to.remove(name);
            }
            for (name, value) in from.iter().filter(|(n, _)| matches(n)) {
                to.append(name.clone(), value.clone());
            }
        }
    }

    /// The final response's cookies: the backend's, except those `addAuthCookiesToResponse`
    /// names, then the authentication server's cookies of those names.
    fn merge_cookies(&self, auth_cookies: &[(String, HeaderValue)], resp: &mut Response) {
        let headers = resp.headers_mut();
        let kept: Vec<HeaderValue> = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter(|v| cookie_name(v).is_some_and(|n| !self.auth_cookies.contains(&n)))
            .cloned()
            .collect();
        headers.remove(header::SET_COOKIE);
        for value in kept {
            headers.append(header::SET_COOKIE, value);
        }
        for (name, value) in auth_cookies {
            if self.auth_cookies.contains(name) {
                headers.append(header::SET_COOKIE, value.clone());
            }
        }
    }
}

fn set_or_remove(headers: &mut HeaderMap, name: &'static str, value: Option<HeaderValue>) {
    match value {
        Some(v) => {
            headers.insert(name, v);
        }
        None => {
            headers.remove(name);
        }
    }
}

/// Go's `Response.Location`: `location` resolved against `base` (RFC 3986 §5.2).
fn resolve(base: &Uri, location: &str) -> Option<String> {
    let scheme = base.scheme_str()?;
    let authority = base.authority()?.as_str();
    let is_absolute = location.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if is_absolute {
        return Some(location.to_owned());
    }
    if location.starts_with("//") {
        return Some(format!("{scheme}:{location}"));
    }
    let base_path = base.path();
    let (path, rest) = match location.find(['?', '#']) {
        Some(i) => (&location[..i], &location[i..]),
        None => (location, ""),
    };
    let merged = if path.is_empty() {
        let base_query = if rest.starts_with('#') {
            base.query().map(|q| format!("?{q}")).unwrap_or_default()
        } else {
            String::new()
        };
        format!("{base_path}{base_query}")
    } else if path.starts_with('/') {
        remove_dot_segments(path)
    } else {
        let dir = base_path.rfind('/').map_or("/", |i| &base_path[..=i]);
        remove_dot_segments(&format!("{dir}{path}"))
    };
    Some(format!("{scheme}://{authority}{merged}{rest}"))
}

/// RFC 3986 §5.2.4.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

impl Handler for Layer {
    fn handle(&self, req: Request) -> HandlerFuture {
        let settings = self.settings.clone();
        let next = self.next.clone();
        Box::pin(async move {
            let mut req = req;
            let mut forwarded_body = None;
            if settings.forward_body {
                let body = std::mem::replace(req.body_mut(), crate::body::empty());
                match read_body(body, settings.max_body_size).await {
                    Ok(bytes) => {
                        *req.body_mut() = full(bytes.clone());
                        forwarded_body = Some(bytes);
                    }
                    Err(status) => return bare(status),
                }
            }
            let auth_req = settings.auth_request(&req, forwarded_body);
            let exchange = async {
                let resp = settings.client.request(auth_req).await.map_err(|e| e.to_string())?;
                let (parts, body) = resp.into_parts();
                let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
                Ok::<_, String>((parts, body))
            };
            let (parts, body) = match tokio::time::timeout(AUTH_TIMEOUT, exchange).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(cause)) => {
                    tracing::debug!(address = %settings.address, %cause, "forwardAuth: authentication request failed");
                    return bare(StatusCode::INTERNAL_SERVER_ERROR);
                }
                Err(_) => {
                    tracing::debug!(address = %settings.address, "forwardAuth: authentication request timed out");
                    return bare(StatusCode::INTERNAL_SERVER_ERROR);
                }
            };
            if !parts.status.is_success() {
                return settings.refusal(parts, body);
            }
            settings.copy_auth_headers(&parts.headers, req.headers_mut());
            let auth_cookies: Vec<(String, HeaderValue)> = parts
                .headers
                .get_all(header::SET_COOKIE)
                .iter()
                .filter_map(|v| cookie_name(v).map(|n| (n, v.clone())))
                .collect();
            let mut resp = next.handle(req).await;
            if !auth_cookies.is_empty() {
                settings.merge_cookies(&auth_cookies, &mut resp);
            }
            resp
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_header_keys() {
        assert_eq!(canonical("x-auth-user"), "X-Auth-User");
        assert_eq!(canonical("www-authenticate"), "Www-Authenticate");
        assert_eq!(canonical("x"), "X");
    }

    #[test]
    fn locations_resolve_against_the_address() {
        let base = Uri::from_static("http://auth.example:9000/oauth/check?x=1");
        for (location, want) in [
            ("https://sso.example/login", "https://sso.example/login"),
            ("//sso.example/login", "http://sso.example/login"),
            ("/login?next=%2F", "http://auth.example:9000/login?next=%2F"),
            ("login", "http://auth.example:9000/oauth/login"),
            ("../login", "http://auth.example:9000/login"),
            ("?y=2", "http://auth.example:9000/oauth/check?y=2"),
        ] {
            assert_eq!(resolve(&base, location).as_deref(), Some(want), "{location}");
        }
    }

    #[test]
    fn cookie_names() {
        assert_eq!(cookie_name(&HeaderValue::from_static("sid=abc; Path=/")), Some("sid".into()));
        assert_eq!(cookie_name(&HeaderValue::from_static(" a = b")), Some("a".into()));
        assert_eq!(cookie_name(&HeaderValue::from_static("novalue")), None);
        assert_eq!(cookie_name(&HeaderValue::from_static("=x")), None);
    }

    #[test]
    fn tls_options_are_checked_at_build() {
        let only_cert = ClientTls { cert: Some("cert.pem".into()), ..ClientTls::default() };
        assert!(tls_config(Some(&only_cert)).is_err());
        let missing_ca = ClientTls { ca: Some("/nonexistent/ca.pem".into()), ..ClientTls::default() };
        let err = tls_config(Some(&missing_ca)).err().unwrap_or_default();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
        assert!(tls_config(None).is_ok());
        let insecure = ClientTls { insecure_skip_verify: Some(true), ..ClientTls::default() };
        assert!(tls_config(Some(&insecure)).is_ok());
    }
}
