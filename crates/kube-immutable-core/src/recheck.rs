//! Checking a text again as it is edited, as an editor does.
//!
//! A stream is read document by document (its chunks, split at `---`), and
//! what a document holds depends on its own text alone. A [`Rechecker`]
//! keeps, for each chunk of the last text checked, its findings and errors
//! with spans relative to the chunk and document indices relative to its
//! first document. On the next check, an unchanged chunk is not read again:
//! its results are moved to where the chunk now starts. Typing in one
//! document of a 1 MB stream re-reads that document only.
//!
//! A `List` (what `kubectl get -o yaml` prints) is one document, so its
//! items are kept the same way: when its text can be cut into its items
//! (block style, `items:` at the root, every item's `- ` at one
//! indentation; see [`list_items`]), each item is read on its own and its
//! results kept by its text, and the document's own part (`apiVersion`,
//! `kind`, `metadata`) is read apart. Typing in one item re-reads that
//! item. Whatever reading alone could read differently (an alias, a
//! directive, a syntax error, a duplicate key, limits) reads the chunk
//! whole.
//!
//! The report is [`check_text_with_limits`](crate::check_text_with_limits)'s,
//! to the byte: `tests/recheck.rs` holds it to that over random edits.

use std::ops::Range;

use crate::node::Value;
use crate::span::utf16_len;
use crate::yaml::{for_each_chunk, line_spans, read_chunk, stream_start, Loaded, Loader};
use crate::{check_read, engine, locate, span, Diagnostic, Finding, Limits, Report, Settings};

/// Checks successive versions of a text, re-reading only the documents
/// (and the items of a `List`) whose text changed since the last check.
///
/// ```
/// use kube_immutable_core::{check_text, Limits, Rechecker, Settings};
///
/// let settings = Settings::default();
/// let mut rechecker = Rechecker::default();
/// let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: [{name: c, image: nginx:1.27}]\n";
/// let first = rechecker.check(pod, &settings, &Limits::default());
/// // Only the new document is read; the first one's findings move along.
/// let edited = format!("{pod}---\n{pod}");
/// let second = rechecker.check(&edited, &settings, &Limits::default());
/// assert_eq!(second, check_text(&edited, &settings));
/// assert_eq!(second.findings.len(), 2 * first.findings.len());
/// ```
#[derive(Debug, Default)]
pub struct Rechecker {
    cache: Cache,
    /// The last text checked: the indices' keys are places in it, not
    /// copies of their texts (an editor holds its text once, here).
    text: String,
}

/// What a [`Rechecker`] keeps of its checks, beside the text.
#[derive(Debug, Default)]
struct Cache {
    /// What the cached results were checked with: other settings or limits
    /// start afresh, and so does a check that did not end (`None` while a
    /// check runs).
    checked_with: Option<(Settings, Limits)>,
    /// The last text's chunks, in its order (a chunk whose text came twice
    /// is there twice). A `List` read item by item is its document's own
    /// part followed by its items' (`Chunk::items`).
    chunks: Vec<Chunk>,
    /// Where each chunk's text is in `chunks` (its first place).
    index: Index,
    /// Where each `List` item's text is in `chunks` (its first place).
    items: Index,
    /// The chunks of the last check, in order: indices into `chunks`.
    order: Vec<usize>,
    /// The stream's own error (too large, too many documents), located.
    stream_error: Option<Diagnostic>,
}

/// Chunks (or items) by their text: each key a place in the text it was
/// found in (the last text checked, or for a slot marked [`NEW`] the text
/// being checked) and where its results are in [`Cache::chunks`],
/// looked up by the text's hash and compared in full there.
type Index = crate::hashed::Table;
type Key = crate::hashed::Entry;

