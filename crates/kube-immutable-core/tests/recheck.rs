//! `Rechecker` gives `check_text_with_limits`'s report, to the byte, after
//! any sequence of edits: the playground re-checks with it as you type.
//!
//! The texts are the rules' fixtures joined into one stream (valid and
//! invalid documents, flow and block YAML, JSON, broken documents), edited
//! at random: characters and document markers typed, ranges deleted, lines
//! duplicated, documents reordered, settings and limits changed. The same
//! fixtures as the items of `List`s (block style before and after `kind`,
//! at two indentations, flow style), edited the same way and in their
//! items and headers, since a `List`'s items are re-read one by one.

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
    /// Check the text the rechecker holds again (`recheck`), and the next
    /// check through `check_owned`.
    Recheck,
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
        2 => Just(Edit::Recheck),
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

/// Make an edit to the text, the settings or the limits, or check again
/// the text the rechecker holds.
fn apply(
    rechecker: &mut Rechecker,
    text: &mut String,
    settings: &mut Settings,
    limits: &mut Limits,
    edit: &Edit,
) -> Result<(), TestCaseError> {
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
        Edit::Recheck => {
            // What it holds is the last text checked, and it reads the same
            // (with the settings and limits as they are now).
            let last = rechecker.text().to_owned();
            prop_assert_eq!(
                rechecker.recheck(settings, limits).to_report(),
                check_text_with_limits(&last, settings, limits)
            );
            prop_assert_eq!(rechecker.text(), last);
        }
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
    Ok(())
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
        for (n, edit) in edits.iter().enumerate() {
            apply(&mut rechecker, &mut text, &mut settings, &mut limits, edit)?;
            prop_assert_eq!(
                check(&mut rechecker, &text, &settings, &limits, n % 2 == 1),
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
        .map(|f| f.object.kind.as_ptr())
        .collect();
    assert!(before.len() > 100);
    // A document after the first: the others keep their text and move.
    let edited = format!(
        "{}---\nkind: ConfigMap\n---\n{}",
        documents[0],
        documents[1..].join("---\n")
    );
    let checked = rechecker.check_ref(&edited, &settings, &limits);
    let after: Vec<*const u8> = checked.findings().map(|f| f.object.kind.as_ptr()).collect();
    assert_eq!(after, before);
    assert_eq!(
        checked.to_report(),
        check_text_with_limits(&edited, &settings, &limits)
    );
}

/// A check of the text the rechecker holds reads nothing again, and with
/// other settings it reads it all with them.
#[test]
fn recheck_reads_the_text_it_holds() {
    let limits = Limits::browser();
    let text = fixtures();
    let mut rechecker = Rechecker::default();
    let first = addresses(&rechecker.check_owned(text.clone(), &Settings::default(), &limits));
    assert_eq!(rechecker.text(), text);
    let again = addresses(&rechecker.recheck(&Settings::default(), &limits));
    assert_eq!(again, first, "nothing read again");
    assert_eq!(
        rechecker.recheck(&restricted(), &limits).to_report(),
        check_text_with_limits(&text, &restricted(), &limits)
    );
}

/// The fixtures' documents as `List` items: `- ` then the document's lines,
/// indented by `indent` (comments before a document left out).
fn items(documents: &[&str], indent: &str) -> String {
    let mut out = String::new();
    for (n, document) in documents.iter().enumerate() {
        let mut lines = document
            .lines()
            .skip_while(|l| l.trim().is_empty() || l.starts_with('#'));
        let Some(first) = lines.next() else { continue };
        out.push_str(&format!("{indent}- {first}\n"));
        if n % 3 == 1 {
            // Non-ASCII text: UTF-16 offsets differ from byte offsets.
            out.push_str(&format!("{indent}  # é, 漢字, 🦀\n"));
        }
        for line in lines {
            out.push_str(&format!("{indent}  {line}\n"));
        }
    }
    out
}

/// The fixtures' documents, each once, that can be read as a `List`'s
/// items one by one: no input problem, no alias (either reads the whole
/// `List` again; the edits bring both in).
fn documents() -> Vec<String> {
    let mut documents: Vec<String> = Vec::new();
    for document in fixtures().split("---\n") {
        let report = check_text_with_limits(document, &Settings::default(), &Limits::browser());
        if !documents.iter().any(|d| d == document)
            && !document.contains('*')
            && report.errors.is_empty()
        {
            documents.push(document.to_owned());
        }
    }
    documents
}

/// A stream of `List`s holding the fixtures' documents: as kubectl prints
/// one (`items` before `kind`, at column 0), with `kind` first and items
/// indented, and flow style; a document between them.
fn lists() -> String {
    let documents = documents();
    let half = |parity| -> Vec<&str> {
        documents
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == parity)
            .map(|(_, d)| d.as_str())
            .collect()
    };
    let (even, odd) = (half(0), half(1));
    format!(
        "# é: as kubectl prints it\napiVersion: v1\nitems:\n{}kind: List\nmetadata:\n  resourceVersion: \"\"\n---\nkind: ConfigMap\nmetadata: {{name: between}}\n---\napiVersion: v1\nkind: PodList\nitems:\n{}---\n{}",
        items(&even, ""),
        items(&odd, "  "),
        FLOW_LIST,
    )
}

const FLOW_LIST: &str = r#"{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "é"}, "spec": {"containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": true}}]}},
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}, "spec": {"hostPID": true, "containers": [{"name": "c", "image": "nginx:1.27"}]}}
]}
"#;

