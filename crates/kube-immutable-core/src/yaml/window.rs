//! Reading a document that is not all in memory: the parser's input over
//! pieces of text that arrive one after another, and the loader's view of
//! the text read so far, which forgets what it no longer needs.
//!
//! [`PieceInput`] is saphyr-parser's `StrInput` (MIT OR Apache-2.0, by the
//! saphyr authors) made to refill itself: its methods are `StrInput`'s on
//! the text it holds, and whenever that text is used up it pulls the next
//! piece. Pieces end at line breaks (the last one may not), so the text it
//! holds always runs to the end of the current line: the scanner's peeks
//! along a line, which cannot refill (`&self`), never run short; looking
//! further ahead goes through `lookahead`, which refills.

use std::cell::RefCell;
use std::rc::Rc;

use saphyr_parser::input::{
    is_alpha, is_blank, is_blank_or_breakz, is_break, is_breakz, is_digit, is_flow, is_z, SkipTabs,
};
use saphyr_parser::Input;

use super::{Excerpt, TextView};
use crate::diagnostic::{Diagnostic, ErrorKind, Message};
use crate::span::{utf16_len, Position, Span};
use crate::stream::lines::Lines;
use crate::stream::Origin;
use crate::Limits;

/// The lookahead the scanner may ask for at once (`StrInput`'s).
const BUFFER_LEN: usize = 128;

/// Where pieces of text come from: `None` once the text has ended.
pub(crate) type PieceSource<'a> = Box<dyn FnMut() -> Option<String> + 'a>;

/// The pieces of a chunk, shared by the parser's input (which pulls them)
/// and the loader's text view (which takes a copy of each).
pub(crate) struct Feed<'a> {
    source: PieceSource<'a>,
    /// Pieces pulled by the input, not yet taken by the text view.
    pub(crate) pending: Pending,
    /// Bytes pulled so far.
    pulled: usize,
    /// Lines and UTF-16 units pulled so far.
    lines: usize,
    utf16: usize,
    /// The first NUL character (YAML allows none: the whole chunk is then
    /// one error, as when it is held whole): its offset, position, line.
    pub(crate) nul: Option<(usize, Position, Excerpt)>,
    done: bool,
    /// Line breaks the parser reads as spaces (kubectl's reading of a
    /// misplaced flow closer): the text view keeps them.
    relaxed: Vec<(usize, usize)>,
    /// Pieces in `pending` when the parser's last event was handed out:
    /// what the text view may need if the chunk is cut short after it.
    pub(crate) pending_at_event: usize,
    /// Where the parser is, and how far it may read without an event.
    pub(crate) progress: Rc<Progress>,
    /// `max_input_bytes`.
    limit: usize,
}

pub(crate) type SharedFeed<'a> = Rc<RefCell<Feed<'a>>>;

/// How far the parser has read, shared by its input (which moves on) and
/// the chunk's parser (which hands its events out).
///
/// Text that gives the parser no event (a comment block, blank lines, one
/// long scalar) is read, and held, until the next event: past
/// `max_input_bytes` of it between two events, the input ends early
/// (`over`), and the document is refused there, as soon as that many bytes
/// of it were read, instead of holding it all. Between two events is a
/// property of the text, not of how it was cut into pieces: the verdict
/// and the error's position are the same however the pieces come.
#[derive(Debug)]
pub(crate) struct Progress {
    /// Bytes of the chunk the parser has consumed.
    pub(crate) consumed: std::cell::Cell<usize>,
    /// Past this offset without an event, the input is cut short.
    pub(crate) stop_at: std::cell::Cell<usize>,
    /// The input was cut short (the parser's events after it are void).
    pub(crate) over: std::cell::Cell<bool>,
}

impl Progress {
    fn new(limit: usize) -> Self {
        Self {
            consumed: std::cell::Cell::new(0),
            stop_at: std::cell::Cell::new(limit),
            over: std::cell::Cell::new(false),
        }
    }
}

/// Pieces read by a parser, on their way to the loader's text view.
pub(crate) type Pending = Rc<RefCell<Vec<String>>>;

