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

use serde::{Deserialize, Serialize};

use crate::node::{escape_token, unescape_token, Node, Value};

/// Kinds that hold pod specs, where, and who defines them. The lists are
/// comma-separated in one string each: the browser's wasm carries the table,
/// and a slice of strings costs a header per item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Builtin {
    groups: &'static str,
    kinds: &'static str,
    pod_specs: &'static str,
    /// The project that defines the kinds, for the docs and messages.
    pub project: &'static str,
}

impl Builtin {
    const fn new(
        groups: &'static str,
        kinds: &'static str,
        pod_specs: &'static str,
        project: &'static str,
    ) -> Self {
        Self {
            groups,
            kinds,
            pod_specs,
            project,
        }
    }

    /// API groups (every version of each); `""` is the core group (`v1`).
    pub fn groups(&self) -> impl Iterator<Item = &'static str> + Clone {
        self.groups.split(',')
    }

    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + Clone {
        self.kinds.split(',')
    }

    /// JSON pointers from the object to its pod specs (`*`: every item or key).
    pub fn pod_specs(&self) -> impl Iterator<Item = &'static str> + Clone {
        self.pod_specs.split(',')
    }

    /// The API resource of each kind (`rollouts`), for admission rules:
    /// every CRD of the table names its plural so (`kubeflow.org_pytorchjobs.yaml`).
    pub fn resources(&self) -> impl Iterator<Item = String> {
        self.kinds().map(|kind| format!("{}s", kind.to_lowercase()))
    }
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
///   where OpenShift's legacy API registers it (openshift/api
///   `apps/v1/legacy.go`) and old templates use it.
/// - KubeRay's RayJob has a third pod template, `submitterPodTemplate` (the
///   pod that runs `ray job submit`; `rayjob_types.go`), checked too.
///
/// Knative's `RevisionSpec` inlines the pod spec; KEDA's `jobTargetRef` is a
/// batch/v1 JobSpec; each JobSet replicated job's `template` is a
/// JobTemplateSpec. `extensions/v1beta1` served ReplicaSet, Deployment and
/// DaemonSet until Kubernetes 1.16.
pub const BUILTIN: &[Builtin] = &[
    Builtin::new("", "Pod", "/spec", KUBERNETES),
    Builtin::new("", "PodTemplate", "/template/spec", KUBERNETES),
    Builtin::new(
        "",
        "ReplicationController",
        "/spec/template/spec",
        KUBERNETES,
    ),
    Builtin::new(
        "apps,extensions",
        "ReplicaSet,Deployment,DaemonSet",
        "/spec/template/spec",
        KUBERNETES,
    ),
    Builtin::new("apps", "StatefulSet", "/spec/template/spec", KUBERNETES),
    Builtin::new("batch", "Job", "/spec/template/spec", KUBERNETES),
    Builtin::new(
        "batch",
        "CronJob",
        "/spec/jobTemplate/spec/template/spec",
        KUBERNETES,
    ),
    Builtin::new(
        "argoproj.io",
        "Rollout",
        "/spec/template/spec",
        "Argo Rollouts",
    ),
    Builtin::new(
        "apps.openshift.io,",
        "DeploymentConfig",
        "/spec/template/spec",
        "OpenShift",
    ),
    Builtin::new(
        "serving.knative.dev",
        "Service,Configuration",
        "/spec/template/spec",
        "Knative Serving",
    ),
    Builtin::new(
        "serving.knative.dev",
        "Revision",
        "/spec",
        "Knative Serving",
    ),
    Builtin::new(
        "keda.sh",
        "ScaledJob",
        "/spec/jobTargetRef/template/spec",
        "KEDA",
    ),
    Builtin::new(
        "kubeflow.org",
        "PyTorchJob",
        "/spec/pytorchReplicaSpecs/*/template/spec",
        KUBEFLOW,
    ),
    Builtin::new(
        "kubeflow.org",
        "TFJob",
        "/spec/tfReplicaSpecs/*/template/spec",
        KUBEFLOW,
    ),
    Builtin::new(
        "kubeflow.org",
        "MPIJob",
        "/spec/mpiReplicaSpecs/*/template/spec",
        "Kubeflow Training Operator, MPI Operator",
    ),
    Builtin::new(
        "kubeflow.org",
        "XGBoostJob",
        "/spec/xgbReplicaSpecs/*/template/spec",
        KUBEFLOW,
    ),
    Builtin::new(
        "kubeflow.org",
        "PaddleJob",
        "/spec/paddleReplicaSpecs/*/template/spec",
        KUBEFLOW,
    ),
    Builtin::new(
        "kubeflow.org",
        "JAXJob",
        "/spec/jaxReplicaSpecs/*/template/spec",
        KUBEFLOW,
    ),
    Builtin::new(
        "ray.io",
        "RayCluster",
        "/spec/headGroupSpec/template/spec,/spec/workerGroupSpecs/*/template/spec",
        "KubeRay",
    ),
    Builtin::new(
        "ray.io",
        "RayJob",
        "/spec/rayClusterSpec/headGroupSpec/template/spec,\
         /spec/rayClusterSpec/workerGroupSpecs/*/template/spec,\
         /spec/submitterPodTemplate/spec",
        "KubeRay",
    ),
    Builtin::new(
        "ray.io",
        "RayService",
        "/spec/rayClusterConfig/headGroupSpec/template/spec,\
         /spec/rayClusterConfig/workerGroupSpecs/*/template/spec",
        "KubeRay",
    ),
    Builtin::new(
        "batch.volcano.sh",
        "Job",
        "/spec/tasks/*/template/spec",
        "Volcano",
    ),
    Builtin::new(
        "jobset.x-k8s.io",
        "JobSet",
        "/spec/replicatedJobs/*/template/spec/template/spec",
        "JobSet",
    ),
];