/// A chunk's (or an item's) hash: all of every chunk is hashed on every
/// check, and the standard library's SipHash was a third of a keystroke's
/// check in the browser. A multiply-rotate over 8-byte words (FxHash's) is
/// several times faster. It resists no crafted collisions, which would
/// only slow the lookups of whoever crafted their own text (the keys are
/// compared in full, so results stay exact).
fn text_hash(text: &str) -> u64 {
    let add =
        |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    let mut words = text.as_bytes().chunks_exact(8);
    let mut hash = 0;
    for word in &mut words {
        let mut w = [0; 8];
        w.copy_from_slice(word);
        hash = add(hash, u64::from_le_bytes(w));
    }
    for &b in words.remainder() {
        hash = add(hash, u64::from(b));
    }
    add(hash, text.len() as u64)
}

/// A chunk (or an item) of the text being checked, and its hash, computed
/// once for its lookup and its key.
#[derive(Clone, Copy)]
struct Piece {
    hash: u64,
    start: usize,
    len: usize,
}

impl Piece {
    fn new(text: &str, start: usize, len: usize) -> Self {
        Piece {
            hash: text_hash(&text[start..start + len]),
            start,
            len,
        }
    }
}

/// Where a chunk sits in a stream: its byte offset, the index of its first
/// document, and the lines and UTF-16 code units before it; for an item of
/// a `List`, its index in the list. A chunk (and an item) starts at the
/// start of a line (or after a byte order mark, which no column counts), so
/// moving it moves its positions' lines, offsets and UTF-16 offsets, never
/// their columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Place {
    base: usize,
    first: usize,
    lines: usize,
    utf16: usize,
    item: usize,
}

impl Place {
    /// The place of an item found at `within` of a chunk placed here.
    fn plus(self, within: Place) -> Place {
        Place {
            base: self.base + within.base,
            first: self.first,
            lines: self.lines + within.lines,
            utf16: self.utf16 + within.utf16,
            item: within.item,
        }
    }
}

/// One chunk's results, where the chunk was last placed: spans, positions
/// and document indices are those of the stream it was in (as if it were
/// the whole stream when it has not been placed yet). The same for one
/// item of a `List` (pointers `/items/N` from its document's root).
#[derive(Debug, Clone, Default)]
struct Chunk {
    /// Document indices the chunk takes (none for an item).
    count: usize,
    findings: Vec<Finding>,
    errors: Vec<Diagnostic>,
    objects: usize,
    suppressed: usize,
    manifests: usize,
    at: Place,
    /// Line breaks and UTF-16 code units in the chunk's text.
    lines: usize,
    utf16: usize,
    /// A `List` read item by item: this many items' results follow it in
    /// [`Cache::chunks`], and it holds the document's own part.
    items: usize,
    /// An item's place in its chunk (bytes, lines and UTF-16 code units
    /// before it, its index), as its chunk was last read.
    within: Place,
    /// An item's nodes, as the document counts them (`max_nodes`).
    nodes: usize,
}

impl Chunk {
    fn check(text: &str, settings: &Settings, limits: &Limits) -> Self {
        // The unit tests' stand-in for a bug in the core.
        #[cfg(test)]
        assert!(!text.contains(tests::BUG), "a bug in the core");
        let read = read_chunk(text, 0, 0, limits);
        let mut report = check_read(&read.documents, read.errors, settings);
        locate(&mut report, text);
        if text.starts_with('\u{feff}') {
            // Only the first chunk of a stream that had a byte order mark
            // (the stream's own) can start with a second one: the column
            // counts it there, as a full check does, where this chunk's
            // positions took it for the stream's.
            let positions = report.findings.iter_mut().flat_map(|f| {
                let related = f.related.as_mut().map(|r| [&mut r.start, &mut r.end]);
                [&mut f.start, &mut f.end]
                    .into_iter()
                    .chain(related.into_iter().flatten())
            });
            let positions = positions.chain(
                report
                    .errors
                    .iter_mut()
                    .flat_map(|e| [&mut e.start, &mut e.end]),
            );
            for p in positions.flatten() {
                if p.line == 1 && p.offset > 0 {
                    p.column += 1;
                }
            }
        }
        Chunk {
            count: read.count,
            findings: report.findings,
            errors: report.errors,
            objects: report.objects,
            suppressed: report.suppressed,
            manifests: report.manifests,
            lines: lines(text),
            utf16: utf16_len(text),
            ..Chunk::default()
        }
    }

