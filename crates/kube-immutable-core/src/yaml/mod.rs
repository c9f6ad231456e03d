//! The YAML reader: text → documents of [`Node`]s with byte spans.
//!
//! Built on `saphyr-parser`'s event stream, with what Kubernetes does on top:
//! YAML 1.1 scalars (`scalar`), anchors and aliases, `<<` merge keys, and
//! duplicate keys reported (the last value wins, as in kubectl). The stream
//! is split into documents first, so an error in one document leaves the
//! others readable. Every limit of [`Limits`] is enforced here.

mod scalar;
pub(crate) mod window;

/// How Kubernetes reads a plain (unquoted) scalar.
pub fn resolve_plain_str(text: &str) -> Value {
    scalar::resolve_plain(text)
}

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;
use std::ops::Range;

use saphyr_parser::{Event, Input, Parser, ScalarStyle, ScanError, Tag};

use crate::diagnostic::{Diagnostic, ErrorKind, Message};
use crate::node::{Entry, Node, Value};
use crate::span::{Position, Span};
use crate::Limits;

/// One document of a stream.
#[derive(Debug, Clone)]
pub struct Document {
    /// 0-based index of the document in the stream (empty documents count).
    pub index: usize,
    pub root: Node,
}

/// Read every document of a YAML (or JSON) stream.
///
/// Never panics; a document that cannot be read yields a diagnostic and the
/// following documents are still read.
pub fn parse_stream(text: &str, limits: &Limits) -> (Vec<Document>, Vec<Diagnostic>) {
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    let stream_error = for_each_chunk(text, limits, |chunk, index| {
        let read = read_chunk(&text[chunk.start..chunk.end], chunk.start, index, limits);
        documents.extend(read.documents);
        errors.extend(read.errors);
        read.count
    });
    errors.extend(stream_error);
    (documents, errors)
}

/// The stream's document chunks (see [`split_documents`]) with the index of
/// each one's first document: `read` returns how many indices the chunk
/// took. A stream over its own limits (input size, documents) ends with
/// the error returned, after the chunks read.
pub(crate) fn for_each_chunk(
    text: &str,
    limits: &Limits,
    mut read: impl FnMut(Span, usize) -> usize,
) -> Option<Diagnostic> {
    if let Some(error) = limits.input_too_large(text.len()) {
        return Some(error);
    }
    let mut index = 0;
    for chunk in split_documents(text, stream_start(text)) {
        if index >= limits.max_documents {
            return Some(Diagnostic::new(
                ErrorKind::Limit,
                Message::new(
                    format!(
                        "more than {} documents in the stream (max_documents); the rest was not checked",
                        limits.max_documents
                    ),
                    format!(
                        "plus de {} documents dans le flux (max_documents) ; la suite n'a pas été vérifiée",
                        limits.max_documents
                    ),
                ),
                Some(Span::empty(chunk.start)),
            ));
        }
        index += read(chunk, index);
    }
    None
}

/// Where the stream's first document starts: after a byte order mark.
pub(crate) fn stream_start(text: &str) -> usize {
    if text.starts_with('\u{feff}') {
        3
    } else {
        0
    }
}

/// What one chunk of the stream holds.
pub(crate) struct ChunkRead {
    pub(crate) documents: Vec<Document>,
    pub(crate) errors: Vec<Diagnostic>,
    /// Document indices taken, a broken document's included.
    pub(crate) count: usize,
}

/// Read one chunk, `original`, found at byte `base` of the stream; its
/// first document has index `first`. Spans are offsets of the stream.
pub(crate) fn read_chunk(original: &str, base: usize, first: usize, limits: &Limits) -> ChunkRead {
    let mut documents = Vec::new();
    let mut errors = Vec::new();
    let mut index = first;
    if let Some(at) = original.find('\0') {
        // The parser takes a NUL for the end of the input, and would
        // report an unterminated scalar somewhere before it.
        errors.push(
            syntax(
                "invalid YAML: a NUL byte (U+0000); YAML allows no control characters",
                "YAML invalide : un octet NUL (U+0000) ; YAML n'accepte aucun caractère de contrôle",
                Span::new(base + at, base + at + 1),
            )
            .in_document(index),
        );
        return ChunkRead {
            documents,
            errors,
            count: 1,
        };
    }
    let mut relaxed: Option<String> = None;
    for attempt in 0.. {
        let source = relaxed.as_deref().unwrap_or(original);
        let mut loader = Loader::new(source, base, limits);
        let mut read: Vec<(Node, Vec<Diagnostic>)> = Vec::new();
        let result = loader.run(&mut |root, soft_errors| read.push((root, soft_errors)));
        if let Err(error) = &result {
            let at = error.span.map_or(0, |s| s.start - base);
            if attempt < MAX_RELAXATIONS {
                if let Some(next) = relax_flow_closer(source, at) {
                    relaxed = Some(next);
                    continue;
                }
            }
        }
        for (root, soft_errors) in read {
            errors.extend(soft_errors.into_iter().map(|d| d.in_document(index)));
            documents.push(Document { index, root });
            index += 1;
        }
        if let Err(error) = result {
            errors.extend(loader.soft_errors.drain(..).map(|d| d.in_document(index)));
            errors.push(error.in_document(index));
            // The broken document still takes its place in the numbering.
            index += 1;
        }
        break;
    }
    ChunkRead {
        documents,
        errors,
        count: index - first,
    }
}

/// Closing brackets moved per document (each costs a new parse).
pub(crate) const MAX_RELAXATIONS: usize = 16;

