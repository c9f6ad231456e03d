//! Kubernetes' own Pod Security admission as an oracle, on a real API
//! server (`crates/test-cluster`): part of `cargo xtask conformance` when
//! kube-apiserver, kubectl and etcd are found (skipped with a message
//! otherwise).
//!
//! Two namespaces are labelled `pod-security.kubernetes.io/enforce` and
//! `warn` at `baseline` and at `restricted`. Every workload object of the
//! corpora that the API server accepts as written (in a namespace without
//! labels) is dry-run in both: a Pod is refused with `violates PodSecurity
//! "LEVEL:latest": CHECK (...), ...`, a pod-template kind gets the warning
//! `would violate PodSecurity ...`. For each PSA check one of our rules
//! covers ([`CHECKS`]), the check fails exactly when the rule reports a
//! finding (all rules on). Then each object is fixed with
//! `fix --unsafe-fixes` and dry-run again in the restricted namespace: no
//! check that a rule with a fix covers may still fail.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kube_immutable_core::check_text;
use kube_immutable_core::fix::text::fix_text;
use kube_immutable_core::fix::FixOptions;
use kube_immutable_test_cluster::manifests::{create_all, manifest_files, workload_objects};
use kube_immutable_test_cluster::{Cluster, Response, Tools};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PsaLevel {
    Baseline,
    Restricted,
}

/// A PSA check (the reason its messages start with) and our rules.
#[derive(Debug)]
struct Check {
    /// As Pod Security admission names it in its messages.
    psa: &'static str,
    /// The level whose namespace tells: baseline checks in the baseline
    /// namespace (restricted replaces two of them by stricter checks).
    level: PsaLevel,
    rules: &'static [&'static str],
    /// Whether every finding of these rules has a fix (the check must pass
    /// after `fix --unsafe-fixes`).
    fixable: bool,
}

const CHECKS: &[Check] = &[
    Check {
        psa: "privileged",
        level: PsaLevel::Baseline,
        rules: &["privileged"],
        fixable: true,
    },
    Check {
        psa: "host namespaces",
        level: PsaLevel::Baseline,
        rules: &["host-namespaces"],
        fixable: true,
    },
    Check {
        psa: "hostPath volumes",
        level: PsaLevel::Baseline,
        rules: &["host-path-volumes"],
        fixable: false,
    },
    Check {
        psa: "hostPort",
        level: PsaLevel::Baseline,
        rules: &["host-ports"],
        fixable: true,
    },
    Check {
        psa: "non-default capabilities",
        level: PsaLevel::Baseline,
        rules: &["added-capabilities"],
        fixable: true,
    },
    Check {
        psa: "allowPrivilegeEscalation != false",
        level: PsaLevel::Restricted,
        rules: &[
            "allow-privilege-escalation",
            "privilege-escalation-not-disabled",
        ],
        fixable: true,
    },
    Check {
        psa: "runAsNonRoot != true",
        level: PsaLevel::Restricted,
        rules: &["may-run-as-root"],
        fixable: true,
    },
    Check {
        psa: "runAsUser=0",
        level: PsaLevel::Restricted,
        rules: &["run-as-root"],
        fixable: true,
    },
    Check {
        psa: "unrestricted capabilities",
        level: PsaLevel::Restricted,
        rules: &["added-capabilities", "capabilities-not-restricted"],
        fixable: true,
    },
];

/// Where PSA and our rules may disagree, and why. Every reason is also in
/// `docs/conformance.md`.
pub(crate) const EXPLAINED: &[(&str, &str)] = &[(
    "host namespaces",
    "A Windows HostProcess pod must keep `hostNetwork: true` (the API server refuses it without), \
     so `host-namespaces` offers no fix there and Pod Security's host namespaces check still fails after `fix --unsafe-fixes`.",
)];

/// The PSA checks a message names: `... violates PodSecurity "L:latest": A (...), B (...), C`.
pub(crate) fn failed_checks(message: &str) -> Vec<String> {
    let Some((_, list)) = message.split_once(":latest\": ") else {
        return Vec::new();
    };
    let mut checks = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in list.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                checks.push(current.trim().to_owned());
                current.clear();
                continue;
            }
            _ => {}
        }
        if depth == 0 && c != ')' {
            current.push(c);
        }
    }
    checks.push(current.trim().to_owned());
    checks.retain(|c| !c.is_empty());
    checks
}