    /// Item `index` of a `List` (`text` runs from its line's start, its
    /// `- ` at its indentation, to the next item's line), read alone as the
    /// document reads it: the one item of a list. `None` when reading it
    /// alone may not give what the document gives: an error (the text cut
    /// inside a quoted scalar or a flow collection ends in one), an alias
    /// (an anchor may be elsewhere; the alias budget is the document's).
    fn item(text: &str, index: usize, settings: &Settings, limits: &Limits) -> Option<Self> {
        // The document nests it in its root and `items`; alone, in a list.
        let limits = Limits {
            max_depth: limits.max_depth.checked_sub(1)?,
            ..*limits
        };
        let (root, mut errors, nodes) = read_alone(text, &limits)?;
        let Value::Seq(mut list) = root.value else {
            return None;
        };
        let item = list.pop().filter(|_| list.is_empty())?;
        let pointer = format!("/items/{index}");
        // Duplicate keys: their pointers from the list read, `/0/...`.
        for e in &mut errors {
            if let Some(p) = &mut e.pointer {
                renumber(p, "/0", &pointer);
            }
            e.document = Some(0);
        }
        let mut report = Report {
            errors,
            ..Report::default()
        };
        engine::check_node_at(
            &item,
            0,
            pointer,
            settings,
            &engine::Context::default(),
            &mut report,
        );
        locate(&mut report, text);
        Some(Chunk {
            findings: report.findings,
            errors: report.errors,
            objects: report.objects,
            suppressed: report.suppressed,
            at: Place {
                item: index,
                ..Place::default()
            },
            lines: lines(text),
            utf16: utf16_len(text),
            // Without the list it is read in.
            nodes: nodes.saturating_sub(1),
            ..Chunk::default()
        })
    }

    /// Move the results to another place in the stream.
    fn move_to(&mut self, to: Place) {
        let from = std::mem::replace(&mut self.at, to);
        if from == to {
            return;
        }
        let span = |s: &mut Option<crate::Span>| {
            if let Some(s) = s {
                s.start = s.start - from.base + to.base;
                s.end = s.end - from.base + to.base;
            }
        };
        let position = |p: &mut Option<crate::Position>| {
            if let Some(p) = p {
                p.line = p.line - from.lines + to.lines;
                p.offset = p.offset - from.base + to.base;
                p.utf16_offset = p.utf16_offset - from.utf16 + to.utf16;
            }
        };
        // An item now at another index of its list: its pointers.
        let items = (from.item != to.item).then(|| {
            (
                format!("/items/{}", from.item),
                format!("/items/{}", to.item),
            )
        });
        let pointer = |p: &mut String| {
            if let Some((from, to)) = &items {
                renumber(p, from, to);
            }
        };
        for f in &mut self.findings {
            span(&mut f.span);
            position(&mut f.start);
            position(&mut f.end);
            if let Some(related) = &mut f.related {
                span(&mut related.span);
                position(&mut related.start);
                position(&mut related.end);
                pointer(&mut related.pointer);
            }
            f.object.document = f.object.document - from.first + to.first;
            if items.is_some() {
                pointer(&mut f.object.pointer);
                pointer(&mut f.pod);
                pointer(&mut f.pointer);
                for op in f.fix.iter_mut().flat_map(|fix| &mut fix.operations) {
                    pointer(op.path_mut());
                }
            }
        }
        for e in &mut self.errors {
            span(&mut e.span);
            position(&mut e.start);
            position(&mut e.end);
            e.document = e.document.map(|d| d - from.first + to.first);
            if let Some(p) = &mut e.pointer {
                pointer(p);
            }
        }
    }
}

