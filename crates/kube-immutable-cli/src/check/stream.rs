//! The streaming run: inputs are read as they come and cut into documents
//! (the core's chunks, [`kube_immutable_core::stream`]); the documents are
//! checked on `jobs` threads while the next ones are read, a `List`
//! document item by item. Results are put back in input order and printed
//! as they settle, so memory is bounded by the largest object and a few
//! documents in flight, not by the input: a cluster's `kubectl get -A -o
//! yaml` of any size is checked.
//!
//! What must wait is kept in [`spool`](crate::spool)s (in memory while
//! small, on disk past that): text and GitHub output print a file's input
//! errors before its findings, JSON and SARIF every input error after every
//! finding; a chunk's results stand once it is read whole (a NUL byte voids
//! them), a `List`'s items once the document says it is one. An input's
//! findings are held until it is read whole or past 64 MiB: an input that
//! turns out not to be UTF-8 text is reported alone, as [`Run`](super::Run)
//! reports it, when it is shorter than that.
//!
//! What it prints is byte for byte what [`Run`](super::Run) and the whole-run
//! renderers print (`super::tests`), whatever the number of threads; `main`
//! uses [`Run`](super::Run) for what needs every input at once (a baseline,
//! JUnit, several reports).

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use kube_immutable_core::stream::{
    self, check_chunk, shift_diagnostic, shift_finding, too_many_documents, Event, Excerpt,
    Options, Origin, Splitter,
};
use kube_immutable_core::{Diagnostic, Limits, Settings};

use super::Summary;
use crate::discover::SettingsFor;
use crate::inputs::{self, Input, InputError, TextReader};
use crate::output::Format;
use crate::spool::{Chain, Spool};

/// An input's findings are held until it is read whole or past this many
/// bytes (what `check` read whole before streaming).
const HOLD: usize = 64 * 1024 * 1024;
/// Bytes read from an input at once.
const BLOCK: usize = 256 * 1024;
/// Chunks read ahead of the printing, at most (count and bytes).
const AHEAD_CHUNKS: usize = 64;
const AHEAD_BYTES: usize = 4 * 1024 * 1024;
/// A chunk's events waiting to be printed, at most.
const EVENTS_AHEAD: usize = 64;
/// Pieces of a chunk read as it comes, waiting to be parsed, at most.
const PIECES_AHEAD: usize = 4;
/// A chunk longer than this is read as it comes, not held whole (reading it
/// as it comes reads it exactly as whole, reading it again when needed).
const WHOLE: usize = 1024 * 1024;
/// A chunk read as it comes is sent in pieces of about this size.
const PIECE: usize = 64 * 1024;
/// Chunks held whole go to the workers in groups of about this many bytes
/// or chunks: a hand-over between threads costs more than checking a
/// small document.
const GROUP_BYTES: usize = 64 * 1024;
const GROUP_CHUNKS: usize = 64;

/// What the reader tells the printer, in order.
enum Read {
    /// An input could not be opened.
    Unreadable(InputError),
    /// An input starts; `skip` tells the reader to give it up.
    Input { name: String, skip: Arc<AtomicBool> },
    /// Chunks of it, being checked one after another on one worker: the
    /// events of each, then its end, on one channel (small documents go in
    /// groups, so that a stream of many does not cost a hand-over between
    /// threads each).
    Chunk {
        chunks: Vec<(Origin, Tail)>,
        bytes: usize,
        events: Receiver<Checked>,
    },
    /// Reading the input stopped here (not UTF-8, a read error).
    Failed(InputError),
    /// The input ended.
    End,
}

/// The first line after a chunk, once known: code frames of errors at the
/// chunk's very end show it, as they did when the input was read whole.
type Tail = Arc<Mutex<Option<Excerpt>>>;

/// What a worker sends for a chunk.
enum Checked {
    Event(Event),
    /// The chunk is read: it took this many document indices.
    End(usize),
}

/// A chunk to check.
struct Job<'s> {
    /// The settings of the chunk's input.
    settings: &'s Settings,
    text: JobText,
    events: SyncSender<Checked>,
}

enum JobText {
    /// Chunks held whole, checked in turn.
    Whole(Vec<String>),
    /// Too long to hold: its pieces arrive here (and are kept there).
    Pieces(Receiver<String>, Option<KeptFile>),
}

/// Chunks read but not printed yet: the reader waits above the bounds.
#[derive(Default)]
struct Ahead {
    state: Mutex<(usize, usize)>,
    freed: Condvar,
}

impl Ahead {
    fn take(&self, bytes: usize) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while state.0 > 0 && (state.0 >= AHEAD_CHUNKS || state.1 + bytes > AHEAD_BYTES) {
            state = self
                .freed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.0 += 1;
        state.1 += bytes;
    }

    fn give(&self, bytes: usize) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0 = state.0.saturating_sub(1);
        state.1 = state.1.saturating_sub(bytes);
        self.freed.notify_all();
    }
}

