//! Workloads in custom resources (issue 23): a fixture per row of the
//! built-in table, shaped like the upstream projects' own examples
//! (`tests/workloads/*.yaml`, each saying where it comes from), and a kind
//! the user declares (`*.settings.yaml` beside its fixture).
//!
//! Each fixture's findings and what `fix` makes of it are snapshotted; each
//! pod spec of each fixture gives, pointer for pointer, the findings and
//! fixes the same pod spec gives in a Deployment; and a Rollout is fixed
//! with the same minimal edits as a Deployment.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failing test

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kube_immutable_core::fix::text::fix_text;
use kube_immutable_core::fix::{fix_json, FixOptions};
use kube_immutable_core::workload::{for_each_object, split_api_version, BUILTIN, KUBERNETES};
use kube_immutable_core::{
    check_admission, check_json, check_text, yaml, ContainerExemption, Finding, Limits, Operation,
    Requester, Settings,
};
use serde_json::{json, Value};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/workloads")
}

/// Every fixture (not the settings files), sorted.
fn fixtures() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.ends_with(".yaml") && !name.ends_with(".settings.yaml")
        })
        .collect();
    out.sort();
    out
}

fn stem(path: &Path) -> &str {
    path.file_stem().unwrap().to_str().unwrap()
}

/// The settings beside a fixture (`NAME.settings.yaml`), else the defaults.
fn settings_for(path: &Path) -> Settings {
    let file = path.with_file_name(format!("{}.settings.yaml", stem(path)));
    let Ok(text) = std::fs::read_to_string(&file) else {
        return Settings::default();
    };
    let (documents, errors) = yaml::parse_stream(&text, &Limits::default());
    assert!(errors.is_empty(), "{}: {errors:?}", file.display());
    Settings::from_json(documents[0].root.to_json()).unwrap()
}

/// The documents of a fixture as JSON, as an admission request carries them.
fn documents(text: &str) -> Vec<Value> {
    let (documents, errors) = yaml::parse_stream(text, &Limits::default());
    assert!(errors.is_empty(), "{errors:?}");
    documents.iter().map(|d| d.root.to_json()).collect()
}

#[test]
fn snapshots_of_findings_and_fixes() {
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let settings = settings_for(&path);
        let report = check_text(&text, &settings);
        let safe = fix_text(&text, &settings, FixOptions::default());
        let all = fix_text(&text, &settings, FixOptions { unsafe_fixes: true });
        let left = |r: &kube_immutable_core::Report| {
            r.findings
                .iter()
                .map(|f| format!("{} {}", f.rule, f.pointer))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let shown = format!(
            "{}--- safe fixes ---\n{}\n--- left ---\n{}\n--- with unsafe fixes ---\n{}\n--- left ---\n{}\n",
            common::project(&report),
            safe.text,
            left(&safe.remaining),
            all.text,
            left(&all.remaining)
        );
        let mut insta_settings = insta::Settings::clone_current();
        insta_settings.set_snapshot_path("snapshots/workloads");
        insta_settings.set_prepend_module_to_snapshot(false);
        insta_settings.set_input_file(&path);
        insta_settings.bind(|| insta::assert_snapshot!(stem(&path).to_owned(), shown));
    }
}

/// Does `pointer` lie under a pod spec that `pattern` (with `*`) names?
fn under(pattern: &str, pointer: &str) -> bool {
    let tokens: Vec<&str> = pattern.split('/').collect();
    let parts: Vec<&str> = pointer.split('/').collect();
    parts.len() > tokens.len() && tokens.iter().zip(&parts).all(|(t, p)| *t == "*" || t == p)
}

