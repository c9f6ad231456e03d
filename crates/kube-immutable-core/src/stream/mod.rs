//! Checking a stream of any size in bounded memory: document by document,
//! and the items of a `List` one at a time.
//!
//! A binding reads the stream and cuts it into chunks with a [`Splitter`]
//! (the cuts of [`check_text`](crate::check_text): at `---` lines), then
//! reads and checks each chunk with [`check_chunk`] (a chunk held whole) or
//! [`check_chunk_pieces`] (a chunk too long to hold, read as it comes). A
//! chunk's results arrive as [`Event`]s: a `List`'s items one by one as
//! they are read ([`Event::Item`]), then each document's end, which says
//! which of its items stand (kubectl prints `items` before `kind: List`, so
//! that is known only then). Memory is bounded by the largest object, not
//! by the stream: an item's tree is dropped once checked.
//!
//! Spans and positions are relative to the chunk (its first byte, line 0,
//! UTF-16 offset 0) and document indices to its first document: the binding
//! moves them by where the chunk starts ([`Origin`], from the splitter) and
//! by the documents of the chunks before (each call returns how many it
//! took). [`Assembler`] puts a stream's events together into exactly the
//! report [`check_text`](crate::check_text) gives, in memory; a binding that
//! must not hold every finding (the CLI) does the same with its own
//! storage, following [`Event`]'s rules.
//!
//! `max_input_bytes` bounds each document, and each item of a `List` read
//! as it comes (not the stream); every other limit keeps its meaning, with
//! `max_nodes` counted per item for a `List`'s items.

pub(crate) mod lines;
mod split;

pub use split::{Origin, Splitter};

pub use crate::yaml::Excerpt;

use std::cell::RefCell;
use std::rc::Rc;

use crate::diagnostic::{Diagnostic, ErrorKind, Message};
use crate::engine;
use crate::finding::Finding;
use crate::node::Node;
use crate::settings::Settings;
use crate::span::{Position, Span};
use crate::yaml::window::{Feed, Pending, PieceInput, SharedFeed, Window};
use crate::yaml::{
    flow_closer_break, relax_flow_closer, EventSource, Loaded, Loader, TextView, MAX_RELAXATIONS,
};
use crate::{Limits, Report};

/// What a piece of a chunk holds: one item of a `List`, or what a document
/// holds besides the items it handed out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Part {
    /// Sorted as reports are read: by position, those without first; ties
    /// in the order found.
    pub findings: Vec<Finding>,
    /// Errors about objects (wrong types, the ignore annotation), sorted
    /// the same way.
    pub errors: Vec<Diagnostic>,
    /// Errors found reading the text (duplicate keys, and what broke a
    /// document), sorted the same way: they stand even when the document
    /// they were found in does not.
    pub read_errors: Vec<Diagnostic>,
    /// Workload objects checked.
    pub objects: usize,
    /// Findings silenced by the ignore annotation.
    pub suppressed: usize,
    /// Documents whose root is a Kubernetes object ([`Report::manifests`]).
    pub manifests: usize,
    /// The lines the spans above are on, when asked for (code frames).
    pub excerpts: Vec<Excerpt>,
}

/// What reading a chunk finds, in order.
///
/// **Rules:** the items of a document come before its end. An item stands
/// only if the end of its document names its `list` (`Document::list`); its
/// `read_errors` stand in any case. A broken document's items do not stand
/// (their `read_errors` do). [`Event::Restart`] voids everything the chunk
/// sent before it. Within a document, the findings (and errors) of the
/// items that stand come in order, except those placed before their item's
/// `start` (spans of YAML aliases, whose anchor is earlier) and those of
/// the document's own part, which are merged in by position; ties go to
/// the one sent first, read errors before object errors.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// One item of a document's `items` list, read and checked.
    Item {
        /// Document index, from the chunk's first.
        document: usize,
        /// Which list: where it starts (a key written twice makes two).
        list: usize,
        /// Where the item starts.
        start: usize,
        part: Part,
    },
    /// A document was read: what it holds besides its items.
    Document {
        document: usize,
        /// The list whose items stand: the document is a `List` and these
        /// are its `items`.
        list: Option<usize>,
        part: Part,
    },
    /// A document could not be read to its end: its `read_errors` say why.
    Broken { document: usize, part: Part },
    /// Forget what this chunk sent: it is read again (a flow collection's
    /// closing bracket moved, as kubectl reads it) or replaced (a NUL).
    Restart,
}

