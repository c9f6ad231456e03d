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

/// Where JSON text goes: written (`Vec<u8>`, the transport's streamed
/// message), or only counted ([`JsonLength`]: a message's length goes
/// before its text).
pub trait JsonOut {
    /// Bytes of JSON text, as they are.
    fn bytes(&mut self, bytes: &[u8]);
    /// A string's contents, escaped (without its quotes).
    fn escaped(&mut self, s: &str);
    /// The end of a diagnostic: a place where the text may be cut.
    fn boundary(&mut self) {}
}

impl JsonOut for Vec<u8> {
    fn bytes(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn escaped(&mut self, s: &str) {
        escape_into(self, s);
    }
}

/// The length of the JSON text written to it.
#[derive(Debug, Default)]
pub struct JsonLength(pub usize);

impl JsonOut for JsonLength {
    fn bytes(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }

    fn escaped(&mut self, s: &str) {
        self.0 += escaped_len(s);
    }
}

/// Diagnostics written as JSON text straight from the core's findings: the
/// JSON that lsp-types writes of [`finding`]'s `lsp::Diagnostic` (a test
/// holds the two equal), without building it. A re-check after an edit
/// sends every diagnostic of the document again (a 1 MB stream: 2,400 of
/// them, 3 MB of JSON); building each as an `lsp::Diagnostic` (its link
/// parsed as a URL, its strings copied), then as a tree of
/// `serde_json::Value`s, then writing the tree, cost more than the check.
#[derive(Debug)]
pub struct DiagnosticsJson<'a> {
    lines: Lines<'a>,
    /// The document's URI, as a JSON string.
    uri: Vec<u8>,
    lang: Lang,
    /// Each rule's page, as a JSON string (as `lsp::Url` writes it), once
    /// asked for.
    hrefs: Vec<(&'static str, Option<Vec<u8>>)>,
}

impl<'a> DiagnosticsJson<'a> {
    pub fn new(uri: &lsp::Url, lines: Lines<'a>, lang: Lang) -> Self {
        let mut json = Vec::new();
        string(&mut json, uri.as_str());
        Self {
            lines,
            uri: json,
            lang,
            hrefs: Vec::new(),
        }
    }

    /// A JSON array of the diagnostics of a report's input errors then
    /// findings, as a document's diagnostics list them.
    pub fn list<'f>(
        &mut self,
        out: &mut impl JsonOut,
        errors: &[Diagnostic],
        findings: impl Iterator<Item = &'f Finding>,
    ) {
        out.bytes(b"[");
        let mut first = true;
        for e in errors {
            if !std::mem::take(&mut first) {
                out.bytes(b",");
            }
            self.input_error(out, e);
            out.boundary();
        }
        for f in findings {
            if !std::mem::take(&mut first) {
                out.bytes(b",");
            }
            self.finding(out, f);
            out.boundary();
        }
        out.bytes(b"]");
    }

    /// A finding as [`finding`] makes it, written as JSON.
    pub fn finding(&mut self, out: &mut impl JsonOut, f: &Finding) {
        out.bytes(b"{\"range\":");
        self.range(out, f.start.as_ref(), f.end.as_ref());
        out.bytes(match f.severity {
            Severity::Error => b",\"severity\":1,\"code\":",
            Severity::Warning => b",\"severity\":2,\"code\":",
        });
        string(out, f.rule);
        if let Some(href) = self.href(f.rule) {
            out.bytes(b",\"codeDescription\":{\"href\":");
            out.bytes(href);
            out.bytes(b"}");
        }
        out.bytes(b",\"source\":");
        string(out, SOURCE);
        out.bytes(b",\"message\":\"");
        out.escaped(self.lang.get(&f.message));
        let help = self.lang.get(&f.help);
        if !help.is_empty() {
            out.bytes(b"\\n");
            out.escaped(help);
        }
        out.bytes(b"\"");
        if let Some(r) = &f.related {
            out.bytes(b",\"relatedInformation\":[{\"location\":{\"uri\":");
            out.bytes(&self.uri);
            out.bytes(b",\"range\":");
            self.range(out, r.start.as_ref(), r.end.as_ref());
            out.bytes(b"},\"message\":");
            string(out, self.lang.get(&r.message));
            out.bytes(b"}]");
        }
        out.bytes(b"}");
    }