/// Every row of the built-in table, every kind of each row and every pod
/// spec pointer of each kind has a fixture with a finding there; and the
/// fixtures' objects are of the groups the rows name.
#[test]
fn every_row_kind_and_pointer_has_a_fixture_with_findings() {
    let mut seen: BTreeSet<(String, String, String)> = BTreeSet::new();
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let report = check_text(&text, &settings_for(&path));
        let (docs, _) = yaml::parse_stream(&text, &Limits::default());
        for doc in &docs {
            for_each_object(&doc.root, doc.index, &mut |object| {
                let group = split_api_version(object.api_version.unwrap_or_default()).0;
                for f in report.findings.iter().filter(|f| {
                    f.object.document == object.document && f.object.pointer == object.pointer
                }) {
                    seen.insert((group.to_owned(), object.kind.to_owned(), f.pointer.clone()));
                }
            });
        }
    }
    for row in BUILTIN.iter().filter(|r| r.project != KUBERNETES) {
        for kind in row.kinds() {
            for pattern in row.pod_specs() {
                assert!(
                    seen.iter()
                        .any(|(g, k, pointer)| row.groups().any(|rg| rg == g)
                            && k == kind
                            && under(pattern, pointer)),
                    "no fixture has a finding in a {} {kind} under {pattern}",
                    row.project
                );
            }
        }
    }
    // The core v1 Service beside Knative's, shaped like it, is not read.
    assert!(!seen.iter().any(|(g, k, _)| g.is_empty() && k == "Service"));
    // An undeclared group is not read either.
    assert!(!seen
        .iter()
        .any(|(g, k, _)| g == "other.example.com" && k == "Runner"));
    assert!(seen
        .iter()
        .any(|(g, k, _)| g == "pipelines.example.com" && k == "Runner"));
}

/// What a finding says, with its pod spec's pointer replaced by another:
/// everything but the object it is in.
fn comparable(f: &Finding, from: &str, to: &str) -> Value {
    let move_path = |path: &str| format!("{to}{}", &path[from.len()..]);
    let fix = f.fix.as_ref().map(|fix| {
        let operations: Vec<Value> = fix
            .operations
            .iter()
            .map(|op| match op {
                Operation::Add { path, value } => json!(["add", move_path(path), value]),
                Operation::Replace { path, value } => json!(["replace", move_path(path), value]),
                Operation::Remove { path } => json!(["remove", move_path(path)]),
            })
            .collect();
        json!([fix.title.en, fix.title.fr, fix.applicability, operations])
    });
    json!({
        "rule": f.rule,
        "severity": f.severity,
        "message": [f.message.en, f.message.fr],
        "help": [f.help.en, f.help.fr],
        "container": f.container,
        "pointer": move_path(&f.pointer),
        "fix": fix,
    })
}

/// Each pod spec of each fixture, checked and fixed in place, gives exactly
/// what the same pod spec gives in a Deployment (admission path: JSON).
#[test]
fn each_pod_spec_is_checked_and_fixed_as_in_a_deployment() {
    const DEPLOYMENT: &str = "/spec/template/spec";
    let mut compared = 0;
    for path in fixtures() {
        let settings = settings_for(&path);
        let text = std::fs::read_to_string(&path).unwrap();
        for object in documents(&text) {
            let node = kube_immutable_core::Node::from_json(&object);
            let mut specs = Vec::new();
            for_each_object(&node, 0, &mut |o| {
                specs.extend(o.pod_specs(&settings.workloads).into_iter().map(|(_, p)| p));
            });
            let report = check_json(&object, &settings);
            let mut fixed = object.clone();
            fix_json(&mut fixed, &settings, FixOptions { unsafe_fixes: true });
            for pointer in specs {
                let context = format!("{} {pointer}", stem(&path));
                let deployment = json!({
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": object["metadata"],
                    "spec": {"template": {"spec": object.pointer(&pointer).unwrap()}},
                });
                let alone = check_json(&deployment, &settings);
                let prefix = format!("{pointer}/");
                let mine: Vec<Value> = report
                    .findings
                    .iter()
                    .filter(|f| f.pod == pointer)
                    .inspect(|f| assert!(f.pointer.starts_with(&prefix), "{context}"))
                    .map(|f| comparable(f, &pointer, DEPLOYMENT))
                    .collect();
                let theirs: Vec<Value> = alone
                    .findings
                    .iter()
                    .map(|f| comparable(f, DEPLOYMENT, DEPLOYMENT))
                    .collect();
                assert_eq!(mine, theirs, "{context}");
                assert!(
                    !mine.is_empty() || stem(&path).contains("head-only"),
                    "{context}"
                );
                let mut fixed_deployment = deployment.clone();
                fix_json(
                    &mut fixed_deployment,
                    &settings,
                    FixOptions { unsafe_fixes: true },
                );
                assert_eq!(
                    fixed.pointer(&pointer),
                    fixed_deployment.pointer(DEPLOYMENT),
                    "{context}: fixed differently"
                );
                compared += 1;
            }
            // No finding outside the pod specs.
            assert!(
                report
                    .findings
                    .iter()
                    .all(|f| f.object.kind == object["kind"]),
                "{}",
                stem(&path)
            );
        }
    }
    assert!(compared >= 30, "{compared} pod specs compared");
}