#[derive(Debug, Clone)]
enum ListEdit {
    /// One of the stream's edits.
    Edit(Edit),
    /// Back to the text before the last edit (what broke an item mended).
    Undo,
    /// Replace the first `from` with `to`: the `List`'s own lines.
    Replace(&'static str, &'static str),
    /// Move the first item of a `List` after the second.
    SwapItems,
}

/// Edits of the `List`s' own parts, and what makes them unsafe to read
/// item by item.
const REPLACED: &[(&str, &str)] = &[
    ("kind: List", "kind: Lis"),
    ("kind: List", "kind: ConfigMapList"),
    ("kind: PodList", "kind: Pod"),
    ("apiVersion: v1\nitems", "apiVersion: v1é\nitems"),
    (
        "metadata:\n  resourceVersion",
        "metadata: {}\nmetadata:\n  resourceVersion",
    ),
    ("items:\n", "items: # é\n"),
    ("items:\n", "items: !!seq\n"),
    ("items:\n", "items: &l\n"),
    ("items:\n", "items:\n- *a\n"),
    (
        "items:\n",
        "items:\n- &a {kind: Pod, spec: {hostPID: true, containers: []}}\n",
    ),
    ("items:\n", "items:\n\n  # c\n"),
    ("items:\n", "itemz:\n"),
    ("\n- ", "\n-\t"),
    ("\n- ", "\n -  "),
    ("\n  - ", "\n - "),
    ("\n  - ", "\n  -\n    "),
    ("\nkind: List", "\n...\nkind: List"),
    (
        "apiVersion: v1\nitems",
        "%YAML 1.1\n---\napiVersion: v1\nitems",
    ),
    ("\n- ", "\n- |+\n  x\n\n- "),
    ("name: ", "name: \""),
    ("image: ", "image: ["),
    ("\nkind: List", "\nitems: []\nkind: List"),
];

fn list_edit() -> impl Strategy<Value = ListEdit> {
    prop_oneof![
        10 => edit().prop_map(ListEdit::Edit),
        3 => Just(ListEdit::Undo),
        3 => proptest::sample::select(REPLACED).prop_map(|(f, t)| ListEdit::Replace(f, t)),
        1 => Just(ListEdit::SwapItems),
    ]
}

proptest! {
    // Fewer cases than the stream's: each check of a `List` reads it whole
    // for the comparison, twice the stream's documents in all.
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn rechecking_lists_gives_the_full_checks_report(edits in proptest::collection::vec(list_edit(), 1..24)) {
        let mut text = lists();
        let mut history: Vec<String> = Vec::new();
        let mut settings = Settings::default();
        let mut limits = Limits::browser();
        let mut rechecker = Rechecker::default();
        prop_assert_eq!(
            rechecker.check(&text, &settings, &limits),
            check_text_with_limits(&text, &settings, &limits)
        );
        for (n, edit) in edits.iter().enumerate() {
            let before = text.clone();
            match edit {
                ListEdit::Edit(edit) => {
                    apply(&mut rechecker, &mut text, &mut settings, &mut limits, edit)?;
                }
                ListEdit::Undo => text = history.pop().unwrap_or(text),
                ListEdit::Replace(from, to) => text = text.replacen(from, to, 1),
                ListEdit::SwapItems => {
                    if let Some(first) = text.find("\n- ") {
                        let second = text[first + 1..].find("\n- ").map(|i| first + 1 + i);
                        let third = second.and_then(|s| text[s + 1..].find("\n- ").map(|i| s + 1 + i));
                        if let (Some(second), Some(third)) = (second, third) {
                            let a = text[first..second].to_owned();
                            let b = text[second..third].to_owned();
                            text.replace_range(first..third, &format!("{b}{a}"));
                        }
                    }
                }
            }
            if !matches!(edit, ListEdit::Undo) {
                history.push(before);
            }
            prop_assert_eq!(
                check(&mut rechecker, &text, &settings, &limits, n % 2 == 1),
                check_text_with_limits(&text, &settings, &limits),
                "after {:?}", edit
            );
        }
    }
}