/// How to check.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub settings: &'a Settings,
    pub limits: &'a Limits,
    /// Give each part the lines its spans are on (code frames).
    pub excerpts: bool,
}

/// Read and check a chunk held whole (see [`Splitter`]). Returns how many
/// document indices it takes.
pub fn check_chunk(text: &str, options: &Options<'_>, sink: &mut dyn FnMut(Event)) -> usize {
    if let Some(at) = text.find('\0') {
        let mut offsets = crate::yaml::Offsets::new(text, 0);
        let error = nul_error(at);
        sink(Event::Broken {
            document: 0,
            part: part(
                Report::default(),
                vec![error],
                &mut offsets,
                options.excerpts,
            ),
        });
        return 1;
    }
    let mut relaxed: Option<String> = None;
    for attempt in 0.. {
        let source = relaxed.as_deref().unwrap_or(text);
        // The parser reads the relaxed text; positions and excerpts come
        // from the text as written (a relaxed line break is a space).
        let mut loader = Loader::with_events(
            saphyr_parser::Parser::new_from_str(source),
            crate::yaml::Offsets::new(text, 0),
            options.limits,
        )
        .streaming_items();
        let mut count = 0;
        let Err(error) = drive(&mut loader, options, sink, &mut count) else {
            return count;
        };
        let at = error.span.map_or(0, |s| s.start);
        if attempt < MAX_RELAXATIONS {
            if let Some(next) = relax_flow_closer(source, at) {
                sink(Event::Restart);
                relaxed = Some(next);
                continue;
            }
        }
        broken(&mut loader, *error, count, options, sink);
        return count + 1;
    }
    unreachable!("the loop returns")
}

/// A chunk's text in pieces, each ending at a line break (but the last).
pub trait Pieces {
    /// The next piece; `None` at the chunk's end.
    fn next(&mut self) -> Option<String>;

    /// Whether the pieces can be read again ([`Pieces::rewind`]).
    fn rewindable(&self) -> bool {
        false
    }

    /// Start again from the chunk's first piece (to read it again, as
    /// kubectl reads a misplaced flow collection closer).
    fn rewind(&mut self) {}
}

/// Pieces from a closure, which cannot be read again.
#[allow(missing_debug_implementations)] // a closure
pub struct FromFn<F: FnMut() -> Option<String>>(pub F);

impl<F: FnMut() -> Option<String>> Pieces for FromFn<F> {
    fn next(&mut self) -> Option<String> {
        (self.0)()
    }
}

/// Read and check a chunk too long to hold whole, as its pieces come.
/// Returns how many document indices it takes.
///
/// The text is forgotten as it is read, but for what the objects being read
/// need, a document's first lines (before its items) and the lines of
/// anchors: more than `max_input_bytes` of that is an error. A misplaced
/// flow collection closer, which kubectl reads by joining its line to the
/// one before, needs the chunk read again, and so does an alias budget
/// passed early (the budget grows with the chunk, whose length is known at
/// its end): when the pieces cannot be ([`Pieces::rewind`]), the closer is
/// an error and the budget the one of what was read.
///
/// This reads and checks on the caller's thread; [`ChunkParser`] and
/// [`check_batches`] are the same in two halves, for two threads.
pub fn check_chunk_pieces(
    pieces: &mut dyn Pieces,
    options: &Options<'_>,
    sink: &mut dyn FnMut(Event),
) -> usize {
    let rewindable = pieces.rewindable();
    let pieces = Rc::new(RefCell::new(pieces));
    let source = Rc::clone(&pieces);
    let mut inline = Inline {
        parser: Some(ChunkParser::new(
            Box::new(move || source.borrow_mut().next()),
            &[],
            options.limits,
        )),
        pieces,
        rewindable,
        limits: *options.limits,
    };
    check_batches(&mut inline, options, sink)
}

