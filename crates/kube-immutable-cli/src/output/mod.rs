//! Renderers, two ways:
//!
//! - a whole [`Run`](crate::check::Run) to text, JSON, SARIF, GitHub
//!   workflow commands or JUnit XML, each returning a `String` (what a run
//!   that needs every input at once uses: a baseline, JUnit, several
//!   reports);
//! - a run's findings and input errors one record at a time ([`Format`]),
//!   put in order by [`crate::check::stream`] as the inputs are read
//!   (text, JSON, SARIF, GitHub): what `check` prints otherwise, byte for
//!   byte the same (`crate::check::tests`).
//!
//! `main` writes text through `anstream`, which drops colours when stdout
//! is not a terminal or `NO_COLOR` is set.

pub mod github;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod text;

use kube_immutable_core::stream::Excerpt;
use kube_immutable_core::{Diagnostic, Finding, Message, ObjectRef};

use crate::check::Summary;
use crate::inputs::InputError;

/// How one format prints a run, record by record.
///
/// Text and GitHub output print each file's input errors, then its
/// findings; JSON and SARIF print every finding, then every input error,
/// in arrays whose elements each start with `,` (the first one drops it).
pub trait Format: Sync {
    /// A file's input errors come before its findings (else: every finding
    /// before every input error).
    fn errors_first(&self) -> bool;
    /// Records are array elements, each starting with `,`.
    fn elements(&self) -> bool {
        false
    }
    /// Code frames need the source lines of each finding.
    fn needs_excerpts(&self) -> bool {
        false
    }
    /// Before everything.
    fn head(&self) -> String {
        String::new()
    }
    fn finding(&self, file: &str, f: &Finding, excerpts: &[Excerpt]) -> String;
    fn error(&self, file: &str, e: &Diagnostic, excerpts: &[Excerpt]) -> String;
    /// An input that could not be read.
    fn unreadable(&self, e: &InputError) -> String;
    /// After the findings (`any`: some were printed), before the errors.
    fn middle(&self, _any: bool, _summary: &Summary) -> String {
        String::new()
    }
    /// After the errors (`any`: some were printed).
    fn tail(&self, any: bool, summary: &Summary) -> String;
}

/// The language of messages and of the CLI's own sentences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// A core message in this language.
    pub fn get(self, message: &Message) -> &str {
        message.get(self.code())
    }

    /// One of two texts of the CLI itself.
    pub fn pick<'a>(self, en: &'a str, fr: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }

    /// `1 error`, `2 errors`; French uses the singular for 0 and 1.
    pub fn count(self, n: usize, en: (&str, &str), fr: (&str, &str)) -> String {
        let word = match self {
            Lang::En if n == 1 => en.0,
            Lang::En => en.1,
            Lang::Fr if n < 2 => fr.0,
            Lang::Fr => fr.1,
        };
        format!("{n} {word}")
    }
}

/// `Pod/nginx`, `Deployment/web in namespace "shop"`, with the container.
pub fn describe_object(object: &ObjectRef, container: Option<&str>, lang: Lang) -> String {
    let mut out = object.kind.clone();
    match &object.name {
        Some(name) => {
            out.push('/');
            out.push_str(name);
        }
        None => out.push_str(lang.pick(" (unnamed)", " (sans nom)")),
    }
    if let Some(ns) = &object.namespace {
        out.push_str(&match lang {
            Lang::En => format!(" in namespace \"{ns}\""),
            Lang::Fr => format!(" dans l'espace de noms « {ns} »"),
        });
    }
    if !object.pointer.is_empty() {
        out.push_str(&match lang {
            Lang::En => format!(" (at `{}`)", object.pointer),
            Lang::Fr => format!(" (à `{}`)", object.pointer),
        });
    }
    if let Some(c) = container {
        out.push_str(&match lang {
            Lang::En => format!(", container \"{c}\""),
            Lang::Fr => format!(", conteneur « {c} »"),
        });
    }
    out
}

/// Findings in source order (document, then position), the order every
/// format prints them in.
pub fn sorted(findings: &[Finding]) -> Vec<&Finding> {
    let mut out: Vec<&Finding> = findings.iter().collect();
    out.sort_by_key(|f| (f.object.document, f.span.map(|s| s.start)));
    out
}