/// go-yaml (so kubectl) accepts a flow collection whose closing `]` or `}`
/// sits at or left of its key's column; YAML 1.2 and our parser do not:
///
/// ```yaml
/// args: [
///     "-a",
/// ]
/// ```
///
/// When the error is on such a line, join it to the line before by turning
/// the line break into spaces. Byte and character offsets do not move, so
/// spans still point into the original text.
pub(crate) fn relax_flow_closer(source: &str, error_at: usize) -> Option<String> {
    let (break_start, line_start) = flow_closer_break(source, error_at)?;
    let mut relaxed = String::with_capacity(source.len());
    relaxed.push_str(&source[..break_start]);
    relaxed.push_str(&" ".repeat(line_start - break_start));
    relaxed.push_str(&source[line_start..]);
    Some(relaxed)
}

/// The line break [`relax_flow_closer`] turns into spaces: from where it
/// starts to where the error's line starts.
pub(crate) fn flow_closer_break(source: &str, error_at: usize) -> Option<(usize, usize)> {
    let error_at = error_at.min(source.len());
    let line_start = source[..error_at].rfind('\n')? + 1;
    let line = &source[line_start..];
    if !line.trim_start_matches([' ', '\t']).starts_with([']', '}']) {
        return None;
    }
    let break_start = if source[..line_start - 1].ends_with('\r') {
        line_start - 2
    } else {
        line_start - 1
    };
    let previous_start = source[..break_start].rfind('\n').map_or(0, |i| i + 1);
    if source[previous_start..break_start].contains('#') {
        return None; // the bracket would land in a comment
    }
    Some((break_start, line_start))
}

/// Split a stream at `---` lines (and the directives before them).
///
/// YAML forbids a document marker at column 0 inside a scalar, so cutting the
/// text there is exact, and lets each document be read on its own.
pub(crate) fn split_documents(text: &str, from: usize) -> Vec<Span> {
    let mut chunks = Vec::new();
    let mut chunk_start = from;
    let mut directives_start: Option<usize> = None;
    // Every check of an editor's text passes here: most lines are told
    // apart by their first byte.
    for lines in line_spans(text, from) {
        let (line_start, line) = (lines.start, &text[lines]);
        let first = line.as_bytes()[0];
        if first == b'-' && is_marker(line, "---") {
            let boundary = directives_start.unwrap_or(line_start);
            if boundary > chunk_start {
                chunks.push(Span::new(chunk_start, boundary));
            }
            chunk_start = boundary;
            directives_start = None;
        } else if first == b'%' {
            directives_start.get_or_insert(line_start);
        } else if first != b'#' && !is_blank(line) {
            directives_start = None;
        }
    }
    if text.len() > chunk_start {
        chunks.push(Span::new(chunk_start, text.len()));
    }
    chunks
}

/// Whether a line is only white space (`str::trim`'s), told by its first
/// byte after spaces and tabs in most cases.
fn is_blank(line: &str) -> bool {
    match line.bytes().find(|&b| b != b' ' && b != b'\t') {
        Some(b) if b.is_ascii_graphic() => false,
        _ => line.trim().is_empty(),
    }
}

/// The lines of `text` from byte `from` (where a line starts): where each
/// starts and ends (after its `\n`, or at the end of the text).
pub(crate) fn line_spans(text: &str, from: usize) -> impl Iterator<Item = Range<usize>> + '_ {
    let bytes = text.as_bytes();
    let mut start = from;
    std::iter::from_fn(move || {
        let line = start
            ..bytes[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| start + i + 1);
        start = line.end;
        (line.start < bytes.len()).then_some(line)
    })
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// The chunk's text as the loader sees it: converts the parser's character
/// indices into byte offsets of the stream, and gives back the text of a
/// span (a block scalar's, to trim it; a collection's first character).
pub(crate) trait TextView {
    /// Byte offset of the stream (the chunk's `base` added) of a character
    /// index of the chunk, as the parser counts them.
    fn byte(&mut self, char_index: usize) -> usize;
    /// The text of a span of the stream, as far as it is held.
    fn slice(&self, span: Span) -> &str;
    /// Bytes of the chunk read so far.
    fn len(&self) -> usize;
    /// The chunk's length, when known (the alias budget grows with it).
    fn final_len(&self) -> Option<usize>;

    fn span(&mut self, span: saphyr_parser::Span) -> Span {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index());
        Span::new(start, end.max(start))
    }

    /// The span without trailing whitespace and line breaks.
    fn trim_end(&self, span: Span) -> Span {
        let local = self.slice(span);
        Span::new(span.start, span.start + local.trim_end().len())
    }

    /// Positions of offsets of the chunk (ascending is fastest), relative
    /// to the chunk's start.
    fn positions(&mut self, offsets: &[usize]) -> Vec<Position>;

    /// The whole lines that hold `span`, with where they start.
    fn excerpt(&mut self, span: Span) -> Option<Excerpt>;

    /// An anchored node was read there: keep its lines while the document
    /// lasts (its aliases copy it, and their spans point there).
    fn keep(&mut self, _span: Span) {}

    /// Forget the text before the line that holds `to` (what was not kept
    /// or set aside).
    fn release(&mut self, _to: usize) {}

    /// Keep the text before the line that holds `at` (a document's first
    /// lines, before its items) apart from what is released after it.
    fn set_aside(&mut self, _at: usize) {}

    /// Forget what was set aside (the document ended).
    fn forget_aside(&mut self) {}

    /// The held stretch of text around `at`: where it starts, and its text.
    fn held(&self, at: usize) -> Option<(usize, &str)>;

    /// An error when more text is held than `max_input_bytes`.
    fn over_limit(&self, _limits: &Limits) -> Option<Diagnostic> {
        None
    }

    /// The error when the parser's input was cut short: more than
    /// `max_input_bytes` read with no event (see `window::Progress`).
    fn cut_short(&self, limits: &Limits) -> Diagnostic {
        limit(
            "input cut short (max_input_bytes)",
            "entrée interrompue (max_input_bytes)",
            Span::empty(self.len().min(limits.max_input_bytes)),
        )
    }
}

