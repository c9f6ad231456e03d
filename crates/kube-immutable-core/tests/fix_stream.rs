//! `fix_stream_with_limits` (document by document, one tree at a time) fixes
//! a stream exactly as `fix_text_with_limits` (every tree at once): the same
//! text, the same fixes applied and the same remaining check (in another
//! order: fixes document by document rather than round by round; the CLI
//! counts them, and sorts findings to print them). Over the rules' fixtures as one stream,
//! named corner cases, and the real-world corpus (`KUBE_IMMUTABLE_CORPUS`)
//! file by file and as one stream.

// Helpers outside #[test] fns unwrap too: a panic here is a failing test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

mod common;

use kube_immutable_core::fix::text::{fix_stream_with_limits, fix_text_with_limits};
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::{Level, Limits, Settings};

fn every_rule() -> Settings {
    let mut settings = Settings::default();
    for rule in kube_immutable_core::RULES {
        if rule.default_level == Level::Off {
            settings.rules.insert(rule.id.to_owned(), Level::Error);
        }
    }
    settings
}

fn assert_same(text: &str, what: &str) {
    assert_same_with(
        text,
        what,
        &[Settings::default(), every_rule()],
        &[false, true],
    );
}

fn assert_same_with(text: &str, what: &str, settings: &[Settings], unsafe_fixes: &[bool]) {
    let limits = Limits::default();
    for settings in settings {
        for &unsafe_fixes in unsafe_fixes {
            let options = FixOptions { unsafe_fixes };
            let mut whole = fix_text_with_limits(text, settings, options, &limits);
            let mut streamed = fix_stream_with_limits(text, settings, options, &limits);
            for fixed in [&mut whole, &mut streamed] {
                fixed.applied.sort_by(|a, b| {
                    (a.document, a.rule, &a.pointer).cmp(&(b.document, b.rule, &b.pointer))
                });
                fixed.remaining.findings.sort_by(|a, b| {
                    (
                        a.object.document,
                        a.span.map(|s| s.start),
                        a.rule,
                        &a.pointer,
                    )
                        .cmp(&(
                            b.object.document,
                            b.span.map(|s| s.start),
                            b.rule,
                            &b.pointer,
                        ))
                });
                fixed
                    .remaining
                    .errors
                    .sort_by_key(|e| (e.document, e.span.map(|s| s.start)));
            }
            assert_eq!(
                streamed.text, whole.text,
                "{what}: text (unsafe {unsafe_fixes})"
            );
            assert_eq!(streamed.applied, whole.applied, "{what}: applied");
            assert_eq!(streamed.remaining, whole.remaining, "{what}: remaining");
        }
    }
}

fn fixtures() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<PathBuf> = Vec::new();
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

#[test]
fn fixtures_as_one_stream() {
    assert_same(&fixtures(), "fixtures");
}

#[test]
fn named_cases() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: {privileged: true}\n";
    let cases = [
        (
            "bom and crlf",
            format!("\u{feff}{}---\r\n{}", pod.replace('\n', "\r\n"), pod),
        ),
        (
            "comments between",
            format!("# head\n---\n{pod}---\n# only a comment\n---\n{pod}...\n"),
        ),
        (
            "syntax error in one",
            format!("{pod}---\nkind: Pod\nspec: [\n---\n{pod}"),
        ),
        (
            "duplicate keys",
            format!(
                "{pod}---\n{}",
                pod.replace("  name: p", "  name: p\n  name: q")
            ),
        ),
        (
            "list",
            format!(
                "apiVersion: v1\nitems:\n- {}kind: List\n---\n{pod}",
                pod.replace('\n', "\n  ").trim_end()
            ),
        ),
        (
            "no trailing newline",
            format!("{pod}---\n{}", pod.trim_end()),
        ),
        ("explicit start", format!("--- \n{pod}--- # two\n{pod}")),
    ];
    for (what, text) in cases {
        assert_same(&text, what);
    }
}

#[test]
fn real_world_corpus() {
    let Some(corpus) = std::env::var_os("KUBE_IMMUTABLE_CORPUS") else {
        eprintln!("SKIPPED: set KUBE_IMMUTABLE_CORPUS to the shared corpus to compare fixes over the real-world manifests");
        return;
    };
    let root = Path::new(&corpus).join("realworld");
    if !root.is_dir() {
        eprintln!("SKIPPED: no realworld/ in {}", root.display());
        return;
    }
    let files = common::manifest_files(&root);
    // The files of several documents (one is fixed whole either way), with
    // every rule on and every fix (the most edits), to keep CI short.
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        if text.contains("\n---") {
            assert_same_with(&text, &file.display().to_string(), &[every_rule()], &[true]);
        }
    }
}
