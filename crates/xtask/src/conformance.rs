//! `cargo xtask conformance [--verbose] [CORPUS_DIR]`: per-rule agreement
//! with the reference verdicts of the shared corpora.
//!
//! - `psa/index.tsv`: one row per pod-security-admission fixture (one Pod per
//!   file), with `ref_*` verdicts per PSA check and
//!   `readOnlyRootFilesystem(extra)`.
//! - `realworld/reference_verdicts.tsv`: one row per workload object of
//!   ~1,500 public manifests. `object_index` counts the objects of the file
//!   in order: each non-empty document is one object, except a `*List`,
//!   whose items count one by one (and the list itself not at all). Rows are
//!   matched on file + kind + name, and `object_index` picks among
//!   duplicates.
//!
//! - `kyverno/index.tsv`: Kyverno's own policy tests, one row per policy
//!   rule and object of a multi-document `resource.yaml` (matched on file +
//!   kind + name), with Kyverno's expected result (`expected`) and the check
//!   it stands for (`our_rule`).
//!
//! A rule "fails" an object when it reports any finding (any severity) for
//! it, with all rules on (`image-not-pinned` included). A comparison pairs
//! one PSA check (or Kyverno policy rule) with the rule(s) that implement it
//! ([`COMPARISONS`]); Kyverno's restricted capabilities policy has two rules,
//! compared with the findings on `add` entries and on `drop`
//! ([`Part`]). Disagreements are errors unless listed in
//! [`INTENDED_DIVERGENCES`] with the reason, which `docs/conformance.md`
//! repeats.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use kube_immutable_core::workload::for_each_object;
use kube_immutable_core::{check_text, yaml, Level, Limits, Node, Settings};

/// One PSA check and the rule(s) that implement it.
#[derive(Debug)]
pub(crate) struct Comparison {
    /// Shown in the table and named by [`Divergence::comparison`].
    pub label: &'static str,
    /// The check fails when any of these rules reports a finding (of
    /// [`Comparison::part`]).
    pub rules: &'static [&'static str],
    /// Which findings count.
    pub part: Part,
    /// Column of `psa/index.tsv`; empty when the corpus has none.
    pub psa_column: &'static str,
    /// Column of `realworld/reference_verdicts.tsv`; empty when none.
    pub realworld_column: &'static str,
    /// `our_rule` value of `kyverno/index.tsv` rows; empty when none.
    pub kyverno_check: &'static str,
}

/// Which findings of a comparison's rules count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    All,
    /// Findings on an entry of `capabilities.add`.
    AddedCapabilities,
    /// Findings on `capabilities.drop` (`ALL` missing).
    DropAll,
}

impl Part {
    fn counts(self, pointer: &str) -> bool {
        match self {
            Part::All => true,
            Part::AddedCapabilities => pointer.contains("/capabilities/add/"),
            Part::DropAll => pointer.ends_with("/capabilities/drop"),
        }
    }
}

