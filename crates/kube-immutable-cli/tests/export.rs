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
        "# Warned (kube-immutable-warn): privilege-escalation-not-disabled, may-run-as-root, host-ports, capabilities-not-restricted, mutable-image-tag.\n"
    ));
    assert!(out.stdout.contains("# Off: image-not-pinned.\n"));
}

#[test]
fn the_restricted_preset_denies_and_warns_only_of_the_ignore_annotation() {
    let out = run(&["export", "vap", "--config", "presets/restricted.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        kinds(&out.stdout),
        [
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding"
        ]
    );
    let (deny, warn) = out.stdout.split_once("name: kube-immutable-warn").unwrap();
    assert!(deny.contains("- name: imageNotPinned"));
    assert!(deny.contains("- name: mayRunAsRoot"));
    // Every rule denies: the warning policy only says that the ignore
    // annotation does nothing, as the policy module does.
    assert!(!warn.contains("- name: mayRunAsRoot"));
    assert!(warn.contains(
        "kube-immutable.io/ignore is not honoured by this policy: an object cannot lift a rule for itself"
    ));
}

#[test]
fn refused_settings_exit_2_and_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.yaml");
    std::fs::write(&file, "rules:\n  privilegd: off\n").unwrap();
    let out = run(&["export", "vap", "--config", file.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("unknown rule `privilegd`"),
        "{}",
        out.stderr
    );
}

#[test]
fn settings_admission_refuses_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("untied.yaml");
    std::fs::write(&file, "exemptions:\n  containers: [istio-proxy]\n").unwrap();
    let out = run(&["export", "vap", "--config", file.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("exempts any container its author names `istio-proxy`"),
        "{}",
        out.stderr
    );
    // Tied to its images, it is exported: a clause of the `lists` variable.
    std::fs::write(
        &file,
        "exemptions:\n  containers:\n    - name: istio-proxy\n      images: [\"docker.io/istio/proxyv2:*\"]\n",
    )
    .unwrap();
    let out = run(&["export", "vap", "--config", file.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out
        .stdout
        .contains("c.?name.orValue('').matches('(?s)^(?:istio-proxy)$') && (c.?image.hasValue() && c.image.matches('(?s)^(?:docker\\\\.io/istio/proxyv2:.*)$'))"), "{}", out.stdout);
}

#[test]
fn without_config_the_nearest_settings_file_applies() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join(".kube-immutable.yaml"),
        "rules:\n  image-not-pinned: error\n",
    )
    .unwrap();
    let nested = dir.path().join("deploy/prod");
    std::fs::create_dir_all(&nested).unwrap();
    let out = run_in(&nested, &["export", "vap"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("- name: imageNotPinned"),
        "{}",
        out.stdout
    );
    // A broken one is refused, with its frame.
    std::fs::write(dir.path().join(".kube-immutable.yaml"), "rulez: {}\n").unwrap();
    let out = run_in(&nested, &["export", "vap"], None);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("rulez"), "{}", out.stderr);
}