/// Whole lines of the source, for code frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// Where the first line starts (relative to the chunk, line 0-based).
    pub origin: crate::stream::Origin,
    pub text: String,
}

/// A chunk held whole.
///
/// Events arrive in nearly increasing order, so a cursor that walks from the
/// last position costs O(input) in total.
pub(crate) struct Offsets<'a> {
    chunk: &'a str,
    base: usize,
    ascii: bool,
    char_pos: usize,
    byte_pos: usize,
    lines: crate::stream::lines::Lines,
}

impl<'a> Offsets<'a> {
    pub(crate) fn new(chunk: &'a str, base: usize) -> Self {
        Self {
            chunk,
            base,
            ascii: chunk.is_ascii(),
            char_pos: 0,
            byte_pos: 0,
            lines: crate::stream::lines::Lines::new(crate::stream::Origin::default()),
        }
    }
}

impl TextView for Offsets<'_> {
    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return self.base + char_index.min(self.chunk.len());
        }
        let (local, moved) = if char_index >= self.char_pos {
            window::walk(self.chunk, self.byte_pos, char_index - self.char_pos, true)
        } else {
            window::walk(self.chunk, self.byte_pos, self.char_pos - char_index, false)
        };
        if char_index >= self.char_pos {
            self.char_pos += moved;
        } else {
            self.char_pos -= moved;
        }
        self.byte_pos = local;
        self.base + self.byte_pos
    }

    fn slice(&self, span: Span) -> &str {
        let start = span.start.saturating_sub(self.base).min(self.chunk.len());
        let end = span
            .end
            .saturating_sub(self.base)
            .clamp(start, self.chunk.len());
        self.chunk.get(start..end).unwrap_or_default()
    }

    fn len(&self) -> usize {
        self.chunk.len()
    }

    fn final_len(&self) -> Option<usize> {
        Some(self.chunk.len())
    }

    fn held(&self, _at: usize) -> Option<(usize, &str)> {
        Some((self.base, self.chunk))
    }

    fn positions(&mut self, offsets: &[usize]) -> Vec<Position> {
        let relative: Vec<usize> = offsets.iter().map(|o| o - self.base.min(*o)).collect();
        self.lines.positions(self.chunk, &relative)
    }

    fn excerpt(&mut self, span: Span) -> Option<Excerpt> {
        let start = span.start.checked_sub(self.base)?;
        let end = span.end.checked_sub(self.base)?.max(start);
        let (from, origin) = self.lines.line_of(self.chunk, start);
        let to = self
            .chunk
            .get(end..)?
            .find('\n')
            .map_or(self.chunk.len(), |i| end + i + 1);
        Some(Excerpt {
            origin,
            text: self.chunk.get(from..to)?.to_owned(),
        })
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
        flow: bool,
        /// The root's `items` list, whose items are handed out one by one
        /// instead of kept ([`Loaded::Item`]).
        streamed: Option<Streamed>,
    },
    Map {
        entries: Vec<Entry>,
        /// Key waiting for its value: text, span, and whether it is a plain `<<`.
        key: Option<(String, Span, bool)>,
        merges: Vec<Node>,
        /// Positions in `entries` by their key's hash, built once the
        /// mapping is large (the keys are compared in `entries`, not
        /// copied).
        index: Option<KeyIndex>,
        start: Span,
        anchor: usize,
        flow: bool,
    },
}

/// A list whose items are handed out as they are read.
#[derive(Clone, Copy)]
struct Streamed {
    /// Items handed out so far.
    count: usize,
    /// Where the last one ended (the list's span ends there).
    last_end: usize,
}

/// Mappings with this many keys get a lookup table for duplicate keys.
const INDEX_FROM: usize = 16;

/// A large mapping's entries by key: their positions, by the key's hash
/// (SipHash with the process's keys, as `HashMap`'s: the keys are the
/// input's, and crafted collisions must not make a mapping quadratic).
#[derive(Default)]
struct KeyIndex {
    positions: crate::hashed::Table,
    state: std::collections::hash_map::RandomState,
}

impl KeyIndex {
    fn find(&self, entries: &[Entry], key: &str) -> Option<usize> {
        let hash = self.state.hash_one(key);
        let found = self
            .positions
            .find(hash, |k| entries.get(k.at).is_some_and(|e| e.key == key));
        found.map(|k| k.at)
    }

    /// Entry `i` (pushed next, or already in `entries`) has key `key`.
    fn insert(&mut self, i: usize, key: &str) {
        let hash = self.state.hash_one(key);
        crate::hashed::insert(
            &mut self.positions,
            crate::hashed::Entry {
                hash,
                at: i,
                ..crate::hashed::Entry::default()
            },
        );
    }
}

struct Anchored {
    node: Node,
    size: usize,
    height: usize,
}

/// What the loader hands out: a document, or an item of the root's
/// `items` list read on its own (the document then holds the list empty).
pub(crate) enum Loaded {
    Document {
        root: Node,
        soft_errors: Vec<Diagnostic>,
    },
    Item {
        node: Node,
        /// Its index in the list.
        index: usize,
        /// Where the list starts: which `items` list (a key written twice
        /// has two).
        list: usize,
        /// Problems found while reading it (duplicate keys).
        soft_errors: Vec<Diagnostic>,
    },
}