pub(crate) const COMPARISONS: &[Comparison] = &[
    Comparison {
        label: "privileged",
        rules: &["privileged"],
        part: Part::All,
        psa_column: "ref_privileged",
        realworld_column: "privileged",
        kyverno_check: "privileged",
    },
    Comparison {
        label: "host-namespaces",
        rules: &["host-namespaces"],
        part: Part::All,
        psa_column: "ref_hostNamespaces",
        realworld_column: "hostNamespaces",
        kyverno_check: "hostNamespaces",
    },
    Comparison {
        label: "allow-privilege-escalation | privilege-escalation-not-disabled",
        rules: &[
            "allow-privilege-escalation",
            "privilege-escalation-not-disabled",
        ],
        part: Part::All,
        psa_column: "ref_allowPrivilegeEscalation",
        realworld_column: "allowPrivilegeEscalation",
        kyverno_check: "allowPrivilegeEscalation",
    },
    Comparison {
        label: "run-as-root",
        rules: &["run-as-root"],
        part: Part::All,
        psa_column: "ref_runAsUser",
        realworld_column: "runAsUser",
        kyverno_check: "runAsUser",
    },
    Comparison {
        label: "may-run-as-root",
        rules: &["may-run-as-root"],
        part: Part::All,
        psa_column: "ref_runAsNonRoot",
        realworld_column: "runAsNonRoot",
        kyverno_check: "runAsNonRoot",
    },
    Comparison {
        label: "writable-root-filesystem",
        rules: &["writable-root-filesystem"],
        part: Part::All,
        psa_column: "readOnlyRootFilesystem(extra)",
        realworld_column: "readOnlyRootFilesystem",
        kyverno_check: "readOnlyRootFilesystem",
    },
    Comparison {
        label: "host-path-volumes",
        rules: &["host-path-volumes"],
        part: Part::All,
        psa_column: "ref_hostPathVolumes",
        realworld_column: "hostPathVolumes",
        kyverno_check: "hostPath volumes",
    },
    Comparison {
        label: "host-ports",
        rules: &["host-ports"],
        part: Part::All,
        psa_column: "ref_hostPorts",
        realworld_column: "hostPorts",
        kyverno_check: "hostPorts",
    },
    Comparison {
        label: "added-capabilities",
        rules: &["added-capabilities"],
        part: Part::All,
        psa_column: "ref_capabilities_baseline",
        realworld_column: "capabilities_baseline",
        kyverno_check: "capabilities_baseline",
    },
    Comparison {
        label: "added-capabilities | capabilities-not-restricted",
        rules: &["added-capabilities", "capabilities-not-restricted"],
        part: Part::All,
        psa_column: "ref_capabilities_restricted",
        realworld_column: "capabilities_restricted",
        kyverno_check: "",
    },
    Comparison {
        label: "added-capabilities | capabilities-not-restricted on `add`",
        rules: &["added-capabilities", "capabilities-not-restricted"],
        part: Part::AddedCapabilities,
        psa_column: "",
        realworld_column: "",
        kyverno_check: "capabilities_restricted (add part)",
    },
    Comparison {
        label: "capabilities-not-restricted on `drop`",
        rules: &["capabilities-not-restricted"],
        part: Part::DropAll,
        psa_column: "",
        realworld_column: "",
        kyverno_check: "capabilities_restricted (drop ALL part)",
    },
    Comparison {
        label: "mutable-image-tag",
        rules: &["mutable-image-tag"],
        part: Part::All,
        psa_column: "",
        realworld_column: "",
        kyverno_check: "image tag (not :latest, tag required)",
    },
];

/// A disagreement we mean to keep. Every `reason` is also written in
/// `docs/conformance.md` (a test checks it).
#[derive(Debug)]
pub(crate) struct Divergence {
    /// `psa`, `realworld` or `kyverno`.
    pub corpus: &'static str,
    /// File, relative to the corpus folder.
    pub file: &'static str,
    /// `metadata.name` of the object, or `None` for every object of the file.
    pub object: Option<&'static str>,
    /// A [`Comparison::label`].
    pub comparison: &'static str,
    pub reason: &'static str,
}

pub(crate) const INTENDED_DIVERGENCES: &[Divergence] = &[Divergence {
    corpus: "psa",
    file: "pass/restricted/v1.37/base_windows.yaml",
    object: None,
    comparison: "writable-root-filesystem",
    reason: "Windows pods (`spec.os.name: windows`) are exempt from `writable-root-filesystem`: \
             the API server rejects `readOnlyRootFilesystem` on them, so the finding could not be fixed. \
             The corpus's `readOnlyRootFilesystem(extra)` column marks every PSA fixture as failing, Windows included.",
}];

/// Where a verdict came from, for the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Disagreement {
    file: String,
    object: String,
    comparison: &'static str,
    ours: &'static str,
    reference: String,
    /// The reason, when it is an intended divergence.
    intended: Option<&'static str>,
}

#[derive(Debug, Default, Clone)]
struct Tally {
    agree: usize,
    total: usize,
    intended: usize,
    skipped: usize,
}

#[derive(Debug, Default)]
struct CorpusResult {
    name: &'static str,
    files: usize,
    rows: usize,
    /// Per comparison label.
    tallies: BTreeMap<&'static str, Tally>,
    disagreements: Vec<Disagreement>,
    crashes: Vec<(String, String)>,
    /// Files with input errors (first error as an example).
    input_errors: Vec<(String, String)>,
    /// Reference rows we found no object for.
    unmatched_rows: Vec<String>,
    /// Our workload objects that no reference row names.
    unmatched_objects: Vec<String>,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut verbose = false;
    let mut dir = None;
    for arg in args {
        match arg.as_str() {
            "-v" | "--verbose" => verbose = true,
            flag if flag.starts_with('-') => {
                return Err(format!(
                    "conformance: unknown option `{flag}` (usage: cargo xtask conformance [--verbose] [CORPUS_DIR])"
                ))
            }
            path => dir = Some(PathBuf::from(path)),
        }
    }
    let corpus = corpus_dir(
        dir,
        &[
            "psa/index.tsv",
            "realworld/reference_verdicts.tsv",
            "kyverno/index.tsv",
        ],
    )?;
    println!("corpus: {}", corpus.display());

