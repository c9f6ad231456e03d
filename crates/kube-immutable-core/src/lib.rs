//! kube-immutable's core: every rule and the fixer, with no IO.
//!
//! Data flows one way: source text → documents of [`Node`]s with spans
//! ([`yaml`], or [`Node::from_json`] on the admission path) → workload
//! objects and their pod specs ([`workload`]) → typed views ([`context`]) →
//! rules ([`rules`]) → [`Finding`]s in a [`Report`].
//!
//! **Invariants:** nothing here reads files, the clock or the environment;
//! no input makes it panic, loop without bound or allocate without bound
//! (see [`Limits`]); byte offsets inside, line/column and UTF-16 positions
//! only where a report leaves ([`check_text`]).

pub mod context;
pub mod diagnostic;
mod engine;
pub mod export;
pub mod finding;
pub mod fix;
#[cfg(feature = "yaml")]
mod hashed;
pub mod node;
#[cfg(feature = "yaml")]
mod recheck;
pub mod rules;
pub mod settings;
pub mod span;
#[cfg(feature = "yaml")]
pub mod stream;
pub mod workload;
#[cfg(feature = "yaml")]
pub mod yaml;

pub use diagnostic::{Diagnostic, ErrorKind, Message};
pub use engine::IGNORE_ANNOTATION;
pub use finding::{Applicability, Finding, Fix, ObjectRef, Operation, Related, Severity};
pub use node::{Entry, Node, Value};
#[cfg(feature = "yaml")]
pub use recheck::{Rechecked, Rechecker};
pub use rules::{RuleMeta, RULES};
pub use settings::{
    ContainerExemption, Exemptions, IgnoreAnnotation, Level, Mode, Requester, Settings,
    SettingsError, TiedContainerExemption,
};
pub use span::{LineIndex, Position, Span};
pub use workload::WorkloadEntry;

/// The version of the rules and the fixer (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Bounds on what one input may cost.
///
/// Each exceeded limit is a positioned [`ErrorKind::Limit`] error naming it;
/// the README lists the values of each set (CLI, browser, policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `max_input_bytes`: larger inputs are refused whole.
    pub max_input_bytes: usize,
    /// `max_documents`: documents per stream; those past it are not read.
    /// It bounds the work of a stream, not its memory where documents are
    /// read one at a time (the CLI's `check`): the CLI's allows a cluster's
    /// `kubectl get -A -o yaml` of a million objects.
    pub max_documents: usize,
    /// `max_depth`: deeper nesting stops the document (Kubernetes objects
    /// rarely pass 20), including what aliases and merge keys build.
    pub max_depth: usize,
    /// `max_nodes`: nodes per document, counting every alias expansion.
    pub max_nodes: usize,
    /// `max_alias_nodes`: nodes that aliases may add to a document, plus one
    /// per byte of the document (a budget proportional to the input). On top
    /// of it, go-yaml's ratio rule (what kubectl and the API server apply,
    /// the fix for CVE-2019-11253) refuses a document whose nodes come
    /// mostly from aliases: a "billion laughs" stops after a few thousand.
    pub max_alias_nodes: usize,
    /// `max_scalar_bytes`: longer scalars stop the document (a whole
    /// Kubernetes object is at most ~3 MiB, the API server's request limit).
    pub max_scalar_bytes: usize,
}