const KUBEFLOW: &str = "Kubeflow Training Operator";

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

/// Where the pod specs of one kind are: a row's comma-separated pointers,
/// or a user entry's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodSpecPointers<'w> {
    Builtin(&'static str),
    User(&'w [String]),
}

impl PodSpecPointers<'_> {
    /// Call `visit` with each pointer, in order.
    pub fn for_each(&self, visit: &mut dyn FnMut(&str)) {
        match *self {
            PodSpecPointers::Builtin(list) => list.split(',').for_each(visit),
            PodSpecPointers::User(list) => list.iter().for_each(|p| visit(p)),
        }
    }
}

/// The built-in row of a group and kind.
pub fn builtin(group: &str, kind: &str) -> Option<&'static Builtin> {
    BUILTIN
        .iter()
        .find(|row| row.groups().any(|g| g == group) && row.kinds().any(|k| k == kind))
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
    // Kubernetes' own kinds ([`WORKLOAD_KINDS`]) in any other group, or
    // without `apiVersion`.
    BUILTIN
        .iter()
        .find(|row| row.project == KUBERNETES && row.kinds().any(|k| k == kind))
        .map(|row| PodSpecPointers::Builtin(row.pod_specs))
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
    /// none when it is not a workload or its pointers find nothing. Two
    /// pointers of a kind never reach the same node (validation refuses
    /// overlapping ones), so no pod spec is checked twice.
    pub fn pod_specs(&self, user: &[WorkloadEntry]) -> Vec<(&'a Node, String)> {
        let mut found = Vec::new();
        if let Some(pointers) = pod_spec_pointers(self.api_version, self.kind, user) {
            pointers.for_each(&mut |pattern| {
                let mut pointer = self.pointer.to_owned();
                find(self.node, pattern, &mut pointer, &mut found);
            });
        }
        found
    }
}

