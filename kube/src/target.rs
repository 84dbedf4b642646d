//! Which Kubernetes the manifests are for. A server serves the API versions and fields of its
//! release only: 1.20 has no `policy/v1` PodDisruptionBudget (1.21) and refuses the
//! StatefulSet's `persistentVolumeClaimRetentionPolicy` (1.23) under server-side apply. So
//! install asks the server what it serves and renders for that, leaving out what it does not
//! know, as kubectl and Helm charts do; `--dry-run` renders for [`KubeVersion::NEWEST`] unless
//! given `--kube-version`.

use std::fmt;
use std::str::FromStr;

use kube::Client;

use crate::error::reason;
use crate::KubeError;

/// A Kubernetes release, major and minor (`1.20`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubeVersion {
    /// The oldest release install supports: the one Debian 12 ships, and the CI's real cluster.
    pub const OLDEST: KubeVersion = KubeVersion { major: 1, minor: 20 };
    /// The newest release this build knows (the Kubernetes API types it is built with).
    pub const NEWEST: KubeVersion = KubeVersion { major: 1, minor: 36 };

    pub const fn new(major: u32, minor: u32) -> Self {
        KubeVersion { major, minor }
    }

    /// From the `major` and `minor` of a server's `/version`, which some distributions
    /// suffix (`"20+"`).
    pub fn from_server(major: &str, minor: &str) -> Option<Self> {
        let number = |s: &str| s.trim_end_matches(|c: char| !c.is_ascii_digit()).parse::<u32>().ok();
        Some(KubeVersion { major: number(major)?, minor: number(minor)? })
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// `1.20`, `v1.20`, `1.20.2` or `v1.20.2+k3s1`: the patch release does not matter.
impl FromStr for KubeVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{s:?} is not a Kubernetes version: expected MAJOR.MINOR, such as 1.20 or v1.30.2");
        let core = s.trim().trim_start_matches('v');
        let core = core.split(['+', '-']).next().unwrap_or_default();
        let mut parts = core.split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if parts.next().is_some_and(|patch| patch.parse::<u32>().is_err()) {
            return Err(bad());
        }
        Ok(KubeVersion { major, minor })
    }
}

/// The PodDisruptionBudget API a server serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdbApi {
    /// `policy/v1`: Kubernetes 1.21 and later.
    V1,
    /// `policy/v1beta1`: up to 1.24 (removed in 1.25).
    V1Beta1,
}

impl PdbApi {
    pub fn api_version(self) -> &'static str {
        match self {
            PdbApi::V1 => "policy/v1",
            PdbApi::V1Beta1 => "policy/v1beta1",
        }
    }
}

/// What the manifests are rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub version: KubeVersion,
    pub pdb: PdbApi,
}

impl Default for Target {
    /// The newest Kubernetes: what `--dry-run` renders without `--kube-version`.
    fn default() -> Self {
        Target::for_version(KubeVersion::NEWEST)
    }
}

impl Target {
    /// What a release serves by default.
    pub fn for_version(version: KubeVersion) -> Self {
        let pdb = if version >= KubeVersion::new(1, 21) { PdbApi::V1 } else { PdbApi::V1Beta1 };
        Target { version, pdb }
    }

    /// Whether the StatefulSet takes `persistentVolumeClaimRetentionPolicy` (1.23; a server
    /// whose feature gate is off accepts and drops it, an older one refuses it).
    pub fn pvc_retention_policy(&self) -> bool {
        self.version >= KubeVersion::new(1, 23)
    }

    /// Whether `net.ipv4.ip_unprivileged_port_start` is a safe sysctl (1.22). On older
    /// servers a pod may set it only on nodes whose kubelet allows it
    /// (`--allowed-unsafe-sysctls`): the proxies need it to listen on 80 and 443 without root.
    pub fn unprivileged_port_sysctl_is_safe(&self) -> bool {
        self.version >= KubeVersion::new(1, 22)
    }

