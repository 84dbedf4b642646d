//! Redis: the keys under the root are read with `SCAN` and `MGET`, again whenever a keyspace
//! notification says one changed (`notify-keyspace-events` with `K` and a class that covers
//! the writes, e.g. `KA`), and at least every few seconds, so that a server without
//! notifications is followed too, with that delay.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use redis::AsyncCommands;
use traefikee_proxy::config::KvProvider;

use super::{first_working, Backoff, News, Reporter};

/// How often the keys are read without a notification.
const POLL_EVERY: Duration = Duration::from_secs(5);
/// A full read that takes longer fails (and is retried).
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Keys asked per `MGET`.
const BATCH: usize = 500;

/// Percent-encodes a URL's user information.
fn userinfo(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn url(config: &KvProvider, endpoint: &str) -> String {
    let endpoint = endpoint.trim().trim_end_matches('/');
    let host = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
    let auth = match (&config.username, &config.password) {
        (Some(u), Some(p)) => format!("{}:{}@", userinfo(u), userinfo(p)),
        (None, Some(p)) => format!(":{}@", userinfo(p)),
        (Some(u), None) => format!("{}@", userinfo(u)),
        (None, None) => String::new(),
    };
    format!("redis://{auth}{host}/{}", config.db.unwrap_or(0))
}

async fn read(con: &mut redis::aio::MultiplexedConnection, root: &str) -> Result<Vec<(String, String)>, String> {
    let pattern = format!("{root}/*");
    let mut names: Vec<String> = Vec::new();
    let mut cursor: u64 = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(con)
            .await
            .map_err(|e| format!("redis: SCAN: {e}"))?;
        names.extend(batch);
        if next == 0 {
            break;
        }
        cursor = next;
    }
    // SCAN may return a key more than once.
    names.sort();
    names.dedup();
    let mut keys = Vec::with_capacity(names.len());
    for chunk in names.chunks(BATCH) {
        let values: Vec<Option<Vec<u8>>> = con.mget(chunk).await.map_err(|e| format!("redis: MGET: {e}"))?;
        for (name, value) in chunk.iter().zip(values) {
            // A key of another type, or one deleted since the scan.
            let Some(value) = value else { continue };
            let value = String::from_utf8(value).map_err(|_| format!("the value of {name} is not UTF-8"))?;
            keys.push((name.clone(), value));
        }
    }
    Ok(keys)
}

/// Reads and watches until something fails.
pub async fn session(config: &KvProvider, report: &Reporter, backoff: &mut Backoff) -> Result<(), String> {
    let root = config.root();
    let (endpoint, mut con, mut pubsub) = first_working(&config.endpoints, |endpoint| async move {
        let client = redis::Client::open(url(config, endpoint)).map_err(|e| format!("redis at {endpoint}: {e}"))?;
        let con = tokio::time::timeout(Duration::from_secs(5), client.get_multiplexed_async_connection())
            .await
            .map_err(|_| format!("redis at {endpoint}: no answer within 5 s"))?
            .map_err(|e| format!("redis at {endpoint}: {e}"))?;
        let mut pubsub = client.get_async_pubsub().await.map_err(|e| format!("redis at {endpoint}: {e}"))?;
        let db = config.db.unwrap_or(0);
        pubsub
            .psubscribe(format!("__keyspace@{db}__:{root}/*"))
            .await
            .map_err(|e| format!("redis at {endpoint}: {e}"))?;
        Ok::<_, String>((endpoint.clone(), con, pubsub))
    })
    .await?;
    let mut notifications = pubsub.on_message();
    let mut last = None;
    loop {
        let keys = tokio::time::timeout(READ_TIMEOUT, read(&mut con, root))
            .await
            .map_err(|_| format!("redis at {endpoint}: no answer within {} s", READ_TIMEOUT.as_secs()))?
            .map_err(|e| format!("{e} (at {endpoint})"))?;
        backoff.reset();
        report.send_if_new(&mut last, News::Keys(Arc::new(keys))).await;
        tokio::select! {
            message = notifications.next() => {
                if message.is_none() {
                    return Err(format!("redis at {endpoint}: the notification connection closed"));
                }
                // A burst of writes: let it end, then read once.
                let quiet = Duration::from_millis(20);
                while let Ok(Some(_)) = tokio::time::timeout(quiet, notifications.next()).await {}
            }
            () = tokio::time::sleep(POLL_EVERY) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_escaped_credentials_and_the_database() {
        let config = KvProvider {
            username: Some("app".into()),
            password: Some("p@ss:w/rd".into()),
            db: Some(2),
            ..Default::default()
        };
        assert_eq!(url(&config, "127.0.0.1:6379"), "redis://app:p%40ss%3Aw%2Frd@127.0.0.1:6379/2");
        assert_eq!(url(&KvProvider::default(), "redis://h:1"), "redis://h:1/0");
    }
}