impl Default for Limits {
    /// The CLI's: documents (and `List` items) of up to 64 MiB, a million
    /// documents per stream.
    fn default() -> Self {
        Self {
            max_input_bytes: 64 * 1024 * 1024,
            max_documents: 1_000_000,
            max_depth: 128,
            max_nodes: 2_000_000,
            max_alias_nodes: 100_000,
            max_scalar_bytes: 4 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Smaller bounds for a browser tab or an editor (the playground and the
    /// npm package): they must stay responsive whatever is pasted. A 1 MB
    /// manifest passes with room to spare; a document stops at 200,000
    /// nodes (tens of milliseconds) instead of the CLI's 2,000,000.
    pub const fn browser() -> Self {
        Self {
            max_input_bytes: 8 * 1024 * 1024,
            max_documents: 10_000,
            max_depth: 100,
            max_nodes: 200_000,
            max_alias_nodes: 10_000,
            max_scalar_bytes: 1024 * 1024,
        }
    }

    /// The error for an input of `bytes` bytes when it is over
    /// `max_input_bytes` (such an input is refused whole). Readers that can
    /// tell the size before reading, like the CLI, ask first.
    pub fn input_too_large(&self, bytes: usize) -> Option<Diagnostic> {
        (bytes > self.max_input_bytes).then(|| {
            Diagnostic::new(
                ErrorKind::Limit,
                Message::new(
                    format!(
                        "input is {bytes} bytes, more than the limit of {} bytes (max_input_bytes); nothing was checked",
                        self.max_input_bytes
                    ),
                    format!(
                        "l'entrée fait {bytes} octets, plus que la limite de {} octets (max_input_bytes) ; rien n'a été vérifié",
                        self.max_input_bytes
                    ),
                ),
                Some(Span::empty(0)),
            )
        })
    }

    /// Nodes aliases may add to a document of `bytes` bytes.
    pub const fn alias_budget(&self, bytes: usize) -> usize {
        self.max_alias_nodes.saturating_add(bytes)
    }
}

/// What a check found.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Problems with the input: errors (syntax, wrong types, limits) and
    /// warnings (duplicate keys); [`Diagnostic::severity`] tells which.
    pub errors: Vec<Diagnostic>,
    /// Workload objects (with a pod spec) seen.
    pub objects: usize,
    /// Findings turned off by the `kube-immutable.io/ignore` annotation.
    pub suppressed: usize,
    /// Documents whose root has both `apiVersion` and `kind`: Kubernetes
    /// objects (or `List`s), of any kind.
    pub manifests: usize,
}

impl Report {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// `true` when an input problem is an error: Kubernetes would not take
    /// the input as written, or part of it was not checked. Warning-level
    /// problems (duplicate keys) do not count.
    pub fn has_input_errors(&self) -> bool {
        self.errors.iter().any(Diagnostic::is_error)
    }
}

/// Check a YAML or JSON stream. Findings and errors carry spans and positions.
#[cfg(feature = "yaml")]
pub fn check_text(text: &str, settings: &Settings) -> Report {
    check_text_with_limits(text, settings, &Limits::default())
}

/// [`check_text`] with explicit limits. Read and checked a document at a
/// time (a chunk of the stream, as [`yaml::parse_stream`] splits it): what
/// it holds at once is one document's tree and the report, not every
/// document's tree (a 4 MB file of 200,000 small documents took 190 MB).
/// The report is `check_documents`'s, which keeps the trees for the
/// fixer (and JUnit's list of objects): `tests/stream.rs` holds the two
/// equal.
#[cfg(feature = "yaml")]
pub fn check_text_with_limits(text: &str, settings: &Settings, limits: &Limits) -> Report {
    let mut report = Report::default();
    let stream_error = yaml::for_each_chunk(text, limits, |chunk, first| {
        let read = yaml::read_chunk(&text[chunk.start..chunk.end], chunk.start, first, limits);
        report.errors.extend(read.errors);
        check_into(&read.documents, settings, &mut report);
        read.count
    });
    report.errors.extend(stream_error);
    locate(&mut report, text);
    report
}

/// [`check_text_with_limits`], and every workload object it checked (what
/// [`Report::objects`] counts, namespace-exempt ones included), in stream
/// order: for reports that list the objects without findings too (the
/// CLI's JUnit XML). Only walks the documents the check read.
#[cfg(feature = "yaml")]
pub fn check_text_listing_objects(
    text: &str,
    settings: &Settings,
    limits: &Limits,
) -> (Report, Vec<ObjectRef>) {
    let (documents, report) = check_documents(text, settings, limits);
    let mut objects = Vec::with_capacity(report.objects);
    for doc in &documents {
        workload::for_each_object(&doc.root, doc.index, &mut |object| {
            if !object.pod_specs(&settings.workloads).is_empty() {
                objects.push(engine::object_ref(object));
            }
        });
    }
    (report, objects)
}

/// Parse and check; the documents are kept for the fixer.
#[cfg(feature = "yaml")]
pub(crate) fn check_documents(
    text: &str,
    settings: &Settings,
    limits: &Limits,
) -> (Vec<yaml::Document>, Report) {
    let (documents, errors) = yaml::parse_stream(text, limits);
    let mut report = check_read(&documents, errors, settings);
    locate(&mut report, text);
    (documents, report)
}

/// Check documents read from a text, into a report that starts with the
/// errors met reading them (positions not filled yet).
#[cfg(feature = "yaml")]
fn check_read(
    documents: &[yaml::Document],
    errors: Vec<Diagnostic>,
    settings: &Settings,
) -> Report {
    let mut report = Report {
        errors,
        ..Report::default()
    };
    check_into(documents, settings, &mut report);
    report
}

/// Check documents into a report.
#[cfg(feature = "yaml")]
fn check_into(documents: &[yaml::Document], settings: &Settings, report: &mut Report) {
    for doc in documents {
        engine::check_document(
            &doc.root,
            doc.index,
            settings,
            &engine::Context::default(),
            report,
        );
    }
}

/// Whether a text checked into `report` is a Kubernetes manifest, for
/// faces that look at every YAML file (an editor) and must stay silent on
/// the others (Helm values, CI configuration): some document is an object
/// with `apiVersion` and `kind`, or, when a document could not be read, the
/// text has both keys at the top level of a block document (`apiVersion:`
/// at the start of a line) or anywhere in a JSON one (`"apiVersion"`).
#[cfg(feature = "yaml")]
pub fn looks_like_manifest(text: &str, report: &Report) -> bool {
    if report.manifests > 0 {
        return true;
    }
    if report.errors.is_empty() {
        return false;
    }
    let has = |key: &str| {
        text.lines()
            .any(|line| line.starts_with(key) && line[key.len()..].trim_start().starts_with(':'))
            || text.contains(&format!("\"{key}\""))
    };
    has("apiVersion") && has("kind")
}

/// Check one object (or `List`) given as JSON, as admission requests carry
/// it: findings have pointers but no spans. Namespace exemptions read the
/// object's `metadata.namespace`: callers that know the namespace otherwise
/// (an admission request's `namespace`) set it on the object first.
pub fn check_json(object: &serde_json::Value, settings: &Settings) -> Report {
    check_node(&Node::from_json(object), settings)
}

/// Check one document root.
pub fn check_node(root: &Node, settings: &Settings) -> Report {
    let mut report = Report::default();
    engine::check_document(root, 0, settings, &engine::Context::default(), &mut report);
    report
}

/// Check the object of an admission request, for `requester`: the object's
/// author is the person the policy guards against, so nothing it writes
/// lifts a rule unless the settings say so (the ignore annotation is not
/// honoured unless `ignoreAnnotation.allowed`), and the exemptions by
/// username, group and service account apply.
pub fn check_admission(root: &Node, settings: &Settings, requester: &Requester<'_>) -> Report {
    let mut report = Report::default();
    let context = engine::Context {
        admission: true,
        requester: *requester,
    };
    engine::check_document(root, 0, settings, &context, &mut report);
    report
}

/// Fill line/column/UTF-16 positions from spans, and sort by position.
/// The findings lose their list's spare room: the `Rechecker` keeps each
/// chunk's report, and an editor the `Rechecker`.
#[cfg(feature = "yaml")]
fn locate(report: &mut Report, text: &str) {
    report.findings.shrink_to_fit();
    // Index only as far as the last position needed (a refused 100 MB input
    // has one error at its start).
    let spans = report.findings.iter().flat_map(|f| {
        f.span
            .into_iter()
            .chain(f.related.as_ref().and_then(|r| r.span))
    });
    let furthest = spans
        .chain(report.errors.iter().filter_map(|e| e.span))
        .map(|s| s.end)
        .max();
    let Some(mut furthest) = furthest else { return };
    furthest = text[furthest.min(text.len())..]
        .find('\n')
        .map_or(text.len(), |i| furthest + i);
    let text = &text[..furthest];
    let index = LineIndex::new(text);
    for f in &mut report.findings {
        if let Some(span) = f.span {
            f.start = Some(index.position(text, span.start));
            f.end = Some(index.position(text, span.end));
        }
        if let Some(related) = &mut f.related {
            if let Some(span) = related.span {
                related.start = Some(index.position(text, span.start));
                related.end = Some(index.position(text, span.end));
            }
        }
    }
    for e in &mut report.errors {
        if let Some(span) = e.span {
            e.start = Some(index.position(text, span.start));
            e.end = Some(index.position(text, span.end));
        }
    }
    // By document (none first), then position (none first).
    let order = span::sorted_order(report.errors.iter().map(|e| {
        [
            e.document.map_or(0, |d| d + 1),
            usize::from(e.span.is_some()),
            e.span.map_or(0, |s| s.start),
        ]
    }));
    let mut slots: Vec<Option<Diagnostic>> = std::mem::take(&mut report.errors)
        .into_iter()
        .map(Some)
        .collect();
    report.errors = order.into_iter().filter_map(|i| slots[i].take()).collect();
}
