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

use super::{describe, endpoint_url, http_client, Backoff, News, Reporter};

/// With no event for this long, the tree is read again (a watch on a connection that died
/// silently would otherwise wait forever).
const RESYNC_EVERY: Duration = Duration::from_secs(60);
/// A read or an authentication that takes longer fails (and is retried).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
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
    token: Option<String>,
    key: String,
    range_end: String,
}

impl Etcd {
    /// A request; `timeout` bounds it, except for a watch, which stays open.
    async fn call(&self, path: &str, body: Value, timeout: Option<Duration>) -> Result<reqwest::Response, String> {
        let mut req = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(timeout) = timeout {
            req = req.timeout(timeout);
        }
        if let Some(token) = &self.token {
            req = req.header("Authorization", token);
        }
        let resp = req.send().await.map_err(|e| format!("etcd at {}: {}", self.base, describe(&e)))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
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
        let body: Value = resp.json().await.map_err(|e| format!("etcd at {}: {}", self.base, describe(&e)))?;
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

    /// Waits until something under the root changes after `revision` (or the watch ends).
    async fn wait_for_change(&self, revision: i64) -> Result<(), String> {
        let create = json!({"create_request": {
            "key": self.key, "range_end": self.range_end, "start_revision": revision + 1,
        }});
        let mut resp = self.call("/v3/watch", create, None).await?;
        let mut buffer = Vec::new();
        loop {
            let chunk = match tokio::time::timeout(RESYNC_EVERY, resp.chunk()).await {
                Err(_) => return Ok(()),
                Ok(Ok(Some(chunk))) => chunk,
                // The watch ended: read again.
                Ok(Ok(None)) => return Ok(()),
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
                    return Ok(());
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

async fn connect(config: &KvProvider, endpoint: &str) -> Result<Etcd, String> {
    // A watch request stays open: no overall timeout, the resync bounds it.
    let http = http_client(config, Duration::from_secs(24 * 3600))?;
    let base = endpoint_url(endpoint, config.tls.is_some());
    let prefix = format!("{}/", config.root());
    let mut etcd = Etcd {
        http,
        base,
        token: None,
        key: B64.encode(prefix.as_bytes()),
        range_end: B64.encode(prefix_end(prefix.as_bytes())),
    };
    if let Some(user) = &config.username {
        let body = json!({"name": user, "password": config.password.clone().unwrap_or_default()});
        let resp = etcd.call("/v3/auth/authenticate", body, Some(REQUEST_TIMEOUT)).await?;
        let answer: Value = resp.json().await.map_err(|e| format!("etcd at {}: {}", etcd.base, describe(&e)))?;
        let token =
            answer["token"].as_str().ok_or_else(|| format!("etcd at {} gave no token for {user}", etcd.base))?;
        etcd.token = Some(token.to_string());
    }
    Ok(etcd)
}

/// Reads and watches until something fails.
pub async fn session(config: &KvProvider, report: &Reporter, backoff: &mut Backoff) -> Result<(), String> {
    let mut errors = Vec::new();
    let mut etcd = None;
    for endpoint in &config.endpoints {
        match connect(config, endpoint).await {
            Ok(e) => {
                etcd = Some(e);
                break;
            }
            Err(e) => errors.push(e),
        }
    }
    let etcd = etcd.ok_or_else(|| errors.join("; "))?;
    // A probe: the first range tells whether the endpoint works at all.
    let mut last = None;
    loop {
        let (keys, revision) = etcd.range().await?;
        backoff.reset();
        if last.as_ref() != Some(&keys) {
            report.send(News::Keys(Arc::new(keys.clone()))).await;
            last = Some(keys);
        }
        etcd.wait_for_change(revision).await?;
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
