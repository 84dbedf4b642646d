//! A Consul KV server for tests: it stands in for Consul because no Consul binary can be
//! installed on these machines (Debian has no package, and only package registries are
//! reachable).
//!
//! It implements the part of Consul's KV HTTP API (`/v1/kv/`) that the Consul provider and
//! operators' tools use, as Consul documents it:
//! - `PUT /v1/kv/<key>` stores the body, `DELETE /v1/kv/<key>[?recurse]` deletes;
//! - `GET /v1/kv/<key>[?recurse]` answers a JSON array of entries (`Key`, base64 `Value`,
//!   `CreateIndex`, `ModifyIndex`, `LockIndex`, `Flags`), 404 when nothing matches, with the
//!   `X-Consul-Index` header;
//! - blocking queries: with `?index=N`, the answer waits until the index of what the query
//!   covers exceeds N or `wait` (default 5 minutes, at most 10) passes;
//! - ACLs: when started with a token, every request needs it in `X-Consul-Token` (or
//!   `?token=`); without it Consul answers 403 "Permission denied".

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::Engine;

#[derive(Default)]
struct Store {
    /// Key → (value, create index, modify index).
    keys: BTreeMap<String, (Vec<u8>, u64, u64)>,
    /// The raft index of the last write (Consul's `X-Consul-Index` for a deleted prefix).
    index: u64,
    /// Deleted keys and the index of their deletion: Consul keeps tombstones, so a blocking
    /// query on a prefix wakes when a key under it is deleted.
    tombstones: BTreeMap<String, u64>,
}

struct Shared {
    store: Mutex<Store>,
    changed: tokio::sync::watch::Sender<u64>,
    token: Option<String>,
}

/// A running stand-in; stops when dropped.
pub struct ConsulKv {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl ConsulKv {
    /// Serves on `ip` (a free port), requiring `token` when given.
    pub fn start(ip: &str, token: Option<&str>) -> ConsulKv {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let shared = Arc::new(Shared {
            store: Mutex::new(Store { index: 1, ..Default::default() }),
            changed: tokio::sync::watch::channel(1).0,
            token: token.map(str::to_string),
        });
        let listener = runtime.block_on(tokio::net::TcpListener::bind(format!("{ip}:0"))).unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/v1/kv/{*key}", get(read).put(write).delete(remove)).with_state(shared.clone());
        runtime.spawn(async move { axum::serve(listener, app).await });
        ConsulKv { addr, shared, runtime: Some(runtime) }
    }

    /// Stores a key, as `consul kv put` does.
    pub fn put(&self, key: &str, value: &str) {
        put(&self.shared, key, value.as_bytes().to_vec());
    }

    /// Deletes a key.
    pub fn delete(&self, key: &str) {
        delete(&self.shared, key, false);
    }