    let results = with_quiet_panics(|| -> Result<Vec<CorpusResult>, String> {
        Ok(vec![
            run_psa(&corpus)?,
            run_realworld(&corpus)?,
            run_kyverno(&corpus)?,
        ])
    })?;

    print!("{}", render(&results, verbose));

    // Kubernetes' own Pod Security admission, when an API server is at hand.
    let oracle = crate::psa_oracle::run(&corpus);

    let failing: Vec<String> = results
        .iter()
        .flat_map(|r| {
            let mut out = Vec::new();
            let unexplained = r
                .disagreements
                .iter()
                .filter(|d| d.intended.is_none())
                .count();
            if unexplained > 0 {
                out.push(format!(
                    "{}: {unexplained} unexplained disagreement(s)",
                    r.name
                ));
            }
            if !r.crashes.is_empty() {
                out.push(format!(
                    "{}: {} file(s) crashed the core",
                    r.name,
                    r.crashes.len()
                ));
            }
            if !r.unmatched_rows.is_empty() {
                out.push(format!(
                    "{}: {} reference row(s) matched no object",
                    r.name,
                    r.unmatched_rows.len()
                ));
            }
            out
        })
        .collect();
    let mut failing = failing;
    if let Err(e) = oracle {
        failing.push(e);
    }
    let used: Vec<&Divergence> = results
        .iter()
        .flat_map(|r| {
            r.disagreements
                .iter()
                .filter_map(|x| divergence_for(r.name, &x.file, &x.object, x.comparison))
        })
        .collect();
    for d in INTENDED_DIVERGENCES
        .iter()
        .filter(|d| !used.iter().any(|u| std::ptr::eq(*u, *d)))
    {
        println!(
            "note: intended divergence no longer observed: {} {} {} ({})",
            d.corpus,
            d.file,
            d.object.unwrap_or("*"),
            d.comparison
        );
    }
    if failing.is_empty() {
        Ok(())
    } else {
        if !verbose {
            println!("(run with --verbose to list every disagreement)");
        }
        Err(format!("conformance: {}", failing.join("; ")))
    }
}

/// The corpus folder: the argument, `$KUBE_IMMUTABLE_CORPUS`, or
/// `../shared/corpus` from the workspace root; `needed` files must exist in it.
pub(crate) fn corpus_dir(arg: Option<PathBuf>, needed: &[&str]) -> Result<PathBuf, String> {
    let (dir, how) = match (arg, std::env::var_os("KUBE_IMMUTABLE_CORPUS")) {
        (Some(dir), _) => (dir, "the CORPUS_DIR argument"),
        (None, Some(dir)) => (PathBuf::from(dir), "$KUBE_IMMUTABLE_CORPUS"),
        (None, None) => (
            crate::workspace_root().join("../shared/corpus"),
            "the default ../shared/corpus (from the workspace root)",
        ),
    };
    match needed.iter().find(|f| !dir.join(f).is_file()) {
        None => Ok(dir),
        Some(missing) => Err(format!(
            "no corpus at {} ({how}): {missing} is missing. Pass CORPUS_DIR or set KUBE_IMMUTABLE_CORPUS to the folder holding {}",
            dir.display(),
            needed
                .iter()
                .filter_map(|f| f.split('/').next())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Run `f` with the panic message printer off: panics inside the core are
/// caught per file and reported in the table instead.
fn with_quiet_panics<T>(f: impl FnOnce() -> T) -> T {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = f();
    std::panic::set_hook(previous);
    out
}

/// Rows grouped by their `file` column, in file order.
fn rows_by_file(
    rows: &[BTreeMap<String, String>],
) -> BTreeMap<&str, Vec<&BTreeMap<String, String>>> {
    let mut by_file: BTreeMap<&str, Vec<&BTreeMap<String, String>>> = BTreeMap::new();
    for row in rows {
        if let Some(file) = row.get("file") {
            by_file.entry(file.as_str()).or_default().push(row);
        }
    }
    by_file
}

/// A TSV file as a header and rows of named fields.
fn read_tsv(path: &Path) -> Result<Vec<BTreeMap<String, String>>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("{} is empty", path.display()))?
        .split('\t')
        .collect();
    Ok(lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(h, v)| ((*h).to_owned(), v.to_owned()))
                .collect()
        })
        .collect())
}

