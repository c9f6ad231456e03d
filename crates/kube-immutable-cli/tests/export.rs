//! `kube-immutable export vap`: the core's ValidatingAdmissionPolicies, as
//! the binary prints them. What the API server does with them is tested in
//! the `tests` crate, on a real one.

#![allow(clippy::unwrap_used)]

mod common;
use common::{root, run_in, Out};

fn run(args: &[&str]) -> Out {
    run_in(&root(), args, None)
}

/// The `kind:` of every object of the stream, in order.
fn kinds(stream: &str) -> Vec<&str> {
    stream
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .collect()
}

#[test]
fn default_settings_deny_errors_and_warn_warnings() {
    let out = run(&["export", "vap"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "");
    assert_eq!(
        kinds(&out.stdout),
        [
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding"
        ]
    );
    assert!(out.stdout.contains("  validationActions: [Deny, Audit]\n"));
    assert!(out.stdout.contains("  validationActions: [Warn, Audit]\n"));
    // The header says which rule goes where.
    assert!(out.stdout.contains(
        "# Warned (kube-immutable-warn, bound with [Warn, Audit]): privilege-escalation-not-disabled, may-run-as-root, host-ports, capabilities-not-restricted, mutable-image-tag.\n"
    ));
    assert!(out.stdout.contains("# Off: image-not-pinned.\n"));
}

#[test]
fn the_restricted_preset_only_denies() {
    let out = run(&["export", "vap", "--config", "presets/restricted.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        kinds(&out.stdout),
        [
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding"
        ]
    );
    assert!(out.stdout.contains("name: kube-immutable-deny"));
    assert!(!out.stdout.contains("name: kube-immutable-warn"));
    assert!(out.stdout.contains("- name: imageNotPinned"));
}

#[test]
fn refused_settings_exit_2_and_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "rules:\n  privilegd: off\n").unwrap();
    let out = run(&["export", "vap", "--config", file.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("unknown rule `privilegd`"), "{}", out.stderr);
}
