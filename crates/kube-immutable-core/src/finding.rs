//! What the rules report: findings, their severity, and the fixes they carry.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Message;
use crate::span::{Position, Span};

/// How bad a finding is. `Error` fails a CI run and rejects an admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// The Kubernetes object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// 0-based index of the document in the stream.
    pub document: usize,
    /// JSON pointer of the object from the document root (`""`, or
    /// `/items/2` inside a `List`).
    pub pointer: String,
}

/// Whether a fix can be applied without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Keeps the workload's behaviour; applied by default.
    Safe,
    /// May break the workload (the image may need root, the app may write
    /// elsewhere); applied only on request.
    Unsafe,
}

/// One structural change, in the spirit of RFC 6902.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Operation {
    /// Add a member or set it if present; on a list, `/-` appends.
    Add {
        path: String,
        value: serde_json::Value,
    },
    /// Replace an existing value.
    Replace {
        path: String,
        value: serde_json::Value,
    },
    /// Remove a member.
    Remove { path: String },
}

impl Operation {
    pub fn path(&self) -> &str {
        match self {
            Operation::Add { path, .. }
            | Operation::Replace { path, .. }
            | Operation::Remove { path } => path,
        }
    }

    /// The path, to change in place (the `Rechecker` renumbers a `List`
    /// item's; a fix cuts its spare room).
    pub(crate) fn path_mut(&mut self) -> &mut String {
        match self {
            Operation::Add { path, .. }
            | Operation::Replace { path, .. }
            | Operation::Remove { path } => path,
        }
    }
}

/// A fix: what it does, whether it is safe, and the operations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fix {
    pub title: Message,
    pub applicability: Applicability,
    /// Paths are JSON pointers from the document root.
    pub operations: Vec<Operation>,
}

/// One place where a container is not immutable.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Stable kebab-case rule id (`privileged`, `run-as-root`, ...).
    pub rule: &'static str,
    pub severity: Severity,
    pub message: Message,
    /// What to do about it.
    pub help: Message,
    pub object: ObjectRef,
    /// JSON pointer of the pod spec the finding is in (an object may hold
    /// several: a Ray cluster's head and worker groups).
    pub pod: String,
    /// `None` for pod-level findings.
    pub container: Option<String>,
    /// JSON pointer (from the document root) of the offending field; when
    /// the field is missing, of where it belongs.
    pub pointer: String,
    /// The offending key and value, or when the field is missing the
    /// nearest node that exists. `None` on the JSON path.
    pub span: Option<Span>,
    /// Filled from `span` by the text entry points.
    pub start: Option<Position>,
    pub end: Option<Position>,
    pub fix: Option<Fix>,
    /// Another place that explains the finding: for a container that
    /// inherits a pod-level setting, that pod-level field (editors show it
    /// as related information). Boxed: few findings have one, and inline it
    /// would make every finding larger by its size (an editor keeps
    /// thousands of findings).
    pub related: Option<Box<Related>>,
}

/// A place related to a finding, with a note that says how.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Related {
    pub message: Message,
    /// JSON pointer from the document root.
    pub pointer: String,
    /// `None` on the JSON path.
    pub span: Option<Span>,
    /// Filled from `span` by the text entry points.
    pub start: Option<Position>,
    pub end: Option<Position>,
}