/// Replace the leading `from` segments of a JSON pointer with `to`.
fn renumber(pointer: &mut String, from: &str, to: &str) {
    if let Some(rest) = pointer.strip_prefix(from) {
        if rest.is_empty() || rest.starts_with('/') {
            *pointer = format!("{to}{rest}");
        }
    }
}

/// Where a `List`'s items are in its document's text, when it can be cut
/// into them (where the `items:` line starts, and each item): a root
/// `items:` key alone on its line (kubectl prints it before `kind: List`),
/// followed by items each starting with `- ` at one
/// indentation and running to the next one's line; every other line among
/// them blank, a comment, or indented deeper than the dashes; the first
/// line at column 0 after them is the document's again. Each item's text,
/// read alone, is then what the document reads in that place, or an error
/// (cut inside a quoted scalar or a flow collection) that sends the chunk
/// to be read whole. `None` for anything else: flow style (`items: [`),
/// directives, a NUL (which the parser takes for the end), other layouts.
fn list_items(text: &str) -> Option<(usize, Vec<Range<usize>>)> {
    if text.starts_with('%') || text.contains('\0') {
        return None;
    }
    let blank = |s: &str| s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    let mut lines = line_spans(text, 0);
    let key = lines.find(|line| {
        text[line.clone()]
            .strip_prefix("items:")
            .is_some_and(|after| {
                let rest = after.trim_start_matches(' ');
                // A comment after a space: `items:#` is no key.
                blank(rest) || (rest.starts_with('#') && rest.len() < after.len())
            })
    })?;
    let mut items: Vec<Range<usize>> = Vec::new();
    let mut indent = None;
    for Range { start, end } in lines {
        let line = &text[start..end];
        // Most lines are indented deeper than the dashes: told at once.
        if indent.is_some_and(|n| line.as_bytes().iter().take(n + 1).all(|&b| b == b' ')) {
            if let Some(item) = items.last_mut() {
                item.end = end;
            }
            continue;
        }
        let content = line.trim_start_matches(' ');
        let column = line.len() - content.len();
        if !blank(content) {
            let dash = content.starts_with('-')
                && matches!(content.as_bytes().get(1), None | Some(b' ' | b'\n' | b'\r'));
            let comment = content.starts_with('#');
            match indent {
                None if dash => indent = Some(column),
                // Before the first item: the document's.
                None if comment => continue,
                None => return None,
                Some(n) if column > n || comment => {}
                Some(n) if column == n && dash => {}
                Some(_) if column == 0 => break,
                Some(_) => return None,
            }
            if dash && Some(column) == indent {
                items.push(start..end);
            }
        }
        if let Some(item) = items.last_mut() {
            item.end = end;
        }
    }
    let key = key.start;
    (!items.is_empty()).then_some((key, items))
}

/// The document's own part of a `List` cut into its items (its text with
/// the items left out: `items:` is then null): whether it is a manifest
/// (`Report::manifests`), and its nodes as the document counts them, the
/// null counting for the list. `None` unless it reads as one document
/// without any problem (a duplicate key, an alias) whose root is a `*List`
/// by `kind` with that `items` key (at byte `key`): what
/// `workload::for_each_object` reads item by item.
fn list_head(text: &str, key: usize, limits: &Limits) -> Option<(usize, usize)> {
    let (root, soft_errors, nodes) = read_alone(text, limits)?;
    if !soft_errors.is_empty() {
        return None;
    }
    let kind = root.get("kind")?.as_str()?;
    let items = root.entry("items")?;
    // That key, not an `items:` line inside a quoted scalar.
    if !kind.ends_with("List") || !items.value.is_null() || items.key_span?.start != key {
        return None;
    }
    Some((usize::from(root.get("apiVersion").is_some()), nodes))
}

/// Read a text that should hold one document and no alias: its root, the
/// problems that do not stop it (duplicate keys) and its nodes. `None` for
/// anything else.
fn read_alone(text: &str, limits: &Limits) -> Option<(crate::Node, Vec<Diagnostic>, usize)> {
    let mut loader = Loader::new(text, 0, limits);
    let Ok(Some(Loaded::Document { root, soft_errors })) = loader.next() else {
        return None;
    };
    let nodes = loader.total;
    (loader.expanded == 0 && matches!(loader.next(), Ok(None))).then_some((
        root,
        soft_errors,
        nodes,
    ))
}

