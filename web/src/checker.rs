//! The one place the playground calls the core: text and settings in, a view
//! model out. No rule logic here: verdicts, groups and markers are read off
//! the core's [`Report`].

use std::rc::Rc;

use kube_immutable_core::fix::text::{fix_text_with_limits, FixedText};
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::{Applicability, Limits, Rechecker, Report, Settings, Severity};

use crate::i18n::Lang;

/// Smaller than the CLI's: a tab must stay responsive whatever is pasted
/// (the core's [`Limits::browser`], shared with the npm package).
pub const BROWSER_LIMITS: Limits = Limits::browser();

/// What the verdict element shows (`data-verdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Workloads found, no error-level finding (warnings allowed, as the CLI's exit code 0).
    Immutable,
    /// At least one error-level finding.
    Mutable,
    /// The input has errors (syntax, wrong types, limits):
    /// kubectl would refuse it. Findings in the readable parts still show.
    Invalid,
    /// Nothing to check: no workload object, no error.
    Empty,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Immutable => "immutable",
            Verdict::Mutable => "mutable",
            Verdict::Invalid => "invalid",
            Verdict::Empty => "empty",
        }
    }

    fn of(report: &Report) -> Self {
        if report.has_input_errors() {
            Verdict::Invalid
        } else if report.has_errors() {
            Verdict::Mutable
        } else if report.objects == 0 {
            Verdict::Empty
        } else {
            Verdict::Immutable
        }
    }
}

/// Findings of one object, grouped by container (pod-level first).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectGroup {
    /// `Kind/name` (`Kind` alone when the object has no name): `data-object`.
    pub object: String,
    pub namespace: Option<String>,
    pub document: usize,
    pub containers: Vec<ContainerGroup>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContainerGroup {
    /// `None` for pod-level findings.
    pub container: Option<String>,
    /// Indices into [`Checked::report`]`.findings`.
    pub findings: Vec<usize>,
}

/// One check of one text.
#[derive(Debug, Clone)]
pub struct Checked {
    pub text: Rc<str>,
    pub report: Report,
    pub verdict: Verdict,
    pub errors: usize,
    pub warnings: usize,
    pub safe_fixes: usize,
    pub unsafe_fixes: usize,
    pub groups: Vec<ObjectGroup>,
    /// Milliseconds for the check and the editor's markers (`data-check-ms`).
    pub ms: f64,
}

/// A check shared by the store and the panels. Two are equal when they are
/// the same check, so comparing props costs nothing however many findings
/// there are.
#[derive(Debug, Clone)]
pub struct CheckRef(pub Rc<Checked>);

impl PartialEq for CheckRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for CheckRef {
    type Target = Checked;

    fn deref(&self) -> &Checked {
        &self.0
    }
}

/// Read about `budget` bytes of the text's documents that the rechecker
/// has not read yet; `true` once all are read (then [`check`] reads none).
pub fn read_ahead(
    rechecker: &mut Rechecker,
    text: &str,
    settings: &Settings,
    budget: usize,
) -> bool {
    rechecker.read_ahead(text, settings, &BROWSER_LIMITS, budget)
}

/// Check a text with the browser's limits. The rechecker keeps the last
/// text's documents: typing in one document of a long stream re-reads that
/// document only (the report is the full check's all the same).
pub fn check(rechecker: &mut Rechecker, text: Rc<str>, settings: &Settings) -> Checked {
    let report = rechecker.check(&text, settings, &BROWSER_LIMITS);
    let count = |s| report.findings.iter().filter(|f| f.severity == s).count();
    let fixes = |a| {
        report
            .findings
            .iter()
            .filter(|f| f.fix.as_ref().is_some_and(|fix| fix.applicability == a))
            .count()
    };
    Checked {
        verdict: Verdict::of(&report),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        safe_fixes: fixes(Applicability::Safe),
        unsafe_fixes: fixes(Applicability::Unsafe),
        groups: group(&report),
        report,
        text,
        ms: 0.0,
    }
}

