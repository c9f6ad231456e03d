//! The streaming reader gives `check_text`'s report, to the byte, for every
//! input `check_text` reads within its limits: chunks cut by a `Splitter`
//! fed in pieces of any size, each chunk read whole (`check_chunk`) or in
//! pieces of lines (`check_chunk_pieces`), the `List` items handed out one
//! by one, put back together by the `Assembler`.
//!
//! Inputs: the rules' fixtures as one stream and as the items of `List`s
//! (kubectl's order: `items` before `kind`), named corner cases (a NUL, a
//! misplaced flow closer, `items` written twice, aliases across items,
//! merge keys at the root, nested lists, a BOM, CRLF), random edits of
//! those, and the real-world corpus when `KUBE_IMMUTABLE_CORPUS` is set.

// Helpers outside #[test] fns unwrap too: a panic here is a failing test.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

mod common;

use kube_immutable_core::stream::{
    check_chunk, check_chunk_pieces, Assembler, Event, FromFn, Options, Origin, Pieces, Splitter,
};
use kube_immutable_core::{
    check_text_listing_objects, check_text_with_limits, Level, Limits, Report, Settings,
};
use proptest::prelude::*;

/// How the stream is cut and read.
#[derive(Debug, Clone, Copy)]
struct Cuts {
    /// Bytes per piece fed to the splitter (at least 1; on char boundaries).
    feed: usize,
    /// Lines per piece when a chunk is read in pieces (`Some(0)`: pieces
    /// of 7 bytes, ending inside lines); `None`: whole.
    lines: Option<usize>,
}

/// `text` cut at char boundaries every `size` bytes or so.
fn pieces(text: &str, size: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + size.max(1)).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    out
}