/// The item being read, when the root's `items` list is streamed.
struct ItemState {
    /// The root's node count, while the item counts its own.
    root_nodes: usize,
}

/// Where the loader's events come from: the parser itself, or batches of
/// events a parser on another thread sent.
pub(crate) trait EventSource<'a> {
    fn next_event(&mut self) -> Option<Result<(Event<'a>, saphyr_parser::Span), ScanError>>;

    /// Whether the events ended because the parser's input was cut short
    /// (past `max_input_bytes` with no event), not at the text's end.
    fn cut_short(&self) -> bool {
        false
    }
}

impl<'a, I: Input> EventSource<'a> for Parser<'a, I> {
    fn next_event(&mut self) -> Option<Result<(Event<'a>, saphyr_parser::Span), ScanError>> {
        Parser::next_event(self)
    }
}

pub(crate) struct Loader<'a, E: EventSource<'a>, T: TextView> {
    pub(crate) events: E,
    pub(crate) text: T,
    limits: Limits,
    _events: std::marker::PhantomData<&'a ()>,
    stack: Vec<Frame>,
    /// Anchored nodes with their size and height (alias budget and depth).
    anchors: HashMap<usize, Anchored>,
    /// Nodes of the document, or of the item being read when the root's
    /// `items` are handed out one by one (`max_nodes` bounds each).
    nodes: usize,
    /// Nodes of the whole document (go-yaml's alias ratio).
    pub(crate) total: usize,
    /// Of `total`, those added by aliases.
    pub(crate) expanded: usize,
    /// Problems that do not stop the document (duplicate keys).
    pub(crate) soft_errors: Vec<Diagnostic>,
    /// Hand the root's `items` out one by one.
    stream_items: bool,
    /// The most nodes aliases added to a document past the alias budget
    /// of what was read so far (a chunk read as it comes, see
    /// `count_alias`).
    pub(crate) over_budget: usize,
    item: Option<ItemState>,
    root: Option<Node>,
}

// Boxed: errors are rare, and the hot path returns `Ok(())` by the million.
type LoadResult<T> = Result<T, Box<Diagnostic>>;

impl<'a> Loader<'a, Parser<'a, saphyr_parser::StrInput<'a>>, Offsets<'a>> {
    /// A loader over a chunk held whole, found at byte `base` of the stream.
    pub(crate) fn new(chunk: &'a str, base: usize, limits: &'a Limits) -> Self {
        Loader::with_events(
            Parser::new_from_str(chunk),
            Offsets::new(chunk, base),
            limits,
        )
    }
}

