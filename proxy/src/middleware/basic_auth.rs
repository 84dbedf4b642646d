//! `basicAuth`: HTTP basic authentication against htpasswd entries, for the routers that need a
//! password and no identity provider.
//!
//! Traefik's semantics (`pkg/middlewares/auth/basic_auth.go` on `go-http-auth`):
//! - entries are `user:hash` from `usersFile` (one a line, blank lines and `#` comments
//!   skipped) then `users`, a later entry for the same user replacing an earlier one; the hash
//!   is bcrypt (`$2a$`, `$2b$`, `$2x$`, `$2y$`), Apache MD5 (`$apr1$`, or crypt's `$1$`) or SHA1
//!   (`{SHA}`). A malformed entry or an unsupported hash is a build error naming the user and,
//!   for the file, the line (never the hash); an empty set of users too;
//! - a request without valid credentials gets 401 `401 Unauthorized\n` (`text/plain`) with
//!   `WWW-Authenticate: Basic realm="<realm>"` (`traefik` by default);
//! - on success `headerField` (if set) carries the user name upstream and `removeHeader` drops
//!   `Authorization`;
//! - an unknown user costs a hash check too (against the first entry's hash), so that response
//!   times do not tell which users exist. bcrypt checks run on the blocking pool: they take
//!   tens of milliseconds by design and would otherwise stall the proxy's workers.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use http::{HeaderName, HeaderValue, StatusCode};
use md5::{Digest as _, Md5};
use sha1::Sha1;

use super::{BuildContext, BuildError, Handler, HandlerFuture, Middleware, Request, SharedHandler};
use crate::body::{full, Response};
use crate::config::BasicAuth as Config;

const DEFAULT_REALM: &str = "traefik";

/// Longest password bcrypt takes; Go's bcrypt refuses longer ones.
const BCRYPT_MAX_PASSWORD: usize = 72;

pub(super) fn build(config: &Config, ctx: &BuildContext<'_>) -> Result<Arc<dyn Middleware>, BuildError> {
    let mut entries: Vec<(String, String)> = Vec::new();
    if let Some(file) = config.users_file.as_deref().filter(|f| !f.is_empty()) {
        let text = std::fs::read_to_string(file)
            .map_err(|e| ctx.invalid(format!("basicAuth.usersFile: cannot read {file:?}: {e}")))?;
        for (n, line) in text.split('\n').enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let place = format!("basicAuth.usersFile {file:?} line {}", n + 1);
            entries.push(parse_entry(line).map_err(|e| ctx.invalid(format!("{place}: {e}")))?);
        }
    }
    for (i, entry) in config.users.iter().enumerate() {
        entries.push(parse_entry(entry).map_err(|e| ctx.invalid(format!("basicAuth.users[{i}]: {e}")))?);
    }
    let Some(not_found) = entries.first().map(|(_, hash)| hash.clone()) else {
        let from = config.users_file.as_deref().unwrap_or_default();
        return Err(ctx.invalid(format!("basicAuth: no users found in {from:?}")));
    };
    let users: HashMap<String, Secret> = entries.into_iter().map(|(user, hash)| (user, Secret(hash))).collect();

    let realm = config.realm.as_deref().filter(|r| !r.is_empty()).unwrap_or(DEFAULT_REALM);
    let challenge = HeaderValue::from_str(&format!("Basic realm=\"{realm}\""))
        .map_err(|_| ctx.invalid(format!("basicAuth.realm: {realm:?} cannot be sent in a header")))?;
    let header_field = match config.header_field.as_deref().filter(|h| !h.is_empty()) {
        None => None,
        Some(name) => Some(
            HeaderName::try_from(name)
                .map_err(|_| ctx.invalid(format!("basicAuth.headerField: invalid header name {name:?}")))?,
        ),
    };
    Ok(Arc::new(BasicAuth(Arc::new(Settings {
        users,
        not_found: Secret(not_found),
        challenge,
        header_field,
        remove_header: config.remove_header == Some(true),
    }))))
}