    /// Refuses a release older than [`KubeVersion::OLDEST`].
    pub fn check(&self) -> Result<(), KubeError> {
        if self.version < KubeVersion::OLDEST {
            return Err(KubeError::Unsupported {
                version: self.version.to_string(),
                oldest: KubeVersion::OLDEST.to_string(),
            });
        }
        Ok(())
    }

    /// Asks the server: its release (`/version`) and whether it serves `policy/v1`
    /// PodDisruptionBudgets (discovery, so a server that disables an API is rendered for
    /// correctly whatever its version says).
    pub async fn discover(client: &Client) -> Result<Self, KubeError> {
        let info = client
            .apiserver_version()
            .await
            .map_err(|e| KubeError::from_kube("reading the Kubernetes API server's version", &e))?;
        let version = KubeVersion::from_server(&info.major, &info.minor).ok_or_else(|| KubeError::Api {
            action: "reading the Kubernetes API server's version".into(),
            reason: format!("unexpected version {:?}.{:?} ({})", info.major, info.minor, info.git_version),
        })?;
        let mut target = Target::for_version(version);
        target.check()?;
        target.pdb = match client.list_api_group_resources("policy/v1").await {
            Ok(list) if list.resources.iter().any(|r| r.name == "poddisruptionbudgets") => PdbApi::V1,
            Ok(_) => PdbApi::V1Beta1,
            Err(e) if crate::error::is_not_found(&e) => PdbApi::V1Beta1,
            Err(e) => {
                return Err(KubeError::Api {
                    action: "asking the Kubernetes API server which APIs it serves".into(),
                    reason: reason(&e),
                })
            }
        };
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_users_write_them() {
        for (text, want) in [
            ("1.20", (1, 20)),
            ("v1.20", (1, 20)),
            ("1.20.2", (1, 20)),
            ("v1.30.2+k3s1", (1, 30)),
            ("v1.28.3-gke.100", (1, 28)),
            (" 1.36 ", (1, 36)),
        ] {
            assert_eq!(text.parse::<KubeVersion>(), Ok(KubeVersion::new(want.0, want.1)), "{text}");
        }
        for bad in ["", "1", "v", "one.two", "1.x", "1.20.x", "1..20"] {
            let err = bad.parse::<KubeVersion>().unwrap_err();
            assert!(err.contains("MAJOR.MINOR"), "{bad}: {err}");
        }
    }

    #[test]
    fn server_versions_with_suffixes_parse() {
        assert_eq!(KubeVersion::from_server("1", "20+"), Some(KubeVersion::new(1, 20)));
        assert_eq!(KubeVersion::from_server("1", "36"), Some(KubeVersion::new(1, 36)));
        assert_eq!(KubeVersion::from_server("", "20"), None);
    }

    #[test]
    fn each_release_gets_what_it_serves() {
        let old = Target::for_version(KubeVersion::new(1, 20));
        assert_eq!(old.pdb, PdbApi::V1Beta1);
        assert!(!old.pvc_retention_policy());
        assert!(!old.unprivileged_port_sysctl_is_safe());
        let mid = Target::for_version(KubeVersion::new(1, 22));
        assert_eq!(mid.pdb, PdbApi::V1);
        assert!(!mid.pvc_retention_policy());
        assert!(mid.unprivileged_port_sysctl_is_safe());
        let new = Target::default();
        assert_eq!((new.version, new.pdb, new.pvc_retention_policy()), (KubeVersion::NEWEST, PdbApi::V1, true));
    }

    #[test]
    fn releases_before_the_oldest_are_refused() {
        assert!(Target::for_version(KubeVersion::OLDEST).check().is_ok());
        let err = Target::for_version(KubeVersion::new(1, 19)).check().unwrap_err().to_string();
        assert!(err.contains("1.19") && err.contains("1.20"), "{err}");
    }
}
