//! SARIF 2.1.0, as GitHub code scanning reads it.
//!
//! One run; every rule listed in `tool.driver.rules` (so `ruleIndex` is the
//! rule's place in [`RULES`]); input errors as tool execution notifications.
//! Columns count Unicode characters (`columnKind: unicodeCodePoints`).

use std::path::Path;

use kube_immutable_core::stream::Excerpt;
use kube_immutable_core::{Diagnostic, Finding, Level, Position, RuleMeta, Severity, RULES};
use serde_json::{json, Value};

use super::{sorted, Format, Lang};
use crate::check::{Outcome, Run, Summary};
use crate::inputs::InputError;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
pub const INFORMATION_URI: &str = "https://github.com/kube-immutable/kube-immutable";

pub fn build(run: &Run, lang: Lang) -> Value {
    // Each input's results and notifications, on the run's threads.
    let parts = run.per_outcome(|outcome| {
        let mut results = Vec::new();
        let mut notifications = Vec::new();
        match outcome {
            Outcome::Unreadable(e) => notifications.push(unreadable(e, lang)),
            Outcome::Checked(c) => {
                let uri = uri(&c.input.name);
                for e in &c.report.errors {
                    notifications.push(notification(&uri, e, lang));
                }
                for f in sorted(&c.report.findings) {
                    results.push(result(&uri, &c.input.name, f, lang));
                }
            }
        }
        (results, notifications)
    });
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for (r, n) in parts {
        results.extend(r);
        notifications.extend(n);
    }
    document(
        lang,
        results,
        notifications,
        run.summary().input_errors == 0,
    )
}

pub fn render(run: &Run, lang: Lang) -> String {
    let mut out = serde_json::to_string_pretty(&build(run, lang))
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise: {e}\"}}"));
    out.push('\n');
    out
}

/// The whole SARIF document around its results and notifications.
pub(crate) fn document(
    lang: Lang,
    results: Vec<Value>,
    notifications: Vec<Value>,
    success: bool,
) -> Value {
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "kube-immutable",
                "informationUri": INFORMATION_URI,
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": RULES.iter().map(|r| rule(r, lang)).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
            "invocations": [{
                "executionSuccessful": success,
                "toolExecutionNotifications": notifications,
            }],
        }],
    })
}

/// A notification for an input error.
pub(crate) fn notification(uri: &str, e: &Diagnostic, lang: Lang) -> Value {
    let mut physical = json!({ "artifactLocation": { "uri": uri } });
    if let Some(region) = region(e.start, e.end) {
        physical["region"] = region;
    }
    json!({
        "level": level(e.severity),
        "message": { "text": lang.get(&e.message) },
        "descriptor": { "id": super::json::error_kind(e.kind) },
        "locations": [{ "physicalLocation": physical }],
    })
}

/// A notification for an input that could not be read.
pub(crate) fn unreadable(e: &InputError, lang: Lang) -> Value {
    json!({
        "level": "error",
        "message": { "text": lang.get(&e.message) },
        "descriptor": { "id": "io" },
        "locations": [{ "physicalLocation": {
            "artifactLocation": { "uri": uri(&e.name) }
        }}],
    })
}

/// SARIF output: byte for byte what `serde_json::to_string_pretty` writes
/// of [`document`], written result by result.
pub struct Sarif {
    lang: Lang,
    /// Everything up to the results' `[`.
    head: String,
    /// How deep results and notifications sit.
    results_indent: String,
    notifications_indent: String,
}

/// Stand-ins for the two arrays' elements in the pretty-printed document.
const RESULTS: &str = "\"@@kube-immutable-results@@\"";
const NOTIFICATIONS: &str = "\"@@kube-immutable-notifications@@\"";