impl<'a> Feed<'a> {
    /// A feed whose parser may read at most `limit` bytes between two
    /// events ([`Progress`]).
    pub(crate) fn new(source: PieceSource<'a>, limit: usize) -> SharedFeed<'a> {
        Rc::new(RefCell::new(Self {
            source,
            pending: Pending::default(),
            pulled: 0,
            lines: 0,
            utf16: 0,
            nul: None,
            done: false,
            relaxed: Vec::new(),
            pending_at_event: 0,
            progress: Rc::new(Progress::new(limit)),
            limit,
        }))
    }

    /// Read these line breaks as spaces.
    pub(crate) fn relax(&mut self, breaks: &[(usize, usize)]) {
        self.relaxed = breaks.to_vec();
    }

    /// The next piece for the parser (the text view keeps a copy of the
    /// text as written): whole lines, joined from pieces that end inside a
    /// line (a line longer than a piece), relaxed line breaks read as
    /// spaces (a piece whose last line break is one goes on with the next).
    ///
    /// A line longer than `max_input_bytes` is not joined whole: its
    /// document is refused anyway (more than that is held from the line's
    /// start), and the parser's input is cut short where it starts.
    fn pull(&mut self) -> Option<String> {
        let start = self.pulled;
        let mut raw = String::new();
        // Bytes of `raw`'s last line.
        let mut line = 0;
        while !self.done {
            match (self.source)() {
                Some(piece) if piece.is_empty() => {}
                Some(piece) => {
                    line = match piece.rfind('\n') {
                        Some(i) => piece.len() - i - 1,
                        None => line + piece.len(),
                    };
                    if raw.is_empty() {
                        raw = piece;
                    } else {
                        raw.push_str(&piece);
                    }
                    if raw.ends_with('\n') {
                        let end = start + raw.len();
                        let relaxed = self
                            .relaxed
                            .iter()
                            .any(|&(from, to)| from < end && to >= end);
                        if !relaxed {
                            break;
                        }
                    } else if line > self.limit {
                        self.count(&raw);
                        self.progress.over.set(true);
                        return None;
                    }
                }
                None => self.done = true,
            }
        }
        if raw.is_empty() {
            return None;
        }
        self.count(&raw);
        self.pending.borrow_mut().push(raw.clone());
        for &(from, to) in &self.relaxed {
            if from < start + raw.len() && to > start {
                let (a, b) = (from.max(start) - start, to.min(start + raw.len()) - start);
                raw.replace_range(a..b, &" ".repeat(b - a));
            }
        }
        Some(raw)
    }

    /// Count a piece pulled, and look for a NUL in it.
    fn count(&mut self, piece: &str) {
        if self.nul.is_none() {
            if let Some(at) = piece.find('\0') {
                let line_start = piece[..at].rfind('\n').map_or(0, |i| i + 1);
                let line_end = piece[at..].find('\n').map_or(piece.len(), |i| at + i + 1);
                let lines = self.lines + piece[..at].matches('\n').count();
                let origin = Origin {
                    offset: self.pulled + line_start,
                    line: lines,
                    utf16: self.utf16 + utf16_len(&piece[..line_start]),
                };
                let position = Position {
                    line: lines + 1,
                    column: piece[line_start..at].chars().count() + 1,
                    offset: self.pulled + at,
                    utf16_offset: self.utf16 + utf16_len(&piece[..at]),
                };
                let excerpt = Excerpt {
                    origin,
                    text: piece[line_start..line_end].to_owned(),
                };
                self.nul = Some((self.pulled + at, position, excerpt));
            }
        }
        self.pulled += piece.len();
        self.lines += piece.as_bytes().iter().filter(|&&b| b == b'\n').count();
        self.utf16 += utf16_len(piece);
    }

    /// Read the rest of the chunk without parsing it (after an error, or
    /// text after the last document), still looking for a NUL; returns the
    /// chunk's length.
    pub(crate) fn drain(&mut self) -> usize {
        // Whole lines, as `pull` counts them (a NUL's column and line).
        let mut line = String::new();
        while !self.done {
            match (self.source)() {
                Some(piece) if line.is_empty() && piece.ends_with('\n') => self.count(&piece),
                Some(piece) => {
                    line.push_str(&piece);
                    if line.ends_with('\n') || line.len() > self.limit {
                        self.count(&line);
                        line.clear();
                    }
                }
                None => self.done = true,
            }
        }
        self.count(&line);
        self.pending.borrow_mut().clear();
        self.pulled
    }

    /// The chunk's length once drained, and where its first NUL is.
    pub(crate) fn end(&self) -> (usize, Option<(usize, Position, Excerpt)>) {
        (self.pulled, self.nul.clone())
    }
}

/// The parser's input over pieces of text.
pub(crate) struct PieceInput<'a> {
    buffer: String,
    /// Byte offset of the next character in `buffer`.
    pos: usize,
    /// Offset in the chunk of `buffer`'s first byte.
    base: usize,
    progress: Rc<Progress>,
    /// What the scanner asked to look ahead (as `StrInput` counts it).
    lookahead: usize,
    feed: SharedFeed<'a>,
    done: bool,
}

