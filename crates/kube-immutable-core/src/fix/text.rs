//! Fixes rendered as minimal text edits on the original source, so comments,
//! key order, quoting, indentation and line endings survive.
//!
//! An operation becomes one edit: a scalar replaced in place, an entry
//! inserted after the last line of its mapping at the mapping's indentation,
//! a list item appended in the list's own dash column, a line removed. Flow
//! collections and JSON documents get flow (JSON) text. Nodes that come from
//! a YAML alias or merge key are not edited (the edit would change every
//! copy), nor the value of a key written twice (removing it would bring the
//! first back): their findings stay.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::{select, AppliedFix, FixOptions, MAX_ROUNDS};
use crate::diagnostic::ErrorKind;
use crate::finding::{Finding, Operation};
use crate::node::{Entry, Node, Value};
use crate::settings::Settings;
use crate::span::Span;
use crate::yaml::Document;
use crate::{Limits, Report};

/// Replace `span` with `text` (an insertion when the span is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    pub span: Span,
    pub text: String,
    /// Among insertions at the same offset, lower goes first (deeper
    /// indentation first, so a nested entry lands inside its mapping).
    order: usize,
}

impl TextEdit {
    /// An edit made elsewhere (a diff): ordered as given among insertions
    /// at one offset.
    pub fn new(span: Span, text: String) -> Self {
        Self {
            span,
            text,
            order: 0,
        }
    }
}

/// The fixed text and what was done.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FixedText {
    pub text: String,
    pub applied: Vec<AppliedFix>,
    /// The check of the fixed text.
    pub remaining: Report,
}

/// Apply every allowed fix to a YAML or JSON stream.
pub fn fix_text(source: &str, settings: &Settings, options: FixOptions) -> FixedText {
    fix_text_with_limits(source, settings, options, &Limits::default())
}

/// [`fix_text`] for a stream of any length (the CLI's `fix`): fixed
/// document by document (the chunks of [`crate::stream::Splitter`], each
/// read and fixed alone), the check of the result put together from the
/// check of each fixed document ([`crate::stream::Assembler`]). The whole
/// text is kept, but only one document's tree at a time. The result is
/// [`fix_text_with_limits`]'s (`tests/fix_stream.rs`), its remaining
/// findings in the order every face prints them (by document, then
/// position).
pub fn fix_stream_with_limits(
    source: &str,
    settings: &Settings,
    options: FixOptions,
    limits: &Limits,
) -> FixedText {
    let chunks = stream_chunks(source);
    // A NUL voids the whole input's reading (YAML allows none): as a whole.
    if chunks.len() <= 1 || source.contains('\0') {
        return fix_text_with_limits(source, settings, options, limits);
    }
    let stream = crate::stream::Options {
        settings,
        limits,
        excerpts: false,
    };
    let mut assembler = crate::stream::Assembler::default();
    let mut text = String::with_capacity(source.len() + source.len() / 16);
    let mut origin = crate::stream::Origin::default();
    let mut applied = Vec::new();
    let mut first = 0;
    // What comes before the first document (a byte order mark) stays.
    let before = chunks.first().map_or(0, |c| c.0);
    text.push_str(&source[..before]);
    advance(&mut origin, &source[..before]);
    for &(start, end) in &chunks {
        let chunk = &source[start..end];
        if assembler.stopped() {
            // Past `max_documents`: neither read nor fixed.
            text.push_str(chunk);
            continue;
        }
        let fixed = fix_text_with_limits(chunk, settings, options, limits);
        let mut documents = 0;
        assembler.chunk(origin, limits, |sink| {
            documents = crate::stream::check_chunk(&fixed.text, &stream, sink);
            documents
        });
        applied.extend(fixed.applied.into_iter().map(|mut a| {
            a.document += first;
            a
        }));
        first += documents;
        text.push_str(&fixed.text);
        advance(&mut origin, &fixed.text);
    }
    FixedText {
        text,
        applied,
        remaining: assembler.finish(),
    }
}

/// Where the chunks of a stream start and end (byte ranges, none empty).
fn stream_chunks(source: &str) -> Vec<(usize, usize)> {
    let mut splitter = crate::stream::Splitter::default();
    let mut starts = Vec::new();
    splitter.feed(source, &mut starts);
    splitter.finish(&mut starts);
    let mut cuts = vec![splitter.stream_start().offset];
    cuts.extend(starts.iter().map(|o| o.offset));
    cuts.push(source.len());
    cuts.windows(2)
        .filter(|w| w[1] > w[0])
        .map(|w| (w[0], w[1]))
        .collect()
}

/// `origin` moved past `text`.
fn advance(origin: &mut crate::stream::Origin, text: &str) {
    origin.offset += text.len();
    origin.line += text.bytes().filter(|&b| b == b'\n').count();
    origin.utf16 += text.chars().map(char::len_utf16).sum::<usize>();
}