/// Reads and checks the inputs (`-` is stdin), each with its settings, on
/// `jobs` threads, printing to `out` in `format` as results settle. Returns the run's summary and,
/// when writing to `out` failed, the error (the run stops there: the
/// summary counts what was printed).
pub fn run(
    inputs: Vec<Result<Input, InputError>>,
    settings: &SettingsFor,
    jobs: usize,
    format: &dyn Format,
    out: &mut dyn Write,
) -> (Summary, Option<std::io::Error>) {
    let limits = Limits::default();
    let excerpts = format.needs_excerpts();
    let (read_tx, read_rx) = mpsc::sync_channel::<Read>(AHEAD_CHUNKS);
    let (job_tx, job_rx) = mpsc::sync_channel::<Job<'_>>(jobs.max(1));
    let job_rx = Mutex::new(job_rx);
    let ahead = Ahead::default();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (limits, job_rx, ahead, stop) = (&limits, &job_rx, &ahead, &stop);
        for i in 0..jobs.max(1) {
            let worker = std::thread::Builder::new().name(format!("check-{i}"));
            // Without threads (a system that refuses them) the channels
            // close and the run reports what it could read: nothing.
            let _ = worker.spawn_scoped(scope, move || work(job_rx, limits, excerpts));
        }
        let reader = std::thread::Builder::new().name("read".to_owned());
        let _ = reader.spawn_scoped(scope, move || {
            read_inputs(inputs, settings, &read_tx, &job_tx, ahead, stop);
        });
        let mut printer = Printer::new(format, out, limits);
        let result = printer.print(&read_rx, ahead);
        // On a write error (a closed pipe), stop reading; every thread
        // ends once the channels it waits on are dropped.
        stop.store(true, Ordering::Relaxed);
        drop(read_rx);
        ahead.give(usize::MAX);
        (printer.summary, result.err())
    })
}

/// A worker: checks chunks until there are none.
fn work(jobs: &Mutex<Receiver<Job<'_>>>, limits: &Limits, excerpts: bool) {
    loop {
        let job = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        let options = &Options {
            settings: job.settings,
            limits,
            excerpts,
        };
        let events = job.events;
        let mut gone = false;
        let mut send = |event: Event| {
            if !gone {
                gone = events.send(Checked::Event(event)).is_err();
            }
        };
        let count = match job.text {
            JobText::Whole(texts) => {
                for text in texts {
                    let count = check_chunk(&text, options, &mut send);
                    let _ = events.send(Checked::End(count));
                }
                continue;
            }
            JobText::Pieces(pieces, file) => {
                check_as_it_comes(Kept::new(pieces, file), options, &mut send)
            }
        };
        let _ = events.send(Checked::End(count));
    }
}

/// A chunk read as it comes: parsed on a thread of its own, read and
/// checked on this one (a long `List` is one document: the two halves of
/// reading it share the work of the two cores).
fn check_as_it_comes(kept: Kept, options: &Options<'_>, send: &mut dyn FnMut(Event)) -> usize {
    let whole = kept.file.as_ref().map(|f| Arc::clone(&f.whole));
    std::thread::scope(|scope| {
        let (batches, batch_rx) = mpsc::sync_channel(BATCHES_AHEAD);
        let (control, control_rx) = mpsc::channel();
        let parser = std::thread::Builder::new().name("parse".to_owned());
        let limits = options.limits;
        let spawned =
            parser.spawn_scoped(scope, move || parse(kept, limits, &batches, &control_rx));
        if spawned.is_err() {
            return 0;
        }
        let mut batches = Parsed {
            batches: batch_rx,
            control,
            epoch: 0,
            whole,
        };
        stream::check_batches(&mut batches, options, send)
    })
}

/// Batches parsed ahead, at most.
const BATCHES_AHEAD: usize = 4;

/// What the checking half asks the parsing half.
enum Control {
    /// Parse again from the start, these line breaks read as spaces.
    Restart(u64, Vec<(usize, usize)>),
    /// Only the chunk's end is needed.
    SkipToEnd(u64),
}

/// The parsing half: batches of events, tagged with the attempt they
/// belong to, until the checking half hangs up.
fn parse(
    mut kept: Kept,
    limits: &Limits,
    batches: &SyncSender<(u64, stream::Batch)>,
    control: &Receiver<Control>,
) {
    let mut epoch = 0;
    let mut relaxed = Vec::new();
    loop {
        let restart = {
            let kept = &mut kept;
            let mut parser =
                stream::ChunkParser::new(Box::new(|| stream::Pieces::next(kept)), &relaxed, limits);
            let mut restart = None;
            let mut ended = false;
            while restart.is_none() {
                let command = if ended {
                    // Wait for the checking half: read again, or done.
                    match control.recv() {
                        Ok(command) => Some(command),
                        Err(_) => return,
                    }
                } else {
                    control.try_recv().ok()
                };
                match command {
                    Some(Control::Restart(e, r)) => restart = Some((e, r)),
                    Some(Control::SkipToEnd(e)) if e == epoch => parser.skip_to_end(),
                    Some(Control::SkipToEnd(_)) => {}
                    None => match parser.next_batch() {
                        Some(batch) => {
                            ended = batch.is_last();
                            if batches.send((epoch, batch)).is_err() {
                                return;
                            }
                        }
                        None => ended = true,
                    },
                }
            }
            restart
        };
        let Some((e, r)) = restart else { return };
        epoch = e;
        relaxed = r;
        stream::Pieces::rewind(&mut kept);
    }
}