/// One workload object of a checked file, with the rules that failed it.
#[derive(Debug)]
struct Checked {
    kind: String,
    /// `metadata.name` (the reference writes `?` when there is none).
    name: Option<String>,
    /// `generateName`, shown when there is no name.
    generate_name: Option<String>,
    /// Position among the file's objects (see the module docs).
    ordinal: usize,
    /// `(rule, pointer)` of every finding.
    findings: Vec<(&'static str, String)>,
}

impl Checked {
    /// Whether the comparison's check fails this object.
    fn fails(&self, c: &Comparison) -> bool {
        self.findings
            .iter()
            .any(|(rule, pointer)| c.rules.contains(rule) && c.part.counts(pointer))
    }

    fn label(&self) -> String {
        match (&self.name, &self.generate_name) {
            (Some(name), _) => format!("{}/{name}", self.kind),
            (None, Some(prefix)) => format!("{}/{prefix}*", self.kind),
            (None, None) => format!("{}/<unnamed>", self.kind),
        }
    }
}

/// Check one file: its workload objects with their failed rules, the first
/// input error, or the panic message.
#[allow(clippy::type_complexity)] // a one-off internal result
fn check_file(path: &Path) -> Result<(Vec<Checked>, Option<String>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let Ok(text) = String::from_utf8(bytes) else {
        return Ok((Vec::new(), Some("not UTF-8".to_owned())));
    };
    catch_unwind(AssertUnwindSafe(|| {
        let report = check_text(&text, &all_rules_on());
        let (documents, _) = yaml::parse_stream(&text, &Limits::default());
        let mut by_pointer: BTreeMap<(usize, String), usize> = BTreeMap::new();
        let mut objects = Vec::new();
        let mut ordinal = 0;
        for doc in &documents {
            if doc.root.is_null() {
                continue;
            }
            let mut counted = false;
            for_each_object(&doc.root, doc.index, &mut |object| {
                counted = true;
                if object.is_workload(&[]) {
                    by_pointer.insert((doc.index, object.pointer.to_owned()), objects.len());
                    objects.push(Checked {
                        kind: object.kind.to_owned(),
                        name: object.metadata("name").map(ToOwned::to_owned),
                        generate_name: object.metadata("generateName").map(ToOwned::to_owned),
                        ordinal,
                        findings: Vec::new(),
                    });
                }
                ordinal += 1;
            });
            // A document without `kind` is still one object of the file.
            if !counted && !is_empty_list(&doc.root) {
                ordinal += 1;
            }
        }
        for f in &report.findings {
            if let Some(&i) = by_pointer.get(&(f.object.document, f.object.pointer.clone())) {
                objects[i].findings.push((f.rule, f.pointer.clone()));
            }
        }
        // Warning-level problems (duplicate keys) are inputs Kubernetes takes.
        let error = report.errors.iter().find(|e| e.is_error()).map(|e| {
            let at = e
                .start
                .map(|p| format!("{}:{}: ", p.line, p.column))
                .unwrap_or_default();
            format!("{at}{}", e.message.en)
        });
        (objects, error)
    }))
    .map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned())
    })
}

/// Default settings with every rule on, `image-not-pinned` included.
pub(crate) fn all_rules_on() -> Settings {
    let mut settings = Settings::default();
    for rule in kube_immutable_core::RULES {
        if rule.default_level == Level::Off {
            settings.rules.insert(rule.id.to_owned(), Level::Error);
        }
    }
    settings
}

/// A `*List` with no items counts as no object.
fn is_empty_list(root: &Node) -> bool {
    root.get("kind")
        .and_then(Node::as_str)
        .is_some_and(|k| k.ends_with("List"))
}

fn verdict(failed: bool) -> &'static str {
    if failed {
        "fail"
    } else {
        "pass"
    }
}

fn divergence_for(
    corpus: &str,
    file: &str,
    object: &str,
    comparison: &str,
) -> Option<&'static Divergence> {
    INTENDED_DIVERGENCES.iter().find(|d| {
        d.corpus == corpus
            && d.file == file
            && d.comparison == comparison
            && d.object.is_none_or(|name| object_name(object) == name)
    })
}

