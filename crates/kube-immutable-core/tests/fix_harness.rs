//! The fix harness: over every fixture, every example and (when
//! `KUBE_IMMUTABLE_CORPUS` names the corpus folder) every real-world file,
//! fixing must
//! - keep the text readable (no new syntax error),
//! - silence what it claims to fix (no finding with a fix we would apply is left),
//! - be idempotent (`fix(fix(x)) == fix(x)`),
//! - change only lines that carry the fixed fields (comments and everything
//!   else stay byte for byte),
//! - only shrink the set of findings.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

mod common;

use kube_immutable_core::fix::text::fix_text;
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::{check_text, ErrorKind, Report, Settings};

fn syntax_errors(report: &Report) -> usize {
    report
        .errors
        .iter()
        .filter(|e| e.kind == ErrorKind::Syntax)
        .count()
}

fn finding_keys(report: &Report) -> BTreeSet<(usize, &'static str, String)> {
    report
        .findings
        .iter()
        .map(|f| (f.object.document, f.rule, f.pointer.clone()))
        .collect()
}

/// Words a fix may put on a line it changes.
const FIXED_KEYS: &[&str] = &[
    "privileged",
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "runAsUser",
    "runAsNonRoot",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostPort",
    "capabilities",
    "add",
    "drop",
    "securityContext",
    "volumeMounts",
    // `privileged: false` beside a Bidirectional mount makes it
    // HostToContainer (the API server refuses Bidirectional otherwise).
    "mountPropagation",
    "volumes",
    // `unused-ignore`: the annotation, and `annotations` when it held nothing else.
    "kube-immutable.io/ignore",
    "annotations",
];

/// Every character of `old` is in `new`, in order: the edit only added text.
fn only_insertions(old: &str, new: &str) -> bool {
    let mut new = new.chars();
    old.chars().all(|c| new.any(|n| n == c))
}

/// `- SYS_ADMIN` (and a comment): an entry of `capabilities.add` that a fix
/// removes.
fn capability_item(line: &str) -> bool {
    let item = line.trim_start().strip_prefix("- ").unwrap_or_default();
    let name = item.split(" #").next().unwrap_or_default().trim();
    let name = name.trim_matches(|c| c == '"' || c == '\'');
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Check one file; returns a description of each broken property.
fn check_file(path: &Path, text: &str, options: FixOptions) -> Vec<String> {
    let settings = Settings::default();
    let mut problems = Vec::new();
    let before = check_text(text, &settings);
    let fixed = fix_text(text, &settings, options);
    let after = check_text(&fixed.text, &settings);
    let name = path.display();

    if syntax_errors(&after) > syntax_errors(&before) {
        problems.push(format!("{name}: fixing broke the YAML: {:?}", after.errors));
    }
    if fixed.remaining != after {
        problems.push(format!(
            "{name}: the reported remaining findings differ from a fresh check"
        ));
    }
    for f in &after.findings {
        // A fix that could not be rendered (alias, merge key) may stay; one
        // that was rendered must have silenced its finding.
        let applied_again = fixed
            .applied
            .iter()
            .any(|a| a.rule == f.rule && a.pointer == f.pointer && a.document == f.object.document);
        if applied_again {
            problems.push(format!(
                "{name}: {} at {} still reported after its fix",
                f.rule, f.pointer
            ));
        }
    }
    let again = fix_text(&fixed.text, &settings, options);
    if again.text != fixed.text {
        problems.push(format!("{name}: not idempotent"));
    }
    if !finding_keys(&after).is_subset(&finding_keys(&before)) {
        let new: Vec<_> = finding_keys(&after)
            .difference(&finding_keys(&before))
            .cloned()
            .collect();
        problems.push(format!("{name}: fixing added findings {new:?}"));
    }
    // Bytes outside the edits stay: a changed line either carries a fixed
    // field, is a removed capability, or is kept whole in its new version
    // (text added to it, like a `,` in JSON, a line break at the end of the
    // file, a member of a flow mapping, or the entry pulled up after a `- `
    // when the entry before it is removed).
    let diff = similar::TextDiff::from_lines(text, fixed.text.as_str());
    for op in diff.ops() {
        let changes: Vec<_> = diff.iter_changes(op).collect();
        let inserted: Vec<&str> = changes
            .iter()
            .filter(|c| c.tag() == similar::ChangeTag::Insert)
            .map(|c| c.value())
            .collect();
        for change in changes
            .iter()
            .filter(|c| c.tag() == similar::ChangeTag::Delete)
        {
            let line = change.value();
            let kept = line.trim_end_matches(['\r', '\n']);
            let appended = inserted
                .iter()
                .any(|new| only_insertions(kept.trim_start(), new));
            if !appended && !FIXED_KEYS.iter().any(|k| line.contains(k)) && !capability_item(kept) {
                problems.push(format!(
                    "{name}: a line without a fixed field changed: {line:?}"
                ));
            }
        }
    }
    problems
}

fn run(files: &[PathBuf], options: FixOptions) -> (usize, Vec<String>) {
    let mut problems = Vec::new();
    let mut fixed = 0;
    for path in files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let found = check_file(path, &text, options);
        if found.is_empty() && fix_text(&text, &Settings::default(), options).text != text {
            fixed += 1;
        }
        problems.extend(found);
    }
    (fixed, problems)
}

