//! Workload objects and where their pod specs live.
//!
//! An object is a workload when its API group and kind say so: the user's
//! `workloads:` settings ([`WorkloadEntry`]) first, then the built-in table
//! ([`BUILTIN`]: Kubernetes' own kinds, Argo Rollouts, OpenShift, Knative,
//! KEDA, Kubeflow, Ray, Volcano, JobSet). A custom resource is never matched
//! by its kind alone: Knative's `serving.knative.dev` `Service` is a
//! workload, the core `v1` `Service` is not. Kubernetes' own nine kinds are
//! also matched by kind in a group the table does not name, as before
//! custom resources were read (OpenKruise's `apps.kruise.io` StatefulSet
//! and DaemonSet share their shape), and when `apiVersion` is missing.
//!
//! Each kind names its pod specs with JSON pointers in which `*` matches
//! every item of a list or key of a map (Ray's worker groups, Kubeflow's
//! replica specs); a pointer that finds nothing is not an error.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::node::{escape_token, unescape_token, Node, Value};

/// Kinds that hold pod specs, where, and who defines them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    /// API groups (every version of each); `""` is the core group (`v1`).
    pub groups: &'static [&'static str],
    pub kinds: &'static [&'static str],
    /// The API resource of each kind (`rollouts`), for admission rules.
    pub resources: &'static [&'static str],
    /// JSON pointers from the object to its pod specs (`*`: every item or key).
    pub pod_specs: &'static [&'static str],
    /// The project that defines the kinds, for the docs.
    pub project: &'static str,
}

