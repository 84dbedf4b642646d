//! `traefikeectl connect`: exchange one-time credentials for a personal certificate whose key
//! is generated here and never leaves this machine.
//!
//! The one-time credential comes from a directory (`--onpremise.mtlscertsdir`, as
//! `traefikee bootstrap` and `credentials create` write it) or, with `--kubernetes`, from the
//! Secret `install --kubernetes` left in the cluster's namespace; either way it is removed
//! once used.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use traefikee_apiserver::types::ExchangeRequest;
use traefikee_apiserver::ErrorCode;
use traefikee_pki::{inspect_cert_pem, new_key_and_csr, Role};
use traefikee_records::names::check_cluster_name;

use crate::args::ConnectArgs;
use crate::profile::{KubeTarget, Profile, ProfileMeta, Profiles};
use traefikee_client::{Client, Target};
use traefikee_client::{Failure, Outcome};

const FILES: [&str; 3] = ["ca.pem", "cert.pem", "key.pem"];

/// A one-time credential: the cluster CA, the certificate and its key (PEM).
pub struct OneTime {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
}

/// Where the one-time credential came from, and so how it is removed once used.
pub enum Source {
    Dir(PathBuf),
    Kubernetes { client: traefikee_kube::Client, namespace: String },
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Dir(dir) => dir.display().to_string(),
            Source::Kubernetes { namespace, .. } => format!("Secret traefikee-credentials of namespace {namespace}"),
        }
    }

    fn kubernetes(&self) -> Option<KubeTarget> {
        match self {
            Source::Dir(_) => None,
            Source::Kubernetes { namespace, .. } => Some(KubeTarget { namespace: namespace.clone() }),
        }
    }

    /// Removes the used credential; returns what could not be removed.
    async fn remove(&self) -> Vec<String> {
        match self {
            Source::Dir(dir) => {
                let mut leftovers = Vec::new();
                for f in FILES {
                    let p = dir.join(f);
                    if fs::remove_file(&p).is_err() && p.exists() {
                        leftovers.push(p.display().to_string());
                    }
                }
                let _ = fs::remove_dir(dir);
                leftovers
            }
            Source::Kubernetes { client, namespace } => {
                match traefikee_kube::delete_credentials(client.clone(), namespace).await {
                    Ok(()) => Vec::new(),
                    Err(e) => vec![format!("{} ({e})", self.describe())],
                }
            }
        }
    }
}

pub fn read_credentials(dir: &Path) -> Result<OneTime, Failure> {
    let read = |f: &str| fs::read_to_string(dir.join(f));
    match (read("ca.pem"), read("cert.pem"), read("key.pem")) {
        (Ok(ca_pem), Ok(cert_pem), Ok(key_pem)) => Ok(OneTime { ca_pem, cert_pem, key_pem }),
        _ => Err(Failure::refused(format!("no credentials in {} (ca.pem, cert.pem and key.pem)", dir.display())).hint(
            "copy the directory `traefikee bootstrap` wrote (--mtlscertsoutputdir, ./.traefikee by default) or the one `traefikeectl credentials create` wrote",
        )),
    }
}

fn step(text: &str) {
    traefikee_client::out!("{text}...");
    let _ = std::io::stdout().flush();
}

pub async fn run(clustername: Option<String>, args: ConnectArgs) -> Outcome {
    if args.kubernetes {
        return super::kubernetes::connect(clustername, &args).await;
    }
    let (Some(dir), Some(api_address)) = (args.mtlscertsdir.clone(), args.apiaddress.clone()) else {
        return Err(Failure::refused(
            "connect needs --onpremise.mtlscertsdir and --onpremise.apiaddress, or --kubernetes",
        ));
    };
    let creds = read_credentials(&dir)?;
    exchange(clustername, creds, Source::Dir(dir), api_address, args.name.clone(), args.force).await
}

/// Exchanges `creds` at `api_address` for a personal credential, removes them from `source`
/// and saves the profile.
pub async fn exchange(
    clustername: Option<String>,
    creds: OneTime,
    source: Source,
    api_address: String,
    operator: Option<String>,
    force: bool,
) -> Outcome {
    let profiles = Profiles::locate()?;
    let info = inspect_cert_pem(&creds.cert_pem)
        .map_err(|e| Failure::refused(format!("the credentials are unreadable: {e}")))?;
    if info.identity.role != Role::Enrollment {
        return Err(Failure::refused(format!(
            "{} holds a {} certificate, not one-time credentials",
            source.describe(),
            info.identity.role
        ))
        .hint("connect takes the credentials written by `traefikee bootstrap` or `traefikeectl credentials create`"));
    }
    let cluster_id = info.identity.cluster_id.clone();
    let provisional_name = clustername.clone().unwrap_or_else(|| cluster_id.clone());
    let client = Client::with_identity(&Target {
        cluster: &provisional_name,
        cluster_id: Some(&cluster_id),
        addresses: vec![api_address.clone()],
        ca_pem: &creds.ca_pem,
        cert_pem: &creds.cert_pem,
        key_pem: &creds.key_pem,
    })?;
    let cluster = client.cluster_info().await?;
    // The profile's name becomes a directory name: checked before the credential is used.
    let name = match clustername {
        Some(name) => {
            check_cluster_name(&name)
                .map_err(|e| Failure::refused(e.to_string()).hint("pick another --clustername; nothing was changed"))?;
            name
        }
        None => {
            check_cluster_name(&cluster.name).map_err(|e| {
                Failure::refused(format!("the cluster at {api_address} answered with an unusable name: {e}"))
                    .hint("name the profile yourself with --clustername=NAME; nothing was changed")
            })?;
            cluster.name
        }
    };
    if let Some(existing) = profiles.read(&name)? {
        if !force {
            let what = if existing.meta.cluster_id == cluster_id { "this cluster" } else { "another cluster" };
            return Err(Failure::refused(format!("a profile named {name:?} already exists for {what}"))
                .hint("pick another profile name with --clustername, or replace it with --force"));
        }
    }

    step("Retrieving traefikee API credentials");
    let operator = operator.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "admin".into());
    let key = new_key_and_csr(&operator).map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?;
    let exchanged = match client.exchange(&ExchangeRequest { name: Some(operator), csr_pem: key.csr_pem }).await {
        Ok(r) => {
            traefikee_client::outln!("ok");
            r
        }
        Err(f) => {
            traefikee_client::outln!("failed");
            return Err(f);
        }
    };

    step("Removing cluster credentials from platform");
    let leftovers = source.remove().await;
    if leftovers.is_empty() {
        traefikee_client::outln!("ok");
    } else {
        traefikee_client::outln!("failed");
        eprintln!("warning: could not remove {}; they are used up, delete them", leftovers.join(", "));
    }

    let profile = Profile {
        meta: ProfileMeta {
            name: name.clone(),
            cluster_id,
            operator: exchanged.name,
            api_address,
            api_addresses: exchanged.api_addresses,
            kubernetes: source.kubernetes(),
        },
        dir: profiles.dir_of(&name)?,
        ca_pem: exchanged.ca_pem,
        cert_pem: exchanged.cert_pem,
        key_pem: key.key_pem,
    };
    let dir = profiles.save(&profile)?;
    traefikee_client::outln!(
        "Credentials saved in \"{}\", please make sure to keep them safe as they can never be retrieved again.",
        dir.display()
    );
    traefikee_client::outln!(
        "✔ Successfully gained access to the cluster. You can now use other traefikeectl commands."
    );
    Ok(())
}
