//! What a team needs to adopt the checker in a repository that already has
//! findings: baselines, several reports from one check, JUnit XML, and
//! stale ignore annotations through `check` and `fix`.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

mod common;
use common::{root, run_in, Out};

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn run(dir: &Path, args: &[&str]) -> Out {
    run_in(dir, args, None)
}

/// A Deployment with two containers; `web` is privileged.
const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: sidecar
          image: busybox:1.36
        - name: web
          image: nginx:1.27
          securityContext:
            privileged: true
";

/// A repository with the Deployment and the tutorial's two pods.
fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "k8s/web.yaml", DEPLOYMENT);
    for name in ["mutable-pod.yaml", "immutable-pod.yaml"] {
        let text = fs::read_to_string(root().join("examples").join(name)).unwrap();
        write(dir.path(), &format!("k8s/{name}"), &text);
    }
    dir
}

fn rules(out: &Out) -> Vec<(String, String)> {
    out.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_owned(),
                f["rule"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- baseline

/// A custom resource's findings are keyed inside their pod spec, as a
/// Deployment's: a Rollout's match after its template moves, and a Ray
/// cluster's worker groups (which may share container names) are counted,
/// so a new privileged worker group is exactly its new findings.
#[test]
fn a_baseline_keys_custom_resources_inside_their_pod_specs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let group = "  - groupName: GROUP\n    template:\n      spec:\n        containers:\n        - name: worker\n          image: rayproject/ray:2.52.0\n          securityContext: {privileged: true}\n";
    let ray = format!(
        "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {{name: rc, namespace: ml}}\nspec:\n  headGroupSpec:\n    template:\n      spec:\n        containers:\n        - {{name: head, image: rayproject/ray:2.52.0}}\n  workerGroupSpecs:\n{}",
        group.replace("GROUP", "cpu")
    );
    write(d, "k8s/ray.yaml", &ray);
    let rollout = DEPLOYMENT.replace(
        "apiVersion: apps/v1\nkind: Deployment",
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout",
    );
    write(d, "k8s/rollout.yaml", &rollout);
    let written = run(d, &["check", "--write-baseline", "b.json", "k8s/"]);
    assert_eq!(written.code, 0, "{}", written.stdout);
    let file = fs::read_to_string(d.join("b.json")).unwrap();
    assert!(file.contains("\"kind\":\"Rollout\""), "{file}");
    assert!(
        file.contains("\"pointer\":\"/securityContext/privileged\""),
        "keys inside the container: {file}"
    );

    // The Rollout's template moves down (a strategy written first), and a
    // second worker group is added to the Ray cluster with the same
    // container: only its findings are new.
    write(
        d,
        "k8s/rollout.yaml",
        &rollout.replace(
            "spec:\n  template:",
            "spec:\n  strategy: {canary: {steps: [{setWeight: 20}]}}\n  template:",
        ),
    );
    let per_worker = run(d, &["check", "--format", "json", "k8s/ray.yaml"]).json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["container"] == "worker")
        .count();
    assert!(per_worker > 1, "{per_worker}");
    write(
        d,
        "k8s/ray.yaml",
        &format!("{ray}{}", group.replace("GROUP", "gpu")),
    );
    let out = run(
        d,
        &["check", "--baseline", "b.json", "--format", "json", "k8s/"],
    );
    let new: Vec<String> = out.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["pointer"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(new.len(), per_worker, "{new:#?}");
    assert!(
        new.iter()
            .all(|p| p.starts_with("/spec/workerGroupSpecs/1/")),
        "{new:#?}"
    );
}

#[test]
fn a_baseline_hides_todays_findings_and_shows_new_ones() {
    let dir = repository();
    let d = dir.path();
    let before = run(d, &["check", "--format", "json", "k8s/"]);
    assert_eq!(before.code, 1);
    let total = rules(&before).len();
    assert!(total > 10, "{total}");

    let written = run(d, &["check", "--write-baseline", "baseline.json", "k8s/"]);
    assert_eq!(written.code, 0, "{}", written.stdout);
    assert!(
        written.stdout.contains(&format!(
            "Baseline written to baseline.json: {total} findings."
        )),
        "{}",
        written.stdout
    );
    assert!(!written.stdout.contains("error["), "{}", written.stdout);
    let file = fs::read_to_string(d.join("baseline.json")).unwrap();
    assert!(file.starts_with("{\n  \"tool\": \"kube-immutable\",\n  \"version\": 1,\n"));
    assert!(!file.contains("\"line\""), "no line numbers: {file}");
    let lines: Vec<&str> = file.lines().filter(|l| l.contains("\"rule\"")).collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted, "one entry per line, sorted");
    // Writing again gives the same bytes (stable, diff-friendly).
    run(d, &["check", "--write-baseline", "baseline.json", "k8s/"]);
    assert_eq!(fs::read_to_string(d.join("baseline.json")).unwrap(), file);

    let clean = run(d, &["check", "--baseline", "baseline.json", "k8s/"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert!(!clean.stdout.contains("error[") && !clean.stdout.contains("warning["));
    assert!(
        clean
            .stdout
            .contains("No new findings (3 objects in 3 files checked)."),
        "{}",
        clean.stdout
    );
    assert!(
        clean.stdout.contains(&format!(
            "{total} findings matched the baseline baseline.json."
        )),
        "{}",
        clean.stdout
    );

    // Edits that move everything (comments above, a container inserted
    // before, documents added) keep the old findings matched; a new
    // privileged container is exactly one new finding.
    let edited = DEPLOYMENT
        .replace("apiVersion: apps/v1\n", "# moved down\n---\napiVersion: apps/v1\n")
        .replace(
            "      containers:\n",
            "      containers:\n        - name: debug\n          image: busybox:1.36\n          securityContext:\n            privileged: true\n            readOnlyRootFilesystem: true\n            allowPrivilegeEscalation: false\n            runAsNonRoot: true\n            capabilities: {drop: [ALL]}\n",
        );
    write(d, "k8s/web.yaml", &edited);
    let out = run(
        d,
        &[
            "check",
            "--format",
            "json",
            "--baseline",
            "baseline.json",
            "k8s/",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        rules(&out),
        [("k8s/web.yaml".to_owned(), "privileged".to_owned())]
    );
    let f = &out.json()["findings"][0];
    assert_eq!(f["container"], "debug");
    assert_eq!(out.json()["summary"]["baselined"], total);
    assert_eq!(out.json()["summary"]["baseline_stale"], 0);
    assert_eq!(out.json()["summary"]["errors"], 1);

    // The same from another folder: keys are relative to the baseline.
    let sub = run(
        &d.join("k8s"),
        &[
            "check",
            "--format",
            "json",
            "--baseline",
            "../baseline.json",
            ".",
        ],
    );
    assert_eq!(
        rules(&sub),
        [("./web.yaml".to_owned(), "privileged".to_owned())]
    );
}

#[test]
fn stale_entries_are_reported_and_do_not_fail() {
    let dir = repository();
    let d = dir.path();
    run(d, &["check", "--write-baseline", "b.json", "k8s/"]);
    // The privileged container is fixed: its entry matches nothing.
    write(
        d,
        "k8s/web.yaml",
        &DEPLOYMENT.replace("privileged: true", "privileged: false"),
    );
    let out = run(d, &["check", "--baseline", "b.json", "k8s/"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "1 baseline entry no longer matches: run `--write-baseline b.json` to drop it."
        ),
        "{}",
        out.stdout
    );
    // A deleted file's entries are stale too; files not checked in this
    // run (pre-commit passes only the changed ones) are not.
    fs::remove_file(d.join("k8s/mutable-pod.yaml")).unwrap();
    let json = run(
        d,
        &[
            "check",
            "--format",
            "json",
            "--baseline",
            "b.json",
            "k8s/web.yaml",
        ],
    );
    let stale = json.json()["summary"]["baseline_stale"].as_u64().unwrap();
    assert!(stale > 1, "{}", json.stdout);
    assert!(json.stderr.contains("no longer match"), "{}", json.stderr);
    // In a workflow log, the note is a notice; stdout keeps the annotations only.
    let github = run(
        d,
        &[
            "check",
            "--format",
            "github",
            "--baseline",
            "b.json",
            "k8s/web.yaml",
        ],
    );
    assert!(
        github
            .stderr
            .starts_with("::notice title=kube-immutable baseline::"),
        "{}",
        github.stderr
    );
    assert!(
        github.stdout.lines().all(|l| l.starts_with("::")),
        "{}",
        github.stdout
    );
    let only = run(
        d,
        &[
            "check",
            "--format",
            "json",
            "--baseline",
            "b.json",
            "k8s/immutable-pod.yaml",
        ],
    );
    assert_eq!(only.code, 0);
    assert_eq!(
        only.json()["summary"]["baseline_stale"].as_u64().unwrap(),
        stale - 1,
        "the web.yaml entry is not counted when web.yaml is not checked"
    );
}

#[test]
fn a_bad_baseline_is_an_error_never_no_findings() {
    let dir = repository();
    let d = dir.path();
    write(d, "checkov.json", "{\"failed_checks\": []}");
    write(
        d,
        "broken.json",
        "{\"tool\": \"kube-immutable\", \"version\": 1, \"findings\": [",
    );
    for (file, expected) in [
        ("missing.json", "baseline missing.json"),
        ("checkov.json", "not a kube-immutable baseline"),
        ("broken.json", "not a kube-immutable baseline"),
    ] {
        for format in ["text", "json", "github"] {
            let out = run(
                d,
                &["check", "--format", format, "--baseline", file, "k8s/"],
            );
            assert_eq!(out.code, 2, "{file}: {}", out.stderr);
            assert!(out.stderr.contains(expected), "{file}: {}", out.stderr);
            assert!(out.stdout.is_empty(), "{file}: {}", out.stdout);
        }
    }
    let both = run(
        d,
        &[
            "check",
            "--baseline",
            "a.json",
            "--write-baseline",
            "b.json",
            "k8s/",
        ],
    );
    assert_eq!(both.code, 2);
}

#[test]
fn input_warnings_are_baselined_input_errors_never() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A duplicate key (Kubernetes keeps the last value: a warning) and a
    // quoted boolean (the API server refuses it: an error).
    write(
        d,
        "dup.yaml",
        &DEPLOYMENT.replace("  name: web\n", "  name: web\n  name: web\n"),
    );
    write(
        d,
        "quoted.yaml",
        &DEPLOYMENT.replace("privileged: true", "privileged: \"true\""),
    );
    let written = run(
        d,
        &[
            "check",
            "--write-baseline",
            "b.json",
            "dup.yaml",
            "quoted.yaml",
        ],
    );
    assert_eq!(written.code, 2, "{}", written.stdout);
    let file = fs::read_to_string(d.join("b.json")).unwrap();
    assert!(
        file.contains("{\"file\":\"dup.yaml\",\"rule\":\"duplicate-key\",\"pointer\":\"/metadata/name\",\"count\":1}"),
        "{file}"
    );
    assert!(!file.contains("invalid-type"), "{file}");
    let out = run(
        d,
        &[
            "check",
            "--format",
            "json",
            "--baseline",
            "b.json",
            "dup.yaml",
            "quoted.yaml",
        ],
    );
    assert_eq!(out.code, 2);
    let json = out.json();
    assert!(
        json["findings"].as_array().unwrap().is_empty(),
        "{}",
        out.stdout
    );
    let errors: Vec<&str> = json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(errors, ["invalid-type"]);
    // Without the refused file, the run passes.
    let clean = run(d, &["check", "--baseline", "b.json", "dup.yaml"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    assert!(!clean.stdout.contains("duplicate-key"), "{}", clean.stdout);
}

#[test]
fn github_annotations_and_sarif_honour_the_baseline() {
    let dir = repository();
    let d = dir.path();
    run(d, &["check", "--write-baseline", "b.json", "k8s/"]);
    write(
        d,
        "k8s/web.yaml",
        &DEPLOYMENT.replace(
            "name: sidecar",
            "name: sidecar\n          securityContext: {privileged: true}",
        ),
    );
    let out = run(
        d,
        &[
            "check",
            "--format",
            "github",
            "--baseline",
            "b.json",
            "--output-format",
            "sarif=r.sarif",
            "k8s/",
        ],
    );
    assert_eq!(out.code, 1);
    let annotations: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(annotations.len(), 1, "{}", out.stdout);
    assert!(
        annotations[0].starts_with("::error file=k8s/web.yaml,line=11,col=29,")
            && annotations[0].contains("title=kube-immutable (privileged)::"),
        "{}",
        annotations[0]
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(d.join("r.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1);
}

// ---------------------------------------------------------------- several reports

#[test]
fn every_report_comes_from_one_check_and_equals_its_own_run() {
    let dir = repository();
    let d = dir.path();
    let out = run(
        d,
        &[
            "check",
            "--output-format",
            "sarif=out/r.sarif",
            "--output-format",
            "junit=out/r.xml",
            "--output-format",
            "json=out/r.json",
            "--output-format",
            "text=out/r.txt",
            "--output-format",
            "github=out/r.github",
            "k8s/",
        ],
    );
    // The folder does not exist: every file fails, the text still prints.
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("error: cannot write out/r.sarif"));
    assert!(out.stdout.contains("error[privileged]"));
    fs::create_dir(d.join("out")).unwrap();
    let out = run(
        d,
        &[
            "check",
            "--color",
            "always",
            "--output-format",
            "sarif=out/r.sarif",
            "--output-format",
            "junit=out/r.xml",
            "--output-format",
            "json=out/r.json",
            "--output-format",
            "TEXT=out/r.txt",
            "--output-format",
            "github=out/r.github",
            "k8s/",
        ],
    );
    assert_eq!(out.code, 1);
    for (format, file) in [
        ("sarif", "r.sarif"),
        ("junit", "r.xml"),
        ("json", "r.json"),
        ("text", "r.txt"),
        ("github", "r.github"),
    ] {
        let alone = run(d, &["check", "--format", format, "k8s/"]);
        assert_eq!(
            fs::read_to_string(d.join("out").join(file)).unwrap(),
            alone.stdout,
            "{format}: the extra report is what --format {format} prints (never coloured)"
        );
    }
    for bad in ["sarif", "xml=a", "sarif="] {
        let out = run(d, &["check", "--output-format", bad, "k8s/"]);
        assert_eq!(out.code, 2, "{bad}");
        assert!(
            out.stderr.contains("FORMAT=FILE") || out.stderr.contains("format"),
            "{}",
            out.stderr
        );
    }
    let twice = run(
        d,
        &[
            "check",
            "--output",
            "a",
            "--output-format",
            "json=a",
            "k8s/",
        ],
    );
    assert_eq!(twice.code, 2);
    assert!(twice.stderr.contains("two reports would be written to a"));
}

// ---------------------------------------------------------------- JUnit

#[test]
fn junit_has_a_suite_per_file_and_a_case_per_object() {
    let dir = repository();
    let d = dir.path();
    write(d, "k8s/list.yaml", "kind: List\nitems:\n- kind: Pod\n  metadata: {name: twin, namespace: kube-system}\n  spec: {containers: [{name: a, image: nginx:1.27}]}\n- kind: Pod\n  metadata: {name: twin, namespace: kube-system}\n  spec: {containers: [{name: a, image: \"nginx:1.27<&>\"}]}\n");
    write(d, "k8s/z-broken.yaml", "kind: Pod\nspec: [\n");
    write(
        d,
        "settings.yaml",
        "exemptions: {namespaces: [kube-system]}\n",
    );
    let out = run(
        d,
        &[
            "check",
            "--format",
            "junit",
            "--config",
            "settings.yaml",
            "k8s/",
            "missing.yaml",
        ],
    );
    assert_eq!(out.code, 2);
    let xml = out.stdout;
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kube-immutable\" tests=\"7\" failures=\"2\" errors=\"2\">\n"), "{xml}");
    assert!(xml.contains("<testsuite name=\"k8s/web.yaml\" file=\"k8s/web.yaml\" tests=\"1\" failures=\"1\" errors=\"0\" skipped=\"0\">"), "{xml}");
    assert!(xml.contains("<testcase name=\"Deployment/web in namespace &quot;shop&quot;\" classname=\"k8s/web.yaml\">"), "{xml}");
    assert!(xml.contains("<failure type=\"writable-root-filesystem\" message=\"3 error-level findings: writable-root-filesystem, privileged\">error[writable-root-filesystem] k8s/web.yaml:10:11: container \"sidecar\" has a writable root filesystem"), "{xml}");
    assert!(xml.contains("\nerror[privileged] k8s/web.yaml:15:13: container \"web\" is privileged: it can change the node and itself\n  container: web\n  help: Set `privileged: false` (or remove the field).\n  safe fix: Set `privileged: false`\n</failure>"), "{xml}");
    // One failure element per failing object.
    assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
    assert!(xml.contains("<system-out>warning["), "{xml}");
    // Exempt namespace: skipped; the same name twice: the documents named.
    assert!(
        xml.contains("tests=\"2\" failures=\"0\" errors=\"0\" skipped=\"2\""),
        "{xml}"
    );
    assert!(xml.contains("<testcase name=\"Pod/twin in namespace &quot;kube-system&quot; (document 1, /items/1)\""), "{xml}");
    // Input errors and an unreadable file.
    assert!(xml.contains("<testcase name=\"k8s/z-broken.yaml\" classname=\"k8s/z-broken.yaml\">\n      <error type=\"input\" message=\"1 input error: some objects may not have been checked\">error[syntax] k8s/z-broken.yaml:"), "{xml}");
    assert!(xml.contains("<testsuite name=\"missing.yaml\" file=\"missing.yaml\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">"), "{xml}");
    assert!(
        !xml.contains("time="),
        "no time: the same input gives the same file"
    );
    let fr = run(
        d,
        &["check", "--format", "junit", "--lang", "fr", "k8s/web.yaml"],
    );
    assert!(
        fr.stdout.contains(
            "message=\"3 problèmes de niveau erreur : writable-root-filesystem, privileged\""
        ),
        "{}",
        fr.stdout
    );
}

// ---------------------------------------------------------------- stale ignores

#[test]
fn stale_ignores_are_reported_and_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pod = "\
apiVersion: v1
kind: Pod
metadata:
  name: agent
  annotations:
    kube-immutable.io/ignore: \"privileged,host-namespaces: needs the host network\"
spec:
  hostNetwork: true
  containers:
    - name: agent
      image: busybox:1.36
";
    write(d, "pod.yaml", pod);
    let out = run(d, &["check", "pod.yaml"]);
    assert!(
        out.stdout.contains("warning[unused-ignore]: unused name in `kube-immutable.io/ignore`: `privileged` reports nothing on this object\n --> pod.yaml:6:5"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("safe fix available: Remove `privileged` from `kube-immutable.io/ignore`"),
        "{}",
        out.stdout
    );
    let diff = run(d, &["fix", "--diff", "pod.yaml"]);
    assert!(
        diff.stdout.contains("-    kube-immutable.io/ignore: \"privileged,host-namespaces: needs the host network\"\n+    kube-immutable.io/ignore: \"host-namespaces: needs the host network\"\n"),
        "{}",
        diff.stdout
    );
    let written = run(d, &["fix", "--write", "pod.yaml"]);
    assert!(written.code <= 1, "{}", written.stderr);
    let again = run(d, &["check", "--format", "json", "pod.yaml"]);
    assert!(rules(&again)
        .iter()
        .all(|(_, r)| r != "unused-ignore" && r != "host-namespaces"));
    let explain = run(d, &["explain", "unused-ignore"]);
    assert_eq!(explain.code, 0);
    assert!(explain.stdout.starts_with("# `unused-ignore`"));
}