/// Batches parsed on demand, on the same thread.
struct Inline<'a, 'p> {
    pieces: Rc<RefCell<&'p mut dyn Pieces>>,
    parser: Option<ChunkParser<'a>>,
    rewindable: bool,
    limits: Limits,
}

impl<'a, 'p: 'a> Batches for Inline<'a, 'p> {
    fn next(&mut self) -> Option<Batch> {
        self.parser.as_mut()?.next_batch()
    }

    fn rewindable(&self) -> bool {
        self.rewindable
    }

    fn restart(&mut self, relaxed: &[(usize, usize)]) {
        self.parser = None;
        self.pieces.borrow_mut().rewind();
        let source = Rc::clone(&self.pieces);
        self.parser = Some(ChunkParser::new(
            Box::new(move || source.borrow_mut().next()),
            relaxed,
            &self.limits,
        ));
    }

    fn skip_to_end(&mut self) {
        if let Some(parser) = &mut self.parser {
            parser.skip_to_end();
        }
    }
}

/// Events a parser read, with the text it read meanwhile: what
/// [`ChunkParser`] sends [`check_batches`].
#[allow(missing_debug_implementations)] // parser events
pub struct Batch {
    events: Vec<Parsed>,
    pieces: Vec<String>,
    /// The chunk's end, in its last batch.
    end: Option<ChunkEnd>,
}

type Parsed =
    Result<(saphyr_parser::Event<'static>, saphyr_parser::Span), saphyr_parser::ScanError>;

/// What is known at a chunk's end: its length, where its first NUL is,
/// whether its parse was cut short (`max_input_bytes` read with no event).
#[derive(Debug, Clone)]
struct ChunkEnd {
    len: usize,
    nul: Option<(usize, Position, Excerpt)>,
    cut: bool,
}

impl Batch {
    /// Whether this is the chunk's last batch.
    pub fn is_last(&self) -> bool {
        self.end.is_some()
    }
}

/// Where [`check_batches`] gets its batches: a [`ChunkParser`], on this
/// thread or another.
pub trait Batches {
    /// The next batch; `None` if the parser is gone.
    fn next(&mut self) -> Option<Batch>;
    /// Whether the chunk can be parsed again ([`Batches::restart`]).
    fn rewindable(&self) -> bool;
    /// Parse again from the chunk's first piece, with these line breaks
    /// read as spaces. Batches of the earlier parse must not follow.
    fn restart(&mut self, relaxed: &[(usize, usize)]);
    /// No more events are needed: only the chunk's end (its last batch).
    fn skip_to_end(&mut self);
}

/// The parsing half of [`check_chunk_pieces`]: reads a chunk's pieces,
/// parses them, and hands the events out in batches, for
/// [`check_batches`] to read and check (on another thread).
#[allow(missing_debug_implementations)] // the parser
pub struct ChunkParser<'a> {
    parser: Option<saphyr_parser::Parser<'static, PieceInput<'a>>>,
    feed: SharedFeed<'a>,
    ended: bool,
    /// `max_input_bytes`: what the parser may read between two events.
    limit: usize,
    /// The parse was cut short there.
    cut: bool,
}

/// Events per batch.
const BATCH: usize = 4096;

impl<'a> ChunkParser<'a> {
    /// Parse the pieces `source` gives (see [`Pieces`]), reading the line
    /// breaks in `relaxed` as spaces (from [`Batches::restart`]).
    ///
    /// Text that gives the parser no event (a comment block, blank lines,
    /// one long scalar) is held until the next event: past
    /// `limits.max_input_bytes` of it, the parse stops there, and the
    /// document is refused with that limit, in bounded memory.
    pub fn new(
        source: Box<dyn FnMut() -> Option<String> + 'a>,
        relaxed: &[(usize, usize)],
        limits: &Limits,
    ) -> Self {
        let limit = limits.max_input_bytes;
        let feed = Feed::new(source, limit);
        feed.borrow_mut().relax(relaxed);
        let parser = saphyr_parser::Parser::new(PieceInput::new(feed.clone()));
        Self {
            parser: Some(parser),
            feed,
            ended: false,
            limit,
            cut: false,
        }
    }

