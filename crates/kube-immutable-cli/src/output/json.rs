//! Machine output. Other tools read these field names: add fields, never
//! rename or remove one.

use kube_immutable_core::stream::Excerpt;
use kube_immutable_core::{rules, Applicability, Diagnostic, Finding, Operation};
use serde::Serialize;

use super::{sorted, Format, Lang};
use crate::check::{Outcome, Run, Summary};
use crate::inputs::InputError;

/// The whole output's shape. [`render`] writes it piece by piece; the test
/// that holds `render` to `serde_json::to_string_pretty` builds it whole.
#[cfg(test)]
#[derive(Debug, Serialize)]
pub struct Output<'a> {
    pub findings: Vec<JsonFinding<'a>>,
    pub errors: Vec<JsonError<'a>>,
    pub summary: crate::check::Summary,
}

#[derive(Debug, Serialize)]
pub struct JsonFinding<'a> {
    /// The path as given or found; `-` for stdin.
    pub file: &'a str,
    /// 0-based index of the document in the stream.
    pub document: usize,
    pub kind: &'a str,
    pub name: Option<&'a str>,
    pub namespace: Option<&'a str>,
    /// `null` for pod-level findings.
    pub container: Option<&'a str>,
    pub rule: &'a str,
    pub severity: &'a str,
    /// JSON pointer of the offending field from the document root.
    pub pointer: &'a str,
    /// 1-based; `null` only when the finding has no position.
    pub line: Option<usize>,
    /// 1-based, in Unicode characters.
    pub column: Option<usize>,
    /// Exclusive end.
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    /// Byte offsets of the span in the file.
    pub offset: Option<usize>,
    pub end_offset: Option<usize>,
    pub message: &'a str,
    pub help: &'a str,
    /// JSON pointer of the object inside its document (`""`, `/items/2`).
    pub object_pointer: &'a str,
    pub fixable: bool,
    pub fix: Option<JsonFix<'a>>,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct JsonFix<'a> {
    pub title: &'a str,
    pub applicability: Applicability,
    pub operations: &'a [Operation],
}

#[derive(Debug, Serialize)]
pub struct JsonError<'a> {
    pub file: &'a str,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub message: &'a str,
    /// `error` (Kubernetes would not take the input, or it was not fully
    /// checked: exit 2) or `warning` (a duplicate key: Kubernetes keeps the
    /// last value).
    pub severity: &'a str,
    /// `syntax`, `duplicate-key`, `invalid-type`, `invalid-value`, `limit`,
    /// or `io` when the input could not be read.
    pub kind: String,
    pub document: Option<usize>,
    pub pointer: Option<&'a str>,
}

#[cfg(test)]
pub fn build(run: &Run, lang: Lang) -> Output<'_> {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    for outcome in &run.outcomes {
        let (f, e) = items(outcome, lang);
        findings.extend(f);
        errors.extend(e);
    }
    Output {
        findings,
        errors,
        summary: run.summary(),
    }
}

/// The findings (in source order) and errors of one input.
fn items(outcome: &Outcome, lang: Lang) -> (Vec<JsonFinding<'_>>, Vec<JsonError<'_>>) {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    match outcome {
        Outcome::Unreadable(e) => errors.push(unreadable(e, lang)),
        Outcome::Checked(c) => {
            let file = c.input.name.as_str();
            errors.extend(c.report.errors.iter().map(|e| error(file, e, lang)));
            findings.extend(
                sorted(&c.report.findings)
                    .into_iter()
                    .map(|f| finding(file, f, lang)),
            );
        }
    }
    (findings, errors)
}

pub(crate) fn error<'a>(file: &'a str, e: &'a Diagnostic, lang: Lang) -> JsonError<'a> {
    JsonError {
        file,
        line: e.start.map(|p| p.line),
        column: e.start.map(|p| p.column),
        end_line: e.end.map(|p| p.line),
        end_column: e.end.map(|p| p.column),
        message: lang.get(&e.message),
        severity: e.severity.as_str(),
        kind: error_kind(e.kind),
        document: e.document,
        pointer: e.pointer.as_deref(),
    }
}

pub(crate) fn unreadable(e: &InputError, lang: Lang) -> JsonError<'_> {
    JsonError {
        file: &e.name,
        line: None,
        column: None,
        end_line: None,
        end_column: None,
        message: lang.get(&e.message),
        severity: "error",
        kind: "io".to_owned(),
        document: None,
        pointer: None,
    }
}

/// JSON output record by record: `{"findings": [...], "errors": [...],
/// "summary": {...}}`, byte for byte what [`render`] writes.
pub struct Json {
    pub lang: Lang,
}

impl Format for Json {
    fn errors_first(&self) -> bool {
        false
    }

    fn elements(&self) -> bool {
        true
    }

    fn head(&self) -> String {
        "{\n  \"findings\": [".to_owned()
    }

    fn finding(&self, file: &str, f: &Finding, _excerpts: &[Excerpt]) -> String {
        format!(",\n{}", element(&finding(file, f, self.lang)))
    }

    fn error(&self, file: &str, e: &Diagnostic, _excerpts: &[Excerpt]) -> String {
        format!(",\n{}", element(&error(file, e, self.lang)))
    }