impl<'a, E: EventSource<'a>, T: TextView> Loader<'a, E, T> {
    pub(crate) fn with_events(events: E, text: T, limits: &Limits) -> Self {
        Self {
            events,
            _events: std::marker::PhantomData,
            text,
            limits: *limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            total: 0,
            expanded: 0,
            soft_errors: Vec::new(),
            stream_items: false,
            over_budget: 0,
            item: None,
            root: None,
        }
    }

    /// Hand the items of a root `items` list out one by one.
    pub(crate) fn streaming_items(mut self) -> Self {
        self.stream_items = true;
        self
    }

    /// Read every document, handing each to `emit`.
    fn run(&mut self, emit: &mut dyn FnMut(Node, Vec<Diagnostic>)) -> LoadResult<()> {
        while let Some(loaded) = self.next()? {
            if let Loaded::Document { root, soft_errors } = loaded {
                emit(root, soft_errors);
            }
        }
        Ok(())
    }

    /// Read on to the next document or streamed item; `None` at the end.
    pub(crate) fn next(&mut self) -> LoadResult<Option<Loaded>> {
        while let Some(event) = self.events.next_event() {
            let (event, span) = event.map_err(|e| Box::new(self.scan_error(&e)))?;
            let span = self.text.span(span);
            if let Some(error) = self.text.over_limit(&self.limits) {
                return Err(Box::new(error));
            }
            if matches!(
                event,
                Event::Scalar(..)
                    | Event::Alias(_)
                    | Event::SequenceStart(..)
                    | Event::MappingStart(..)
            ) && self.at_streamed_list()
            {
                // The first event of an item: it counts its own nodes.
                self.item = Some(ItemState {
                    root_nodes: self.nodes,
                });
                self.nodes = 0;
            }
            let node = match event {
                Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
                Event::DocumentStart(_) => {
                    self.root = None;
                    self.anchors.clear();
                    self.nodes = 0;
                    self.total = 0;
                    self.expanded = 0;
                    self.item = None;
                    None
                }
                Event::DocumentEnd => {
                    let root = self
                        .root
                        .take()
                        .unwrap_or_else(|| Node::new(Value::Null, Some(span)));
                    return Ok(Some(Loaded::Document {
                        root,
                        soft_errors: std::mem::take(&mut self.soft_errors),
                    }));
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let span = if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                        // Block scalars' spans run into the next line's indentation.
                        self.text.trim_end(span)
                    } else {
                        span
                    };
                    if text.len() > self.limits.max_scalar_bytes {
                        return Err(Box::new(limit(
                            format!(
                                "scalar of {} bytes, more than the limit of {} bytes (max_scalar_bytes); the document was not checked",
                                text.len(),
                                self.limits.max_scalar_bytes
                            ),
                            format!(
                                "scalaire de {} octets, plus que la limite de {} octets (max_scalar_bytes) ; le document n'a pas été vérifié",
                                text.len(),
                                self.limits.max_scalar_bytes
                            ),
                            Span::empty(span.start),
                        )));
                    }
                    let plain_merge = style == ScalarStyle::Plain && text == "<<";
                    let value = resolve(text, style, tag.as_deref());
                    let node = Node::new(value, Some(span));
                    self.count(1, span)?;
                    if anchor > 0 {
                        self.text.keep(span);
                        let node = node.clone();
                        self.anchors.insert(
                            anchor,
                            Anchored {
                                node,
                                size: 1,
                                height: 1,
                            },
                        );
                    }
                    Some((node, plain_merge))
                }
                Event::Alias(id) => {
                    let Some(anchored) = self.anchors.get(&id) else {
                        return Err(Box::new(syntax("unknown alias", "alias inconnu", span)));
                    };
                    let (size, height) = (anchored.size, anchored.height);
                    // Aliases must not build a tree deeper than the limit:
                    // every later stage (and dropping the tree) recurses.
                    self.check_depth(self.stack.len() + height, span)?;
                    self.count_alias(size, span)?;
                    let mut node = self.anchors[&id].node.clone();
                    mark_aliased(&mut node);
                    Some((node, false))
                }
                Event::SequenceStart(anchor, _) => {
                    self.enter(span)?;
                    let streamed = (self.stream_items
                        && anchor == 0
                        && self.stack.len() == 1
                        && matches!(
                            &self.stack[0],
                            Frame::Map { key: Some((key, _, false)), .. } if key == "items"
                        ))
                    .then_some(Streamed {
                        count: 0,
                        last_end: span.start,
                    });
                    let flow = self.text.slice(Span::new(span.start, span.start + 1)) == "[";
                    self.stack.push(Frame::Seq {
                        items: Vec::new(),
                        start: span,
                        anchor,
                        flow,
                        streamed,
                    });
                    None
                }
                Event::MappingStart(anchor, _) => {
                    self.enter(span)?;
                    let flow = self.text.slice(Span::new(span.start, span.start + 1)) == "{";
                    self.stack.push(Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        merges: Vec::new(),
                        index: None,
                        start: span,
                        anchor,
                        flow,
                    });
                    None
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(frame) = self.stack.pop() else {
                        return Err(Box::new(syntax(
                            "unbalanced collection",
                            "collection déséquilibrée",
                            span,
                        )));
                    };
                    let (node, anchor) = self.finish(frame, span)?;
                    if anchor > 0 {
                        let (size, height) = node.size_and_height();
                        // Its copies point into its text (and into that of
                        // anchors before it, already kept).
                        if let Some(span) = node.span {
                            self.text.keep(span);
                        }
                        let node = node.clone();
                        self.anchors.insert(anchor, Anchored { node, size, height });
                    }
                    Some((node, false))
                }
            };
            if let Some((node, plain_merge)) = node {
                if let Some(item) = self.push(node, plain_merge)? {
                    return Ok(Some(item));
                }
            }
        }
        if self.events.cut_short() {
            return Err(Box::new(self.text.cut_short(&self.limits)));
        }
        Ok(None)
    }

    /// Whether the next node read is an item of a streamed list.
    fn at_streamed_list(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Seq {
                streamed: Some(_),
                ..
            })
        )
    }

    fn scan_error(&mut self, e: &ScanError) -> Diagnostic {
        let at = self.text.byte(e.marker().index());
        if e.info().contains("recursion limit") {
            // The parser's own nesting limit (deep flow collections).
            return too_deep(&self.limits, Span::empty(at));
        }
        syntax(
            format!("invalid YAML: {}", e.info()),
            format!("YAML invalide : {}", e.info()),
            Span::empty(at),
        )
    }

    fn count(&mut self, n: usize, span: Span) -> LoadResult<()> {
        self.nodes = self.nodes.saturating_add(n);
        self.total = self.total.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(Box::new(limit(
                format!(
                    "document has more than {} nodes after expanding aliases (max_nodes); it was not checked",
                    self.limits.max_nodes
                ),
                format!(
                    "le document a plus de {} nœuds, alias développés (max_nodes) ; il n'a pas été vérifié",
                    self.limits.max_nodes
                ),
                span,
            )));
        }
        Ok(())
    }

    /// Count an alias of `n` nodes before it is copied: the node budget,
    /// the alias budget, then go-yaml's ratio rule.
    fn count_alias(&mut self, n: usize, span: Span) -> LoadResult<()> {
        self.expanded = self.expanded.saturating_add(n);
        let budget = match self.text.final_len() {
            Some(len) => self.limits.alias_budget(len),
            None => {
                // Read as it comes: the budget grows with the chunk, whose
                // length is known at its end. Past what has been read so
                // far, note it: the caller reads the chunk again if the
                // budget turns out to be passed.
                if self.expanded > self.limits.alias_budget(self.text.len()) {
                    self.over_budget = self.over_budget.max(self.expanded);
                }
                usize::MAX
            }
        };
        if self.expanded > budget {
            return Err(Box::new(limit(
                format!(
                    "aliases expand to more than {budget} nodes in this document ({} (max_alias_nodes) plus one per byte of the document); it was not checked",
                    self.limits.max_alias_nodes
                ),
                format!(
                    "les alias développent plus de {budget} nœuds dans ce document ({} (max_alias_nodes) plus un par octet du document) ; il n'a pas été vérifié",
                    self.limits.max_alias_nodes
                ),
                span,
            )));
        }
        self.count(n, span)?;
        if excessive_aliasing(self.expanded, self.total) {
            return Err(Box::new(limit(
                format!(
                    "excessive aliasing: {} of the document's {} nodes come from aliases (go-yaml's alias ratio, which kubectl and the API server apply); it was not checked",
                    self.expanded, self.total
                ),
                format!(
                    "alias excessifs : {} des {} nœuds du document viennent d'alias (le ratio d'alias de go-yaml, qu'appliquent kubectl et le serveur d'API) ; il n'a pas été vérifié",
                    self.expanded, self.total
                ),
                span,
            )));
        }
        Ok(())
    }

    fn enter(&mut self, span: Span) -> LoadResult<()> {
        self.count(1, span)?;
        self.check_depth(self.stack.len() + 1, span)
    }

    fn check_depth(&self, depth: usize, span: Span) -> LoadResult<()> {
        if depth > self.limits.max_depth {
            return Err(Box::new(too_deep(&self.limits, span)));
        }
        Ok(())
    }

    fn finish(&mut self, frame: Frame, end: Span) -> LoadResult<(Node, usize)> {
        match frame {
            Frame::Seq {
                items,
                start,
                anchor,
                flow,
                streamed,
            } => {
                let span = match streamed {
                    // Its items are gone; the span is still the list's.
                    Some(streamed) if !flow && streamed.count > 0 => {
                        Span::new(start.start, streamed.last_end.max(start.start))
                    }
                    _ => collection_span(start, end, items.iter().filter_map(|n| n.span), flow),
                };
                Ok((Node::new(Value::Seq(items), Some(span)), anchor))
            }
            Frame::Map {
                mut entries,
                key,
                merges,
                index: _,
                start,
                anchor,
                flow,
            } => {
                if let Some((_, key_span, _)) = key {
                    return Err(Box::new(syntax(
                        "mapping key without a value",
                        "clé sans valeur",
                        key_span,
                    )));
                }
                // The keys already present: only merges need them.
                let mut present: HashSet<String> = if merges.is_empty() {
                    HashSet::new()
                } else {
                    entries.iter().map(|e| e.key.clone()).collect()
                };
                for merge in merges {
                    self.check_depth(self.stack.len() + 1 + merge.size_and_height().1, start)?;
                    let sources: Vec<&Node> =
                        match &merge.value {
                            Value::Map(_) => vec![&merge],
                            Value::Seq(items) if items.iter().all(|i| i.as_map().is_some()) => {
                                items.iter().collect()
                            }
                            _ => return Err(Box::new(syntax(
                                "a `<<` merge key needs a mapping or a list of mappings",
                                "une clé de fusion `<<` attend un mapping ou une liste de mappings",
                                merge.span.unwrap_or(start),
                            ))),
                        };
                    // Keys of the mapping itself win, then earlier sources.
                    for source in sources {
                        for entry in source.as_map().unwrap_or_default() {
                            if present.insert(entry.key.clone()) {
                                let mut entry = entry.clone();
                                mark_aliased(&mut entry.value);
                                entries.push(entry);
                            }
                        }
                    }
                }
                let ends = entries.iter().filter_map(|e| e.value.span.or(e.key_span));
                let span = collection_span(start, end, ends, flow);
                Ok((Node::new(Value::Map(entries), Some(span)), anchor))
            }
        }
    }

    /// JSON pointer of `key` in the mapping being read, from the document
    /// root: each open list contributes the index of the item being read,
    /// each open mapping the key whose value is being read.
    fn pointer_to(&self, key: &str) -> String {
        let mut pointer = String::new();
        let parents = &self.stack[..self.stack.len().saturating_sub(1)];
        for frame in parents {
            match frame {
                Frame::Seq {
                    streamed: Some(streamed),
                    ..
                } => pointer.push_str(&format!("/{}", streamed.count)),
                Frame::Seq { items, .. } => pointer.push_str(&format!("/{}", items.len())),
                Frame::Map {
                    key: Some((k, _, _)),
                    ..
                } => {
                    pointer = crate::workload::join(&pointer, k);
                }
                Frame::Map { .. } => {}
            }
        }
        crate::workload::join(&pointer, key)
    }

    /// Put a node where it belongs; an item of a streamed list is handed
    /// back instead.
    fn push(&mut self, node: Node, plain_merge: bool) -> LoadResult<Option<Loaded>> {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq {
                streamed: Some(streamed),
                start,
                ..
            }) => {
                let index = streamed.count;
                streamed.count += 1;
                if let Some(span) = node.span {
                    streamed.last_end = streamed.last_end.max(span.end);
                }
                let list = start.start;
                if let Some(item) = self.item.take() {
                    self.nodes = item.root_nodes;
                }
                return Ok(Some(Loaded::Item {
                    node,
                    index,
                    list,
                    soft_errors: std::mem::take(&mut self.soft_errors),
                }));
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                merges,
                index,
                ..
            }) => match key.take() {
                None => {
                    let span = node.span.unwrap_or_default();
                    let text = key_text(node).ok_or_else(|| {
                        Box::new(syntax(
                            "only scalar mapping keys are supported (Kubernetes objects have string keys)",
                            "seules les clés scalaires sont acceptées (les objets Kubernetes ont des clés texte)",
                            span,
                        ))
                    })?;
                    *key = Some((text, span, plain_merge));
                }
                Some((_, _, true)) => merges.push(node),
                Some((text, key_span, false)) => {
                    let previous = match index {
                        Some(index) => index.find(entries, &text),
                        None => entries.iter().position(|e| e.key == text),
                    };
                    if let Some(previous) = previous.map(|i| &mut entries[i]) {
                        self.soft_errors.push(duplicate_key(&text, key_span));
                        previous.key_span = Some(key_span);
                        // Not edited by fixes (as aliases): removing this
                        // value would bring the first one back.
                        previous.value = node;
                        previous.value.aliased = true;
                        let pointer = self.pointer_to(&text);
                        if let Some(error) = self.soft_errors.last_mut() {
                            error.pointer = Some(pointer);
                        }
                    } else {
                        // Past a few keys, look keys up in a map: a mapping
                        // with 50,000 keys must not cost 50,000² comparisons.
                        if index.is_none() && entries.len() >= INDEX_FROM {
                            let mut keys = KeyIndex::default();
                            for (i, e) in entries.iter().enumerate() {
                                keys.insert(i, &e.key);
                            }
                            *index = Some(keys);
                        }
                        if let Some(index) = index {
                            index.insert(entries.len(), &text);
                        }
                        entries.push(Entry {
                            key: text,
                            key_span: Some(key_span),
                            value: node,
                        });
                    }
                }
            },
        }
        Ok(None)
    }
}

