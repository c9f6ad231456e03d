//! Positions (line, column, UTF-16 offset) inside a stretch of text whose
//! start is known, without an index of every line: a few checkpoints, and
//! sweeps over the text between them.

use super::Origin;
use crate::span::{utf16_len, Position};

/// Bytes between checkpoints.
const EVERY: usize = 1024;

/// Checkpoints of a stretch of text: line starts with their line and
/// UTF-16 offset, about every [`EVERY`] bytes, built as far as asked.
#[derive(Debug, Clone)]
pub(crate) struct Lines {
    /// Offsets relative to the stretch; the first is its start.
    points: Vec<(usize, Origin)>,
    /// How far the text was swept to place checkpoints.
    swept: usize,
}

impl Lines {
    /// A stretch that starts at a line start, at `origin`.
    pub(crate) fn new(origin: Origin) -> Self {
        Self {
            points: vec![(0, origin)],
            swept: 0,
        }
    }

    /// The origin (line start) of the stretch.
    pub(crate) fn origin(&self) -> Origin {
        self.points[0].1
    }

    /// Place checkpoints as far as `to` (relative) in `text`.
    fn sweep(&mut self, text: &str, to: usize) {
        let to = to.min(text.len());
        while self.swept < to {
            let (at, origin) = self.points[self.points.len() - 1];
            let target = at + EVERY;
            let found = text
                .as_bytes()
                .get(target..)
                .and_then(|rest| rest.iter().position(|&b| b == b'\n'));
            let Some(nl) = found else {
                self.swept = text.len();
                break;
            };
            let next = target + nl + 1;
            let (lines, utf16) = count(&text[at..next]);
            self.points.push((
                next,
                Origin {
                    offset: origin.offset + next - at,
                    line: origin.line + lines,
                    utf16: origin.utf16 + utf16,
                },
            ));
            self.swept = next;
        }
    }

    /// The checkpoint at or before `offset` (relative).
    fn point(&mut self, text: &str, offset: usize) -> (usize, Origin) {
        self.sweep(text, offset);
        let i = self.points.partition_point(|&(at, _)| at <= offset);
        self.points[i.saturating_sub(1)]
    }

    /// The origin of the line that holds `offset` (relative), and where
    /// that line starts (relative).
    pub(crate) fn line_of(&mut self, text: &str, offset: usize) -> (usize, Origin) {
        let offset = clamp(text, offset);
        let (at, origin) = self.point(text, offset);
        let start = text[at..offset].rfind('\n').map_or(at, |i| at + i + 1);
        let (lines, utf16) = count(&text[at..start]);
        (
            start,
            Origin {
                offset: origin.offset + start - at,
                line: origin.line + lines,
                utf16: origin.utf16 + utf16,
            },
        )
    }

    /// The positions of `offsets` (relative to the stretch), in sweeps
    /// from the checkpoint before each run of ascending offsets.
    pub(crate) fn positions(&mut self, text: &str, offsets: &[usize]) -> Vec<Position> {
        let mut out = Vec::with_capacity(offsets.len());
        // The sweep: at `at`, on line `line` (0-based) that starts at
        // `line_start`, `column` characters into it, `utf16` units in all.
        let mut sweep: Option<(usize, usize, usize, usize, usize)> = None;
        for &offset in offsets {
            let offset = clamp(text, offset);
            let (mut at, mut line, mut line_start, mut column, mut utf16) = match sweep {
                Some(s) if s.0 <= offset => s,
                _ => {
                    let (start, origin) = self.line_of(text, offset);
                    let base = start;
                    (base, origin.line, start, 0, origin.utf16)
                }
            };
            while let Some(nl) = text.as_bytes()[at..offset].iter().position(|&b| b == b'\n') {
                let next = at + nl + 1;
                utf16 += utf16_len(&text[at..next]);
                line += 1;
                at = next;
                line_start = next;
                column = 0;
            }
            let before = &text[at..offset];
            let (chars, units) = if before.is_ascii() {
                (before.len(), before.len())
            } else {
                (before.chars().count(), utf16_len(before))
            };
            column += chars;
            utf16 += units;
            at = offset;
            let _ = line_start;
            out.push(Position {
                line: line + 1,
                column: column + 1,
                offset: self.origin().offset + offset,
                utf16_offset: utf16,
            });
            sweep = Some((at, line, line_start, column, utf16));
        }
        out
    }
}

/// Line breaks and UTF-16 units of a text.
fn count(text: &str) -> (usize, usize) {
    let lines = text.as_bytes().iter().filter(|&&b| b == b'\n').count();
    (lines, utf16_len(text))
}

/// An offset inside the text, on a character boundary (as `LineIndex`
/// clamps).
fn clamp(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::LineIndex;

    #[test]
    fn positions_are_line_index_positions() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(&format!("line {i}: é😀 {}\r\n", "x".repeat(i % 50)));
            if i % 7 == 0 {
                text.push('\n');
            }
        }
        let index = LineIndex::new(&text);
        let offsets: Vec<usize> = (0..text.len())
            .step_by(97)
            .filter(|&o| text.is_char_boundary(o))
            .collect();
        let mut lines = Lines::new(Origin::default());
        let got = lines.positions(&text, &offsets);
        for (o, p) in offsets.iter().zip(&got) {
            assert_eq!(*p, index.position(&text, *o), "offset {o}");
        }
        // Asked again from an earlier point, and one at a time.
        for &o in offsets.iter().rev().step_by(13) {
            assert_eq!(
                lines.positions(&text, &[o])[0],
                index.position(&text, o),
                "{o}"
            );
        }
        // A stretch that starts further on, at a known origin.
        let start = text[50_000..].find('\n').unwrap_or(0) + 50_001;
        let origin = index.position(&text, start);
        let mut tail = Lines::new(Origin {
            offset: start,
            line: origin.line - 1,
            utf16: origin.utf16_offset,
        });
        let o = text.len() - 10;
        assert_eq!(
            tail.positions(&text[start..], &[o - start])[0],
            index.position(&text, o)
        );
    }
}