fn is_yaml_non_break(c: char) -> bool {
    !is_breakz(c) && c != '\u{feff}'
}

fn is_yaml_non_space(c: char) -> bool {
    is_yaml_non_break(c) && !is_blank(c)
}

impl<'a> PieceInput<'a> {
    pub(crate) fn new(feed: SharedFeed<'a>) -> Self {
        let progress = Rc::clone(&feed.borrow().progress);
        let mut input = Self {
            buffer: String::new(),
            pos: 0,
            base: 0,
            progress,
            lookahead: 0,
            feed,
            done: false,
        };
        input.refill_if_empty();
        input
    }

    fn rest(&self) -> &str {
        &self.buffer[self.pos..]
    }

    /// Pull the next piece; `false` once the text has ended, or was cut
    /// short: read past [`Progress::stop_at`] with no event.
    fn refill(&mut self) -> bool {
        if self.done {
            return false;
        }
        if self.base + self.pos > self.progress.stop_at.get() {
            self.progress.over.set(true);
            self.done = true;
            return false;
        }
        let Some(piece) = self.feed.borrow_mut().pull() else {
            self.done = true;
            return false;
        };
        if self.pos >= self.buffer.len() {
            // All read (the usual case): the piece becomes the buffer.
            self.base += self.buffer.len();
            self.buffer = piece;
        } else {
            self.buffer.drain(..self.pos);
            self.base += self.pos;
            self.buffer.push_str(&piece);
        }
        self.pos = 0;
        true
    }

    /// Publish how far the parser has read.
    #[inline]
    fn moved(&self) {
        self.progress.consumed.set(self.base + self.pos);
    }

    /// Keep the invariant: the text held runs to the end of the current
    /// line, unless the text has ended.
    #[inline]
    fn refill_if_empty(&mut self) {
        if self.pos >= self.buffer.len() {
            self.refill();
        }
    }

    /// Whether at least `n` characters are held.
    #[inline]
    fn holds(&self, n: usize) -> bool {
        let rest = self.rest();
        rest.len() >= 4 * n || rest.chars().nth(n.saturating_sub(1)).is_some() || n == 0
    }

    fn advance(&mut self, bytes: usize) {
        self.pos += bytes;
        self.moved();
        self.refill_if_empty();
    }

    /// Consume characters while `keep` holds, across pieces; returns how
    /// many, appending them to `out` when given.
    fn take_while(&mut self, keep: impl Fn(char) -> bool, mut out: Option<&mut String>) -> usize {
        let mut count = 0;
        loop {
            let rest = self.rest();
            let mut bytes = rest.len();
            for (i, c) in rest.char_indices() {
                if !keep(c) {
                    bytes = i;
                    break;
                }
                count += 1;
            }
            if let Some(out) = out.as_deref_mut() {
                out.push_str(&self.buffer[self.pos..self.pos + bytes]);
            }
            let ran_out = bytes == self.rest().len();
            self.pos += bytes;
            self.moved();
            if !(ran_out && self.refill()) {
                self.refill_if_empty();
                return count;
            }
        }
    }
}

