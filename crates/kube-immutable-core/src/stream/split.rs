//! Where a stream's chunks start, found as the stream is read.
//!
//! The same cuts as [`crate::yaml::split_documents`] (at `---` lines, with
//! the directives before them), on text that arrives piece by piece, cut
//! anywhere between characters. Each cut comes with its line and UTF-16
//! offset, so that positions inside a chunk, counted from the chunk's first
//! byte, can be moved to the stream's.

/// A place in the stream: byte offset, 0-based line, UTF-16 offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Origin {
    pub offset: usize,
    pub line: usize,
    pub utf16: usize,
}

/// Finds the chunk boundaries of a stream fed in pieces.
///
/// ```
/// use kube_immutable_core::stream::Splitter;
///
/// let mut splitter = Splitter::default();
/// let mut starts = Vec::new();
/// for piece in ["kind: Pod\n--", "-\nkind: Job\n%YAML 1.1\n", "---\nkind: X\n"] {
///     splitter.feed(piece, &mut starts);
/// }
/// splitter.finish(&mut starts);
/// let offsets: Vec<usize> = starts.iter().map(|o| o.offset).collect();
/// assert_eq!(offsets, [10, 24]); // the second `---`, and the directive before the third
/// assert_eq!(starts[1].line, 3);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Splitter {
    /// Everything fed so far.
    end: Origin,
    /// Whether any text was fed (a byte order mark is skipped at the start).
    started: bool,
    /// Where the first chunk starts (after a byte order mark).
    first: Origin,
    /// The line being read.
    line: Line,
    /// Where the directives before a coming `---` start.
    directives: Option<Origin>,
    /// Where the current chunk starts.
    chunk: Origin,
}

#[derive(Debug, Clone, Copy, Default)]
struct Line {
    start: Origin,
    /// Its first bytes (a marker is `---` and a blank).
    head: [u8; 4],
    head_len: usize,
    /// Only white space so far (`str::trim` would leave nothing).
    blank: bool,
}

impl Line {
    fn new(start: Origin) -> Self {
        Self {
            start,
            head: [0; 4],
            head_len: 0,
            blank: true,
        }
    }

    fn is_empty(&self, end: Origin) -> bool {
        end.offset == self.start.offset
    }

    /// `---` alone or followed by a blank, as `yaml::is_marker` reads it.
    fn is_marker(&self) -> bool {
        self.head_len >= 3
            && &self.head[..3] == b"---"
            && (self.head_len == 3 || matches!(self.head[3], b' ' | b'\t' | b'\r' | b'\n'))
    }
}

impl Splitter {
    /// Where the first chunk starts: after a byte order mark, if any.
    pub fn stream_start(&self) -> Origin {
        self.first
    }

    /// Where the current chunk starts.
    pub fn chunk_start(&self) -> Origin {
        self.chunk
    }

    /// Everything fed so far ends here.
    pub fn end(&self) -> Origin {
        self.end
    }

    /// The text before this offset belongs to the current chunk, whatever
    /// comes next; after it, a coming `---` may still start a new chunk
    /// (directive lines before it, or the line being read).
    pub fn settled(&self) -> usize {
        self.directives
            .map_or(self.line.start.offset, |d| d.offset)
            .min(self.line.start.offset)
            .max(self.chunk.offset)
    }

    /// Whether all the text fed so far belongs to the current chunk: the
    /// line being read is long enough to be neither a `---` line nor a
    /// directive, and no directive waits for a `---` (so a line longer than
    /// a piece can be sent on before it ends).
    pub fn settled_to_end(&self) -> bool {
        let line = &self.line;
        self.directives.is_none() && line.head_len >= 4 && !line.is_marker() && line.head[0] != b'%'
    }

    /// Read `text`, the next piece of the stream; push to `starts` where
    /// each chunk found in it starts (the first chunk's start is
    /// [`Splitter::stream_start`], never pushed).
    pub fn feed(&mut self, mut text: &str, starts: &mut Vec<Origin>) {
        if text.is_empty() {
            return;
        }
        if !self.started {
            self.started = true;
            if let Some(rest) = text.strip_prefix('\u{feff}') {
                self.end = Origin {
                    offset: 3,
                    line: 0,
                    utf16: 1,
                };
                text = rest;
            }
            self.first = self.end;
            self.chunk = self.end;
            self.line = Line::new(self.end);
        }
        while !text.is_empty() {
            let (part, rest, ends_line) = match text.find('\n') {
                Some(i) => (&text[..=i], &text[i + 1..], true),
                None => (text, "", false),
            };
            self.read_part(part);
            if ends_line {
                self.end_line(starts, true);
            }
            text = rest;
        }
    }

    /// The stream has ended: a last line without a line break counts.
    pub fn finish(&mut self, starts: &mut Vec<Origin>) {
        if !self.line.is_empty(self.end) {
            self.end_line(starts, false);
        }
    }

    fn read_part(&mut self, part: &str) {
        let line = &mut self.line;
        let bytes = part.as_bytes();
        if line.head_len < 4 {
            let take = (4 - line.head_len).min(bytes.len());
            line.head[line.head_len..line.head_len + take].copy_from_slice(&bytes[..take]);
            line.head_len += take;
        }
        let ascii = part.is_ascii();
        if line.blank {
            line.blank = if ascii {
                bytes.iter().all(|&b| char::from(b).is_whitespace())
            } else {
                part.chars().all(char::is_whitespace)
            };
        }
        self.end.offset += part.len();
        self.end.utf16 += if ascii {
            part.len()
        } else {
            part.chars().map(char::len_utf16).sum()
        };
    }

    fn end_line(&mut self, starts: &mut Vec<Origin>, newline: bool) {
        let line = self.line;
        if line.is_marker() {
            let boundary = self.directives.take().unwrap_or(line.start);
            if boundary.offset > self.chunk.offset {
                starts.push(boundary);
            }
            self.chunk = boundary;
        } else if line.head[0] == b'%' {
            self.directives.get_or_insert(line.start);
        } else if !line.blank && line.head[0] != b'#' {
            self.directives = None;
        }
        if newline {
            self.end.line += 1;
        }
        self.line = Line::new(self.end);
    }
}
