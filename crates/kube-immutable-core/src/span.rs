//! Byte spans inside the core; line, column and UTF-16 positions for the edges.

use serde::Serialize;

/// A half-open byte range `[start, end)` into the source text.
///
/// **Invariant:** both ends are on `char` boundaries of the text the span
/// was produced from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    pub const fn empty(at: usize) -> Self {
        Self { start: at, end: at }
    }

    /// The smallest span covering both.
    #[must_use]
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    #[must_use]
    pub fn shift(self, by: usize) -> Span {
        Span::new(self.start + by, self.end + by)
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// A position as editors and people count it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in Unicode scalar values (what people see).
    pub column: usize,
    /// Byte offset from the start of the text.
    pub offset: usize,
    /// Offset from the start of the text in UTF-16 code units (browser editors).
    pub utf16_offset: usize,
}

/// Line starts of a text, to turn byte offsets into [`Position`]s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineIndex {
    /// Byte offset of the start of every line.
    line_starts: Vec<usize>,
    /// The lines that are not ASCII, in order (none, in most manifests),
    /// each with how many more bytes than UTF-16 code units the text has up
    /// to its end. An ASCII line's columns are byte differences, so a
    /// position costs O(1) even on a 3 MB one-line JSON object, and a line
    /// starts in UTF-16 at its byte offset less the last such count before
    /// it. An editor keeps the index of every open file: a word per line,
    /// where a UTF-16 offset and a flag per line took twice as much.
    wide: Vec<(usize, usize)>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        // As long as needed: growing the vector copied it at each doubling
        // and left the old copies in an allocator that keeps freed pages.
        // Counting the line breaks first is one pass the compiler
        // vectorises.
        let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
        let mut index = Self {
            line_starts: Vec::with_capacity(lines),
            wide: Vec::new(),
        };
        index.line_starts.push(0);
        let (start, wider) = index.push_lines(text, 0, text.len(), 0, 0);
        index.push_line(&text[start..], lines - 1, wider);
        index
    }

    /// Index the lines of `text[start..end]` that end with a line break
    /// (`start` is the start of line `line`, with `wider` more bytes than
    /// UTF-16 code units before it): push the start of the line after
    /// each, and each one that is not ASCII. Returns where the line after
    /// them starts, and the count of bytes more than UTF-16 units there.
    fn push_lines(
        &mut self,
        text: &str,
        mut start: usize,
        end: usize,
        mut line: usize,
        mut wider: usize,
    ) -> (usize, usize) {
        // Line by line: an ASCII line (most of them) is as long in UTF-16
        // as in bytes, which `is_ascii` tells without decoding.
        while let Some(len) = text[start..end].find('\n') {
            let next = start + len + 1;
            wider = self.push_line(&text[start..next], line, wider);
            start = next;
            line += 1;
            self.line_starts.push(start);
        }
        (start, wider)
    }

    /// Line `line`, whose text is `text`, with `wider` more bytes than
    /// UTF-16 code units before it: pushed if it is not ASCII. Returns
    /// that count at its end.
    fn push_line(&mut self, text: &str, line: usize, wider: usize) -> usize {
        if text.is_ascii() {
            return wider;
        }
        let wider = wider + text.len() - utf16_len(text);
        self.wide.push((line, wider));
        wider
    }

    /// Whether a line is ASCII, and how many more bytes than UTF-16 code
    /// units are before it.
    fn line_info(&self, line: usize) -> (bool, usize) {
        let i = self.wide.partition_point(|&(l, _)| l < line);
        let ascii = self.wide.get(i).is_none_or(|&(l, _)| l != line);
        (ascii, i.checked_sub(1).map_or(0, |i| self.wide[i].1))
    }

    /// The index of `text`, made from this index of the text before an
    /// edit that replaced `old` (a span of that text) by `new_len` bytes:
    /// the edited lines are indexed again, the later ones only moved. An
    /// editor's keystroke in a long text costs its line, not the text.
    pub fn edit(&mut self, text: &str, old: Span, new_len: usize) {
        let first = self.line_starts.partition_point(|&s| s <= old.start) - 1;
        let last = self.line_starts.partition_point(|&s| s <= old.end) - 1;
        // The first line after the edited ones, where it starts now.
        let after = last + 1;
        let end = self
            .line_starts
            .get(after)
            .map_or(text.len(), |&s| old.start + new_len + (s - old.end));
        let mut edited = Self {
            line_starts: Vec::new(),
            wide: Vec::new(),
        };
        let (start, wider) = edited.push_lines(
            text,
            self.line_starts[first],
            end,
            first,
            self.line_info(first).1,
        );
        // The edited lines' entries, replaced by the new ones'.
        let wide_first = self.wide.partition_point(|&(l, _)| l < first);
        let wide_after = self.wide.partition_point(|&(l, _)| l < after);
        if after < self.line_starts.len() {
            // The edited lines end with a line break: `starts` ends with the
            // next line's start, which moves the lines after it.
            let moved = self.line_starts[after];
            for s in &mut self.line_starts[after + 1..] {
                *s = *s - moved + start;
            }
            // The lines after them: renumbered, their counts moved.
            let (lines_before, wider_before) = (after, self.line_info(after).1);
            let lines_now = first + edited.line_starts.len();
            for (l, w) in &mut self.wide[wide_after..] {
                *l = *l - lines_before + lines_now;
                *w = *w - wider_before + wider;
            }
            self.line_starts
                .splice(first + 1..=after, edited.line_starts);
        } else {
            // The last line, without a line break after it.
            let line = first + edited.line_starts.len();
            edited.push_line(&text[start..], line, wider);
            self.line_starts.truncate(first + 1);
            self.line_starts.extend(edited.line_starts);
        }
        self.wide.splice(wide_first..wide_after, edited.wide);
    }

    /// Position of a byte offset. Offsets past the end, or inside a
    /// multi-byte character, are clamped to the previous boundary.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let (ascii, wider) = self.line_info(line);
        let start16 = start - wider;
        if ascii {
            return Position {
                line: line + 1,
                column: offset - start + 1,
                offset,
                utf16_offset: start16 + offset - start,
            };
        }
        let before = &text[start..offset];
        // A byte-order mark is not a column anyone sees.
        let before = if line == 0 {
            before.strip_prefix('\u{feff}').unwrap_or(before)
        } else {
            before
        };
        let column = before.chars().count() + 1;
        let utf16_offset = start16
            + text[start..offset]
                .chars()
                .map(char::len_utf16)
                .sum::<usize>();
        Position {
            line: line + 1,
            column,
            offset,
            utf16_offset,
        }
    }

    /// Byte range of a 1-based line, without its line break.
    pub fn line_span(&self, text: &str, line: usize) -> Span {
        let start = self.line_starts[line.saturating_sub(1).min(self.line_starts.len() - 1)];
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let end = if text[..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        Span::new(start, end.max(start))
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Where a 0-based line starts: its byte offset and its UTF-16 offset
    /// (editors count columns from there). `None` past the last line.
    pub fn line_start(&self, line: usize) -> Option<(usize, usize)> {
        let start = *self.line_starts.get(line)?;
        Some((start, start - self.line_info(line).1))
    }

    /// The byte offset of a 0-based line and a column counted in UTF-16
    /// code units (`utf16`, as the Language Server Protocol and browser
    /// editors count by default) or in bytes (UTF-8). A column past the
    /// line's end stops before its line break, a line past the end at the
    /// end of the text, and a column inside a character at its start.
    pub fn offset(&self, text: &str, line: usize, column: usize, utf16: bool) -> usize {
        let Some(&start) = self.line_starts.get(line) else {
            return text.len();
        };
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line_text = &text[start..end];
        let line_text = line_text.strip_suffix('\r').unwrap_or(line_text);
        if !utf16 || self.line_info(line).0 {
            let mut at = start + column.min(line_text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            return at;
        }
        let mut units = 0;
        for (i, c) in line_text.char_indices() {
            units += c.len_utf16();
            if units > column {
                return start + i;
            }
        }
        start + line_text.len()
    }
}

/// UTF-16 code units of a text (bytes, when it is ASCII).
pub(crate) fn utf16_len(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().map(char::len_utf16).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_index_is_the_index_of_the_edited_text() {
        let pieces = ["", "a", "\n", "\r\n", "é", "😀", "b: c\n", "\n\n", "x\ny"];
        let texts = [
            "",
            "a",
            "\n",
            "a: é\r\nb: 😀x\n",
            "one\ntwo\nthree",
            "\u{feff}k: v\n\né\n",
        ];
        // A small linear congruential generator: the same edits every run.
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            usize::try_from(seed >> 33).unwrap_or_default() % n.max(1)
        };
        for start in texts {
            let mut text = start.to_owned();
            let mut index = LineIndex::new(&text);
            for _ in 0..200 {
                let boundaries: Vec<usize> = (0..=text.len())
                    .filter(|&i| text.is_char_boundary(i))
                    .collect();
                let a = boundaries[next(boundaries.len())];
                let b = boundaries[next(boundaries.len())];
                let old = Span::new(a.min(b), a.max(b));
                let new = pieces[next(pieces.len())].repeat(1 + next(3));
                text.replace_range(old.start..old.end, &new);
                index.edit(&text, old, new.len());
                assert_eq!(
                    index,
                    LineIndex::new(&text),
                    "{text:?} after {old:?} → {new:?}"
                );
            }
        }
    }

    #[test]
    fn positions_count_chars_and_utf16() {
        let text = "a: é\nb: 😀x\n";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap_or_default();
        let p = idx.position(text, x);
        assert_eq!((p.line, p.column), (2, 5));
        // "a: é\n" is 5 UTF-16 units, "b: " 3, the emoji 2.
        assert_eq!(p.utf16_offset, 10);
        assert_eq!(idx.position(text, 0).line, 1);
        assert_eq!(idx.line_span(text, 2), Span::new(6, 14));
    }

    #[test]
    fn utf16_line_starts_match_a_char_by_char_count() {
        for text in [
            "",
            "a",
            "\n",
            "é\n😀\r\nx\n\n",
            "ascii\nonly\n",
            "\u{feff}k: v\né",
        ] {
            let idx = LineIndex::new(text);
            let mut utf16 = 0;
            let mut expected = vec![0];
            for c in text.chars() {
                utf16 += c.len_utf16();
                if c == '\n' {
                    expected.push(utf16);
                }
            }
            let starts: Vec<usize> = (0..idx.line_count())
                .filter_map(|line| Some(idx.line_start(line)?.1))
                .collect();
            assert_eq!(starts, expected, "{text:?}");
            assert_eq!(idx.line_count(), expected.len());
        }
    }

    #[test]
    fn offsets_from_editor_positions() {
        let text = "a: é\r\nb: 😀x\n";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap_or_default();
        // UTF-16: `b: ` is 3 units, the emoji 2.
        assert_eq!(idx.offset(text, 1, 5, true), x);
        assert_eq!(
            idx.offset(text, 1, 4, true),
            x - 4,
            "inside the emoji: its start"
        );
        assert_eq!(idx.offset(text, 1, 3 + 4, false), x);
        assert_eq!(
            idx.offset(text, 0, 99, true),
            text.find('\r').unwrap_or_default()
        );
        assert_eq!(idx.offset(text, 0, 4, false), 3, "inside é: its start");
        assert_eq!(idx.offset(text, 9, 0, true), text.len());
        assert_eq!(idx.line_start(1), Some((7, 6)));
        assert_eq!(idx.line_start(3), None);
        for (i, _) in text
            .char_indices()
            .filter(|(_, c)| !matches!(c, '\r' | '\n'))
        {
            let p = idx.position(text, i);
            let (start, start16) = idx.line_start(p.line - 1).unwrap_or_default();
            assert_eq!(
                idx.offset(text, p.line - 1, p.utf16_offset - start16, true),
                i
            );
            assert_eq!(idx.offset(text, p.line - 1, i - start, false), i);
        }
    }

    #[test]
    fn bom_is_not_a_column() {
        let text = "\u{feff}kind: Pod";
        let p = LineIndex::new(text).position(text, text.find("Pod").unwrap_or_default());
        assert_eq!((p.line, p.column, p.utf16_offset), (1, 7, 7));
    }

    #[test]
    fn crlf_line_span_excludes_cr() {
        let text = "a: 1\r\nb: 2\r\n";
        let idx = LineIndex::new(text);
        assert_eq!(
            &text[idx.line_span(text, 1).start..idx.line_span(text, 1).end],
            "a: 1"
        );
    }
}

/// The order that sorts `keys`: indices into them, ties in index order (a
/// stable sort). Every sort of the core goes through this one instance: each
/// sort instance weighs kilobytes in the browser's wasm.
#[cfg(feature = "yaml")]
pub(crate) fn sorted_order(keys: impl Iterator<Item = [usize; 3]>) -> Vec<usize> {
    let mut keyed: Vec<([usize; 3], usize)> = keys.enumerate().map(|(i, k)| (k, i)).collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

#[cfg(all(test, feature = "yaml"))]
mod sorted_order_tests {
    #[test]
    fn sorts_by_key_and_keeps_ties_in_order() {
        let keys = [[2, 0, 0], [1, 5, 0], [2, 0, 0], [1, 0, 0]];
        assert_eq!(super::sorted_order(keys.into_iter()), [3, 1, 0, 2]);
    }
}
