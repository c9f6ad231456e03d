//! An open document: its text as the client last sent it, the index of its
//! lines, and what the core made of it.

use std::path::PathBuf;

use kube_immutable_core::{LineIndex, Rechecker};
use lsp_types as lsp;

use super::convert::{Encoding, Lines};

/// What a document is to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A YAML or JSON file: checked, and shown findings when it is a
    /// manifest.
    Yaml,
    /// A settings file discovery finds (`.kube-immutable.yaml`): validated.
    Settings,
    /// A Helm template (`{{` in a file under a `templates/` folder): not
    /// YAML until rendered, so never checked.
    HelmTemplate,
}

#[derive(Debug)]
pub struct Document {
    pub uri: lsp::Url,
    /// The file, for `file:` URIs.
    pub path: Option<PathBuf>,
    pub version: i32,
    /// The text when it changed since the last check (or was never
    /// checked). Once checked, the rechecker holds it ([`Document::text`]):
    /// a long file is kept once, not twice. It holds it from the start of
    /// the check, so a check that panics (caught, `server.rs`) loses no
    /// text.
    pub edited: Option<String>,
    pub index: LineIndex,
    /// The results of the last text checked, by document: what the
    /// server shows is borrowed from it (`Rechecker::check_owned`), never
    /// copied, and a request about the current text reads nothing again.
    pub rechecker: Rechecker,
    /// Whether the current text was checked, and what that said.
    pub checked: Option<Checked>,
}

/// What the check of one version of a document said, beyond its findings
/// (which stay in the rechecker).
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    /// Shown: the text is a manifest (not Helm values or CI configuration).
    pub manifest: bool,
}

impl Document {
    pub fn new(uri: lsp::Url, version: i32, text: String) -> Self {
        let path = if uri.scheme() == "file" {
            uri.to_file_path().ok()
        } else {
            None
        };
        Self {
            index: LineIndex::new(&text),
            uri,
            path,
            version,
            edited: Some(text),
            rechecker: Rechecker::default(),
            checked: None,
        }
    }

    /// The text as the client last sent it.
    pub fn text(&self) -> &str {
        self.edited
            .as_deref()
            .unwrap_or_else(|| self.rechecker.text())
    }

    pub fn lines(&self, encoding: Encoding) -> Lines<'_> {
        Lines {
            text: self.text(),
            index: &self.index,
            encoding,
        }
    }

    pub fn role(&self) -> Role {
        let Some(path) = &self.path else {
            return Role::Yaml;
        };
        if crate::discover::is_config_file(path) {
            return Role::Settings;
        }
        let in_templates = path
            .parent()
            .is_some_and(|p| p.components().any(|c| c.as_os_str() == "templates"));
        if in_templates && self.text().contains("{{") {
            Role::HelmTemplate
        } else {
            Role::Yaml
        }
    }

    /// Apply the client's changes in order: a range replaced, or the whole
    /// text when a change has no range.
    pub fn change(
        &mut self,
        version: i32,
        changes: Vec<lsp::TextDocumentContentChangeEvent>,
        encoding: Encoding,
    ) {
        for change in changes {
            match change.range {
                None => {
                    self.index = LineIndex::new(&change.text);
                    self.edited = Some(change.text);
                }
                Some(range) => {
                    let span = self.lines(encoding).span(range);
                    // The rechecker's copy is the last one checked: the
                    // edited text is a new one.
                    let text = self
                        .edited
                        .get_or_insert_with(|| self.rechecker.text().to_owned());
                    text.replace_range(span.start..span.end, &change.text);
                    // Only the edited lines are indexed again.
                    self.index.edit(text, span, change.text.len());
                }
            }
        }
        self.version = version;
        self.checked = None;
    }
}