    /// An input problem as [`input_error`] makes it, written as JSON (there
    /// are few: they go through lsp-types).
    pub fn input_error(&self, out: &mut impl JsonOut, e: &Diagnostic) {
        let diagnostic = input_error(&self.lines, e, self.lang);
        let mut json = Vec::new();
        // Writing into memory cannot fail.
        let _ = serde_json::to_writer(&mut json, &diagnostic);
        out.bytes(&json);
    }

    /// [`Lines::range`], written as JSON.
    fn range(&self, out: &mut impl JsonOut, start: Option<&Position>, end: Option<&Position>) {
        let (start, end) = match (start, end) {
            (Some(s), Some(e)) => (self.lines.position(s), self.lines.position(e)),
            (Some(s), None) => (self.lines.position(s), self.lines.position(s)),
            _ => Default::default(),
        };
        let mut number = itoa::Buffer::new();
        for (key, p) in [
            (&b"{\"start\":{\"line\":"[..], start),
            (b"},\"end\":{\"line\":", end),
        ] {
            out.bytes(key);
            out.bytes(number.format(p.line).as_bytes());
            out.bytes(b",\"character\":");
            out.bytes(number.format(p.character).as_bytes());
        }
        out.bytes(b"}}");
    }

    /// The JSON string of a rule's page, as [`finding`] links it.
    fn href(&mut self, rule: &'static str) -> Option<&[u8]> {
        let at = match self.hrefs.iter().position(|(r, _)| *r == rule) {
            Some(at) => at,
            None => {
                let href = rules::by_id(rule)
                    .and_then(|r| lsp::Url::parse(&r.url_in(self.lang.code())).ok())
                    .map(|url| {
                        let mut json = Vec::new();
                        string(&mut json, url.as_str());
                        json
                    });
                self.hrefs.push((rule, href));
                self.hrefs.len() - 1
            }
        };
        self.hrefs[at].1.as_deref()
    }
}

/// A JSON string.
pub fn string(out: &mut impl JsonOut, s: &str) {
    out.bytes(b"\"");
    out.escaped(s);
    out.bytes(b"\"");
}

/// What JSON escapes a byte of a string into (`None`: itself).
fn escape_of(b: u8) -> Option<&'static [u8]> {
    const CONTROL: [&[u8]; 32] = [
        b"\\u0000", b"\\u0001", b"\\u0002", b"\\u0003", b"\\u0004", b"\\u0005", b"\\u0006",
        b"\\u0007", b"\\b", b"\\t", b"\\n", b"\\u000b", b"\\f", b"\\r", b"\\u000e", b"\\u000f",
        b"\\u0010", b"\\u0011", b"\\u0012", b"\\u0013", b"\\u0014", b"\\u0015", b"\\u0016",
        b"\\u0017", b"\\u0018", b"\\u0019", b"\\u001a", b"\\u001b", b"\\u001c", b"\\u001d",
        b"\\u001e", b"\\u001f",
    ];
    match b {
        b'"' => Some(b"\\\""),
        b'\\' => Some(b"\\\\"),
        0..=0x1f => Some(CONTROL[usize::from(b)]),
        _ => None,
    }
}

/// A string's contents escaped for JSON as serde_json escapes them
/// (quotes, backslashes and control characters; the rest as it is, UTF-8).
pub fn escape_into(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(escaped) = escape_of(b) {
            out.extend_from_slice(&bytes[from..i]);
            out.extend_from_slice(escaped);
            from = i + 1;
        }
    }
    out.extend_from_slice(&bytes[from..]);
}

