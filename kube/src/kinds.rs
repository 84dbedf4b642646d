//! The kinds of object install makes, and generic access to them by name.

use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::ApiResource;
use kube::Client;
use serde_json::Value;

use crate::render::MANAGER;
use crate::target::{PdbApi, Target};

/// One kind of object: enough to build its API paths without discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kind {
    pub kind: &'static str,
    pub api_version: &'static str,
    pub plural: &'static str,
    pub namespaced: bool,
}

const fn k(kind: &'static str, api_version: &'static str, plural: &'static str, namespaced: bool) -> Kind {
    Kind { kind, api_version, plural, namespaced }
}

pub(crate) const NAMESPACE: Kind = k("Namespace", "v1", "namespaces", false);
pub(crate) const SERVICE_ACCOUNT: Kind = k("ServiceAccount", "v1", "serviceaccounts", true);
pub(crate) const ROLE: Kind = k("Role", "rbac.authorization.k8s.io/v1", "roles", true);
pub(crate) const ROLE_BINDING: Kind = k("RoleBinding", "rbac.authorization.k8s.io/v1", "rolebindings", true);
pub(crate) const SECRET: Kind = k("Secret", "v1", "secrets", true);
pub(crate) const SERVICE: Kind = k("Service", "v1", "services", true);
pub(crate) const PDB_V1: Kind = k("PodDisruptionBudget", "policy/v1", "poddisruptionbudgets", true);
pub(crate) const PDB_V1BETA1: Kind = k("PodDisruptionBudget", "policy/v1beta1", "poddisruptionbudgets", true);
pub(crate) const STATEFUL_SET: Kind = k("StatefulSet", "apps/v1", "statefulsets", true);
pub(crate) const DEPLOYMENT: Kind = k("Deployment", "apps/v1", "deployments", true);
pub(crate) const PVC: Kind = k("PersistentVolumeClaim", "v1", "persistentvolumeclaims", true);
pub(crate) const POD: Kind = k("Pod", "v1", "pods", true);

/// The PodDisruptionBudget kind the target serves.
pub(crate) fn pdb(target: &Target) -> Kind {
    match target.pdb {
        PdbApi::V1 => PDB_V1,
        PdbApi::V1Beta1 => PDB_V1BETA1,
    }
}

/// Every kind install creates (directly, or through the StatefulSet for the claims), in
/// removal order: workloads first, so nothing restarts on a missing Secret meanwhile.
pub(crate) fn removal_order(target: &Target) -> [Kind; 9] {
    [DEPLOYMENT, STATEFUL_SET, pdb(target), SERVICE, SECRET, ROLE_BINDING, ROLE, SERVICE_ACCOUNT, PVC]
}

const ALL: [Kind; 12] = [
    NAMESPACE,
    SERVICE_ACCOUNT,
    ROLE,
    ROLE_BINDING,
    SECRET,
    SERVICE,
    PDB_V1,
    PDB_V1BETA1,
    STATEFUL_SET,
    DEPLOYMENT,
    PVC,
    POD,
];

impl Kind {
    pub(crate) fn of(manifest: &Value) -> Option<Kind> {
        let kind = manifest.get("kind")?.as_str()?;
        let api_version = manifest.get("apiVersion")?.as_str()?;
        ALL.into_iter().find(|k| k.kind == kind && k.api_version == api_version)
    }

    fn resource(&self) -> ApiResource {
        let (group, version) = self.api_version.split_once('/').unwrap_or(("", self.api_version));
        ApiResource {
            group: group.into(),
            version: version.into(),
            api_version: self.api_version.into(),
            kind: self.kind.into(),
            plural: self.plural.into(),
        }
    }

    pub(crate) fn api(&self, client: &Client, namespace: &str) -> Api<DynamicObject> {
        if self.namespaced {
            Api::namespaced_with(client.clone(), namespace, &self.resource())
        } else {
            Api::all_with(client.clone(), &self.resource())
        }
    }
}

/// The name in a manifest's metadata.
pub(crate) fn name_of(manifest: &Value) -> &str {
    manifest.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default()
}

/// Server-side apply as the field manager `traefikeectl`, taking over conflicting fields.
pub(crate) async fn apply(client: &Client, namespace: &str, kind: Kind, manifest: &Value) -> Result<(), kube::Error> {
    let params = PatchParams::apply(MANAGER).force();
    kind.api(client, namespace).patch(name_of(manifest), &params, &Patch::Apply(manifest)).await.map(|_| ())
}

/// Deletes an object; `Ok(false)` when it was not there.
pub(crate) async fn delete(client: &Client, namespace: &str, kind: Kind, name: &str) -> Result<bool, kube::Error> {
    match kind.api(client, namespace).delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(true),
        Err(e) if crate::error::is_not_found(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The names of the objects of `kind` matching `selector`.
pub(crate) async fn names(
    client: &Client,
    namespace: &str,
    kind: Kind,
    selector: &str,
) -> Result<Vec<String>, kube::Error> {
    let list = kind.api(client, namespace).list(&ListParams::default().labels(selector)).await?;
    Ok(list.items.into_iter().filter_map(|o| o.metadata.name).collect())
}

/// `Kind name`, as messages and [`crate::uninstall`] show objects.
pub(crate) fn describe(kind: Kind, name: &str) -> String {
    format!("{} {name}", kind.kind)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InstallOptions;

    #[test]
    fn every_rendered_kind_is_known() {
        let options = [
            InstallOptions::default(),
            InstallOptions { dashboard: true, control_nodes: 1, data_nodes: 0, ..Default::default() },
        ];
        let targets = [Target::default(), Target::for_version(crate::KubeVersion::OLDEST)];
        for (opts, target) in options.iter().flat_map(|o| targets.iter().map(move |t| (o, t))) {
            for m in crate::render(opts, target) {
                let kind = Kind::of(&m).unwrap_or_else(|| panic!("unknown kind {} {}", m["kind"], m["apiVersion"]));
                assert_eq!(kind.namespaced, kind != NAMESPACE);
                assert!(!name_of(&m).is_empty());
            }
        }
    }

    #[test]
    fn resources_split_group_and_version() {
        let r = STATEFUL_SET.resource();
        assert_eq!((r.group.as_str(), r.version.as_str(), r.plural.as_str()), ("apps", "v1", "statefulsets"));
        let r = SECRET.resource();
        assert_eq!((r.group.as_str(), r.version.as_str()), ("", "v1"));
    }
}