    fn unreadable(&self, e: &InputError) -> String {
        format!(",\n{}", element(&unreadable(e, self.lang)))
    }

    fn middle(&self, any: bool, _summary: &Summary) -> String {
        let close = if any { "\n  ]" } else { "]" };
        format!("{close},\n  \"errors\": [")
    }

    fn tail(&self, any: bool, summary: &Summary) -> String {
        let close = if any { "\n  ]" } else { "]" };
        format!(
            "{close},\n  \"summary\": {}\n}}\n",
            pretty(summary).replace('\n', "\n  ")
        )
    }
}

/// The whole output, pretty-printed: byte for byte what
/// `serde_json::to_string_pretty(&build(run, lang))` writes, but each
/// input's findings and errors are serialised on the run's threads and
/// spliced in input order.
pub fn render(run: &Run, lang: Lang) -> String {
    let parts = run.per_outcome(|outcome| {
        let (findings, errors) = items(outcome, lang);
        (
            findings.iter().map(element).collect::<Vec<String>>(),
            errors.iter().map(element).collect::<Vec<String>>(),
        )
    });
    let findings: Vec<&String> = parts.iter().flat_map(|(f, _)| f).collect();
    let errors: Vec<&String> = parts.iter().flat_map(|(_, e)| e).collect();
    let size = findings
        .iter()
        .chain(&errors)
        .map(|s| s.len() + 2)
        .sum::<usize>();
    let mut out = String::with_capacity(size + 1024);
    out.push_str("{\n");
    array(&mut out, "findings", &findings);
    out.push_str(",\n");
    array(&mut out, "errors", &errors);
    out.push_str(",\n  \"summary\": ");
    out.push_str(&pretty(&run.summary()).replace('\n', "\n  "));
    out.push_str("\n}\n");
    out
}

pub(crate) fn pretty<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise: {e}\"}}"))
}

/// An element of a top-level array: pretty, four spaces in. (JSON strings
/// escape their line breaks, so every `\n` here is the printer's.)
pub(crate) fn element<T: Serialize>(value: &T) -> String {
    format!("    {}", pretty(value).replace('\n', "\n    "))
}

/// `  "key": [...]` as serde_json's pretty printer writes it.
fn array(out: &mut String, key: &str, elements: &[&String]) {
    out.push_str(&format!("  \"{key}\": ["));
    if elements.is_empty() {
        out.push(']');
        return;
    }
    out.push('\n');
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(e);
    }
    out.push_str("\n  ]");
}

pub(crate) fn finding<'a>(file: &'a str, f: &'a Finding, lang: Lang) -> JsonFinding<'a> {
    JsonFinding {
        file,
        document: f.object.document,
        kind: &f.object.kind,
        name: f.object.name.as_deref(),
        namespace: f.object.namespace.as_deref(),
        container: f.container.as_deref(),
        rule: f.rule,
        severity: f.severity.as_str(),
        pointer: &f.pointer,
        line: f.start.map(|p| p.line),
        column: f.start.map(|p| p.column),
        end_line: f.end.map(|p| p.line),
        end_column: f.end.map(|p| p.column),
        offset: f.span.map(|s| s.start),
        end_offset: f.span.map(|s| s.end),
        message: lang.get(&f.message),
        help: lang.get(&f.help).trim(),
        object_pointer: &f.object.pointer,
        fixable: f.fix.is_some(),
        fix: f.fix.as_ref().map(|fix| JsonFix {
            title: lang.get(&fix.title),
            applicability: fix.applicability,
            operations: &fix.operations,
        }),
        url: rules::by_id(f.rule).map_or_else(String::new, |r| r.url()),
    }
}

/// The kebab-case name of an error kind: its serde name, so kinds the core
/// adds later need no change here.
pub fn error_kind(kind: kube_immutable_core::ErrorKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "error".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Run;

    /// The spliced output is exactly serde_json's pretty output, whatever
    /// the number of threads.
    #[test]
    fn render_is_serde_json_pretty() {
        let dir = tempfile::tempdir().unwrap();
        let pod = "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: nginx\n    securityContext: {privileged: yes}\n";
        std::fs::write(dir.path().join("a.yaml"), pod).unwrap();
        std::fs::write(dir.path().join("b.yaml"), "kind: Pod\nspec: [\n").unwrap();
        std::fs::write(dir.path().join("c.yaml"), "kind: ConfigMap\n").unwrap();
        let root = dir.path().display().to_string();
        let paths = [root, "no/such.yaml".to_owned()];
        let settings =
            crate::discover::SettingsFor::given(kube_immutable_core::Settings::default());
        for jobs in [1, 2, 3] {
            let run = Run::check(
                crate::inputs::collect(&paths),
                &settings,
                jobs,
                crate::check::Keep::default(),
            );
            for lang in [Lang::En, Lang::Fr] {
                let mut expected = serde_json::to_string_pretty(&build(&run, lang)).unwrap();
                expected.push('\n');
                assert_eq!(render(&run, lang), expected, "jobs {jobs}");
            }
        }
        let empty = Run::check(Vec::new(), &settings, 2, crate::check::Keep::default());
        let mut expected = serde_json::to_string_pretty(&build(&empty, Lang::En)).unwrap();
        expected.push('\n');
        assert_eq!(render(&empty, Lang::En), expected);
    }
}
