//! A running data node: the proxy engine, fed by whichever controller answers.
//!
//! The node holds one long poll open on a controller's configuration feed (the leader when it
//! knows it: its state is the freshest) and applies each new version atomically. Every
//! applied version is kept in the state dir, so a node restarted while no controller answers
//! serves its last configuration again. Heartbeats tell every controller the version this
//! node runs and teach the node the controllers that joined after it started.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use traefikee_apiserver::types::{ConfigRefusal, NodeList};
use traefikee_apiserver::ApiError;
use traefikee_proxy::config::{parse_document, Format};
use traefikee_proxy::engine::{Engine, EngineOptions};

use crate::controller::{decode, peer_client};
use crate::statedir::{write_private, NodeIdentity};
use crate::wire::{ConfigUpdate, Heartbeat, HeartbeatResponse};

/// Why a data node does not serve a configuration it received (it keeps the previous one).
#[derive(Debug, thiserror::Error)]
enum ServeError {
    #[error("{0}")]
    Parse(#[from] traefikee_proxy::config::ParseError),
    #[error("{0}")]
    Apply(#[from] traefikee_proxy::engine::ApplyError),
    #[error("the parse was interrupted: {0}")]
    Interrupted(#[from] tokio::task::JoinError),
}

const SAVED_CONFIG: &str = "config.json";
const SAVED_CONTROLLERS: &str = "controllers.json";
const FEED_WAIT: Duration = Duration::from_secs(20);

/// The last applied configuration, as kept in the state dir.
#[derive(Serialize, Deserialize)]
struct SavedConfig {
    version: u64,
    document: String,
}

pub struct DataNode {
    pub identity: NodeIdentity,
    /// Where this node listens, as reported to the controllers.
    pub address: String,
    dir: PathBuf,
    engine: Engine,
    client: reqwest::Client,
    controllers: Mutex<Vec<String>>,
    leader: Mutex<Option<String>>,
    /// The newest version received from the feed, served or refused: the feed's cursor.
    received: AtomicU64,
    /// The newest version this node refused to serve, and why; reported in heartbeats.
    config_refused: Mutex<Option<ConfigRefusal>>,
    /// The last reason a controller gave for refusing this node, so it is logged once.
    refusal: Mutex<Option<String>>,
    /// Set by [`DataNode::leave`]: heartbeats stop, so none lists the node again.
    leaving: AtomicBool,
    /// Held by each round of heartbeats, so [`DataNode::leave`] sends its goodbye only once
    /// none is in flight (a heartbeat arriving after it would list the node again).
    beating: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for DataNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataNode").field("name", &self.identity.name).finish_non_exhaustive()
    }
}

impl DataNode {
    /// Starts the engine and serves the saved configuration, if any.
    pub async fn start(
        identity: NodeIdentity,
        dir: PathBuf,
        options: EngineOptions,
        peers: &[String],
        address: String,
    ) -> Result<Arc<DataNode>, anyhow::Error> {
        let client = peer_client(&identity)?;
        let engine = Engine::start(options).await?;
        let mut controllers: Vec<String> = std::fs::read(dir.join(SAVED_CONTROLLERS))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        for p in peers {
            if !controllers.contains(p) {
                controllers.push(p.clone());
            }
        }
        let node = Arc::new(DataNode {
            identity,
            address,
            dir,
            engine,
            client,
            controllers: Mutex::new(controllers),
            leader: Mutex::new(None),
            received: AtomicU64::new(0),
            config_refused: Mutex::new(None),
            refusal: Mutex::new(None),
            leaving: AtomicBool::new(false),
            beating: tokio::sync::Mutex::new(()),
        });
        if let Some(saved) = node.saved_config() {
            match node.apply(&saved.document, saved.version).await {
                Ok(()) => tracing::info!(version = saved.version, "serving the last configuration from the state dir"),
                Err(e) => tracing::error!("the saved configuration cannot be served: {e}"),
            }
        }
        Ok(node)
    }

    /// The cluster configuration version in force (0: none yet).
    pub fn running(&self) -> u64 {
        self.engine.version()
    }

    /// Where the feed resumes: after the newest version received, served or not.
    fn cursor(&self) -> u64 {
        self.running().max(self.received.load(Ordering::Acquire))
    }

    fn saved_config(&self) -> Option<SavedConfig> {
        let bytes = std::fs::read(self.dir.join(SAVED_CONFIG)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    async fn apply(&self, document: &str, version: u64) -> Result<(), ServeError> {
        // Parsing tens of thousands of routers takes a while: not on the runtime that serves
        // the traffic. The engine validates the document once, as it applies it.
        let text = document.to_string();
        let doc = tokio::task::spawn_blocking(move || parse_document(&text, Format::Json)).await??;
        self.engine.apply_version(doc, version).await?;
        // Served already: failing to keep it only means a restart without any controller
        // serves the previous one.
        let saved = SavedConfig { version, document: document.to_string() };
        let kept = serde_json::to_vec(&saved)
            .map_err(|e| e.to_string())
            .and_then(|bytes| write_private(&self.dir.join(SAVED_CONFIG), &bytes).map_err(|e| e.to_string()));
        if let Err(e) = kept {
            tracing::warn!("could not keep configuration {version} in the state dir: {e}");
        }
        Ok(())
    }

    fn controllers(&self) -> Vec<String> {
        self.controllers.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The controllers to ask, the leader first.
    fn feed_order(&self) -> Vec<String> {
        let mut all = self.controllers();
        if let Some(leader) = self.leader.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            if let Some(pos) = all.iter().position(|a| *a == leader) {
                let l = all.remove(pos);
                all.insert(0, l);
            }
        }
        all
    }

    pub fn spawn(self: &Arc<Self>) {
        let feed = self.clone();
        tokio::spawn(async move { feed.follow().await });
        let beat = self.clone();
        tokio::spawn(async move { beat.heartbeats().await });
    }

    /// Follows the configuration feed forever, moving to another controller when one fails.
    async fn follow(self: Arc<Self>) {
        let mut backoff = Duration::from_millis(100);
        let mut cursor = 0usize;
        loop {
            let order = self.feed_order();
            if order.is_empty() {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            let addr = &order[cursor % order.len()];
            let url =
                format!("https://{addr}/cluster/v1/config?after={}&wait_ms={}", self.cursor(), FEED_WAIT.as_millis());
            let outcome = self.client.get(&url).timeout(FEED_WAIT + Duration::from_secs(5)).send().await;
            match outcome {
                Ok(resp) if resp.status() == reqwest::StatusCode::NO_CONTENT => {
                    backoff = Duration::from_millis(100);
                }
                Ok(resp) => match decode::<ConfigUpdate>(resp).await {
                    Ok(update) => {
                        backoff = Duration::from_millis(100);
                        // Do not ask again for a version this node cannot serve.
                        self.received.store(update.version, Ordering::Release);
                        match self.apply(&update.document, update.version).await {
                            Ok(()) => {
                                tracing::info!(version = update.version, from = %addr, "configuration applied");
                                *self.config_refused.lock().unwrap_or_else(|p| p.into_inner()) = None;
                            }
                            Err(e) => {
                                tracing::error!(
                                    version = update.version,
                                    running = self.running(),
                                    "configuration refused, the previous one keeps serving: {e}"
                                );
                                // Heartbeats report it: `list-nodes --details` and `deploy
                                // --wait` show the refusal, never a version not served.
                                *self.config_refused.lock().unwrap_or_else(|p| p.into_inner()) =
                                    Some(ConfigRefusal { version: update.version, error: e.to_string() });
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(controller = %addr, "configuration feed refused: {}", e.message);
                        cursor += 1;
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                },
                Err(e) => {
                    tracing::debug!(controller = %addr, "configuration feed unreachable: {e}");
                    cursor += 1;
                    if cursor.is_multiple_of(order.len()) {
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(2));
                    }
                }
            }
        }
    }

    /// Tells every controller, once a second, that this node is alive and what it runs.
    async fn heartbeats(self: Arc<Self>) {
        let mut tick = tokio::time::interval(crate::controller::HEARTBEAT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let _round = self.beating.lock().await;
            if self.leaving.load(Ordering::Acquire) {
                return;
            }
            let hello = self.hello(false);
            let sends = self.controllers().into_iter().map(|addr| {
                let req = self.heartbeat_to(&addr, &hello, Duration::from_millis(900));
                async move { (addr, req.send().await) }
            });
            for (addr, result) in futures::future::join_all(sends).await {
                let Ok(resp) = result else { continue };
                match decode::<HeartbeatResponse>(resp).await {
                    Ok(answer) => {
                        self.learn(&answer);
                        *self.refusal.lock().unwrap_or_else(|p| p.into_inner()) = None;
                    }
                    Err(e) => {
                        let mut last = self.refusal.lock().unwrap_or_else(|p| p.into_inner());
                        if last.as_deref() != Some(e.message.as_str()) {
                            tracing::warn!(controller = %addr, "the cluster refuses this node: {}; it keeps routing with its last configuration", e.message);
                            *last = Some(e.message);
                        }
                    }
                }
            }
        }
    }

    fn heartbeat_to(&self, controller: &str, hello: &Heartbeat, timeout: Duration) -> reqwest::RequestBuilder {
        self.client.post(format!("https://{controller}/cluster/v1/heartbeat")).json(hello).timeout(timeout)
    }

    fn hello(&self, leaving: bool) -> Heartbeat {
        Heartbeat {
            name: Some(self.identity.name.clone()),
            address: Some(self.address.clone()),
            config_version: Some(self.running()),
            config_refused: self.config_refused.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            leaving,
        }
    }

    /// Stops the heartbeats and tells the controllers that this node is gone for good, so
    /// they forget it now rather than list it DOWN until the grace period ends (a proxy pod
    /// of a Deployment: its replacement is another node). Gives up after two seconds: the
    /// grace period forgets it all the same. Returns whether a controller heard it.
    pub async fn leave(&self) -> bool {
        self.leaving.store(true, Ordering::Release);
        // The round in flight, if any, ends first; later ones see `leaving` and stop.
        drop(self.beating.lock().await);
        let hello = self.hello(true);
        let sends = self.controllers().into_iter().map(|addr| {
            let req = self.heartbeat_to(&addr, &hello, Duration::from_secs(2));
            async move { req.send().await.ok().is_some_and(|r| r.status().is_success()) }
        });
        let heard = futures::future::join_all(sends).await.into_iter().any(|ok| ok);
        if heard {
            tracing::info!("left the cluster: the controllers no longer list this node");
        } else {
            tracing::warn!("no controller heard that this node leaves: it is forgotten after the grace period");
        }
        heard
    }

    fn learn(&self, answer: &HeartbeatResponse) {
        let mut changed = false;
        {
            let mut known = self.controllers.lock().unwrap_or_else(|p| p.into_inner());
            for c in &answer.controllers {
                if !known.contains(&c.address) {
                    known.push(c.address.clone());
                    changed = true;
                }
            }
            if changed {
                if let Ok(bytes) = serde_json::to_vec(&*known) {
                    let _ = write_private(&self.dir.join(SAVED_CONTROLLERS), &bytes);
                }
            }
        }
        let leader =
            answer.leader.and_then(|l| answer.controllers.iter().find(|c| c.id == l)).map(|c| c.address.clone());
        if leader.is_some() {
            *self.leader.lock().unwrap_or_else(|p| p.into_inner()) = leader;
        }
    }

    /// The node list, from the first controller that answers.
    pub async fn nodes(&self) -> Result<NodeList, ApiError> {
        let mut last = ApiError::unavailable("no controller is known");
        for addr in self.feed_order() {
            match self
                .client
                .get(format!("https://{addr}/cluster/v1/nodes"))
                .timeout(Duration::from_secs(5))
                .send()
                .await
            {
                Ok(resp) => match decode::<NodeList>(resp).await {
                    Ok(list) => return Ok(list),
                    Err(e) => last = e,
                },
                Err(e) => last = ApiError::unavailable(format!("{addr}: {e}")),
            }
        }
        Err(ApiError::unavailable(format!("no control node answered: {}", last.message))
            .with_hint("the data node keeps routing with its last configuration meanwhile"))
    }

    pub async fn shutdown(&self) {
        self.engine.shutdown().await;
    }
}