impl Input for PieceInput<'_> {
    #[inline]
    fn lookahead(&mut self, x: usize) {
        self.lookahead = self.lookahead.max(x);
        // The usual case, asked for every character: far from the end of
        // what is held.
        if self.buffer.len() - self.pos >= 4 * x {
            return;
        }
        while !self.done && !self.holds(x) {
            if !self.refill() {
                break;
            }
        }
    }

    #[inline]
    fn buflen(&self) -> usize {
        self.lookahead
    }

    #[inline]
    fn bufmaxlen(&self) -> usize {
        BUFFER_LEN
    }

    fn buf_is_empty(&self) -> bool {
        self.buflen() == 0
    }

    #[inline]
    fn raw_read_ch(&mut self) -> char {
        self.refill_if_empty();
        match self.rest().chars().next() {
            Some(c) => {
                self.advance(c.len_utf8());
                c
            }
            None => '\0',
        }
    }

    #[inline]
    fn raw_read_non_breakz_ch(&mut self) -> Option<char> {
        self.refill_if_empty();
        let c = self.rest().chars().next()?;
        if is_yaml_non_break(c) {
            self.advance(c.len_utf8());
            Some(c)
        } else {
            None
        }
    }

    #[inline]
    fn skip(&mut self) {
        match self.buffer.as_bytes().get(self.pos) {
            Some(&b) if b < 0x80 => self.advance(1),
            Some(_) => {
                let c = self.rest().chars().next().map_or(1, char::len_utf8);
                self.advance(c);
            }
            None => {}
        }
    }

    #[inline]
    fn skip_n(&mut self, count: usize) {
        let bytes = self.buffer.as_bytes();
        if self.pos + count <= bytes.len() && bytes[self.pos..self.pos + count].is_ascii() {
            self.advance(count);
            return;
        }
        for _ in 0..count {
            match self.rest().chars().next() {
                Some(c) => self.advance(c.len_utf8()),
                None => break,
            }
        }
    }

    #[inline]
    fn peek(&self) -> char {
        match self.buffer.as_bytes().get(self.pos) {
            Some(&b) if b < 0x80 => char::from(b),
            Some(_) => self.rest().chars().next().unwrap_or('\0'),
            None => '\0',
        }
    }

    #[inline]
    fn peek_nth(&self, n: usize) -> char {
        let bytes = self.buffer.as_bytes();
        if let Some(ahead) = bytes.get(self.pos..=self.pos + n) {
            if ahead.is_ascii() {
                return char::from(ahead[n]);
            }
        }
        self.rest().chars().nth(n).unwrap_or('\0')
    }

    #[inline]
    fn peek_opt(&self) -> Option<char> {
        self.rest().chars().next()
    }

    #[inline]
    fn look_ch(&mut self) -> char {
        self.lookahead(1);
        self.peek()
    }

    #[inline]
    fn next_char_is(&self, c: char) -> bool {
        self.peek() == c
    }

    #[inline]
    fn nth_char_is(&self, n: usize, c: char) -> bool {
        self.peek_nth(n) == c
    }

    #[inline]
    fn next_2_are(&self, c1: char, c2: char) -> bool {
        let mut chars = self.rest().chars();
        chars.next() == Some(c1) && chars.next() == Some(c2)
    }

    #[inline]
    fn next_3_are(&self, c1: char, c2: char, c3: char) -> bool {
        let mut chars = self.rest().chars();
        chars.next() == Some(c1) && chars.next() == Some(c2) && chars.next() == Some(c3)
    }

    #[inline]
    fn next_is_document_indicator(&self) -> bool {
        let bytes = self.rest().as_bytes();
        bytes.len() >= 3
            && (bytes.len() == 3 || is_blank_or_breakz(char::from(bytes[3])))
            && (bytes[0] == b'.' || bytes[0] == b'-')
            && bytes[0] == bytes[1]
            && bytes[1] == bytes[2]
    }

    #[inline]
    fn next_is_document_start(&self) -> bool {
        let bytes = self.rest().as_bytes();
        bytes.len() >= 3
            && (bytes.len() == 3 || is_blank_or_breakz(char::from(bytes[3])))
            && bytes[..3] == *b"---"
    }

    #[inline]
    fn next_is_document_end(&self) -> bool {
        let bytes = self.rest().as_bytes();
        bytes.len() >= 3
            && (bytes.len() == 3 || is_blank_or_breakz(char::from(bytes[3])))
            && bytes[..3] == *b"..."
    }

    fn skip_ws_to_eol(&mut self, skip_tabs: SkipTabs) -> (usize, Result<SkipTabs, &'static str>) {
        let mut has_yaml_ws = false;
        let mut encountered_tab = false;
        let mut chars_consumed = 0;
        // Spaces (and tabs) never reach past the line, which is held whole.
        loop {
            match self.rest().as_bytes().first() {
                Some(b' ') => has_yaml_ws = true,
                Some(b'\t') if skip_tabs == SkipTabs::Yes => encountered_tab = true,
                _ => break,
            }
            self.pos += 1;
            chars_consumed += 1;
        }
        self.moved();
        if self.rest().as_bytes().first() == Some(&b'#') {
            if !encountered_tab && !has_yaml_ws {
                self.refill_if_empty();
                return (
                    chars_consumed,
                    Err("comments must be separated from other tokens by whitespace"),
                );
            }
            chars_consumed += self.take_while(is_yaml_non_break, None);
        }
        self.refill_if_empty();
        (
            chars_consumed,
            Ok(SkipTabs::Result(encountered_tab, has_yaml_ws)),
        )
    }

    #[allow(clippy::inline_always)]
    #[inline(always)]
    fn next_can_be_plain_scalar(&self, in_flow: bool) -> bool {
        let nc = self.peek_nth(1);
        match self.peek() {
            ':' if is_blank_or_breakz(nc) || (in_flow && is_flow(nc)) => false,
            '\u{FEFF}' => false,
            c if in_flow && is_flow(c) => false,
            _ => true,
        }
    }

    #[inline]
    fn next_is_blank_or_break(&self) -> bool {
        self.rest()
            .as_bytes()
            .first()
            .is_some_and(|&b| is_blank(char::from(b)) || is_break(char::from(b)))
    }

    #[inline]
    fn next_is_blank_or_breakz(&self) -> bool {
        self.rest()
            .as_bytes()
            .first()
            .is_none_or(|&b| is_blank(char::from(b)) || is_breakz(char::from(b)))
    }

    #[inline]
    fn next_is_blank(&self) -> bool {
        self.rest()
            .as_bytes()
            .first()
            .is_some_and(|&b| is_blank(char::from(b)))
    }

    #[inline]
    fn next_is_break(&self) -> bool {
        self.rest()
            .as_bytes()
            .first()
            .is_some_and(|&b| is_break(char::from(b)))
    }

    #[inline]
    fn next_is_breakz(&self) -> bool {
        self.rest()
            .as_bytes()
            .first()
            .is_none_or(|&b| is_breakz(char::from(b)))
    }

    #[inline]
    fn next_is_z(&self) -> bool {
        self.rest()
            .as_bytes()
            .first()
            .is_none_or(|&b| is_z(char::from(b)))
    }

    #[inline]
    fn next_is_flow(&self) -> bool {
        self.rest()
            .as_bytes()
            .first()
            .is_some_and(|&b| is_flow(char::from(b)))
    }

    #[inline]
    fn next_is_digit(&self) -> bool {
        self.rest()
            .as_bytes()
            .first()
            .is_some_and(|&b| is_digit(char::from(b)))
    }

    #[inline]
    fn next_is_alpha(&self) -> bool {
        self.rest()
            .as_bytes()
            .first()
            .is_some_and(|&b| is_alpha(char::from(b)))
    }

    fn skip_while_non_breakz(&mut self) -> usize {
        self.take_while(is_yaml_non_break, None)
    }

    fn skip_while_blank(&mut self) -> usize {
        self.take_while(is_blank, None)
    }

    fn fetch_while_is_alpha(&mut self, out: &mut String) -> usize {
        let before = out.len();
        self.take_while(is_alpha, Some(out));
        // `StrInput` returns bytes here (alpha characters are ASCII).
        out.len() - before
    }

    fn fetch_while_is_yaml_non_space(&mut self, out: &mut String) -> usize {
        let before = out.len();
        self.take_while(is_yaml_non_space, Some(out));
        // `StrInput` returns the bytes appended here.
        out.len() - before
    }
}