/// Marks a slot of the new check in an index, during a check (the others
/// are slots of the last one, until the check ends).
const NEW: usize = 1 << (usize::BITS - 1);

/// What the last check left, taken from as its chunks and items are found
/// in the new text; the rest is dropped.
#[derive(Default)]
struct Old {
    chunks: Vec<Option<Chunk>>,
    /// Where each slot taken went in the new check (`usize::MAX`: not
    /// taken).
    moved: Vec<usize>,
}

/// Where the chunks of a check go: found again, copied from the same text
/// earlier in the stream, or read. The indices keep their keys from check
/// to check (each text is hashed once when found again): during a check,
/// a key found or added is marked [`NEW`] and points into the new text,
/// the others are the last check's, and [`Store::finish`] makes them all
/// the new check's.
struct Store<'a> {
    chunks: &'a mut Vec<Chunk>,
    index: &'a mut Index,
    items: &'a mut Index,
    old: Old,
    /// The last text checked (where the keys not marked [`NEW`] point),
    /// and the text being checked.
    last: &'a str,
    text: &'a str,
    settings: &'a Settings,
    limits: &'a Limits,
}

/// The key of `index` whose text is the piece's.
fn lookup<'i>(
    index: &'i mut Index,
    (last, text): (&str, &str),
    piece: Piece,
) -> Option<&'i mut Key> {
    let Piece { hash, start, len } = piece;
    let wanted = &text[start..start + len];
    index.find_mut(hash, |k| {
        let within = if k.slot & NEW != 0 { text } else { last };
        k.len == len && within.get(k.at..k.at + len) == Some(wanted)
    })
}

/// Point the key of the piece's text (added if new) at `at` in the new
/// check, where the text is now.
fn place(index: &mut Index, texts: (&str, &str), piece: Piece, at: usize) {
    let placed = Key {
        hash: piece.hash,
        at: piece.start,
        len: piece.len,
        slot: at | NEW,
    };
    match lookup(index, texts, piece) {
        Some(key) => *key = placed,
        None => crate::hashed::insert(index, placed),
    }
}

