//! One module per `traefikeectl` command, and the session they share.

pub mod audit;
pub mod backup;
pub mod completion;
pub mod config;
pub mod connect;
pub mod credentials;
pub mod install;
pub mod kubernetes;
pub mod nodes;
pub mod tokens;
pub mod version;

use serde::de::DeserializeOwned;
use serde::Serialize;
use traefikee_apiserver::types::ClusterInfo;

use crate::client::ApiClient;
use crate::failure::Failure;
use crate::output::Format;
use crate::profile::{Profile, Profiles};

/// A loaded profile and a client for its cluster.
pub struct Session {
    pub profiles: Profiles,
    pub profile: Profile,
    pub client: ApiClient,
    pub format: Format,
    /// Keeps the port forward of a Kubernetes profile open while the session lives.
    _forward: Option<traefikee_kube::ApiForward>,
}

impl Session {
    pub async fn open(clustername: Option<&str>, format: Format) -> Result<Session, Failure> {
        let profiles = Profiles::locate()?;
        let mut profile = profiles.load(clustername)?;
        let mut forward = None;
        if let Some(target) = profile.meta.kubernetes.clone() {
            let f = kubernetes::forward(&target.namespace).await?;
            // Only the forward reaches the controllers; the pods' addresses are in-cluster.
            profile.meta.api_address = f.local_addr.to_string();
            profile.meta.api_addresses.clear();
            forward = Some(f);
        }
        let client = ApiClient::new(&profile)?;
        Ok(Session { profiles, profile, client, format, _forward: forward })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        let (v, addr) = self.client.send::<(), T>(reqwest::Method::GET, path, None).await?;
        self.learn(&addr).await;
        Ok(v)
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, Failure> {
        let (v, addr) = self.client.send(reqwest::Method::POST, path, Some(body)).await?;
        self.learn(&addr).await;
        Ok(v)
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        let (v, addr) = self.client.send::<(), T>(reqwest::Method::DELETE, path, None).await?;
        self.learn(&addr).await;
        Ok(v)
    }

    /// When the given address did not answer, refresh the list of controllers so the next
    /// command knows them all.
    async fn learn(&self, answered: &str) {
        if answered == self.profile.meta.api_address || self._forward.is_some() {
            return;
        }
        if let Ok(info) = self.client.get::<ClusterInfo>("/api/v1/cluster").await {
            let mut meta = self.profile.meta.clone();
            meta.api_addresses = info.controllers.into_iter().filter_map(|c| c.api_address).collect();
            if meta != self.profile.meta {
                let _ = self.profiles.update_meta(&meta);
            }
        }
    }

    pub fn print<T: Serialize>(&self, value: &T, table: impl FnOnce(&T) -> String) {
        print!("{}", crate::output::render(self.format, value, table));
    }
}

/// Percent-encodes a path segment.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