/// A stretch of the chunk's text that is kept, from a line start.
struct Stretch {
    /// Offset in the chunk of `buffer`'s first byte.
    base: usize,
    /// Its text, after `dead` bytes forgotten but not yet dropped (moving
    /// the rest down at each release would copy the parser's lookahead
    /// again and again).
    buffer: String,
    dead: usize,
    /// Positions in `buffer`.
    lines: Lines,
}

impl Stretch {
    fn new(start: usize, text: String, origin: Origin) -> Self {
        Self {
            base: start,
            buffer: text,
            dead: 0,
            lines: Lines::new(origin),
        }
    }

    /// Offset in the chunk of its first byte kept.
    fn start(&self) -> usize {
        self.base + self.dead
    }

    fn end(&self) -> usize {
        self.base + self.buffer.len()
    }

    fn text(&self) -> &str {
        &self.buffer[self.dead..]
    }

    /// Forget what lies before `at` (a line start).
    fn forget(&mut self, at: usize) {
        self.dead = at - self.base;
        if self.dead > 64 * 1024 && self.dead > self.buffer.len() / 2 {
            let (_, origin) = self.lines.line_of(&self.buffer, self.dead);
            self.buffer.drain(..self.dead);
            self.base += self.dead;
            self.dead = 0;
            self.lines = Lines::new(origin);
        }
    }
}

