//! The YAML reader: text → documents of [`Node`]s with byte spans.
//!
//! Built on `saphyr-parser`'s event stream, with what Kubernetes does on top:
//! YAML 1.1 scalars (`scalar`), anchors and aliases, `<<` merge keys, and
//! duplicate keys reported (the last value wins, as in kubectl). The stream
//! is split into documents first, so an error in one document leaves the
//! others readable. Every limit of [`Limits`] is enforced here.

mod scalar;

/// How Kubernetes reads a plain (unquoted) scalar.
pub fn resolve_plain_str(text: &str) -> Value {
    scalar::resolve_plain(text)
}

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Tag};

use crate::diagnostic::{Diagnostic, ErrorKind, Message};
use crate::node::{Entry, Node, Value};
use crate::span::Span;
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
const MAX_RELAXATIONS: usize = 16;

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
fn relax_flow_closer(source: &str, error_at: usize) -> Option<String> {
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
    let mut relaxed = String::with_capacity(source.len());
    relaxed.push_str(&source[..break_start]);
    relaxed.push_str(&" ".repeat(line_start - break_start));
    relaxed.push_str(&source[line_start..]);
    Some(relaxed)
}

/// Split a stream at `---` lines (and the directives before them).
///
/// YAML forbids a document marker at column 0 inside a scalar, so cutting the
/// text there is exact, and lets each document be read on its own.
pub(crate) fn split_documents(text: &str, from: usize) -> Vec<Span> {
    let mut chunks = Vec::new();
    let mut chunk_start = from;
    let mut directives_start: Option<usize> = None;
    let mut line_start = from;
    while line_start < text.len() {
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i + 1);
        let line = &text[line_start..line_end];
        if is_marker(line, "---") {
            let boundary = directives_start.unwrap_or(line_start);
            if boundary > chunk_start {
                chunks.push(Span::new(chunk_start, boundary));
            }
            chunk_start = boundary;
            directives_start = None;
        } else if line.starts_with('%') {
            directives_start.get_or_insert(line_start);
        } else if !line.trim().is_empty() && !line.starts_with('#') {
            directives_start = None;
        }
        line_start = line_end;
    }
    if text.len() > chunk_start {
        chunks.push(Span::new(chunk_start, text.len()));
    }
    chunks
}

fn is_marker(line: &str, marker: &str) -> bool {
    line.strip_prefix(marker)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
}

/// Converts the parser's character indices into byte offsets of the whole text.
///
/// Events arrive in nearly increasing order, so a cursor that walks from the
/// last position costs O(input) in total.
struct Offsets<'a> {
    chunk: &'a str,
    base: usize,
    ascii: bool,
    char_pos: usize,
    byte_pos: usize,
}

impl<'a> Offsets<'a> {
    fn new(chunk: &'a str, base: usize) -> Self {
        Self {
            chunk,
            base,
            ascii: chunk.is_ascii(),
            char_pos: 0,
            byte_pos: 0,
        }
    }

    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return self.base + char_index.min(self.chunk.len());
        }
        let bytes = self.chunk.as_bytes();
        while self.char_pos < char_index && self.byte_pos < bytes.len() {
            self.byte_pos += 1;
            while self.byte_pos < bytes.len() && !self.chunk.is_char_boundary(self.byte_pos) {
                self.byte_pos += 1;
            }
            self.char_pos += 1;
        }
        while self.char_pos > char_index && self.byte_pos > 0 {
            self.byte_pos -= 1;
            while self.byte_pos > 0 && !self.chunk.is_char_boundary(self.byte_pos) {
                self.byte_pos -= 1;
            }
            self.char_pos -= 1;
        }
        self.base + self.byte_pos
    }

    /// The span without trailing whitespace and line breaks.
    fn trim_end(&self, span: Span) -> Span {
        let local = &self.chunk[span.start - self.base..span.end - self.base];
        Span::new(span.start, span.start + local.trim_end().len())
    }

    fn span(&mut self, span: saphyr_parser::Span) -> Span {
        let start = self.byte(span.start.index());
        let end = self.byte(span.end.index());
        Span::new(start, end.max(start))
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<Entry>,
        /// Key waiting for its value: text, span, and whether it is a plain `<<`.
        key: Option<(String, Span, bool)>,
        merges: Vec<Node>,
        /// Key → position in `entries`, built once the mapping is large.
        index: Option<HashMap<String, usize>>,
        start: Span,
        anchor: usize,
    },
}

