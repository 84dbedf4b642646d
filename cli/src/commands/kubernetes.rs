//! `install --kubernetes`, `uninstall --kubernetes` and `connect --kubernetes`, and the port
//! forward of a Kubernetes profile's session: traefikeectl's side of Kubernetes, with
//! `traefikee-kube` doing the API calls. `super::install` dispatches here.
//!
//! traefikeectl makes the cluster's identity before anything is applied (a CA, the join
//! tokens, a one-time API credential: `traefikee_records::seed`), because the Secrets that
//! hold them are part of the manifests; the first controller bootstraps from that seed
//! archive. The controllers' API Service is a ClusterIP one, so this machine reaches it
//! through a port forward, for the connect and for every later command of the profile.

use std::time::Duration;

use traefikee_apiserver::ErrorCode;
use traefikee_kube::{Credentials, InstallOptions, KubeError, Seed, Step};

use super::connect::{OneTime, Source};
use crate::args::{ConnectArgs, InstallArgs, UninstallArgs};
use crate::profile::Profiles;
use crate::progress::spinner;
use traefikee_client::output::Format;
use traefikee_client::{Failure, Outcome};

fn kube_failure(e: KubeError) -> Failure {
    match e {
        KubeError::InvalidOptions(_) | KubeError::Unsupported { .. } => Failure::refused(e.to_string()),
        other => Failure::new(ErrorCode::Unavailable, other.to_string()),
    }
}

async fn client() -> Result<traefikee_kube::Client, Failure> {
    traefikee_kube::client_from_kubeconfig().await.map_err(kube_failure)
}

/// A port forward to a ready controller's API in `namespace`.
pub async fn forward(namespace: &str) -> Result<traefikee_kube::ApiForward, Failure> {
    let client = client().await?;
    traefikee_kube::forward_api(client, namespace).await.map_err(kube_failure)
}

/// The options `install --kubernetes` asks for, with a fresh seed or one from a backup.
fn options(clustername: Option<String>, args: &InstallArgs) -> Result<InstallOptions, Failure> {
    let created_by = "traefikeectl install --kubernetes";
    let seed = match &args.archivepath {
        Some(path) => {
            let passphrase = traefikee_client::backup::read_passphrase(args.passphrase_file.as_deref())?;
            let backup = traefikee_client::backup::read_archive(path, passphrase.as_deref())?;
            let seed = traefikee_records::seed::from_backup(&backup, created_by)
                .map_err(|e| Failure::refused(format!("{}: {e}", path.display())).hint("nothing was installed"))?;
            // The archive names the cluster, and so the profile's directory.
            traefikee_records::names::check_cluster_name(&seed.cluster_name).map_err(|e| {
                Failure::refused(format!("{}: the archive's {e}", path.display())).hint("nothing was installed")
            })?;
            seed
        }
        None => {
            let name = clustername.as_deref().unwrap_or(traefikee_kube::DEFAULT_CLUSTER_NAME);
            traefikee_records::seed::new_cluster(name, created_by)
                .map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))?
        }
    };
    Ok(InstallOptions {
        namespace: args.namespace.clone(),
        cluster_name: seed.cluster_name.clone(),
        control_nodes: args.control_nodes,
        data_nodes: args.data_nodes,
        dashboard: false,
        image: args.image.clone().unwrap_or_else(traefikee_kube::default_image),
        seed: Seed {
            archive: seed.archive,
            control_token: seed.control_token,
            data_token: seed.data_token,
            enrollment: Credentials { ca_pem: seed.ca_pem, cert_pem: seed.cert_pem, key_pem: seed.key_pem },
        },
        force: args.force,
        wait_timeout: Duration::from_secs(args.wait_timeout),
        ..InstallOptions::default()
    })
}