fn too_deep(limits: &Limits, span: Span) -> Diagnostic {
    limit(
        format!(
            "nesting deeper than {} levels (max_depth); the document was not checked",
            limits.max_depth
        ),
        format!(
            "imbrication de plus de {} niveaux (max_depth) ; le document n'a pas été vérifié",
            limits.max_depth
        ),
        span,
    )
}

fn limit(
    en: impl Into<Cow<'static, str>>,
    fr: impl Into<Cow<'static, str>>,
    span: Span,
) -> Diagnostic {
    Diagnostic::new(ErrorKind::Limit, Message::new(en, fr), Some(span))
}

/// go-yaml's rule against alias bombs (yaml.v2 `decode.go`,
/// `allowedAliasRatio`, the fix for CVE-2019-11253), which sigs.k8s.io/yaml
/// applies for kubectl and the API server: past 100 nodes from aliases and
/// 1,000 nodes in all, at most 99% of a document's nodes may come from
/// aliases, falling linearly to 10% from 400,000 to 4,000,000 nodes.
/// go-yaml checks at every node; we check after each alias, when the ratio
/// is at its highest. Our counts differ slightly (go-yaml also counts the
/// document and each alias as a node), so refusals match to within a few
/// nodes; the alias budget ([`Limits::alias_budget`]) then bounds what the
/// ratio allows in a large document.
fn excessive_aliasing(expanded: usize, nodes: usize) -> bool {
    const LOW: usize = 400_000;
    const HIGH: usize = 4_000_000;
    if expanded <= 100 || nodes <= 1_000 {
        return false;
    }
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let allowed = match nodes {
        n if n <= LOW => 0.99,
        n if n >= HIGH => 0.10,
        n => 0.99 - 0.89 * ((n - LOW) as f64 / (HIGH - LOW) as f64),
    };
    #[allow(clippy::cast_precision_loss)]
    let ratio = expanded as f64 / nodes as f64;
    ratio > allowed
}