/// The built-in workload kinds. Each row was checked against the project's
/// own CRD (Go types) and examples; where they differ from the first draft
/// of issue 23, the project won:
///
/// - Kubeflow's XGBoostJob keeps its replicas in `xgbReplicaSpecs`, not
///   `xgboostReplicaSpecs` (training-operator `xgboost_types.go`,
///   `examples/xgboost/xgboostjob.yaml`); the mpi-operator's `v2beta1`
///   MPIJob uses `mpiReplicaSpecs` like training-operator's `v1`.
/// - OpenShift's DeploymentConfig is also read in the core group (`v1`),
///   where OpenShift's legacy API registers it and old templates use it.
/// - KubeRay's RayJob has a third pod template, `submitterPodTemplate` (the
///   pod that runs `ray job submit`; `rayjob_types.go`), checked too.
pub const BUILTIN: &[Builtin] = &[
    Builtin {
        groups: &[""],
        kinds: &["Pod"],
        resources: &["pods"],
        pod_specs: &["/spec"],
        project: KUBERNETES,
    },
    Builtin {
        groups: &[""],
        kinds: &["PodTemplate"],
        resources: &["podtemplates"],
        pod_specs: &["/template/spec"],
        project: KUBERNETES,
    },
    Builtin {
        groups: &[""],
        kinds: &["ReplicationController"],
        resources: &["replicationcontrollers"],
        pod_specs: &["/spec/template/spec"],
        project: KUBERNETES,
    },
    Builtin {
        // `extensions/v1beta1` served these three until Kubernetes 1.16.
        groups: &["apps", "extensions"],
        kinds: &["ReplicaSet", "Deployment", "DaemonSet"],
        resources: &["replicasets", "deployments", "daemonsets"],
        pod_specs: &["/spec/template/spec"],
        project: KUBERNETES,
    },
    Builtin {
        groups: &["apps"],
        kinds: &["StatefulSet"],
        resources: &["statefulsets"],
        pod_specs: &["/spec/template/spec"],
        project: KUBERNETES,
    },
    Builtin {
        groups: &["batch"],
        kinds: &["Job"],
        resources: &["jobs"],
        pod_specs: &["/spec/template/spec"],
        project: KUBERNETES,
    },
    Builtin {
        groups: &["batch"],
        kinds: &["CronJob"],
        resources: &["cronjobs"],
        pod_specs: &["/spec/jobTemplate/spec/template/spec"],
        project: KUBERNETES,
    },
    Builtin {
        groups: &["argoproj.io"],
        kinds: &["Rollout"],
        resources: &["rollouts"],
        pod_specs: &["/spec/template/spec"],
        project: "Argo Rollouts",
    },
    Builtin {
        // OpenShift 3's legacy API served it in the core group, `v1`
        // (openshift/api `apps/v1/legacy.go`): templates still say so.
        groups: &["apps.openshift.io", ""],
        kinds: &["DeploymentConfig"],
        resources: &["deploymentconfigs"],
        pod_specs: &["/spec/template/spec"],
        project: "OpenShift",
    },
    Builtin {
        groups: &["serving.knative.dev"],
        kinds: &["Service", "Configuration"],
        resources: &["services", "configurations"],
        pod_specs: &["/spec/template/spec"],
        project: "Knative Serving",
    },
    Builtin {
        // `RevisionSpec` inlines the pod spec.
        groups: &["serving.knative.dev"],
        kinds: &["Revision"],
        resources: &["revisions"],
        pod_specs: &["/spec"],
        project: "Knative Serving",
    },
    Builtin {
        // `jobTargetRef` is a batch/v1 JobSpec.
        groups: &["keda.sh"],
        kinds: &["ScaledJob"],
        resources: &["scaledjobs"],
        pod_specs: &["/spec/jobTargetRef/template/spec"],
        project: "KEDA",
    },
    Builtin {
        groups: &["kubeflow.org"],
        kinds: &["PyTorchJob"],
        resources: &["pytorchjobs"],
        pod_specs: &["/spec/pytorchReplicaSpecs/*/template/spec"],
        project: "Kubeflow Training Operator",
    },
    Builtin {
        groups: &["kubeflow.org"],
        kinds: &["TFJob"],
        resources: &["tfjobs"],
        pod_specs: &["/spec/tfReplicaSpecs/*/template/spec"],
        project: "Kubeflow Training Operator",
    },
    Builtin {
        groups: &["kubeflow.org"],
        kinds: &["MPIJob"],
        resources: &["mpijobs"],
        pod_specs: &["/spec/mpiReplicaSpecs/*/template/spec"],
        project: "Kubeflow Training Operator, MPI Operator",
    },
    Builtin {
        groups: &["kubeflow.org"],
        kinds: &["XGBoostJob"],
        resources: &["xgboostjobs"],
        pod_specs: &["/spec/xgbReplicaSpecs/*/template/spec"],
        project: "Kubeflow Training Operator",
    },
    Builtin {
        groups: &["kubeflow.org"],
        kinds: &["PaddleJob"],
        resources: &["paddlejobs"],
        pod_specs: &["/spec/paddleReplicaSpecs/*/template/spec"],
        project: "Kubeflow Training Operator",
    },
    Builtin {
        groups: &["kubeflow.org"],
        kinds: &["JAXJob"],
        resources: &["jaxjobs"],
        pod_specs: &["/spec/jaxReplicaSpecs/*/template/spec"],
        project: "Kubeflow Training Operator",
    },
    Builtin {
        groups: &["ray.io"],
        kinds: &["RayCluster"],
        resources: &["rayclusters"],
        pod_specs: &[
            "/spec/headGroupSpec/template/spec",
            "/spec/workerGroupSpecs/*/template/spec",
        ],
        project: "KubeRay",
    },
    Builtin {
        groups: &["ray.io"],
        kinds: &["RayJob"],
        resources: &["rayjobs"],
        pod_specs: &[
            "/spec/rayClusterSpec/headGroupSpec/template/spec",
            "/spec/rayClusterSpec/workerGroupSpecs/*/template/spec",
            "/spec/submitterPodTemplate/spec",
        ],
        project: "KubeRay",
    },
    Builtin {
        groups: &["ray.io"],
        kinds: &["RayService"],
        resources: &["rayservices"],
        pod_specs: &[
            "/spec/rayClusterConfig/headGroupSpec/template/spec",
            "/spec/rayClusterConfig/workerGroupSpecs/*/template/spec",
        ],
        project: "KubeRay",
    },
    Builtin {
        groups: &["batch.volcano.sh"],
        kinds: &["Job"],
        resources: &["jobs"],
        pod_specs: &["/spec/tasks/*/template/spec"],
        project: "Volcano",
    },
    Builtin {
        // Each replicated job's `template` is a batch/v1 JobTemplateSpec.
        groups: &["jobset.x-k8s.io"],
        kinds: &["JobSet"],
        resources: &["jobsets"],
        pod_specs: &["/spec/replicatedJobs/*/template/spec/template/spec"],
        project: "JobSet",
    },
];