/// The checking half's side of the two threads.
struct Parsed {
    batches: Receiver<(u64, stream::Batch)>,
    control: mpsc::Sender<Control>,
    epoch: u64,
    /// The chunk is kept whole in a file: it can be read again.
    whole: Option<Arc<AtomicBool>>,
}

impl stream::Batches for Parsed {
    fn next(&mut self) -> Option<stream::Batch> {
        loop {
            let (epoch, batch) = self.batches.recv().ok()?;
            // Batches of an earlier attempt are dropped.
            if epoch == self.epoch {
                return Some(batch);
            }
        }
    }

    fn rewindable(&self) -> bool {
        self.whole
            .as_ref()
            .is_some_and(|w| w.load(Ordering::Relaxed))
    }

    fn restart(&mut self, relaxed: &[(usize, usize)]) {
        self.epoch += 1;
        let _ = self
            .control
            .send(Control::Restart(self.epoch, relaxed.to_vec()));
    }

    fn skip_to_end(&mut self) {
        let _ = self.control.send(Control::SkipToEnd(self.epoch));
    }
}

/// A chunk read as it comes, kept in a temporary file by the reader as it
/// sends it, so that it can be read again (a misplaced flow collection
/// closer, which kubectl reads by joining lines; an alias budget). `false`
/// once writing failed: then it cannot.
#[derive(Clone)]
struct KeptFile {
    path: Arc<tempfile::TempPath>,
    whole: Arc<AtomicBool>,
}

/// The worker's side of a chunk read as it comes: its pieces, and the file
/// to read them again from.
struct Kept {
    pieces: Receiver<String>,
    file: Option<KeptFile>,
    /// Bytes received.
    received: u64,
    /// Reading again: the file, the bytes left, a line cut at a block's end.
    replay: Option<(std::fs::File, u64, String)>,
}

impl Kept {
    fn new(pieces: Receiver<String>, file: Option<KeptFile>) -> Self {
        Self {
            pieces,
            file,
            received: 0,
            replay: None,
        }
    }

    /// The next piece read again from the file: whole lines.
    fn replayed(&mut self) -> Option<String> {
        use std::io::Read as _;
        let (file, left, carry) = self.replay.as_mut()?;
        let mut block = vec![0u8; usize::try_from((*left).min(PIECE as u64)).unwrap_or(PIECE)];
        if file.read_exact(&mut block).is_err() {
            self.replay = None;
            return None;
        }
        *left -= block.len() as u64;
        let mut bytes = std::mem::take(carry).into_bytes();
        bytes.extend_from_slice(&block);
        let cut = if *left == 0 {
            bytes.len()
        } else {
            bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
        };
        let rest = bytes.split_off(cut);
        // Cut at a line break: both halves are whole UTF-8 text.
        *carry = String::from_utf8(rest).unwrap_or_default();
        if *left == 0 {
            self.replay = None;
        }
        Some(String::from_utf8(bytes).unwrap_or_default())
    }
}

impl stream::Pieces for Kept {
    fn next(&mut self) -> Option<String> {
        while self.replay.is_some() {
            match self.replayed() {
                Some(piece) if piece.is_empty() => {}
                Some(piece) => return Some(piece),
                None => break,
            }
        }
        let piece = self.pieces.recv().ok()?;
        self.received += piece.len() as u64;
        Some(piece)
    }

    fn rewindable(&self) -> bool {
        self.file
            .as_ref()
            .is_some_and(|f| f.whole.load(Ordering::Relaxed))
    }

    fn rewind(&mut self) {
        // The reader wrote each piece before sending it.
        self.replay = self
            .file
            .as_ref()
            .and_then(|f| std::fs::File::open(&*f.path).ok())
            .map(|file| (file, self.received, String::new()));
    }
}

