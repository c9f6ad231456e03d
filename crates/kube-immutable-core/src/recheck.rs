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

use crate::yaml::{for_each_chunk, read_chunk, split_documents, stream_start};
use crate::{check_read, locate, Diagnostic, Finding, Limits, Report, Settings};

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
    /// The last text's chunks, by their text.
    chunks: HashMap<String, Chunk>,
    /// Where [`Rechecker::read_ahead`] stopped: a byte offset of the text.
    resume: Option<usize>,
}

/// One chunk's results, as if it were the whole stream: spans from its
/// first byte, documents from 0.
#[derive(Debug)]
struct Chunk {
    /// Document indices the chunk takes.
    count: usize,
    findings: Vec<Finding>,
    errors: Vec<Diagnostic>,
    objects: usize,
    suppressed: usize,
    manifests: usize,
}

impl Chunk {
    fn check(text: &str, settings: &Settings, limits: &Limits) -> Self {
        let read = read_chunk(text, 0, 0, limits);
        let report = check_read(&read.documents, read.errors, settings);
        Chunk {
            count: read.count,
            findings: report.findings,
            errors: report.errors,
            objects: report.objects,
            suppressed: report.suppressed,
            manifests: report.manifests,
        }
    }

    /// Append the results to `report`, the chunk starting at byte `base`
    /// of the stream with its first document at index `first`.
    fn place(&self, base: usize, first: usize, report: &mut Report) {
        report.findings.extend(self.findings.iter().map(|f| {
            let mut f = f.clone();
            f.span = f.span.map(|s| s.shift(base));
            if let Some(related) = &mut f.related {
                related.span = related.span.map(|s| s.shift(base));
            }
            f.object.document += first;
            f
        }));
        report.errors.extend(self.errors.iter().map(|e| {
            let mut e = e.clone();
            e.span = e.span.map(|s| s.shift(base));
            e.document = e.document.map(|d| d + first);
            e
        }));
        report.objects += self.objects;
        report.suppressed += self.suppressed;
        report.manifests += self.manifests;
    }
}

impl Rechecker {
    /// Check `text`: the same report as
    /// [`check_text_with_limits`](crate::check_text_with_limits), reading
    /// only the documents that the last check (or [`Rechecker::read_ahead`])
    /// did not see.
    pub fn check(&mut self, text: &str, settings: &Settings, limits: &Limits) -> Report {
        self.use_settings(settings, limits);
        let mut previous = std::mem::take(&mut self.chunks);
        let mut report = Report::default();
        let stream_error = for_each_chunk(text, limits, |span, first| {
            let key = &text[span.start..span.end];
            if let Some(chunk) = self.chunks.get(key) {
                // The same text earlier in this stream.
                chunk.place(span.start, first, &mut report);
                return chunk.count;
            }
            let (key, chunk) = previous
                .remove_entry(key)
                .unwrap_or_else(|| (key.to_owned(), Chunk::check(key, settings, limits)));
            chunk.place(span.start, first, &mut report);
            let count = chunk.count;
            self.chunks.insert(key, chunk);
            count
        });
        report.errors.extend(stream_error);
        locate(&mut report, text);
        report
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
            if self.chunks.contains_key(key) {
                continue;
            }
            if read > 0 && read >= budget {
                self.resume = Some(span.start);
                return false;
            }
            read += key.len();
            let chunk = Chunk::check(key, settings, limits);
            self.chunks.insert(key.to_owned(), chunk);
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
            self.checked_with = Some((settings.clone(), *limits));
        }
    }
}