impl Store<'_> {
    /// The results at `slot` (a key's) and the `n` after it (a `List`'s
    /// items) pushed to the new check's: taken from the last check, or
    /// copied when taken already (the same text twice). Returns where they
    /// start; `None` when a `List`'s items were taken apart (another
    /// `List` has some of them): it is read again.
    fn found(&mut self, slot: usize, n: impl Fn(&Chunk) -> usize) -> Option<usize> {
        let at = self.chunks.len();
        let i = if slot & NEW != 0 || slot >= self.old.chunks.len() {
            slot & !NEW
        } else if let Some(chunk) = &self.old.chunks[slot] {
            let taken = slot..=slot + n(chunk);
            if !self.old.chunks[taken.clone()].iter().all(Option::is_some) {
                return None;
            }
            for old in taken {
                self.old.moved[old] = self.chunks.len();
                self.chunks.extend(self.old.chunks[old].take());
            }
            return Some(at);
        } else {
            self.old.moved[slot]
        };
        for j in i..=i + n(&self.chunks[i]) {
            let chunk = self.chunks[j].clone();
            self.chunks.push(chunk);
        }
        Some(at)
    }

    /// The chunk at `start..start + len` of the text: its results are at
    /// `chunks[i]`, and a `List` read item by item's items' after it.
    /// Returns `i`.
    fn chunk(&mut self, start: usize, len: usize) -> usize {
        let piece = Piece::new(self.text, start, len);
        let slot = lookup(self.index, (self.last, self.text), piece).map(|k| k.slot);
        let at = match slot.and_then(|slot| self.found(slot, |c| c.items)) {
            Some(at) => at,
            None => match self.read_list(start, len) {
                Some(at) => at,
                None => {
                    let text = &self.text[start..start + len];
                    let chunk = Chunk::check(text, self.settings, self.limits);
                    self.chunks.push(chunk);
                    self.chunks.len() - 1
                }
            },
        };
        place(self.index, (self.last, self.text), piece, at);
        at
    }

    /// Read a `List` (at `start..start + len`) item by item, the items
    /// found again taken as they are: its own part at the returned index,
    /// its items after it. `None` when it cannot be: the items it found
    /// are kept all the same (an error in one item does not lose the
    /// others when it is mended).
    fn read_list(&mut self, start: usize, len: usize) -> Option<usize> {
        let text = &self.text[start..start + len];
        let (key, items) = list_items(text)?;
        let region = items.first()?.start..items.last()?.end;
        let mut head = text[..region.start].to_owned();
        head.push_str(&text[region.end..]);
        let (manifests, mut nodes) = list_head(&head, key, self.limits)?;
        let at = self.chunks.len();
        // The document's part, once its items are read.
        self.chunks.push(Chunk::default());
        let mut within = Place {
            lines: lines(&text[..region.start]),
            utf16: utf16_len(&text[..region.start]),
            ..Place::default()
        };
        let mut whole = true;
        for (index, range) in items.iter().enumerate() {
            let Some(i) = self.item(start + range.start, range.len(), index, whole) else {
                whole = false;
                continue;
            };
            let item = &mut self.chunks[i];
            within.base = range.start;
            within.item = index;
            item.within = within;
            within.lines += item.lines;
            within.utf16 += item.utf16;
            nodes = nodes.saturating_add(item.nodes);
        }
        if !whole || nodes > self.limits.max_nodes {
            return None;
        }
        let after = &text[region.end..];
        self.chunks[at] = Chunk {
            count: 1,
            manifests,
            lines: within.lines + lines(after),
            utf16: within.utf16 + utf16_len(after),
            items: items.len(),
            ..Chunk::default()
        };
        Some(at)
    }

    /// The item of a `List` at `start..start + len` of the text: found
    /// again, or, when `read`, read as item `index`. Returns where its
    /// results are.
    fn item(&mut self, start: usize, len: usize, index: usize, read: bool) -> Option<usize> {
        let piece = Piece::new(self.text, start, len);
        let at = if let Some(key) = lookup(self.items, (self.last, self.text), piece) {
            let slot = key.slot;
            self.found(slot, |_| 0)?
        } else if read {
            let text = &self.text[start..start + len];
            let item = Chunk::item(text, index, self.settings, self.limits)?;
            self.chunks.push(item);
            self.chunks.len() - 1
        } else {
            return None;
        };
        place(self.items, (self.last, self.text), piece, at);
        Some(at)
    }

    /// The keys made the new check's; the texts it did not find again
    /// forgotten. A key not looked up but whose results were taken (the
    /// items of a `List` found whole) now points where they were placed.
    fn finish(self) {
        let (moved, chunks) = (&self.old.moved, &*self.chunks);
        let remap = |key: &mut Key| {
            if key.slot & NEW != 0 {
                key.slot &= !NEW;
            } else if let Some(&to) = moved.get(key.slot).filter(|&&to| to != usize::MAX) {
                key.slot = to;
                key.at = chunks[to].at.base;
            } else {
                return false;
            }
            true
        };
        self.index.retain(remap);
        self.items.retain(remap);
    }
}

/// Line breaks in a text.
fn lines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

/// A check by [`Rechecker::check_ref`]: the report, borrowed from the
/// rechecker instead of copied out of it.
#[derive(Debug)]
pub struct Rechecked<'a> {
    chunks: Vec<&'a Chunk>,
    errors: Vec<Diagnostic>,
    text: &'a str,
}

impl<'a> Rechecked<'a> {
    /// The text checked (the rechecker's copy: [`Rechecker::text`]).
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The report's findings, in its order.
    pub fn findings(&self) -> impl Iterator<Item = &'a Finding> + '_ {
        self.chunks.iter().flat_map(|c| &c.findings)
    }