/// The reader: inputs in order, cut into chunks, each sent to the workers
/// and announced to the printer.
fn read_inputs<'s>(
    inputs: Vec<Result<Input, InputError>>,
    settings: &'s SettingsFor,
    printer: &SyncSender<Read>,
    jobs: &SyncSender<Job<'s>>,
    ahead: &Ahead,
    stop: &AtomicBool,
) {
    for input in inputs {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let (input, reader) = match input.and_then(|i| inputs::open(&i).map(|r| (i, r))) {
            Ok(opened) => opened,
            Err(e) => {
                if printer.send(Read::Unreadable(e)).is_err() {
                    return;
                }
                continue;
            }
        };
        let skip = Arc::new(AtomicBool::new(false));
        let start = Read::Input {
            name: input.name.clone(),
            skip: Arc::clone(&skip),
        };
        if printer.send(start).is_err() {
            return;
        }
        let mut chunker = Chunker {
            settings: settings.get(&input),
            printer,
            jobs,
            ahead,
            splitter: Splitter::default(),
            starts: Vec::new(),
            current: None,
            text: String::new(),
            head: 0,
            text_start: 0,
            pieces: None,
            kept: None,
            tail: Tail::default(),
            group: Vec::new(),
            group_bytes: 0,
        };
        let mut reader = TextReader::new(&input.name, reader, BLOCK);
        let mut failed = None;
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            if skip.load(Ordering::Relaxed) {
                // Past `max_documents`: the rest is not read.
                break;
            }
            match reader.next_block() {
                Ok(Some(block)) => {
                    if !chunker.feed(&block) {
                        return;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    failed = Some(error);
                    break;
                }
            }
        }
        let sent = match failed {
            None => chunker.finish(),
            Some(error) => chunker.abandon() && printer.send(Read::Failed(error)).is_ok(),
        };
        if !sent || printer.send(Read::End).is_err() {
            return;
        }
    }
}

/// Cuts one input into chunks as it is read.
struct Chunker<'a, 's> {
    settings: &'s Settings,
    printer: &'a SyncSender<Read>,
    jobs: &'a SyncSender<Job<'s>>,
    ahead: &'a Ahead,
    splitter: Splitter,
    starts: Vec<Origin>,
    /// Where the current chunk starts (`None` before the first text).
    current: Option<Origin>,
    /// The current chunk's text not sent yet, from byte `head` of `text`
    /// (stream offset `text_start`).
    text: String,
    head: usize,
    text_start: usize,
    /// The current chunk is too long to hold: its pieces go here, and to
    /// a file, to be read again.
    pieces: Option<SyncSender<String>>,
    kept: Option<(std::fs::File, KeptFile)>,
    /// The current chunk's tail, when it is read as it comes.
    tail: Tail,
    /// Chunks held whole, not sent yet: sent as one job.
    group: Vec<(Origin, String, Tail)>,
    group_bytes: usize,
}

impl Chunker<'_, '_> {
    /// The current chunk's text not sent yet.
    fn live(&self) -> &str {
        &self.text[self.head..]
    }

    /// `bytes` of the live text are sent: move on, and drop them once they
    /// are most of the buffer (not at every chunk: the rest would be moved
    /// down each time).
    fn consume(&mut self, bytes: usize) {
        self.head += bytes;
        self.text_start += bytes;
        if self.head > BLOCK && self.head > self.text.len() / 2 {
            self.text.drain(..self.head);
            self.head = 0;
        }
    }

    /// Read a block; `false` when the printer is gone.
    fn feed(&mut self, block: &str) -> bool {
        let mut starts = std::mem::take(&mut self.starts);
        self.splitter.feed(block, &mut starts);
        if self.current.is_none() {
            // The byte order mark is in no chunk.
            let start = self.splitter.stream_start();
            self.current = Some(start);
            self.text_start = start.offset;
            self.text.push_str(&block[start.offset..]);
        } else {
            self.text.push_str(block);
        }
        let mut ok = true;
        for start in starts.drain(..) {
            ok = ok && self.cut(start);
        }
        self.starts = starts;
        ok && self.settle()
    }

    /// The current chunk ends where `next` starts.
    fn cut(&mut self, next: Origin) -> bool {
        let len = next.offset - self.text_start;
        let text = self.live()[..len].to_owned();
        self.consume(len);
        let origin = self.current.replace(next).unwrap_or(next);
        // The next chunk's first line is whole: the cut is known once the
        // `---` line (at the latest) is.
        let live = self.live();
        let line = live[..live.find('\n').map_or(live.len(), |i| i + 1)].to_owned();
        let tail = std::mem::take(&mut self.tail);
        *tail.lock().unwrap_or_else(PoisonError::into_inner) = Some(Excerpt {
            origin: next,
            text: line,
        });
        match self.pieces.take() {
            // The last piece of a chunk read as it comes (its worker may
            // have stopped reading: an error).
            Some(pieces) => {
                self.send_piece(&pieces, text);
                self.kept = None;
                true
            }
            None => self.send_whole(origin, text, tail),
        }
    }

    /// A piece of the chunk read as it comes: kept, then sent.
    fn send_piece(&mut self, pieces: &SyncSender<String>, piece: String) {
        if piece.is_empty() {
            return;
        }
        if let Some((file, kept)) = &mut self.kept {
            if file.write_all(piece.as_bytes()).is_err() {
                kept.whole.store(false, Ordering::Relaxed);
            }
        }
        // An error if the worker stopped reading: the rest is dropped.
        let _ = pieces.send(piece);
    }

    /// A chunk held whole: into the group, sent once the group is large.
    fn send_whole(&mut self, origin: Origin, text: String, tail: Tail) -> bool {
        self.group_bytes += text.len();
        self.group.push((origin, text, tail));
        if self.group_bytes < GROUP_BYTES && self.group.len() < GROUP_CHUNKS {
            return true;
        }
        self.send_group()
    }

