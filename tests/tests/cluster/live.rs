//! Live objects: what the API server stores and returns (`kubectl get -o
//! yaml`: a `List`, with `managedFields`, `status` and defaults filled) gets
//! the same findings as the files it came from.

use std::collections::{BTreeSet, HashMap};

use kube_immutable_core::{check_text, Finding, Settings};
use kube_immutable_test_cluster::manifests::{
    corpus, create_all, manifest_files, workload_objects,
};
use kube_immutable_test_cluster::Cluster;
use libtest_mimic::Failed;
use serde_json::Value;

use crate::support::{fixture_files, namespace, none_of, short};

/// The resources `kubectl get` lists for the checked kinds.
pub const RESOURCES: &str =
    "pods,podtemplates,replicationcontrollers,replicasets.apps,deployments.apps,\
                         daemonsets.apps,statefulsets.apps,jobs.batch,cronjobs.batch";

/// A finding as it survives a trip through the API server: rule, container,
/// and pointer inside its object.
type Key = (String, Option<String>, String);

fn keys(findings: &[&Finding]) -> BTreeSet<Key> {
    findings
        .iter()
        .map(|f| {
            let inside = f
                .pointer
                .strip_prefix(&f.object.pointer)
                .unwrap_or(&f.pointer);
            (f.rule.to_owned(), f.container.clone(), inside.to_owned())
        })
        .collect()
}

pub fn stored_objects_get_the_files_findings(cluster: &Cluster) -> Result<(), Failed> {
    let mut files = fixture_files();
    match corpus() {
        Ok(dir) => files.extend(manifest_files(&dir.join("realworld"))),
        Err(why) => eprintln!("SKIPPED: live objects of the real-world corpus: {why}"),
    }
    let ns = namespace(cluster, "live", &[])?;
    let settings = Settings::default();
    // Each object under a name of its own (`o<N>`), with the findings its
    // file gives it.
    let mut objects: Vec<Value> = Vec::new();
    let mut expected: Vec<(String, BTreeSet<Key>, bool)> = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let report = check_text(&text, &settings);
        for object in workload_objects(&text) {
            let findings: Vec<&Finding> = report
                .findings
                .iter()
                .filter(|f| {
                    f.object.document == object.document && f.object.pointer == object.pointer
                })
                .collect();
            let host_network = object.json.pointer("/spec/hostNetwork") == Some(&Value::Bool(true))
                || object.json.pointer("/spec/template/spec/hostNetwork")
                    == Some(&Value::Bool(true))
                || object
                    .json
                    .pointer("/spec/jobTemplate/spec/template/spec/hostNetwork")
                    == Some(&Value::Bool(true))
                || object.json.pointer("/template/spec/hostNetwork") == Some(&Value::Bool(true));
            let mut json = object.json.clone();
            let name = format!("o{}", objects.len());
            if let Some(meta) = json.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.insert("name".to_owned(), Value::from(name.as_str()));
                meta.remove("generateName");
                meta.remove("namespace");
            }
            expected.push((
                format!("{} {}", short(file), object.label()),
                keys(&findings),
                host_network,
            ));
            objects.push(json);
        }
    }
    let created = create_all(cluster, &ns, &objects.iter().collect::<Vec<_>>(), false, 4);
    let out = cluster.run_kubectl(&["get", RESOURCES, "-n", &ns, "-o", "yaml"], None);
    if !out.status.success() {
        return Err(format!("kubectl get: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let listed = String::from_utf8(out.stdout)?;
    let live = check_text(&listed, &settings);
    // Warnings are the objects' own (an unknown rule in an annotation).
    if live.has_input_errors() {
        return Err(format!("kubectl get -o yaml gave input errors: {:?}", live.errors).into());
    }
    // The List's items, by name.
    let mut by_name: HashMap<String, Vec<&Finding>> = HashMap::new();
    for f in &live.findings {
        if let Some(name) = &f.object.name {
            by_name.entry(name.clone()).or_default().push(f);
        }
    }
    let items = workload_objects(&listed);
    let stored: BTreeSet<String> = items.iter().filter_map(|o| o.name.clone()).collect();
    let mut failures = Vec::new();
    let mut compared = 0;
    for (i, ((label, file_keys, host_network), answer)) in expected.iter().zip(&created).enumerate()
    {
        if !answer.ok() {
            continue;
        }
        let name = format!("o{i}");
        if !stored.contains(&name) {
            failures.push(format!("{label}: created but not listed by kubectl get"));
            continue;
        }
        compared += 1;
        let live_keys = keys(by_name.get(&name).map_or(&[][..], Vec::as_slice));
        let mut missing: Vec<&Key> = file_keys.difference(&live_keys).collect();
        let mut added: Vec<&Key> = live_keys.difference(file_keys).collect();
        // With `hostNetwork: true` the API server fills each container
        // port's `hostPort` with its `containerPort` (the pod listens on the
        // node): the stored object truly binds host ports, and Pod
        // Security's hostPorts check sees them too.
        if *host_network {
            added.retain(|(rule, _, _)| rule != "host-ports");
        }
        missing.sort();
        added.sort();
        if !missing.is_empty() || !added.is_empty() {
            failures.push(format!(
                "{label}: stored object: missing {missing:?}, added {added:?}"
            ));
        }
    }
    eprintln!("live objects: {compared} stored objects compared with their files");
    if compared < 50 {
        failures.push(format!("only {compared} objects could be created"));
    }
    none_of(
        "stored objects whose findings differ from their file's",
        &failures,
    )
}
