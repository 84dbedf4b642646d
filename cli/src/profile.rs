//! Saved cluster profiles: `$XDG_CONFIG_HOME/traefikee/<name>/` (default `~/.config/traefikee`),
//! the directory 0700 and every file 0600, and `current` naming the last one connected.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use traefikee_apiserver::ErrorCode;

use traefikee_client::Failure;

/// What a profile remembers about a cluster.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProfileMeta {
    pub name: String,
    pub cluster_id: String,
    pub operator: String,
    /// The address given to `connect` (a controller or a VIP); tried first.
    pub api_address: String,
    /// Every controller's API address, learned from the cluster; tried when the first fails.
    pub api_addresses: Vec<String>,
    /// A cluster installed on Kubernetes: its API is reached through a port forward to a
    /// ready controller (current kubeconfig context), not through `api_address`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes: Option<KubeTarget>,
}

/// Where a Kubernetes-installed cluster lives.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KubeTarget {
    pub namespace: String,
}

#[derive(Clone)]
pub struct Profile {
    pub meta: ProfileMeta,
    pub dir: PathBuf,
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile").field("meta", &self.meta).field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl Profile {
    /// Where the profile's cluster is and the credential that proves who we are.
    pub fn target(&self) -> traefikee_client::Target<'_> {
        traefikee_client::Target {
            cluster: &self.meta.name,
            cluster_id: Some(&self.meta.cluster_id),
            addresses: self.addresses(),
            ca_pem: &self.ca_pem,
            cert_pem: &self.cert_pem,
            key_pem: &self.key_pem,
        }
    }

    /// Addresses to try, the given one first, without duplicates.
    pub fn addresses(&self) -> Vec<String> {
        let mut out = vec![self.meta.api_address.clone()];
        for a in &self.meta.api_addresses {
            if !out.contains(a) {
                out.push(a.clone());
            }
        }
        out
    }
}

#[derive(Clone)]
pub struct Profiles {
    root: PathBuf,
}

const CURRENT: &str = "current";
const META: &str = "profile.json";

fn io_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure::io(format!("cannot use {}: {e}", path.display()))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let tmp = path.with_extension("tmp");
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| io_failure(&tmp, e))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| io_failure(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| io_failure(path, e))
}

/// An XDG base directory: `$<var>`, or `$HOME/<fallback>`; `what` says what it is for.
pub fn xdg_dir(var: &str, fallback: &str, what: &str) -> Result<PathBuf, Failure> {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => Ok(PathBuf::from(home).join(fallback)),
            None => Err(Failure::refused(format!("neither {var} nor HOME is set: nowhere to keep {what}"))),
        },
    }
}

impl Profiles {
    /// `$XDG_CONFIG_HOME/traefikee`, or `$HOME/.config/traefikee`.
    pub fn locate() -> Result<Profiles, Failure> {
        Ok(Profiles { root: xdg_dir("XDG_CONFIG_HOME", ".config", "profiles")?.join("traefikee") })
    }

    /// The directory of profile `name`. Anything but a plain name is refused, so that no name
    /// (a flag, the `current` file, a cluster's answer) reaches outside the profiles' root.
    pub fn dir_of(&self, name: &str) -> Result<PathBuf, Failure> {
        traefikee_records::names::check_cluster_name(name).map_err(|e| {
            Failure::refused(format!("{e}")).hint("profiles are named after clusters; pick another with --clustername")
        })?;
        Ok(self.root.join(name))
    }

    fn current_name(&self) -> Option<String> {
        fs::read_to_string(self.root.join(CURRENT)).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    }

    /// The profile `name`, or the last one connected.
    pub fn load(&self, name: Option<&str>) -> Result<Profile, Failure> {
        let name = match name.map(str::to_string).or_else(|| self.current_name()) {
            Some(n) => n,
            None => return Err(Failure::new(ErrorCode::Unauthenticated, "no cluster profile yet").hint(
                "connect first: traefikeectl connect --onpremise.mtlscertsdir=DIR --onpremise.apiaddress=HOST:55055",
            )),
        };
        self.read(&name)?.ok_or_else(|| {
            Failure::new(ErrorCode::Unauthenticated, format!("no profile named {name:?} in {}", self.root.display()))
                .hint("connect to that cluster first, or pick another with --clustername")
        })
    }

    /// Reads a profile if it exists.
    pub fn read(&self, name: &str) -> Result<Option<Profile>, Failure> {
        let dir = self.dir_of(name)?;
        let meta_path = dir.join(META);
        let bytes = match fs::read(&meta_path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_failure(&meta_path, e)),
        };
        let meta: ProfileMeta = serde_json::from_slice(&bytes)
            .map_err(|e| Failure::io(format!("{} is damaged: {e}", meta_path.display())))?;
        let read = |f: &str| fs::read_to_string(dir.join(f)).map_err(|e| io_failure(&dir.join(f), e));
        Ok(Some(Profile { ca_pem: read("ca.pem")?, cert_pem: read("cert.pem")?, key_pem: read("key.pem")?, meta, dir }))
    }

    /// Writes a profile and makes it the current one. Returns its directory.
    pub fn save(&self, p: &Profile) -> Result<PathBuf, Failure> {
        let dir = self.dir_of(&p.meta.name)?;
        fs::create_dir_all(&dir).map_err(|e| io_failure(&dir, e))?;
        fs::set_permissions(&self.root, fs::Permissions::from_mode(0o700)).map_err(|e| io_failure(&self.root, e))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(|e| io_failure(&dir, e))?;
        write_private(&dir.join("ca.pem"), p.ca_pem.as_bytes())?;
        write_private(&dir.join("cert.pem"), p.cert_pem.as_bytes())?;
        write_private(&dir.join("key.pem"), p.key_pem.as_bytes())?;
        let meta = serde_json::to_vec_pretty(&p.meta).map_err(|e| Failure::internal(e.to_string()))?;
        write_private(&dir.join(META), &meta)?;
        write_private(&self.root.join(CURRENT), p.meta.name.as_bytes())?;
        Ok(dir)
    }

    /// Rewrites only the metadata (e.g. learned addresses) of an existing profile.
    pub fn update_meta(&self, meta: &ProfileMeta) -> Result<(), Failure> {
        let bytes = serde_json::to_vec_pretty(meta).map_err(|e| Failure::internal(e.to_string()))?;
        write_private(&self.dir_of(&meta.name)?.join(META), &bytes)
    }
}