/// A key written twice in one mapping: a warning-level problem. kubectl
/// (create, apply, server-side apply, any `--validate`) turns the text into
/// JSON keeping the last value, so Kubernetes takes the object with it, and
/// so does the check. Only a request that carries this text itself is
/// refused, by the API server's strict field validation (what kubectl asks
/// for, on the JSON it sends). The cluster tests hold both sentences to the
/// real kubectl and API server.
fn duplicate_key(key: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::DuplicateKey,
        Message::new(
            format!("duplicate key `{key}`: kubectl keeps this last value and drops the earlier one; the API server's strict field validation refuses the object only when it receives this text as is, not through kubectl"),
            format!("clé `{key}` en double : kubectl garde cette dernière valeur et ignore la précédente ; la validation stricte des champs du serveur d'API ne refuse l'objet que si elle reçoit ce texte tel quel, pas par kubectl"),
        ),
        Some(span),
    )
    .warning()
}

fn syntax(
    en: impl Into<Cow<'static, str>>,
    fr: impl Into<Cow<'static, str>>,
    span: Span,
) -> Diagnostic {
    Diagnostic::new(ErrorKind::Syntax, Message::new(en, fr), Some(span))
}

/// Span of a collection: flow collections end at their closing bracket;
/// block collections at their last child (not at the next token, which may be
/// lines of comments further down).
fn collection_span(
    start: Span,
    end: Span,
    children: impl Iterator<Item = Span>,
    flow: bool,
) -> Span {
    if flow {
        Span::new(start.start, end.end.max(start.start))
    } else {
        let last = children.map(|s| s.end).max().unwrap_or(start.start);
        Span::new(start.start, last.max(start.start))
    }
}

fn mark_aliased(node: &mut Node) {
    node.aliased = true;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(mark_aliased),
        Value::Map(entries) => entries.iter_mut().for_each(|e| mark_aliased(&mut e.value)),
        _ => {}
    }
}

/// A mapping key as the string Kubernetes' YAML-to-JSON conversion makes of it.
fn key_text(node: Node) -> Option<String> {
    Some(match node.value {
        Value::Str(s) => s,
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        // `1.0` is written `1`, as Go writes it: the same key as `1`.
        Value::Float(f) => float_text(f),
        Value::Seq(_) | Value::Map(_) => return None,
    })
}