/// The project of Kubernetes' own kinds in [`BUILTIN`].
pub const KUBERNETES: &str = "Kubernetes";

/// Kubernetes' own workload kinds, also matched by kind alone (see the
/// module's documentation).
pub const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "PodTemplate",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
];

/// A kind the user declares as a workload (`workloads:` in the settings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadEntry {
    /// `group/version`, `group/*` for every version, or `version` for the
    /// core group.
    pub api_version: String,
    pub kind: String,
    /// JSON pointers to the pod specs; `*` matches every item of a list or
    /// key of a map.
    pub pod_specs: Vec<String>,
    /// Replace the built-in pod specs of this group and kind (required to
    /// give a built-in kind other paths, so that a typo cannot silently
    /// stop a kind from being checked).
    #[serde(default, skip_serializing_if = "is_false")]
    pub replace: bool,
}

// serde's `skip_serializing_if` takes a reference.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(value: &bool) -> bool {
    !*value
}

/// The group and version of an `apiVersion` (`apps/v1` → `apps`, `v1`;
/// `v1` → the core group `""`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

/// Where the pod specs of one kind are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodSpecPointers<'w> {
    Builtin(&'static [&'static str]),
    User(&'w [String]),
}

impl<'w> PodSpecPointers<'w> {
    pub fn iter(&self) -> impl Iterator<Item = &'w str> {
        let (builtin, user): (&'static [&'static str], &'w [String]) = match *self {
            PodSpecPointers::Builtin(list) => (list, &[]),
            PodSpecPointers::User(list) => (&[], list),
        };
        builtin
            .iter()
            .copied()
            .chain(user.iter().map(String::as_str))
    }

    fn len(&self) -> usize {
        match self {
            PodSpecPointers::Builtin(list) => list.len(),
            PodSpecPointers::User(list) => list.len(),
        }
    }
}

/// The built-in row of a group and kind.
pub fn builtin(group: &str, kind: &str) -> Option<&'static Builtin> {
    BUILTIN
        .iter()
        .find(|row| row.groups.contains(&group) && row.kinds.contains(&kind))
}

/// Where the pod specs of objects of this `apiVersion` and `kind` are, or
/// `None` when they are not workloads. `user` is the `workloads:` setting:
/// an entry naming the exact version wins over one for every version, and
/// both over the built-in table.
pub fn pod_spec_pointers<'w>(
    api_version: Option<&str>,
    kind: &str,
    user: &'w [WorkloadEntry],
) -> Option<PodSpecPointers<'w>> {
    if let Some((group, version)) = api_version.map(split_api_version) {
        let mut any_version = None;
        for entry in user.iter().filter(|e| e.kind == kind) {
            let (g, v) = split_api_version(&entry.api_version);
            if g != group {
                continue;
            }
            if v == version {
                return Some(PodSpecPointers::User(&entry.pod_specs));
            }
            if v == "*" && any_version.is_none() {
                any_version = Some(PodSpecPointers::User(&entry.pod_specs));
            }
        }
        if any_version.is_some() {
            return any_version;
        }
        if let Some(row) = builtin(group, kind) {
            return Some(PodSpecPointers::Builtin(row.pod_specs));
        }
    }
    // Kubernetes' own kinds in any other group, or without `apiVersion`.
    if WORKLOAD_KINDS.contains(&kind) {
        return BUILTIN
            .iter()
            .find(|row| row.project == KUBERNETES && row.kinds.contains(&kind))
            .map(|row| PodSpecPointers::Builtin(row.pod_specs));
    }
    None
}

/// An object of a stream: a document root or an item of a `List`.
#[derive(Debug, Clone, Copy)]
pub struct Object<'a> {
    pub node: &'a Node,
    pub kind: &'a str,
    /// `apiVersion`, when it is a string.
    pub api_version: Option<&'a str>,
    /// 0-based index of the document.
    pub document: usize,
    /// Pointer of the object from the document root.
    pub pointer: &'a str,
}