/// The length of [`escape_into`]'s output, without writing it. Most strings
/// have nothing to escape, which one pass that the compiler vectorises
/// tells.
fn escaped_len(s: &str) -> usize {
    let special = s
        .bytes()
        .filter(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .count();
    if special == 0 {
        return s.len();
    }
    s.bytes().map(|b| escape_of(b).map_or(1, <[u8]>::len)).sum()
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
    fn findings_written_as_json_are_what_lsp_types_writes_of_their_diagnostics() {
        let texts = [
            include_str!("../../../../examples/mutable-pod.yaml"),
            // Escapes and non-ASCII text in messages; an inherited finding
            // (related information); a broken document (input errors).
            "apiVersion: v1\nkind: Pod\nmetadata: {name: \"q\\\"b\\\\s\\tt\\u0001\\b\\fé😀\"}\nspec:\n  securityContext:\n    runAsNonRoot: false\n  containers:\n  - name: \"c\\\"\\\\\\u0007é😀\"\n    image: nginx:1.27\n    securityContext: {privileged: true, runAsUser: 0}\n---\nkind: Pod\napiVersion: v1\nspec: {containers: [{name: a, name: b}]\n",
        ];
        let uri = lsp::Url::parse("file:///tmp/a%20b/p%C3%A9d.yaml").unwrap();
        let mut seen = (0, 0, 0);
        for text in texts {
            let report = kube_immutable_core::check_text(text, &Default::default());
            let index = LineIndex::new(text);
            for encoding in [Encoding::Utf16, Encoding::Utf8] {
                let lines = Lines {
                    text,
                    index: &index,
                    encoding,
                };
                for lang in [Lang::En, Lang::Fr] {
                    let mut json = DiagnosticsJson::new(&uri, lines, lang);
                    for f in &report.findings {
                        let mut out = Vec::new();
                        json.finding(&mut out, f);
                        let expected = serde_json::to_string(&finding(&uri, &lines, f, lang));
                        assert_eq!(String::from_utf8(out).unwrap(), expected.unwrap());
                        seen.0 += 1;
                        seen.1 += usize::from(f.related.is_some());
                    }
                    for e in &report.errors {
                        let mut out = Vec::new();
                        json.input_error(&mut out, e);
                        let expected = serde_json::to_string(&input_error(&lines, e, lang));
                        assert_eq!(String::from_utf8(out).unwrap(), expected.unwrap());
                        seen.2 += 1;
                    }
                    // The whole list, and its length counted beforehand.
                    let mut whole = Vec::new();
                    json.list(&mut whole, &report.errors, report.findings.iter());
                    let mut length = JsonLength::default();
                    json.list(&mut length, &report.errors, report.findings.iter());
                    let expected: Vec<lsp::Diagnostic> = report
                        .errors
                        .iter()
                        .map(|e| input_error(&lines, e, lang))
                        .chain(
                            report
                                .findings
                                .iter()
                                .map(|f| finding(&uri, &lines, f, lang)),
                        )
                        .collect();
                    assert_eq!(length.0, whole.len());
                    assert_eq!(
                        String::from_utf8(whole).unwrap(),
                        serde_json::to_string(&expected).unwrap()
                    );
                }
            }
        }
        assert!(seen.0 > 20 && seen.1 > 0 && seen.2 > 0, "{seen:?}");
    }

    #[test]
    fn escaped_lengths_are_the_lengths_of_the_escaped_strings() {
        let mut strings: Vec<String> = (0..=0x7f_u8).map(|b| char::from(b).to_string()).collect();
        strings.extend(
            [
                "",
                "plain",
                "a\"b\\c\nd\u{1}é😀\t",
                "\u{7f}\u{1f}\u{8}\u{c}",
            ]
            .map(String::from),
        );
        for s in &strings {
            let mut out = Vec::new();
            escape_into(&mut out, s);
            assert_eq!(escaped_len(s), out.len(), "{s:?}");
            assert_eq!(
                serde_json::to_string(s).unwrap().as_bytes(),
                [&b"\""[..], &out, b"\""].concat(),
                "{s:?}"
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
