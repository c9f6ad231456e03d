//! Helpers shared by the integration tests: a compact, stable projection of
//! a [`Report`] for snapshots (the full structs carry fixes and French text
//! that would make every snapshot churn).

// Helpers outside #[test] fns unwrap too: a panic here is a failing test
// (clippy.toml's allow-unwrap-in-tests only covers the test fns).
#![allow(clippy::unwrap_used)]
#![allow(dead_code)] // each test binary uses a different subset

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kube_immutable_core::{Finding, Level, Position, Report, Settings};

/// `line:col` of a position, or `-` when there is none (JSON path).
pub fn line_col(p: Option<Position>) -> String {
    p.map_or_else(|| "-".to_owned(), |p| format!("{}:{}", p.line, p.column))
}

/// Findings sorted by document, object, position, rule, pointer: the order
/// the engine emits them in is not part of the contract.
pub fn sorted_findings(report: &Report) -> Vec<&Finding> {
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by(|a, b| {
        (
            a.object.document,
            &a.object.pointer,
            a.span.map(|s| s.start),
            a.rule,
            &a.pointer,
        )
            .cmp(&(
                b.object.document,
                &b.object.pointer,
                b.span.map(|s| s.start),
                b.rule,
                &b.pointer,
            ))
    });
    findings
}

/// One block per finding and error:
///
/// ```text
/// error privileged doc 0 Pod/web container "app" at 13:9-13:25
///   /spec/containers/0/securityContext/privileged
///   container "app" is privileged: ...
/// ```
pub fn project(report: &Report) -> String {
    let mut out = String::new();
    for f in sorted_findings(report) {
        let object = format!(
            "{}/{}{}",
            f.object.kind,
            f.object.name.as_deref().unwrap_or("-"),
            if f.object.pointer.is_empty() {
                String::new()
            } else {
                format!(" (at {})", f.object.pointer)
            }
        );
        let who = f
            .container
            .as_deref()
            .map_or_else(|| "pod".to_owned(), |c| format!("container {c:?}"));
        let _ = writeln!(
            out,
            "{} {} doc {} {} {} at {}-{}\n  {}\n  {}",
            f.severity.as_str(),
            f.rule,
            f.object.document,
            object,
            who,
            line_col(f.start),
            line_col(f.end),
            f.pointer,
            f.message.en,
        );
    }
    for e in &report.errors {
        let kind = serde_json::to_value(e.kind).unwrap();
        let _ = writeln!(
            out,
            "ERROR {} doc {} at {}{}\n  {}",
            kind.as_str().unwrap_or("?"),
            e.document.map_or_else(|| "-".to_owned(), |d| d.to_string()),
            line_col(e.start),
            e.pointer
                .as_deref()
                .map_or_else(String::new, |p| format!(" {p}")),
            e.message.en,
        );
    }
    if out.is_empty() {
        out.push_str("(no findings, no errors)\n");
    }
    out
}

pub fn check(text: &str) -> Report {
    kube_immutable_core::check_text(text, &Settings::default())
}

/// Default settings, with `rule` on when it is off by default (at the
/// severity the `restricted` preset gives it).
pub fn settings_with(rule: &str) -> Settings {
    let mut settings = Settings::default();
    if let Some(meta) = kube_immutable_core::rules::by_id(rule) {
        if meta.default_level == Level::Off {
            let level = match meta.default_severity {
                kube_immutable_core::Severity::Error => Level::Error,
                kube_immutable_core::Severity::Warning => Level::Warning,
            };
            settings.rules.insert(rule.to_owned(), level);
        }
    }
    settings
}

/// [`check`], with `rule` on ([`settings_with`]).
pub fn check_with(rule: &str, text: &str) -> Report {
    kube_immutable_core::check_text(text, &settings_with(rule))
}

/// The findings of one rule.
pub fn of_rule<'r>(report: &'r Report, rule: &str) -> Vec<&'r Finding> {
    report.findings.iter().filter(|f| f.rule == rule).collect()
}

/// `(rule, line, column)` of every finding, sorted.
pub fn rule_lines(report: &Report) -> Vec<(&'static str, usize, usize)> {
    let mut v: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let p = f.start.unwrap_or_default();
            (f.rule, p.line, p.column)
        })
        .collect();
    v.sort_unstable();
    v
}

/// Every `.yaml`, `.yml` and `.json` file under `dir`, sorted (the corpus
/// tests walk `$KUBE_IMMUTABLE_CORPUS/realworld` with it).
pub fn manifest_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                dirs.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