/// The rechecker's report on `text`, lent a copy of it (`check_ref`) or
/// given it (`check_owned`): it then holds that text.
fn check(
    rechecker: &mut Rechecker,
    text: &str,
    settings: &Settings,
    limits: &Limits,
    owned: bool,
) -> kube_immutable_core::Report {
    let report = if owned {
        rechecker
            .check_owned(text.to_owned(), settings, limits)
            .to_report()
    } else {
        rechecker.check_ref(text, settings, limits).to_report()
    };
    assert_eq!(rechecker.text(), text);
    report
}

/// The addresses of the findings' copies of their object's kind, by the
/// object they are about: a finding read again has a new copy, one moved
/// keeps its own. (Not the message: a fixed one is a literal, the same
/// address however often it is read; nor a pointer, which a moved item's
/// new index rewrites.)
fn addresses(checked: &kube_immutable_core::Rechecked<'_>) -> Vec<(String, *const u8)> {
    checked
        .findings()
        .map(|f| (f.object.pointer.clone(), f.object.kind.as_ptr()))
        .collect()
}

/// A `List` of the fixtures' documents, as kubectl prints it.
fn kubectl_list() -> String {
    let documents = documents();
    let documents: Vec<&str> = documents.iter().map(String::as_str).collect();
    format!(
        "apiVersion: v1\nitems:\n{}kind: List\nmetadata:\n  resourceVersion: \"\"\n",
        items(&documents, "")
    )
}

/// The text's items' starts (`- ` at column 0), and where `kind: List`
/// follows them.
fn item_starts(text: &str) -> Vec<usize> {
    let mut starts: Vec<usize> = text.match_indices("\n- ").map(|(i, _)| i + 1).collect();
    starts.extend(text.find("\nkind: List").map(|i| i + 1));
    starts
}

/// The item of the `List` an object pointer is in.
fn item_of(pointer: &str) -> usize {
    pointer.split('/').nth(2).unwrap().parse().unwrap()
}

/// Typing in one item of a `List` re-reads that item only: the others'
/// findings are the same ones, moved.
#[test]
fn an_edit_in_one_item_reads_that_item_only() {
    let settings = Settings::default();
    let limits = Limits::browser();
    let mut rechecker = Rechecker::default();
    let text = kubectl_list();
    let before = addresses(&rechecker.check_ref(&text, &settings, &limits));
    assert!(before.len() > 100);
    // A line added to an item with findings, in the middle: the items
    // after it move down a line.
    let k = item_of(&before[before.len() / 2].0);
    let at = item_starts(&text)[k + 1];
    let mut edited = text.clone();
    edited.insert_str(at, "  # é\n");
    let checked = rechecker.check_ref(&edited, &settings, &limits);
    let after = addresses(&checked);
    assert_eq!(
        checked.to_report(),
        check_text_with_limits(&edited, &settings, &limits)
    );
    assert_eq!(after.len(), before.len());
    let mut reread = 0;
    for ((p, a), (q, b)) in after.iter().zip(&before) {
        assert_eq!(p, q);
        if item_of(p) == k {
            assert_ne!(a, b, "{p} was edited: read again");
            reread += 1;
        } else {
            assert_eq!(a, b, "{p} was not edited: not read again");
        }
    }
    assert!(reread > 0);
}

/// An item added before the others: they are renumbered (pointers, fixes)
/// and moved, not read again.
#[test]
fn items_that_move_are_renumbered_not_read() {
    let settings = Settings::default();
    let limits = Limits::browser();
    let mut rechecker = Rechecker::default();
    let text = kubectl_list();
    let before = addresses(&rechecker.check_ref(&text, &settings, &limits));
    let edited = text.replacen(
        "items:\n",
        "items:\n- kind: Pod\n  spec: {hostPID: true, containers: []}\n",
        1,
    );
    let checked = rechecker.check_ref(&edited, &settings, &limits);
    let report = checked.to_report();
    assert_eq!(report, check_text_with_limits(&edited, &settings, &limits));
    let after = addresses(&checked);
    let added = after.iter().take_while(|(p, _)| p == "/items/0").count();
    assert!(added > 0);
    assert_eq!(after.len(), before.len() + added);
    for ((p, a), (q, b)) in after[added..].iter().zip(&before) {
        let n = item_of(q);
        let rest = &q[format!("/items/{n}").len()..];
        assert_eq!(p, &format!("/items/{}{rest}", n + 1));
        assert_eq!(a, b, "{q} moved to {p}: not read again");
    }
    // Fixes and pointers renumbered too, where the finding is.
    assert!(report.findings[added..].iter().all(|f| {
        let item = f
            .object
            .pointer
            .split('/')
            .take(3)
            .collect::<Vec<_>>()
            .join("/");
        f.pointer.starts_with(&item)
            && f.fix
                .iter()
                .flat_map(|x| &x.operations)
                .all(|o| o.path().starts_with(&item))
    }));
    // And back: the same results, renumbered again.
    let checked = rechecker.check_ref(&text, &settings, &limits);
    assert_eq!(addresses(&checked), before);
    assert_eq!(
        checked.to_report(),
        check_text_with_limits(&text, &settings, &limits)
    );
}