/// Splits `user:hash` and checks the hash format; the error names the user, not the hash.
fn parse_entry(entry: &str) -> Result<(String, String), String> {
    let mut parts = entry.split(':');
    let (Some(user), Some(hash), None) = (parts.next(), parts.next(), parts.next()) else {
        let user = entry.split(':').next().filter(|u| !u.is_empty() && entry.contains(':'));
        return Err(match user {
            Some(user) => format!("cannot parse the entry of user {user:?}: expected user:hash"),
            None => "cannot parse the entry: expected user:hash".to_owned(),
        });
    };
    if user.is_empty() {
        return Err("the user name is empty".to_owned());
    }
    check_hash(hash).map_err(|e| format!("user {user:?}: {e}"))?;
    Ok((user.to_owned(), hash.to_owned()))
}

/// Accepts the hash formats Traefik checks, refusing those no password could ever match.
fn check_hash(hash: &str) -> Result<(), String> {
    match Scheme::of(hash) {
        Some(Scheme::Bcrypt) => hash
            .parse::<bcrypt::HashParts>()
            .ok()
            .filter(|p| (4..=31).contains(&p.get_cost()))
            .map(|_| ())
            .ok_or_else(|| "malformed bcrypt hash".to_owned()),
        Some(Scheme::Sha1) => {
            let digest = base64::engine::general_purpose::STANDARD.decode(&hash[5..]);
            match digest {
                Ok(d) if d.len() == 20 => Ok(()),
                _ => Err("malformed {SHA} hash".to_owned()),
            }
        }
        Some(Scheme::Md5Crypt) => match hash.splitn(4, '$').collect::<Vec<_>>().as_slice() {
            ["", _, _, digest] if digest.len() == 22 => Ok(()),
            _ => Err("malformed MD5 ($apr1$) hash".to_owned()),
        },
        None => Err("unsupported password hash: use bcrypt ($2y$), apr1 ($apr1$) or SHA1 ({SHA})".to_owned()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Bcrypt,
    Sha1,
    Md5Crypt,
}

impl Scheme {
    fn of(hash: &str) -> Option<Scheme> {
        if ["$2a$", "$2b$", "$2x$", "$2y$"].iter().any(|p| hash.starts_with(p)) {
            Some(Scheme::Bcrypt)
        } else if hash.starts_with("{SHA}") {
            Some(Scheme::Sha1)
        } else if hash.starts_with("$apr1$") || hash.starts_with("$1$") {
            Some(Scheme::Md5Crypt)
        } else {
            None
        }
    }
}

/// An htpasswd hash; `Debug` does not print it.
#[derive(Clone)]
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// Whether `password` matches (go-http-auth's `CheckSecret`).
    fn matches(&self, password: &[u8]) -> bool {
        let hash = self.0.as_str();
        match Scheme::of(hash) {
            Some(Scheme::Bcrypt) => {
                password.len() <= BCRYPT_MAX_PASSWORD && bcrypt::verify(password, hash).unwrap_or(false)
            }
            Some(Scheme::Sha1) => {
                let digest = Sha1::digest(password);
                let encoded = base64::engine::general_purpose::STANDARD.encode(digest);
                constant_time_eq(&hash.as_bytes()[5..], encoded.as_bytes())
            }
            Some(Scheme::Md5Crypt) => match hash.splitn(4, '$').collect::<Vec<_>>().as_slice() {
                ["", magic, salt, _] => {
                    let computed = md5_crypt(password, salt.as_bytes(), format!("${magic}$").as_bytes());
                    constant_time_eq(hash.as_bytes(), &computed)
                }
                _ => false,
            },
            None => false,
        }
    }

    fn is_slow(&self) -> bool {
        Scheme::of(&self.0) == Some(Scheme::Bcrypt)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The MD5-based crypt of FreeBSD and Apache (`$1$`, `$apr1$`): `magic salt $ digest`.
fn md5_crypt(password: &[u8], salt: &[u8], magic: &[u8]) -> Vec<u8> {
    const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut alternate = Md5::new();
    alternate.update(password);
    alternate.update(salt);
    alternate.update(password);
    let alternate = alternate.finalize();

    let mut ctx = Md5::new();
    ctx.update(password);
    ctx.update(magic);
    ctx.update(salt);
    for i in 0..password.len() {
        ctx.update([alternate[i % 16]]);
    }
    let mut n = password.len();
    while n != 0 {
        let byte = if n & 1 == 0 { password.first().copied().unwrap_or(0) } else { 0 };
        ctx.update([byte]);
        n >>= 1;
    }
    let mut digest = ctx.finalize();

    for round in 0..1000 {
        let mut c = Md5::new();
        if round & 1 == 0 {
            c.update(digest);
        } else {
            c.update(password);
        }
        if round % 3 != 0 {
            c.update(salt);
        }
        if round % 7 != 0 {
            c.update(password);
        }
        if round & 1 == 0 {
            c.update(password);
        } else {
            c.update(digest);
        }
        digest = c.finalize();
    }

    // The digest's bytes in crypt's order, six bits per character.
    const ORDER: [usize; 16] = [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11];
    let mut out = Vec::with_capacity(magic.len() + salt.len() + 23);
    out.extend_from_slice(magic);
    out.extend_from_slice(salt);
    out.push(b'$');
    let (mut value, mut bits) = (0u32, 0u32);
    for i in ORDER {
        value |= u32::from(digest[i]) << bits;
        bits += 8;
        while bits > 6 {
            out.push(ITOA64[(value & 0x3f) as usize]);
            value >>= 6;
            bits -= 6;
        }
    }
    out.push(ITOA64[(value & 0x3f) as usize]);
    out
}

/// Go's `Request.BasicAuth`: `Basic` (any case), base64 of `user:password`.
fn credentials(req: &Request) -> Option<(String, Vec<u8>)> {
    let value = req.headers().get(http::header::AUTHORIZATION)?.as_bytes();
    let prefix = value.get(..6)?;
    if !prefix.eq_ignore_ascii_case(b"Basic ") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(&value[6..]).ok()?;
    let colon = decoded.iter().position(|b| *b == b':')?;
    let user = String::from_utf8(decoded[..colon].to_vec()).ok()?;
    Some((user, decoded[colon + 1..].to_vec()))
}

struct Settings {
    users: HashMap<String, Secret>,
    /// Checked for unknown users, so that they cost as much as known ones.
    not_found: Secret,
    challenge: HeaderValue,
    header_field: Option<HeaderName>,
    remove_header: bool,
}

impl Settings {
    /// Checks the credentials, off the async workers when the hash is slow.
    async fn authenticate(self: Arc<Self>, user: String, password: Vec<u8>) -> bool {
        let (secret, known) = match self.users.get(&user) {
            Some(s) => (s.clone(), true),
            None => (self.not_found.clone(), false),
        };
        let matched = if secret.is_slow() {
            tokio::task::spawn_blocking(move || secret.matches(&password)).await.unwrap_or(false)
        } else {
            secret.matches(&password)
        };
        known && matched
    }

    fn challenge(&self) -> Response {
        let mut resp = Response::new(full("401 Unauthorized\n"));
        *resp.status_mut() = StatusCode::UNAUTHORIZED;
        let headers = resp.headers_mut();
        headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        headers.insert(http::header::WWW_AUTHENTICATE, self.challenge.clone());
        resp
    }
}

struct BasicAuth(Arc<Settings>);

impl Middleware for BasicAuth {
    fn wrap(&self, next: SharedHandler) -> SharedHandler {
        Arc::new(Layer { settings: self.0.clone(), next })
    }
}

struct Layer {
    settings: Arc<Settings>,
    next: SharedHandler,
}

impl Handler for Layer {
    fn handle(&self, mut req: Request) -> HandlerFuture {
        let settings = self.settings.clone();
        let next = self.next.clone();
        Box::pin(async move {
            let Some((user, password)) = credentials(&req) else {
                return settings.challenge();
            };
            if !settings.clone().authenticate(user.clone(), password).await {
                tracing::debug!(user = %user, "basicAuth: authentication failed");
                return settings.challenge();
            }
            if let Some(field) = &settings.header_field {
                match HeaderValue::from_str(&user) {
                    Ok(value) => {
                        req.headers_mut().insert(field.clone(), value);
                    }
                    Err(_) => {
                        req.headers_mut().remove(field);
                    }
                }
            }
            if settings.remove_header {
                req.headers_mut().remove(http::header::AUTHORIZATION);
            }
            next.handle(req).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{echo, get, text};
    use super::*;

    // From Traefik's tests: test:test and test2:test2 (apr1); SHA1 of "test".
    const APR1_TEST: &str = "test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/";
    const APR1_TEST2: &str = "test2:$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0";
    const SHA_TEST: &str = "sha:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=";

    fn bcrypt_entry(user: &str, password: &str) -> String {
        let hash = bcrypt::hash(password, 4).expect("hash");
        // htpasswd writes $2y$; bcrypt writes $2b$: both are the same algorithm.
        format!("{user}:{}", hash.replacen("$2b$", "$2y$", 1))
    }

    fn config(users: &[&str]) -> Config {
        Config { users: users.iter().map(|u| u.to_string()).collect(), ..Config::default() }
    }

    fn with_auth(user: &str, password: &str) -> Request {
        let mut req = get("h", "/");
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        req.headers_mut().insert("authorization", HeaderValue::from_str(&format!("Basic {token}")).expect("value"));
        req
    }

    async fn status(config: &Config, req: Request) -> (u16, String) {
        let mw = build(config, &BuildContext::new("t")).expect("builds");
        let resp = mw.wrap(echo()).handle(req).await;
        (resp.status().as_u16(), text(resp).await)
    }

    #[test]
    fn md5_crypt_matches_apache() {
        assert!(Secret("$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/".into()).matches(b"test"));
        assert!(!Secret("$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/".into()).matches(b"tesT"));
        // crypt(3)'s MD5 ("$1$") with the same algorithm.
        assert!(Secret("$1$dlPL2MqE$oQmn16q49SqdmhenQuNgs1".into()).matches(b"hello"));
    }

    #[tokio::test]
    async fn every_hash_scheme_authenticates() {
        let bcrypt = bcrypt_entry("bcrypt", "test");
        let c = config(&[APR1_TEST, APR1_TEST2, &bcrypt, SHA_TEST]);
        assert_eq!(status(&c, with_auth("test", "test")).await.0, 200);
        assert_eq!(status(&c, with_auth("test2", "test2")).await.0, 200);
        assert_eq!(status(&c, with_auth("bcrypt", "test")).await.0, 200);
        assert_eq!(status(&c, with_auth("sha", "test")).await.0, 200);
        assert_eq!(status(&c, with_auth("sha", "Test")).await.0, 401);
        assert_eq!(status(&c, with_auth("bcrypt", "nope")).await.0, 401);
        assert_eq!(status(&c, with_auth("nobody", "test")).await.0, 401);
    }

    #[tokio::test]
    async fn challenge_like_go_http_auth() {
        let c = Config { realm: Some("my realm".into()), ..config(&[APR1_TEST]) };
        let mw = build(&c, &BuildContext::new("t")).expect("builds");
        let resp = mw.wrap(echo()).handle(get("h", "/")).await;
        assert_eq!(resp.status(), 401);
        assert_eq!(
            resp.headers().get("www-authenticate").map(|v| v.as_bytes()),
            Some(&b"Basic realm=\"my realm\""[..])
        );
        assert_eq!(resp.headers().get("content-type").map(|v| v.as_bytes()), Some(&b"text/plain"[..]));
        assert_eq!(text(resp).await, "401 Unauthorized\n");
        let c = config(&[APR1_TEST]);
        let plain = build(&c, &BuildContext::new("t")).expect("builds").wrap(echo()).handle(get("h", "/")).await;
        assert_eq!(
            plain.headers().get("www-authenticate").map(|v| v.as_bytes()),
            Some(&b"Basic realm=\"traefik\""[..])
        );
    }

    #[tokio::test]
    async fn header_field_and_remove_header() {
        let c =
            Config { header_field: Some("X-WebAuth-User".into()), remove_header: Some(true), ..config(&[APR1_TEST]) };
        let mw = build(&c, &BuildContext::new("t")).expect("builds");
        let mut req = with_auth("test", "test");
        req.headers_mut().insert("x-webauth-user", HeaderValue::from_static("spoofed"));
        let resp = mw.wrap(echo()).handle(req).await;
        assert_eq!(resp.status(), 200);
        let seen: Vec<_> =
            resp.headers().get_all("x-seen-x-webauth-user").iter().map(|v| v.as_bytes().to_vec()).collect();
        assert_eq!(seen, vec![b"test".to_vec()]);
        assert!(resp.headers().get("x-seen-authorization").is_none());
    }

    #[tokio::test]
    async fn malformed_authorization_headers() {
        let c = config(&[APR1_TEST]);
        for value in ["Basic", "Basic !!!", "Bearer dGVzdDp0ZXN0", "basic dGVzdHRlc3Q="] {
            let mut req = get("h", "/");
            req.headers_mut().insert("authorization", HeaderValue::from_static(value));
            assert_eq!(status(&c, req).await.0, 401, "{value}");
        }
        // The scheme is case-insensitive, as in Go.
        let mut req = get("h", "/");
        req.headers_mut().insert("authorization", HeaderValue::from_static("bAsIc dGVzdDp0ZXN0"));
        assert_eq!(status(&c, req).await.0, 200);
    }

    #[tokio::test]
    async fn users_file_then_inline_users() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("htpasswd");
        std::fs::write(&path, format!("# comment\n\n  {APR1_TEST}  \r\n{SHA_TEST}\n")).expect("write");
        let file = path.to_string_lossy().into_owned();
        // The inline entry for "sha" replaces the file's.
        let c =
            Config { users_file: Some(file.clone()), users: vec![bcrypt_entry("sha", "other")], ..Config::default() };
        assert_eq!(status(&c, with_auth("test", "test")).await.0, 200);
        assert_eq!(status(&c, with_auth("sha", "other")).await.0, 200);
        assert_eq!(status(&c, with_auth("sha", "test")).await.0, 401);

        std::fs::write(&path, format!("{APR1_TEST}\nbroken-line\n")).expect("write");
        let c = Config { users_file: Some(file.clone()), ..Config::default() };
        let err = build(&c, &BuildContext::new("t")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("line 2") && err.contains("expected user:hash"), "{err}");

        std::fs::write(&path, "alice:plaintext\n").expect("write");
        let err = build(&c, &BuildContext::new("t")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("\"alice\"") && err.contains("line 1") && !err.contains("plaintext"), "{err}");

        std::fs::write(&path, "# nobody\n").expect("write");
        let err = build(&c, &BuildContext::new("t")).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("no users found"), "{err}");

        let missing =
            Config { users_file: Some(dir.path().join("nope").to_string_lossy().into_owned()), ..Config::default() };
        assert!(matches!(build(&missing, &BuildContext::new("t")), Err(BuildError::Invalid { .. })));
    }

    #[test]
    fn malformed_entries_name_the_user() {
        for (entry, want) in [
            ("bob:$2y$05$short", "\"bob\": malformed bcrypt hash"),
            ("bob:{SHA}notbase64", "\"bob\": malformed {SHA} hash"),
            ("bob:$apr1$salt", "\"bob\": malformed MD5"),
            ("bob:a:b", "user \"bob\": expected user:hash"),
            (":{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "the user name is empty"),
        ] {
            let err =
                build(&config(&[entry]), &BuildContext::new("t")).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains(want), "{entry}: {err}");
        }
    }

    #[test]
    fn long_passwords_never_match_bcrypt() {
        let hash = bcrypt::hash([b'a'; 72], 4).expect("hash");
        assert!(Secret(hash.clone()).matches(&[b'a'; 72]));
        assert!(!Secret(hash).matches(&[b'a'; 73]));
    }
}
