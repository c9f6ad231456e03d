//! `unused-ignore` with the rest of the engine: levels, exemptions, `all`,
//! the JSON path, and its fix through `fix_text` and `fix_json`.

#![allow(clippy::unwrap_used)]

#[path = "../../xtask/src/typography.rs"]
mod typography;

use kube_immutable_core::fix::text::fix_text;
use kube_immutable_core::fix::{fix_json, FixOptions};
use kube_immutable_core::{
    check_admission, check_json, check_text, ContainerExemption, Finding, Level, Node, Report,
    Requester, Settings,
};

const ID: &str = "unused-ignore";

fn unused(report: &Report) -> Vec<&Finding> {
    report.findings.iter().filter(|f| f.rule == ID).collect()
}

/// A Pod with one container, an annotation and the container's extra lines.
fn pod(annotation: &str, container: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    kube-immutable.io/ignore: {annotation}\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n{container}"
    )
}

const PRIVILEGED: &str = "      securityContext:\n        privileged: true\n";

#[test]
fn a_stale_name_is_reported_on_the_annotation_line_with_a_safe_fix() {
    let text = pod("\"privileged, run-as-root: legacy\"", PRIVILEGED);
    let report = check_text(&text, &Settings::default());
    let found = unused(&report);
    assert_eq!(found.len(), 1, "{:?}", report.findings);
    let f = found[0];
    assert_eq!(f.start.unwrap().line, 6);
    assert_eq!(f.start.unwrap().column, 5);
    assert_eq!(f.severity, kube_immutable_core::Severity::Warning);
    assert_eq!(f.container, None);
    assert_eq!(f.pointer, "/metadata/annotations/kube-immutable.io~1ignore");
    assert_eq!(
        f.message.en,
        "unused name in `kube-immutable.io/ignore`: `run-as-root` reports nothing on this object"
    );
    assert!(
        typography::missing_spaces(&f.message.fr).is_empty(),
        "{}",
        f.message.fr
    );
    let fix = f.fix.as_ref().unwrap();
    assert_eq!(fix.applicability, kube_immutable_core::Applicability::Safe);
    // `privileged` is used: its finding is suppressed.
    assert!(report.findings.iter().all(|f| f.rule != "privileged"));

    let fixed = fix_text(&text, &Settings::default(), FixOptions::default());
    assert!(
        fixed
            .text
            .contains("    kube-immutable.io/ignore: \"privileged: legacy\"\n"),
        "{}",
        fixed.text
    );
    assert!(unused(&fixed.remaining).is_empty());
    assert!(fixed
        .remaining
        .findings
        .iter()
        .all(|f| f.rule != "privileged"));
}

#[test]
fn an_annotation_with_nothing_left_goes_with_an_empty_annotations_mapping() {
    let text = pod("host-ports", "");
    let fixed = fix_text(&text, &Settings::default(), FixOptions::default());
    assert!(!fixed.text.contains("annotations"), "{}", fixed.text);
    assert!(
        fixed.text.contains("metadata:\n  name: p\nspec:"),
        "{}",
        fixed.text
    );
    assert!(unused(&fixed.remaining).is_empty());
    // With another annotation beside it, only the entry goes.
    let text = text.replace("  annotations:\n", "  annotations:\n    team: web\n");
    let fixed = fix_text(&text, &Settings::default(), FixOptions::default());
    assert!(
        fixed.text.contains("  annotations:\n    team: web\nspec:"),
        "{}",
        fixed.text
    );
    let again = fix_text(&fixed.text, &Settings::default(), FixOptions::default());
    assert_eq!(again.text, fixed.text, "idempotent");
}

#[test]
fn a_rule_that_is_off_but_would_report_keeps_its_name() {
    let text = pod("privileged", PRIVILEGED);
    let mut settings = Settings::default();
    settings.rules.insert("privileged".into(), Level::Off);
    let report = check_text(&text, &settings);
    assert!(unused(&report).is_empty(), "{:?}", report.findings);
    // Off and reporting nothing: stale whatever the level.
    let report = check_text(&pod("privileged", ""), &settings);
    assert_eq!(unused(&report).len(), 1);
    // `image-not-pinned` is off by default.
    let report = check_text(&pod("image-not-pinned", ""), &Settings::default());
    assert!(unused(&report).is_empty());
    let pinned = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    kube-immutable.io/ignore: image-not-pinned\nspec:\n  containers:\n    - name: app\n      image: nginx@sha256:0a399eb16751829e1af26fea27b20c3ec28d7ab1fb72182879dcae1cca21206a\n";
    let report = check_text(pinned, &Settings::default());
    assert_eq!(unused(&report).len(), 1, "{:?}", report.findings);
}