impl Sarif {
    pub fn new(lang: Lang) -> Self {
        let skeleton = Self::skeleton(lang, true);
        let at = skeleton.find(RESULTS).unwrap_or(0);
        let line = skeleton[..at].rfind('\n').unwrap_or(0);
        let head = skeleton[..line].to_owned();
        let results_indent = skeleton[line + 1..at].to_owned();
        let at = skeleton.find(NOTIFICATIONS).unwrap_or(0);
        let line = skeleton[..at].rfind('\n').unwrap_or(0);
        let notifications_indent = skeleton[line + 1..at].to_owned();
        Self {
            lang,
            head,
            results_indent,
            notifications_indent,
        }
    }

    /// The document with one stand-in in each array, pretty-printed.
    fn skeleton(lang: Lang, success: bool) -> String {
        let stand_in = |s: &str| Value::String(s.trim_matches('"').to_owned());
        let value = document(
            lang,
            vec![stand_in(RESULTS)],
            vec![stand_in(NOTIFICATIONS)],
            success,
        );
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }

    fn element(indent: &str, value: &Value) -> String {
        let pretty = serde_json::to_string_pretty(value)
            .unwrap_or_else(|e| format!("{{\"error\": \"cannot serialise: {e}\"}}"));
        format!(
            ",\n{indent}{}",
            pretty.replace('\n', &format!("\n{indent}"))
        )
    }

    /// What follows the array the stand-in `marker` is in (closed as
    /// `[]` when it got no element), up to the next stand-in's array.
    fn after(skeleton: &str, marker: &str, any: bool, until: Option<&str>) -> String {
        let at = skeleton.find(marker).unwrap_or(0) + marker.len();
        let rest = &skeleton[at..];
        // `\n<indent>]`: the array's end.
        let close = rest.find(']').map_or(rest.len(), |i| i + 1);
        let mut out = if any {
            rest[..close].to_owned()
        } else {
            "]".to_owned()
        };
        let end = until.map_or(rest.len(), |next| {
            let next = rest.find(next).unwrap_or(rest.len());
            rest[..next].rfind('\n').unwrap_or(next)
        });
        out.push_str(&rest[close..end.max(close)]);
        out
    }
}

impl Format for Sarif {
    fn errors_first(&self) -> bool {
        false
    }

    fn elements(&self) -> bool {
        true
    }

    fn head(&self) -> String {
        self.head.clone()
    }

    fn finding(&self, file: &str, f: &Finding, _excerpts: &[Excerpt]) -> String {
        Self::element(
            &self.results_indent,
            &result(&uri(file), file, f, self.lang),
        )
    }

    fn error(&self, file: &str, e: &Diagnostic, _excerpts: &[Excerpt]) -> String {
        Self::element(
            &self.notifications_indent,
            &notification(&uri(file), e, self.lang),
        )
    }

    fn unreadable(&self, e: &InputError) -> String {
        Self::element(&self.notifications_indent, &unreadable(e, self.lang))
    }

    fn middle(&self, any: bool, summary: &Summary) -> String {
        let skeleton = Self::skeleton(self.lang, summary.input_errors == 0);
        Self::after(&skeleton, RESULTS, any, Some(NOTIFICATIONS))
    }

    fn tail(&self, any: bool, summary: &Summary) -> String {
        let skeleton = Self::skeleton(self.lang, summary.input_errors == 0);
        let mut out = Self::after(&skeleton, NOTIFICATIONS, any, None);
        out.push('\n');
        out
    }
}

fn rule(r: &RuleMeta, lang: Lang) -> Value {
    let markdown = r.docs_markdown_in(lang.code());
    let summary = lang.pick(r.summary.en, r.summary.fr);
    json!({
        "id": r.id,
        "name": pascal_case(r.id),
        "shortDescription": { "text": summary },
        "fullDescription": { "text": what_it_checks(&markdown).unwrap_or_else(|| summary.to_owned()) },
        "help": { "text": markdown, "markdown": markdown },
        "helpUri": r.url_in(lang.code()),
        "defaultConfiguration": {
            "enabled": r.default_level != Level::Off,
            "level": level(r.default_severity),
        },
        "properties": { "tags": ["security", "kubernetes", "immutability"] },
    })
}