/// `fix` on a Rollout makes the same minimal edits as on a Deployment with
/// the same lines: findings at the same lines and columns, the same output.
#[test]
fn a_rollout_is_fixed_with_the_same_edits_as_a_deployment() {
    let rollout = std::fs::read_to_string(dir().join("argo-rollout.yaml")).unwrap();
    let deployment = rollout.replace(
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n",
        "apiVersion: apps/v1\nkind: Deployment\n",
    );
    assert_ne!(rollout, deployment);
    let settings = Settings::default();
    let (a, b) = (
        check_text(&rollout, &settings),
        check_text(&deployment, &settings),
    );
    let at = |r: &kube_immutable_core::Report| {
        r.findings
            .iter()
            .map(|f| {
                let (start, end) = (f.start.unwrap(), f.end.unwrap());
                (
                    f.rule,
                    (start.line, start.column, end.line, end.column),
                    f.pointer.clone(),
                    f.message.en.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(at(&a), at(&b));
    assert!(a.findings.iter().all(|f| f.object.kind == "Rollout"));
    assert!(a.findings.iter().any(|f| f.rule == "privileged"));
    for options in [FixOptions::default(), FixOptions { unsafe_fixes: true }] {
        let fixed_rollout = fix_text(&rollout, &settings, options);
        let fixed_deployment = fix_text(&deployment, &settings, options);
        assert_eq!(
            fixed_rollout.text.replace(
                "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\n",
                "apiVersion: apps/v1\nkind: Deployment\n"
            ),
            fixed_deployment.text
        );
        assert_ne!(fixed_rollout.text, rollout);
        // Idempotent, and the fixed rules are silent afterwards.
        let again = fix_text(&fixed_rollout.text, &settings, options);
        assert_eq!(again.text, fixed_rollout.text);
    }
}

fn check_yaml(text: &str, settings: &Settings) -> kube_immutable_core::Report {
    let report = check_text(text, settings);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report
}

/// Pod-level inheritance, the Windows exemption, user namespaces, the
/// ignore annotation and every exemption apply to each pod spec of a
/// custom resource as to a Deployment's.
#[test]
fn inheritance_windows_annotation_and_exemptions_per_pod_spec() {
    let ray = "\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: ml
spec:
  headGroupSpec:
    template:
      spec:
        securityContext: {runAsNonRoot: true}
        containers:
        - {name: head, image: rayproject/ray:2.52.0}
  workerGroupSpecs:
  - groupName: win
    template:
      spec:
        os: {name: windows}
        containers:
        - {name: worker, image: rayproject/ray:2.52.0}
  - groupName: linux
    template:
      spec:
        containers:
        - {name: worker, image: rayproject/ray:2.52.0}
";
    let settings = Settings::default();
    let report = check_yaml(ray, &settings);
    let rules_at = |report: &kube_immutable_core::Report, group: &str| {
        let mut rules: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.pointer.starts_with(group))
            .map(|f| f.rule)
            .collect();
        rules.sort_unstable();
        rules
    };
    // The head inherits runAsNonRoot from its pod: no may-run-as-root.
    assert_eq!(
        rules_at(&report, "/spec/headGroupSpec/"),
        [
            "capabilities-not-restricted",
            "privilege-escalation-not-disabled",
            "writable-root-filesystem"
        ]
    );
    // The Windows group is exempt from the Linux-only rules.
    assert_eq!(
        rules_at(&report, "/spec/workerGroupSpecs/0/"),
        ["may-run-as-root"]
    );
    assert_eq!(
        rules_at(&report, "/spec/workerGroupSpecs/1/"),
        [
            "capabilities-not-restricted",
            "may-run-as-root",
            "privilege-escalation-not-disabled",
            "writable-root-filesystem"
        ]
    );
    assert!(report
        .findings
        .iter()
        .all(|f| f.object.kind == "RayCluster" && f.object.name.as_deref() == Some("rc")));
    assert_eq!(report.objects, 1);

    // The annotation covers every pod spec of the object.
    let ignored = ray.replace(
        "  namespace: ml\n",
        "  namespace: ml\n  annotations:\n    kube-immutable.io/ignore: \"writable-root-filesystem: scratch space\"\n",
    );
    let report = check_yaml(&ignored, &settings);
    assert_eq!(report.suppressed, 2);
    assert!(report
        .findings
        .iter()
        .all(|f| f.rule != "writable-root-filesystem"));

    // Namespace, image and container exemptions.
    let mut exempt = Settings::default();
    exempt.exemptions.namespaces.push("ml".into());
    assert!(check_yaml(ray, &exempt).findings.is_empty());
    let mut exempt = Settings::default();
    exempt.exemptions.images.push("rayproject/*".into());
    assert!(check_yaml(ray, &exempt).findings.is_empty());
    let mut exempt = Settings::default();
    exempt
        .exemptions
        .containers
        .push(ContainerExemption::Name("worker".into()));
    let report = check_yaml(ray, &exempt);
    assert!(report
        .findings
        .iter()
        .all(|f| f.container.as_deref() == Some("head")));
}

/// What admission adds holds for a custom resource's pod specs: the
/// annotation is not honoured unless allowed, the requester's exemptions
/// cover the whole object, a trusted runtime class exempts the pod spec
/// that names it, and `unused-ignore` judges the annotation once, over
/// every pod spec.
#[test]
fn admission_runtime_classes_and_unused_ignore_per_object() {
    let ray = "\
apiVersion: ray.io/v1
kind: RayCluster
metadata:
  name: rc
  namespace: ml
  annotations:
    kube-immutable.io/ignore: \"privileged: the GPU plugin needs it\"
spec:
  headGroupSpec:
    template:
      spec:
        runtimeClassName: gvisor
        containers:
        - {name: head, image: rayproject/ray:2.52.0}
  workerGroupSpecs:
  - groupName: gpu
    template:
      spec:
        containers:
        - name: worker
          image: rayproject/ray:2.52.0
          securityContext: {privileged: true}
";
    let root = yaml::parse_stream(ray, &Limits::default()).0.remove(0).root;
    fn privileged(report: &kube_immutable_core::Report) -> Vec<&str> {
        report
            .findings
            .iter()
            .filter(|f| f.rule == "privileged")
            .map(|f| f.pointer.as_str())
            .collect()
    }
    let settings = Settings::default();
    // Outside admission the annotation lifts `privileged` in the worker
    // group, and it is used there even though the head has no finding.
    let report = check_text(ray, &settings);
    assert!(privileged(&report).is_empty());
    assert!(report.findings.iter().all(|f| f.rule != "unused-ignore"));
    assert_eq!(report.suppressed, 1);

    // In admission the author's annotation lifts nothing.
    let tenant = Requester {
        username: Some("alice"),
        groups: &[],
    };
    let report = check_admission(&root, &settings, &tenant);
    assert_eq!(
        privileged(&report),
        ["/spec/workerGroupSpecs/0/template/spec/containers/0/securityContext/privileged"]
    );
    assert!(report
        .errors
        .iter()
        .any(|e| e.message.en.contains("is not honoured")));

    // The requester's exemption covers the whole object.
    let mut by_user = Settings::default();
    by_user.exemptions.usernames.push("ray-operator".into());
    let operator = Requester {
        username: Some("ray-operator"),
        groups: &[],
    };
    assert!(check_admission(&root, &by_user, &operator)
        .findings
        .is_empty());
    assert!(!check_admission(&root, &by_user, &tenant)
        .findings
        .is_empty());

    // A trusted runtime class exempts the pod spec that names it, not its
    // siblings.
    let mut sandbox = Settings::default();
    sandbox.exemptions.runtime_classes.push("gvisor".into());
    let report = check_admission(&root, &sandbox, &tenant);
    assert!(!report.findings.is_empty());
    assert!(report
        .findings
        .iter()
        .all(|f| f.pointer.starts_with("/spec/workerGroupSpecs/0/")));
    assert!(check_admission(&root, &Settings::default(), &tenant)
        .findings
        .iter()
        .any(|f| f.pointer.starts_with("/spec/headGroupSpec/")));

    // A name that no pod spec uses is reported once, on the annotation,
    // with the first pod spec's pointer.
    let stale = ray.replace("privileged: the GPU", "host-ports,privileged: the GPU");
    let report = check_text(&stale, &settings);
    let unused: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.rule == "unused-ignore")
        .collect();
    assert_eq!(unused.len(), 1, "{unused:#?}");
    assert!(unused[0].message.en.contains("host-ports"));
    assert!(!unused[0].message.en.contains("`privileged`"));
    assert_eq!(unused[0].pod, "/spec/headGroupSpec/template/spec");
    // Used only in a pod spec the runtime class exempts: still a use
    // (under other settings the rule reports there).
    let head_only = ray
        .replace("securityContext: {privileged: true}", "securityContext: {}")
        .replace(
            "        - {name: head, image: rayproject/ray:2.52.0}",
            "        - {name: head, image: rayproject/ray:2.52.0, securityContext: {privileged: true}}",
        );
    let report = check_text(&head_only, &sandbox);
    assert!(report.findings.iter().all(|f| f.rule != "unused-ignore"));
    let report = check_text(&head_only, &settings);
    assert!(privileged(&report).is_empty());
    assert!(report.findings.iter().all(|f| f.rule != "unused-ignore"));
}

/// Wrongly typed fields in a custom resource's pod spec are errors at their
/// pointer, as in a Deployment; a pod spec that is not a mapping too.
#[test]
fn wrong_types_in_a_custom_resource_are_errors_with_their_pointer() {
    let text = "\
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: p}
spec:
  pytorchReplicaSpecs:
    Worker:
      template:
        spec:
          containers:
          - name: c
            image: i
            securityContext: {privileged: \"true\"}
    Master:
      template:
        spec: [not, a, mapping]
";
    let report = check_text(text, &Settings::default());
    let errors: Vec<(String, usize)> = report
        .errors
        .iter()
        .map(|e| (e.pointer.clone().unwrap(), e.start.unwrap().line))
        .collect();
    assert_eq!(
        errors,
        [
            (
                "/spec/pytorchReplicaSpecs/Worker/template/spec/containers/0/securityContext/privileged".to_owned(),
                12
            ),
            ("/spec/pytorchReplicaSpecs/Master/template/spec".to_owned(), 15),
        ]
    );
}

/// A user entry for a built-in kind (with `replace: true`) replaces its
/// paths; a version-specific entry wins over `group/*`.
#[test]
fn user_entries_replace_built_in_paths() {
    let text = "\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r}
spec:
  template:
    spec:
      containers: [{name: a, image: i, securityContext: {privileged: true}}]
  preview:
    spec:
      containers: [{name: b, image: i, securityContext: {privileged: true}}]
";
    let privileged = |settings: &Settings| -> Vec<String> {
        check_text(text, settings)
            .findings
            .into_iter()
            .filter(|f| f.rule == "privileged")
            .map(|f| f.container.unwrap())
            .collect()
    };
    assert_eq!(privileged(&Settings::default()), ["a"]);
    let replaced = Settings::from_json_str(
        r#"{"workloads": [{"apiVersion": "argoproj.io/*", "kind": "Rollout", "podSpecs": ["/spec/preview/spec"], "replace": true}]}"#,
    )
    .unwrap();
    assert_eq!(privileged(&replaced), ["b"]);
    let both = Settings::from_json_str(
        r#"{"workloads": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "podSpecs": ["/spec/template/spec", "/spec/preview/spec"], "replace": true}]}"#,
    )
    .unwrap();
    assert_eq!(privileged(&both), ["a", "b"]);
    let refused = Settings::from_json_str(
        r#"{"workloads": [{"apiVersion": "argoproj.io/*", "kind": "Rollout", "podSpecs": ["/spec/preview/spec"]}]}"#,
    )
    .unwrap_err();
    assert!(refused.0.contains("add `replace: true`"), "{refused}");
    // Serialised back, an entry keeps its keys (`replace` only when set).
    let back = serde_json::to_value(&replaced).unwrap();
    assert_eq!(
        back["workloads"],
        json!([{"apiVersion": "argoproj.io/*", "kind": "Rollout", "podSpecs": ["/spec/preview/spec"], "replace": true}])
    );
    assert_eq!(
        serde_json::to_value(Settings::default())
            .unwrap()
            .get("workloads"),
        None
    );
}
