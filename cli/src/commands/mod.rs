//! One module per `traefikeectl` command, and the session they share.

pub mod audit;
pub mod backup;
pub mod completion;
pub mod config;
pub mod connect;
pub mod credentials;
pub mod install;
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
}

impl Session {
    pub fn open(clustername: Option<&str>, format: Format) -> Result<Session, Failure> {
        let profiles = Profiles::locate()?;
        let profile = profiles.load(clustername)?;
        let client = ApiClient::new(&profile)?;
        Ok(Session { profiles, profile, client, format })
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
        if answered == self.profile.meta.api_address {
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
