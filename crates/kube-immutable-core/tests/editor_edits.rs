//! What an editor applies for one finding: its fix as text edits
//! (`fix::text::finding_edits`, a quick fix) and the edits that add its rule
//! to the object's ignore annotation (`fix::text::ignore_edits`).
//!
//! Over every fixture and example: each finding's edits apply in the order
//! given, keep the text readable and silence that finding; each ignore edit
//! suppresses exactly that finding's rule on that object.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failing test

use std::path::{Path, PathBuf};

use kube_immutable_core::fix::text::{apply_edits, finding_edits, ignore_edits, TextEdit};
use kube_immutable_core::{check_text, ErrorKind, Finding, Limits, Report, Settings};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

fn inputs() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    files(&root.join("tests/fixtures"), &mut paths);
    files(&root.join("../../examples"), &mut paths);
    paths.sort();
    assert!(paths.len() > 30, "fixtures not found");
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

fn syntax_errors(report: &Report) -> usize {
    report
        .errors
        .iter()
        .filter(|e| e.kind == ErrorKind::Syntax)
        .count()
}

fn same(a: &Finding, b: &Finding) -> bool {
    a.rule == b.rule && a.object.document == b.object.document && a.pointer == b.pointer
}

/// Applies edits one after the other as an editor does: each in the text
/// the ones before it produced, so the order given must be right.
fn apply_in_sequence(text: &str, edits: &[TextEdit]) -> String {
    let mut out = text.to_owned();
    // From the last to the first: earlier offsets stay valid.
    for edit in edits.iter().rev() {
        out.replace_range(edit.span.start..edit.span.end, &edit.text);
    }
    out
}

#[test]
fn each_quick_fix_silences_its_finding_and_keeps_the_text_readable() {
    let settings = Settings::default();
    let limits = Limits::default();
    let mut fixed = 0;
    for (path, text) in inputs() {
        let report = check_text(&text, &settings);
        for finding in &report.findings {
            let Some(edits) = finding_edits(&text, finding, &limits) else {
                continue;
            };
            assert!(!edits.is_empty(), "{}: {}", path.display(), finding.rule);
            for pair in edits.windows(2) {
                assert!(
                    pair[0].span.end <= pair[1].span.start,
                    "{}: edits in order, not overlapping",
                    path.display()
                );
            }
            let after = apply_in_sequence(&text, &edits);
            assert_eq!(after, apply_edits(&text, &edits), "{}", path.display());
            let again = check_text(&after, &settings);
            assert!(
                syntax_errors(&again) <= syntax_errors(&report),
                "{}: {} broke the text:\n{after}",
                path.display(),
                finding.rule
            );
            assert!(
                !again.findings.iter().any(|f| same(f, finding)),
                "{}: {} at {} is still there:\n{after}",
                path.display(),
                finding.rule,
                finding.pointer
            );
            fixed += 1;
        }
    }
    assert!(fixed > 100, "only {fixed} quick fixes tried");
}

#[test]
fn a_quick_fix_is_the_edit_fix_makes() {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: nginx # the server\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n      readOnlyRootFilesystem: true\n      allowPrivilegeEscalation: false\n";
    let report = check_text(text, &Settings::default());
    let privileged = report
        .findings
        .iter()
        .find(|f| f.rule == "privileged")
        .unwrap();
    let edits = finding_edits(text, privileged, &Limits::default()).unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(&text[edits[0].span.start..edits[0].span.end], "true");
    assert_eq!(edits[0].text, "false");
    let none = report.findings.iter().find(|f| f.fix.is_none());
    if let Some(f) = none {
        assert_eq!(finding_edits(text, f, &Limits::default()), None);
    }
}

#[test]
fn a_quick_fix_in_a_later_document_of_a_stream_edits_that_document() {
    let pod = |name: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext: {{privileged: true}}\n")
    };
    let text = format!("{}---\n{}", pod("a"), pod("b"));
    let report = check_text(&text, &Settings::default());
    let second = report
        .findings
        .iter()
        .find(|f| f.rule == "privileged" && f.object.document == 1)
        .unwrap();
    let edits = finding_edits(&text, second, &Limits::default()).unwrap();
    let after = apply_in_sequence(&text, &edits);
    assert!(after.starts_with(&pod("a")), "{after}");
    assert!(
        after.ends_with("securityContext: {privileged: false}\n"),
        "{after}"
    );
}

/// Adds the ignore annotation for `rule`'s first finding and checks again.
fn ignore(text: &str, rule: &str) -> (String, Report) {
    let report = check_text(text, &Settings::default());
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == rule)
        .unwrap_or_else(|| panic!("no {rule} in\n{text}"));
    let edits = ignore_edits(text, finding, "TODO: say why", &Limits::default())
        .unwrap_or_else(|| panic!("no ignore edit for {rule} in\n{text}"));
    let after = apply_in_sequence(text, &edits);
    let again = check_text(&after, &Settings::default());
    assert!(again.errors.is_empty(), "{:?}\n{after}", again.errors);
    assert!(
        !again
            .findings
            .iter()
            .any(|f| f.rule == rule && f.object == finding.object),
        "{after}"
    );
    assert_eq!(
        again.findings.len(),
        report.findings.len()
            - report
                .findings
                .iter()
                .filter(|f| f.rule == rule && f.object == finding.object)
                .count(),
        "only that rule, only that object:\n{after}"
    );
    (after, again)
}

const CONTAINERS: &str = "spec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n";