    /// Whether the parser read past `max_input_bytes` since its last event
    /// (then what it returned is void: its input was cut short there).
    fn past_limit(&self) -> bool {
        let feed = self.feed.borrow();
        let progress = &feed.progress;
        progress.over.get() || progress.consumed.get() > progress.stop_at.get()
    }

    /// An event was handed out: the next may come `max_input_bytes` on.
    fn handed_out(&self, pending: usize) {
        let mut feed = self.feed.borrow_mut();
        let progress = &feed.progress;
        progress
            .stop_at
            .set(progress.consumed.get().saturating_add(self.limit));
        feed.pending_at_event = pending;
    }

    /// Stop parsing: the next batch reads to the chunk's end and is the last.
    pub fn skip_to_end(&mut self) {
        self.parser = None;
    }

    /// The next batch; `None` after the last.
    pub fn next_batch(&mut self) -> Option<Batch> {
        if self.ended {
            return None;
        }
        let mut events = Vec::with_capacity(BATCH);
        while events.len() < BATCH {
            let Some(parser) = &mut self.parser else {
                break;
            };
            let next = parser.next_event();
            if self.past_limit() {
                // Cut short: what the parser read since its last event is
                // not needed (the document is refused where it stood).
                self.cut = true;
                self.parser = None;
                let feed = self.feed.borrow();
                feed.pending.borrow_mut().truncate(feed.pending_at_event);
                break;
            }
            match next {
                Some(Ok((event, span))) => {
                    events.push(Ok((owned(event), span)));
                    let pending = self.feed.borrow().pending.borrow().len();
                    self.handed_out(pending);
                }
                // The parser stops at its first error.
                Some(Err(error)) => {
                    events.push(Err(error));
                    self.parser = None;
                }
                None => self.parser = None,
            }
        }
        let pending = Rc::clone(&self.feed.borrow().pending);
        let pieces = std::mem::take(&mut *pending.borrow_mut());
        self.feed.borrow_mut().pending_at_event = 0;
        if self.parser.is_some() {
            return Some(Batch {
                events,
                pieces,
                end: None,
            });
        }
        self.ended = true;
        let mut feed = self.feed.borrow_mut();
        feed.drain();
        let (len, nul) = feed.end();
        Some(Batch {
            events,
            pieces,
            end: Some(ChunkEnd {
                len,
                nul,
                cut: self.cut,
            }),
        })
    }
}

/// An event that owns its text (it crosses threads).
fn owned(event: saphyr_parser::Event<'_>) -> saphyr_parser::Event<'static> {
    use saphyr_parser::Event as E;
    use std::borrow::Cow;
    let tag = |t: Option<Cow<'_, saphyr_parser::Tag>>| t.map(|t| Cow::Owned(t.into_owned()));
    match event {
        E::Nothing => E::Nothing,
        E::StreamStart => E::StreamStart,
        E::StreamEnd => E::StreamEnd,
        E::DocumentStart(explicit) => E::DocumentStart(explicit),
        E::DocumentEnd => E::DocumentEnd,
        E::Alias(id) => E::Alias(id),
        E::Scalar(text, style, anchor, t) => {
            E::Scalar(Cow::Owned(text.into_owned()), style, anchor, tag(t))
        }
        E::SequenceStart(anchor, t) => E::SequenceStart(anchor, tag(t)),
        E::SequenceEnd => E::SequenceEnd,
        E::MappingStart(anchor, t) => E::MappingStart(anchor, tag(t)),
        E::MappingEnd => E::MappingEnd,
    }
}

/// The loader's events, from batches; their text goes to the text view.
struct BatchEvents<'b> {
    batches: &'b mut dyn Batches,
    pending: Pending,
    events: std::vec::IntoIter<Parsed>,
    end: Option<ChunkEnd>,
}