/// Move a cursor `n` characters forward (or back) from byte `at` of
/// `text`: a jump over ASCII text, a walk otherwise.
pub(crate) fn walk(text: &str, at: usize, n: usize, forward: bool) -> (usize, usize) {
    let bytes = text.as_bytes();
    if forward {
        if at + n <= bytes.len() && bytes[at..at + n].is_ascii() {
            return (at + n, n);
        }
        let mut local = at;
        let mut moved = 0;
        while moved < n && local < bytes.len() {
            local += 1;
            while local < bytes.len() && !text.is_char_boundary(local) {
                local += 1;
            }
            moved += 1;
        }
        (local, moved)
    } else {
        if n <= at && bytes[at - n..at].is_ascii() {
            return (at - n, n);
        }
        let mut local = at;
        let mut moved = 0;
        while moved < n && local > 0 {
            local -= 1;
            while local > 0 && !text.is_char_boundary(local) {
                local -= 1;
            }
            moved += 1;
        }
        (local, moved)
    }
}

/// The loader's view of a chunk read in pieces: the text it may still need
/// (the lines of the object being read; a document's first lines, before
/// its items; what follows an anchor, until the document ends), the rest
/// forgotten as the parser moves on.
pub(crate) struct Window {
    pending: Pending,
    /// Kept stretches, in order; the last one grows as pieces are read.
    stretches: Vec<Stretch>,
    /// Bytes of the chunk read so far.
    end: usize,
    /// Bytes held in all stretches.
    held: usize,
    /// Every character read so far is ASCII: character indices are bytes.
    ascii: bool,
    /// A character index and its byte offset, where the last lookup ended.
    char_pos: usize,
    byte_pos: usize,
    /// The chunk's length, when read again after it was measured.
    pub(crate) final_len: Option<usize>,
    /// How far the parser's events reached (the text after it is only the
    /// parser's lookahead).
    read: usize,
    /// Bytes of stretches set aside that `held` does not count (a copy of
    /// text it counts).
    uncounted: usize,
}

impl Window {
    pub(crate) fn new(pending: Pending) -> Self {
        Self {
            pending,
            stretches: vec![Stretch::new(0, String::new(), Origin::default())],
            end: 0,
            held: 0,
            ascii: true,
            char_pos: 0,
            byte_pos: 0,
            final_len: None,
            read: 0,
            uncounted: 0,
        }
    }

    /// Take the pieces the parser read since the last call.
    fn sync(&mut self) {
        let pending = std::mem::take(&mut *self.pending.borrow_mut());
        for piece in pending {
            if self.ascii && !piece.is_ascii() {
                // Up to here characters were bytes: start counting.
                self.ascii = false;
                self.char_pos = self.end;
                self.byte_pos = self.end;
            }
            self.end += piece.len();
            self.held += piece.len();
            self.last().buffer.push_str(&piece);
        }
    }

    fn last(&mut self) -> &mut Stretch {
        let i = self.stretches.len() - 1;
        &mut self.stretches[i]
    }

    fn stretch_of(&self, offset: usize) -> Option<usize> {
        self.stretches
            .iter()
            .rposition(|s| s.start() <= offset && offset <= s.end())
    }

    /// Where the line that holds `offset` starts, if it is held.
    fn line_start(&mut self, offset: usize) -> Option<usize> {
        let i = self.stretch_of(offset)?;
        let stretch = &self.stretches[i];
        let before = &stretch.buffer[stretch.dead..offset - stretch.base];
        Some(
            before
                .rfind('\n')
                .map_or(stretch.start(), |n| stretch.start() + n + 1),
        )
    }

    /// Keep what lies before `at` (a line start inside the last stretch)
    /// as a stretch of its own; the last one goes on from `at`.
    fn split(&mut self, at: usize) {
        let last = self.last();
        if at <= last.start() || at > last.end() {
            return;
        }
        let (_, origin) = last.lines.line_of(&last.buffer, at - last.base);
        let rest = last.buffer.split_off(at - last.base);
        let next = Stretch::new(at, rest, origin);
        self.stretches.push(next);
    }
}

impl TextView for Window {
    fn byte(&mut self, char_index: usize) -> usize {
        self.sync();
        if self.ascii {
            let byte = char_index.min(self.end);
            self.read = self.read.max(byte);
            return byte;
        }
        let i = self.stretches.len() - 1;
        let stretch = &self.stretches[i];
        let text = stretch.text();
        let start = stretch.start();
        // Walk within the last stretch (the parser reads on from there).
        let local = self.byte_pos.saturating_sub(start).min(text.len());
        let (local, moved) = if char_index >= self.char_pos {
            let (local, moved) = walk(text, local, char_index - self.char_pos, true);
            self.char_pos += moved;
            (local, moved)
        } else {
            let (local, moved) = walk(text, local, self.char_pos - char_index, false);
            self.char_pos -= moved;
            (local, moved)
        };
        let _ = moved;
        self.byte_pos = start + local;
        self.read = self.read.max(self.byte_pos);
        self.byte_pos
    }

