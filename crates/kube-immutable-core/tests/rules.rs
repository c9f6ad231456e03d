//! Per-rule fixtures: `fixtures/<rule-id>/valid_*.yaml` must produce no
//! finding of that rule, `invalid_*.yaml` at least one. Every fixture's
//! complete verdict (all rules, and input errors) is snapshotted in a compact
//! projection beside it in `snapshots/`.

// Helpers outside #[test] fns unwrap too: a panic here is a failing test
// (clippy.toml's allow-unwrap-in-tests only covers the test fns).
#![allow(clippy::unwrap_used)]

mod common;
// The check `cargo xtask docs` runs on the French rule pages.
#[path = "../../xtask/src/typography.rs"]
mod typography;

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
        let report = common::check_with(&rule, &text);
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
        let on = if common::settings_with(&rule) == kube_immutable_core::Settings::default() {
            String::new()
        } else {
            format!(" with `{rule}` on")
        };
        settings.set_description(format!("{rule}/{name}.yaml, default settings{on}"));
        settings.bind(|| {
            insta::assert_snapshot!(format!("{rule}__{name}"), common::project(&report));
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn report_of(rule: &str, name: &str) -> Report {
    let path = fixtures_dir().join(rule).join(format!("{name}.yaml"));
    common::check_with(rule, &std::fs::read_to_string(path).unwrap())
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
        (
            "capabilities-not-restricted",
            "invalid_misplaced_pod_level_help",
            "capabilities",
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
        ("host-ports", "valid_quoted_is_a_type_error", 13, 21),
        ("host-path-volumes", "valid_wrong_type_is_an_error", 13, 17),
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
        let report = common::check_with(&rule, &std::fs::read_to_string(&path).unwrap());
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
    // Rules about the pod spec itself, or the object, not its containers.
    const POD_LEVEL: &[&str] = &["host-namespaces", "host-path-volumes", "unused-ignore"];
    for rule in RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| !POD_LEVEL.contains(id))
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

/// A fixed text is borrowed by every finding that shows it, not copied into
/// each (an editor keeps thousands of findings): the help and fix title of
/// `hostNetwork`, and of a root filesystem for an image the rule does not
/// know. Texts with the manifest's names in them are the finding's own.
#[test]
fn fixed_texts_are_borrowed_not_copied() {
    use std::borrow::Cow;
    let borrowed = |text: &Cow<'static, str>| matches!(text, Cow::Borrowed(_));
    let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: agent}\nspec:\n  hostNetwork: true\n  containers:\n  - {name: app, image: example.com/app:1.0}\n";
    for rule in ["host-namespaces", "writable-root-filesystem"] {
        let report = common::check_with(rule, text);
        let f = common::of_rule(&report, rule);
        assert_eq!(f.len(), 1, "{rule}");
        let title = &f[0].fix.as_ref().unwrap().title;
        for fixed in [&f[0].help.en, &f[0].help.fr, &title.en, &title.fr] {
            assert!(borrowed(fixed), "{rule}: {fixed}");
        }
        assert_eq!(borrowed(&f[0].message.en), rule == "host-namespaces");
    }
}

/// Findings of the rules beyond the tutorial point at the offending key or
/// list item: the `hostPath` key, the `hostPort` entry, the capability, the
/// `image` value; `drop` (or the nearest node) when `ALL` is missing.
#[test]
fn new_rules_point_at_the_offending_node() {
    // (rule, fixture, [(pointer, marked text)])
    type Case = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );
    let cases: &[Case] = &[
        (
            "host-path-volumes",
            "invalid_two_volumes_deployment",
            &[
                ("/spec/template/spec/volumes/1/hostPath", "hostPath"),
                ("/spec/template/spec/volumes/3/hostPath", "hostPath"),
            ],
        ),
        (
            "host-ports",
            "invalid_all_three_lists_pod",
            &[
                ("/spec/initContainers/0/ports/0/hostPort", "hostPort: 9000"),
                ("/spec/containers/0/ports/0/hostPort", "hostPort: 80"),
                ("/spec/ephemeralContainers/0/ports/0/hostPort", "hostPort: 2222"),
            ],
        ),
        (
            "added-capabilities",
            "invalid_all_three_lists_cronjob",
            &[
                ("/spec/jobTemplate/spec/template/spec/initContainers/0/securityContext/capabilities/add/0", "SYS_ADMIN"),
                ("/spec/jobTemplate/spec/template/spec/containers/0/securityContext/capabilities/add/1", "NET_ADMIN"),
                ("/spec/jobTemplate/spec/template/spec/containers/0/securityContext/capabilities/add/2", "NET_RAW"),
                ("/spec/jobTemplate/spec/template/spec/ephemeralContainers/0/securityContext/capabilities/add/0", "SYS_PTRACE"),
            ],
        ),
        (
            "capabilities-not-restricted",
            "invalid_drop_all_missing_pod",
            &[
                // No securityContext: the container's first line.
                ("/spec/initContainers/0/securityContext/capabilities/drop", "name: init"),
                // No capabilities: the securityContext key.
                ("/spec/containers/0/securityContext/capabilities/drop", "securityContext"),
                // Empty capabilities: its key.
                ("/spec/containers/1/securityContext/capabilities/drop", "capabilities"),
                ("/spec/ephemeralContainers/0/securityContext/capabilities/drop", "drop"),
            ],
        ),
        (
            "mutable-image-tag",
            "invalid_latest_and_untagged_all_lists_podtemplate",
            &[
                ("/template/spec/initContainers/0/image", "busybox"),
                ("/template/spec/containers/0/image", "nginx:latest"),
                ("/template/spec/containers/1/image", "localhost:5000/team/app"),
                ("/template/spec/ephemeralContainers/0/image", "\"docker.io/library/alpine:latest\""),
            ],
        ),
    ];
    for (rule, fixture, expected) in cases {
        let path = fixtures_dir().join(rule).join(format!("{fixture}.yaml"));
        let text = std::fs::read_to_string(path).unwrap();
        let report = common::check_with(rule, &text);
        let mut found: Vec<(String, String)> = common::of_rule(&report, rule)
            .iter()
            .map(|f| {
                let span = f.span.unwrap();
                (f.pointer.clone(), text[span.start..span.end].to_owned())
            })
            .collect();
        found.sort();
        let mut expected: Vec<(String, String)> = expected
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect();
        expected.sort();
        assert_eq!(found, expected, "{rule}/{fixture}");
    }
}

/// `added-capabilities` and `capabilities-not-restricted` split `add`
/// between them: no entry is reported by both, and together they report
/// every entry other than `NET_BIND_SERVICE`.
#[test]
fn capability_rules_never_report_the_same_entry() {
    let report = report_of(
        "capabilities-not-restricted",
        "invalid_add_baseline_and_lowercase_all_replicaset",
    );
    let add = "/spec/template/spec/containers/0/securityContext/capabilities/add/";
    let of = |rule: &str| -> Vec<String> {
        let mut v: Vec<String> = common::of_rule(&report, rule)
            .iter()
            .filter_map(|f| f.pointer.strip_prefix(add).map(ToOwned::to_owned))
            .collect();
        v.sort();
        v
    };
    assert_eq!(of("added-capabilities"), ["2"]);
    assert_eq!(of("capabilities-not-restricted"), ["0", "3"]);
    // `all` is not `ALL`, and the help says so.
    let worker: Vec<_> = common::of_rule(&report, "capabilities-not-restricted")
        .into_iter()
        .filter(|f| f.container.as_deref() == Some("worker"))
        .collect();
    assert_eq!(worker.len(), 1);
    assert!(
        worker[0].help.en.contains("upper case"),
        "{}",
        worker[0].help.en
    );
}

/// Misspelled baseline names are reported (Kubernetes compares exactly) and
/// the help gives the exact name.
#[test]
fn misspelled_capabilities_get_their_exact_name_in_the_help() {
    let report = report_of("added-capabilities", "invalid_exact_names_windows_job");
    let findings = common::of_rule(&report, "added-capabilities");
    assert_eq!(findings.len(), 2, "{findings:#?}");
    for f in findings {
        assert!(f.help.en.contains("write `CHOWN`"), "{}", f.help.en);
        assert!(f.help.fr.contains("écrivez `CHOWN`"), "{}", f.help.fr);
    }
}

/// `image-not-pinned` is off unless the settings turn it on.
#[test]
fn image_not_pinned_is_off_by_default() {
    let path = fixtures_dir().join("image-not-pinned/invalid_tags_all_lists.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    assert!(common::of_rule(&common::check(&text), "image-not-pinned").is_empty());
    let on = common::check_with("image-not-pinned", &text);
    let containers: Vec<_> = common::of_rule(&on, "image-not-pinned")
        .iter()
        .map(|f| f.container.clone().unwrap())
        .collect();
    assert_eq!(containers, ["init", "web", "short-digest", "debug"]);
}

/// French messages are typeset as French: a space before `:`, `;`, `?` and
/// `!`, spaces inside « », and no English left (`(at …)`, `the API server`).
/// Code spans are left alone.
#[test]
fn french_messages_are_typeset_as_french() {
    fn problems(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut prose = String::new();
        let mut in_code = false;
        for c in text.chars() {
            if c == '`' {
                in_code = !in_code;
                prose.push('x');
            } else if !in_code {
                prose.push(c);
            }
        }
        for c in typography::missing_spaces(&prose) {
            out.push(format!("`{c}` without its space in: {text}"));
        }
        for english in [" the ", "(at ", " must ", "API server"] {
            if prose.contains(english) {
                out.push(format!("English `{english}` in: {text}"));
            }
        }
        out
    }
    let mut found = Vec::new();
    let mut checked = 0;
    for (rule, path) in fixtures() {
        let report = common::check_with(&rule, &std::fs::read_to_string(&path).unwrap());
        for f in &report.findings {
            let mut texts = vec![&f.message.fr, &f.help.fr];
            if let Some(fix) = &f.fix {
                texts.push(&fix.title.fr);
            }
            for t in texts {
                checked += 1;
                found.extend(problems(t));
            }
        }
        for e in &report.errors {
            checked += 1;
            found.extend(problems(&e.message.fr));
        }
    }
    assert!(checked > 500, "only {checked} French texts");
    found.sort();
    found.dedup();
    assert!(found.is_empty(), "{}", found.join("\n"));
}
