//! Exit 2 means Kubernetes would not take the input, and every message that
//! says what kubectl or the API server does is true of the real ones.
//!
//! - A duplicate key: kubectl (create, apply, server-side apply, client and
//!   server dry runs, YAML and JSON) takes the last value; the API server's
//!   strict field validation refuses the text itself. The core's message
//!   says both, and the CLI's exit code is the findings' alone.
//! - Every file the core finds an error-level input problem in is refused
//!   by kubectl; every file with only warning-level problems is taken.

use std::path::{Path, PathBuf};

use kube_immutable_core::{check_text, ErrorKind, Settings};
use kube_immutable_test_cluster::manifests::{corpus, manifest_files};
use kube_immutable_test_cluster::Cluster;
use libtest_mimic::Failed;
use serde_json::Value;

use crate::support::{fixture_files, namespace, none_of, repo, short};

const DUPLICATE_YAML: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: duplicate
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: true
        privileged: false
";

pub fn duplicate_keys_as_kubectl_reads_them(cluster: &Cluster) -> Result<(), Failed> {
    let ns = namespace(cluster, "duplicates", &[])?;
    let dir = tempfile::tempdir()?;
    let yaml = dir.path().join("duplicate.yaml");
    std::fs::write(&yaml, DUPLICATE_YAML)?;
    let json_text = r#"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "duplicate-json"},
 "spec": {"containers": [{"name": "app", "image": "nginx:1.27",
  "securityContext": {"privileged": true, "privileged": false}}]}}"#;
    let json = dir.path().join("duplicate.json");
    std::fs::write(&json, json_text)?;

    // What the core says, and does: a warning, the last value checked.
    for (text, name) in [(DUPLICATE_YAML, "YAML"), (json_text, "JSON")] {
        let report = check_text(text, &Settings::default());
        let dup: Vec<_> = report
            .errors
            .iter()
            .filter(|e| e.kind == ErrorKind::DuplicateKey)
            .collect();
        if dup.len() != 1 || dup[0].is_error() || report.has_input_errors() {
            return Err(format!(
                "{name}: expected one warning-level duplicate key, got {:?}",
                report.errors
            )
            .into());
        }
        let message = &dup[0].message.en;
        for claim in [
            "kubectl keeps this last value and drops the earlier one",
            "the API server's strict field validation refuses the object only when it receives this text as is, not through kubectl",
        ] {
            if !message.contains(claim) {
                return Err(format!("the message no longer says {claim:?}: {message}").into());
            }
        }
        if report.findings.iter().any(|f| f.rule == "privileged") {
            return Err(format!("{name}: the first value (privileged: true) was checked").into());
        }
    }

    // "kubectl keeps this last value and drops the earlier one": every way
    // kubectl sends a file, YAML and JSON.
    let path = "{.spec.containers[0].securityContext.privileged}";
    for file in [&yaml, &json] {
        let file = file.to_string_lossy().into_owned();
        for args in [
            vec!["create", "--dry-run=server"],
            vec!["create", "--dry-run=server", "--validate=strict"],
            vec!["create", "--dry-run=client"],
            vec!["apply", "--dry-run=server"],
            vec!["apply", "--dry-run=client"],
            vec!["apply", "--server-side", "--dry-run=server"],
        ] {
            let jsonpath = format!("jsonpath={path}");
            let mut args = args;
            args.extend(["-n", &ns, "-f", &file, "-o", &jsonpath]);
            let out = cluster.run_kubectl(&args, None);
            let stdout = String::from_utf8_lossy(&out.stdout);
            if !out.status.success() || stdout.trim() != "false" {
                return Err(format!(
                    "kubectl {}: exit {:?}, printed {stdout:?}, {}",
                    args.join(" "),
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                )
                .into());
            }
        }
    }

    // "the API server's strict field validation refuses the object only
    // when it receives this text as is": the raw text, strict and not.
    let collection = format!("/api/v1/namespaces/{ns}/pods");
    for (content_type, body, refusal) in [
        ("application/yaml", DUPLICATE_YAML, "already set in map"),
        ("application/json", json_text, "duplicate field"),
    ] {
        let strict = cluster.raw_request(
            "POST",
            &format!("{collection}?dryRun=All&fieldValidation=Strict"),
            Some((content_type, body.as_bytes())),
        );
        if strict.status != 400 || !strict.message().contains(refusal) {
            return Err(format!(
                "{content_type} with strict field validation: {} {}",
                strict.status,
                strict.message()
            )
            .into());
        }
        let lax = cluster.raw_request(
            "POST",
            &format!("{collection}?dryRun=All&fieldValidation=Ignore"),
            Some((content_type, body.as_bytes())),
        );
        let stored: Value = lax.json();
        if !lax.ok() || stored["spec"]["containers"][0]["securityContext"]["privileged"] != false {
            return Err(format!(
                "{content_type} without strict validation: {} {}",
                lax.status, lax.body
            )
            .into());
        }
    }
    Ok(())
}