#[test]
fn exempt_containers_still_count() {
    // The privileged container is exempt here, not under other settings.
    let text = pod("privileged", PRIVILEGED);
    let mut settings = Settings::default();
    settings
        .exemptions
        .containers
        .push(ContainerExemption::Name("app".into()));
    let report = check_text(&text, &settings);
    assert!(unused(&report).is_empty(), "{:?}", report.findings);
    assert!(report.findings.iter().all(|f| f.rule != "privileged"));
}

#[test]
fn exempt_namespaces_and_the_rule_off_report_nothing() {
    let text =
        pod("privileged", "").replace("  name: p\n", "  name: p\n  namespace: kube-system\n");
    let mut settings = Settings::default();
    settings.exemptions.namespaces.push("kube-system".into());
    assert!(check_text(&text, &settings).findings.is_empty());
    let mut settings = Settings::default();
    settings.rules.insert(ID.into(), Level::Off);
    assert!(unused(&check_text(&pod("privileged", ""), &settings)).is_empty());
    settings.rules.insert(ID.into(), Level::Error);
    let report = check_text(&pod("privileged", ""), &settings);
    assert_eq!(
        unused(&report)[0].severity,
        kube_immutable_core::Severity::Error
    );
    assert!(report.has_errors());
}

/// Where the annotation is not honoured, nothing is stale: it is simply
/// not used (a warning of its own says so). Where the settings narrow it,
/// a refused name is judged by what its rule reports, not by what it lifts.
#[test]
fn an_annotation_that_is_not_honoured_is_never_stale() {
    let stale = pod("privileged", "");
    let mut refused = Settings::default();
    refused.ignore_annotation.allowed = Some(false);
    let report = check_text(&stale, &refused);
    assert!(unused(&report).is_empty(), "{:?}", report.findings);
    assert!(report.errors.iter().any(|e| !e.is_error()));
    // Admission: not honoured unless the operator allows it.
    let object = serde_json::json!({
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": {"kube-immutable.io/ignore": "privileged"}},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}
    });
    let node = Node::from_json(&object);
    let requester = Requester::default();
    assert!(unused(&check_admission(&node, &Settings::default(), &requester)).is_empty());
    let mut allowed = Settings::default();
    allowed.ignore_annotation.allowed = Some(true);
    assert_eq!(
        unused(&check_admission(&node, &allowed, &requester)).len(),
        1
    );
    // Narrowed to `host-namespaces`: `privileged` is refused here. On a
    // privileged container it reports, so the name has a use elsewhere;
    // without one it is stale under any settings.
    let mut narrowed = Settings::default();
    narrowed.ignore_annotation.rules = Some(vec!["host-namespaces".into()]);
    let report = check_text(&pod("privileged", PRIVILEGED), &narrowed);
    assert!(report.findings.iter().any(|f| f.rule == "privileged"));
    assert!(unused(&report).is_empty(), "{:?}", report.findings);
    assert_eq!(unused(&check_text(&stale, &narrowed)).len(), 1);
}

/// An unknown name is a warning of its own; the fix of the others keeps it.
#[test]
fn unknown_names_are_kept_by_the_fix() {
    let text = pod("\"privileged,privilegd: typo\"", "");
    let report = check_text(&text, &Settings::default());
    assert_eq!(unused(&report).len(), 1, "{:?}", report.findings);
    let fixed = fix_text(&text, &Settings::default(), FixOptions::default());
    assert!(
        fixed
            .text
            .contains("kube-immutable.io/ignore: \"privilegd: typo\"\n"),
        "{}",
        fixed.text
    );
}

