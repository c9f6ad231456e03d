//! `Rechecker` gives `check_text_with_limits`'s report, to the byte, after
//! any sequence of edits: the playground re-checks with it as you type.
//!
//! The texts are the rules' fixtures joined into one stream (valid and
//! invalid documents, flow and block YAML, JSON, broken documents), edited
//! at random: characters and document markers typed, ranges deleted, lines
//! duplicated, documents reordered, settings and limits changed.

// Helpers outside #[test] fns unwrap too: a panic here is a failing test.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use kube_immutable_core::{check_text_with_limits, Level, Limits, Rechecker, Settings};
use proptest::prelude::*;

/// Every fixture of every rule, as one stream.
fn fixtures() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for rule in std::fs::read_dir(&root).unwrap() {
        for file in std::fs::read_dir(rule.unwrap().path()).unwrap() {
            files.push(file.unwrap().path());
        }
    }
    files.sort();
    let texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    texts.join("---\n")
}

#[derive(Debug, Clone)]
enum Edit {
    /// Type `text` at a fraction of the text.
    Insert(u16, &'static str),
    /// Delete up to `len` bytes at a fraction of the text.
    Delete(u16, u8),
    /// Duplicate the line at a fraction of the text.
    DuplicateLine(u16),
    /// Move the first document to the end.
    Rotate,
    /// Check with other settings (every rule at its `restricted` level, an
    /// exempt namespace) or the default ones.
    Settings(bool),
    /// Check with few documents allowed, or the default limits.
    FewDocuments(bool),
    /// Read ahead, in slices of this many bytes, before the next check.
    ReadAhead(u16),
}

const TYPED: &[&str] = &[
    "x",
    "\n",
    " ",
    ": ",
    "---\n",
    "\n---\n",
    "- ",
    "'",
    "\"",
    "{",
    "}",
    "[",
    "&a ",
    "*a",
    "\t",
    "é",
    "#",
    "privileged: true\n",
    "  ",
    "...\n",
    "%YAML 1.1\n",
    "\0",
    "\r\n",
    "<<: *a\n",
    "\u{feff}",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (any::<u16>(), proptest::sample::select(TYPED)).prop_map(|(at, t)| Edit::Insert(at, t)),
        3 => (any::<u16>(), any::<u8>()).prop_map(|(at, len)| Edit::Delete(at, len)),
        1 => any::<u16>().prop_map(Edit::DuplicateLine),
        1 => Just(Edit::Rotate),
        1 => any::<bool>().prop_map(Edit::Settings),
        1 => any::<bool>().prop_map(Edit::FewDocuments),
        2 => any::<u16>().prop_map(Edit::ReadAhead),
    ]
}

