//! Messages in both languages, and the errors the core reports about its input.

use serde::Serialize;

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
    /// A mapping has the same key twice (kubectl's strict mode rejects it).
    DuplicateKey,
    /// A field has a type the API server would reject (`privileged: "true"`).
    InvalidType,
    /// An annotation or other value the core reads is malformed.
    InvalidValue,
    /// The input exceeds a limit (size, nesting, alias expansion).
    Limit,
}

/// An error about the input, with its position when there is source text.
///
/// Errors never stop the check: other documents, objects and fields are
/// still evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub kind: ErrorKind,
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
            message,
            document: None,
            pointer: None,
            span,
            start: None,
            end: None,
        }
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
