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
//! The report is [`check_text_with_limits`](crate::check_text_with_limits)'s,
//! to the byte: `tests/recheck.rs` holds it to that over random edits.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::yaml::{for_each_chunk, read_chunk, split_documents, stream_start};
use crate::{check_read, locate, span, Diagnostic, Finding, Limits, Report, Settings};

/// Checks successive versions of a text, re-reading only the documents
/// whose text changed since the last check.
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
    /// What the cached results were checked with: other settings or limits
    /// start afresh.
    checked_with: Option<(Settings, Limits)>,
    /// The last text's chunks, in its order (a chunk whose text came twice
    /// is there twice), and the read ahead ones.
    chunks: Vec<Chunk>,
    /// Where each chunk's text is in `chunks` (its first place).
    index: HashMap<String, usize, BuildHasherDefault<TextHasher>>,
    /// The chunks of the last check, in order: indices into `chunks`.
    order: Vec<usize>,
    /// The stream's own error (too large, too many documents), located.
    stream_error: Option<Diagnostic>,
    /// Where [`Rechecker::read_ahead`] stopped: a byte offset of the text.
    resume: Option<usize>,
}

/// The chunks' hash: all of every chunk is hashed on every check, and the
/// standard library's SipHash was a third of a keystroke's check in the
/// browser. A multiply-rotate over 8-byte words (FxHash's) is several
/// times faster. It resists no crafted collisions, which would only slow
/// the lookups of whoever crafted their own text (the keys are compared in
/// full, so results stay exact).
#[derive(Default)]
struct TextHasher(u64);

impl Hasher for TextHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut w = [0; 8];
            w.copy_from_slice(word);
            self.add(u64::from_le_bytes(w));
        }
        for &b in words.remainder() {
            self.add(u64::from(b));
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl TextHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Where a chunk sits in a stream: its byte offset, the index of its first
/// document, and the lines and UTF-16 code units before it. A chunk starts
/// at the start of a line (or after a byte order mark, which no column
/// counts), so moving it moves its positions' lines, offsets and UTF-16
/// offsets, never their columns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Place {
    base: usize,
    first: usize,
    lines: usize,
    utf16: usize,
}

/// One chunk's results, where the chunk was last placed: spans, positions
/// and document indices are those of the stream it was in (as if it were
/// the whole stream when it has not been placed yet).
#[derive(Debug, Clone)]
struct Chunk {
    /// Document indices the chunk takes.
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
}

impl Chunk {
    fn check(text: &str, settings: &Settings, limits: &Limits) -> Self {
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
            at: Place::default(),
            lines: text.bytes().filter(|&b| b == b'\n').count(),
            utf16: utf16_len(text),
        }
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
        for f in &mut self.findings {
            span(&mut f.span);
            position(&mut f.start);
            position(&mut f.end);
            if let Some(related) = &mut f.related {
                span(&mut related.span);
                position(&mut related.start);
                position(&mut related.end);
            }
            f.object.document = f.object.document - from.first + to.first;
        }
        for e in &mut self.errors {
            span(&mut e.span);
            position(&mut e.start);
            position(&mut e.end);
            e.document = e.document.map(|d| d - from.first + to.first);
        }
    }
}

/// UTF-16 code units of a text (bytes, when it is ASCII).
fn utf16_len(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().map(char::len_utf16).sum()
    }
}

/// A check by [`Rechecker::check_ref`]: the report, borrowed from the
/// rechecker instead of copied out of it.
#[derive(Debug)]
pub struct Rechecked<'a> {
    chunks: Vec<&'a Chunk>,
    errors: Vec<Diagnostic>,
}

impl<'a> Rechecked<'a> {
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
    /// only the documents that the last check (or [`Rechecker::read_ahead`])
    /// did not see.
    pub fn check(&mut self, text: &str, settings: &Settings, limits: &Limits) -> Report {
        self.check_ref(text, settings, limits).to_report()
    }