pub(crate) fn result(uri: &str, file: &str, f: &Finding, lang: Lang) -> Value {
    let rule_index = RULES.iter().position(|r| r.id == f.rule);
    let mut physical = json!({ "artifactLocation": { "uri": uri } });
    if let Some(region) = region(f.start, f.end) {
        physical["region"] = region;
    }
    let help = lang.get(&f.help).trim();
    let text = format!(
        "{}\n{} {help}",
        lang.get(&f.message),
        lang.pick("Help:", "Aide :")
    );
    let object = &f.object;
    json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": text },
        "locations": [{ "physicalLocation": physical }],
        "partialFingerprints": {
            "kubeImmutableFinding/v1": fingerprint(&[
                file,
                &object.kind,
                object.namespace.as_deref().unwrap_or(""),
                object.name.as_deref().unwrap_or(""),
                f.container.as_deref().unwrap_or(""),
                f.rule,
                &f.pointer,
            ]),
        },
        "properties": {
            "kind": object.kind,
            "name": object.name,
            "namespace": object.namespace,
            "container": f.container,
            "document": object.document,
            "pointer": f.pointer,
            "fixable": f.fix.is_some(),
        },
    })
}

fn region(start: Option<Position>, end: Option<Position>) -> Option<Value> {
    let start = start?;
    let end = end.unwrap_or(start);
    Some(json!({
        "startLine": start.line,
        "startColumn": start.column,
        "endLine": end.line,
        "endColumn": end.column,
    }))
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// A relative URI reference for a path as given: forward slashes, no
/// leading `./`, percent-encoded. Absolute paths under the working
/// directory become relative; other absolute paths become `file://` URIs.
pub fn uri(name: &str) -> String {
    let path = Path::new(name);
    let (prefix, rel) = if path.is_absolute() {
        match std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        {
            Some(rel) => ("", rel.display().to_string()),
            None => ("file://", name.to_owned()),
        }
    } else {
        ("", name.to_owned())
    };
    let mut rel = rel.replace('\\', "/");
    while let Some(rest) = rel.strip_prefix("./") {
        rel = rest.to_owned();
    }
    let mut out = String::from(prefix);
    if prefix == "file://" && !rel.starts_with('/') {
        // Windows drive paths: file:///C:/...
        out.push('/');
    }
    for b in rel.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || (prefix == "file://" && b == b':')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// The paragraph under `## What it checks` (`## Ce que la règle vérifie` on
/// a French page), on one line.
fn what_it_checks(markdown: &str) -> Option<String> {
    let mut lines = markdown
        .lines()
        .skip_while(|l| !matches!(l.trim(), "## What it checks" | "## Ce que la règle vérifie"));
    lines.next()?;
    let text: Vec<&str> = lines
        .take_while(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::trim)
        .collect();
    (!text.is_empty()).then(|| text.join(" "))
}

/// FNV-1a over the parts, separated: stable across versions and platforms.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_with_forward_slashes() {
        assert_eq!(uri("./examples/a b.yaml"), "examples/a%20b.yaml");
        assert_eq!(uri("dir\\x.yml"), "dir/x.yml");
        assert_eq!(uri("-"), "-");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            uri(&cwd.join("k8s").join("x.yaml").display().to_string()),
            "k8s/x.yaml"
        );
    }

    #[test]
    fn rule_names_and_descriptions() {
        assert_eq!(pascal_case("run-as-root"), "RunAsRoot");
        let md = "# x\n\n## What it checks\nA container\nthat runs.\n\n## Why\n";
        assert_eq!(
            what_it_checks(md).as_deref(),
            Some("A container that runs.")
        );
        assert_ne!(fingerprint(&["a", "bc"]), fingerprint(&["ab", "c"]));
    }
}
