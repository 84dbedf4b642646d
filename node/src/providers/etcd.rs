//! etcd v3, through its gRPC gateway (the JSON API every etcd since 3.4 serves at `/v3/` on
//! its client port): a range read of the root's prefix, then a watch from the revision after
//! it. Any event, a compaction or the watch ending makes a new range read, so nothing that
//! happened in between is missed.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use traefikee_proxy::config::KvProvider;

use super::{describe, endpoint_url, first_working, http_client, read_body, Backoff, News, Reporter};

/// With no event for this long, the tree is read again (a watch on a connection that died
/// silently would otherwise wait forever).
const RESYNC_EVERY: Duration = Duration::from_secs(60);
/// A read or an authentication that takes longer fails (and is retried).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// The least time between two reads when watches end without an event.
const MIN_RESYNC: Duration = Duration::from_millis(500);
/// A watch message larger than this is not etcd's.
const MAX_MESSAGE: usize = 64 << 20;

/// The end of the range of keys starting with `prefix` (etcd's `clientv3.GetPrefixRangeEnd`).
fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0]
}

struct Etcd {
    http: reqwest::Client,
    base: String,
    /// User name and password, when etcd's authentication is on.
    credentials: Option<(String, String)>,
    /// The token they gave; etcd's simple tokens expire (5 minutes by default): a request
    /// refused with 401 authenticates again once.
    token: std::sync::Mutex<Option<String>>,
    key: String,
    range_end: String,
}

impl Etcd {
    async fn authenticate(&self) -> Result<(), String> {
        let Some((user, password)) = &self.credentials else { return Ok(()) };
        let body = json!({"name": user, "password": password});
        let resp = self.send("/v3/auth/authenticate", &body, Some(REQUEST_TIMEOUT), false).await?;
        let answer: Value = serde_json::from_slice(&read_body(resp, &self.base).await?)
            .map_err(|e| format!("etcd at {}: unreadable answer: {e}", self.base))?;
        let token =
            answer["token"].as_str().ok_or_else(|| format!("etcd at {} gave no token for {user}", self.base))?;
        *self.token.lock().map_err(|_| "etcd token lock poisoned".to_string())? = Some(token.to_string());
        Ok(())
    }

    /// A request; `timeout` bounds it, except for a watch, which stays open.
    async fn call(&self, path: &str, body: Value, timeout: Option<Duration>) -> Result<reqwest::Response, String> {
        self.send(path, &body, timeout, self.credentials.is_some()).await
    }