/// [`fix_text`] with explicit limits (the playground's are smaller): every
/// document's tree at once.
pub fn fix_text_with_limits(
    source: &str,
    settings: &Settings,
    options: FixOptions,
    limits: &Limits,
) -> FixedText {
    let mut current = source.to_owned();
    let mut applied = Vec::new();
    // Fixes applied or found unrenderable: never tried twice, so fixing ends.
    let mut done: BTreeSet<FixKey> = BTreeSet::new();
    // The check of `current`: each round's result is the next round's input.
    let mut state = crate::check_documents(&current, settings, limits);
    for _ in 0..MAX_ROUNDS {
        let (documents, report) = &state;
        let before = syntax_errors(report);
        let chosen: Vec<_> = select(report, options)
            .into_iter()
            .filter(|(f, _)| !done.contains(&key(f)))
            .collect();
        if chosen.is_empty() {
            break;
        }
        // Render every chosen fix; keep those whose edits overlap no other.
        let mut rendered: Vec<(AppliedFix, Vec<TextEdit>)> = Vec::new();
        for (finding, fix) in &chosen {
            let edits = documents
                .iter()
                .find(|d| d.index == finding.object.document)
                .and_then(|doc| render(&current, doc, &fix.operations));
            let Some(edits) = edits else {
                done.insert(key(finding)); // cannot be rendered (alias, merge key)
                continue;
            };
            let clash = edits.iter().any(|e| {
                rendered
                    .iter()
                    .flat_map(|(_, r)| r)
                    .any(|o| overlaps(e.span, o.span))
            });
            if !clash {
                rendered.push((AppliedFix::new(finding, fix), edits));
            }
        }
        let all: Vec<TextEdit> = rendered
            .iter()
            .flat_map(|(_, e)| e.iter().cloned())
            .collect();
        let mut next = apply_edits(&current, &all);
        let mut next_state = Some(crate::check_documents(&next, settings, limits));
        let mut kept: Vec<AppliedFix> = Vec::new();
        if next_state
            .as_ref()
            .is_some_and(|(_, r)| syntax_errors(r) > before)
        {
            // A rendering broke the text (a bug, or YAML we cannot edit):
            // add the fixes one at a time and drop those that break it;
            // one that breaks it only beside others (two entries added to
            // one empty `{}`) is rendered again on the next round's text.
            let mut edits: Vec<TextEdit> = Vec::new();
            next_state = None;
            for (applied_fix, fix_edits) in rendered {
                let mut trial = edits.clone();
                trial.extend(fix_edits);
                let candidate = apply_edits(&current, &trial);
                let checked = crate::check_documents(&candidate, settings, limits);
                if syntax_errors(&checked.1) > before {
                    if edits.is_empty() {
                        done.insert(applied_fix.key());
                    }
                } else {
                    edits = trial;
                    next = candidate;
                    next_state = Some(checked);
                    kept.push(applied_fix);
                }
            }
        } else {
            kept = rendered.into_iter().map(|(a, _)| a).collect();
        }
        let all_done = chosen.iter().all(|(f, _)| done.contains(&key(f)));
        match next_state {
            Some(checked) if !kept.is_empty() => {
                for a in &kept {
                    done.insert(a.key());
                }
                applied.extend(kept);
                current = next;
                state = checked;
            }
            _ if all_done => break,
            _ => {}
        }
    }
    FixedText {
        text: current,
        applied,
        remaining: state.1,
    }
}

