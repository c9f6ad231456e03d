//! What `fix` writes, Kubernetes accepts: every object of a checked kind
//! that the API server accepts as written (server-side dry run, strict
//! field validation) is accepted after `fix` and after
//! `fix --unsafe-fixes` too, over the repository's fixtures and the
//! real-world corpus.

use std::collections::HashMap;
use std::path::PathBuf;

use kube_immutable_core::fix::text::fix_text;
use kube_immutable_core::fix::FixOptions;
use kube_immutable_test_cluster::manifests::{
    corpus, create_all, manifest_files, workload_objects, ManifestObject,
};
use kube_immutable_test_cluster::Cluster;
use libtest_mimic::Failed;
use serde_json::Value;

use crate::support::{every_rule, fixture_files, namespace, none_of, short};

pub fn fixtures_stay_valid(cluster: &Cluster) -> Result<(), Failed> {
    let outcome = check_files(cluster, "fix-fixtures", &fixture_files())?;
    eprintln!("fixes on the fixtures: {outcome}");
    outcome.result()
}

pub fn corpus_stays_valid(cluster: &Cluster) -> Result<(), Failed> {
    let corpus = match corpus() {
        Ok(dir) => dir,
        Err(why) => {
            eprintln!("SKIPPED: fixes on the real-world corpus: {why}");
            return Ok(());
        }
    };
    let outcome = check_files(
        cluster,
        "fix-corpus",
        &manifest_files(&corpus.join("realworld")),
    )?;
    eprintln!("fixes on the real-world corpus: {outcome}");
    // The corpus is real: most of its objects must be there to prove
    // anything (1,766 objects; about 1,450 accepted as written).
    if outcome.accepted < 1_000 {
        return Err(format!(
            "only {} corpus objects were accepted as written: {outcome}",
            outcome.accepted
        )
        .into());
    }
    outcome.result()
}

/// The named cases of `tests/fixtures/cluster/fixes/`: each is accepted as
/// written (or the case would prove nothing), and so is each of its fixes.
pub fn no_fix_breaks_validation(cluster: &Cluster) -> Result<(), Failed> {
    let files = manifest_files(&crate::support::repo("tests/fixtures/cluster/fixes"));
    if files.len() < 5 {
        return Err(format!(
            "only {} named cases in tests/fixtures/cluster/fixes",
            files.len()
        )
        .into());
    }
    let outcome = check_files(cluster, "fix-named", &files)?;
    eprintln!("fixes on the named cases: {outcome}");
    let mut failures = outcome.failures.clone();
    failures.extend(outcome.refused_as_written.iter().cloned());
    none_of("named cases refused as written or after a fix", &failures)?;
    if outcome.changed_safe + outcome.changed_unsafe == 0 {
        return Err("no named case was changed by a fix".into());
    }
    Ok(())
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub objects: usize,
    pub accepted: usize,
    pub changed_safe: usize,
    pub changed_unsafe: usize,
    pub refused_as_written: Vec<String>,
    pub failures: Vec<String>,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} objects, {} accepted as written; fix changed {} of those and \
             fix --unsafe-fixes {}; {} fixed objects refused",
            self.objects,
            self.accepted,
            self.changed_safe,
            self.changed_unsafe,
            self.failures.len()
        )
    }
}

impl Outcome {
    fn result(&self) -> Result<(), Failed> {
        none_of("fixed objects refused by the API server", &self.failures)
    }
}

/// One object to send: where it comes from and what it is.
struct Sent<'a> {
    file: &'a PathBuf,
    object: ManifestObject,
}

fn check_files(cluster: &Cluster, prefix: &str, files: &[PathBuf]) -> Result<Outcome, Failed> {
    let ns = namespace(cluster, prefix, &[])?;
    let settings = every_rule();
    let mut originals = Vec::new();
    let mut fixed: HashMap<(usize, usize, String), [Option<Value>; 2]> = HashMap::new();
    // Whether `fix` (0) and `fix --unsafe-fixes` (1) changed each file.
    let mut changed: HashMap<usize, [bool; 2]> = HashMap::new();
    for (f, file) in files.iter().enumerate() {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let objects = workload_objects(&text);
        if objects.is_empty() {
            continue;
        }
        for (i, unsafe_fixes) in [false, true].into_iter().enumerate() {
            let out = fix_text(&text, &settings, FixOptions { unsafe_fixes });
            if out.text == text {
                continue;
            }
            changed.entry(f).or_default()[i] = true;
            for object in workload_objects(&out.text) {
                fixed
                    .entry((f, object.document, object.pointer.clone()))
                    .or_default()[i] = Some(object.json);
            }
        }
        originals.extend(objects.into_iter().map(|object| Sent { file, object }));
    }
    let index: HashMap<&PathBuf, usize> = files.iter().enumerate().map(|(i, f)| (f, i)).collect();
    let answers = create_all(
        cluster,
        &ns,
        &originals.iter().map(|s| &s.object.json).collect::<Vec<_>>(),
        true,
        4,
    );
    let mut outcome = Outcome {
        objects: originals.len(),
        ..Outcome::default()
    };
    let mut to_send: Vec<(String, &Value)> = Vec::new();
    for (sent, answer) in originals.iter().zip(&answers) {
        let label = format!("{} {}", short(sent.file), sent.object.label());
        if !answer.ok() {
            outcome
                .refused_as_written
                .push(format!("{label}: {}", answer.message()));
            continue;
        }
        outcome.accepted += 1;
        let key = (
            index[sent.file],
            sent.object.document,
            sent.object.pointer.clone(),
        );
        let versions = fixed.get(&key);
        for (i, how) in ["fix", "fix --unsafe-fixes"].into_iter().enumerate() {
            if !changed.get(&key.0).is_some_and(|c| c[i]) {
                continue;
            }
            match versions.and_then(|v| v[i].as_ref()) {
                None => outcome
                    .failures
                    .push(format!("{label}: the object is gone after {how}")),
                Some(json) if *json == sent.object.json => {}
                Some(json) => {
                    if i == 0 {
                        outcome.changed_safe += 1;
                    } else {
                        outcome.changed_unsafe += 1;
                    }
                    to_send.push((format!("{label} after {how}"), json));
                }
            }
        }
    }
    let answers = create_all(
        cluster,
        &ns,
        &to_send.iter().map(|(_, json)| *json).collect::<Vec<_>>(),
        true,
        4,
    );
    for ((label, _), answer) in to_send.iter().zip(&answers) {
        if !answer.ok() {
            outcome
                .failures
                .push(format!("{label}: {}", answer.message()));
        }
    }
    Ok(outcome)
}