/// The name part of an object label `Kind/name`, `Kind/name (#3)` or
/// `Kind/name [policy-rule]`.
fn object_name(label: &str) -> &str {
    let name = label.split_once('/').map_or(label, |(_, name)| name);
    name.split(' ').next().unwrap_or(name)
}

/// Compare objects (a PSA fixture's, or one object) with one reference
/// row; a check fails when it fails any of them.
fn compare(
    result: &mut CorpusResult,
    file: &str,
    object_label: &str,
    objects: &[&Checked],
    row: &BTreeMap<String, String>,
    column_of: fn(&Comparison) -> &'static str,
) {
    for c in COMPARISONS.iter().filter(|c| !column_of(c).is_empty()) {
        let reference = row.get(column_of(c)).map(String::as_str).unwrap_or("n/a");
        compare_one(result, file, object_label, objects, c, reference);
    }
}

/// Compare objects with one reference verdict for one comparison.
fn compare_one(
    result: &mut CorpusResult,
    file: &str,
    object_label: &str,
    objects: &[&Checked],
    c: &'static Comparison,
    reference: &str,
) {
    {
        let tally = result.tallies.entry(c.label).or_default();
        if reference != "pass" && reference != "fail" {
            tally.skipped += 1;
            return;
        }
        tally.total += 1;
        let ours = verdict(objects.iter().any(|o| o.fails(c)));
        if ours == reference {
            tally.agree += 1;
            return;
        }
        let intended = divergence_for(result.name, file, object_label, c.label).map(|d| d.reason);
        if intended.is_some() {
            tally.intended += 1;
        }
        result.disagreements.push(Disagreement {
            file: file.to_owned(),
            object: object_label.to_owned(),
            comparison: c.label,
            ours,
            reference: reference.to_owned(),
            intended,
        });
    }
}

fn run_psa(corpus: &Path) -> Result<CorpusResult, String> {
    let base = corpus.join("psa");
    let rows = read_tsv(&base.join("index.tsv"))?;
    let mut result = CorpusResult {
        name: "psa",
        rows: rows.len(),
        ..CorpusResult::default()
    };
    for row in &rows {
        let Some(file) = row.get("file") else {
            continue;
        };
        result.files += 1;
        match check_file(&base.join(file)) {
            Err(panic) => result.crashes.push((file.clone(), panic)),
            Ok((objects, error)) => {
                if let Some(e) = error {
                    result.input_errors.push((file.clone(), e));
                }
                if objects.is_empty() {
                    result
                        .unmatched_rows
                        .push(format!("{file}: no workload object"));
                    continue;
                }
                // One Pod per fixture; a rule fails the file if it fails any object.
                let all: Vec<&Checked> = objects.iter().collect();
                let name = objects[0].label();
                compare(&mut result, file, &name, &all, row, |c| c.psa_column);
            }
        }
    }
    Ok(result)
}

