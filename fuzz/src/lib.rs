//! What the fuzz targets assert, shared by them.
//!
//! Each `assert_*` panics with a description when a property is broken:
//! libFuzzer records the input as a crash.

use kube_immutable_core::fix::text::FixedText;
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::node::{Node, Value};
use kube_immutable_core::yaml::parse_stream;
use kube_immutable_core::{
    check_text_with_limits, ErrorKind, Limits, Operation, Position, Report, Settings, Span,
};

/// Tiny limits, so that every limit is reached by inputs a few hundred bytes
/// long (the fuzzer's inputs) and its error path is exercised.
pub const TINY: Limits = Limits {
    max_input_bytes: 4096,
    max_documents: 4,
    max_depth: 8,
    max_nodes: 64,
    max_alias_nodes: 16,
    max_scalar_bytes: 64,
};

/// Settings with every rule on at `error` (some are off or warnings by
/// default), so every rule runs.
pub fn all_rules_on() -> Settings {
    let rules: serde_json::Map<String, serde_json::Value> = kube_immutable_core::RULES
        .iter()
        .map(|r| (r.id.to_owned(), "error".into()))
        .collect();
    let mut settings = Settings::from_json(serde_json::json!({ "rules": rules }))
        .expect("every rule id is a valid setting");
    settings.unsafe_fixes = true;
    settings
}

/// A span is inside the text and on character boundaries.
pub fn assert_span(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} out of bounds (text is {} bytes)",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} not on character boundaries"
    );
}

/// A position says the same as its byte offset, counted again here from the
/// definitions: 1-based line, 1-based column in characters (a byte-order
/// mark at the start is no column), UTF-16 offset from the start.
pub fn assert_position(text: &str, position: Position, offset: usize, what: &str) {
    assert_eq!(
        position.offset, offset,
        "{what}: position of another offset"
    );
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let mut in_line = &text[line_start..offset];
    if line_start == 0 {
        in_line = in_line.strip_prefix('\u{feff}').unwrap_or(in_line);
    }
    let expected = Position {
        line,
        column: in_line.chars().count() + 1,
        offset,
        utf16_offset: before.encode_utf16().count(),
    };
    assert_eq!(
        position, expected,
        "{what}: wrong position for offset {offset}"
    );
}

fn assert_located(
    text: &str,
    span: Option<Span>,
    start: Option<Position>,
    end: Option<Position>,
    what: &str,
) {
    match (span, start, end) {
        (Some(span), Some(start), Some(end)) => {
            assert_span(text, span, what);
            assert_position(text, start, span.start, what);
            assert_position(text, end, span.end, what);
        }
        (None, None, None) => {}
        other => panic!("{what}: span and positions disagree: {other:?}"),
    }
}

/// Every finding and error of a report on `text` is located in `text`.
pub fn assert_report_located(text: &str, report: &Report) {
    for f in &report.findings {
        let what = format!("finding {} at {}", f.rule, f.pointer);
        assert_located(text, f.span, f.start, f.end, &what);
        assert!(
            f.pointer.is_empty() || f.pointer.starts_with('/'),
            "{what}: not a JSON pointer"
        );
    }
    for e in &report.errors {
        let what = format!("error {:?} {:?}", e.kind, e.message.en);
        assert!(!e.message.en.is_empty(), "{what}: empty message");
        assert_located(text, e.span, e.start, e.end, &what);
    }
}

/// Parse + check under `limits`, and hold the report to its invariants.
pub fn check(text: &str, settings: &Settings, limits: &Limits) -> Report {
    let report = check_text_with_limits(text, settings, limits);
    assert_report_located(text, &report);
    // Two checks of one text agree (no hidden state, no order dependence).
    assert_eq!(
        report,
        check_text_with_limits(text, settings, limits),
        "two checks differ"
    );
    report
}

pub fn syntax_errors(report: &Report) -> usize {
    report
        .errors
        .iter()
        .filter(|e| e.kind == ErrorKind::Syntax)
        .count()
}

/// The properties of a fix of `source` (see the README's "Fuzzing"):
/// the output is no less readable than the input, the reported remaining
/// check is the check of the output, fixing again changes nothing, and every
/// byte of the source outside what the applied fixes' operations address is
/// still in the output, in order.
pub fn assert_fix(
    source: &str,
    fixed: &FixedText,
    again: &FixedText,
    settings: &Settings,
    options: FixOptions,
    limits: &Limits,
) {
    if fixed.applied.is_empty() {
        assert_eq!(fixed.text, source, "text changed but no fix applied");
        return;
    }
    assert_ne!(
        fixed.text, source,
        "fixes reported applied but the text did not change"
    );
    let before = check_text_with_limits(source, settings, limits);
    let after = check(&fixed.text, settings, limits);
    assert!(
        syntax_errors(&after) <= syntax_errors(&before),
        "fixing broke the text: {:?}\n--- fixed:\n{}",
        after.errors,
        fixed.text
    );
    assert_eq!(
        fixed.remaining, after,
        "the remaining report is not a fresh check"
    );
    assert_eq!(
        again.text, fixed.text,
        "fixing is not idempotent; second fix applied {:?}",
        again.applied
    );
    assert!(
        again.applied.is_empty(),
        "second fix applied {:?}",
        again.applied
    );
    assert_outside_edits_kept(source, &fixed.text, &before, fixed, options, limits);
}