/// A syntax error in one item reads the document whole (its report is the
/// broken document's), and mending it re-reads that item only.
#[test]
fn an_item_broken_then_mended_reads_that_item_again() {
    let settings = Settings::default();
    let limits = Limits::browser();
    let mut rechecker = Rechecker::default();
    let text = kubectl_list();
    let before = addresses(&rechecker.check_ref(&text, &settings, &limits));
    let at = item_starts(&text)[3];
    let mut broken = text.clone();
    broken.insert_str(at, "  key: [\n");
    let report = rechecker.check(&broken, &settings, &limits);
    assert_eq!(report, check_text_with_limits(&broken, &settings, &limits));
    assert!(report.has_input_errors());
    assert!(report.findings.is_empty());
    let checked = rechecker.check_ref(&text, &settings, &limits);
    assert_eq!(
        checked.to_report(),
        check_text_with_limits(&text, &settings, &limits)
    );
    let after = addresses(&checked);
    let reread = after
        .iter()
        .zip(&before)
        .filter(|(a, b)| a.1 != b.1)
        .count();
    assert!(after.iter().zip(&before).all(|(a, b)| a.0 == b.0));
    assert!(
        reread < before.len() / 10,
        "{reread} of {} read again",
        before.len()
    );
}

/// `List`s that are hard to cut into items (read whole, or item by item
/// with care): the full check's report before and after edits.
#[test]
fn lists_that_are_hard_to_cut() {
    let settings = Settings::default();
    let limits = Limits::browser();
    let pod = "kind: Pod\n  spec: {hostPID: true, containers: [{name: c, image: x, securityContext: {privileged: true}}]}\n";
    let cases = [
        // Flow style.
        FLOW_LIST.to_owned(),
        format!("kind: List\nitems: [{{{}}}]\n", "kind: Pod, spec: {hostPID: true, containers: []}"),
        // An anchor in one item, its alias in another; in the header.
        format!("kind: List\nitems:\n- &p\n  {pod}- *p\n"),
        format!("kind: List\nmetadata: &m {{name: m}}\nitems:\n- {pod}- kind: Pod\n  metadata: *m\n  spec: {{hostIPC: true, containers: []}}\n"),
        // Merge keys.
        format!("kind: List\nitems:\n- {pod}- <<: {{kind: Pod}}\n  spec: {{hostIPC: true, containers: []}}\n"),
        // Tags, a directive, a document end.
        format!("kind: List\nitems:\n- !!map\n  {pod}- {pod}"),
        format!("%YAML 1.1\n---\nkind: List\nitems:\n- {pod}- {pod}"),
        format!("kind: List\nitems:\n- {pod}...\n"),
        // Duplicate keys: in an item (its pointer from the document), `items`.
        format!("kind: List\nitems:\n- {pod}  kind: Pod\n- {pod}"),
        format!("kind: List\nitems:\n- {pod}items:\n- {pod}"),
        // Odd indentation; a quoted scalar across items.
        format!("kind: List\nitems:\n  - {pod}   - {pod}"),
        format!("kind: List\nitems:\n- kind: \"Pod\n- {pod}\"\n- {pod}"),
        // Not a `List`; items that are not a list.
        format!("kind: Pod\nitems:\n- {pod}"),
        "kind: List\nitems:\n  a: 1\n".to_owned(),
        // A NUL, a byte order mark, CRLF.
        format!("kind: List\nitems:\n- {pod}- kind: Pod\0\n"),
        format!("\u{feff}kind: List\nitems:\n- {pod}- {pod}"),
        format!("kind: List\r\nitems:\r\n- {}- {pod}", pod.replace('\n', "\r\n")),
    ];
    for text in cases {
        let mut rechecker = Rechecker::default();
        for text in [
            text.clone(),
            format!("{text}\n# é\n"),
            text.replacen("Pod", "Pod ", 1),
        ] {
            assert_eq!(
                rechecker.check(&text, &settings, &limits),
                check_text_with_limits(&text, &settings, &limits),
                "{text:?}"
            );
        }
    }
}
