//! JUnit XML, as GitLab's test reports, Jenkins and Azure DevOps read it,
//! valid against the Jenkins xUnit plugin's `junit-10.xsd` (the schema
//! pytest's own JUnit output is tested against; `scripts/test.sh`
//! validates ours with it).
//!
//! - one `<testsuite>` per input file (`name` and `file`: the path);
//! - one `<testcase>` per workload object checked (`name`: `Kind/name`,
//!   with the namespace and, when the name repeats in the file, the
//!   document; `classname`: the path), in stream order;
//! - an object with error-level findings fails: **one** `<failure>` whose
//!   `message` counts them and names their rules, and whose text lists each
//!   with its position, help and fix. One element, not one per finding:
//!   Jenkins, GitLab and most readers show only a test case's first
//!   failure, and some count a second one as a broken report;
//! - warning-level findings go to the test case's `<system-out>` (it still
//!   passes: warnings do not fail a run either);
//! - an object in an exempt namespace is `<skipped>`;
//! - input errors (and an unreadable file) are an `<error>` of a test case
//!   named after the file; warning-level input problems (a duplicate key)
//!   go to the suite's `<system-out>`.
//!
//! Counts (`tests`, `failures`, `errors`, `skipped`) are of test cases. No
//! time, host name or timestamp: the same input gives the same report.

use std::collections::HashMap;
use std::fmt::Write as _;

use kube_immutable_core::{Finding, ObjectRef, Severity};

use super::{describe_object, sorted, Lang};
use crate::check::{Outcome, Run};
use crate::discover::SettingsFor;

/// Test cases and how they ended, for the totals.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
    }
}

/// `settings`: each input's (an object in an exempt namespace is skipped).
pub fn render(run: &Run, settings: &SettingsFor, lang: Lang) -> String {
    let suites = run.per_outcome(|outcome| suite(outcome, settings, lang));
    let mut total = Counts::default();
    for (_, counts) in &suites {
        total.add(*counts);
    }
    let mut out = String::with_capacity(suites.iter().map(|(s, _)| s.len()).sum::<usize>() + 256);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"kube-immutable\" tests=\"{}\" failures=\"{}\" errors=\"{}\">",
        total.tests, total.failures, total.errors
    );
    for (suite, _) in &suites {
        out.push_str(suite);
    }
    out.push_str("</testsuites>\n");
    out
}

/// One input's `<testsuite>`.
fn suite(outcome: &Outcome, settings: &SettingsFor, lang: Lang) -> (String, Counts) {
    let mut cases = String::new();
    let mut suite_out = String::new();
    let mut counts = Counts::default();
    let file = match outcome {
        Outcome::Unreadable(e) => {
            counts.tests += 1;
            counts.errors += 1;
            case_open(&mut cases, &e.name, &e.name);
            let message = lang.get(&e.message);
            let _ = writeln!(
                cases,
                "      <error type=\"io\" message=\"{}\">{}</error>",
                escape(message),
                escape_text(message)
            );
            cases.push_str("    </testcase>\n");
            &e.name
        }
        Outcome::Checked(c) => {
            let file = c.input.name.as_str();
            let settings = settings.get(&c.input);
            let findings = sorted(&c.report.findings);
            let (input_errors, input_warnings): (Vec<_>, Vec<_>) =
                c.report.errors.iter().partition(|e| e.is_error());
            // Warning-level input problems (a duplicate key: Kubernetes
            // takes the input) fail nothing: the suite's `<system-out>`.
            for e in &input_warnings {
                let _ = writeln!(
                    suite_out,
                    "{}[{}] {}{}",
                    lang.pick("warning", "avertissement"),
                    super::json::error_kind(e.kind),
                    location(file, e.start.map(|p| (p.line, p.column))),
                    lang.get(&e.message)
                );
            }
            if !input_errors.is_empty() {
                counts.tests += 1;
                counts.errors += 1;
                case_open(&mut cases, file, file);
                let n = input_errors.len();
                let message = match lang {
                    Lang::En => format!(
                        "{n} input error{}: some objects may not have been checked",
                        if n == 1 { "" } else { "s" }
                    ),
                    Lang::Fr => format!(
                        "{} : des objets n'ont peut-être pas été vérifiés",
                        lang.count(n, ("", ""), ("erreur d'entrée", "erreurs d'entrée"))
                    ),
                };
                let mut body = String::new();
                for e in &input_errors {
                    let _ = writeln!(
                        body,
                        "{}[{}] {}{}",
                        lang.pick("error", "erreur"),
                        super::json::error_kind(e.kind),
                        location(file, e.start.map(|p| (p.line, p.column))),
                        lang.get(&e.message)
                    );
                }
                let _ = writeln!(
                    cases,
                    "      <error type=\"input\" message=\"{}\">{}</error>",
                    escape(&message),
                    escape_text(&body)
                );
                cases.push_str("    </testcase>\n");
            }
            // Findings by object, and how often each name occurs.
            let mut by_object: HashMap<(usize, &str), Vec<&Finding>> = HashMap::new();
            for f in &findings {
                by_object
                    .entry((f.object.document, f.object.pointer.as_str()))
                    .or_default()
                    .push(f);
            }
            let mut names: HashMap<(&str, Option<&str>, Option<&str>), usize> = HashMap::new();
            for o in &c.objects {
                *names
                    .entry((o.kind.as_str(), o.name.as_deref(), o.namespace.as_deref()))
                    .or_default() += 1;
            }
            for object in &c.objects {
                counts.tests += 1;
                let repeated = names[&(
                    object.kind.as_str(),
                    object.name.as_deref(),
                    object.namespace.as_deref(),
                )] > 1;
                let name = case_name(object, repeated, lang);
                case_open(&mut cases, &name, file);
                let mine = by_object
                    .get(&(object.document, object.pointer.as_str()))
                    .map_or(&[][..], Vec::as_slice);
                let (errors, warnings): (Vec<&Finding>, Vec<&Finding>) =
                    mine.iter().partition(|f| f.severity == Severity::Error);
                if !errors.is_empty() {
                    counts.failures += 1;
                    let mut rules: Vec<&str> = Vec::new();
                    for f in &errors {
                        if !rules.contains(&f.rule) {
                            rules.push(f.rule);
                        }
                    }
                    let n = errors.len();
                    let message = match lang {
                        Lang::En => format!(
                            "{n} error-level finding{}: {}",
                            if n == 1 { "" } else { "s" },
                            rules.join(", ")
                        ),
                        Lang::Fr => format!(
                            "{} de niveau erreur : {}",
                            lang.count(n, ("", ""), ("problème", "problèmes")),
                            rules.join(", ")
                        ),
                    };
                    let body: String = errors.iter().map(|f| finding_text(file, f, lang)).collect();
                    let _ = writeln!(
                        cases,
                        "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                        escape(errors[0].rule),
                        escape(&message),
                        escape_text(&body)
                    );
                } else if settings.namespace_exempt(object.namespace.as_deref()) {
                    counts.skipped += 1;
                    let message = match lang {
                        Lang::En => "its namespace is exempt (settings: exemptions.namespaces)",
                        Lang::Fr => {
                            "son espace de noms est exempté (réglages : exemptions.namespaces)"
                        }
                    };
                    let _ = writeln!(cases, "      <skipped message=\"{}\"/>", escape(message));
                }
                if !warnings.is_empty() {
                    let body: String = warnings
                        .iter()
                        .map(|f| finding_text(file, f, lang))
                        .collect();
                    let _ = writeln!(
                        cases,
                        "      <system-out>{}</system-out>",
                        escape_text(&body)
                    );
                }
                cases.push_str("    </testcase>\n");
            }
            file
        }
    };
    let mut out = String::with_capacity(cases.len() + 200);
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" file=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        escape(file),
        escape(file),
        counts.tests,
        counts.failures,
        counts.errors,
        counts.skipped
    );
    out.push_str(&cases);
    if !suite_out.is_empty() {
        let _ = writeln!(
            out,
            "    <system-out>{}</system-out>",
            escape_text(&suite_out)
        );
    }
    out.push_str("  </testsuite>\n");
    (out, counts)
}