/// What identifies a fix across rounds: document, rule, pointer.
type FixKey = (usize, &'static str, String);

fn key(f: &crate::Finding) -> FixKey {
    (f.object.document, f.rule, f.pointer.clone())
}

impl AppliedFix {
    fn key(&self) -> FixKey {
        (self.document, self.rule, self.pointer.clone())
    }
}

fn syntax_errors(report: &Report) -> usize {
    report
        .errors
        .iter()
        .filter(|e| e.kind == ErrorKind::Syntax)
        .count()
}

fn overlaps(a: Span, b: Span) -> bool {
    a.start < b.end && b.start < a.end
}

/// Apply non-overlapping edits.
pub fn apply_edits(text: &str, edits: &[TextEdit]) -> String {
    let order = crate::span::sorted_order(edits.iter().map(|e| {
        [
            e.span.start,
            usize::from(e.span.end > e.span.start),
            e.order,
        ]
    }));
    let sorted = order.into_iter().map(|i| &edits[i]);
    let mut out =
        String::with_capacity(text.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut at = 0;
    for edit in sorted {
        if edit.span.start < at {
            continue;
        }
        out.push_str(&text[at..edit.span.start]);
        out.push_str(&edit.text);
        at = edit.span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The document of `source` that holds byte `at`, read alone: only its
/// chunk of the stream (split as [`crate::yaml::parse_stream`] splits) is
/// parsed, so an editor's action on a 1 MB stream reads one document.
fn document_at(source: &str, at: usize, limits: &Limits) -> Option<Document> {
    if limits.input_too_large(source.len()).is_some() {
        return None;
    }
    let start = crate::yaml::stream_start(source);
    let chunk = crate::yaml::split_documents(source, start)
        .into_iter()
        .find(|c| c.start <= at && at < c.end.max(c.start + 1))?;
    let read = crate::yaml::read_chunk(&source[chunk.start..chunk.end], chunk.start, 0, limits);
    let mut documents = read.documents.into_iter();
    let first = documents.next()?;
    // A chunk holds one document but for `...` markers: take the one whose
    // root starts last at or before `at`.
    Some(documents.fold(first, |best, doc| match doc.root.span {
        Some(span) if span.start <= at => doc,
        _ => best,
    }))
}

/// Edits in the order to apply them (as [`apply_edits`] orders them), an
/// edit that overlaps an earlier one dropped: what an editor applies as is
/// (LSP applies insertions at one position in the order given).
fn in_order(edits: Vec<TextEdit>) -> Vec<TextEdit> {
    let order = crate::span::sorted_order(edits.iter().map(|e| {
        [
            e.span.start,
            usize::from(e.span.end > e.span.start),
            e.order,
        ]
    }));
    let mut slots: Vec<Option<TextEdit>> = edits.into_iter().map(Some).collect();
    let mut out: Vec<TextEdit> = Vec::with_capacity(slots.len());
    let mut at = 0;
    for i in order {
        let Some(edit) = slots[i].take() else {
            continue;
        };
        if edit.span.start < at {
            continue;
        }
        at = edit.span.end;
        out.push(edit);
    }
    out
}

/// The text edits of one finding's fix on `source`, the text it was
/// reported on, in the order to apply them: the edits `fix` makes for it
/// (an editor's quick fix). `None` when it has no fix, or one that cannot
/// be rendered on this text (a value an alias or merge key copies).
pub fn finding_edits(source: &str, finding: &Finding, limits: &Limits) -> Option<Vec<TextEdit>> {
    let fix = finding.fix.as_ref()?;
    let doc = document_at(source, finding.span?.start, limits)?;
    render(source, &doc, &fix.operations).map(in_order)
}

/// The text edits that add `rule` to the [`IGNORE_ANNOTATION`] of the
/// object a finding is about (creating `metadata` and `annotations` as
/// needed), with `reason` after a colon when the annotation gives none yet.
/// `None` when the rule is already listed, or the annotation cannot be
/// edited (not a string, copied by an alias).
///
/// [`IGNORE_ANNOTATION`]: crate::IGNORE_ANNOTATION
pub fn ignore_edits(
    source: &str,
    finding: &Finding,
    reason: &str,
    limits: &Limits,
) -> Option<Vec<TextEdit>> {
    let doc = document_at(source, finding.span?.start, limits)?;
    let object_pointer = &finding.object.pointer;
    let object = doc.root.pointer(object_pointer)?;
    let annotation = crate::IGNORE_ANNOTATION;
    let escaped = annotation.replace('~', "~0").replace('/', "~1");
    let rule = finding.rule;
    let metadata = object.get("metadata").filter(|m| !m.is_null());
    let annotations = metadata
        .and_then(|m| m.get("annotations"))
        .filter(|a| !a.is_null());
    let operation = match (metadata, annotations) {
        (None, _) => Operation::Add {
            path: format!("{object_pointer}/metadata"),
            value: serde_json::json!({ "annotations": { annotation: format!("{rule}: {reason}") } }),
        },
        (Some(_), None) => Operation::Add {
            path: format!("{object_pointer}/metadata/annotations"),
            value: serde_json::json!({ annotation: format!("{rule}: {reason}") }),
        },
        (Some(_), Some(annotations)) => {
            let path = format!("{object_pointer}/metadata/annotations/{escaped}");
            match annotations.get(annotation) {
                None => Operation::Add {
                    path,
                    value: Json::String(format!("{rule}: {reason}")),
                },
                Some(existing) => {
                    let existing = existing.as_str()?;
                    let (ids, given) = match existing.split_once(':') {
                        Some((ids, why)) => (ids, Some(why.trim())),
                        None => (existing, None),
                    };
                    let mut ids: Vec<&str> = ids
                        .split(',')
                        .map(str::trim)
                        .filter(|id| !id.is_empty())
                        .collect();
                    if ids
                        .iter()
                        .any(|id| *id == rule || *id == "all" || *id == "*")
                    {
                        return None;
                    }
                    ids.push(rule);
                    let why = given.filter(|w| !w.is_empty()).unwrap_or(reason);
                    Operation::Replace {
                        path,
                        value: Json::String(format!("{}: {why}", ids.join(","))),
                    }
                }
            }
        }
    };
    render(source, &doc, &[operation]).map(in_order)
}

/// How the document writes things.
struct Style {
    newline: &'static str,
    /// Indentation step of nested mappings.
    step: usize,
    /// List items indented under their key (`key:\n  - a`) or not (`key:\n- a`).
    indented_lists: bool,
    /// The document is JSON: flow text gets quoted keys.
    json: bool,
}

impl Style {
    fn detect(text: &str, root: &Node) -> Self {
        let mut style = Style {
            newline: if text.contains("\r\n") { "\r\n" } else { "\n" },
            step: 2,
            indented_lists: true,
            json: root
                .span
                .is_some_and(|s| text[s.start..].starts_with(['{', '['])),
        };
        let (mut step, mut lists) = (None, None);
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            if step.is_some() && lists.is_some() {
                break;
            }
            match &node.value {
                Value::Map(entries) => {
                    for e in entries {
                        let (Some(k), Some(v)) = (e.key_span, e.value.span) else {
                            continue;
                        };
                        if is_flow(text, &e.value) {
                            continue;
                        }
                        match &e.value.value {
                            Value::Map(children) if step.is_none() => {
                                if let Some(child) = children.first().and_then(|c| c.key_span) {
                                    let d = column(text, child.start)
                                        .saturating_sub(column(text, k.start));
                                    if d > 0 {
                                        step = Some(d);
                                    }
                                }
                            }
                            Value::Seq(items) if lists.is_none() && !items.is_empty() => {
                                if let Some(dash) = dash_before(text, v.start) {
                                    lists = Some(column(text, dash) > column(text, k.start));
                                }
                            }
                            _ => {}
                        }
                        stack.push(&e.value);
                    }
                }
                Value::Seq(items) => stack.extend(items.iter()),
                _ => {}
            }
        }
        style.step = step.unwrap_or(2);
        style.indented_lists = lists.unwrap_or(true);
        style
    }
}

/// Edits for one fix's operations, or `None` when one cannot be rendered.
fn render(text: &str, doc: &Document, operations: &[Operation]) -> Option<Vec<TextEdit>> {
    let style = Style::detect(text, &doc.root);
    let mut edits = Vec::new();
    // Lists whose removed items were already turned into edits.
    let mut edits_for_list: Vec<&str> = Vec::new();
    for op in operations {
        let path = op.path();
        let slash = path.rfind('/')?;
        let (parent_path, last) = (
            &path[..slash],
            path[slash + 1..].replace("~1", "/").replace("~0", "~"),
        );
        let parent = doc.root.pointer(parent_path)?;
        if parent.aliased || parent.span.is_none() {
            return None;
        }
        let edit = match (op, &parent.value) {
            (
                Operation::Add { value, .. } | Operation::Replace { value, .. },
                Value::Map(entries),
            ) => match entries.iter().find(|e| e.key == last) {
                Some(entry) => replace_entry(text, &style, entry, is_flow(text, parent), value)?,
                None if matches!(op, Operation::Add { .. }) => {
                    // Entries this fix removes from the same mapping are not
                    // there to insert after.
                    let removed: Vec<&str> = operations
                        .iter()
                        .filter_map(|o| match o {
                            Operation::Remove { path } => {
                                path.strip_prefix(parent_path)?.strip_prefix('/')
                            }
                            _ => None,
                        })
                        .collect();
                    insert_entry(text, &style, parent, &last, value, &removed)?
                }
                None => return None,
            },
            (Operation::Add { value, .. }, Value::Seq(_)) if last == "-" => {
                append_item(text, &style, parent, value)?
            }
            (Operation::Remove { .. }, Value::Map(entries)) => {
                let i = entries.iter().position(|e| e.key == last)?;
                remove_entry(text, parent, entries, i)?
            }
            (Operation::Remove { .. }, Value::Seq(items)) => {
                // Every item this fix removes from the list, in one go: in a
                // flow list the commas between them belong to the run.
                if edits_for_list.contains(&parent_path) {
                    continue;
                }
                edits_for_list.push(parent_path);
                let removed: Vec<usize> = operations
                    .iter()
                    .filter_map(|o| match o {
                        Operation::Remove { path } => path
                            .strip_prefix(parent_path)?
                            .strip_prefix('/')?
                            .parse()
                            .ok(),
                        _ => None,
                    })
                    .collect();
                edits.extend(remove_items(text, parent, items, &removed)?);
                continue;
            }
            _ => return None,
        };
        edits.push(edit);
    }
    Some(edits)
}

/// Remove list items: in block style each item's lines, in flow style each
/// run of removed items with the comma that joins it to a kept neighbour.
fn remove_items(
    text: &str,
    seq: &Node,
    items: &[Node],
    removed: &[usize],
) -> Option<Vec<TextEdit>> {
    // Which items go, each once (a mask rather than a set: no sort).
    let mut mask = vec![false; items.len()];
    for &i in removed {
        if i >= items.len() || items[i].aliased {
            return None;
        }
        mask[i] = true;
    }
    let removed = |i: usize| mask[i];
    let span = |i: usize| items[i].span;
    let mut edits = Vec::new();
    if is_flow(text, seq) {
        let mut i = 0;
        while i < items.len() {
            if !removed(i) {
                i += 1;
                continue;
            }
            let first = i;
            while i + 1 < items.len() && removed(i + 1) {
                i += 1;
            }
            let last = i;
            let range = if last + 1 < items.len() {
                Span::new(span(first)?.start, span(last + 1)?.start)
            } else if first > 0 {
                Span::new(span(first - 1)?.end, span(last)?.end)
            } else {
                Span::new(span(first)?.start, span(last)?.end)
            };
            edits.push(TextEdit {
                span: range,
                text: String::new(),
                order: 0,
            });
            i += 1;
        }
        return Some(edits);
    }
    for i in (0..items.len()).filter(|&i| removed(i)) {
        let item = span(i)?;
        let dash = dash_before(text, item.start)?;
        let start = line_start(text, dash);
        // Only `- item` on its own lines: anything before the dash (a
        // nested `- - x`) is left alone.
        if !text[start..dash].trim().is_empty() {
            return None;
        }
        // To the start of the line after the item (a span that already
        // ends at a line start ends there).
        let end = if item.end > start && text[..item.end].ends_with('\n') {
            item.end
        } else {
            after_line(text, item.end, &Style::plain()).0
        };
        edits.push(TextEdit {
            span: Span::new(start, end.max(start)),
            text: String::new(),
            order: 0,
        });
    }
    Some(edits)
}

/// Replace an entry's value; `in_flow` when its mapping is a flow one.
fn replace_entry(
    text: &str,
    style: &Style,
    entry: &Entry,
    in_flow: bool,
    value: &Json,
) -> Option<TextEdit> {
    if entry.value.aliased {
        return None;
    }
    let key_span = entry.key_span?;
    let end = entry_end(text, entry)?;
    let old = entry.value.span?;
    let scalar_old = !matches!(
        entry.value.value,
        Value::Map(_) | Value::Seq(_) | Value::Null
    );
    if scalar_old && !value.is_object() && !value.is_array() && !old.is_empty() {
        return Some(TextEdit {
            span: old,
            text: scalar(value, style.json),
            order: 0,
        });
    }
    let key = &text[key_span.start..key_span.end];
    let new = if in_flow || style.json {
        format!("{key}: {}", flow(value, style.json))
    } else {
        let mut block = String::new();
        block_entry(&mut block, style, key, value, column(text, key_span.start));
        let block = block.trim_start_matches(' ');
        block
            .strip_suffix(style.newline)
            .unwrap_or(block)
            .to_owned()
    };
    Some(TextEdit {
        span: Span::new(key_span.start, end),
        text: new,
        order: 0,
    })
}

fn insert_entry(
    text: &str,
    style: &Style,
    map: &Node,
    key: &str,
    value: &Json,
    removed: &[&str],
) -> Option<TextEdit> {
    let span = map.span?;
    let entries = map.as_map()?;
    if is_flow(text, map) {
        let entry = format!("{}: {}", flow_key(key, style.json), flow(value, style.json));
        let last = entries.iter().rfind(|e| !removed.contains(&e.key.as_str()));
        return Some(match last {
            None => TextEdit {
                span: Span::empty(span.start + 1),
                text: entry,
                order: 0,
            },
            Some(last) => {
                let at = entry_end(text, last)?;
                let last_key = last.key_span?.start;
                let sep = if line_start(text, last_key) > span.start {
                    format!(",{}{}", style.newline, " ".repeat(column(text, last_key)))
                } else {
                    ", ".to_owned()
                };
                TextEdit {
                    span: Span::empty(at),
                    text: format!("{sep}{entry}"),
                    order: 0,
                }
            }
        });
    }
    let indent = column(text, entries.first()?.key_span?.start);
    let (at, lead) = after_line(text, span.end, style);
    let mut out = lead;
    block_entry(&mut out, style, key, value, indent);
    Some(TextEdit {
        span: Span::empty(at),
        text: out,
        order: insertion_order(indent, false),
    })
}

fn append_item(text: &str, style: &Style, seq: &Node, value: &Json) -> Option<TextEdit> {
    let span = seq.span?;
    let items = seq.as_seq()?;
    if is_flow(text, seq) {
        let item = flow(value, style.json);
        return Some(match items.last() {
            None => TextEdit {
                span: Span::empty(span.start + 1),
                text: item,
                order: 0,
            },
            Some(last) => {
                let last = last.span?;
                let sep = if line_start(text, last.start) > span.start {
                    format!(",{}{}", style.newline, " ".repeat(column(text, last.start)))
                } else {
                    ", ".to_owned()
                };
                TextEdit {
                    span: Span::empty(last.end),
                    text: format!("{sep}{item}"),
                    order: 0,
                }
            }
        });
    }
    let dash = dash_before(text, items.first()?.span?.start)?;
    let dash_col = column(text, dash);
    let (at, lead) = after_line(text, span.end, style);
    let mut out = lead;
    block_item(&mut out, style, value, dash_col);
    Some(TextEdit {
        span: Span::empty(at),
        text: out,
        order: insertion_order(dash_col, true),
    })
}

fn remove_entry(text: &str, map: &Node, entries: &[Entry], i: usize) -> Option<TextEdit> {
    let entry = &entries[i];
    if entry.value.aliased {
        return None;
    }
    let key = entry.key_span?.start;
    let end = entry_end(text, entry)?;
    let next_key = entries.get(i + 1).and_then(|e| e.key_span).map(|s| s.start);
    if is_flow(text, map) {
        let span = match (next_key, i.checked_sub(1).map(|p| &entries[p])) {
            (Some(next), _) => Span::new(key, next),
            (None, Some(prev)) => Span::new(entry_end(text, prev)?, end),
            (None, None) => Span::new(key, end),
        };
        return Some(TextEdit {
            span,
            text: String::new(),
            order: 0,
        });
    }
    let start = line_start(text, key);
    if text[start..key].trim().is_empty() {
        let stop = after_line(text, end, &Style::plain()).0;
        return Some(TextEdit {
            span: Span::new(start, stop),
            text: String::new(),
            order: 0,
        });
    }
    // The entry follows a `- ` on its line: pull the next entry up, or
    // leave an empty mapping.
    Some(match next_key {
        Some(next) => TextEdit {
            span: Span::new(key, next),
            text: String::new(),
            order: 0,
        },
        None => TextEdit {
            span: Span::new(key, end),
            text: "{}".to_owned(),
            order: 0,
        },
    })
}

impl Style {
    fn plain() -> Self {
        Style {
            newline: "\n",
            step: 2,
            indented_lists: true,
            json: false,
        }
    }
}

/// Where an entry ends: its value's end, or just after the `:` when the
/// value is empty (the parser puts an empty value at the key).
fn entry_end(text: &str, entry: &Entry) -> Option<usize> {
    let key = entry.key_span?;
    let value = entry.value.span?;
    // No value text: `key:`, `{key :}`, or `{key}`, whose null the parser
    // marks with the `}`. After the colon if one follows the key.
    if entry.value.is_null() && (value.is_empty() || text[value.start..].starts_with('}')) {
        let rest = text[key.end..].trim_start_matches(' ');
        return Some(text.len() - rest.len() + usize::from(rest.starts_with(':')));
    }
    Some(value.end.max(key.end))
}

/// The start of the line after `offset`'s line, and what to put first when
/// the text ends without a line break.
fn after_line(text: &str, offset: usize, style: &Style) -> (usize, String) {
    match text[offset..].find('\n') {
        Some(i) => (offset + i + 1, String::new()),
        None => (text.len(), style.newline.to_owned()),
    }
}

/// Insertions at one offset close several nested collections at once: the
/// deepest goes first, and at one column a list item (`- x` at the column of
/// its key, in compact style) before a new sibling key.
fn insertion_order(column: usize, list_item: bool) -> usize {
    (usize::MAX / 2 - column) * 2 + usize::from(!list_item)
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// Column in characters (0-based).
fn column(text: &str, offset: usize) -> usize {
    text[line_start(text, offset)..offset].chars().count()
}

/// The `-` of the list item that starts at `item`, on the same line.
fn dash_before(text: &str, item: usize) -> Option<usize> {
    let start = line_start(text, item);
    let before = &text[start..item];
    let dash = before.rfind('-')?;
    before[dash + 1..].trim().is_empty().then_some(start + dash)
}

fn is_flow(text: &str, node: &Node) -> bool {
    node.span
        .is_some_and(|s| text[s.start..].starts_with(['{', '[']))
}

fn block_entry(out: &mut String, style: &Style, key: &str, value: &Json, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Json::Object(map) if !map.is_empty() => {
            out.push_str(&format!("{pad}{key}:{}", style.newline));
            for (k, v) in map {
                block_entry(out, style, &flow_key(k, false), v, indent + style.step);
            }
        }
        Json::Array(items) if !items.is_empty() => {
            out.push_str(&format!("{pad}{key}:{}", style.newline));
            let dash = if style.indented_lists {
                indent + style.step
            } else {
                indent
            };
            for item in items {
                block_item(out, style, item, dash);
            }
        }
        _ => out.push_str(&format!(
            "{pad}{key}: {}{}",
            flow(value, false),
            style.newline
        )),
    }
}

fn block_item(out: &mut String, style: &Style, value: &Json, dash: usize) {
    match value {
        Json::Object(map) if !map.is_empty() => {
            let mut body = String::new();
            for (k, v) in map {
                block_entry(&mut body, style, &flow_key(k, false), v, dash + 2);
            }
            out.push_str(&" ".repeat(dash));
            out.push_str("- ");
            out.push_str(&body[dash + 2..]);
        }
        _ => out.push_str(&format!(
            "{}- {}{}",
            " ".repeat(dash),
            flow(value, false),
            style.newline
        )),
    }
}

/// Flow (or JSON) text of a value.
fn flow(value: &Json, json: bool) -> String {
    match value {
        Json::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", flow_key(k, json), flow(v, json)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Json::Array(items) => {
            let items: Vec<String> = items.iter().map(|v| flow(v, json)).collect();
            format!("[{}]", items.join(", "))
        }
        other => scalar(other, json),
    }
}

fn flow_key(key: &str, json: bool) -> String {
    if json || !plain_safe(key) {
        crate::node::json_string(key)
    } else {
        key.to_owned()
    }
}

fn scalar(value: &Json, json: bool) -> String {
    match value {
        Json::String(s) if !json && plain_safe(s) => s.clone(),
        Json::String(s) => crate::node::json_string(s),
        Json::Number(n) => n.to_string(),
        Json::Bool(b) => b.to_string(),
        Json::Null => "null".to_owned(),
        // Callers pass scalars only.
        Json::Array(_) | Json::Object(_) => flow(value, json),
    }
}

/// A string that reads back as the same string when written plain.
fn plain_safe(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
        && !s.starts_with(['-', '.'])
        && matches!(crate::yaml::resolve_plain_str(s), Value::Str(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_written_as_serde_json_writes_them() {
        let all_controls: String = (0u8..0x20).map(char::from).collect();
        let strings = [
            "",
            "plain",
            "say \"hi\"",
            "back\\slash",
            "é ü 漢字 🦀 \u{7f} \u{2028}",
            &all_controls,
        ];
        for s in strings {
            let value = Json::String(s.to_owned());
            assert_eq!(scalar(&value, true), value.to_string(), "{s:?}");
            assert_eq!(flow_key(s, true), value.to_string(), "{s:?}");
        }
        for value in [
            serde_json::json!(0),
            serde_json::json!(-12),
            serde_json::json!(u64::MAX),
            serde_json::json!(1.5),
            serde_json::json!(1e300),
            serde_json::json!(true),
            serde_json::json!(false),
            serde_json::json!(null),
        ] {
            assert_eq!(scalar(&value, true), value.to_string());
            assert_eq!(scalar(&value, false), value.to_string());
        }
    }

    fn fix(text: &str, unsafe_fixes: bool) -> String {
        fix_text(text, &Settings::default(), FixOptions { unsafe_fixes }).text
    }

    #[test]
    fn block_style_keeps_comments_and_adds_at_the_right_indentation() {
        let source = "\
apiVersion: v1
kind: Pod
metadata:
  name: web # the name
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    securityContext:
      privileged: true # was needed once
";
        let fixed = fix(source, false);
        // `allowPrivilegeEscalation: false` comes in a second round: the API
        // server rejects it while the container is still privileged.
        assert_eq!(
            fixed,
            "\
apiVersion: v1
kind: Pod
metadata:
  name: web # the name
spec:
  containers:
  - name: nginx
    image: nginx:1.27
    securityContext:
      privileged: false # was needed once
      readOnlyRootFilesystem: true
      allowPrivilegeEscalation: false
    volumeMounts:
    - name: nginx-cache
      mountPath: /var/cache/nginx
    - name: nginx-run
      mountPath: /var/run
    - name: nginx-tmp
      mountPath: /tmp
  volumes:
  - name: nginx-cache
    emptyDir: {}
  - name: nginx-run
    emptyDir: {}
  - name: nginx-tmp
    emptyDir: {}
"
        );
        assert_eq!(fix(&fixed, false), fixed, "fixing is idempotent");
    }

    #[test]
    fn json_stays_json_and_crlf_stays_crlf() {
        let source = "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}, \"spec\": {\"containers\": [{\"name\": \"app\", \"image\": \"nginx\"}]}}\r\n";
        let fixed = fix(source, false);
        let value: Json = serde_json::from_str(&fixed).expect("still JSON");
        assert_eq!(
            value["spec"]["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
            Json::Bool(true)
        );
        assert!(fixed.ends_with("}\r\n"));

        let crlf =
            "kind: Pod\r\nspec:\r\n  containers:\r\n    - name: app\r\n      image: nginx\r\n";
        let fixed = fix(crlf, false);
        assert!(
            !fixed.replace("\r\n", "").contains('\n'),
            "only CRLF line breaks: {fixed:?}"
        );
        assert!(
            fixed.contains("    - name: app\r\n      image: nginx\r\n      securityContext:\r\n"),
            "{fixed}"
        );
    }

    #[test]
    fn unsafe_fixes_remove_root_and_host_namespaces() {
        let source = "kind: Pod\nspec:\n  hostNetwork: true\n  securityContext:\n    runAsUser: 0\n  containers:\n    - name: app\n      image: nginx:1.27\n";
        let fixed = fix(source, true);
        assert!(!fixed.contains("hostNetwork"), "{fixed}");
        assert!(!fixed.contains("runAsUser"), "{fixed}");
        assert!(fixed.contains("runAsNonRoot: true"), "{fixed}");
        let report = crate::check_text(&fixed, &Settings::default());
        assert!(report.findings.is_empty(), "{:#?}", report.findings);
        assert_eq!(fix(&fixed, true), fixed);
    }

    #[test]
    fn aliased_nodes_are_left_alone() {
        let source = "kind: Pod\nspec:\n  containers:\n    - &c\n      name: app\n      image: nginx\n      securityContext: {privileged: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}\n  initContainers:\n    - *c\n";
        let fixed = fix(source, false);
        // The anchored container is fixed in place; its alias follows.
        assert!(fixed.contains("privileged: false"), "{fixed}");
        let report = crate::check_text(&fixed, &Settings::default());
        assert!(
            !report.findings.iter().any(|f| f.rule == "privileged"),
            "{fixed}"
        );
    }

    #[test]
    fn flow_style_yaml_gets_flow_edits() {
        let source = "kind: Pod\nspec: {containers: [{name: app, image: nginx, securityContext: {privileged: true}}]}\n";
        let fixed = fix(source, false);
        assert_eq!(
            fixed,
            "kind: Pod\nspec: {containers: [{name: app, image: nginx, securityContext: {privileged: false, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false}, volumeMounts: [{name: app-cache, mountPath: /var/cache/nginx}, {name: app-run, mountPath: /var/run}, {name: app-tmp, mountPath: /tmp}]}], volumes: [{name: app-cache, emptyDir: {}}, {name: app-run, emptyDir: {}}, {name: app-tmp, emptyDir: {}}]}\n"
        );
        assert_eq!(fix(&fixed, false), fixed);
    }

    #[test]
    fn indented_lists_stay_indented_and_existing_volumes_are_reused() {
        let source = "\
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          volumeMounts:
            - name: web-run
              mountPath: /var/run/
      volumes:
        - name: web-cache
          configMap:
            name: keep-me
";
        let fixed = fix(source, false);
        // `/var/run/` is already mounted; `web-cache` is a (read-only)
        // configMap, so the cache gets an emptyDir of another name.
        assert_eq!(
            fixed,
            "\
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          volumeMounts:
            - name: web-run
              mountPath: /var/run/
            - name: web-cache-2
              mountPath: /var/cache/nginx
            - name: web-tmp
              mountPath: /tmp
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
      volumes:
        - name: web-cache
          configMap:
            name: keep-me
        - name: web-cache-2
          emptyDir: {}
        - name: web-tmp
          emptyDir: {}
"
        );
    }

    #[test]
    fn an_existing_empty_dir_of_the_same_name_is_reused() {
        let source = "kind: Pod\nspec:\n  containers:\n  - name: nginx\n    image: nginx\n  volumes:\n  - name: nginx-cache\n    emptyDir: {}\n";
        let fixed = fix(source, false);
        assert_eq!(
            fixed.matches("name: nginx-cache").count(),
            2,
            "one mount, one volume:\n{fixed}"
        );
        assert!(
            fixed.contains("- name: nginx-cache\n      mountPath: /var/cache/nginx\n"),
            "{fixed}"
        );
    }

    #[test]
    fn a_multi_line_flow_mapping_gets_flow_text() {
        // `securityContext` is null: the fix replaces the whole entry, in
        // flow style although the key starts its line.
        let source = "kind: Pod\nspec:\n  containers: [{\n    name: app,\n    image: nginx,\n    securityContext:\n  }]\n";
        let fixed = fix(source, false);
        assert!(
            fixed.contains("    securityContext: {allowPrivilegeEscalation: false"),
            "{fixed}"
        );
        let report = crate::check_text(&fixed, &Settings::default());
        assert!(report.errors.is_empty(), "{:?}\n{fixed}", report.errors);
        assert!(
            !report
                .findings
                .iter()
                .any(|f| f.rule == "privilege-escalation-not-disabled"),
            "{fixed}"
        );
    }
}