impl BatchEvents<'_> {
    /// The next batch; `false` past the last.
    fn pull(&mut self) -> bool {
        if self.end.is_some() {
            return false;
        }
        let Some(batch) = self.batches.next() else {
            // The parser is gone: as if the chunk ended here.
            self.end = Some(ChunkEnd {
                len: 0,
                nul: None,
                cut: false,
            });
            return false;
        };
        self.pending.borrow_mut().extend(batch.pieces);
        self.events = batch.events.into_iter();
        self.end = batch.end;
        true
    }

    /// Read to the chunk's end, skipping what was not read.
    fn finish(&mut self) -> ChunkEnd {
        if self.end.is_none() {
            self.batches.skip_to_end();
            while self.pull() {}
        }
        self.end.clone().unwrap_or(ChunkEnd {
            len: 0,
            nul: None,
            cut: false,
        })
    }
}

impl EventSource<'static> for BatchEvents<'_> {
    fn next_event(&mut self) -> Option<Parsed> {
        loop {
            if let Some(event) = self.events.next() {
                return Some(event);
            }
            if !self.pull() {
                return None;
            }
        }
    }

    fn cut_short(&self) -> bool {
        self.events.len() == 0 && self.end.as_ref().is_some_and(|end| end.cut)
    }
}

/// The checking half of [`check_chunk_pieces`]: reads the events of
/// [`ChunkParser`]'s batches, checks what they hold, sends what it finds.
/// Returns how many document indices the chunk takes.
pub fn check_batches(
    batches: &mut dyn Batches,
    options: &Options<'_>,
    sink: &mut dyn FnMut(Event),
) -> usize {
    let mut relaxed: Vec<(usize, usize)> = Vec::new();
    let mut final_len = None;
    for attempt in 0.. {
        let pending = Pending::default();
        let events = BatchEvents {
            batches: &mut *batches,
            pending: Rc::clone(&pending),
            events: Vec::new().into_iter(),
            end: None,
        };
        let mut window = Window::new(pending);
        window.final_len = final_len;
        let mut loader = Loader::with_events(events, window, options.limits).streaming_items();
        let mut count = 0;
        if let Err(error) = drive(&mut loader, options, sink, &mut count) {
            // kubectl's reading of a misplaced closer: the line joined to
            // the one before, the chunk read again.
            let at = error.span.map_or(0, |s| s.start);
            let join = (attempt < MAX_RELAXATIONS
                && !loader.events.cut_short()
                && loader.events.batches.rewindable())
            .then(|| {
                let (base, text) = loader.text.held(at)?;
                let mut text = text.to_owned();
                for &(from, to) in &relaxed {
                    if from >= base && to <= base + text.len() {
                        text.replace_range(from - base..to - base, &" ".repeat(to - from));
                    }
                }
                let (from, to) = flow_closer_break(&text, at.checked_sub(base)?)?;
                Some((base + from, base + to))
            })
            .flatten();
            if let Some(join) = join {
                drop(loader);
                relaxed.push(join);
                batches.restart(&relaxed);
                sink(Event::Restart);
                continue;
            }
            broken(&mut loader, *error, count, options, sink);
            count += 1;
        }
        let over_budget = loader.over_budget;
        let end = loader.events.finish();
        drop(loader);
        // An alias budget passed once the chunk's length is known: read it
        // again knowing it (what it finds stops where it should have).
        if batches.rewindable()
            && final_len.is_none()
            && end.nul.is_none()
            && !end.cut
            && over_budget > options.limits.alias_budget(end.len)
        {
            final_len = Some(end.len);
            batches.restart(&relaxed);
            sink(Event::Restart);
            continue;
        }
        return finish_chunk(end, count, options, sink);
    }
    unreachable!("the loop returns")
}