/// A float as `f64`'s `Display` writes it (`1.5`, `1` for `1.0`, `1000000`
/// for `1e6`, `NaN`, `inf`: the shortest digits that read back as the same
/// float, without exponent), without `core::fmt`'s float formatting, which
/// weighed ~6 KB of the playground's gzipped wasm. The digits come from
/// serde_json's formatter, already in every face; where two digit strings
/// are equally short (16 or 17 digits), it may pick the other one.
fn float_text(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let shortest = serde_json::Number::from_f64(f).map_or_else(String::new, |n| n.to_string());
    let (negative, shortest) = match shortest.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, shortest.as_str()),
    };
    // `d.ddd` or `d.ddde±x`: the digits, and where the point goes in them.
    let (mantissa, exponent) = match shortest.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (shortest, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{whole}{fraction}");
    let significant = all.trim_start_matches('0');
    // How many digits stand before the point (negative: zeros after it).
    let point = whole.len() as i64 + exponent - (all.len() - significant.len()) as i64;
    let digits = significant.trim_end_matches('0');
    let mut out = String::from(if negative { "-" } else { "" });
    if digits.is_empty() {
        out.push('0');
    } else if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
        out.push_str(digits);
    } else if point as usize >= digits.len() {
        out.push_str(digits);
        out.extend(std::iter::repeat_n('0', point as usize - digits.len()));
    } else {
        let (int, frac) = digits.split_at(point as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// The value of a scalar event; its text is moved, not copied, when it
/// stays a string.
fn resolve(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&Tag>) -> Value {
    let core_tag = tag
        .filter(|t| t.handle == "tag:yaml.org,2002:" || t.handle == "!!")
        .map(|t| t.suffix.as_str());
    match core_tag {
        Some("str") => Value::Str(text.into_owned()),
        Some("int" | "bool" | "float" | "null") => scalar::resolve_plain_cow(text),
        _ if style == ScalarStyle::Plain => scalar::resolve_plain_cow(text),
        _ => Value::Str(text.into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]

        /// `float_text` writes as `f64`'s `Display` does: the shortest
        /// digits that read back as the same float, without exponent. When
        /// two such digit strings are equally short (16 or 17 digits), the
        /// two formatters may pick different ones.
        #[test]
        fn float_text_is_display(bits: u64, small in -1e7f64..1e7, digits in 0u32..8) {
            for f in [f64::from_bits(bits), small] {
                let (ours, display) = (float_text(f), f.to_string());
                proptest::prop_assert_eq!(ours.len(), display.len(), "{} against {}", ours, display);
                if f.is_nan() {
                    proptest::prop_assert_eq!(ours, display);
                } else {
                    proptest::prop_assert_eq!(ours.parse::<f64>().map(f64::to_bits), Ok(f.to_bits()), "{}", ours);
                }
            }
            // At most 14 significant digits: one shortest form, the same.
            let scale = f64::from(10u32.pow(digits));
            let rounded = (small * scale).round() / scale;
            proptest::prop_assert_eq!(float_text(rounded), rounded.to_string());
        }
    }

    proptest::proptest! {
        /// `split_documents`' shortcuts say what `str` says: lines that
        /// put back together make the text, blank lines are `trim`'s.
        #[test]
        fn lines_and_blank_lines(text in "[ \t\n\r#a\u{a0}\u{2028}\u{3000}é-]{0,40}", from in 0usize..40) {
            let from = text.char_indices().map(|(i, _)| i).find(|&i| i >= from).unwrap_or(text.len());
            let from = text[..from].rfind('\n').map_or(0, |i| i + 1);
            let lines: Vec<Range<usize>> = line_spans(&text, from).collect();
            proptest::prop_assert_eq!(lines.iter().map(|l| &text[l.clone()]).collect::<String>(), &text[from..]);
            for l in &lines {
                let line = &text[l.clone()];
                proptest::prop_assert!(!line.strip_suffix('\n').unwrap_or(line).contains('\n'));
                proptest::prop_assert!(line.ends_with('\n') || l.end == text.len());
                proptest::prop_assert_eq!(is_blank(line), line.trim().is_empty(), "{:?}", line);
            }
        }
    }

    #[test]
    fn float_text_edges() {
        for f in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            1.5,
            0.1,
            1e-7,
            1e6,
            1e15,
            1e16,
            1e21,
            1e22,
            1e300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            123_456.789,
        ] {
            assert_eq!(float_text(f), f.to_string(), "{f:?}");
        }
    }

    #[test]
    fn flow_closer_at_the_key_column_is_read_like_kubectl() {
        let text = "kind: Pod\nspec:\n  args: [\n      \"-a\",\n  ]\n  hostPID: true\r\n";
        let (docs, errors) = parse_stream(text, &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        let spec = docs[0].root.get("spec").unwrap();
        assert_eq!(spec.get("hostPID").and_then(Node::as_bool), Some(true));
        let args = spec.get("args").unwrap().span.unwrap();
        assert_eq!(&text[args.start..args.end], "[\n      \"-a\",\n  ]");
        // A comment on the line before would swallow the bracket: still an error.
        let commented = "args: [\n    \"-a\", # note\n]\n";
        assert_eq!(parse_stream(commented, &Limits::default()).1.len(), 1);
    }

    #[test]
    fn duplicate_keys_carry_their_pointer() {
        let text = "kind: Pod\nspec:\n  containers:\n    - name: a\n    - name: b\n      securityContext:\n        privileged: true\n        privileged: false\n";
        let (docs, errors) = parse_stream(text, &Limits::default());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].kind, ErrorKind::DuplicateKey);
        assert_eq!(
            errors[0].pointer.as_deref(),
            Some("/spec/containers/1/securityContext/privileged")
        );
        let last = docs[0]
            .root
            .pointer("/spec/containers/1/securityContext/privileged");
        assert_eq!(
            last.and_then(Node::as_bool),
            Some(false),
            "the last value wins"
        );
    }
}