    /// Makes the index go backwards, as Consul's does after a snapshot restore or a new
    /// cluster: clients must start their blocking queries over (Consul's documentation).
    pub fn reset_index(&self) {
        let mut store = self.shared.store.lock().unwrap();
        store.index = 1;
        store.tombstones.clear();
        for entry in store.keys.values_mut() {
            entry.1 = 1;
            entry.2 = 1;
        }
        self.shared.changed.send_replace(1);
    }
}

impl Drop for ConsulKv {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

fn put(shared: &Shared, key: &str, value: Vec<u8>) -> u64 {
    let mut store = shared.store.lock().unwrap();
    store.index += 1;
    let index = store.index;
    let create = store.keys.get(key).map_or(index, |(_, c, _)| *c);
    store.keys.insert(key.to_string(), (value, create, index));
    store.tombstones.remove(key);
    shared.changed.send_replace(index);
    index
}

fn delete(shared: &Shared, key: &str, recurse: bool) {
    let mut store = shared.store.lock().unwrap();
    store.index += 1;
    let index = store.index;
    let gone: Vec<String> = if recurse {
        store.keys.keys().filter(|k| k.starts_with(key)).cloned().collect()
    } else {
        store.keys.keys().filter(|k| *k == key).cloned().collect()
    };
    for k in gone {
        store.keys.remove(&k);
        store.tombstones.insert(k, index);
    }
    shared.changed.send_replace(store.index);
}

/// Whether the request carries the ACL token (when one is required).
fn allowed(shared: &Shared, headers: &HeaderMap, query: &BTreeMap<String, String>) -> bool {
    let Some(token) = &shared.token else { return true };
    let given = headers.get("X-Consul-Token").and_then(|v| v.to_str().ok()).or(query.get("token").map(String::as_str));
    given == Some(token.as_str())
}

fn denied() -> Response {
    (StatusCode::FORBIDDEN, "Permission denied").into_response()
}

/// A stored entry as a query answers it: key, value, create and modify indexes.
type Entry = (String, Vec<u8>, u64, u64);

/// Consul's `wait`: a duration such as `30s` or `5m` (capped at 10 minutes).
fn wait_of(query: &BTreeMap<String, String>) -> Duration {
    let parse = |w: &str| -> Option<Duration> {
        let (n, unit) = w.split_at(w.find(|c: char| !c.is_ascii_digit())?);
        let n: u64 = n.parse().ok()?;
        Some(match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n * 60),
            _ => return None,
        })
    };
    query.get("wait").and_then(|w| parse(w)).unwrap_or(Duration::from_secs(300)).min(Duration::from_secs(600))
}

/// The entries a query covers and their index (the highest modify index among them, or the
/// store's index when there are none, as Consul answers for a missing prefix).
fn covered(store: &Store, key: &str, recurse: bool) -> (Vec<Entry>, u64) {
    let entries: Vec<_> = if recurse {
        store
            .keys
            .range(key.to_string()..)
            .take_while(|(k, _)| k.starts_with(key))
            .map(|(k, v)| (k.clone(), v.0.clone(), v.1, v.2))
            .collect()
    } else {
        store.keys.get(key).map(|v| (key.to_string(), v.0.clone(), v.1, v.2)).into_iter().collect()
    };
    let deleted = if recurse {
        store.tombstones.range(key.to_string()..).take_while(|(k, _)| k.starts_with(key)).map(|(_, i)| *i).max()
    } else {
        store.tombstones.get(key).copied()
    };
    let index = entries.iter().map(|e| e.3).chain(deleted).max().unwrap_or(store.index);
    (entries, index)
}

async fn read(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !allowed(&shared, &headers, &query) {
        return denied();
    }
    let recurse = query.contains_key("recurse");
    let after: Option<u64> = query.get("index").and_then(|i| i.parse().ok());
    let mut changed = shared.changed.subscribe();
    let deadline = tokio::time::Instant::now() + wait_of(&query);
    let (entries, index) = loop {
        let (entries, index) = covered(&shared.store.lock().unwrap(), &key, recurse);
        match after {
            Some(after) if index <= after && tokio::time::Instant::now() < deadline => {
                if tokio::time::timeout_at(deadline, changed.changed()).await.is_err() {
                    break (entries, index);
                }
            }
            _ => break (entries, index),
        }
    };
    let mut resp = if entries.is_empty() {
        StatusCode::NOT_FOUND.into_response()
    } else {
        let b64 = base64::engine::general_purpose::STANDARD;
        let list: Vec<serde_json::Value> = entries
            .into_iter()
            .map(|(k, v, create, modify)| {
                serde_json::json!({
                    "Key": k, "Value": if v.is_empty() { serde_json::Value::Null } else { b64.encode(v).into() },
                    "CreateIndex": create, "ModifyIndex": modify, "LockIndex": 0, "Flags": 0,
                })
            })
            .collect();
        axum::Json(list).into_response()
    };
    resp.headers_mut().insert("X-Consul-Index", HeaderValue::from(index));
    resp
}

async fn write(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !allowed(&shared, &headers, &query) {
        return denied();
    }
    put(&shared, &key, body.to_vec());
    axum::Json(true).into_response()
}

async fn remove(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !allowed(&shared, &headers, &query) {
        return denied();
    }
    delete(&shared, &key, query.contains_key("recurse"));
    axum::Json(true).into_response()
}