impl<'a> Object<'a> {
    pub fn metadata(&self, key: &str) -> Option<&'a str> {
        self.node.get("metadata")?.get(key)?.as_str()
    }

    pub fn name(&self) -> Option<&'a str> {
        self.metadata("name")
            .or_else(|| self.metadata("generateName"))
    }

    pub fn namespace(&self) -> Option<&'a str> {
        self.metadata("namespace")
    }

    pub fn annotation(&self, key: &str) -> Option<&'a Node> {
        self.node.get("metadata")?.get("annotations")?.get(key)
    }

    /// Whether objects of this group and kind hold pod specs.
    pub fn is_workload(&self, user: &[WorkloadEntry]) -> bool {
        pod_spec_pointers(self.api_version, self.kind, user).is_some()
    }

    /// The pod specs of this object and their pointers from the document
    /// root, in the order of its kind's pointers and then of the document;
    /// none when it is not a workload or its pointers find nothing.
    pub fn pod_specs(&self, user: &[WorkloadEntry]) -> Vec<(&'a Node, String)> {
        let mut found = Vec::new();
        let Some(pointers) = pod_spec_pointers(self.api_version, self.kind, user) else {
            return found;
        };
        for pattern in pointers.iter() {
            let tokens: Vec<&str> = pattern.split('/').skip(1).collect();
            let mut pointer = self.pointer.to_owned();
            find(self.node, &tokens, &mut pointer, &mut found);
        }
        // Two pointers may reach the same pod spec (`/a/*/spec`, `/a/0/spec`):
        // check it once.
        if pointers.len() > 1 && found.len() > 1 {
            let mut seen = HashSet::new();
            found.retain(|(_, pointer)| seen.insert(pointer.clone()));
        }
        found
    }
}