    fn slice(&self, span: Span) -> &str {
        let Some(i) = self.stretch_of(span.start) else {
            return "";
        };
        let stretch = &self.stretches[i];
        let text = stretch.text();
        let from = span.start - stretch.start();
        let to = span
            .end
            .saturating_sub(stretch.start())
            .clamp(from, text.len());
        text.get(from..to).unwrap_or_default()
    }

    fn len(&self) -> usize {
        self.end
    }

    fn final_len(&self) -> Option<usize> {
        self.final_len
    }

    fn positions(&mut self, offsets: &[usize]) -> Vec<Position> {
        let mut out = Vec::with_capacity(offsets.len());
        let mut rest = offsets;
        while let Some(&first) = rest.first() {
            let Some(i) = self.stretch_of(first) else {
                out.push(Position {
                    offset: first,
                    ..Position::default()
                });
                rest = &rest[1..];
                continue;
            };
            // The run of offsets in the same stretch: one sweep.
            let stretch = &mut self.stretches[i];
            let run = rest
                .iter()
                .take_while(|&&o| o >= stretch.start() && o <= stretch.end())
                .count();
            let relative: Vec<usize> = rest[..run].iter().map(|o| o - stretch.base).collect();
            out.extend(stretch.lines.positions(&stretch.buffer, &relative));
            rest = &rest[run..];
        }
        out
    }

    fn excerpt(&mut self, span: Span) -> Option<Excerpt> {
        let i = self.stretch_of(span.start)?;
        let stretch = &mut self.stretches[i];
        let text = stretch.buffer.as_str();
        let start = span.start - stretch.base;
        let end = span
            .end
            .saturating_sub(stretch.base)
            .clamp(start, text.len());
        let (from, origin) = stretch.lines.line_of(text, start);
        let to = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
        Some(Excerpt {
            origin,
            text: text[from..to].to_owned(),
        })
    }

    fn held(&self, at: usize) -> Option<(usize, &str)> {
        let stretch = &self.stretches[self.stretch_of(at)?];
        Some((stretch.start(), stretch.text()))
    }

    fn keep(&mut self, span: Span) {
        self.sync();
        let Some(i) = self.stretch_of(span.start) else {
            return;
        };
        let stretch = &mut self.stretches[i];
        let text = stretch.buffer.as_str();
        let start = span.start - stretch.base;
        let end = span
            .end
            .saturating_sub(stretch.base)
            .clamp(start, text.len());
        let (from, origin) = stretch.lines.line_of(text, start);
        let to = text[end..].find('\n').map_or(text.len(), |n| end + n + 1);
        let copy = Stretch::new(stretch.base + from, text[from..to].to_owned(), origin);
        self.held += to - from;
        let last = self.stretches.len() - 1;
        self.stretches.insert(last, copy);
    }

    fn release(&mut self, to: usize) {
        self.sync();
        let Some(at) = self.line_start(to) else {
            return;
        };
        let last = self.stretches.len() - 1;
        let stretch = &mut self.stretches[last];
        if at > stretch.start() && at <= stretch.end() {
            self.held -= at - stretch.start();
            stretch.forget(at);
        }
    }

    fn set_aside(&mut self, at: usize) {
        self.sync();
        let Some(start) = self.line_start(at) else {
            return;
        };
        self.split(start);
        // A flow list's first item may be on its key's line (`items: [{`),
        // and root-level results (a duplicate `items` key) point there: a
        // copy of that line is set aside too. Not counted as held: it is
        // the text of the item being read, which is.
        if at > start {
            let last = self.stretches.len() - 1;
            let stretch = &mut self.stretches[last];
            if stretch.start() == start {
                let local = start - stretch.base;
                let (_, origin) = stretch.lines.line_of(&stretch.buffer, local);
                let text = &stretch.buffer[local..];
                let end = text.find('\n').map_or(text.len(), |i| i + 1);
                let copy = Stretch::new(start, text[..end].to_owned(), origin);
                self.uncounted += end;
                self.stretches.insert(last, copy);
            }
        }
    }

    fn forget_aside(&mut self) {
        let last = self.stretches.pop();
        self.held += std::mem::take(&mut self.uncounted);
        for stretch in self.stretches.drain(..) {
            self.held -= stretch.end() - stretch.start();
        }
        self.stretches.extend(last);
    }