/// The char boundary at or before a fraction of `text`.
fn at(text: &str, fraction: u16) -> usize {
    let mut i = text.len() * usize::from(fraction) / usize::from(u16::MAX);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn restricted() -> Settings {
    let mut settings = Settings::default();
    for rule in kube_immutable_core::RULES {
        settings.rules.insert(rule.id.to_owned(), Level::Error);
    }
    settings
        .exemptions
        .namespaces
        .push("kube-system".to_owned());
    settings
}

fn apply(text: &mut String, settings: &mut Settings, limits: &mut Limits, edit: &Edit) {
    match *edit {
        Edit::Insert(fraction, typed) => {
            let i = at(text, fraction);
            text.insert_str(i, typed);
        }
        Edit::Delete(fraction, len) => {
            let start = at(text, fraction);
            let mut end = (start + usize::from(len)).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(start..end, "");
        }
        Edit::DuplicateLine(fraction) => {
            let i = at(text, fraction);
            let start = text[..i].rfind('\n').map_or(0, |n| n + 1);
            let end = text[i..].find('\n').map_or(text.len(), |n| i + n + 1);
            let line = text[start..end].to_owned();
            text.insert_str(start, &line);
        }
        Edit::Rotate => {
            if let Some(n) = text.find("\n---\n") {
                let first = text[..n + 1].to_owned();
                text.replace_range(..n + 5, "");
                text.push_str("---\n");
                text.push_str(&first);
            }
        }
        Edit::Settings(other) => {
            *settings = if other {
                restricted()
            } else {
                Settings::default()
            };
        }
        Edit::ReadAhead(_) => {}
        Edit::FewDocuments(few) => {
            *limits = if few {
                Limits {
                    max_documents: 7,
                    ..Limits::browser()
                }
            } else {
                Limits::browser()
            };
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rechecking_gives_the_full_checks_report(edits in proptest::collection::vec(edit(), 1..24)) {
        let mut text = fixtures();
        let mut settings = Settings::default();
        let mut limits = Limits::browser();
        let mut rechecker = Rechecker::default();
        prop_assert_eq!(
            rechecker.check(&text, &settings, &limits),
            check_text_with_limits(&text, &settings, &limits)
        );
        for edit in &edits {
            apply(&mut text, &mut settings, &mut limits, edit);
            if let Edit::ReadAhead(budget) = *edit {
                let mut slices = 0;
                while !rechecker.read_ahead(&text, &settings, &limits, usize::from(budget)) {
                    slices += 1;
                    prop_assert!(slices <= text.len(), "read_ahead must end");
                }
            }
            prop_assert_eq!(
                rechecker.check(&text, &settings, &limits),
                check_text_with_limits(&text, &settings, &limits),
                "after {:?}", edit
            );
        }
    }
}

/// The edits the property test makes do reach documents after the first
/// and keep most chunks unchanged: a check of an edited stream whose
/// documents all moved still finds every finding at its new place.
#[test]
fn findings_move_with_their_documents() {
    let settings = Settings::default();
    let limits = Limits::browser();
    let mut rechecker = Rechecker::default();
    let text = fixtures();
    let before = rechecker.check(&text, &settings, &limits);
    let edited = format!("kind: ConfigMap\n---\n{text}");
    let after = rechecker.check(&edited, &settings, &limits);
    assert_eq!(after, check_text_with_limits(&edited, &settings, &limits));
    assert_eq!(after.findings.len(), before.findings.len());
    for (b, a) in before.findings.iter().zip(&after.findings) {
        assert_eq!(a.start.unwrap().line, b.start.unwrap().line + 2);
        assert_eq!(a.object.document, b.object.document + 1);
    }
}

/// A byte order mark starts the stream; a second one is a character of
/// its first line, which columns count.
#[test]
fn byte_order_marks() {
    let settings = Settings::default();
    let limits = Limits::browser();
    let mut rechecker = Rechecker::default();
    let pod = "kind: Pod\nspec:\n  containers: [{name: c, image: x, securityContext: {privileged: true}}]\n";
    for text in [
        pod.to_owned(),
        format!("\u{feff}{pod}"),
        format!("\u{feff}\u{feff}{pod}"),
        format!("\u{feff}{pod}---\n\u{feff}{pod}"),
        "\u{feff}\u{feff}kind: Pod\nspec: {hostPID: true, containers: []}\n".to_owned(),
        "\u{feff}\u{feff}{kind: Pod, spec: {hostPID: true, containers: []}}\n".to_owned(),
        "\u{feff}\u{feff}{kind: Pod, spec: {hostPID: true, containers: [}}\n".to_owned(),
    ] {
        assert_eq!(
            rechecker.check(&text, &settings, &limits),
            check_text_with_limits(&text, &settings, &limits),
            "{text:?}"
        );
    }
}

/// The same document twice, and a document moved: each at its place.
#[test]
fn repeated_and_moved_documents() {
    let settings = Settings::default();
    let limits = Limits::browser();
    let mut rechecker = Rechecker::default();
    let pod = "kind: Pod\nspec:\n  containers: [{name: c, image: x, securityContext: {privileged: true}}]\n";
    let other = "kind: Pod\nspec: {hostPID: true, containers: []}\n";
    for text in [
        format!("{pod}---\n{pod}---\n{pod}"),
        format!("{other}---\n{pod}---\n{pod}"),
        format!("{pod}---\n{other}---\n{pod}---\n{other}"),
        format!("# é\n{other}---\n{pod}"),
    ] {
        assert_eq!(
            rechecker.check(&text, &settings, &limits),
            check_text_with_limits(&text, &settings, &limits),
            "{text:?}"
        );
    }
}

/// `check_ref` lends the report instead of copying it: the findings of a
/// document that did not change are the same ones, moved, not read again.
#[test]
fn check_ref_lends_unchanged_documents() {
    let settings = Settings::default();
    let limits = Limits::browser();
    let mut rechecker = Rechecker::default();
    // Each document once (a repeated one is copied where it repeats).
    let mut documents: Vec<&str> = Vec::new();
    let all = fixtures();
    for document in all.split("---\n") {
        if !documents.contains(&document) {
            documents.push(document);
        }
    }
    let text = documents.join("---\n");
    let before: Vec<*const u8> = rechecker
        .check_ref(&text, &settings, &limits)
        .findings()
        .map(|f| f.message.en.as_ptr())
        .collect();
    assert!(before.len() > 100);
    // A document after the first: the others keep their text and move.
    let edited = format!(
        "{}---\nkind: ConfigMap\n---\n{}",
        documents[0],
        documents[1..].join("---\n")
    );
    let checked = rechecker.check_ref(&edited, &settings, &limits);
    let after: Vec<*const u8> = checked.findings().map(|f| f.message.en.as_ptr()).collect();
    assert_eq!(after, before);
    assert_eq!(
        checked.to_report(),
        check_text_with_limits(&edited, &settings, &limits)
    );
}

/// Reading ahead in slices reads each document once, and a check after it
/// reads nothing more: the first check of a long text can be spread over
/// several turns of the page's event loop.
#[test]
fn read_ahead_spreads_the_first_check() {
    let settings = Settings::default();
    let limits = Limits::browser();
    let text = fixtures();
    let mut rechecker = Rechecker::default();
    let mut slices = 1;
    while !rechecker.read_ahead(&text, &settings, &limits, 2_000) {
        slices += 1;
    }
    assert!(slices > 5, "{} bytes in {slices} slices", text.len());
    assert!(rechecker.read_ahead(&text, &settings, &limits, 0));
    assert_eq!(
        rechecker.check(&text, &settings, &limits),
        check_text_with_limits(&text, &settings, &limits)
    );
    // Other settings: nothing read for them yet.
    assert!(!rechecker.read_ahead(&text, &restricted(), &limits, 0));
}
