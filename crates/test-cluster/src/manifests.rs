//! The objects of manifest files, as the API server receives them, and many
//! of them sent at once.
//!
//! kubectl turns YAML into JSON with YAML 1.1 rules; the core's reader does
//! the same (`privileged: yes` is `true`, merge keys apply, the last of
//! duplicate keys wins), so an object read here is the object kubectl sends.

use std::path::{Path, PathBuf};

use kube_immutable_core::workload::{
    builtin, for_each_object, split_api_version, KUBERNETES, WORKLOAD_KINDS,
};
use kube_immutable_core::{yaml, Limits};
use serde_json::{json, Value};

use crate::{Cluster, Response};

/// One object of a manifest: a document root or an item of a `List`.
#[derive(Debug, Clone)]
pub struct ManifestObject {
    /// 0-based index of the document in its stream.
    pub document: usize,
    /// JSON pointer of the object inside its document (`""`, `/items/2`).
    pub pointer: String,
    pub kind: String,
    pub name: Option<String>,
    pub json: Value,
}

impl ManifestObject {
    /// `Kind/name`, for messages.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{}/{name}", self.kind),
            None => self.kind.clone(),
        }
    }
}

/// Every object of a checked workload kind in `text`, in stream order.
/// Documents the reader cannot read are skipped (their errors are the
/// core's business, tested elsewhere).
pub fn workload_objects(text: &str) -> Vec<ManifestObject> {
    let (documents, _) = yaml::parse_stream(text, &Limits::default());
    let mut objects = Vec::new();
    for doc in &documents {
        for_each_object(&doc.root, doc.index, &mut |object| {
            // Kubernetes' own kinds (a custom resource of the same kind,
            // Volcano's `Job`, has no collection on a bare API server).
            let custom = object
                .api_version
                .and_then(|v| builtin(split_api_version(v).0, object.kind))
                .is_some_and(|row| row.project != KUBERNETES);
            if WORKLOAD_KINDS.contains(&object.kind) && !custom && !object.pod_specs(&[]).is_empty()
            {
                objects.push(ManifestObject {
                    document: object.document,
                    pointer: object.pointer.to_owned(),
                    kind: object.kind.to_owned(),
                    name: object.name().map(ToOwned::to_owned),
                    json: object.node.to_json(),
                });
            }
        });
    }
    objects
}

/// The YAML and JSON files under `dir`, sorted (recursively).
pub fn manifest_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The shared corpus (`$KUBE_IMMUTABLE_CORPUS`), or why there is none.
pub fn corpus() -> Result<PathBuf, String> {
    match std::env::var_os("KUBE_IMMUTABLE_CORPUS") {
        Some(dir) if Path::new(&dir).join("realworld").is_dir() => Ok(PathBuf::from(dir)),
        Some(dir) => Err(format!(
            "KUBE_IMMUTABLE_CORPUS={} has no realworld/ folder",
            Path::new(&dir).display()
        )),
        None => Err(
            "KUBE_IMMUTABLE_CORPUS is not set (scripts/test.sh sets it to ../shared/corpus when it is there)"
                .to_owned(),
        ),
    }
}

/// Creates every object in `namespace` (dry run or not) on `threads`
/// threads; the answers are in the objects' order.
pub fn create_all(
    cluster: &Cluster,
    namespace: &str,
    objects: &[&Value],
    dry_run: bool,
    threads: usize,
) -> Vec<Response> {
    let threads = threads.clamp(1, 16);
    let chunk = objects.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = objects
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|object| cluster.create(namespace, object, dry_run))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// A Pod of `containers` containers, each with 20 capabilities added and 20
/// host ports: everything an admission policy iterates over, many times.
/// Compliant (under `presets/restricted.yaml`) or breaking every rule. The
/// cluster tests and `cargo xtask bench-vap` send it.
pub fn big_pod(name: &str, containers: usize, compliant: bool) -> Value {
    const CAPS: [&str; 20] = [
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
        "SYS_ADMIN",
        "NET_ADMIN",
        "NET_RAW",
        "SYS_PTRACE",
        "SYS_MODULE",
        "SYS_TIME",
        "BPF",
    ];
    let digest = format!("sha256:{}", "a".repeat(64));
    let list: Vec<Value> = (0..containers)
        .map(|i| {
            let ports: Vec<Value> = (0..20)
                .map(|j| {
                    let port = 1000 + i * 20 + j;
                    if compliant {
                        json!({"containerPort": port})
                    } else {
                        json!({"containerPort": port, "hostPort": 20000 + i * 20 + j})
                    }
                })
                .collect();
            if compliant {
                let add = vec!["NET_BIND_SERVICE"; 20];
                json!({"name": format!("c{i}"), "image": format!("registry.example/app{i}:1.0@{digest}"),
                    "ports": ports,
                    "securityContext": {"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
                        "capabilities": {"add": add, "drop": ["ALL"]}}})
            } else {
                json!({"name": format!("c{i}"), "image": format!("registry.example/app{i}:latest"),
                    "ports": ports,
                    "securityContext": {"capabilities": {"add": CAPS, "drop": ["NET_RAW"]}}})
            }
        })
        .collect();
    let security = if compliant {
        json!({"runAsNonRoot": true})
    } else {
        json!({})
    };
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
        "spec": {"securityContext": security, "containers": list}})
}