/// The chunk read: a NUL anywhere voids what it held (YAML allows none).
fn finish_chunk(
    end: ChunkEnd,
    count: usize,
    options: &Options<'_>,
    sink: &mut dyn FnMut(Event),
) -> usize {
    let Some((at, start, excerpt)) = end.nul else {
        return count;
    };
    sink(Event::Restart);
    let mut error = nul_error(at);
    error.start = Some(start);
    error.end = Some(Position {
        column: start.column + 1,
        offset: start.offset + 1,
        utf16_offset: start.utf16_offset + 1,
        ..start
    });
    sink(Event::Broken {
        document: 0,
        part: Part {
            read_errors: vec![error],
            excerpts: if options.excerpts {
                vec![excerpt]
            } else {
                Vec::new()
            },
            ..Part::default()
        },
    });
    1
}

fn nul_error(at: usize) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Syntax,
        Message::new(
            "invalid YAML: a NUL byte (U+0000); YAML allows no control characters",
            "YAML invalide : un octet NUL (U+0000) ; YAML n'accepte aucun caractère de contrôle",
        ),
        Some(Span::new(at, at + 1)),
    )
    .in_document(0)
}

/// The document that broke: what was read of it, and the error.
fn broken<'a, E: EventSource<'a>, T: TextView>(
    loader: &mut Loader<'a, E, T>,
    error: Diagnostic,
    document: usize,
    options: &Options<'_>,
    sink: &mut dyn FnMut(Event),
) {
    let mut errors = std::mem::take(&mut loader.soft_errors);
    errors.push(error);
    for e in &mut errors {
        e.document = Some(document);
    }
    sink(Event::Broken {
        document,
        part: part(
            Report::default(),
            errors,
            &mut loader.text,
            options.excerpts,
        ),
    });
}

/// Read documents and items, check them, send what they hold.
fn drive<'a, E: EventSource<'a>, T: TextView>(
    loader: &mut Loader<'a, E, T>,
    options: &Options<'_>,
    sink: &mut dyn FnMut(Event),
    count: &mut usize,
) -> Result<(), Box<Diagnostic>> {
    // The list whose items were last handed out in this document: the text
    // before another list's first item is set aside (root-level results,
    // a duplicate `items` key, may point there).
    let mut aside: Option<usize> = None;
    while let Some(loaded) = loader.next()? {
        match loaded {
            Loaded::Item {
                node,
                index,
                list,
                mut soft_errors,
            } => {
                let start = node.span.map_or(0, |s| s.start);
                if aside != Some(list) {
                    loader.text.set_aside(start);
                    aside = Some(list);
                }
                let mut report = Report::default();
                engine::check_node_at(
                    &node,
                    *count,
                    format!("/items/{index}"),
                    options.settings,
                    &engine::Context::default(),
                    &mut report,
                );
                for e in &mut soft_errors {
                    e.document = Some(*count);
                }
                let part = part(report, soft_errors, &mut loader.text, options.excerpts);
                sink(Event::Item {
                    document: *count,
                    list,
                    start,
                    part,
                });
                if let Some(span) = node.span {
                    loader.text.release(span.end);
                }
            }
            Loaded::Document {
                root,
                mut soft_errors,
            } => {
                let end = root.span.map_or(0, |s| s.end);
                let mut report = Report::default();
                engine::check_document(
                    &root,
                    *count,
                    options.settings,
                    &engine::Context::default(),
                    &mut report,
                );
                for e in &mut soft_errors {
                    e.document = Some(*count);
                }
                let part = part(report, soft_errors, &mut loader.text, options.excerpts);
                sink(Event::Document {
                    document: *count,
                    list: list_of(&root),
                    part,
                });
                *count += 1;
                loader.text.forget_aside();
                aside = None;
                // Not further: the parser may have read the next document.
                loader.text.release(end);
            }
        }
    }
    Ok(())
}

