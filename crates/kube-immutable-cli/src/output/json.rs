//! Machine output. Other tools read these field names: add fields, never
//! rename or remove one.

use kube_immutable_core::{rules, Applicability, Finding, Operation};
use serde::Serialize;

use super::{sorted, Lang};
use crate::check::{Outcome, Run, Summary};

#[derive(Debug, Serialize)]
pub struct Output<'a> {
    pub findings: Vec<JsonFinding<'a>>,
    pub errors: Vec<JsonError<'a>>,
    pub summary: Summary,
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
    /// `syntax`, `duplicate-key`, `invalid-type`, `invalid-value`, `limit`,
    /// or `io` when the input could not be read.
    pub kind: String,
    pub document: Option<usize>,
    pub pointer: Option<&'a str>,
}

pub fn build(run: &Run, lang: Lang) -> Output<'_> {
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    for outcome in &run.outcomes {
        match outcome {
            Outcome::Unreadable(e) => errors.push(JsonError {
                file: &e.name,
                line: None,
                column: None,
                end_line: None,
                end_column: None,
                message: lang.get(&e.message),
                kind: "io".to_owned(),
                document: None,
                pointer: None,
            }),
            Outcome::Checked(c) => {
                let file = c.input.name.as_str();
                for e in &c.report.errors {
                    errors.push(JsonError {
                        file,
                        line: e.start.map(|p| p.line),
                        column: e.start.map(|p| p.column),
                        end_line: e.end.map(|p| p.line),
                        end_column: e.end.map(|p| p.column),
                        message: lang.get(&e.message),
                        kind: error_kind(e.kind),
                        document: e.document,
                        pointer: e.pointer.as_deref(),
                    });
                }
                findings.extend(
                    sorted(&c.report.findings)
                        .into_iter()
                        .map(|f| finding(file, f, lang)),
                );
            }
        }
    }
    Output {
        findings,
        errors,
        summary: run.summary(),
    }
}

pub fn render(run: &Run, lang: Lang) -> String {
    let mut out = serde_json::to_string_pretty(&build(run, lang))
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise: {e}\"}}"));
    out.push('\n');
    out
}

fn finding<'a>(file: &'a str, f: &'a Finding, lang: Lang) -> JsonFinding<'a> {
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
