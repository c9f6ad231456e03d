//! Translation between the core's types and the protocol's: positions in
//! the negotiated encoding, findings and input errors as diagnostics, text
//! edits. Nothing here decides anything about manifests.

use kube_immutable_core::fix::text::TextEdit;
use kube_immutable_core::rules;
use kube_immutable_core::{Diagnostic, ErrorKind, Finding, LineIndex, Position, Severity, Span};
use lsp_types as lsp;

use crate::output::Lang;

/// How the client counts columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    /// UTF-16 code units: the protocol's default.
    #[default]
    Utf16,
    /// Bytes, when the client offers `utf-8`.
    Utf8,
}

impl Encoding {
    /// The encoding to use among those the client offers (UTF-8 when it
    /// offers it: no conversion at all).
    pub fn negotiate(offered: Option<&[lsp::PositionEncodingKind]>) -> Self {
        match offered {
            Some(kinds) if kinds.contains(&lsp::PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> lsp::PositionEncodingKind {
        match self {
            Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
            Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
        }
    }
}

/// A text and the index of its lines, to convert positions both ways.
#[derive(Debug, Clone, Copy)]
pub struct Lines<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
    pub encoding: Encoding,
}

impl Lines<'_> {
    /// A core position (of this text) as the client counts it.
    pub fn position(&self, p: &Position) -> lsp::Position {
        let line = p.line.saturating_sub(1);
        let (start, start16) = self.index.line_start(line).unwrap_or_default();
        let character = match self.encoding {
            Encoding::Utf16 => p.utf16_offset.saturating_sub(start16),
            Encoding::Utf8 => p.offset.saturating_sub(start),
        };
        lsp::Position::new(to_u32(line), to_u32(character))
    }

    /// A byte offset as the client counts it.
    pub fn position_of(&self, offset: usize) -> lsp::Position {
        self.position(&self.index.position(self.text, offset))
    }

    pub fn range_of(&self, span: Span) -> lsp::Range {
        lsp::Range::new(self.position_of(span.start), self.position_of(span.end))
    }

    /// The byte offset of a client's position (clamped into the text).
    pub fn offset(&self, p: lsp::Position) -> usize {
        self.index.offset(
            self.text,
            p.line as usize,
            p.character as usize,
            self.encoding == Encoding::Utf16,
        )
    }

    /// The byte span of a client's range (ends put in order).
    pub fn span(&self, r: lsp::Range) -> Span {
        let (a, b) = (self.offset(r.start), self.offset(r.end));
        Span::new(a.min(b), a.max(b))
    }

    fn range(&self, start: Option<&Position>, end: Option<&Position>) -> lsp::Range {
        match (start, end) {
            (Some(s), Some(e)) => lsp::Range::new(self.position(s), self.position(e)),
            (Some(s), None) => lsp::Range::new(self.position(s), self.position(s)),
            _ => lsp::Range::default(),
        }
    }

    pub fn edit(&self, edit: &TextEdit) -> lsp::TextEdit {
        lsp::TextEdit::new(self.range_of(edit.span), edit.text.clone())
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The `source` of every diagnostic.
pub const SOURCE: &str = "kube-immutable";

/// A finding as a diagnostic: its exact range, severity from the rule's
/// level, the rule id as `code` with a link to its page, the message and
/// what to do in the client's language, and for a container that inherits
/// a pod-level field, that field as related information.
pub fn finding(uri: &lsp::Url, lines: &Lines<'_>, f: &Finding, lang: Lang) -> lsp::Diagnostic {
    let range = lines.range(f.start.as_ref(), f.end.as_ref());
    let href = rules::by_id(f.rule).and_then(|r| lsp::Url::parse(&r.url_in(lang.code())).ok());
    let help = lang.get(&f.help);
    let message = if help.is_empty() {
        lang.get(&f.message).to_owned()
    } else {
        format!("{}\n{help}", lang.get(&f.message))
    };
    let related = f.related.as_ref().map(|r| {
        vec![lsp::DiagnosticRelatedInformation {
            location: lsp::Location::new(
                uri.clone(),
                lines.range(r.start.as_ref(), r.end.as_ref()),
            ),
            message: lang.get(&r.message).to_owned(),
        }]
    });
    lsp::Diagnostic {
        range,
        severity: Some(match f.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(f.rule.to_owned())),
        code_description: href.map(|href| lsp::CodeDescription { href }),
        source: Some(SOURCE.to_owned()),
        message,
        related_information: related,
        tags: None,
        data: None,
    }
}

/// An input problem (syntax, duplicate key, wrong type, limit) as a
/// diagnostic at its position, `code` its kind, at its own level: an error
/// when Kubernetes would not take the input, a warning when it would (a
/// duplicate key: kubectl keeps the last value).
pub fn input_error(lines: &Lines<'_>, e: &Diagnostic, lang: Lang) -> lsp::Diagnostic {
    let kind = match e.kind {
        ErrorKind::Syntax => "syntax",
        ErrorKind::DuplicateKey => "duplicate-key",
        ErrorKind::InvalidType => "invalid-type",
        ErrorKind::InvalidValue => "invalid-value",
        ErrorKind::Limit => "limit",
        ErrorKind::IgnoredAnnotation => "ignored-annotation",
    };
    lsp::Diagnostic {
        range: lines.range(e.start.as_ref(), e.end.as_ref()),
        severity: Some(match e.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        }),
        code: Some(lsp::NumberOrString::String(kind.to_owned())),
        source: Some(SOURCE.to_owned()),
        message: lang.get(&e.message).to_owned(),
        ..lsp::Diagnostic::default()
    }
}

/// Edits that turn `old` into `new`, one per run of changed lines (what
/// "fix all" sends: `fix` may take several rounds, each on the text the
/// last one made, so its result is sent as the lines it changed).
pub fn diff_edits(old: &str, new: &str) -> Vec<TextEdit> {
    let diff = similar::TextDiff::from_lines(old, new);
    let starts = |slices: &[&str]| {
        let mut at = 0;
        let mut out = Vec::with_capacity(slices.len() + 1);
        for s in slices {
            out.push(at);
            at += s.len();
        }
        out.push(at);
        out
    };
    let old_starts = starts(diff.old_slices());
    let new_starts = starts(diff.new_slices());
    diff.ops()
        .iter()
        .filter(|op| op.tag() != similar::DiffTag::Equal)
        .map(|op| {
            let (o, n) = (op.old_range(), op.new_range());
            TextEdit::new(
                Span::new(old_starts[o.start], old_starts[o.end]),
                new[new_starts[n.start]..new_starts[n.end]].to_owned(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_in_both_encodings() {
        let text = "a: é😀\nb: x\n";
        let index = LineIndex::new(text);
        let at = text.find('😀').unwrap() + 4;
        for (encoding, character) in [(Encoding::Utf16, 6), (Encoding::Utf8, 9)] {
            let lines = Lines {
                text,
                index: &index,
                encoding,
            };
            let p = lines.position_of(at);
            assert_eq!(p, lsp::Position::new(0, character));
            assert_eq!(lines.offset(p), at);
            assert_eq!(
                lines.position_of(text.find('x').unwrap()),
                lsp::Position::new(1, 3)
            );
        }
    }

    #[test]
    fn diff_edits_rebuild_the_new_text() {
        let old = "a\nb\nc\nd\n";
        let new = "a\nB\nc\nd\ne\n";
        let edits = diff_edits(old, new);
        assert_eq!(edits.len(), 2);
        assert_eq!(
            kube_immutable_core::fix::text::apply_edits(old, &edits),
            new
        );
        assert!(diff_edits(old, old).is_empty());
    }
}