    fn over_limit(&self, limits: &Limits) -> Option<Diagnostic> {
        // Not counting what was read ahead.
        let held = self.held - self.end.saturating_sub(self.read).min(self.held);
        (held > limits.max_input_bytes).then(|| too_long(limits, self.read))
    }

    fn cut_short(&self, limits: &Limits) -> Diagnostic {
        too_long(limits, self.read)
    }
}

/// A document or a `List` item past `max_input_bytes`, noticed with the
/// parser's events as far as `read`.
fn too_long(limits: &Limits, read: usize) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Limit,
        Message::new(
            format!(
                "a document, or an item of a `List`, longer than {} bytes (max_input_bytes); it was not checked",
                limits.max_input_bytes
            ),
            format!(
                "un document, ou un élément d'une `List`, de plus de {} octets (max_input_bytes) ; il n'a pas été vérifié",
                limits.max_input_bytes
            ),
        ),
        Some(Span::empty(read)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use saphyr_parser::Parser;

    /// Every event, with its span, as the parser reads `text` whole.
    fn events_whole(text: &str) -> Vec<String> {
        let mut parser = Parser::new_from_str(text);
        let mut out = Vec::new();
        while let Some(event) = parser.next_event() {
            match event {
                Ok((event, span)) => out.push(format!(
                    "{event:?} {}..{}",
                    span.start.index(),
                    span.end.index()
                )),
                Err(e) => {
                    out.push(format!("error {e:?}"));
                    break;
                }
            }
        }
        out
    }

    /// The same, from `PieceInput` over `pieces`.
    fn events_pieces(pieces: &[String]) -> Vec<String> {
        let mut queue = pieces.iter().cloned();
        let input = PieceInput::new(Feed::new(Box::new(move || queue.next()), usize::MAX));
        let mut parser = Parser::new(input);
        let mut out = Vec::new();
        while let Some(event) = parser.next_event() {
            match event {
                Ok((event, span)) => out.push(format!(
                    "{event:?} {}..{}",
                    span.start.index(),
                    span.end.index()
                )),
                Err(e) => {
                    out.push(format!("error {e:?}"));
                    break;
                }
            }
        }
        out
    }

    /// `text` cut into pieces at line breaks, `lines` lines each.
    fn by_lines(text: &str, lines: usize) -> Vec<String> {
        let mut pieces = Vec::new();
        let mut current = String::new();
        for (i, line) in text.split_inclusive('\n').enumerate() {
            current.push_str(line);
            if (i + 1) % lines == 0 {
                pieces.push(std::mem::take(&mut current));
            }
        }
        pieces.push(current);
        pieces
    }

    #[test]
    fn pieces_read_as_the_whole_text() {
        let texts = [
            "kind: List\nitems:\n- a: 1\n  b: [x, y,\n    z]\n- |\n  literal\n   text\n\n- >-\n  folded\n  text\nmetadata: {}\n",
            "a: \"double\n  quoted\"\nb: 'single\n\n  quoted'\nc: plain\n  multi line\n# comment\nd: &x {k: v}\ne: *x\n",
            "- é: ü\n- 😀\n-   \t\n- \"\\u00e9\\n\"\r\n- !!str 1\n--- \n...\n%YAML 1.1\n---\nx\n",
            "{\"json\": [1, 2, {\"a\": null}],\n \"b\": \"c\"}\n",
            "bad: [\n  1,\n]\n  oops: : :\n",
            "a:\n\tb: 1\n",
            "key: value # comment\nk2: v#not\n#c\n",
            "",
            "no newline at end",
        ];
        for text in texts {
            let whole = events_whole(text);
            for lines in [1, 2, 3, 100] {
                assert_eq!(
                    events_pieces(&by_lines(text, lines)),
                    whole,
                    "{text:?} in pieces of {lines} lines"
                );
            }
            // Pieces that end inside lines (a line longer than a piece).
            for bytes in [1, 2, 5, 16] {
                let mut pieces = Vec::new();
                let mut rest = text;
                while !rest.is_empty() {
                    let mut cut = bytes.min(rest.len());
                    while !rest.is_char_boundary(cut) {
                        cut += 1;
                    }
                    pieces.push(rest[..cut].to_owned());
                    rest = &rest[cut..];
                }
                assert_eq!(
                    events_pieces(&pieces),
                    whole,
                    "{text:?} in pieces of {bytes} bytes"
                );
            }
        }
    }
}