fn case_open(out: &mut String, name: &str, file: &str) {
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\">",
        escape(name),
        escape(file)
    );
}

/// `Deployment/web`, `Deployment/web (namespace shop)`, and the document
/// (1-based) when the same name appears twice in the file.
fn case_name(object: &ObjectRef, repeated: bool, lang: Lang) -> String {
    let mut name = describe_object(
        &ObjectRef {
            pointer: String::new(),
            ..object.clone()
        },
        None,
        lang,
    );
    if repeated {
        let _ = write!(name, " (document {}", object.document + 1);
        if !object.pointer.is_empty() {
            let _ = write!(name, ", {}", object.pointer);
        }
        name.push(')');
    }
    name
}

/// `k8s/pod.yaml:13:9: `, or the path alone.
fn location(file: &str, at: Option<(usize, usize)>) -> String {
    match at {
        Some((line, column)) => format!("{file}:{line}:{column}: "),
        None => format!("{file}: "),
    }
}

/// A finding as lines of text: what, where, the container, help, fix.
fn finding_text(file: &str, f: &Finding, lang: Lang) -> String {
    let level = match (f.severity, lang) {
        (Severity::Error, Lang::En) => "error",
        (Severity::Error, Lang::Fr) => "erreur",
        (Severity::Warning, Lang::En) => "warning",
        (Severity::Warning, Lang::Fr) => "avertissement",
    };
    let mut out = format!(
        "{level}[{}] {}{}\n",
        f.rule,
        location(file, f.start.map(|p| (p.line, p.column))),
        lang.get(&f.message)
    );
    if let Some(c) = &f.container {
        let _ = match lang {
            Lang::En => writeln!(out, "  container: {c}"),
            Lang::Fr => writeln!(out, "  conteneur : {c}"),
        };
    }
    let _ = writeln!(
        out,
        "  {} {}",
        lang.pick("help:", "aide :"),
        lang.get(&f.help).trim()
    );
    if let Some(fix) = &f.fix {
        let how = match (fix.applicability, lang) {
            (kube_immutable_core::Applicability::Safe, Lang::En) => "safe fix",
            (kube_immutable_core::Applicability::Unsafe, Lang::En) => "unsafe fix",
            (kube_immutable_core::Applicability::Safe, Lang::Fr) => "correction sûre",
            (kube_immutable_core::Applicability::Unsafe, Lang::Fr) => "correction risquée",
        };
        let _ = writeln!(
            out,
            "  {how}{} {}",
            lang.pick(":", " :"),
            lang.get(&fix.title)
        );
    }
    out
}

/// An attribute value: the five entities escaped, line breaks and tabs as
/// character references (readers would fold them to spaces), and the
/// characters XML 1.0 forbids (control characters a YAML string may hold)
/// replaced by U+FFFD.
fn escape(text: &str) -> String {
    escape_with(text, true)
}

/// Element text: the same, but line breaks, tabs and quotes written as
/// they are.
fn escape_text(text: &str) -> String {
    escape_with(text, false)
}

fn escape_with(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{escape, escape_text};

    #[test]
    fn escapes_what_xml_needs() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\n\u{1}\u{FFFF}é"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;&#10;\u{FFFD}\u{FFFD}é"
        );
        assert_eq!(escape_text("a\n\tb\r<\"'"), "a\n\tb&#13;&lt;\"'");
    }
}