/// Where the root's `items` list starts, if the root is a `List` whose
/// objects are its items (as [`crate::workload::for_each_object`] reads it).
fn list_of(root: &Node) -> Option<usize> {
    let kind = root.get("kind").and_then(Node::as_str)?;
    let items = root.get("items")?;
    (kind.ends_with("List") && items.as_seq().is_some()).then_some(items.span?.start)
}

/// A report's findings and errors, sorted and positioned.
fn part<T: TextView>(
    report: Report,
    mut read_errors: Vec<Diagnostic>,
    text: &mut T,
    excerpts: bool,
) -> Part {
    let Report {
        mut findings,
        mut errors,
        objects,
        suppressed,
        manifests,
    } = report;
    // Stable sorts: ties keep the order found.
    findings.sort_by_key(|f| f.span.map(|s| s.start));
    errors.sort_by_key(|e| e.span.map(|s| s.start));
    read_errors.sort_by_key(|e| e.span.map(|s| s.start));
    let spans: Vec<Span> = findings
        .iter()
        .flat_map(|f| {
            f.span
                .into_iter()
                .chain(f.related.as_ref().and_then(|r| r.span))
        })
        .chain(errors.iter().chain(&read_errors).filter_map(|e| e.span))
        .collect();
    let mut offsets: Vec<usize> = spans.iter().flat_map(|s| [s.start, s.end]).collect();
    offsets.sort_unstable();
    offsets.dedup();
    let positions = text.positions(&offsets);
    let at = |offset: usize| offsets.binary_search(&offset).ok().map(|i| positions[i]);
    for f in &mut findings {
        if let Some(span) = f.span {
            f.start = at(span.start);
            f.end = at(span.end);
        }
        if let Some(related) = &mut f.related {
            if let Some(span) = related.span {
                related.start = at(span.start);
                related.end = at(span.end);
            }
        }
    }
    for e in errors.iter_mut().chain(&mut read_errors) {
        if let Some(span) = e.span {
            e.start = at(span.start);
            e.end = at(span.end);
        }
    }
    let mut lines = Vec::new();
    if excerpts {
        let mut spans = spans;
        spans.sort_unstable();
        let mut last_end: Option<usize> = None;
        for span in spans {
            // Spans on lines an excerpt already covers need no other.
            if last_end.is_some_and(|end| span.end < end) {
                continue;
            }
            if let Some(excerpt) = text.excerpt(span) {
                last_end = Some(excerpt.origin.offset + excerpt.text.len());
                lines.push(excerpt);
            }
        }
    }
    Part {
        findings,
        errors,
        read_errors,
        objects,
        suppressed,
        manifests,
        excerpts: lines,
    }
}

/// Puts a stream's [`Event`]s back together into a [`Report`]: exactly
/// [`check_text`](crate::check_text)'s for the same stream, held in memory.
/// Feed it each chunk's events with [`Assembler::chunk`] in stream order.
#[derive(Debug, Default)]
pub struct Assembler {
    report: Report,
    /// Document indices of the chunks so far.
    documents: usize,
    /// Past `max_documents`: the rest is not read.
    stopped: bool,
}

impl Assembler {
    /// Whether chunks past `max_documents` were met: read no further.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// Add a chunk found at `origin`, read with `read` (which calls
    /// [`check_chunk`] or [`check_chunk_pieces`] with the sink it is
    /// given and returns what they return).
    pub fn chunk(
        &mut self,
        origin: Origin,
        limits: &Limits,
        read: impl FnOnce(&mut dyn FnMut(Event)) -> usize,
    ) {
        if self.stopped {
            return;
        }
        if self.documents >= limits.max_documents {
            let mut error = too_many_documents(limits, origin.offset);
            let start = Position {
                line: origin.line + 1,
                column: 1,
                offset: origin.offset,
                utf16_offset: origin.utf16,
            };
            error.start = Some(start);
            error.end = Some(start);
            self.report.errors.insert(0, error);
            self.stopped = true;
            return;
        }
        let mut events = Vec::new();
        let count = read(&mut |event| match event {
            Event::Restart => events.clear(),
            event => events.push(event),
        });
        let first = self.documents;
        self.documents += count;
        let mut document: Vec<Event> = Vec::new();
        for event in events {
            let end = !matches!(event, Event::Item { .. });
            document.push(event);
            if end {
                self.document(std::mem::take(&mut document), origin, first);
            }
        }
    }