    /// Send the chunks held whole, as one job.
    fn send_group(&mut self) -> bool {
        if self.group.is_empty() {
            return true;
        }
        let bytes = std::mem::take(&mut self.group_bytes);
        let mut chunks = Vec::with_capacity(self.group.len());
        let mut texts = Vec::with_capacity(self.group.len());
        for (origin, text, tail) in self.group.drain(..) {
            chunks.push((origin, tail));
            texts.push(text);
        }
        self.ahead.take(bytes);
        // Room for a document's events and end per chunk (a group is at
        // most `GROUP_BYTES` of text), so a worker can check a whole group
        // before the printer reaches it.
        let (events, receiver) = mpsc::sync_channel(EVENTS_AHEAD + 2 * chunks.len());
        let job = Job {
            settings: self.settings,
            text: JobText::Whole(texts),
            events,
        };
        self.jobs.send(job).is_ok()
            && self
                .printer
                .send(Read::Chunk {
                    chunks,
                    bytes,
                    events: receiver,
                })
                .is_ok()
    }

    /// Send what is settled of a chunk read as it comes; start reading a
    /// chunk as it comes once it is too long to hold.
    fn settle(&mut self) -> bool {
        if self.pieces.is_none() {
            if self.live().len() <= WHOLE {
                return true;
            }
            let Some(origin) = self.current else {
                return true;
            };
            // The chunks before it first, in order.
            if !self.send_group() {
                return false;
            }
            self.ahead.take(0);
            let (pieces, piece_rx) = mpsc::sync_channel(PIECES_AHEAD);
            let (events, receiver) = mpsc::sync_channel(EVENTS_AHEAD);
            self.kept = tempfile::NamedTempFile::new().ok().map(|f| {
                let (file, path) = f.into_parts();
                let kept = KeptFile {
                    path: Arc::new(path),
                    whole: Arc::new(AtomicBool::new(true)),
                };
                (file, kept)
            });
            let job = Job {
                settings: self.settings,
                text: JobText::Pieces(piece_rx, self.kept.as_ref().map(|(_, k)| k.clone())),
                events,
            };
            if self.jobs.send(job).is_err()
                || self
                    .printer
                    .send(Read::Chunk {
                        chunks: vec![(origin, Arc::clone(&self.tail))],
                        bytes: 0,
                        events: receiver,
                    })
                    .is_err()
            {
                return false;
            }
            self.pieces = Some(pieces);
        }
        // Whole lines that belong to the chunk whatever comes next.
        let live = &self.text[self.head..];
        let settled = self
            .splitter
            .settled()
            .saturating_sub(self.text_start)
            .min(live.len());
        let mut end = live[..settled].rfind('\n').map_or(0, |i| i + 1);
        // A line longer than a piece: sent on as it comes, once the whole
        // lines before it are (the parser's input joins it again, and cuts
        // it short past `max_input_bytes`), instead of held to its end.
        let line_start = live.rfind('\n').map_or(0, |i| i + 1);
        if end == line_start && live.len() - end > PIECE && self.splitter.settled_to_end() {
            end = live.len();
            while !live.is_char_boundary(end) {
                end -= 1;
            }
        }
        let mut sent = 0;
        let mut out = Vec::new();
        while sent < end {
            let mut to = (sent + PIECE).min(end);
            if to < end {
                match live[sent..to].rfind('\n') {
                    // Whole lines.
                    Some(i) => to = sent + i + 1,
                    // Inside a line longer than a piece.
                    None => {
                        while !live.is_char_boundary(to) {
                            to -= 1;
                        }
                    }
                }
                if to <= sent {
                    to = end;
                }
            }
            out.push(live[sent..to].to_owned());
            sent = to;
        }
        if let Some(pieces) = self.pieces.take() {
            for piece in out {
                self.send_piece(&pieces, piece);
            }
            self.pieces = Some(pieces);
        }
        self.consume(end);
        true
    }

    /// The input ended: its last chunk.
    fn finish(&mut self) -> bool {
        let mut starts = std::mem::take(&mut self.starts);
        self.splitter.finish(&mut starts);
        let mut ok = true;
        for start in starts {
            ok = ok && self.cut(start);
        }
        if !ok {
            return false;
        }
        let end = self.splitter.end();
        let text = self.live().to_owned();
        self.text.clear();
        self.head = 0;
        match self.pieces.take() {
            Some(pieces) => {
                self.send_piece(&pieces, text);
                self.kept = None;
                true
            }
            None if end.offset > self.text_start => {
                let origin = self.current.unwrap_or(end);
                self.send_whole(origin, text, Tail::default()) && self.send_group()
            }
            None => self.send_group(),
        }
    }

    /// Reading failed: a chunk read as it comes ends here; the chunks read
    /// before are checked.
    fn abandon(&mut self) -> bool {
        self.pieces = None;
        self.kept = None;
        self.send_group()
    }
}

