//! Messages in both languages, and the errors the core reports about its input.

use serde::Serialize;

use crate::finding::Severity;
use crate::span::{Position, Span};

/// A text in English and French. Every user-facing string of the core has both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub en: String,
    pub fr: String,
}

impl Message {
    pub fn new(en: impl Into<String>, fr: impl Into<String>) -> Self {
        Self {
            en: en.into(),
            fr: fr.into(),
        }
    }

    /// Append another message, language by language.
    pub fn push(&mut self, other: &Message) {
        self.en.push_str(&other.en);
        self.fr.push_str(&other.fr);
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