fn run_realworld(corpus: &Path) -> Result<CorpusResult, String> {
    let base = corpus.join("realworld");
    let rows = read_tsv(&base.join("reference_verdicts.tsv"))?;
    let mut result = CorpusResult {
        name: "realworld",
        rows: rows.len(),
        ..CorpusResult::default()
    };
    let by_file = rows_by_file(&rows);
    // Every file of the corpus, including any without a reference row.
    let index = read_tsv(&base.join("index.tsv")).unwrap_or_default();
    let files: BTreeSet<&str> = index
        .iter()
        .filter_map(|r| r.get("file").map(String::as_str))
        .chain(by_file.keys().copied())
        .collect();
    for file in files {
        result.files += 1;
        let (objects, error) = match check_file(&base.join(file)) {
            Err(panic) => {
                result.crashes.push((file.to_owned(), panic));
                continue;
            }
            Ok(checked) => checked,
        };
        if let Some(e) = error {
            result.input_errors.push((file.to_owned(), e));
        }
        let mut used = vec![false; objects.len()];
        for row in by_file.get(file).map(Vec::as_slice).unwrap_or_default() {
            let kind = row.get("kind").map(String::as_str).unwrap_or_default();
            let name = row.get("name").map(String::as_str).unwrap_or_default();
            let index: Option<usize> = row.get("object_index").and_then(|i| i.parse().ok());
            let candidates: Vec<usize> = (0..objects.len())
                .filter(|&i| {
                    !used[i]
                        && objects[i].kind == kind
                        && objects[i].name.as_deref().unwrap_or("?") == name
                })
                .collect();
            let found = match candidates.as_slice() {
                [] => None,
                [one] => Some(*one),
                many => many
                    .iter()
                    .copied()
                    .find(|&i| Some(objects[i].ordinal) == index)
                    .or(Some(many[0])),
            };
            let Some(i) = found else {
                result.unmatched_rows.push(format!(
                    "{file}: {kind}/{name} (object_index {})",
                    index.map_or("?".to_owned(), |i| i.to_string())
                ));
                continue;
            };
            used[i] = true;
            let o = &objects[i];
            if index.is_some_and(|idx| idx != o.ordinal) {
                result.unmatched_rows.push(format!(
                    "{file}: {kind}/{name}: object_index {} but it is object {} of the file",
                    index.unwrap_or_default(),
                    o.ordinal
                ));
            }
            let object_label = format!("{} (#{})", o.label(), o.ordinal);
            compare(&mut result, file, &object_label, &[o], row, |c| {
                c.realworld_column
            });
        }
        for (i, o) in objects.iter().enumerate() {
            if !used[i] {
                result
                    .unmatched_objects
                    .push(format!("{file}: {} (#{})", o.label(), o.ordinal));
            }
        }
    }
    Ok(result)
}

fn run_kyverno(corpus: &Path) -> Result<CorpusResult, String> {
    let base = corpus.join("kyverno");
    let rows = read_tsv(&base.join("index.tsv"))?;
    let mut result = CorpusResult {
        name: "kyverno",
        rows: rows.len(),
        ..CorpusResult::default()
    };
    let by_file = rows_by_file(&rows);
    for (file, rows) in by_file {
        result.files += 1;
        let (objects, error) = match check_file(&base.join(file)) {
            Err(panic) => {
                result.crashes.push((file.to_owned(), panic));
                continue;
            }
            Ok(checked) => checked,
        };
        if let Some(e) = error {
            result.input_errors.push((file.to_owned(), e));
        }
        let mut used = vec![false; objects.len()];
        for row in rows {
            let get = |k: &str| row.get(k).map(String::as_str).unwrap_or_default();
            let (kind, name, check) = (get("kind"), get("name"), get("our_rule"));
            let Some(c) = COMPARISONS
                .iter()
                .find(|c| !c.kyverno_check.is_empty() && c.kyverno_check == check)
            else {
                result.unmatched_rows.push(format!(
                    "{file}: {kind}/{name}: no comparison for `{check}`"
                ));
                continue;
            };
            let found: Vec<usize> = (0..objects.len())
                .filter(|&i| objects[i].kind == kind && objects[i].name.as_deref() == Some(name))
                .collect();
            let [i] = found.as_slice() else {
                result.unmatched_rows.push(format!(
                    "{file}: {kind}/{name}: {} objects of that kind and name",
                    found.len()
                ));
                continue;
            };
            used[*i] = true;
            let label = format!("{} [{}]", objects[*i].label(), get("rule"));
            compare_one(
                &mut result,
                file,
                &label,
                &[&objects[*i]],
                c,
                get("expected"),
            );
        }
        for (i, o) in objects.iter().enumerate() {
            if !used[i] {
                result
                    .unmatched_objects
                    .push(format!("{file}: {} (#{})", o.label(), o.ordinal));
            }
        }
    }
    Ok(result)
}

