//! `install` and `uninstall`: the entry points, which only choose where the cluster runs.
//! `--local` goes to [`local`] (`traefikee` processes supervised on this machine),
//! `--kubernetes` to `super::kubernetes` (which `connect --kubernetes` and the sessions of
//! Kubernetes profiles use too). The flags are `crate::args::{InstallArgs, UninstallArgs}`.

mod local;

use traefikee_client::output::Format;
use traefikee_client::{Failure, Outcome};

use super::kubernetes;
use crate::args::{InstallArgs, UninstallArgs};

pub async fn install(clustername: Option<String>, args: &InstallArgs, format: Format) -> Outcome {
    if args.kubernetes {
        kubernetes::install(clustername, args, format).await
    } else {
        local::install(clustername, args).await
    }
}

pub async fn uninstall(clustername: Option<String>, args: &UninstallArgs) -> Outcome {
    if args.kubernetes {
        kubernetes::uninstall(clustername, args).await
    } else {
        local::uninstall(clustername)
    }
}

/// `--dashboard` is accepted by both installs and refused by both, until traefikee serves one.
pub(super) fn refuse_dashboard(args: &InstallArgs) -> Outcome {
    if args.dashboard {
        return Err(Failure::refused("--dashboard is not implemented yet in traefikee")
            .hint("install without it; `traefikeectl list-nodes` and `get config` show the cluster"));
    }
    Ok(())
}
