//! Messages in both languages, and the errors the core reports about its input.

use std::borrow::Cow;

use serde::Serialize;

use crate::finding::Severity;
use crate::span::{Position, Span};

/// A text in English and French. Every user-facing string of the core has both.
///
/// A fixed text (a rule's help, a fix's title) borrows its `'static` literal
/// instead of being copied into every finding; a formatted one is owned,
/// without spare capacity. An editor keeps the findings of the file it has
/// open, thousands for a 1 MB manifest, so the copies and the slack counted.
/// Either way it serializes as the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub en: Cow<'static, str>,
    pub fr: Cow<'static, str>,
}

impl Message {
    /// A message from literals (borrowed) or `format!`ed `String`s (kept
    /// owned, shrunk to their length).
    pub fn new(en: impl Into<Cow<'static, str>>, fr: impl Into<Cow<'static, str>>) -> Self {
        Self {
            en: shrunk(en.into()),
            fr: shrunk(fr.into()),
        }
    }

    /// Append another message, language by language (the text becomes
    /// owned, with no spare capacity).
    pub fn push(&mut self, other: &Message) {
        append(&mut self.en, &other.en);
        append(&mut self.fr, &other.fr);
    }

    /// The text in a language (`"fr"` or anything else for English).
    pub fn get(&self, lang: &str) -> &str {
        if lang.starts_with("fr") {
            &self.fr
        } else {
            &self.en
        }
    }
}

fn shrunk(mut text: Cow<'static, str>) -> Cow<'static, str> {
    if let Cow::Owned(owned) = &mut text {
        owned.shrink_to_fit();
    }
    text
}

fn append(text: &mut Cow<'static, str>, tail: &str) {
    if tail.is_empty() {
        return;
    }
    let mut joined = String::with_capacity(text.len() + tail.len());
    joined.push_str(text);
    joined.push_str(tail);
    *text = Cow::Owned(joined);
}

/// What went wrong with the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The text is not valid YAML or JSON.
    Syntax,
    /// A mapping has the same key twice. kubectl keeps the last value, so
    /// this is a warning-level problem ([`Severity::Warning`]): the object
    /// is checked as Kubernetes reads it.
    DuplicateKey,
    /// A field has a type the API server would reject (`privileged: "true"`).
    InvalidType,
    /// An annotation or other value the core reads is malformed.
    InvalidValue,
    /// The input exceeds a limit (size, nesting, alias expansion).
    Limit,
    /// The object carries `kube-immutable.io/ignore`, which the settings do
    /// not let it use (always in admission unless the operator allows it): a
    /// warning, the rules still run.
    IgnoredAnnotation,
}

/// A problem with the input, with its position when there is source text.
///
/// Problems never stop the check: other documents, objects and fields are
/// still evaluated. Most are errors: Kubernetes would not take the input
/// (a syntax error, a wrongly typed field) or it was not fully checked (a
/// limit). A warning-level problem ([`Diagnostic::warning`]: a duplicate
/// key) is one Kubernetes takes, but a reader should know about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub kind: ErrorKind,
    /// [`Severity::Error`] unless built with [`Diagnostic::warning`].
    pub severity: Severity,
    pub message: Message,
    /// 0-based index of the document in the stream, when known.
    pub document: Option<usize>,
    /// JSON pointer of the offending node from the document root, when known.
    pub pointer: Option<String>,
    pub span: Option<Span>,
    /// Filled from `span` by the text entry points.
    pub start: Option<Position>,
    pub end: Option<Position>,
}

impl Diagnostic {
    pub fn new(kind: ErrorKind, message: Message, span: Option<Span>) -> Self {
        Self {
            kind,
            severity: Severity::Error,
            message,
            document: None,
            pointer: None,
            span,
            start: None,
            end: None,
        }
    }

    /// The same problem at warning level: Kubernetes takes the input.
    #[must_use]
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// `true` for an error-level problem: Kubernetes would not take the
    /// input as written, or it was not fully checked.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    #[must_use]
    pub fn in_document(mut self, document: usize) -> Self {
        self.document = Some(document);
        self
    }

    #[must_use]
    pub fn at_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::Message;

    // The Cow itself, not its text: whether it is borrowed is what is tested.
    #[allow(clippy::ptr_arg)]
    fn spare(text: &Cow<'static, str>) -> Option<usize> {
        match text {
            Cow::Borrowed(_) => None,
            Cow::Owned(owned) => Some(owned.capacity() - owned.len()),
        }
    }

    #[test]
    fn literals_are_borrowed_and_owned_texts_have_no_spare_room() {
        let fixed = Message::new("Remove it.", "Supprimez-le.");
        assert_eq!((spare(&fixed.en), spare(&fixed.fr)), (None, None));

        let mut roomy = String::with_capacity(64);
        roomy.push_str("le conteneur « web »");
        let mut formatted = Message::new(format!("container {:?}", "web"), roomy);
        assert_eq!(
            (spare(&formatted.en), spare(&formatted.fr)),
            (Some(0), Some(0))
        );

        formatted.push(&fixed);
        assert_eq!(formatted.en, "container \"web\"Remove it.");
        assert_eq!(formatted.fr, "le conteneur « web »Supprimez-le.");
        assert_eq!(
            (spare(&formatted.en), spare(&formatted.fr)),
            (Some(0), Some(0))
        );

        // Nothing appended: a fixed text stays borrowed.
        let mut kept = fixed.clone();
        kept.push(&Message::new("", ""));
        assert_eq!((spare(&kept.en), spare(&kept.fr)), (None, None));
        assert_eq!(kept, fixed);
    }
}