pub async fn install(clustername: Option<String>, args: &InstallArgs, format: Format) -> Outcome {
    super::install::refuse_dashboard(args)?;
    let opts = options(clustername, args)?;
    for warning in traefikee_kube::check(&opts).map_err(kube_failure)? {
        eprintln!("warning: {warning}");
    }
    if args.dry_run {
        let target = args.kube_version.map(traefikee_kube::Target::for_version).unwrap_or_default();
        target.check().map_err(kube_failure)?;
        return dry_run(&opts, &target, format);
    }
    let client = client().await?;
    let bar = spinner("");
    let installed = traefikee_kube::install(client.clone(), &opts, &|step: Step| {
        if bar.is_hidden() {
            eprintln!("{step}");
        }
        bar.set_message(step.to_string());
    })
    .await;
    bar.finish_and_clear();
    let installed = installed.map_err(kube_failure)?;
    eprintln!(
        "✔ Cluster {} installed in namespace {}: {} control nodes, {} data nodes",
        installed.cluster_name, installed.namespace, opts.control_nodes, opts.data_nodes
    );

    let connect = connect_to(client, Some(installed.cluster_name.clone()), &installed.namespace, None, args.force);
    connect.await.map_err(|f| {
        let hint = format!(
            "the cluster runs; connect later with `traefikeectl connect --kubernetes --namespace={}`",
            installed.namespace
        );
        f.hint(hint)
    })?;
    traefikee_client::outln!();
    traefikee_client::outln!("Next steps:");
    traefikee_client::outln!("  traefikeectl list-nodes");
    traefikee_client::outln!("  traefikeectl deploy --configfile=routes.yaml");
    traefikee_client::outln!(
        "  kubectl -n {} get service {}   # the proxies' external address",
        installed.namespace,
        installed.proxy_service
    );
    Ok(())
}

fn dry_run(opts: &InstallOptions, target: &traefikee_kube::Target, format: Format) -> Outcome {
    let text = match format {
        Format::Json => {
            let objects = traefikee_kube::render(opts, target);
            serde_json::to_string_pretty(&objects).map_err(|e| Failure::new(ErrorCode::Internal, e.to_string()))? + "\n"
        }
        Format::Table | Format::Yaml => traefikee_kube::render_yaml(opts, target),
    };
    traefikee_client::out!("{text}");
    eprintln!(
        "(dry run for Kubernetes {}: nothing was applied; the Secrets above hold a freshly made cluster identity)",
        target.version
    );
    Ok(())
}

async fn connect_to(
    client: traefikee_kube::Client,
    clustername: Option<String>,
    namespace: &str,
    operator: Option<String>,
    force: bool,
) -> Outcome {
    let creds = traefikee_kube::read_credentials(client.clone(), namespace).await.map_err(kube_failure)?;
    let forward = traefikee_kube::forward_api(client.clone(), namespace).await.map_err(kube_failure)?;
    let one_time = OneTime { ca_pem: creds.ca_pem, cert_pem: creds.cert_pem, key_pem: creds.key_pem };
    let source = Source::Kubernetes { client, namespace: namespace.to_owned() };
    let address = forward.local_addr.to_string();
    super::connect::exchange(clustername, one_time, source, address, operator, force).await
}

pub async fn connect(clustername: Option<String>, args: &ConnectArgs) -> Outcome {
    let client = client().await?;
    connect_to(client, clustername, &args.namespace, args.name.clone(), args.force).await
}

pub async fn uninstall(clustername: Option<String>, args: &UninstallArgs) -> Outcome {
    let name = clustername.unwrap_or_else(|| traefikee_kube::DEFAULT_CLUSTER_NAME.to_owned());
    let client = client().await?;
    let bar = spinner("");
    bar.set_message(format!("Removing cluster {name} from namespace {}", args.namespace));
    let removed = traefikee_kube::uninstall(client, &args.namespace, &name).await;
    bar.finish_and_clear();
    let removed = removed.map_err(kube_failure)?;
    if removed.is_empty() {
        return Err(Failure::new(
            ErrorCode::NotFound,
            format!("namespace {} holds no cluster {name} installed by traefikeectl", args.namespace),
        )
        .hint("pass the --clustername and --namespace it was installed with"));
    }
    let profiles = Profiles::locate()?;
    let profile_removed = match profiles.read(&name)? {
        Some(p) if p.meta.kubernetes.as_ref().is_some_and(|k| k.namespace == args.namespace) => {
            std::fs::remove_dir_all(profiles.dir_of(&name)?)
                .map_err(|e| Failure::io(format!("cannot remove profile {name}: {e}")))?;
            true
        }
        _ => false,
    };
    traefikee_client::outln!("✔ Cluster {name} removed from namespace {}: {}", args.namespace, removed.join(", "));
    if profile_removed {
        traefikee_client::outln!("  profile {name} removed");
    }
    Ok(())
}