#[test]
fn all_does_not_hide_itself() {
    // Every rule reports nothing on this pod (at any level).
    let clean = "\
apiVersion: v1
kind: Pod
metadata:
  name: p
  annotations: {kube-immutable.io/ignore: all}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
    - name: app
      image: nginx:1.27@sha256:0a399eb16751829e1af26fea27b20c3ec28d7ab1fb72182879dcae1cca21206a
      securityContext:
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
";
    let report = check_text(clean, &Settings::default());
    assert_eq!(unused(&report).len(), 1, "{:?}", report.findings);
    assert_eq!(
        unused(&report)[0].message.en,
        "unused `kube-immutable.io/ignore`: `all` ignores nothing (no rule reports anything on this object)"
    );
    // In a flow mapping, the annotation and its mapping go.
    let fixed = fix_text(clean, &Settings::default(), FixOptions::default());
    assert!(!fixed.text.contains("annotations"), "{}", fixed.text);
    assert!(
        fixed.remaining.findings.is_empty(),
        "{:?}",
        fixed.remaining.findings
    );
    // Naming `unused-ignore` keeps it.
    let kept = clean.replace("ignore: all}", "ignore: \"all,unused-ignore\"}");
    assert!(check_text(&kept, &Settings::default()).findings.is_empty());
}

#[test]
fn the_admission_path_has_the_pointer_and_mutate_mode_applies_the_fix() {
    let mut object = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "annotations": {"kube-immutable.io/ignore": "privileged,host-ports: why", "team": "a"}
        },
        "spec": {"template": {"spec": {"containers": [
            {"name": "app", "image": "nginx:1.27", "securityContext": {"privileged": true}}
        ]}}}
    });
    let report = check_json(&object, &Settings::default());
    let found = unused(&report);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].span, None);
    assert_eq!(
        found[0].pointer,
        "/metadata/annotations/kube-immutable.io~1ignore"
    );
    let outcome = fix_json(&mut object, &Settings::default(), FixOptions::default());
    assert!(outcome.applied.iter().any(|a| a.rule == ID));
    assert_eq!(
        object["metadata"]["annotations"]["kube-immutable.io/ignore"],
        "privileged: why"
    );
    assert!(unused(&outcome.remaining).is_empty());
}

/// The fix's safety, as a property over every fixture and example: when a
/// name is reported unused, removing it changes nothing any face reports,
/// with every rule on and no exemption (the strictest settings there are).
#[test]
fn removing_a_reported_name_changes_no_verdict_under_any_settings() {
    use kube_immutable_core::yaml::parse_stream;
    use kube_immutable_core::{Limits, RULES};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [root.join("tests/fixtures"), root.join("../../examples")] {
        let mut stack = vec![dir];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml") {
                    files.push(path);
                }
            }
        }
    }
    let mut strict = Settings::default();
    for rule in RULES {
        strict.rules.insert(rule.id.to_owned(), Level::Error);
    }
    let without_unused = |report: &Report| -> Vec<(String, String)> {
        let mut v: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.rule != ID)
            .map(|f| (f.rule.to_owned(), f.pointer.clone()))
            .collect();
        v.sort();
        v
    };
    let (mut objects, mut stale, mut used) = (0, 0, 0);
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        for doc in parse_stream(&text, &Limits::default()).0 {
            let object = doc.root.to_json();
            if !check_json(&object, &Settings::default()).errors.is_empty()
                || check_json(&object, &Settings::default()).objects != 1
                || object.get("kind").and_then(|k| k.as_str()) == Some("List")
            {
                continue;
            }
            objects += 1;
            for rule in RULES.iter().filter(|r| r.id != ID) {
                let mut annotated = object.clone();
                annotated["metadata"]["annotations"] =
                    serde_json::json!({"kube-immutable.io/ignore": rule.id});
                let report = check_json(&annotated, &Settings::default());
                if unused(&report).is_empty() {
                    used += 1;
                    continue;
                }
                stale += 1;
                let mut bare = object.clone();
                bare["metadata"]["annotations"] = serde_json::json!({});
                assert_eq!(
                    without_unused(&check_json(&annotated, &strict)),
                    without_unused(&check_json(&bare, &strict)),
                    "{}: `{}` was reported unused but lifts something",
                    path.display(),
                    rule.id
                );
            }
        }
    }
    assert!(
        objects > 50 && stale > 100 && used > 50,
        "{objects} {stale} {used}"
    );
}