/// Byte ranges of `source` that fixes may rewrite: the lines of each node
/// that an operation of a fixable finding of the source addresses (its key
/// included), or, when the node does not exist yet, the lines of its
/// deepest existing ancestor when that is a scalar, a null or an empty
/// collection (`securityContext: {}` becomes a mapping with the new entry);
/// a non-empty ancestor only gets text added. A removed list item allows
/// its whole list (with its key): later rounds number the items anew and
/// may remove the emptied list.
///
/// Every fixable finding of the source counts, not only the applied ones:
/// fixing goes in rounds, and a finding's fix in a later round (on the text
/// the earlier rounds made) may differ from its fix on the source.
fn edit_regions(
    source: &str,
    before: &Report,
    fixed: &FixedText,
    options: FixOptions,
    limits: &Limits,
) -> Vec<Span> {
    let (documents, _) = parse_stream(source, limits);
    let mut regions = Vec::new();
    for finding in &before.findings {
        let Some(fix) = finding.fix.as_ref().filter(|fix| options.allows(fix)) else {
            continue;
        };
        let Some(doc) = documents
            .iter()
            .find(|d| d.index == finding.object.document)
        else {
            continue;
        };
        for op in &fix.operations {
            if let Some(span) = addressed(&doc.root, op) {
                regions.push(whole_lines(source, span));
            }
        }
    }
    // And the field of each applied fix's finding: a finding may get its
    // fix only once another is applied (`allowPrivilegeEscalation: true`
    // beside `privileged: true`).
    for applied in &fixed.applied {
        let Some(doc) = documents.iter().find(|d| d.index == applied.document) else {
            continue;
        };
        let field = Operation::Replace {
            path: applied.pointer.clone(),
            value: serde_json::Value::Null,
        };
        if let Some(span) = addressed(&doc.root, &field) {
            regions.push(whole_lines(source, span));
        }
    }
    regions
}

/// The span an operation may rewrite in the document (see [`edit_regions`]).
fn addressed(root: &Node, op: &Operation) -> Option<Span> {
    let path = op.path();
    let tokens: Vec<String> = if path.is_empty() {
        Vec::new()
    } else {
        path.strip_prefix('/')?
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect()
    };
    let mut node = root;
    let mut span = root.span;
    let last = tokens.len().saturating_sub(1);
    for (i, token) in tokens.iter().enumerate() {
        let next = match &node.value {
            Value::Map(entries) => entries
                .iter()
                .find(|e| &e.key == token)
                .map(|e| (&e.value, e.span())),
            Value::Seq(items) => token
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i))
                .map(|n| (n, n.span)),
            _ => None,
        };
        match next {
            Some((child, child_span)) => {
                if i == last
                    && matches!(node.value, Value::Seq(_))
                    && matches!(op, Operation::Remove { .. })
                {
                    return span; // the list's entry, key included
                }
                node = child;
                span = child_span;
            }
            None => {
                let empty = match &node.value {
                    Value::Map(e) => e.is_empty(),
                    Value::Seq(i) => i.is_empty(),
                    _ => true,
                };
                return if empty { span } else { None };
            }
        }
    }
    span
}

/// `span` grown to whole lines, line break included, and the next line's
/// indentation (removing the first entry of a list item pulls the next
/// entry up after the `- `).
fn whole_lines(text: &str, span: Span) -> Span {
    let start = text[..span.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = span.end.min(text.len());
    let end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    let end = text.len() - text[end..].trim_start_matches(' ').len();
    Span::new(start, end)
}

/// Every byte of `source` outside the regions is in `fixed`, in order.
fn assert_outside_edits_kept(
    source: &str,
    fixed: &str,
    before: &Report,
    fixed_text: &FixedText,
    options: FixOptions,
    limits: &Limits,
) {
    let regions = edit_regions(source, before, fixed_text, options, limits);
    let operations: Vec<_> = fixed_text
        .applied
        .iter()
        .map(|a| {
            let ops = before
                .findings
                .iter()
                .find(|f| {
                    f.rule == a.rule && f.pointer == a.pointer && f.object.document == a.document
                })
                .and_then(|f| f.fix.as_ref())
                .map(|f| f.operations.clone());
            (a.rule, &a.pointer, ops)
        })
        .collect();
    let inside = |i: usize| regions.iter().any(|r| r.start <= i && i < r.end);
    let mut out = fixed.bytes();
    for (i, b) in source.bytes().enumerate() {
        if inside(i) {
            continue;
        }
        assert!(
            out.any(|o| o == b),
            "byte {i} ({:?}) of the source, outside the fixes' regions {regions:?}, \
             is not in the fixed text\n--- fixes: {operations:#?}\n--- source:\n{source}\n--- fixed:\n{fixed}",
            b as char
        );
    }
}