/// Follow `tokens` (escaped JSON-pointer tokens; `*` for every item or key)
/// from `node`, whose pointer is `pointer`, and collect the non-null nodes
/// they reach.
fn find<'a>(
    node: &'a Node,
    tokens: &[&str],
    pointer: &mut String,
    found: &mut Vec<(&'a Node, String)>,
) {
    let Some((&token, rest)) = tokens.split_first() else {
        if !node.is_null() {
            found.push((node, pointer.clone()));
        }
        return;
    };
    let len = pointer.len();
    match (&node.value, token) {
        (Value::Map(entries), "*") => {
            for entry in entries {
                pointer.push('/');
                pointer.push_str(&escape_token(&entry.key));
                find(&entry.value, rest, pointer, found);
                pointer.truncate(len);
            }
        }
        (Value::Seq(items), "*") => {
            for (index, item) in items.iter().enumerate() {
                pointer.push('/');
                pointer.push_str(&index.to_string());
                find(item, rest, pointer, found);
                pointer.truncate(len);
            }
        }
        (Value::Map(_), _) => {
            if let Some(child) = node.get(&unescape_token(token)) {
                pointer.push('/');
                pointer.push_str(token);
                find(child, rest, pointer, found);
                pointer.truncate(len);
            }
        }
        (Value::Seq(items), _) => {
            let index = token
                .parse::<usize>()
                .ok()
                .filter(|i| i.to_string() == token);
            if let Some(item) = index.and_then(|i| items.get(i)) {
                pointer.push('/');
                pointer.push_str(token);
                find(item, rest, pointer, found);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Visit every object of a document: the root, or each item of a `*List`
/// (lists nest), in order.
pub fn for_each_object<'a>(root: &'a Node, document: usize, visit: &mut dyn FnMut(&Object<'_>)) {
    visit_object(root, document, String::new(), visit);
}

fn visit_object(node: &Node, document: usize, pointer: String, visit: &mut dyn FnMut(&Object<'_>)) {
    let Some(kind) = node.get("kind").and_then(Node::as_str) else {
        return;
    };
    if kind.ends_with("List") {
        if let Some(items) = node.get("items").and_then(Node::as_seq) {
            for (i, item) in items.iter().enumerate() {
                visit_object(item, document, format!("{pointer}/items/{i}"), visit);
            }
            return;
        }
    }
    visit(&Object {
        node,
        kind,
        api_version: node.get("apiVersion").and_then(Node::as_str),
        document,
        pointer: &pointer,
    });
}

/// Append a key to a pointer.
pub fn join(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", escape_token(key))
}

/// At most this many tokens in a declared pointer (Kubernetes objects
/// rarely nest 20 deep; the bound keeps the search shallow whatever a
/// shared link carries).
pub const MAX_POINTER_TOKENS: usize = 64;

/// At most this many `workloads` entries.
pub const MAX_ENTRIES: usize = 256;

/// Check the `workloads:` setting; the error names the entry and field
/// (`workloads[1].podSpecs[0]`), for every face, and says what is wrong.
pub fn validate_entries(entries: &[WorkloadEntry]) -> Result<(), String> {
    if entries.len() > MAX_ENTRIES {
        return Err(format!(
            "`workloads`: {} entries, more than the limit of {MAX_ENTRIES}",
            entries.len()
        ));
    }
    for (i, entry) in entries.iter().enumerate() {
        let at = |field: &str| format!("`workloads[{i}].{field}`");
        check_api_version(&entry.api_version).map_err(|e| format!("{}: {e}", at("apiVersion")))?;
        check_kind(&entry.kind).map_err(|e| format!("{}: {e}", at("kind")))?;
        if entry.pod_specs.is_empty() {
            return Err(format!(
                "{}: the list is empty: name at least one pod spec, as a JSON pointer (`/spec/template/spec`)",
                at("podSpecs")
            ));
        }
        for (j, pointer) in entry.pod_specs.iter().enumerate() {
            let at = at(&format!("podSpecs[{j}]"));
            check_pointer(pointer).map_err(|e| format!("{at}: {e}"))?;
            if entry.pod_specs[..j].contains(pointer) {
                return Err(format!("{at}: `{pointer}` is listed twice"));
            }
        }
        let (group, _) = split_api_version(&entry.api_version);
        if let Some(earlier) = entries[..i]
            .iter()
            .position(|e| e.api_version == entry.api_version && e.kind == entry.kind)
        {
            return Err(format!(
                "`workloads[{i}]`: `{}` `{}` is declared twice (also `workloads[{earlier}]`)",
                entry.api_version, entry.kind
            ));
        }
        match builtin(group, &entry.kind) {
            Some(row) if !entry.replace && !same_pointers(row.pod_specs, &entry.pod_specs) => {
                return Err(format!(
                    "`workloads[{i}]`: `{}` is built in for the group `{}` ({}), with podSpecs [{}]; \
                     to check other paths instead, add `replace: true` to this entry",
                    entry.kind,
                    display_group(group),
                    row.project,
                    row.pod_specs.join(", ")
                ));
            }
            None if entry.replace => {
                return Err(format!(
                    "{}: `{}` is not built in for the group `{}`: there is nothing to replace (remove `replace`, or check the group and kind)",
                    at("replace"),
                    entry.kind,
                    display_group(group)
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

fn display_group(group: &str) -> &str {
    if group.is_empty() {
        "core (v1)"
    } else {
        group
    }
}

fn same_pointers(builtin: &[&str], user: &[String]) -> bool {
    builtin.len() == user.len() && builtin.iter().all(|p| user.iter().any(|u| u == p))
}

fn check_api_version(api_version: &str) -> Result<(), String> {
    let (group, version) = split_api_version(api_version);
    let dns = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    let version_ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let example = "write `group/version` (`argoproj.io/v1alpha1`), `group/*` for every version, or `v1` for the core group";
    if api_version.is_empty() {
        return Err(format!("empty; {example}"));
    }
    if api_version.contains('/') && !dns(group) {
        return Err(format!(
            "`{api_version}`: `{group}` is not an API group (lowercase letters, digits, `-` and `.`; never `*`: a kind is matched with its group); {example}"
        ));
    }
    if version == "*" && !group.is_empty() {
        return Ok(());
    }
    if !version_ok(version) {
        return Err(format!(
            "`{api_version}`: `{version}` is not an API version (`v1`, `v1beta2`) nor `*`; {example}"
        ));
    }
    Ok(())
}

fn check_kind(kind: &str) -> Result<(), String> {
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!(
            "`{kind}` is not a kind: name one, as in the objects' `kind` (`Rollout`)"
        ));
    }
    Ok(())
}

fn check_pointer(pointer: &str) -> Result<(), String> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(if pointer.is_empty() {
            "empty: a pod spec is never the object itself; write a JSON pointer such as `/spec/template/spec`".to_owned()
        } else {
            format!("`{pointer}` is not a JSON pointer: it must start with `/` (`/{pointer}`)")
        });
    };
    let tokens: Vec<&str> = rest.split('/').collect();
    if tokens.len() > MAX_POINTER_TOKENS {
        return Err(format!(
            "`{pointer}` has {} keys, more than the limit of {MAX_POINTER_TOKENS}",
            tokens.len()
        ));
    }
    for token in tokens {
        if token.is_empty() {
            return Err(format!(
                "`{pointer}` has an empty key (`//`, or `/` at the end)"
            ));
        }
        let mut chars = token.chars();
        while let Some(c) = chars.next() {
            if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
                return Err(format!(
                    "`{pointer}`: `~` must be followed by `0` (for `~`) or `1` (for `/`) in a JSON pointer"
                ));
            }
        }
        if token.contains('*') && token != "*" {
            return Err(format!(
                "`{pointer}`: `*` matches a whole key or list item only (`/spec/groups/*/template/spec`), not part of one (`{token}`)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(api_version: &str, kind: &str, pod_specs: &[&str]) -> WorkloadEntry {
        WorkloadEntry {
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            pod_specs: pod_specs.iter().map(|&p| p.to_owned()).collect(),
            replace: false,
        }
    }

    fn paths(api_version: Option<&str>, kind: &str, user: &[WorkloadEntry]) -> Option<Vec<String>> {
        pod_spec_pointers(api_version, kind, user)
            .map(|p| p.iter().map(ToOwned::to_owned).collect())
    }

    #[test]
    fn custom_resources_are_matched_by_group_and_kind() {
        assert_eq!(
            paths(Some("serving.knative.dev/v1"), "Service", &[]),
            Some(vec!["/spec/template/spec".to_owned()])
        );
        assert_eq!(paths(Some("v1"), "Service", &[]), None);
        assert_eq!(paths(None, "Service", &[]), None);
        assert_eq!(paths(None, "Rollout", &[]), None);
        assert_eq!(paths(Some("example.com/v1"), "Rollout", &[]), None);
        assert_eq!(
            paths(Some("batch.volcano.sh/v1alpha1"), "Job", &[]),
            Some(vec!["/spec/tasks/*/template/spec".to_owned()])
        );
        assert_eq!(
            paths(Some("batch/v1"), "Job", &[]),
            Some(vec!["/spec/template/spec".to_owned()])
        );
        // Kubernetes' own kinds in any group, and without apiVersion.
        for api in [None, Some("apps.kruise.io/v1beta1"), Some("v1")] {
            assert_eq!(
                paths(api, "StatefulSet", &[]),
                Some(vec!["/spec/template/spec".to_owned()]),
                "{api:?}"
            );
        }
        assert_eq!(
            paths(None, "CronJob", &[]),
            Some(vec!["/spec/jobTemplate/spec/template/spec".to_owned()])
        );
        assert_eq!(paths(Some("v1"), "ConfigMap", &[]), None);
    }

    #[test]
    fn user_entries_come_first_exact_version_before_star() {
        let user = [
            entry("example.com/*", "Runner", &["/spec/any"]),
            entry("example.com/v2", "Runner", &["/spec/v2"]),
        ];
        assert_eq!(
            paths(Some("example.com/v2"), "Runner", &user),
            Some(vec!["/spec/v2".to_owned()])
        );
        assert_eq!(
            paths(Some("example.com/v1"), "Runner", &user),
            Some(vec!["/spec/any".to_owned()])
        );
        assert_eq!(paths(Some("other.com/v1"), "Runner", &user), None);
        assert_eq!(paths(None, "Runner", &user), None);
        let mut replaced = entry("argoproj.io/v1alpha1", "Rollout", &["/spec/x/spec"]);
        replaced.replace = true;
        let user = [replaced];
        assert_eq!(
            paths(Some("argoproj.io/v1alpha1"), "Rollout", &user),
            Some(vec!["/spec/x/spec".to_owned()])
        );
        // Other versions keep the built-in paths.
        assert_eq!(
            paths(Some("argoproj.io/v1"), "Rollout", &user),
            Some(vec!["/spec/template/spec".to_owned()])
        );
    }

    fn object_specs(json: serde_json::Value, user: &[WorkloadEntry]) -> Vec<String> {
        let node = Node::from_json(&json);
        let mut out = Vec::new();
        for_each_object(&node, 0, &mut |o| {
            out.extend(o.pod_specs(user).into_iter().map(|(_, p)| p));
        });
        out
    }

    #[test]
    fn stars_match_items_and_keys_and_nothing_found_is_fine() {
        let ray = serde_json::json!({
            "apiVersion": "ray.io/v1", "kind": "RayCluster",
            "spec": {
                "headGroupSpec": {"template": {"spec": {"containers": []}}},
                "workerGroupSpecs": [
                    {"template": {"spec": {}}},
                    {"groupName": "no-template"},
                    {"template": {"spec": {"containers": []}}}
                ]
            }
        });
        assert_eq!(
            object_specs(ray, &[]),
            [
                "/spec/headGroupSpec/template/spec",
                "/spec/workerGroupSpecs/0/template/spec",
                "/spec/workerGroupSpecs/2/template/spec"
            ]
        );
        let no_workers = serde_json::json!({
            "apiVersion": "ray.io/v1", "kind": "RayCluster", "spec": {"workerGroupSpecs": null}
        });
        assert!(object_specs(no_workers, &[]).is_empty());
        let pytorch = serde_json::json!({
            "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
            "spec": {"pytorchReplicaSpecs": {
                "Master": {"template": {"spec": {}}},
                "a/b~c": {"template": {"spec": {}}}
            }}
        });
        assert_eq!(
            object_specs(pytorch, &[]),
            [
                "/spec/pytorchReplicaSpecs/Master/template/spec",
                "/spec/pytorchReplicaSpecs/a~1b~0c/template/spec"
            ]
        );
        // A list inside a List, and overlapping user pointers found once.
        let user = [entry(
            "example.com/v1",
            "Runner",
            &[
                "/spec/groups/*/spec",
                "/spec/groups/1/spec",
                "/spec/m~1n/spec",
            ],
        )];
        let list = serde_json::json!({"kind": "List", "items": [{
            "apiVersion": "example.com/v1", "kind": "Runner",
            "spec": {"groups": [{"spec": {}}, {"spec": {}}], "m/n": {"spec": {}}}
        }]});
        assert_eq!(
            object_specs(list, &user),
            [
                "/items/0/spec/groups/0/spec",
                "/items/0/spec/groups/1/spec",
                "/items/0/spec/m~1n/spec"
            ]
        );
    }

    fn refused(entries: &[WorkloadEntry]) -> String {
        validate_entries(entries).unwrap_err()
    }

    #[test]
    fn entries_are_validated_with_the_key_named() {
        assert_eq!(
            validate_entries(&[entry(
                "pipelines.example.com/v1",
                "Runner",
                &["/spec/runner/podSpec"]
            )]),
            Ok(())
        );
        assert_eq!(
            validate_entries(&[entry("example.com/*", "Runner", &["/spec/*/spec"])]),
            Ok(())
        );
        assert_eq!(
            validate_entries(&[entry("v1", "DeploymentConfig", &["/spec/template/spec"])]),
            Ok(())
        );
        let e = refused(&[entry("x.io/v1", "R", &["spec/runner"])]);
        assert!(e.starts_with("`workloads[0].podSpecs[0]`: `spec/runner` is not a JSON pointer: it must start with `/`"), "{e}");
        let e = refused(&[entry("x.io/v1", "R", &[""])]);
        assert!(e.contains("podSpecs[0]`: empty"), "{e}");
        let e = refused(&[entry("x.io/v1", "R", &[])]);
        assert!(
            e.starts_with("`workloads[0].podSpecs`: the list is empty"),
            "{e}"
        );
        let e = refused(&[entry("x.io/v1", "R", &["/a//b"])]);
        assert!(e.contains("empty key"), "{e}");
        let e = refused(&[entry("x.io/v1", "R", &["/a/~2"])]);
        assert!(e.contains("`~` must be followed"), "{e}");
        let e = refused(&[entry("x.io/v1", "R", &["/a/b*"])]);
        assert!(e.contains("whole key"), "{e}");
        let e = refused(&[entry("x.io/v1", "R", &["/a", "/a"])]);
        assert!(e.contains("podSpecs[1]`: `/a` is listed twice"), "{e}");
        let e = refused(&[entry("*/v1", "R", &["/a"])]);
        assert!(e.starts_with("`workloads[0].apiVersion`"), "{e}");
        let e = refused(&[entry("*", "R", &["/a"])]);
        assert!(e.starts_with("`workloads[0].apiVersion`"), "{e}");
        let e = refused(&[entry("", "R", &["/a"])]);
        assert!(e.contains("empty"), "{e}");
        let e = refused(&[entry("x.io/v1", "*", &["/a"])]);
        assert!(e.starts_with("`workloads[0].kind`"), "{e}");
        let e = refused(&[
            entry("x.io/v1", "R", &["/a"]),
            entry("x.io/v1", "R", &["/b"]),
        ]);
        assert!(
            e.starts_with("`workloads[1]`: `x.io/v1` `R` is declared twice"),
            "{e}"
        );
        let deep = format!("/{}", vec!["a"; MAX_POINTER_TOKENS + 1].join("/"));
        assert!(refused(&[entry("x.io/v1", "R", &[&deep])]).contains("limit"));
    }

    #[test]
    fn a_built_in_kind_takes_other_paths_only_with_replace() {
        // The same paths: harmless.
        assert_eq!(
            validate_entries(&[entry(
                "argoproj.io/v1alpha1",
                "Rollout",
                &["/spec/template/spec"]
            )]),
            Ok(())
        );
        let e = refused(&[entry("argoproj.io/*", "Rollout", &["/spec/other/spec"])]);
        assert!(
            e.contains("`Rollout` is built in for the group `argoproj.io` (Argo Rollouts), with podSpecs [/spec/template/spec]; to check other paths instead, add `replace: true`"),
            "{e}"
        );
        let e = refused(&[entry("apps/v1", "Deployment", &["/spec/x"])]);
        assert!(e.contains("group `apps`"), "{e}");
        let mut replaced = entry("argoproj.io/*", "Rollout", &["/spec/other/spec"]);
        replaced.replace = true;
        assert_eq!(validate_entries(&[replaced]), Ok(()));
        let mut nothing = entry("example.com/v1", "Rollout", &["/spec"]);
        nothing.replace = true;
        let e = refused(&[nothing]);
        assert!(
            e.starts_with(
                "`workloads[0].replace`: `Rollout` is not built in for the group `example.com`"
            ),
            "{e}"
        );
    }

    #[test]
    fn every_builtin_pointer_is_valid_and_rows_do_not_overlap() {
        for row in BUILTIN {
            // The CRDs' plurals (`kubeflow.org_pytorchjobs.yaml`, ...).
            assert_eq!(row.resources.len(), row.kinds.len(), "{row:?}");
            for (kind, resource) in row.kinds.iter().zip(row.resources) {
                assert_eq!(format!("{}s", kind.to_lowercase()), *resource);
            }
            for pointer in row.pod_specs {
                assert_eq!(check_pointer(pointer), Ok(()), "{pointer}");
            }
            for group in row.groups {
                for kind in row.kinds {
                    assert_eq!(
                        builtin(group, kind),
                        Some(row),
                        "{group} {kind} in two rows"
                    );
                }
            }
        }
        for kind in WORKLOAD_KINDS {
            assert!(BUILTIN
                .iter()
                .any(|r| r.project == KUBERNETES && r.kinds.contains(kind)));
        }
    }
}