/// Findings by object (in stream order), then by container in order of
/// first appearance, pod-level findings first; in the text's order within
/// a container. Built by insertion: no sort to carry in the wasm.
fn group(report: &Report) -> Vec<ObjectGroup> {
    let mut groups: Vec<ObjectGroup> = Vec::new();
    let mut keys: Vec<(usize, &str)> = Vec::new();
    let start = |i: usize| report.findings[i].span.map(|s| s.start);
    for (i, f) in report.findings.iter().enumerate() {
        let key = (f.object.document, f.object.pointer.as_str());
        let g = match keys.iter().position(|k| *k == key) {
            Some(g) => g,
            None => {
                keys.push(key);
                groups.push(ObjectGroup {
                    object: object_label(&f.object.kind, f.object.name.as_deref()),
                    namespace: f.object.namespace.clone(),
                    document: f.object.document,
                    containers: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let containers = &mut groups[g].containers;
        let c = match containers.iter().position(|c| c.container == f.container) {
            Some(c) => c,
            None => {
                // Pod level first, containers in order of appearance.
                let at = if f.container.is_none() {
                    0
                } else {
                    containers.len()
                };
                containers.insert(
                    at,
                    ContainerGroup {
                        container: f.container.clone(),
                        findings: Vec::new(),
                    },
                );
                at
            }
        };
        let findings = &mut containers[c].findings;
        let at = findings.partition_point(|&j| start(j) <= start(i));
        findings.insert(at, i);
    }
    groups
}

pub fn object_label(kind: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{kind}/{name}"),
        None => kind.to_owned(),
    }
}

/// The editor's markers for a report, in a language: a JSON array of
/// `{from, to, severity, source, message}` with UTF-16 offsets, as
/// `web/js/editor.mjs` reads it. Built as a `serde_json::Value`, whose
/// writer the core links anyway.
pub fn markers(report: &Report, lang: Lang) -> String {
    let code = lang.code();
    let marker = |from: usize, to: usize, severity: &str, source: &str, message: String| serde_json::json!({ "from": from, "to": to, "severity": severity, "source": source, "message": message });
    let findings = report.findings.iter().filter_map(|f| {
        let (start, end) = (f.start?, f.end?);
        let message = format!("{}\n{}", f.message.get(code), f.help.get(code));
        Some(marker(
            start.utf16_offset,
            end.utf16_offset,
            f.severity.as_str(),
            f.rule,
            message,
        ))
    });
    // Input errors without a position (none today) go on the first line.
    let errors = report.errors.iter().map(|e| {
        let (from, to) = (
            e.start.map_or(0, |p| p.utf16_offset),
            e.end.map_or(0, |p| p.utf16_offset),
        );
        let texts = lang.texts();
        marker(
            from,
            to,
            e.severity.as_str(),
            match e.severity {
                Severity::Error => texts.input_error,
                Severity::Warning => texts.input_warning,
            },
            e.message.get(code).to_owned(),
        )
    });
    serde_json::Value::Array(findings.chain(errors).collect()).to_string()
}

/// The fixed text, with the browser's limits.
pub fn fix(text: &str, settings: &Settings, unsafe_fixes: bool) -> FixedText {
    fix_text_with_limits(text, settings, FixOptions { unsafe_fixes }, &BROWSER_LIMITS)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A check without a previous one.
    pub(crate) fn check_once(text: &str, settings: &Settings) -> Checked {
        check(&mut Rechecker::default(), text.into(), settings)
    }

    const MUTABLE: &str = include_str!("../../examples/mutable-pod.yaml");
    const IMMUTABLE: &str = include_str!("../../examples/immutable-pod.yaml");

    #[test]
    fn verdicts() {
        let s = Settings::default();
        assert_eq!(check_once(MUTABLE, &s).verdict, Verdict::Mutable);
        assert_eq!(check_once(IMMUTABLE, &s).verdict, Verdict::Immutable);
        assert_eq!(check_once("", &s).verdict, Verdict::Empty);
        assert_eq!(check_once("kind: Service\n", &s).verdict, Verdict::Empty);
        assert_eq!(
            check_once("kind: Pod\nspec: [\n", &s).verdict,
            Verdict::Invalid
        );
    }

    #[test]
    fn tutorial_pod_counts_groups_and_fixes() {
        let c = check_once(MUTABLE, &Settings::default());
        assert_eq!((c.errors, c.warnings), (4, 2));
        assert_eq!(c.groups.len(), 1);
        assert_eq!(c.groups[0].object, "Pod/nginx-mutable");
        let rules: Vec<_> = c.report.findings.iter().map(|f| f.rule).collect();
        assert!(rules.contains(&"run-as-root"), "{rules:?}");
        assert!(c.safe_fixes > 0 && c.unsafe_fixes > 0);
    }

    #[test]
    fn safe_fixes_leave_run_as_root_and_unsafe_ones_make_it_immutable() {
        let s = Settings::default();
        let safe = fix(MUTABLE, &s, false);
        let after = check_once(safe.text.as_str(), &s);
        let errors: Vec<_> = after
            .report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.rule)
            .collect();
        assert_eq!(errors, ["run-as-root"]);
        let all = fix(&safe.text, &s, true);
        assert_eq!(
            check_once(all.text.as_str(), &s).verdict,
            Verdict::Immutable
        );
    }

    #[test]
    fn pod_level_findings_come_first_in_their_object() {
        let text = "kind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: a, image: x}]\n";
        let c = check_once(text, &Settings::default());
        let first = &c.groups[0].containers[0];
        assert_eq!(first.container, None);
        assert!(c.groups[0].containers.len() >= 2);
        for container in &c.groups[0].containers {
            let starts: Vec<_> = container
                .findings
                .iter()
                .map(|&i| c.report.findings[i].span)
                .collect();
            assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
        }
    }

    #[test]
    fn markers_carry_utf16_offsets_and_input_errors() {
        let text = "# é😀\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: x\n      securityContext: {privileged: true}\n---\nkind: Pod\nspec: [\n";
        let c = check_once(text, &Settings::default());
        let json: serde_json::Value = serde_json::from_str(&markers(&c.report, Lang::En)).unwrap();
        let list = json.as_array().unwrap();
        let privileged = list.iter().find(|m| m["source"] == "privileged").unwrap();
        let from = privileged["from"].as_u64().unwrap() as usize;
        let utf16: Vec<u16> = text.encode_utf16().collect();
        let at = String::from_utf16_lossy(&utf16[from..from + 10]);
        assert_eq!(at, "privileged");
        assert!(list
            .iter()
            .any(|m| m["source"] == "input error" && m["severity"] == "error"));
        let fr: serde_json::Value = serde_json::from_str(&markers(&c.report, Lang::Fr)).unwrap();
        assert_ne!(fr[0]["message"], json[0]["message"]);
    }

    /// A stale ignore annotation: a warning on the annotation's line, in
    /// the object's pod-level group, marked in the editor, with a safe fix
    /// that the "Fixed manifest" applies.
    #[test]
    fn an_unused_ignore_is_a_warning_on_the_annotation_line() {
        let text = "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    kube-immutable.io/ignore: privileged\nspec:\n  containers: [{name: a, image: nginx:1.27}]\n";
        let s = Settings::default();
        let c = check_once(text, &s);
        let i = c
            .report
            .findings
            .iter()
            .position(|f| f.rule == "unused-ignore")
            .unwrap();
        let f = &c.report.findings[i];
        assert_eq!(f.severity, Severity::Warning);
        assert_eq!(f.start.unwrap().line, 5);
        assert_eq!(c.groups[0].containers[0].container, None);
        assert!(c.groups[0].containers[0].findings.contains(&i));
        let json: serde_json::Value = serde_json::from_str(&markers(&c.report, Lang::En)).unwrap();
        let marker = json
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["source"] == "unused-ignore")
            .unwrap();
        assert_eq!(marker["severity"], "warning");
        let fixed = fix(text, &s, false);
        assert!(
            !fixed.text.contains("kube-immutable.io/ignore"),
            "{}",
            fixed.text
        );
        assert!(check_once(fixed.text.as_str(), &s)
            .report
            .findings
            .iter()
            .all(|f| f.rule != "unused-ignore"));
    }

    #[test]
    fn browser_limits_refuse_an_alias_bomb() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            text.push_str(&format!(
                "{}: &{} [",
                (b'a' + i) as char,
                (b'a' + i) as char
            ));
            let prev = (b'a' + i - 1) as char;
            text.push_str(&vec![format!("*{prev}"); 9].join(", "));
            text.push_str("]\n");
        }
        let c = check_once(&text, &Settings::default());
        assert_eq!(c.verdict, Verdict::Invalid);
        assert!(c
            .report
            .errors
            .iter()
            .any(|e| e.kind == kube_immutable_core::ErrorKind::Limit));
    }
}
