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

use serde::Serialize;
use traefikee_client::output::Format;
use traefikee_client::{Client, Failure};

use crate::profile::{Profile, Profiles};

/// A loaded profile and a client for its cluster.
pub struct Session {
    pub profiles: Profiles,
    pub profile: Profile,
    pub client: Client,
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
        let mut client = Client::operator(&profile.target())?;
        if forward.is_none() {
            // When the preferred controller did not answer, remember every controller so the
            // next command knows them all.
            let (meta, profiles) = (profile.meta.clone(), profiles.clone());
            client = client.on_failover(move |addresses| {
                let mut updated = meta.clone();
                updated.api_addresses = addresses;
                if updated != meta {
                    let _ = profiles.update_meta(&updated);
                }
            });
        }
        Ok(Session { profiles, profile, client, format, _forward: forward })
    }

    pub fn print<T: Serialize>(&self, value: &T, table: impl FnOnce(&T) -> String) {
        traefikee_client::out!("{}", traefikee_client::output::render(self.format, value, table));
    }
}