fn render(results: &[CorpusResult], verbose: bool) -> String {
    let mut out = String::new();
    let width = COMPARISONS.iter().map(|c| c.label.len()).max().unwrap_or(0);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<10} {:<width$} {:>11} {:>7} {:>8} {:>7}",
        "corpus", "rule(s)", "agree/total", "%", "intended", "n/a"
    );
    for r in results {
        for c in COMPARISONS {
            let Some(t) = r.tallies.get(c.label).cloned() else {
                continue; // the corpus has no column for it
            };
            let pct = if t.total == 0 {
                "-".to_owned()
            } else {
                format!("{:.1}%", 100.0 * t.agree as f64 / t.total as f64)
            };
            let _ = writeln!(
                out,
                "{:<10} {:<width$} {:>11} {:>7} {:>8} {:>7}",
                r.name,
                c.label,
                format!("{}/{}", t.agree, t.total),
                pct,
                t.intended,
                t.skipped
            );
        }
    }
    let _ = writeln!(out);
    for r in results {
        let _ = writeln!(
            out,
            "{}: {} files, {} reference rows; crashes: {}; files with input errors: {}; rows without object: {}; objects without row: {}",
            r.name,
            r.files,
            r.rows,
            r.crashes.len(),
            r.input_errors.len(),
            r.unmatched_rows.len(),
            r.unmatched_objects.len()
        );
        for (file, panic) in &r.crashes {
            let _ = writeln!(out, "  crash: {file}: {panic}");
        }
        for row in &r.unmatched_rows {
            let _ = writeln!(out, "  no object for row: {row}");
        }
        if verbose {
            for (file, e) in &r.input_errors {
                let _ = writeln!(out, "  input error: {file}: {e}");
            }
            for o in &r.unmatched_objects {
                let _ = writeln!(out, "  no row for object: {o}");
            }
        }
    }
    let listed: Vec<&Disagreement> = results
        .iter()
        .flat_map(|r| r.disagreements.iter())
        .filter(|d| verbose || d.intended.is_none())
        .collect();
    if verbose && !listed.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "disagreements (file, object, rule(s), ours vs reference):"
        );
        for d in &listed {
            let _ = writeln!(
                out,
                "  {} {} [{}] ours={} ref={}{}",
                d.file,
                d.object,
                d.comparison,
                d.ours,
                d.reference,
                d.intended
                    .map_or(String::new(), |why| format!("\n    intended: {why}"))
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_divergence_reason_is_in_the_docs() {
        let path = crate::workspace_root().join("docs/conformance.md");
        let docs = std::fs::read_to_string(&path).unwrap();
        let docs = docs.split_whitespace().collect::<Vec<_>>().join(" ");
        for d in INTENDED_DIVERGENCES {
            let reason = d.reason.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                docs.contains(&reason),
                "docs/conformance.md lacks the reason for {d:?}"
            );
            assert!(
                COMPARISONS.iter().any(|c| c.label == d.comparison),
                "unknown comparison in {d:?}"
            );
        }
    }

    #[test]
    fn every_pod_security_explanation_is_in_the_docs() {
        let path = crate::workspace_root().join("docs/conformance.md");
        let docs = std::fs::read_to_string(&path).unwrap();
        let docs = docs.split_whitespace().collect::<Vec<_>>().join(" ");
        for (check, reason) in crate::psa_oracle::EXPLAINED {
            let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                docs.contains(&reason),
                "docs/conformance.md lacks the reason for {check}"
            );
        }
    }

    #[test]
    fn capability_parts_split_add_and_drop() {
        let add = "/spec/containers/0/securityContext/capabilities/add/2";
        let drop = "/spec/containers/0/securityContext/capabilities/drop";
        assert!(Part::AddedCapabilities.counts(add));
        assert!(!Part::AddedCapabilities.counts(drop));
        assert!(Part::DropAll.counts(drop));
        assert!(!Part::DropAll.counts(add));
        assert!(Part::All.counts(add) && Part::All.counts(drop));
        assert_eq!(object_name("Pod/badpod01 [require-image-tag]"), "badpod01");
        assert_eq!(object_name("Deployment/web (#3)"), "web");
    }

    #[test]
    fn every_comparison_has_a_corpus_and_every_rule_a_comparison() {
        for c in COMPARISONS {
            assert!(
                !(c.psa_column.is_empty()
                    && c.realworld_column.is_empty()
                    && c.kyverno_check.is_empty()),
                "{} is compared with nothing",
                c.label
            );
        }
        // `image-not-pinned` has no reference in the corpora (no PSA check,
        // no Kyverno test of digests), nor `unused-ignore` (the annotation
        // is ours).
        for rule in kube_immutable_core::RULES {
            let compared = COMPARISONS.iter().any(|c| c.rules.contains(&rule.id));
            let reference = !["image-not-pinned", "unused-ignore"].contains(&rule.id);
            assert_eq!(compared, reference, "{}", rule.id);
        }
    }

    #[test]
    fn comparisons_name_existing_rules() {
        for c in COMPARISONS {
            for r in c.rules {
                assert!(
                    kube_immutable_core::rules::by_id(r).is_some(),
                    "unknown rule {r}"
                );
            }
        }
    }
}