/// Follow `pattern` (a JSON pointer, escaped; `*` for every item or key)
/// from `node`, whose pointer is `pointer`, and collect the non-null nodes
/// it reaches.
fn find<'a>(
    node: &'a Node,
    pattern: &str,
    pointer: &mut String,
    found: &mut Vec<(&'a Node, String)>,
) {
    let Some(rest) = pattern.strip_prefix('/') else {
        if !node.is_null() {
            found.push((node, pointer.clone()));
        }
        return;
    };
    let (token, rest) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
    let len = pointer.len();
    let mut visit = |key: &str, child: &'a Node| {
        pointer.push('/');
        pointer.push_str(key);
        find(child, rest, pointer, found);
        pointer.truncate(len);
    };
    match (&node.value, token) {
        (Value::Map(entries), "*") => {
            for entry in entries {
                visit(&escape_token(&entry.key), &entry.value);
            }
        }
        (Value::Seq(items), "*") => {
            for (index, item) in items.iter().enumerate() {
                visit(&index.to_string(), item);
            }
        }
        (Value::Map(_), _) => {
            if let Some(child) = node.get(&unescape_token(token)) {
                visit(token, child);
            }
        }
        (Value::Seq(items), _) => {
            // An index as JSON pointers write it: digits, no leading zero.
            let item = token
                .parse::<usize>()
                .ok()
                .filter(|i| i.to_string() == token)
                .and_then(|i| items.get(i));
            if let Some(item) = item {
                visit(token, item);
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

/// [`for_each_object`] on a node found at `pointer` of its document: an
/// item of a `List` read on its own is checked as it would be in its list.
pub fn for_each_object_at(
    node: &Node,
    document: usize,
    pointer: String,
    visit: &mut dyn FnMut(&Object<'_>),
) {
    visit_object(node, document, pointer, visit);
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

/// Append a key to a pointer. The result has no spare capacity (`format!`
/// leaves some): findings and their fixes keep these pointers.
pub fn join(pointer: &str, key: &str) -> String {
    let key = escape_token(key);
    let mut joined = String::with_capacity(pointer.len() + 1 + key.len());
    joined.push_str(pointer);
    joined.push('/');
    joined.push_str(&key);
    joined
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
        return Err("`workloads`: more than 256 entries".to_owned());
    }
    for i in 0..entries.len() {
        if let Some((field, problem)) = entry_problem(entries, i) {
            return Err(format!("`workloads[{i}]{field}`: {problem}"));
        }
    }
    Ok(())
}

/// What is wrong with `entries[i]`: the field (`.podSpecs[0]`, or empty
/// for the entry) and the problem.
fn entry_problem(entries: &[WorkloadEntry], i: usize) -> Option<(String, String)> {
    let entry = &entries[i];
    let at = |field: &str, problem: String| Some((field.to_owned(), problem));
    let (group, version) = split_api_version(&entry.api_version);
    let name_ok = |s: &str, extra: &[u8]| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || extra.contains(&b))
    };
    let grouped = entry.api_version.contains('/');
    if (grouped && !name_ok(group, b"-."))
        || !(name_ok(version, b"") || (grouped && version == "*"))
    {
        return at(
            ".apiVersion",
            format!(
                "`{}` is not `group/version`, `group/*` (every version) or `v1`",
                entry.api_version
            ),
        );
    }
    if entry.kind.is_empty() || !entry.kind.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return at(
            ".kind",
            format!("`{}` is not a kind (`Rollout`)", entry.kind),
        );
    }
    if entry.pod_specs.is_empty() {
        return at(
            ".podSpecs",
            "the list is empty: name a pod spec (`/spec/template/spec`)".to_owned(),
        );
    }
    for (j, pointer) in entry.pod_specs.iter().enumerate() {
        let twice = entry.pod_specs[..j].iter().any(|p| overlap(p, pointer));
        if twice || !pointer_ok(pointer) {
            let problem = if twice {
                "overlaps an earlier pointer: pod specs would be checked twice"
            } else {
                "is not a JSON pointer to pod specs (`/spec/template/spec`; `*` for every item or key)"
            };
            return Some((format!(".podSpecs[{j}]"), format!("`{pointer}` {problem}")));
        }
    }
    if entries[..i]
        .iter()
        .any(|e| e.api_version == entry.api_version && e.kind == entry.kind)
    {
        return at(
            "",
            format!("`{}` `{}` is declared twice", entry.api_version, entry.kind),
        );
    }
    let row = builtin(group, &entry.kind);
    let same = row.is_some_and(|row| {
        row.pod_specs().count() == entry.pod_specs.len()
            && row
                .pod_specs()
                .all(|p| entry.pod_specs.iter().any(|u| u == p))
    });
    match row {
        Some(row) if !entry.replace && !same => at("", format!(
            "`{}` is built in for this group ({}), with podSpecs [{}]; to check other paths instead, add `replace: true`",
            entry.kind,
            row.project,
            row.pod_specs.replace(',', ", ")
        )),
        None if entry.replace => at(".replace", format!(
            "`{}` is not built in for this group: there is nothing to replace",
            entry.kind
        )),
        _ => None,
    }
}

/// Whether a pod spec pointer is one: `/` then keys, none empty, `~` only
/// in `~0` and `~1`, `*` only alone, at most [`MAX_POINTER_TOKENS`] keys.
fn pointer_ok(pointer: &str) -> bool {
    pointer.strip_prefix('/').is_some_and(|rest| {
        rest.split('/').count() <= MAX_POINTER_TOKENS
            && rest.split('/').all(|token| {
                !token.is_empty()
                    && !token.replace("~0", "").replace("~1", "").contains('~')
                    && (token == "*" || !token.contains('*'))
            })
    })
}

/// Whether two pointers can reach the same node: as many keys, each pair
/// equal or one of them `*`.
fn overlap(a: &str, b: &str) -> bool {
    a.split('/').count() == b.split('/').count()
        && a.split('/')
            .zip(b.split('/'))
            .all(|(x, y)| x == y || x == "*" || y == "*")
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
        pod_spec_pointers(api_version, kind, user).map(|p| {
            let mut out = Vec::new();
            p.for_each(&mut |pointer| out.push(pointer.to_owned()));
            out
        })
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
        // A list inside a List; an escaped key; an index.
        let user = [entry(
            "example.com/v1",
            "Runner",
            &[
                "/spec/groups/*/spec",
                "/spec/m~1n/spec",
                "/spec/pairs/1/spec",
            ],
        )];
        let list = serde_json::json!({"kind": "List", "items": [{
            "apiVersion": "example.com/v1", "kind": "Runner",
            "spec": {
                "groups": [{"spec": {}}, {"spec": {}}],
                "m/n": {"spec": {}},
                "pairs": [{"spec": {}}, {"spec": {}}, {"spec": {}}]
            }
        }]});
        assert_eq!(
            object_specs(list, &user),
            [
                "/items/0/spec/groups/0/spec",
                "/items/0/spec/groups/1/spec",
                "/items/0/spec/m~1n/spec",
                "/items/0/spec/pairs/1/spec"
            ]
        );
        // `01` is not an index in a JSON pointer.
        let user = [entry("example.com/v1", "Runner", &["/spec/pairs/01/spec"])];
        let padded = serde_json::json!({"apiVersion": "example.com/v1", "kind": "Runner",
            "spec": {"pairs": [{"spec": {}}, {"spec": {}}]}});
        assert!(object_specs(padded, &user).is_empty());
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
        assert!(e.starts_with("`workloads[0].podSpecs[0]`: `spec/runner` is not a JSON pointer to pod specs (`/spec/template/spec`"), "{e}");
        let e = refused(&[entry("x.io/v1", "R", &[""])]);
        assert!(e.contains("podSpecs[0]`: `` is not a JSON pointer"), "{e}");
        let e = refused(&[entry("x.io/v1", "R", &[])]);
        assert!(
            e.starts_with("`workloads[0].podSpecs`: the list is empty"),
            "{e}"
        );
        let e = refused(&[entry("x.io/v1", "R", &["/a//b"])]);
        assert!(e.contains("`/a//b` is not a JSON pointer"), "{e}");
        let e = refused(&[entry("x.io/v1", "R", &["/a/~2"])]);
        assert!(e.contains("`/a/~2` is not a JSON pointer"), "{e}");
        assert_eq!(
            validate_entries(&[entry("x.io/v1", "R", &["/a~1b/~0c"])]),
            Ok(())
        );
        let e = refused(&[entry("x.io/v1", "R", &["/a/b*"])]);
        assert!(e.contains("`/a/b*` is not a JSON pointer"), "{e}");
        let e = refused(&[entry("x.io/v1", "R", &["/a", "/a"])]);
        assert!(
            e.contains("podSpecs[1]`: `/a` overlaps an earlier pointer"),
            "{e}"
        );
        let e = refused(&[entry("x.io/v1", "R", &["/a/*/spec", "/b/x", "/a/0/spec"])]);
        assert!(
            e.contains("podSpecs[2]`: `/a/0/spec` overlaps an earlier pointer"),
            "{e}"
        );
        // A pod spec inside another is not the same one.
        assert_eq!(
            validate_entries(&[entry("x.io/v1", "R", &["/a/*/spec", "/a/0/spec/x", "/a/b"])]),
            Ok(())
        );
        let e = refused(&[entry("*/v1", "R", &["/a"])]);
        assert!(e.starts_with("`workloads[0].apiVersion`"), "{e}");
        let e = refused(&[entry("*", "R", &["/a"])]);
        assert!(e.starts_with("`workloads[0].apiVersion`"), "{e}");
        let e = refused(&[entry("", "R", &["/a"])]);
        assert!(e.starts_with("`workloads[0].apiVersion`: `` is not"), "{e}");
        let e = refused(&[entry("Example.com/v1", "R", &["/a"])]);
        assert!(e.starts_with("`workloads[0].apiVersion`"), "{e}");
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
        assert!(refused(&[entry("x.io/v1", "R", &[&deep])]).contains("is not a JSON pointer"));
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
            e.contains("`workloads[0]`: `Rollout` is built in for this group (Argo Rollouts), with podSpecs [/spec/template/spec]; to check other paths instead, add `replace: true`"),
            "{e}"
        );
        let e = refused(&[entry("apps/v1", "Deployment", &["/spec/x"])]);
        assert!(
            e.contains("`Deployment` is built in for this group (Kubernetes)"),
            "{e}"
        );
        let mut replaced = entry("argoproj.io/*", "Rollout", &["/spec/other/spec"]);
        replaced.replace = true;
        assert_eq!(validate_entries(&[replaced]), Ok(()));
        let mut nothing = entry("example.com/v1", "Rollout", &["/spec"]);
        nothing.replace = true;
        let e = refused(&[nothing]);
        assert!(
            e.starts_with("`workloads[0].replace`: `Rollout` is not built in for this group"),
            "{e}"
        );
    }

    #[test]
    fn every_builtin_pointer_is_valid_and_rows_do_not_overlap() {
        for row in BUILTIN {
            let pointers: Vec<&str> = row.pod_specs().collect();
            for (j, pointer) in pointers.iter().enumerate() {
                assert!(
                    !pointers[..j].iter().any(|p| overlap(p, pointer)),
                    "{pointer}"
                );
                assert!(pointer_ok(pointer), "{pointer}");
            }
            for group in row.groups() {
                for kind in row.kinds() {
                    assert_eq!(
                        builtin(group, kind),
                        Some(row),
                        "{group} {kind} in two rows"
                    );
                }
            }
            // The CRDs' plurals, as each names them (`kubeflow.org_pytorchjobs.yaml`).
            assert_eq!(row.resources().count(), row.kinds().count());
        }
        let resources: Vec<String> = BUILTIN.iter().flat_map(Builtin::resources).collect();
        assert!(
            resources.contains(&"jaxjobs".to_owned())
                && resources.contains(&"rayservices".to_owned())
        );
        assert_eq!(
            builtin("", "DeploymentConfig").map(|r| r.project),
            Some("OpenShift")
        );
        for kind in WORKLOAD_KINDS {
            assert!(BUILTIN
                .iter()
                .any(|r| r.project == KUBERNETES && r.kinds().any(|k| k == *kind)));
        }
    }
}
