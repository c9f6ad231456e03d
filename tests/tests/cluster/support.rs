//! What the cluster tests share: namespaces of their own, the repository's
//! files, settings with every rule on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use kube_immutable_core::{Level, Settings, RULES};
use kube_immutable_test_cluster::Cluster;
use libtest_mimic::Failed;

/// A namespace no other test uses (`PREFIX-N`), with its `default`
/// ServiceAccount and `labels`.
pub fn namespace(
    cluster: &Cluster,
    prefix: &str,
    labels: &[(&str, &str)],
) -> Result<String, Failed> {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    let name = format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    cluster.create_namespace(&name, labels)?;
    Ok(name)
}

/// Installs a CRD for `kind` in `group` (served at `version`, every field
/// kept: what admission needs of a project's CRD), and waits until the API
/// server serves it. Installing it again is no error.
pub fn install_crd(
    cluster: &Cluster,
    group: &str,
    kind: &str,
    plural: &str,
    version: &str,
) -> Result<(), Failed> {
    let crd = serde_json::json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.to_lowercase(), "listKind": format!("{kind}List")},
            "versions": [{"name": version, "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}],
        },
    });
    let r = cluster.request(
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        Some(&crd),
    );
    if !r.ok() && r.status != 409 {
        return Err(format!("CRD {plural}.{group}: {} {}", r.status, r.message()).into());
    }
    let probe = serde_json::json!({"apiVersion": format!("{group}/{version}"), "kind": kind});
    let served = cluster.wait_until(std::time::Duration::from_secs(30), || {
        cluster.forget_discovery();
        cluster.collection_path("default", &probe).is_some()
    });
    if !served {
        return Err(format!("the CRD {plural}.{group} was never served").into());
    }
    Ok(())
}

/// A path in the repository.
pub fn repo(path: &str) -> PathBuf {
    kube_immutable_tests::workspace_root().join(path)
}

/// Every rule at error level: every fix is offered.
pub fn every_rule() -> Settings {
    Settings {
        rules: RULES
            .iter()
            .map(|r| (r.id.to_owned(), Level::Error))
            .collect::<BTreeMap<_, _>>(),
        ..Settings::default()
    }
}

/// The repository's manifests: the rules' fixtures, the examples, the
/// CLI's fixtures and the cluster tests' own named cases.
pub fn fixture_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "crates/kube-immutable-core/tests/fixtures",
        "examples",
        "crates/kube-immutable-cli/tests/fixtures",
        "tests/fixtures/cluster",
    ] {
        files.extend(kube_immutable_test_cluster::manifests::manifest_files(
            &repo(dir),
        ));
    }
    files
}

/// `path` relative to the repository or the corpus, for messages.
pub fn short(path: &Path) -> String {
    let root = kube_immutable_tests::workspace_root();
    path.strip_prefix(&root)
        .or_else(|_| {
            std::env::var_os("KUBE_IMMUTABLE_CORPUS").map_or(Err(()), |c| {
                path.strip_prefix(PathBuf::from(c)).map_err(|_| ())
            })
        })
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Fails with every line of `failures`, or passes.
pub fn none_of(what: &str, failures: &[String]) -> Result<(), Failed> {
    if failures.is_empty() {
        return Ok(());
    }
    let shown: Vec<&String> = failures.iter().take(40).collect();
    Err(format!(
        "{} {what}:\n{}{}",
        failures.len(),
        shown.iter().map(|s| format!("- {s}\n")).collect::<String>(),
        if failures.len() > shown.len() {
            "- ...\n"
        } else {
            ""
        }
    )
    .into())
}