/// Mappings with this many keys get a lookup table for duplicate keys.
const INDEX_FROM: usize = 16;

struct Anchored {
    node: Node,
    size: usize,
    height: usize,
}

struct Loader<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    offsets: Offsets<'a>,
    limits: &'a Limits,
    stack: Vec<Frame>,
    /// Anchored nodes with their size and height (alias budget and depth).
    anchors: HashMap<usize, Anchored>,
    nodes: usize,
    /// Of `nodes`, those added by aliases.
    expanded: usize,
    /// Nodes aliases may add to a document of this chunk.
    alias_budget: usize,
    /// Problems that do not stop the document (duplicate keys).
    soft_errors: Vec<Diagnostic>,
}

// Boxed: errors are rare, and the hot path returns `Ok(())` by the million.
type LoadResult<T> = Result<T, Box<Diagnostic>>;

impl<'a> Loader<'a> {
    fn new(chunk: &'a str, base: usize, limits: &'a Limits) -> Self {
        Self {
            parser: Parser::new_from_str(chunk),
            offsets: Offsets::new(chunk, base),
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            expanded: 0,
            alias_budget: limits.alias_budget(chunk.len()),
            soft_errors: Vec::new(),
        }
    }

    fn run(&mut self, emit: &mut dyn FnMut(Node, Vec<Diagnostic>)) -> LoadResult<()> {
        let mut root: Option<Node> = None;
        while let Some(event) = self.parser.next_event() {
            let (event, span) = event.map_err(|e| Box::new(self.scan_error(&e)))?;
            let span = self.offsets.span(span);
            match event {
                Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
                Event::DocumentStart(_) => {
                    root = None;
                    self.anchors.clear();
                    self.nodes = 0;
                    self.expanded = 0;
                }
                Event::DocumentEnd => {
                    let root = root
                        .take()
                        .unwrap_or_else(|| Node::new(Value::Null, Some(span)));
                    emit(root, std::mem::take(&mut self.soft_errors));
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let span = if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded) {
                        // Block scalars' spans run into the next line's indentation.
                        self.offsets.trim_end(span)
                    } else {
                        span
                    };
                    if text.len() > self.limits.max_scalar_bytes {
                        return Err(Box::new(limit(
                            &format!(
                                "scalar of {} bytes, more than the limit of {} bytes (max_scalar_bytes); the document was not checked",
                                text.len(),
                                self.limits.max_scalar_bytes
                            ),
                            &format!(
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
                    self.push(node, plain_merge, &mut root)?;
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
                    self.push(node, false, &mut root)?;
                }
                Event::SequenceStart(anchor, _) => {
                    self.enter(span)?;
                    self.stack.push(Frame::Seq {
                        items: Vec::new(),
                        start: span,
                        anchor,
                    });
                }
                Event::MappingStart(anchor, _) => {
                    self.enter(span)?;
                    self.stack.push(Frame::Map {
                        entries: Vec::new(),
                        key: None,
                        merges: Vec::new(),
                        index: None,
                        start: span,
                        anchor,
                    });
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
                        let node = node.clone();
                        self.anchors.insert(anchor, Anchored { node, size, height });
                    }
                    self.push(node, false, &mut root)?;
                }
            }
        }
        Ok(())
    }

    fn scan_error(&mut self, e: &ScanError) -> Diagnostic {
        let at = self.offsets.byte(e.marker().index());
        if e.info().contains("recursion limit") {
            // The parser's own nesting limit (deep flow collections).
            return too_deep(self.limits, Span::empty(at));
        }
        syntax(
            &format!("invalid YAML: {}", e.info()),
            &format!("YAML invalide : {}", e.info()),
            Span::empty(at),
        )
    }

    fn count(&mut self, n: usize, span: Span) -> LoadResult<()> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(Box::new(limit(
                &format!(
                    "document has more than {} nodes after expanding aliases (max_nodes); it was not checked",
                    self.limits.max_nodes
                ),
                &format!(
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
        if self.expanded > self.alias_budget {
            return Err(Box::new(limit(
                &format!(
                    "aliases expand to more than {} nodes in this document ({} (max_alias_nodes) plus one per byte of the document); it was not checked",
                    self.alias_budget,
                    self.limits.max_alias_nodes
                ),
                &format!(
                    "les alias développent plus de {} nœuds dans ce document ({} (max_alias_nodes) plus un par octet du document) ; il n'a pas été vérifié",
                    self.alias_budget,
                    self.limits.max_alias_nodes
                ),
                span,
            )));
        }
        self.count(n, span)?;
        if excessive_aliasing(self.expanded, self.nodes) {
            return Err(Box::new(limit(
                &format!(
                    "excessive aliasing: {} of the document's {} nodes come from aliases (go-yaml's alias ratio, which kubectl and the API server apply); it was not checked",
                    self.expanded, self.nodes
                ),
                &format!(
                    "alias excessifs : {} des {} nœuds du document viennent d'alias (le ratio d'alias de go-yaml, qu'appliquent kubectl et le serveur d'API) ; il n'a pas été vérifié",
                    self.expanded, self.nodes
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
            return Err(Box::new(too_deep(self.limits, span)));
        }
        Ok(())
    }

    fn finish(&mut self, frame: Frame, end: Span) -> LoadResult<(Node, usize)> {
        match frame {
            Frame::Seq {
                items,
                start,
                anchor,
            } => {
                let span = collection_span(
                    start,
                    end,
                    items.iter().filter_map(|n| n.span),
                    '[',
                    &self.offsets,
                );
                Ok((Node::new(Value::Seq(items), Some(span)), anchor))
            }
            Frame::Map {
                mut entries,
                key,
                merges,
                index: _,
                start,
                anchor,
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
                let span = collection_span(start, end, ends, '{', &self.offsets);
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

    fn push(&mut self, node: Node, plain_merge: bool, root: &mut Option<Node>) -> LoadResult<()> {
        match self.stack.last_mut() {
            None => *root = Some(node),
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
                        Some(index) => index.get(&text).copied(),
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
                            *index = Some(
                                entries
                                    .iter()
                                    .enumerate()
                                    .map(|(i, e)| (e.key.clone(), i))
                                    .collect(),
                            );
                        }
                        if let Some(index) = index {
                            index.insert(text.clone(), entries.len());
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
        Ok(())
    }
}

fn too_deep(limits: &Limits, span: Span) -> Diagnostic {
    limit(
        &format!(
            "nesting deeper than {} levels (max_depth); the document was not checked",
            limits.max_depth
        ),
        &format!(
            "imbrication de plus de {} niveaux (max_depth) ; le document n'a pas été vérifié",
            limits.max_depth
        ),
        span,
    )
}

fn limit(en: &str, fr: &str, span: Span) -> Diagnostic {
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

fn syntax(en: &str, fr: &str, span: Span) -> Diagnostic {
    Diagnostic::new(ErrorKind::Syntax, Message::new(en, fr), Some(span))
}

/// Span of a collection: flow collections end at their closing bracket;
/// block collections at their last child (not at the next token, which may be
/// lines of comments further down).
fn collection_span(
    start: Span,
    end: Span,
    children: impl Iterator<Item = Span>,
    open: char,
    offsets: &Offsets<'_>,
) -> Span {
    let base = offsets.base;
    let is_flow = offsets.chunk[start.start.saturating_sub(base).min(offsets.chunk.len())..]
        .starts_with([open]);
    if is_flow {
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