fn project_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = common::manifest_files(&root.join("tests/fixtures"));
    files.extend(common::manifest_files(&root.join("../../examples")));
    files.sort();
    files
}

#[test]
fn fixes_hold_on_fixtures_and_examples() {
    let files = project_files();
    assert!(files.len() >= 3, "fixtures not found");
    for options in [
        FixOptions {
            unsafe_fixes: false,
        },
        FixOptions { unsafe_fixes: true },
    ] {
        let (fixed, problems) = run(&files, options);
        assert!(problems.is_empty(), "{}", problems.join("\n"));
        assert!(fixed > 0, "no file was changed by the fixes");
    }
}

#[test]
fn tutorial_mutable_pod_becomes_the_immutable_pod() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let text = std::fs::read_to_string(root.join("mutable-pod.yaml")).unwrap();
    let fixed = fix_text(&text, &Settings::default(), FixOptions::default());
    for needle in [
        "privileged: false",
        "allowPrivilegeEscalation: false",
        "readOnlyRootFilesystem: true",
        "mountPath: /var/cache/nginx",
        "mountPath: /var/run",
        "emptyDir: {}",
        "runAsUser: 0",
    ] {
        assert!(
            fixed.text.contains(needle),
            "missing {needle:?} in\n{}",
            fixed.text
        );
    }
    let errors: Vec<_> = fixed
        .remaining
        .findings
        .iter()
        .filter(|f| f.severity == kube_immutable_core::Severity::Error)
        .map(|f| f.rule)
        .collect();
    assert_eq!(errors, ["run-as-root"], "only the unsafe fix is left");

    let unsafe_fixed = fix_text(
        &text,
        &Settings::default(),
        FixOptions { unsafe_fixes: true },
    );
    assert!(
        !unsafe_fixed.text.contains("runAsUser"),
        "{}",
        unsafe_fixed.text
    );
    assert!(
        unsafe_fixed.text.contains("runAsNonRoot: true"),
        "{}",
        unsafe_fixed.text
    );
    assert!(
        unsafe_fixed.remaining.findings.is_empty(),
        "{:#?}",
        unsafe_fixed.remaining.findings
    );
}

/// The real-world corpus (1,500 files) when `KUBE_IMMUTABLE_CORPUS` is set.
#[test]
fn fixes_hold_on_the_real_world_corpus() {
    let Some(corpus) = std::env::var_os("KUBE_IMMUTABLE_CORPUS") else {
        eprintln!("SKIPPED: set KUBE_IMMUTABLE_CORPUS to the corpus folder (../shared/corpus) to run the fix harness on real-world files");
        return;
    };
    let files = common::manifest_files(&Path::new(&corpus).join("realworld"));
    assert!(
        files.len() > 1000,
        "expected ~1,500 files under {corpus:?}/realworld, found {}",
        files.len()
    );
    let (fixed, problems) = run(&files, FixOptions { unsafe_fixes: true });
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!("{fixed} of {} real-world files fixed cleanly", files.len());
}