/// Puts the chunks' results back in order and prints them.
struct Printer<'a> {
    format: &'a dyn Format,
    out: &'a mut dyn Write,
    limits: &'a Limits,
    summary: Summary,
    /// Whether anything was printed in each of the formats' two arrays
    /// (JSON and SARIF: findings, then errors).
    findings_printed: bool,
    /// JSON and SARIF: every input error, printed after every finding.
    errors: Chain,
    errors_printed: bool,
}

/// One input being printed.
struct InputState {
    name: String,
    skip: Arc<AtomicBool>,
    /// Errors that belong to no document (`max_documents`): printed first.
    first_errors: Chain,
    errors: Chain,
    /// Findings not printed yet.
    findings: Chain,
    summary: Summary,
    /// Document indices of the chunks so far.
    documents: usize,
    /// Read past [`HOLD`]: what was read stands even if reading fails.
    past_hold: bool,
    /// Past [`HOLD`], JSON and SARIF print its findings as they settle.
    streaming: bool,
    /// Given up past `max_documents`.
    stopped: bool,
}

impl<'a> Printer<'a> {
    fn new(format: &'a dyn Format, out: &'a mut dyn Write, limits: &'a Limits) -> Self {
        Self {
            format,
            out,
            limits,
            summary: Summary::default(),
            findings_printed: false,
            errors: Chain::default(),
            errors_printed: false,
        }
    }

    fn print(&mut self, reads: &Receiver<Read>, ahead: &Ahead) -> std::io::Result<()> {
        let head = self.format.head();
        self.out.write_all(head.as_bytes())?;
        let mut input: Option<InputState> = None;
        for read in reads {
            match read {
                Read::Unreadable(e) => {
                    let mut state = self.input_state(e.name.clone(), Arc::default());
                    state.errors.push(&self.format.unreadable(&e));
                    state.summary.input_errors += 1;
                    self.end_input(state, false)?;
                }
                Read::Input { name, skip } => input = Some(self.input_state(name, skip)),
                Read::Chunk {
                    chunks,
                    bytes,
                    events,
                } => {
                    if let Some(state) = &mut input {
                        for (origin, tail) in chunks {
                            self.chunk(state, origin, &events, &tail)?;
                        }
                    }
                    drop(events);
                    ahead.give(bytes);
                }
                Read::Failed(error) => {
                    if let Some(mut state) = input.take() {
                        if state.past_hold {
                            // Past what is held: what was read stands.
                            state.errors.push(&self.format.unreadable(&error));
                            state.summary.input_errors += 1;
                            input = Some(state);
                        } else {
                            // Reported alone, as an unreadable input.
                            let mut alone = self.input_state(state.name, state.skip);
                            alone.errors.push(&self.format.unreadable(&error));
                            alone.summary.input_errors += 1;
                            self.end_input(alone, false)?;
                        }
                    }
                }
                Read::End => {
                    if let Some(state) = input.take() {
                        self.end_input(state, true)?;
                    }
                }
            }
        }
        self.finish()
    }

    fn input_state(&self, name: String, skip: Arc<AtomicBool>) -> InputState {
        InputState {
            name,
            skip,
            first_errors: Chain::default(),
            errors: Chain::default(),
            findings: Chain::default(),
            summary: Summary::default(),
            documents: 0,
            past_hold: false,
            streaming: false,
            stopped: false,
        }
    }