    async fn send(
        &self,
        path: &str,
        body: &Value,
        timeout: Option<Duration>,
        reauthenticate: bool,
    ) -> Result<reqwest::Response, String> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(body);
        if let Some(timeout) = timeout {
            req = req.timeout(timeout);
        }
        let token = self.token.lock().ok().and_then(|t| t.clone());
        if let Some(token) = token {
            req = req.header("Authorization", token);
        }
        let resp = req.send().await.map_err(|e| format!("etcd at {}: {}", self.base, describe(&e)))?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED && reauthenticate {
            // (Boxed: authenticating sends a request too.)
            Box::pin(self.authenticate()).await?;
            return Box::pin(self.send(path, body, timeout, false)).await;
        }
        if !resp.status().is_success() {
            let status = resp.status();
            let text = String::from_utf8_lossy(&read_body(resp, &self.base).await.unwrap_or_default()).into_owned();
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("message").or_else(|| v.get("error")).and_then(Value::as_str).map(str::to_string))
                .unwrap_or(text);
            return Err(format!("etcd at {} answered {status}: {}", self.base, message.trim()));
        }
        Ok(resp)
    }

    /// Every key under the root, and the revision they were read at.
    async fn range(&self) -> Result<(Vec<(String, String)>, i64), String> {
        let body = json!({"key": self.key, "range_end": self.range_end});
        let resp = self.call("/v3/kv/range", body, Some(REQUEST_TIMEOUT)).await?;
        let body: Value = serde_json::from_slice(&read_body(resp, &self.base).await?)
            .map_err(|e| format!("etcd at {}: unreadable answer: {e}", self.base))?;
        let revision = revision(&body["header"]);
        let mut keys = Vec::new();
        for kv in body["kvs"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let decode = |field: &str| -> Result<String, String> {
                let raw = kv[field].as_str().unwrap_or_default();
                let bytes = B64.decode(raw).map_err(|e| format!("etcd sent an undecodable {field}: {e}"))?;
                String::from_utf8(bytes).map_err(|_| format!("etcd holds a {field} that is not UTF-8 under the root"))
            };
            keys.push((decode("key")?, decode("value")?));
        }
        Ok((keys, revision))
    }

    /// Waits until something under the root changes after `revision` (true), or the watch
    /// ends without saying (false).
    async fn wait_for_change(&self, revision: i64) -> Result<bool, String> {
        let create = json!({"create_request": {
            "key": self.key, "range_end": self.range_end, "start_revision": revision + 1,
        }});
        let mut resp = self.call("/v3/watch", create, None).await?;
        let mut buffer = Vec::new();
        loop {
            let chunk = match tokio::time::timeout(RESYNC_EVERY, resp.chunk()).await {
                Err(_) => return Ok(false),
                Ok(Ok(Some(chunk))) => chunk,
                // The watch ended: read again.
                Ok(Ok(None)) => return Ok(false),
                Ok(Err(e)) => return Err(format!("etcd at {}: the watch broke: {}", self.base, describe(&e))),
            };
            buffer.extend_from_slice(&chunk);
            if buffer.len() > MAX_MESSAGE {
                return Err(format!("etcd at {}: a watch message over {} MiB", self.base, MAX_MESSAGE >> 20));
            }
            let mut stream = serde_json::Deserializer::from_slice(&buffer).into_iter::<Value>();
            let mut consumed = 0;
            while let Some(Ok(message)) = stream.next() {
                consumed = stream.byte_offset();
                let result = &message["result"];
                if let Some(error) = message.get("error") {
                    return Err(format!("etcd at {}: the watch failed: {error}", self.base));
                }
                let events = result["events"].as_array().is_some_and(|e| !e.is_empty());
                let canceled = result["canceled"].as_bool() == Some(true);
                if events || canceled {
                    return Ok(true);
                }
            }
            buffer.drain(..consumed);
        }
    }
}

fn revision(header: &Value) -> i64 {
    // The gateway writes 64-bit integers as strings.
    header["revision"].as_str().and_then(|r| r.parse().ok()).or_else(|| header["revision"].as_i64()).unwrap_or(0)
}

/// Connects to one endpoint and reads the tree once, to know that it works.
async fn connect(config: &KvProvider, endpoint: &str) -> Result<(Etcd, (Vec<(String, String)>, i64)), String> {
    // A watch request stays open: no overall timeout, the resync bounds it.
    let http = http_client(config, Duration::from_secs(24 * 3600))?;
    let prefix = format!("{}/", config.root());
    let etcd = Etcd {
        http,
        base: endpoint_url(endpoint, config.tls.is_some()),
        credentials: config.username.clone().map(|u| (u, config.password.clone().unwrap_or_default())),
        token: std::sync::Mutex::new(None),
        key: B64.encode(prefix.as_bytes()),
        range_end: B64.encode(prefix_end(prefix.as_bytes())),
    };
    etcd.authenticate().await?;
    let first = etcd.range().await?;
    Ok((etcd, first))
}

/// Reads and watches until something fails; the endpoints are tried in order.
pub async fn session(config: &KvProvider, report: &Reporter, backoff: &mut Backoff) -> Result<(), String> {
    let (etcd, (mut keys, mut revision)) = first_working(&config.endpoints, |e| connect(config, e)).await?;
    let mut last = None;
    loop {
        backoff.reset();
        report.send_if_new(&mut last, News::Keys(Arc::new(keys))).await;
        let started = std::time::Instant::now();
        if !etcd.wait_for_change(revision).await? {
            // A watch that ends at once must not turn into a loop of reads.
            tokio::time::sleep(MIN_RESYNC.saturating_sub(started.elapsed())).await;
        }
        (keys, revision) = etcd.range().await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_range_end_of_a_prefix() {
        assert_eq!(prefix_end(b"traefik/"), b"traefik0");
        assert_eq!(prefix_end(b"a\xff"), b"b");
        assert_eq!(prefix_end(b"\xff\xff"), vec![0]);
    }
}
