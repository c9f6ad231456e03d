//! End-to-end tests of `kube-immutable fix`.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failing test

mod common;
use common::{root, run_in as run};

use std::path::Path;

fn rules_in(dir: &Path, text: &str) -> Vec<String> {
    let out = run(dir, &["check", "--format", "json", "-"], Some(text));
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn one_input_prints_exactly_the_fixed_manifest() {
    let out = run(&root(), &["fix", "examples/mutable-pod.yaml"], None);
    assert_eq!(
        out.code, 1,
        "run-as-root is left for --unsafe-fixes: {}",
        out.stderr
    );
    let original = std::fs::read_to_string(root().join("examples/mutable-pod.yaml")).unwrap();
    // Comments and untouched lines are kept byte for byte.
    assert!(
        out.stdout.starts_with("# The tutorial's starting point"),
        "{}",
        out.stdout
    );
    for line in original
        .lines()
        .filter(|l| !l.contains("true") && !l.contains("false"))
    {
        assert!(out.stdout.contains(line), "lost line {line:?}");
    }
    for needle in [
        "privileged: false",
        "allowPrivilegeEscalation: false",
        "readOnlyRootFilesystem: true",
        "mountPath: /var/cache/nginx",
        "mountPath: /var/run",
        "runAsUser: 0",
    ] {
        assert!(
            out.stdout.contains(needle),
            "missing {needle:?}:\n{}",
            out.stdout
        );
    }
    assert_eq!(
        rules_in(&root(), &out.stdout),
        [
            "may-run-as-root",
            "capabilities-not-restricted",
            "run-as-root"
        ],
        "the unsafe fixes are left"
    );
    assert!(out.stderr.contains("--unsafe-fixes"), "{}", out.stderr);
}

#[test]
fn unsafe_fixes_remove_root() {
    let out = run(
        &root(),
        &["fix", "--unsafe-fixes", "-"],
        Some(&std::fs::read_to_string(root().join("examples/mutable-pod.yaml")).unwrap()),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.contains("runAsUser"), "{}", out.stdout);
    assert!(out.stdout.contains("runAsNonRoot: true"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("capabilities:\n          drop:\n            - ALL\n"),
        "{}",
        out.stdout
    );
    assert!(rules_in(&root(), &out.stdout).is_empty());
}

#[test]
fn diff_shows_small_hunks_and_changes_nothing() {
    let before = std::fs::read_to_string(root().join("examples/mutable-pod.yaml")).unwrap();
    let out = run(&root(), &["fix", "--diff", "examples/"], None);
    assert!(
        out.stdout
            .contains("--- a/examples/mutable-pod.yaml\n+++ b/examples/mutable-pod.yaml\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("-        privileged: true\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("+        privileged: false\n"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("-kind: Pod"),
        "unchanged lines are context only"
    );
    assert_eq!(
        std::fs::read_to_string(root().join("examples/mutable-pod.yaml")).unwrap(),
        before
    );
}

#[test]
fn write_rewrites_files_in_place_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("examples/mutable-pod.yaml"),
        dir.path().join("pod.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("service.yaml"),
        "kind: Service\nmetadata: {name: s}\n",
    )
    .unwrap();
    let out = run(dir.path(), &["fix", "--write", "."], None);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.is_empty(),
        "--write prints nothing: {}",
        out.stdout
    );
    let fixed = std::fs::read_to_string(dir.path().join("pod.yaml")).unwrap();
    assert!(fixed.contains("readOnlyRootFilesystem: true"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("service.yaml")).unwrap(),
        "kind: Service\nmetadata: {name: s}\n"
    );
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files.len(), 2, "no temporary files left: {files:?}");

    let again = run(dir.path(), &["fix", "--write", "pod.yaml"], None);
    assert!(
        again.stderr.starts_with("0 fixes") || again.stderr.contains("Applied 0 fixes"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("pod.yaml")).unwrap(),
        fixed
    );
}

#[test]
fn several_inputs_print_one_stream_and_unreadable_ones_exit_2() {
    let out = run(
        &root(),
        &[
            "fix",
            "examples/immutable-pod.yaml",
            "examples/mutable-pod.yaml",
            "missing.yaml",
        ],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("---\n# Source: examples/immutable-pod.yaml\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("---\n# Source: examples/mutable-pod.yaml\n"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("missing.yaml"), "{}", out.stderr);
}

#[test]
fn check_counts_what_fix_would_resolve() {
    let out = run(&root(), &["check", "examples/mutable-pod.yaml"], None);
    assert!(
        out.stdout.contains("fixable with `kube-immutable fix`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("more with `--unsafe-fixes`"),
        "{}",
        out.stdout
    );
}