    /// A chunk's events, from its worker, until it ends.
    fn chunk(
        &mut self,
        input: &mut InputState,
        origin: Origin,
        events: &Receiver<Checked>,
        tail: &Tail,
    ) -> std::io::Result<()> {
        if input.stopped {
            return Ok(());
        }
        if input.documents >= self.limits.max_documents {
            let mut error = too_many_documents(self.limits, origin.offset);
            let start = kube_immutable_core::Position {
                line: origin.line + 1,
                column: 1,
                offset: origin.offset,
                utf16_offset: origin.utf16,
            };
            error.start = Some(start);
            error.end = Some(start);
            let text = self.format.error(&input.name, &error, &[]);
            input.first_errors.push(&text);
            input.summary.input_errors += 1;
            input.stopped = true;
            input.skip.store(true, Ordering::Relaxed);
            return Ok(());
        }
        if origin.offset > HOLD {
            input.past_hold = true;
            if !input.streaming && !self.format.errors_first() {
                input.streaming = true;
                let mut held = std::mem::take(&mut input.findings);
                self.print_findings(&mut held)?;
            }
        }
        let mut chunk = ChunkState::new(input.documents);
        for checked in events {
            match checked {
                Checked::Event(Event::Restart) => chunk = ChunkState::new(input.documents),
                Checked::Event(event) => {
                    let tail = if self.format.needs_excerpts() {
                        tail.lock().unwrap_or_else(PoisonError::into_inner).clone()
                    } else {
                        None
                    };
                    chunk.event(event, self.format, &input.name, origin, tail)?;
                }
                Checked::End(count) => {
                    input.documents += count;
                    input.summary.add(&chunk.summary);
                    input.errors.append(chunk.errors);
                    if input.streaming {
                        self.print_findings(&mut chunk.findings)?;
                    } else {
                        input.findings.append(chunk.findings);
                    }
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn print_findings(&mut self, findings: &mut Chain) -> std::io::Result<()> {
        if findings.is_empty() {
            return Ok(());
        }
        // Elements of an array start with `,`: not the first one.
        let skip = usize::from(self.format.elements() && !self.findings_printed);
        findings.write_to(self.out, skip)?;
        self.findings_printed = true;
        Ok(())
    }

    fn end_input(&mut self, mut input: InputState, read: bool) -> std::io::Result<()> {
        if read {
            input.summary.files += 1;
            input.summary.files_with_findings += usize::from(input.summary.findings() > 0);
        }
        self.summary.add(&input.summary);
        let mut errors = input.first_errors;
        errors.append(input.errors);
        if self.format.errors_first() {
            errors.write_to(self.out, 0)?;
            input.findings.write_to(self.out, 0)?;
        } else {
            self.print_findings(&mut input.findings)?;
            self.errors.append(errors);
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        let middle = self.format.middle(self.findings_printed, &self.summary);
        self.out.write_all(middle.as_bytes())?;
        if !self.errors.is_empty() {
            let skip = usize::from(self.format.elements());
            self.errors.write_to(self.out, skip)?;
            self.errors_printed = true;
        }
        let tail = self.format.tail(self.errors_printed, &self.summary);
        self.out.write_all(tail.as_bytes())?;
        self.out.flush()
    }
}

/// Sort key of a finding in its document: positioned or not, where, and
/// the order found.
type FindingKey = (bool, usize, usize);
/// Of an error: the same, read errors before object errors at one place.
type ErrorKey = (bool, usize, u8, usize);

/// One chunk's results, until it ends.
struct ChunkState {
    /// The chunk's first document index in the input.
    first: usize,
    findings: Chain,
    errors: Chain,
    summary: Summary,
    document: DocumentState,
}

/// What a document's items hold, until its end says whether they stand.
#[derive(Default)]
struct DocumentState {
    /// Items' findings in order, framed with their list and key (on disk
    /// past a few MB: a `List` may hold a whole cluster).
    items: Spool,
    item_count: usize,
    /// Items' findings placed before their item (alias spans): merged in
    /// by position at the end.
    early: Vec<(usize, FindingKey, String)>,
    /// Errors: `None` for read errors, which stand whatever happens.
    /// With whether each is an error (else a warning: a duplicate key).
    errors: Vec<(Option<usize>, ErrorKey, String, bool)>,
    /// Counts of each list's items.
    lists: HashMap<usize, Summary>,
    seq: usize,
}

impl ChunkState {
    fn new(first: usize) -> Self {
        Self {
            first,
            findings: Chain::default(),
            errors: Chain::default(),
            summary: Summary::default(),
            document: DocumentState::default(),
        }
    }

    fn event(
        &mut self,
        event: Event,
        format: &dyn Format,
        file: &str,
        origin: Origin,
        tail: Option<Excerpt>,
    ) -> std::io::Result<()> {
        let excerpts = |part: &kube_immutable_core::stream::Part| {
            let mut excerpts = shift_excerpts(&part.excerpts, origin);
            excerpts.extend(tail.clone());
            excerpts
        };
        match event {
            Event::Item {
                list, start, part, ..
            } => {
                let doc = &mut self.document;
                let excerpts = excerpts(&part);
                add_errors(
                    doc,
                    Some(list),
                    part.read_errors,
                    part.errors,
                    format,
                    file,
                    origin,
                    self.first,
                    &excerpts,
                );
                let counts = doc.lists.entry(list).or_default();
                counts.objects += part.objects;
                counts.suppressed += part.suppressed;
                for mut f in part.findings {
                    let key = (f.span.is_some(), f.span.map_or(0, |s| s.start), doc.seq);
                    doc.seq += 1;
                    let early = f.span.is_none_or(|s| s.start < start);
                    shift_finding(&mut f, origin, self.first);
                    counts.finding(&f);
                    let text = format.finding(file, &f, &excerpts);
                    if early {
                        doc.early.push((list, key, text));
                    } else {
                        frame(&mut doc.items, list, key, &text);
                        doc.item_count += 1;
                    }
                }
            }
            Event::Document { list, part, .. } => {
                let mut doc = std::mem::take(&mut self.document);
                let mut counts = list
                    .and_then(|l| doc.lists.get(&l).copied())
                    .unwrap_or_default();
                counts.objects += part.objects;
                counts.suppressed += part.suppressed;
                let excerpts = excerpts(&part);
                add_errors(
                    &mut doc,
                    None,
                    part.read_errors,
                    Vec::new(),
                    format,
                    file,
                    origin,
                    self.first,
                    &excerpts,
                );
                let standing = list.unwrap_or(usize::MAX);
                let mut own = Vec::new();
                for mut e in part.errors {
                    let key = (e.span.is_some(), e.span.map_or(0, |s| s.start), 1, doc.seq);
                    doc.seq += 1;
                    shift_diagnostic(&mut e, origin, self.first);
                    let is_error = e.is_error();
                    own.push((
                        Some(standing),
                        key,
                        format.error(file, &e, &excerpts),
                        is_error,
                    ));
                }
                doc.errors.extend(own);
                for mut f in part.findings {
                    let key = (f.span.is_some(), f.span.map_or(0, |s| s.start), doc.seq);
                    doc.seq += 1;
                    shift_finding(&mut f, origin, self.first);
                    counts.finding(&f);
                    doc.early
                        .push((standing, key, format.finding(file, &f, &excerpts)));
                }
                self.summary.add(&counts);
                self.settle(doc, Some(standing))?;
            }
            Event::Broken { part, .. } => {
                let mut doc = std::mem::take(&mut self.document);
                let excerpts = excerpts(&part);
                add_errors(
                    &mut doc,
                    None,
                    part.read_errors,
                    Vec::new(),
                    format,
                    file,
                    origin,
                    self.first,
                    &excerpts,
                );
                self.settle(doc, None)?;
            }
            Event::Restart => {}
        }
        Ok(())
    }

    /// A document ended: what stands of it, in order.
    fn settle(&mut self, mut doc: DocumentState, standing: Option<usize>) -> std::io::Result<()> {
        let stands = |list: Option<usize>| list.is_none() || list == standing;
        let mut errors: Vec<_> = doc
            .errors
            .into_iter()
            .filter(|(l, _, _, _)| stands(*l))
            .collect();
        errors.sort_by_key(|(_, key, _, _)| *key);
        for (_, _, text, is_error) in &errors {
            self.summary.input_problem(*is_error);
            self.errors.push(text);
        }
        let Some(standing) = standing else {
            return Ok(());
        };
        let mut early: Vec<_> = doc
            .early
            .into_iter()
            .filter(|(l, _, _)| *l == standing)
            .map(|(_, key, text)| (key, text))
            .collect();
        early.sort_by_key(|(key, _)| *key);
        let mut early = early.into_iter().peekable();
        if doc.item_count > 0 {
            let mut reader = doc.items.reader()?;
            while let Some((list, key, text)) = unframe(&mut reader)? {
                if list != standing {
                    continue;
                }
                while let Some((_, e)) = early.next_if(|(k, _)| *k < key) {
                    self.findings.push(&e);
                }
                self.findings.push(&text);
            }
        }
        for (_, text) in early {
            self.findings.push(&text);
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)] // one call site per event kind
fn add_errors(
    doc: &mut DocumentState,
    list: Option<usize>,
    read_errors: Vec<Diagnostic>,
    errors: Vec<Diagnostic>,
    format: &dyn Format,
    file: &str,
    origin: Origin,
    first: usize,
    excerpts: &[Excerpt],
) {
    for mut e in read_errors {
        let key = (e.span.is_some(), e.span.map_or(0, |s| s.start), 0, doc.seq);
        doc.seq += 1;
        shift_diagnostic(&mut e, origin, first);
        let is_error = e.is_error();
        doc.errors
            .push((None, key, format.error(file, &e, excerpts), is_error));
    }
    for mut e in errors {
        let key = (e.span.is_some(), e.span.map_or(0, |s| s.start), 1, doc.seq);
        doc.seq += 1;
        shift_diagnostic(&mut e, origin, first);
        let is_error = e.is_error();
        doc.errors
            .push((list, key, format.error(file, &e, excerpts), is_error));
    }
}

fn shift_excerpts(excerpts: &[Excerpt], origin: Origin) -> Vec<Excerpt> {
    excerpts
        .iter()
        .map(|e| Excerpt {
            origin: Origin {
                offset: e.origin.offset + origin.offset,
                line: e.origin.line + origin.line,
                utf16: e.origin.utf16 + origin.utf16,
            },
            text: e.text.clone(),
        })
        .collect()
}

/// A finding of an item, with its list and key, into the document's spool.
fn frame(spool: &mut Spool, list: usize, key: FindingKey, text: &str) {
    let mut header = Vec::with_capacity(33);
    header.extend_from_slice(&(list as u64).to_le_bytes());
    header.push(u8::from(key.0));
    header.extend_from_slice(&(key.1 as u64).to_le_bytes());
    header.extend_from_slice(&(key.2 as u64).to_le_bytes());
    header.extend_from_slice(&(text.len() as u64).to_le_bytes());
    spool.push_bytes(&header);
    spool.push(text);
}

/// The next framed finding.
fn unframe(reader: &mut dyn std::io::Read) -> std::io::Result<Option<(usize, FindingKey, String)>> {
    let mut header = [0u8; 33];
    match reader.read_exact(&mut header) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let word = |i: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&header[i..i + 8]);
        usize::try_from(u64::from_le_bytes(bytes)).unwrap_or(usize::MAX)
    };
    let list = word(0);
    let key = (header[8] == 1, word(9), word(17));
    let len = word(25);
    let mut text = vec![0u8; len];
    reader.read_exact(&mut text)?;
    let text = String::from_utf8(text)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    Ok(Some((list, key, text)))
}