/// The named cases of `tests/fixtures/cluster/input/` and every fixture of
/// the repository.
pub fn exit_2_only_for_what_kubernetes_refuses(cluster: &Cluster) -> Result<(), Failed> {
    let named = manifest_files(&repo("tests/fixtures/cluster/input"));
    let mut failures = Vec::new();
    let (mut refused, mut accepted) = (0, 0);
    for file in &named {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let expected = if name.starts_with("refused-") {
            refused += 1;
            Expect::Refused
        } else if name.starts_with("accepted-") {
            accepted += 1;
            Expect::Accepted
        } else {
            failures.push(format!("{}: name it refused-* or accepted-*", short(file)));
            continue;
        };
        failures.extend(check_file(cluster, file, Some(expected))?);
    }
    if refused < 5 || accepted < 2 {
        return Err(format!("too few named cases: {refused} refused, {accepted} accepted").into());
    }
    for file in fixture_files() {
        if !file.starts_with(repo("tests/fixtures/cluster/input")) {
            failures.extend(check_file(cluster, &file, None)?);
        }
    }
    none_of(
        "files where the exit code and Kubernetes disagree",
        &failures,
    )
}

/// The same over the real-world corpus: the files with input problems.
pub fn corpus_exit_2_only_for_what_kubernetes_refuses(cluster: &Cluster) -> Result<(), Failed> {
    let corpus = match corpus() {
        Ok(dir) => dir,
        Err(why) => {
            eprintln!("SKIPPED: input problems of the real-world corpus: {why}");
            return Ok(());
        }
    };
    let mut failures = Vec::new();
    let mut seen = [0, 0];
    for file in manifest_files(&corpus.join("realworld")) {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let report = check_text(&text, &Settings::default());
        if report.errors.is_empty() {
            continue;
        }
        seen[usize::from(report.has_input_errors())] += 1;
        failures.extend(check_file(cluster, &file, None)?);
    }
    eprintln!(
        "real-world files with input problems: {} with warnings only (kubectl takes them), {} with errors (kubectl refuses them)",
        seen[0], seen[1]
    );
    if seen[0] == 0 {
        return Err("no real-world file with a duplicate key: the corpus changed?".into());
    }
    none_of(
        "real-world files where the exit code and Kubernetes disagree",
        &failures,
    )
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Refused,
    Accepted,
}

/// Compares the core's verdict on a file (error-level input problems: the
/// CLI exits 2) with kubectl's (`create --dry-run=server`, strict field
/// validation): refused exactly when the core has an error. Files without
/// any input problem are not sent. A limit is not Kubernetes' business.
fn check_file(
    cluster: &Cluster,
    file: &Path,
    expected: Option<Expect>,
) -> Result<Vec<String>, Failed> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(vec![format!("{}: not UTF-8", short(file))]);
    };
    let report = check_text(&text, &Settings::default());
    if report.errors.iter().any(|e| e.kind == ErrorKind::Limit) {
        return Ok(Vec::new());
    }
    let ours = if report.has_input_errors() {
        Expect::Refused
    } else if report.errors.is_empty() && expected.is_none() {
        return Ok(Vec::new());
    } else {
        Expect::Accepted
    };
    let mut failures = Vec::new();
    if let Some(expected) = expected {
        if ours != expected {
            failures.push(format!(
                "{}: the core says {ours:?} (exit {}), the case expects {expected:?}: {:?}",
                short(file),
                if ours == Expect::Refused { 2 } else { 0 },
                report
                    .errors
                    .iter()
                    .map(|e| &e.message.en)
                    .collect::<Vec<_>>()
            ));
        }
    }
    let kubectl = kubectl_verdict(cluster, file, &text)?;
    if kubectl.0 != ours {
        failures.push(format!(
            "{}: the CLI {} but kubectl {}: core {:?}; kubectl: {}",
            short(file),
            if ours == Expect::Refused {
                "exits 2"
            } else {
                "does not exit 2"
            },
            if kubectl.0 == Expect::Refused {
                "refuses it"
            } else {
                "takes it"
            },
            report
                .errors
                .iter()
                .map(|e| (&e.message.en, e.severity))
                .collect::<Vec<_>>(),
            kubectl.1
        ));
    }
    Ok(failures)
}

/// kubectl's verdict on a whole file, its objects in the namespaces they
/// name (made first) or `default`.
fn kubectl_verdict(cluster: &Cluster, file: &Path, text: &str) -> Result<(Expect, String), Failed> {
    for line in text.lines() {
        if let Some(ns) = line.trim().strip_prefix("namespace:") {
            let ns = ns.trim().trim_matches(['"', '\'']);
            if !ns.is_empty() && ns.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                cluster.create_namespace(ns, &[])?;
            }
        }
    }
    cluster.create_namespace("default", &[])?;
    let path: PathBuf = file.to_owned();
    let out = cluster.run_kubectl(
        &[
            "create",
            "--dry-run=server",
            "--validate=strict",
            "-f",
            &path.to_string_lossy(),
        ],
        None,
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((
        if out.status.success() {
            Expect::Accepted
        } else {
            Expect::Refused
        },
        said.trim().to_owned(),
    ))
}
