//! Consul's KV HTTP API: a recursive read of the root's prefix, then blocking queries on the
//! index it returned (`?index=N&wait=...`, answered when something under the prefix changes
//! or the wait ends), as Consul documents them: an index that goes backwards starts over from 0.

use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Deserialize;
use traefikee_proxy::config::KvProvider;

use super::{describe, endpoint_url, first_working, http_client, read_body, Backoff, News, Reporter};

/// How long a blocking query waits at most (Consul's default is 5 minutes). Shorter finds a
/// dead connection, or an index that went backwards (a restored Consul answers nothing new
/// until the wait ends), sooner.
const WAIT: &str = "10s";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    key: String,
    value: Option<String>,
}

/// One read: the keys, and the index to block on next.
async fn read(
    http: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    index: u64,
) -> Result<(Vec<(String, String)>, u64), String> {
    let mut req = http.get(url).query(&[("recurse", "true")]);
    if index > 0 {
        req = req.query(&[("index", index.to_string().as_str()), ("wait", WAIT)]);
    }
    if let Some(token) = token {
        req = req.header("X-Consul-Token", token);
    }
    let resp = req.send().await.map_err(|e| format!("consul at {url}: {}", describe(&e)))?;
    let status = resp.status();
    let next = resp.headers().get("X-Consul-Index").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let filtered = resp.headers().get("X-Consul-Results-Filtered-By-ACLs").is_some_and(|v| v.as_bytes() == b"true");
    if filtered {
        // Not "nothing there": the token may not read (all of) it.
        return Err(format!("consul at {url}: the ACL token may not read every key under the root"));
    }
    if status == reqwest::StatusCode::NOT_FOUND {
        // Nothing under the prefix (yet).
        return Ok((Vec::new(), next.unwrap_or(0)));
    }
    let body = read_body(resp, &format!("consul at {url}")).await?;
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body);
        return Err(format!("consul at {url} answered {status}: {}", text.trim()));
    }
    let entries: Vec<Entry> =
        serde_json::from_slice(&body).map_err(|e| format!("consul at {url}: unreadable answer: {e}"))?;
    let mut keys = Vec::with_capacity(entries.len());
    for e in entries {
        let value = match e.value {
            None => String::new(),
            Some(v) => {
                let bytes =
                    B64.decode(v).map_err(|err| format!("consul sent an undecodable value for {}: {err}", e.key))?;
                String::from_utf8(bytes).map_err(|_| format!("the value of {} is not UTF-8", e.key))?
            }
        };
        keys.push((e.key, value));
    }
    Ok((keys, next.unwrap_or(0)))
}

/// Reads and watches until something fails.
pub async fn session(config: &KvProvider, report: &Reporter, backoff: &mut Backoff) -> Result<(), String> {
    let http = http_client(config, Duration::from_secs(25))?;
    let token = config.token.as_deref();
    let path = format!("/v1/kv/{}/", config.root());
    let (url, (mut keys, mut index)) = first_working(&config.endpoints, |endpoint| {
        let url = format!("{}{path}", endpoint_url(endpoint, config.tls.is_some()));
        let http = &http;
        async move {
            let first = read(http, &url, token, 0).await?;
            Ok((url, first))
        }
    })
    .await?;
    let mut last = None;
    loop {
        backoff.reset();
        report.send_if_new(&mut last, News::Keys(Arc::new(keys))).await;
        let (next_keys, next) = read(&http, &url, token, index).await?;
        keys = next_keys;
        // Consul: an index lower than the previous one (or 0) means start over.
        index = if next < index || next == 0 { 0 } else { next };
        if index == 0 {
            // Not a blocking query next time: give the store a moment rather than spin.
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