    /// The report's input errors, in its order.
    pub fn errors(&self) -> &[Diagnostic] {
        &self.errors
    }

    /// Workload objects seen.
    pub fn objects(&self) -> usize {
        self.chunks.iter().map(|c| c.objects).sum()
    }

    /// Findings turned off by the `kube-immutable.io/ignore` annotation.
    pub fn suppressed(&self) -> usize {
        self.chunks.iter().map(|c| c.suppressed).sum()
    }

    /// Documents that are Kubernetes objects (or `List`s), of any kind.
    pub fn manifests(&self) -> usize {
        self.chunks.iter().map(|c| c.manifests).sum()
    }

    /// The report, copied.
    pub fn to_report(&self) -> Report {
        Report {
            findings: self.findings().cloned().collect(),
            errors: self.errors.clone(),
            objects: self.objects(),
            suppressed: self.suppressed(),
            manifests: self.manifests(),
        }
    }
}

impl Rechecker {
    /// Check `text`: the same report as
    /// [`check_text_with_limits`](crate::check_text_with_limits), reading
    /// only the documents that the last check did not see.
    pub fn check(&mut self, text: &str, settings: &Settings, limits: &Limits) -> Report {
        self.check_ref(text, settings, limits).to_report()
    }

    /// [`Rechecker::check`] without copying the report out: its findings
    /// are borrowed from the rechecker. The documents (and `List` items)
    /// that did not change are neither read nor copied, only moved to
    /// their new place (their spans, positions and document indices
    /// shifted), so a check costs about the documents that changed and a
    /// pass over the text. The rechecker keeps a copy of the text
    /// ([`Rechecker::text`]); [`Rechecker::check_owned`] keeps it without
    /// copying.
    pub fn check_ref(&mut self, text: &str, settings: &Settings, limits: &Limits) -> Rechecked<'_> {
        self.check_owned(text.to_owned(), settings, limits)
    }

    /// [`Rechecker::check_ref`] of a text the rechecker then keeps, as the
    /// only copy an editor needs ([`Rechecker::text`]).
    pub fn check_owned(
        &mut self,
        text: String,
        settings: &Settings,
        limits: &Limits,
    ) -> Rechecked<'_> {
        // Held from the start: a check that does not end (a bug that
        // panics, caught by the caller) leaves the rechecker holding the
        // text it was given, and its cache forgotten.
        let last = std::mem::replace(&mut self.text, text);
        self.cache.run(&last, &self.text, settings, limits);
        drop(last);
        self.rechecked()
    }

    /// [`Rechecker::check_ref`] of the last text checked again: with the
    /// same settings and limits, nothing is read again.
    pub fn recheck(&mut self, settings: &Settings, limits: &Limits) -> Rechecked<'_> {
        self.cache.run(&self.text, &self.text, settings, limits);
        self.rechecked()
    }

    /// The last text checked (empty before the first check).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The report of the last check, borrowed.
    fn rechecked(&self) -> Rechecked<'_> {
        self.cache.rechecked(&self.text)
    }
}