/// `text` in pieces of `lines` lines.
fn line_pieces(text: &str, lines: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        current.push_str(line);
        if (i + 1) % lines.max(1) == 0 {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Pieces that can be read again.
struct Replay {
    pieces: Vec<String>,
    next: usize,
}

impl Pieces for Replay {
    fn next(&mut self) -> Option<String> {
        let piece = self.pieces.get(self.next).cloned();
        self.next += 1;
        piece
    }

    fn rewindable(&self) -> bool {
        true
    }

    fn rewind(&mut self) {
        self.next = 0;
    }
}

/// The chunks of `text`, as a splitter fed in pieces finds them.
fn chunks(text: &str, feed: usize) -> Vec<(Origin, &str)> {
    let mut splitter = Splitter::default();
    let mut starts = Vec::new();
    for piece in pieces(text, feed) {
        splitter.feed(piece, &mut starts);
    }
    splitter.finish(&mut starts);
    let mut origins = vec![splitter.stream_start()];
    origins.extend(starts);
    let mut out = Vec::new();
    for (i, origin) in origins.iter().enumerate() {
        let end = origins.get(i + 1).map_or(text.len(), |o| o.offset);
        if end > origin.offset {
            out.push((*origin, &text[origin.offset..end]));
        }
    }
    out
}

/// The streaming reader's report.
fn streamed(text: &str, settings: &Settings, limits: &Limits, cuts: Cuts) -> Report {
    let options = Options {
        settings,
        limits,
        excerpts: true,
    };
    let mut assembler = Assembler::default();
    for (origin, chunk) in chunks(text, cuts.feed) {
        assembler.chunk(origin, limits, |sink| match cuts.lines {
            None => check_chunk(chunk, &options, sink),
            Some(lines) => {
                let pieces = if lines == 0 {
                    pieces(chunk, 7).into_iter().map(str::to_owned).collect()
                } else {
                    line_pieces(chunk, lines)
                };
                let mut pieces = Replay { pieces, next: 0 };
                check_chunk_pieces(&mut pieces, &options, sink)
            }
        });
    }
    assembler.finish()
}

/// `check_text`'s report, its findings in the order every face prints
/// them: by document, then position (stable).
fn expected(text: &str, settings: &Settings, limits: &Limits) -> Report {
    let mut report = check_text_with_limits(text, settings, limits);
    report
        .findings
        .sort_by_key(|f| (f.object.document, f.span.map(|s| s.start)));
    report
}

/// `check_text` reads a document at a time; the reading that keeps every
/// document's tree for the fixer (and for JUnit's list of objects) must
/// report the same.
fn assert_whole_read_agrees(text: &str, settings: &Settings, limits: &Limits) {
    assert_eq!(
        check_text_with_limits(text, settings, limits),
        check_text_listing_objects(text, settings, limits).0,
        "{text:?}"
    );
}

/// Whether `check_text` meets a limit whose meaning streaming changes:
/// the input's size, or nodes counted over a whole `List` (streaming
/// counts each item).
fn changed_meaning(report: &Report) -> bool {
    report
        .errors
        .iter()
        .any(|e| e.message.en.contains("(max_nodes)") || e.message.en.contains("(max_input_bytes)"))
}

fn assert_same(text: &str, settings: &Settings, limits: &Limits, cuts: Cuts) {
    let want = expected(text, settings, limits);
    if changed_meaning(&want) {
        return;
    }
    let got = streamed(text, settings, limits, cuts);
    if got != want {
        // The first difference, readably.
        for (g, w) in got.findings.iter().zip(&want.findings) {
            assert_eq!(g, w, "first different finding, {cuts:?}");
        }
        for (g, w) in got.errors.iter().zip(&want.errors) {
            assert_eq!(g, w, "first different error, {cuts:?}");
        }
        assert_eq!(got, want, "{cuts:?}");
    }
}

const ALL_CUTS: [Cuts; 6] = [
    Cuts {
        feed: 3,
        lines: Some(0),
    },
    Cuts {
        feed: usize::MAX,
        lines: None,
    },
    Cuts {
        feed: 1,
        lines: None,
    },
    Cuts {
        feed: 7,
        lines: Some(1),
    },
    Cuts {
        feed: 4096,
        lines: Some(3),
    },
    Cuts {
        feed: 64,
        lines: Some(1000),
    },
];

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for rule in std::fs::read_dir(&root).unwrap() {
        for file in std::fs::read_dir(rule.unwrap().path()).unwrap() {
            files.push(file.unwrap().path());
        }
    }
    files.sort();
    files
}

/// Every fixture of every rule, as one stream.
fn fixtures() -> String {
    let texts: Vec<String> = fixture_files()
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    texts.join("---\n")
}

/// Each document of `stream` that starts at column 0 as an item of one
/// `List`, kubectl's way: `items` first, `kind` after.
fn as_list(stream: &str) -> String {
    let mut out = String::from("apiVersion: v1\nitems:\n");
    for doc in stream.split("\n---\n") {
        let lines: Vec<&str> = doc
            .lines()
            .skip_while(|l| l.trim().is_empty() || l.starts_with('#') || l.starts_with("---"))
            .collect();
        let Some(first) = lines.first() else { continue };
        if first.starts_with([' ', '%', '{', '[', '-', '.']) {
            continue;
        }
        out.push_str("- ");
        out.push_str(first);
        out.push('\n');
        for line in &lines[1..] {
            if !line.is_empty() {
                out.push_str("  ");
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
    out
}

fn every_rule() -> Settings {
    let mut settings = Settings::default();
    for rule in kube_immutable_core::RULES {
        settings.rules.insert(rule.id.to_owned(), Level::Error);
    }
    settings
}

#[test]
fn fixtures_as_a_stream_and_as_lists() {
    let stream = fixtures();
    let list = as_list(&stream);
    let settings = every_rule();
    let limits = Limits::default();
    // The list must read: otherwise this test checks little.
    let report = check_text_with_limits(&list, &settings, &limits);
    assert!(report.objects > 50, "{} objects", report.objects);
    for text in [&stream, &list, &format!("{list}---\n{stream}---\n{list}")] {
        assert_whole_read_agrees(text, &settings, &limits);
        for cuts in ALL_CUTS {
            assert_same(text, &settings, &limits, cuts);
        }
    }
}

const CASES: &[&str] = &[
    // `items` written twice, the second a flow list whose first item is on
    // the key's line: the duplicate key's span ends on that line, which is
    // set aside with the document's first lines (found by the edits below).
    "kind: List\nitems: [{kind: Pod, spec: {containers: [{name: a, image: x}]}}]\nitems: [{---\nkind: Pod, spec: {containers: [{name: a, image: x}]}}]\n",
    // kubectl's order, and the reverse.
    "apiVersion: v1\nitems:\n- kind: Pod\n  metadata: {name: a}\n  spec:\n    containers:\n    - name: c\n      image: nginx\n      securityContext: {privileged: true}\n- kind: Pod\n  spec: {hostPID: yes, containers: [{name: d, image: x}]}\nkind: List\n",
    "kind: PodList\nitems:\n- kind: Pod\n  spec: {containers: [{name: c, image: x}]}\n",
    // Not a List: the items are not objects.
    "items:\n- kind: Pod\n  spec: {containers: [{name: c, image: x}]}\nkind: Deployment\nspec:\n  template:\n    spec: {containers: [{name: d, image: y}]}\n",
    "items:\n- kind: Pod\n  spec: {containers: [{name: c, image: x}]}\n",
    "kind: List\nitems: {a: 1}\n",
    "kind: [List]\nitems:\n- kind: Pod\n  spec: {containers: [{name: c, image: x}]}\n",
    // `items` twice: the last one counts.
    "items:\n- kind: Pod\n  spec: {containers: [{name: a, image: x}]}\nitems:\n- kind: Pod\n  spec: {containers: [{name: b, image: x}]}\nkind: List\n",
    // `items` and `kind` from a merge key; and own keys winning over it.
    "base: &b\n  kind: List\n  items:\n  - kind: Pod\n    spec: {containers: [{name: m, image: x}]}\n<<: *b\n",
    "base: &b\n  items:\n  - kind: Pod\n    spec: {containers: [{name: m, image: x}]}\nitems:\n- kind: Pod\n  spec: {containers: [{name: own, image: x}]}\n<<: *b\nkind: List\n",
    // Aliases across items: findings at the anchor, before their item.
    "kind: List\nitems:\n- kind: Pod\n  spec:\n    containers:\n    - &c {name: c, image: nginx, securityContext: {privileged: true}}\n- kind: Pod\n  spec:\n    containers: [*c, {name: e, image: x}]\n- kind: Pod\n  spec: {hostNetwork: true, containers: [*c]}\n",
    "kind: List\nitems: &all\n- kind: Pod\n  spec: {containers: [{name: c, image: x}]}\nmore: *all\n",
    // Nested lists, empty and scalar items, a flow list.
    "kind: List\nitems:\n- kind: List\n  items:\n  - kind: Pod\n    spec: {containers: [{name: n, image: x}]}\n- null\n- 3\n-\n- kind: Pod\n  spec: {containers: [{name: p, image: x}]}\n",
    "{\"kind\": \"List\", \"items\": [{\"kind\": \"Pod\", \"spec\": {\"containers\": [{\"name\": \"j\", \"image\": \"x\"}]}}, {\"kind\": \"Job\"}]}\n",
    "kind: List\nitems: [{kind: Pod, spec: {containers: [{name: a, image: x}]}}, {kind: Pod, spec: {containers: [{name: b, image: y}]}}]\n",
    // Broken documents: after some items, and between documents.
    "kind: List\nitems:\n- kind: Pod\n  spec: {containers: [{name: c, image: x}]}\n- kind: Pod\n  spec: {containers: [ }\n",
    "kind: List\nitems:\n- kind: Pod\n  spec: {containers: [{name: c, image: x}]}\n  spec: {containers: []}\n- : : :\n---\nkind: Pod\nspec: {containers: [{name: d, image: y}]}\n",
    // Duplicate keys inside items and at the root, nested (reported out of order).
    "items:\n- kind: Pod\n  a:\n    b: 1\n    b: 2\n  a: 3\n  spec: {containers: [{name: c, image: x}]}\nkind: List\nkind: List\n",
    // Wrong types and the ignore annotation inside items.
    "kind: List\nitems:\n- kind: Pod\n  metadata: {annotations: {kube-immutable.io/ignore: nope}}\n  spec: {hostPID: \"true\", containers: {name: c}}\n",
    // A NUL, a misplaced flow closer (kubectl reads it), a BOM, CRLF.
    "kind: List\nitems:\n- kind: Pod\n  spec: {containers: [{name: c, image: x}]}\n- a: \0\n",
    "kind: List\nitems:\n- kind: Pod\n  spec:\n    containers: [\n      {name: c, image: x},\n  ]\n- kind: Pod\n  spec: {containers: [{name: d, image: x}]}\n",
    "\u{feff}kind: List\r\nitems:\r\n- kind: Pod\r\n  metadata: {name: é😀}\r\n  spec: {containers: [{name: c, image: x}]}\r\n",
    // Documents that are not mappings, comments only, `...`, directives.
    "# only a comment\n---\n---\n- a\n- b\n...\nkind: Pod\nspec: {containers: [{name: x, image: y}]}\n...\n%YAML 1.1\n---\nkind: List\nitems: []\n",
    "",
    "\n\n",
    "kind: Pod\nspec:\n  containers:\n  - name: a\n    image: b\n    args: |\n      literal\n      ---\n      not a marker\n",
];

#[test]
fn named_cases() {
    let settings = every_rule();
    for limits in [Limits::default(), Limits::browser()] {
        for case in CASES {
            assert_whole_read_agrees(case, &settings, &limits);
            for cuts in ALL_CUTS {
                assert_same(case, &settings, &limits, cuts);
            }
        }
    }
}

/// The items of a `List` read in pieces: only an item's lines are held, not
/// the list's. A list of many items in pieces of a line reads each item
/// once, however long the list.
#[test]
fn items_of_a_list_are_handed_out_one_by_one() {
    let item = "- kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - name: c\n      image: nginx\n";
    let text = format!("apiVersion: v1\nitems:\n{}kind: List\n", item.repeat(2000));
    let settings = Settings::default();
    let limits = Limits {
        // Each item is far below this; the list is far above.
        max_input_bytes: 4096,
        max_nodes: 100,
        ..Limits::default()
    };
    let options = Options {
        settings: &settings,
        limits: &limits,
        excerpts: true,
    };
    let mut items = 0;
    let mut standing = None;
    let mut queue = line_pieces(&text, 1).into_iter();
    let count =
        check_chunk_pieces(
            &mut FromFn(move || queue.next()),
            &options,
            &mut |event| match event {
                Event::Item { part, .. } => {
                    items += 1;
                    assert!(part.read_errors.is_empty(), "{:?}", part.read_errors);
                    assert_eq!(part.objects, 1);
                }
                Event::Document { list, part, .. } => {
                    standing = list;
                    assert!(part.findings.is_empty());
                }
                other => panic!("{other:?}"),
            },
        );
    assert_eq!((count, items), (1, 2000));
    assert!(standing.is_some());
}

/// The alias budget grows with the document: a chunk read as it comes does
/// not know its length before its end, and is read again when a budget
/// passed early turns out to be passed for the whole chunk too.
#[test]
fn alias_budget_counts_the_whole_document() {
    let numbers: Vec<String> = (0..50).map(|i| i.to_string()).collect();
    let head = format!(
        "kind: List\nanchor: &a [{}]\nmany: [*a, *a, *a, *a, *a, *a, *a, *a]\nitems:\n- kind: Pod\n  spec: {{containers: [{{name: c, image: x}}]}}\n",
        numbers.join(", ")
    );
    let padding = "# padding\n".repeat(100);
    let settings = Settings::default();
    let limits = Limits {
        max_alias_nodes: 0,
        ..Limits::default()
    };
    // Within the budget once the padding is counted; past it without.
    for text in [format!("{head}{padding}"), head.clone()] {
        let report = check_text_with_limits(&text, &settings, &limits);
        let refused = report
            .errors
            .iter()
            .any(|e| e.message.en.contains("max_alias_nodes"));
        assert_eq!(refused, text == head, "{:?}", report.errors);
        for cuts in ALL_CUTS {
            assert_same(&text, &settings, &limits, cuts);
        }
    }
}

/// Aliases of an anchor in the first item of a long list: the anchor's
/// lines are kept, not the list.
#[test]
fn an_anchor_keeps_its_lines_not_the_list() {
    let first = "- kind: Pod\n  spec:\n    containers:\n    - &c {name: c, image: nginx}\n";
    let item = "- kind: Pod\n  spec:\n    containers: [*c]\n";
    let text = format!("kind: List\nitems:\n{first}{}", item.repeat(3000));
    let settings = Settings::default();
    let limits = Limits {
        max_input_bytes: 4096,
        ..Limits::default()
    };
    let report = streamed(
        &text,
        &settings,
        &limits,
        Cuts {
            feed: 4096,
            lines: Some(1),
        },
    );
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.objects, 3001);
    assert_same(
        &text,
        &settings,
        &Limits::default(),
        Cuts {
            feed: 4096,
            lines: Some(1),
        },
    );
}

/// A document longer than `max_input_bytes` that is not a list of items,
/// read in pieces: an error, and the chunk is still read to its end.
#[test]
fn a_document_too_long_to_hold_is_an_error() {
    let data: String = (0..1000).map(|i| format!("  k{i}: v\n")).collect();
    let text = format!("kind: ConfigMap\ndata:\n{data}");
    let limits = Limits {
        max_input_bytes: 1000,
        ..Limits::default()
    };
    let settings = Settings::default();
    let options = Options {
        settings: &settings,
        limits: &limits,
        excerpts: false,
    };
    let mut events = Vec::new();
    let mut queue = line_pieces(&text, 1).into_iter();
    let count = check_chunk_pieces(&mut FromFn(move || queue.next()), &options, &mut |e| {
        events.push(e);
    });
    assert_eq!(count, 1);
    let [Event::Broken { part, .. }] = &events[..] else {
        panic!("{events:?}")
    };
    assert_eq!(part.read_errors.len(), 1, "{:?}", part.read_errors);
    assert!(
        part.read_errors[0].message.en.contains("(max_input_bytes)"),
        "{:?}",
        part.read_errors
    );
}

/// Text that gives the parser no event (a comment block, blank lines, one
/// long scalar, on one line or many) past `max_input_bytes`: the document is
/// refused as soon as that much of it was read, where the parser's events
/// stood (not at the next event, after holding it all), at the same place
/// however the text comes in pieces; the next document is still checked.
/// Below the limit, the same text is read as it was.
#[test]
fn text_with_no_event_past_the_limit_is_refused_as_it_is_read() {
    let limits = Limits {
        max_input_bytes: 2000,
        max_scalar_bytes: 100_000,
        ..Limits::default()
    };
    let settings = Settings::default();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n    image: nginx\n";
    let next = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: {privileged: true}\n";
    // Each kind of text, about `bytes` long.
    let comments = |bytes: usize| -> String {
        (0..bytes / 12)
            .map(|i| format!("# comment {:02}\n", i % 100))
            .collect()
    };
    let blank = |bytes: usize| "\n".repeat(bytes);
    let block = |bytes: usize| -> String {
        let lines: String = (0..bytes / 14)
            .map(|i| format!("      line {:02}\n", i % 100))
            .collect();
        format!("    args:\n    - |\n{lines}")
    };
    let line = |bytes: usize| format!("    args: [\"{}\"]\n", "x".repeat(bytes));
    let kinds: [(&str, &dyn Fn(usize) -> String); 4] = [
        ("comments", &comments),
        ("blank lines", &blank),
        ("a block scalar", &block),
        ("a scalar on one line", &line),
    ];
    for (name, make) in kinds {
        let hostile = make(3000);
        assert!(hostile.len() > limits.max_input_bytes, "{name}");
        let text = format!("{pod}{hostile}{next}");
        let mut first: Option<Report> = None;
        for cuts in [(1, 1), (7, 3), (4096, 50), (64, 10_000)] {
            let cuts = Cuts {
                feed: cuts.0,
                lines: Some(cuts.1),
            };
            let report = streamed(&text, &settings, &limits, cuts);
            let [error] = &report.errors[..] else {
                panic!("{name}, {cuts:?}: {:?}", report.errors)
            };
            assert!(
                error
                    .message
                    .en
                    .contains("longer than 2000 bytes (max_input_bytes)"),
                "{name}: {error:?}"
            );
            assert_eq!(error.document, Some(0), "{name}");
            // Where the parser's events stood: in the pod, before the text
            // that gave none.
            let line = error.start.unwrap().line;
            assert!((1..=9).contains(&line), "{name}: line {line}");
            // The next document is checked.
            assert!(
                report
                    .findings
                    .iter()
                    .any(|f| f.rule == "privileged" && f.object.document == 1),
                "{name}: {:?}",
                report.findings
            );
            match &first {
                None => first = Some(report),
                Some(first) => assert_eq!(&report, first, "{name}, {cuts:?}"),
            }
        }
        // Below the limit: read, and checked as a whole read checks it.
        let text = format!("{pod}{}{next}", make(1400));
        assert!(text.len() < limits.max_input_bytes, "{name}");
        let want = expected(&text, &settings, &limits);
        assert!(
            want.findings.iter().any(|f| f.rule == "privileged"),
            "{name}: {want:?}"
        );
        for lines in [1, 3, 10_000] {
            let cuts = Cuts {
                feed: 13,
                lines: Some(lines),
            };
            assert_eq!(streamed(&text, &settings, &limits, cuts), want, "{name}");
        }
    }
}

/// Between `max_scalar_bytes` and `max_input_bytes`, a long scalar is
/// refused with `max_scalar_bytes` at its end, as when read whole.
#[test]
fn a_scalar_past_its_limit_but_within_the_document_limit() {
    let limits = Limits {
        max_input_bytes: 4000,
        max_scalar_bytes: 1000,
        ..Limits::default()
    };
    let settings = Settings::default();
    let block: String = (0..200).map(|i| format!("      line {i}\n")).collect();
    let text = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: a}}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    args:\n    - |\n{block}"
    );
    assert!(text.len() < limits.max_input_bytes);
    let want = expected(&text, &settings, &limits);
    assert!(
        want.errors
            .iter()
            .any(|e| e.message.en.contains("(max_scalar_bytes)")),
        "{:?}",
        want.errors
    );
    for lines in [1, 7, 1000] {
        let cuts = Cuts {
            feed: 5,
            lines: Some(lines),
        };
        assert_eq!(streamed(&text, &settings, &limits, cuts), want, "{cuts:?}");
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(u16, &'static str),
    Delete(u16, u8),
    DuplicateLine(u16),
}

const TYPED: &[&str] = &[
    "x",
    "\n",
    " ",
    ": ",
    "---\n",
    "- ",
    "'",
    "\"",
    "{",
    "}",
    "[",
    "]",
    "&a ",
    "*a",
    "\t",
    "é",
    "#",
    "items:\n",
    "kind: List\n",
    "- kind: Pod\n",
    "privileged: true\n",
    "  ",
    "...\n",
    "\0",
    "\r\n",
    "<<: *a\n",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (any::<u16>(), proptest::sample::select(TYPED)).prop_map(|(at, t)| Edit::Insert(at, t)),
        3 => (any::<u16>(), any::<u8>()).prop_map(|(at, len)| Edit::Delete(at, len)),
        1 => any::<u16>().prop_map(Edit::DuplicateLine),
    ]
}

fn at(text: &str, fraction: u16) -> usize {
    let mut i = text.len() * usize::from(fraction) / usize::from(u16::MAX);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, edit: &Edit) {
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
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random edits of a `List` of the fixtures and of named cases, cut
    /// and read every way.
    #[test]
    fn edited_streams_read_the_same(
        base in 0..CASES.len() + 1,
        edits in proptest::collection::vec(edit(), 1..12),
        feed in 1usize..200,
        lines in proptest::option::of(1usize..6),
        few_documents in any::<bool>(),
    ) {
        let mut text = if base == CASES.len() {
            // A short list: the whole fixture list is slow to check often.
            as_list(&fixtures()).lines().take(400).collect::<Vec<_>>().join("\n")
        } else {
            CASES[base].to_owned()
        };
        for edit in &edits {
            apply(&mut text, edit);
        }
        let limits = Limits {
            max_documents: if few_documents { 2 } else { 10_000 },
            ..Limits::browser()
        };
        assert_whole_read_agrees(&text, &every_rule(), &limits);
        assert_same(&text, &every_rule(), &limits, Cuts { feed, lines });
    }
}

/// The real-world corpus (`KUBE_IMMUTABLE_CORPUS`): every file, then all
/// of them as one stream and as one `List`.
#[test]
fn real_world_corpus() {
    let Some(corpus) = std::env::var_os("KUBE_IMMUTABLE_CORPUS") else {
        eprintln!("SKIPPED: set KUBE_IMMUTABLE_CORPUS to the shared corpus to compare over the real-world manifests");
        return;
    };
    let root = Path::new(&corpus).join("realworld");
    if !root.is_dir() {
        eprintln!("SKIPPED: no realworld/ in {}", root.display());
        return;
    }
    let files = common::manifest_files(&root);
    let settings = every_rule();
    let limits = Limits::default();
    let mut texts = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        assert_whole_read_agrees(&text, &settings, &limits);
        for cuts in [ALL_CUTS[1], ALL_CUTS[4]] {
            assert_same(&text, &settings, &limits, cuts);
        }
        texts.push(text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned());
    }
    assert!(texts.len() > 1000, "{} files", texts.len());
    let stream = texts
        .iter()
        .map(|t| {
            if t.ends_with('\n') {
                t.clone()
            } else {
                format!("{t}\n")
            }
        })
        .collect::<Vec<_>>()
        .join("---\n");
    let list = as_list(&stream);
    for text in [&stream, &list] {
        assert_whole_read_agrees(text, &settings, &limits);
        for cuts in [ALL_CUTS[1], ALL_CUTS[5]] {
            assert_same(text, &settings, &limits, cuts);
        }
    }
}
