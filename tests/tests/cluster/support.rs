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