impl Cache {
    /// Check `text`, the last text checked being `last` (where the
    /// indices' keys point).
    fn run(&mut self, last: &str, text: &str, settings: &Settings, limits: &Limits) {
        self.use_settings(settings, limits);
        // Until the check ends the cache mixes the last check's results
        // with this one's: if it does not end, the next check starts
        // afresh.
        let checked_with = self.checked_with.take();
        let chunks: Vec<Option<Chunk>> = std::mem::take(&mut self.chunks)
            .into_iter()
            .map(Some)
            .collect();
        // About as many as the last check's (all of them kept until the
        // next check: no room to spare).
        self.chunks = Vec::with_capacity(chunks.len());
        let old = Old {
            moved: vec![usize::MAX; chunks.len()],
            chunks,
        };
        let start = stream_start(text);
        let mut next = Place {
            base: start,
            lines: 0,
            utf16: utf16_len(&text[..start]),
            ..Place::default()
        };
        let order = &mut self.order;
        order.clear();
        let mut store = Store {
            chunks: &mut self.chunks,
            index: &mut self.index,
            items: &mut self.items,
            old,
            last,
            text,
            settings,
            limits,
        };
        let stream_error = for_each_chunk(text, limits, |span, first| {
            let at = Place {
                base: span.start,
                first,
                ..next
            };
            let i = store.chunk(span.start, span.end - span.start);
            let chunks = &mut *store.chunks;
            let items = i + 1..=i + chunks[i].items;
            for item in items.clone() {
                let to = at.plus(chunks[item].within);
                chunks[item].move_to(to);
            }
            let chunk = &mut chunks[i];
            chunk.move_to(at);
            next.lines += chunk.lines;
            next.utf16 += chunk.utf16;
            order.push(i);
            order.extend(items);
            chunk.count
        });
        store.finish();
        self.chunks.shrink_to_fit();
        self.checked_with = checked_with;
        self.stream_error = stream_error.map(|error| {
            let mut report = Report::default();
            report.errors.push(error);
            locate(&mut report, text);
            report.errors.remove(0)
        });
    }

    /// The report of the last check, of `text`, borrowed.
    fn rechecked<'a>(&'a self, text: &'a str) -> Rechecked<'a> {
        let chunks: Vec<&Chunk> = self.order.iter().map(|&i| &self.chunks[i]).collect();
        // By document (none first), then position (none first), as a full
        // check sorts them.
        let errors: Vec<&Diagnostic> = chunks
            .iter()
            .flat_map(|c| &c.errors)
            .chain(&self.stream_error)
            .collect();
        let order = span::sorted_order(errors.iter().map(|e| {
            [
                e.document.map_or(0, |d| d + 1),
                usize::from(e.span.is_some()),
                e.span.map_or(0, |s| s.start),
            ]
        }));
        let errors = order.into_iter().map(|i| errors[i].clone()).collect();
        Rechecked {
            chunks,
            errors,
            text,
        }
    }

    /// Forget what was read with other settings or limits.
    fn use_settings(&mut self, settings: &Settings, limits: &Limits) {
        if self
            .checked_with
            .as_ref()
            .is_none_or(|(s, l)| s != settings || l != limits)
        {
            self.chunks.clear();
            self.index.clear();
            self.items.clear();
            self.checked_with = Some((settings.clone(), *limits));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{catch_unwind, AssertUnwindSafe};

    use super::Rechecker;
    use crate::{check_text_with_limits, Limits, Settings};

    /// A text that makes a chunk's check panic, as a bug would.
    pub(super) const BUG: &str = "kube-immutable: a bug";

    /// A caller that catches a panic (the language server does) goes on
    /// with the text it gave, and the next check's report is the full
    /// check's: a check that did not end leaves no half-moved results.
    #[test]
    fn a_check_that_does_not_end_leaves_the_text_and_no_stale_results() {
        let settings = Settings::default();
        let limits = Limits::browser();
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: [{name: c, image: nginx:1.27}]\n";
        let mut rechecker = Rechecker::default();
        rechecker.check_ref(&format!("{pod}---\n{pod}"), &settings, &limits);
        let buggy = format!("{pod}---\n# {BUG}\nkind: ConfigMap\n---\n{pod}");
        let held = buggy.clone();
        let checked = catch_unwind(AssertUnwindSafe(|| {
            rechecker.check_owned(held, &settings, &limits);
        }));
        assert!(checked.is_err());
        assert_eq!(rechecker.text(), buggy, "the text given is held");
        for text in [
            format!("{pod}---\n{pod}"),
            format!("kind: ConfigMap\n---\n{pod}"),
        ] {
            assert_eq!(
                rechecker.check_ref(&text, &settings, &limits).to_report(),
                check_text_with_limits(&text, &settings, &limits)
            );
        }
    }
}