/// What Pod Security said of one dry run: the refusal (a Pod) or the
/// warning (a pod-template kind). `None` when the object was refused for
/// another reason.
fn verdict(r: &Response) -> Option<Vec<String>> {
    if r.ok() {
        return Some(
            r.warnings
                .iter()
                .find(|w| w.contains("would violate PodSecurity"))
                .map(|w| failed_checks(w))
                .unwrap_or_default(),
        );
    }
    let message = r.message();
    message
        .contains("violates PodSecurity")
        .then(|| failed_checks(&message))
}

#[derive(Debug, Default)]
struct Tally {
    agree: usize,
    total: usize,
    explained: usize,
}

/// Runs the oracle over the corpora's files; `Ok(false)` when skipped.
pub(crate) fn run(corpus: &Path) -> Result<bool, String> {
    let tools = match Tools::find() {
        Ok(tools) => tools,
        Err(why) => {
            println!("SKIPPED: Pod Security admission as an oracle: {why}");
            return Ok(false);
        }
    };
    let started = std::time::Instant::now();
    let cluster = Cluster::start(&tools)?;
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for (name, dir) in [
        ("psa", "psa"),
        ("realworld", "realworld"),
        ("kyverno", "kyverno"),
    ] {
        for file in manifest_files(&corpus.join(dir)) {
            files.push((name.to_owned(), file));
        }
    }
    // The cluster tests' named cases: what the API server refuses a fix for.
    for file in manifest_files(&crate::workspace_root().join("tests/fixtures/cluster/fixes")) {
        files.push(("fixtures".to_owned(), file));
    }
    let plain = "psa-oracle-plain";
    cluster.create_namespace(plain, &[])?;
    let mut namespaces = BTreeMap::new();
    for (level, name) in [
        (PsaLevel::Baseline, "baseline"),
        (PsaLevel::Restricted, "restricted"),
    ] {
        let ns = format!("psa-oracle-{name}");
        cluster.create_namespace(
            &ns,
            &[
                ("pod-security.kubernetes.io/enforce", name),
                ("pod-security.kubernetes.io/warn", name),
            ],
        )?;
        namespaces.insert(name, (level, ns));
    }
    // The rules against Pod Security's checks: an ignore annotation in a
    // fixture (which Pod Security does not read) lifts nothing here.
    let mut settings = crate::conformance::all_rules_on();
    settings.ignore_annotation.allowed = Some(false);

    // Every object, its findings, and its version after `fix --unsafe-fixes`.
    struct Object {
        corpus: String,
        label: String,
        json: Value,
        failing: Vec<&'static str>,
        fixed: Option<Value>,
    }
    let mut objects = Vec::new();
    for (corpus_name, file) in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let report = check_text(&text, &settings);
        let fixed_text = fix_text(&text, &settings, FixOptions { unsafe_fixes: true }).text;
        let fixed_objects = workload_objects(&fixed_text);
        for object in workload_objects(&text) {
            let failing: Vec<&'static str> = report
                .findings
                .iter()
                .filter(|f| {
                    f.object.document == object.document && f.object.pointer == object.pointer
                })
                .map(|f| f.rule)
                .collect();
            let fixed = fixed_objects
                .iter()
                .find(|o| o.document == object.document && o.pointer == object.pointer)
                .map(|o| o.json.clone());
            let relative = file
                .strip_prefix(corpus)
                .unwrap_or(file)
                .display()
                .to_string();
            objects.push(Object {
                corpus: corpus_name.clone(),
                label: format!("{relative} {}", object.label()),
                json: object.json,
                failing,
                fixed,
            });
        }
    }
    let all: Vec<&Value> = objects.iter().map(|o| &o.json).collect();
    let as_written = create_all(&cluster, plain, &all, true, 4);
    let accepted: Vec<usize> = (0..objects.len()).filter(|&i| as_written[i].ok()).collect();
    let bodies: Vec<&Value> = accepted.iter().map(|&i| &objects[i].json).collect();
    let baseline = create_all(&cluster, &namespaces["baseline"].1, &bodies, true, 4);
    let restricted = create_all(&cluster, &namespaces["restricted"].1, &bodies, true, 4);
    let fixed_bodies: Vec<&Value> = accepted
        .iter()
        .map(|&i| objects[i].fixed.as_ref().unwrap_or(&objects[i].json))
        .collect();
    let after_fix = create_all(
        &cluster,
        &namespaces["restricted"].1,
        &fixed_bodies,
        true,
        4,
    );

    let mut tallies: BTreeMap<(String, &'static str), Tally> = BTreeMap::new();
    let mut disagreements = Vec::new();
    let mut unexplained = 0;
    let mut unreadable = Vec::new();
    for (k, &i) in accepted.iter().enumerate() {
        let o = &objects[i];
        let (Some(base), Some(restr)) = (verdict(&baseline[k]), verdict(&restricted[k])) else {
            unreadable.push(format!(
                "{}: {} / {}",
                o.label,
                baseline[k].message(),
                restricted[k].message()
            ));
            continue;
        };
        for check in CHECKS {
            let said = match check.level {
                PsaLevel::Baseline => &base,
                PsaLevel::Restricted => &restr,
            };
            let psa_fails = said.iter().any(|c| c == check.psa);
            let ours_fails = o.failing.iter().any(|r| check.rules.contains(r));
            let t = tallies.entry((o.corpus.clone(), check.psa)).or_default();
            t.total += 1;
            if psa_fails == ours_fails {
                t.agree += 1;
            } else {
                unexplained += 1;
                disagreements.push(format!(
                    "{} [{}]: Pod Security {}, ours {}",
                    o.label,
                    check.psa,
                    if psa_fails { "fails" } else { "passes" },
                    if ours_fails { "fails" } else { "passes" }
                ));
            }
        }
        // After `fix --unsafe-fixes`: the restricted checks our fixable
        // rules cover all pass.
        if let Some(after) = verdict(&after_fix[k]) {
            for check in CHECKS.iter().filter(|c| c.fixable) {
                if after.iter().any(|c| c == check.psa) {
                    let explained = EXPLAINED.iter().any(|(psa, _)| *psa == check.psa)
                        && o.json.to_string().contains("\"hostProcess\":true");
                    if explained {
                        if let Some(t) = tallies.get_mut(&(o.corpus.clone(), check.psa)) {
                            t.explained += 1;
                        }
                    } else {
                        unexplained += 1;
                        disagreements.push(format!(
                            "{}: [{}] still fails after fix --unsafe-fixes",
                            o.label, check.psa
                        ));
                    }
                }
            }
        } else {
            unexplained += 1;
            disagreements.push(format!(
                "{}: after fix --unsafe-fixes the API server refused it: {}",
                o.label,
                after_fix[k].message()
            ));
        }
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nPod Security admission (kube-apiserver {}), on the objects the API server accepts as written:",
        kube_immutable_test_cluster::KUBERNETES_VERSION
    );
    let _ = writeln!(
        out,
        "{:<10} {:<36} {:>11} {:>7}",
        "corpus", "PSA check", "agree/total", "%"
    );
    for ((corpus_name, check), t) in &tallies {
        let pct = if t.total == 0 {
            100.0
        } else {
            100.0 * t.agree as f64 / t.total as f64
        };
        let _ = writeln!(
            out,
            "{corpus_name:<10} {check:<36} {:>11} {pct:>6.1}%",
            format!("{}/{}", t.agree, t.total)
        );
    }
    let explained: usize = tallies.values().map(|t| t.explained).sum();
    let _ = writeln!(
        out,
        "{} objects, {} accepted as written; {} disagreements; after fix --unsafe-fixes, {} explained failures; {:.1} s",
        objects.len(),
        accepted.len(),
        unexplained,
        explained,
        started.elapsed().as_secs_f64()
    );
    for d in &disagreements {
        let _ = writeln!(out, "  {d}");
    }
    for u in &unreadable {
        let _ = writeln!(out, "  no Pod Security verdict: {u}");
    }
    print!("{out}");
    if unexplained > 0 || !unreadable.is_empty() {
        return Err(format!(
            "Pod Security admission disagrees with the rules on {unexplained} check(s); {} objects without a verdict",
            unreadable.len()
        ));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_their_checks() {
        let m = r#"pods "bad" is forbidden: violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true, hostPID=true), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "CHOWN", "NET_ADMIN" in securityContext.capabilities.add), runAsUser=0 (pod must not set runAsUser=0), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")"#;
        assert_eq!(
            failed_checks(m),
            [
                "host namespaces",
                "unrestricted capabilities",
                "runAsUser=0",
                "seccompProfile"
            ]
        );
        assert!(failed_checks("no PSA here").is_empty());
    }

    #[test]
    fn every_check_names_existing_rules() {
        for check in CHECKS {
            for rule in check.rules {
                assert!(kube_immutable_core::rules::by_id(rule).is_some(), "{rule}");
            }
        }
    }
}
