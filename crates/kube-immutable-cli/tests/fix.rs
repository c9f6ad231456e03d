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

/// `fix --write` on an Argo Rollout makes the edits it makes on a
/// Deployment with the same lines; `check` names the object `Rollout/…`;
/// a kind declared under `workloads` in `--config` is checked and fixed.
#[test]
fn custom_resources_are_checked_and_fixed_like_a_deployment() {
    let rollout = std::fs::read_to_string(
        root().join("crates/kube-immutable-core/tests/workloads/argo-rollout.yaml"),
    )
    .unwrap();
    let header = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n";
    let deployment = rollout.replace(header, "apiVersion: apps/v1\nkind: Deployment\n");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rollout.yaml"), &rollout).unwrap();
    std::fs::write(dir.path().join("deployment.yaml"), &deployment).unwrap();

    let out = run(dir.path(), &["check", "rollout.yaml"], None);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout.contains("Rollout/rollout-canary"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("rollout.yaml:25:11"), "{}", out.stdout);

    let out = run(
        dir.path(),
        &[
            "fix",
            "--write",
            "--unsafe-fixes",
            "rollout.yaml",
            "deployment.yaml",
        ],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let fixed_rollout = std::fs::read_to_string(dir.path().join("rollout.yaml")).unwrap();
    let fixed_deployment = std::fs::read_to_string(dir.path().join("deployment.yaml")).unwrap();
    assert_ne!(fixed_rollout, rollout);
    assert!(fixed_rollout.starts_with(&rollout[..rollout.find(header).unwrap() + header.len()]));
    assert_eq!(
        fixed_rollout.replace(header, "apiVersion: apps/v1\nkind: Deployment\n"),
        fixed_deployment
    );

    // A kind of one's own, declared in the config file.
    let runner = deployment.replace(
        "apps/v1\nkind: Deployment",
        "pipelines.example.com/v1\nkind: Runner",
    );
    std::fs::write(dir.path().join("runner.yaml"), &runner).unwrap();
    let out = run(dir.path(), &["check", "runner.yaml"], None);
    assert_eq!(out.code, 0, "not declared, not checked: {}", out.stdout);
    std::fs::write(
        dir.path().join("config.yaml"),
        "workloads:\n  - apiVersion: pipelines.example.com/*\n    kind: Runner\n    podSpecs: [/spec/template/spec]\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["check", "--config", "config.yaml", "runner.yaml"],
        None,
    );
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stdout.contains("Runner/rollout-canary"),
        "{}",
        out.stdout
    );
    let out = run(
        dir.path(),
        &["fix", "--config", "config.yaml", "runner.yaml"],
        None,
    );
    assert!(out.stdout.contains("privileged: false"), "{}", out.stdout);

    // A pointer that is not one: exit 2, the key and its line named.
    std::fs::write(
        dir.path().join("bad.yaml"),
        "workloads:\n  - apiVersion: pipelines.example.com/v1\n    kind: Runner\n    podSpecs:\n      - spec/template/spec\n",
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["check", "--config", "bad.yaml", "runner.yaml"],
        None,
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("invalid settings at `workloads[0].podSpecs[0]`: `spec/template/spec` is not a JSON pointer"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("bad.yaml:5:9"), "{}", out.stderr);
}