    /// [`Rechecker::check`] without copying the report out: its findings
    /// are borrowed from the rechecker. The documents that did not change
    /// are neither read nor copied, only moved to their new place (their
    /// spans, positions and document indices shifted), so a check costs
    /// about the documents that changed and a pass over the text.
    pub fn check_ref(&mut self, text: &str, settings: &Settings, limits: &Limits) -> Rechecked<'_> {
        self.use_settings(settings, limits);
        let mut index = std::mem::take(&mut self.index);
        let mut previous: Vec<Option<Chunk>> = std::mem::take(&mut self.chunks)
            .into_iter()
            .map(Some)
            .collect();
        let start = stream_start(text);
        let mut next = Place {
            base: start,
            first: 0,
            lines: 0,
            utf16: utf16_len(&text[..start]),
        };
        let (chunks, order, new_index) = (&mut self.chunks, &mut self.order, &mut self.index);
        order.clear();
        let stream_error = for_each_chunk(text, limits, |span, first| {
            let key = &text[span.start..span.end];
            let at = Place {
                base: span.start,
                first,
                ..next
            };
            let mut chunk = match new_index.get(key) {
                // The same text earlier in this stream.
                Some(&i) => chunks[i].clone(),
                None => {
                    // The last text's key is kept: no copy of the text.
                    let (key, chunk) = match index.remove_entry(key) {
                        Some((key, i)) => (key, previous[i].take()),
                        None => (key.to_owned(), None),
                    };
                    let chunk = chunk.unwrap_or_else(|| Chunk::check(&key, settings, limits));
                    new_index.insert(key, chunks.len());
                    chunk
                }
            };
            chunk.move_to(at);
            next.lines += chunk.lines;
            next.utf16 += chunk.utf16;
            let count = chunk.count;
            order.push(chunks.len());
            chunks.push(chunk);
            count
        });
        self.stream_error = stream_error.map(|error| {
            let mut report = Report::default();
            report.errors.push(error);
            locate(&mut report, text);
            report.errors.remove(0)
        });
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
        Rechecked { chunks, errors }
    }

    /// Read documents of `text` that are not read yet, about `budget` bytes
    /// of them (at least one document), so that a caller can spread the
    /// first check of a long text over several turns of its event loop.
    /// Returns `true` once every document is read: [`Rechecker::check`]
    /// then reads nothing. Changes no report: only what `check` reads.
    ///
    /// Successive calls go on where the last one stopped, so the text is
    /// split and looked up about twice in all, not once per call. If the
    /// text changed meanwhile, what is read is still right (a chunk's
    /// results depend on its own text only); at worst `check` reads more.
    pub fn read_ahead(
        &mut self,
        text: &str,
        settings: &Settings,
        limits: &Limits,
        budget: usize,
    ) -> bool {
        self.use_settings(settings, limits);
        if limits.input_too_large(text.len()).is_some() {
            return true; // `check` reads nothing either
        }
        let start = stream_start(text);
        let resume = self
            .resume
            .filter(|&at| at > start && at <= text.len() && text[..at].ends_with('\n'));
        let from = resume.unwrap_or(start);
        // From where the last call stopped to the end, then what lay before
        // (split only once the first part is done).
        let spans = split_documents(text, from).into_iter().chain(
            resume
                .into_iter()
                .flat_map(|_| split_documents(text, start))
                .take_while(|span| span.start < from),
        );
        let mut read = 0;
        for span in spans {
            let key = &text[span.start..span.end];
            if self.index.contains_key(key) {
                continue;
            }
            if read > 0 && read >= budget {
                self.resume = Some(span.start);
                return false;
            }
            read += key.len();
            let chunk = Chunk::check(key, settings, limits);
            self.index.insert(key.to_owned(), self.chunks.len());
            self.chunks.push(chunk);
        }
        self.resume = None;
        true
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
            self.checked_with = Some((settings.clone(), *limits));
        }
    }
}
