//! Per-rule fixtures: `fixtures/<rule-id>/valid_*.yaml` must produce no
//! finding of that rule, `invalid_*.yaml` at least one. Every fixture's
//! complete verdict (all rules, and input errors) is snapshotted in a compact
//! projection beside it in `snapshots/`.

// Helpers outside #[test] fns unwrap too: a panic here is a failing test
// (clippy.toml's allow-unwrap-in-tests only covers the test fns).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kube_immutable_core::{Report, RULES};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every `(rule id, fixture path)`, sorted.
fn fixtures() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(fixtures_dir()).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let rule = dir.file_name().unwrap().to_str().unwrap().to_owned();
        for file in std::fs::read_dir(&dir).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                out.push((rule.clone(), path));
            }
        }
    }
    out.sort();
    out
}

fn stem(path: &Path) -> &str {
    path.file_stem().unwrap().to_str().unwrap()
}

#[test]
fn every_rule_has_a_fixture_folder_and_every_folder_is_a_rule() {
    let dirs: BTreeSet<String> = fixtures().into_iter().map(|(r, _)| r).collect();
    let rules: BTreeSet<String> = RULES.iter().map(|r| r.id.to_owned()).collect();
    assert_eq!(dirs, rules);
    for (rule, path) in fixtures() {
        let name = stem(&path);
        assert!(
            name.starts_with("valid_") || name.starts_with("invalid_"),
            "{rule}/{name}: fixture names start with valid_ or invalid_"
        );
    }
    for rule in &rules {
        for prefix in ["valid_", "invalid_"] {
            assert!(
                fixtures()
                    .iter()
                    .any(|(r, p)| r == rule && stem(p).starts_with(prefix)),
                "{rule} has no {prefix}* fixture"
            );
        }
    }
}

#[test]
fn fixtures_verdicts_and_snapshots() {
    let mut failures = Vec::new();
    for (rule, path) in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let report = common::check(&text);
        let name = stem(&path);
        let hits = common::of_rule(&report, &rule).len();
        if name.starts_with("valid_") && hits > 0 {
            failures.push(format!(
                "{rule}/{name}: expected no `{rule}` finding, got {hits}"
            ));
        }
        if name.starts_with("invalid_") && hits == 0 {
            failures.push(format!(
                "{rule}/{name}: expected a `{rule}` finding, got none"
            ));
        }
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("snapshots/fixtures");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_input_file(&path);
        settings.set_description(format!("{rule}/{name}.yaml, default settings"));
        settings.bind(|| {
            insta::assert_snapshot!(format!("{rule}__{name}"), common::project(&report));
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn report_of(rule: &str, name: &str) -> Report {
    let path = fixtures_dir().join(rule).join(format!("{name}.yaml"));
    common::check(&std::fs::read_to_string(path).unwrap())
}

/// A field that only exists on containers, written in the pod
/// `securityContext`, never satisfies a rule, and the help says why.
#[test]
fn misplaced_pod_level_fields_are_named_in_the_help() {
    for (rule, fixture, key) in [
        (
            "privileged",
            "invalid_misplaced_pod_level_help",
            "privileged",
        ),
        (
            "allow-privilege-escalation",
            "invalid_misplaced_pod_level_help",
            "allowPrivilegeEscalation",
        ),
        (
            "privilege-escalation-not-disabled",
            "invalid_pod_level_only_help",
            "allowPrivilegeEscalation",
        ),
        (
            "writable-root-filesystem",
            "invalid_misplaced_pod_level_help",
            "readOnlyRootFilesystem",
        ),
    ] {
        let report = report_of(rule, fixture);
        let findings = common::of_rule(&report, rule);
        assert!(!findings.is_empty(), "{rule}/{fixture}");
        for f in findings {
            assert!(
                f.help.en.contains(&format!(
                    "`{key}` in the pod `securityContext` is not a Kubernetes field"
                )),
                "{rule}/{fixture}: help does not name the misplaced field: {}",
                f.help.en
            );
            assert!(f.help.fr.contains(key), "{rule}/{fixture}: French help");
        }
    }
    // Without the misplaced field, no such note.
    let report = report_of("privileged", "invalid_container_pod");
    for f in common::of_rule(&report, "privileged") {
        assert!(
            !f.help.en.contains("not a Kubernetes field"),
            "{}",
            f.help.en
        );
    }
}

/// Input errors the fixtures document (wrong types) come with a position.
#[test]
fn quoted_scalars_are_positioned_type_errors() {
    for (rule, fixture, line, col) in [
        ("privileged", "valid_quoted_string_is_a_type_error", 14, 21),
        ("run-as-root", "valid_quoted_zero_is_a_type_error", 10, 16),
        ("writable-root-filesystem", "invalid_quoted_true", 13, 33),
    ] {
        let report = report_of(rule, fixture);
        let errors: Vec<_> = report
            .errors
            .iter()
            .filter(|e| e.kind == kube_immutable_core::ErrorKind::InvalidType)
            .collect();
        assert_eq!(errors.len(), 1, "{rule}/{fixture}: {:?}", report.errors);
        let start = errors[0].start.unwrap();
        assert_eq!((start.line, start.column), (line, col), "{rule}/{fixture}");
        assert_eq!(errors[0].document, Some(0));
    }
}

/// Across the fixtures, every workload kind of the brief (§2) and `List`
/// items produce findings, and each container rule sees all three lists.
#[test]
fn fixtures_cover_every_kind_and_container_list() {
    let mut kinds = BTreeSet::new();
    let mut in_list = false;
    let mut lists: BTreeSet<(&str, &str)> = BTreeSet::new();
    for (rule, path) in fixtures() {
        let report = common::check(&std::fs::read_to_string(&path).unwrap());
        for f in &report.findings {
            kinds.insert(f.object.kind.clone());
            in_list |= f.object.pointer.starts_with("/items/");
        }
        for f in common::of_rule(&report, &rule) {
            for list in ["initContainers", "containers", "ephemeralContainers"] {
                if f.pointer.contains(&format!("/{list}/")) {
                    lists.insert((RULES.iter().find(|r| r.id == rule).unwrap().id, list));
                }
            }
        }
    }
    for kind in kube_immutable_core::workload::WORKLOAD_KINDS {
        assert!(
            kinds.contains(*kind),
            "no fixture has a finding in a {kind}"
        );
    }
    assert!(in_list, "no fixture has a finding inside a List");
    for rule in RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| *id != "host-namespaces")
    {
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            assert!(
                lists.contains(&(rule, list)),
                "no {rule} fixture has a finding in {list}"
            );
        }
    }
}

/// The writable-root-filesystem help names the paths a known image writes
/// (§4), and run-as-root suggests nginx's unprivileged variant (§2).
#[test]
fn helps_name_known_image_paths_and_non_root_variants() {
    let report = report_of("writable-root-filesystem", "invalid_unset_nginx_pod");
    let f = common::of_rule(&report, "writable-root-filesystem");
    assert_eq!(f.len(), 1);
    for path in ["/var/cache/nginx", "/var/run", "/tmp"] {
        assert!(f[0].help.en.contains(path), "{}", f[0].help.en);
    }
    let report = report_of("run-as-root", "invalid_init_and_ephemeral_job");
    let web: Vec<_> = common::of_rule(&report, "run-as-root")
        .into_iter()
        .filter(|f| f.container.as_deref() == Some("web"))
        .collect();
    assert_eq!(web.len(), 1);
    assert!(
        web[0].help.en.contains("nginxinc/nginx-unprivileged"),
        "{}",
        web[0].help.en
    );
}