#[test]
fn ignore_creates_metadata_annotations_and_the_annotation() {
    let (after, _) = ignore(
        &format!("apiVersion: v1\nkind: Pod\n{CONTAINERS}"),
        "privileged",
    );
    assert!(
        after.contains("metadata:\n  annotations:\n    kube-immutable.io/ignore: \"privileged: TODO: say why\"\n"),
        "{after}"
    );
    let (after, _) = ignore(
        &format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n{CONTAINERS}"),
        "privileged",
    );
    assert!(
        after.contains("metadata:\n  name: a\n  annotations:\n    kube-immutable.io/ignore: \"privileged: TODO: say why\"\n"),
        "{after}"
    );
    let (after, _) = ignore(
        &format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\n    team: web\n{CONTAINERS}"),
        "privileged",
    );
    assert!(
        after.contains(
            "    team: web\n    kube-immutable.io/ignore: \"privileged: TODO: say why\"\n"
        ),
        "{after}"
    );
}

#[test]
fn ignore_extends_an_annotation_and_keeps_its_reason() {
    let text = format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\n    kube-immutable.io/ignore: 'run-as-root: legacy image'\n{CONTAINERS}");
    let (after, _) = ignore(&text, "privileged");
    assert!(
        after.contains("kube-immutable.io/ignore: \"run-as-root,privileged: legacy image\"\n"),
        "{after}"
    );
    let text = format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  annotations:\n    kube-immutable.io/ignore: run-as-root\n{CONTAINERS}");
    let (after, _) = ignore(&text, "privileged");
    assert!(
        after.contains("kube-immutable.io/ignore: \"run-as-root,privileged: TODO: say why\"\n"),
        "{after}"
    );
}

#[test]
fn ignore_in_flow_style_json_and_list_items() {
    let (after, _) = ignore(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: nginx:1.27, securityContext: {privileged: true}}]}\n",
        "privileged",
    );
    assert!(
        after.contains("metadata: {name: a, annotations: {kube-immutable.io/ignore: \"privileged: TODO: say why\"}}"),
        "{after}"
    );
    let json = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}, "spec": {"containers": [{"name": "c", "image": "nginx:1.27", "securityContext": {"privileged": true}}]}}"#;
    let (after, _) = ignore(json, "privileged");
    let value: serde_json::Value = serde_json::from_str(&after).expect("still JSON");
    assert_eq!(
        value["metadata"]["annotations"]["kube-immutable.io/ignore"],
        "privileged: TODO: say why"
    );
    let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n  spec:\n    containers:\n    - name: c\n      image: nginx:1.27\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: b\n  spec:\n    containers:\n    - name: c\n      image: nginx:1.27\n      securityContext:\n        privileged: true\n";
    let (after, again) = ignore(list, "privileged");
    assert!(
        after.contains("    name: b\n    annotations:\n      kube-immutable.io/ignore: \"privileged: TODO: say why\"\n"),
        "{after}"
    );
    assert_eq!(again.suppressed, 1);
}

#[test]
fn ignore_gives_nothing_for_an_annotation_it_cannot_extend() {
    let text = format!("apiVersion: v1\nkind: Pod\nmetadata:\n  annotations:\n    kube-immutable.io/ignore: [privileged]\n{CONTAINERS}");
    let report = check_text(&text, &Settings::default());
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == "privileged")
        .unwrap();
    assert_eq!(
        ignore_edits(&text, finding, "why", &Limits::default()),
        None
    );
}

#[test]
fn an_inherited_finding_points_at_the_pod_field() {
    let text = "apiVersion: v1\nkind: Pod\nspec:\n  securityContext:\n    runAsNonRoot: false\n  containers:\n  - name: c\n    image: nginx:1.27\n  - name: d\n    image: nginx:1.27\n    securityContext:\n      runAsNonRoot: false\n";
    let report = check_text(text, &Settings::default());
    let may: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == "may-run-as-root")
        .collect();
    assert_eq!(may.len(), 3, "{may:#?}");
    let inherited = may
        .iter()
        .find(|f| f.container.as_deref() == Some("c"))
        .unwrap();
    let related = inherited.related.as_ref().expect("related information");
    let span = related.span.unwrap();
    assert_eq!(&text[span.start..span.end], "runAsNonRoot: false");
    assert_eq!(related.start.unwrap().line, 5);
    assert_eq!(related.pointer, "/spec/securityContext/runAsNonRoot");
    // The pod's own finding and a container's own `false` inherit nothing.
    assert!(may.iter().filter(|f| f.related.is_some()).count() == 1);
}

#[test]
fn manifests_are_told_from_other_yaml() {
    let manifest = |text: &str| {
        kube_immutable_core::looks_like_manifest(text, &check_text(text, &Settings::default()))
    };
    assert!(manifest("apiVersion: v1\nkind: ConfigMap\ndata: {}\n"));
    assert!(manifest(
        "replicas: 2\n---\napiVersion: v1\nkind: List\nitems: []\n"
    ));
    assert!(!manifest("replicas: 2\nimage:\n  repository: nginx\n"));
    assert!(!manifest("jobs:\n  build:\n    kind: x\n"));
    assert!(!manifest(""));
    // A manifest being typed, with a syntax error, is still one.
    assert!(manifest("apiVersion: v1\nkind: Pod\nspec: [\n"));
    assert!(manifest(
        "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": [}\n"
    ));
    assert!(!manifest("values: [\n"));
}