    /// The stream's report.
    pub fn finish(self) -> Report {
        self.report
    }

    /// One document's events: its items, then its end.
    fn document(&mut self, events: Vec<Event>, origin: Origin, first: usize) {
        let standing = match events.last() {
            Some(Event::Document { list, .. }) => *list,
            _ => None,
        };
        // (key, part): findings and errors in the order the report sorts.
        let mut findings: Vec<((usize, usize, usize), Finding)> = Vec::new();
        let mut errors: Vec<((usize, usize, usize, usize), Diagnostic)> = Vec::new();
        let mut read_seq = 0;
        let mut seq = 0;
        for event in events {
            let (part, stands) = match event {
                Event::Item { list, part, .. } => (part, Some(list) == standing),
                Event::Document { part, .. } => (part, true),
                Event::Broken { part, .. } => (part, false),
                Event::Restart => continue,
            };
            for e in part.read_errors {
                let key = (
                    usize::from(e.span.is_some()),
                    e.span.map_or(0, |s| s.start),
                    0,
                    read_seq,
                );
                read_seq += 1;
                errors.push((key, e));
            }
            if !stands {
                continue;
            }
            self.report.objects += part.objects;
            self.report.suppressed += part.suppressed;
            self.report.manifests += part.manifests;
            for e in part.errors {
                let key = (
                    usize::from(e.span.is_some()),
                    e.span.map_or(0, |s| s.start),
                    1,
                    seq,
                );
                seq += 1;
                errors.push((key, e));
            }
            for f in part.findings {
                let key = (
                    usize::from(f.span.is_some()),
                    f.span.map_or(0, |s| s.start),
                    seq,
                );
                seq += 1;
                findings.push((key, f));
            }
        }
        findings.sort_by_key(|(key, _)| *key);
        errors.sort_by_key(|(key, _)| *key);
        self.report
            .findings
            .extend(findings.into_iter().map(|(_, mut f)| {
                shift_finding(&mut f, origin, first);
                f
            }));
        self.report
            .errors
            .extend(errors.into_iter().map(|(_, mut e)| {
                shift_diagnostic(&mut e, origin, first);
                e
            }));
    }
}

/// The error for the chunk at `offset` past `max_documents`.
pub fn too_many_documents(limits: &Limits, offset: usize) -> Diagnostic {
    Diagnostic::new(
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
        Some(Span::empty(offset)),
    )
}

/// Move a position of a chunk found at `origin` to the stream's.
pub fn shift_position(p: &mut Position, origin: Origin) {
    // Chunks start at line starts: columns do not move.
    p.line += origin.line;
    p.offset += origin.offset;
    p.utf16_offset += origin.utf16;
}

/// Move a finding of a chunk found at `origin`, whose first document is
/// the stream's `first`, to the stream's spans, positions and documents.
pub fn shift_finding(f: &mut Finding, origin: Origin, first: usize) {
    f.span = f.span.map(|s| s.shift(origin.offset));
    for p in [&mut f.start, &mut f.end].into_iter().flatten() {
        shift_position(p, origin);
    }
    if let Some(related) = &mut f.related {
        related.span = related.span.map(|s| s.shift(origin.offset));
        for p in [&mut related.start, &mut related.end].into_iter().flatten() {
            shift_position(p, origin);
        }
    }
    f.object.document += first;
}

/// [`shift_finding`] for an error.
pub fn shift_diagnostic(e: &mut Diagnostic, origin: Origin, first: usize) {
    e.span = e.span.map(|s| s.shift(origin.offset));
    for p in [&mut e.start, &mut e.end].into_iter().flatten() {
        shift_position(p, origin);
    }
    e.document = e.document.map(|d| d + first);
}
