//! The one place the playground calls the core, in two halves that meet
//! as text:
//! - in the checker worker ([`crate::worker`]), [`check`] and [`fix`] run
//!   the core and turn its report into what the page shows: the
//!   verdict and counts, the findings to list, grouped, in the page's
//!   language, and the editor's markers (JSON, for `web/js/editor.mjs`);
//! - in the page, [`Checked::read`] and [`FixedView::read`] read that back
//!   into the view model the panels render.
//!
//! No rule logic here: verdicts, groups and markers are read off the
//! core's report. Views cross as a compact text ([`Writer`], [`Reader`]):
//! less code in the wasm than JSON trees, and little to parse.

use std::rc::Rc;

use kube_immutable_core::fix::text::fix_text_with_limits;
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::{
    Applicability, Diagnostic, Finding, Limits, Position, Rechecked, Rechecker, Settings, Severity,
};

use crate::i18n::Lang;

/// Smaller than the CLI's: a tab must stay responsive whatever is pasted
/// (the core's [`Limits::browser`], shared with the npm package).
pub const BROWSER_LIMITS: Limits = Limits::browser();

/// What the verdict element shows (`data-verdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Workloads found, no error-level finding (warnings allowed, as the CLI's exit code 0).
    Immutable,
    /// At least one error-level finding.
    Mutable,
    /// The input has errors (syntax, wrong types, limits):
    /// kubectl would refuse it. Findings in the readable parts still show.
    Invalid,
    /// Nothing to check: no workload object, no error.
    Empty,
}

const VERDICTS: [Verdict; 4] = [
    Verdict::Immutable,
    Verdict::Mutable,
    Verdict::Invalid,
    Verdict::Empty,
];

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Immutable => "immutable",
            Verdict::Mutable => "mutable",
            Verdict::Invalid => "invalid",
            Verdict::Empty => "empty",
        }
    }

    fn of(report: &Found<'_>) -> Self {
        if report.errors.iter().any(Diagnostic::is_error) {
            Verdict::Invalid
        } else if report
            .findings
            .iter()
            .any(|f| f.severity == Severity::Error)
        {
            Verdict::Mutable
        } else if report.objects == 0 {
            Verdict::Empty
        } else {
            Verdict::Immutable
        }
    }
}

/// One listed finding, in the check's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Rule id (`data-rule`).
    pub rule: String,
    pub severity: Severity,
    /// 1-based line and column (0 when the finding has no position).
    pub line: usize,
    pub column: usize,
    /// The editor range (see [`Range`]).
    pub range: Range,
    /// What the finding is about (document, rule, pointer): an opened
    /// finding stays open while the text is edited around it.
    pub key: String,
    pub message: String,
    pub help: String,
    pub fix: Option<(Applicability, String)>,
}

/// Findings of one container (`None`: pod level), in the text's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerGroup {
    /// Pointer of the pod spec (an object may hold several: a Ray
    /// cluster's head and worker groups).
    pub pod: String,
    pub container: Option<String>,
    pub findings: Vec<Row>,
}

/// Findings of one object, grouped by container (pod level first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectGroup {
    /// `Kind/name` (`Kind` alone when the object has no name): `data-object`.
    pub object: String,
    pub namespace: Option<String>,
    pub containers: Vec<ContainerGroup>,
}

/// An input problem: an error (syntax, wrong type, limit) or a warning
/// (a duplicate key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub severity: Severity,
    pub line: usize,
    pub column: usize,
    pub range: Range,
    pub message: String,
}

/// A range of the editor's text as lines and UTF-16 columns (0-based):
/// start line, start column, end line, end column. Not offsets: a
/// keystroke moves the offsets of every finding after it, but the lines
/// and columns of none on other lines, so most keystrokes leave the
/// listing as it was ([`Checked::keep_listing`]).
pub type Range = [usize; 4];

/// The [`Range`] of two positions of `text`.
fn range(text: &str, start: Option<Position>, end: Option<Position>) -> Range {
    let at = |p: Option<Position>| {
        let Some(p) = p else { return (1, 0) };
        let before = text.get(..p.offset).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (p.line, before[line_start..].encode_utf16().count())
    };
    let ((line, column), (end_line, end_column)) = (at(start), at(end.or(start)));
    [line, column, end_line, end_column]
}

/// What the findings panel lists. A check that lists the same as the last
/// one shares its listing ([`Checked::keep_listing`]): most keystrokes
/// change no line or message, and the panel is then not drawn again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Workload objects seen.
    pub objects: usize,
    /// Findings in all, listed or not.
    pub findings: usize,
    /// Findings not listed (`data-more-findings`).
    pub hidden: usize,
    pub input_errors: Vec<InputError>,
    /// The listed findings: whole objects, in stream order.
    pub groups: Vec<ObjectGroup>,
}

/// One check of one text, as the page shows it.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The text checked, and the settings and language it was checked in.
    pub text: Text,
    pub settings: Rc<Settings>,
    pub lang: Lang,
    pub verdict: Verdict,
    pub errors: usize,
    pub warnings: usize,
    pub safe_fixes: usize,
    pub unsafe_fixes: usize,
    pub listing: Rc<Listing>,
    /// Milliseconds from the request to the editor's markers drawn
    /// (`data-check-ms`).
    pub ms: f64,
}

impl std::ops::Deref for Checked {
    type Target = Listing;

    fn deref(&self) -> &Listing {
        &self.listing
    }
}

/// A text of the editor: the JavaScript string the worker is sent (the
/// browser copies it; the page never encodes a long text to UTF-8 for a
/// check), and its Rust copy, made only when the page needs it (a share
/// link, the diff). Two are equal when they are the same one.
#[derive(Debug, Clone)]
pub struct Text(Rc<TextInner>);

#[derive(Debug)]
struct TextInner {
    js: Option<wasm_bindgen::JsValue>,
    rust: std::cell::OnceCell<Rc<str>>,
}

impl Text {
    pub fn from_js(js: wasm_bindgen::JsValue) -> Self {
        Text(Rc::new(TextInner {
            js: Some(js),
            rust: std::cell::OnceCell::new(),
        }))
    }

    /// A text made in Rust (native tests: no JavaScript there).
    #[cfg(test)]
    pub fn new(text: &str) -> Self {
        Text(Rc::new(TextInner {
            js: None,
            rust: std::cell::OnceCell::from(Rc::from(text)),
        }))
    }

    /// The JavaScript string (made from the Rust copy if there is none).
    pub fn js(&self) -> wasm_bindgen::JsValue {
        match &self.0.js {
            Some(js) => js.clone(),
            None => wasm_bindgen::JsValue::from_str(&self.str()),
        }
    }

    /// The text in Rust, decoded once.
    pub fn str(&self) -> Rc<str> {
        self.0
            .rust
            .get_or_init(|| {
                let js = self
                    .0
                    .js
                    .as_ref()
                    .and_then(wasm_bindgen::JsValue::as_string);
                js.unwrap_or_default().into()
            })
            .clone()
    }

    /// At most this many bytes (UTF-16 code units, without decoding).
    pub fn fits(&self, bytes: usize) -> bool {
        let units = match (self.0.rust.get(), &self.0.js) {
            (Some(text), _) => return text.len() <= bytes,
            (None, Some(js)) => js_sys::JsString::from(js.clone()).length() as usize,
            (None, None) => 0,
        };
        units <= bytes && self.str().len() <= bytes
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// A check shared by the store and the panels. Two are equal when they are
/// the same check, so comparing props costs nothing however many findings
/// there are.
#[derive(Debug, Clone)]
pub struct CheckRef(pub Rc<Checked>);

impl PartialEq for CheckRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for CheckRef {
    type Target = Checked;

    fn deref(&self) -> &Checked {
        &self.0
    }
}

/// In the worker: check a text with the browser's limits and return the
/// view (read by [`Checked::read`]) and the editor's markers (JSON, read
/// by `web/js/editor.mjs`), in `lang`, listing about `listed` findings
/// (whole objects).
///
/// The rechecker keeps the last text's documents: typing in one document
/// of a long stream re-reads that document only (the report is the full
/// check's all the same).
pub fn check(
    rechecker: &mut Rechecker,
    text: &str,
    settings: &Settings,
    lang: Lang,
    listed: usize,
) -> (String, String) {
    let checked = rechecker.check_ref(text, settings, &BROWSER_LIMITS);
    let report = Found::new(&checked, text);
    (view(&report, lang, listed), markers(&report, lang))
}

/// A check's report, borrowed from the rechecker ([`Rechecker::check_ref`]):
/// a keystroke in a long stream copies none of the findings of the
/// documents it did not touch.
pub struct Found<'a> {
    findings: Vec<&'a Finding>,
    errors: &'a [Diagnostic],
    objects: usize,
    text: &'a str,
}

impl<'a> Found<'a> {
    fn new(checked: &'a Rechecked<'a>, text: &'a str) -> Self {
        Found {
            findings: checked.findings().collect(),
            errors: checked.errors(),
            objects: checked.objects(),
            text,
        }
    }
}

/// The view of a report: counts, input errors, and the first findings by
/// object (in stream order), then by container in order of first
/// appearance, pod-level findings first; in the text's order within a
/// container. Built by insertion: no sort to carry in the wasm.
fn view(report: &Found<'_>, lang: Lang, listed: usize) -> String {
    let code = lang.code();
    let count = |s| report.findings.iter().filter(|f| f.severity == s).count();
    let fixes = |a| {
        report
            .findings
            .iter()
            .filter(|f| f.fix.as_ref().is_some_and(|fix| fix.applicability == a))
            .count()
    };
    // Group indices into the findings. A report lists each object's
    // findings together (objects are checked one after the other), so a
    // finding is of the last object's group or starts a new one: no search
    // over thousands of objects.
    let mut keys: Vec<(usize, &str)> = Vec::new();
    // Per object: (pod spec, container, findings).
    type Group<'f> = (&'f str, Option<&'f str>, Vec<usize>);
    let mut groups: Vec<Vec<Group<'_>>> = Vec::new();
    let start = |i: usize| report.findings[i].span.map(|s| s.start);
    for (i, f) in report.findings.iter().enumerate() {
        let key = (f.object.document, f.object.pointer.as_str());
        if keys.last() != Some(&key) {
            keys.push(key);
            groups.push(Vec::new());
        }
        let Some(containers) = groups.last_mut() else {
            continue;
        };
        let (pod, container) = (f.pod.as_str(), f.container.as_deref());
        let c = match containers
            .iter()
            .rposition(|c| c.0 == pod && c.1 == container)
        {
            Some(c) => c,
            None => {
                // Pod specs in order of appearance; in each, pod level
                // first, containers in order of appearance.
                let first = containers.iter().position(|c| c.0 == pod);
                let at = match first {
                    Some(first) if container.is_none() => first,
                    Some(first) => {
                        first
                            + containers[first..]
                                .iter()
                                .take_while(|c| c.0 == pod)
                                .count()
                    }
                    None => containers.len(),
                };
                containers.insert(at, (pod, container, Vec::new()));
                at
            }
        };
        let findings = &mut containers[c].2;
        let at = findings.partition_point(|&j| start(j) <= start(i));
        findings.insert(at, i);
    }
    // Whole objects, until about `listed` findings are listed.
    let mut budget = listed;
    let mut hidden = 0;
    let mut shown = Vec::new();
    for containers in &groups {
        let size: usize = containers.iter().map(|c| c.2.len()).sum();
        if budget == 0 {
            hidden += size;
        } else {
            budget = budget.saturating_sub(size);
            shown.push(containers);
        }
    }
    let mut w = Writer::default();
    let verdict = Verdict::of(report);
    w.n(VERDICTS
        .iter()
        .position(|v| *v == verdict)
        .unwrap_or_default())
        .n(count(Severity::Error))
        .n(count(Severity::Warning))
        .n(fixes(Applicability::Safe))
        .n(fixes(Applicability::Unsafe))
        .n(report.objects)
        .n(report.findings.len())
        .n(hidden)
        .n(report.errors.len());
    for e in report.errors {
        let (line, column) = e.start.map_or((0, 0), |p| (p.line, p.column));
        w.n(usize::from(e.severity == Severity::Warning))
            .n(line)
            .n(column)
            .range(range(report.text, e.start, e.end))
            .s(e.message.get(code));
    }
    w.n(shown.len());
    for containers in shown {
        let first = &report.findings[containers[0].2[0]].object;
        w.s(&object_label(&first.kind, first.name.as_deref()))
            .opt(first.namespace.as_deref())
            .n(containers.len());
        for (pod, name, findings) in containers {
            w.s(pod).opt(*name).n(findings.len());
            for &i in findings {
                let f = &report.findings[i];
                let (line, column) = f.start.map_or((0, 0), |p| (p.line, p.column));
                w.s(f.rule)
                    .n(usize::from(f.severity == Severity::Warning))
                    .n(line)
                    .n(column)
                    .range(range(report.text, f.start, f.end))
                    .s(&format!("{}{}{}", f.object.document, f.rule, f.pointer))
                    .s(f.message.get(code))
                    .s(f.help.get(code));
                match &f.fix {
                    Some(fix) => w.n(1 + fix.applicability as usize).s(fix.title.get(code)),
                    None => w.n(0),
                };
            }
        }
    }
    w.0
}

/// What crosses between the worker and the page: numbers as `n,`,
/// strings as their length in bytes, `,`, then the string. Both ends are
/// this module; a reader that runs short reads zeros and empty strings.
#[derive(Default)]
struct Writer(String);

impl Writer {
    fn n(&mut self, n: usize) -> &mut Self {
        self.0.push_str(&n.to_string());
        self.0.push(',');
        self
    }

    fn s(&mut self, s: &str) -> &mut Self {
        self.n(s.len());
        self.0.push_str(s);
        self
    }

    fn opt(&mut self, s: Option<&str>) -> &mut Self {
        match s {
            Some(s) => self.n(1).s(s),
            None => self.n(0),
        }
    }

    fn range(&mut self, range: Range) -> &mut Self {
        for n in range {
            self.n(n);
        }
        self
    }
}

struct Reader<'a>(&'a str);

impl Reader<'_> {
    fn n(&mut self) -> usize {
        let (n, rest) = self.0.split_once(',').unwrap_or_default();
        self.0 = rest;
        n.parse().unwrap_or_default()
    }

    fn s(&mut self) -> String {
        let len = self.n();
        let s = self.0.get(..len).unwrap_or_default();
        self.0 = self.0.get(len..).unwrap_or_default();
        s.to_owned()
    }

    fn opt(&mut self) -> Option<String> {
        (self.n() == 1).then(|| self.s())
    }

    fn range(&mut self) -> Range {
        std::array::from_fn(|_| self.n())
    }

    /// `n` items read by `item`.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let n = self.n();
        (0..n).map(|_| item(self)).collect()
    }
}

impl Checked {
    /// Share the last check's listing when this one lists the same.
    pub fn keep_listing(&mut self, last: &Checked) {
        if self.listing == last.listing {
            self.listing = last.listing.clone();
        }
    }

    /// In the page: read a view that [`check`] wrote for `text`, checked
    /// with `settings` in `lang`.
    pub fn read(text: Text, settings: Rc<Settings>, lang: Lang, view: &str) -> Self {
        let r = &mut Reader(view);
        let verdict = VERDICTS[r.n().min(3)];
        let counts: [usize; 7] = std::array::from_fn(|_| r.n());
        let input_errors = r.list(|r| InputError {
            severity: if r.n() == 1 {
                Severity::Warning
            } else {
                Severity::Error
            },
            line: r.n(),
            column: r.n(),
            range: r.range(),
            message: r.s(),
        });
        let groups = r.list(|r| ObjectGroup {
            object: r.s(),
            namespace: r.opt(),
            containers: r.list(|r| ContainerGroup {
                pod: r.s(),
                container: r.opt(),
                findings: r.list(|r| Row {
                    rule: r.s(),
                    severity: if r.n() == 1 {
                        Severity::Warning
                    } else {
                        Severity::Error
                    },
                    line: r.n(),
                    column: r.n(),
                    range: r.range(),
                    key: r.s(),
                    message: r.s(),
                    help: r.s(),
                    fix: match r.n() {
                        0 => None,
                        1 => Some((Applicability::Safe, r.s())),
                        _ => Some((Applicability::Unsafe, r.s())),
                    },
                }),
            }),
        });
        let [errors, warnings, safe_fixes, unsafe_fixes, objects, findings, hidden] = counts;
        Checked {
            text,
            settings,
            lang,
            verdict,
            errors,
            warnings,
            safe_fixes,
            unsafe_fixes,
            listing: Rc::new(Listing {
                objects,
                findings,
                hidden,
                input_errors,
                groups,
            }),
            ms: 0.0,
        }
    }
}

pub fn object_label(kind: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{kind}/{name}"),
        None => kind.to_owned(),
    }
}

/// The editor's markers for a report, in a language: a JSON array of
/// `[from, to, warning, source, message]` (UTF-16 offsets; `warning` 1 or
/// 0), as `web/js/editor.mjs` reads it. Written by hand: a 1 MB manifest
/// has ~2,400 markers, and a tree of JSON objects cost more than the check
/// of the document typed in.
pub fn markers(report: &Found<'_>, lang: Lang) -> String {
    let code = lang.code();
    let mut out = String::from("[");
    let mut marker = |from: usize, to: usize, warning: bool, source: &str, message: &[&str]| {
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&format!("[{from},{to},{},", u8::from(warning)));
        json_string(&mut out, &[source]);
        out.push(',');
        json_string(&mut out, message);
        out.push(']');
    };
    for f in &report.findings {
        let (Some(start), Some(end)) = (f.start, f.end) else {
            continue;
        };
        let warning = f.severity == Severity::Warning;
        let message = [f.message.get(code), "\n", f.help.get(code)];
        marker(
            start.utf16_offset,
            end.utf16_offset,
            warning,
            f.rule,
            &message,
        );
    }
    // Input errors without a position (none today) go on the first line.
    for e in report.errors {
        let from = e.start.map_or(0, |p| p.utf16_offset);
        let to = e.end.map_or(0, |p| p.utf16_offset);
        let warning = e.severity == Severity::Warning;
        let texts = lang.texts();
        let source = if warning {
            texts.input_warning
        } else {
            texts.input_error
        };
        marker(from, to, warning, source, &[e.message.get(code)]);
    }
    out.push(']');
    out
}

/// Append the parts, one after the other, as one JSON string.
pub(crate) fn json_string(out: &mut String, parts: &[&str]) {
    out.push('"');
    for part in parts {
        let mut plain = 0;
        for (i, c) in part.char_indices() {
            let escaped = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                c if c < ' ' => "",
                _ => continue,
            };
            out.push_str(&part[plain..i]);
            plain = i + 1;
            if escaped.is_empty() {
                out.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                out.push_str(escaped);
            }
        }
        out.push_str(&part[plain..]);
    }
    out.push('"');
}

/// What the fixed manifest panel shows: the fixed text of a check's text,
/// what was applied (rule, title, unsafe) and what is left. Two are equal
/// when they are the same one (as [`CheckRef`]s): props compare in no time.
#[derive(Debug, Clone)]
pub struct FixedView {
    /// The text fixed, and the settings it was fixed with (the check's).
    pub source: Text,
    pub settings: Rc<Settings>,
    pub lang: Lang,
    pub text: Rc<str>,
    pub applied: Vec<(String, String, Applicability)>,
    pub errors: usize,
    pub warnings: usize,
}

impl PartialEq for FixedView {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}

/// In the worker: the fixed text, with the browser's limits, and a summary
/// (read by [`FixedView::read`]) in `lang`.
pub fn fix(text: &str, settings: &Settings, lang: Lang) -> (String, String) {
    let fixed = fix_text_with_limits(
        text,
        settings,
        FixOptions {
            unsafe_fixes: settings.unsafe_fixes,
        },
        &BROWSER_LIMITS,
    );
    let count = |s| {
        fixed
            .remaining
            .findings
            .iter()
            .filter(|f| f.severity == s)
            .count()
    };
    let mut w = Writer::default();
    w.n(fixed.applied.len());
    for a in &fixed.applied {
        w.s(a.rule)
            .s(a.title.get(lang.code()))
            .n(a.applicability as usize);
    }
    w.n(count(Severity::Error)).n(count(Severity::Warning));
    (fixed.text, w.0)
}

impl FixedView {
    /// In the page: read what [`fix`] returned for `source`.
    pub fn read(
        source: Text,
        settings: Rc<Settings>,
        lang: Lang,
        text: String,
        summary: &str,
    ) -> Self {
        let r = &mut Reader(summary);
        let applied = r.list(|r| {
            let (rule, title) = (r.s(), r.s());
            let applicability = if r.n() == 1 {
                Applicability::Unsafe
            } else {
                Applicability::Safe
            };
            (rule, title, applicability)
        });
        FixedView {
            source,
            settings,
            lang,
            text: text.into(),
            applied,
            errors: r.n(),
            warnings: r.n(),
        }
    }

    /// Whether this is the fix of that check (same text, settings and
    /// language).
    pub fn is_for(&self, checked: &Checked) -> bool {
        self.source == checked.text
            && Rc::ptr_eq(&self.settings, &checked.settings)
            && self.lang == checked.lang
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A check without a previous one, through the text both ends share.
    pub(crate) fn check_once(text: &str, settings: &Settings) -> Checked {
        check_listing(text, settings, Lang::En, 200)
    }

    pub(crate) fn check_listing(
        text: &str,
        settings: &Settings,
        lang: Lang,
        listed: usize,
    ) -> Checked {
        let (view, _) = check(&mut Rechecker::default(), text, settings, lang, listed);
        Checked::read(Text::new(text), Rc::new(settings.clone()), lang, &view)
    }

    pub(crate) fn fix_once(text: &str, settings: &Settings) -> FixedView {
        let (fixed, summary) = fix(text, settings, Lang::En);
        let settings = Rc::new(settings.clone());
        FixedView::read(Text::new(text), settings, Lang::En, fixed, &summary)
    }

    fn rows(c: &Checked) -> Vec<&Row> {
        c.groups
            .iter()
            .flat_map(|g| &g.containers)
            .flat_map(|c| &c.findings)
            .collect()
    }

    const MUTABLE: &str = include_str!("../../examples/mutable-pod.yaml");
    const IMMUTABLE: &str = include_str!("../../examples/immutable-pod.yaml");

    #[test]
    fn verdicts() {
        let s = Settings::default();
        assert_eq!(check_once(MUTABLE, &s).verdict, Verdict::Mutable);
        assert_eq!(check_once(IMMUTABLE, &s).verdict, Verdict::Immutable);
        assert_eq!(check_once("", &s).verdict, Verdict::Empty);
        assert_eq!(check_once("kind: Service\n", &s).verdict, Verdict::Empty);
        assert_eq!(
            check_once("kind: Pod\nspec: [\n", &s).verdict,
            Verdict::Invalid
        );
    }

    #[test]
    fn tutorial_pod_counts_groups_and_fixes() {
        let c = check_once(MUTABLE, &Settings::default());
        assert_eq!((c.errors, c.warnings, c.findings, c.hidden), (4, 2, 6, 0));
        assert_eq!(c.groups.len(), 1);
        assert_eq!(c.groups[0].object, "Pod/nginx-mutable");
        let listed = rows(&c);
        assert!(listed.iter().any(|r| r.rule == "run-as-root"), "{listed:?}");
        assert!(c.safe_fixes > 0 && c.unsafe_fixes > 0);
        let privileged = listed.iter().find(|r| r.rule == "privileged").unwrap();
        assert_eq!(
            (privileged.line, privileged.severity),
            (13, Severity::Error)
        );
        let (applicability, title) = privileged.fix.as_ref().unwrap();
        assert_eq!(*applicability, Applicability::Safe);
        assert!(title.contains("privileged"), "{title}");
    }

    #[test]
    fn rows_carry_what_the_report_says() {
        // Every field of the report that the page shows, through the wire.
        let text = "kind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n  hostPID: true\n  containers: [{name: a, image: x, securityContext: {privileged: true}}]\n---\nkind: Pod\nspec: [\n";
        let settings = Settings::default();
        let report = kube_immutable_core::check_text_with_limits(text, &settings, &BROWSER_LIMITS);
        for lang in [Lang::En, Lang::Fr] {
            let c = check_listing(text, &settings, lang, 200);
            let code = lang.code();
            assert_eq!(c.groups[0].namespace.as_deref(), Some("ns"));
            let mut listed = rows(&c);
            listed.sort_by_key(|r| (r.range, r.rule.clone()));
            let mut expected: Vec<_> = report.findings.iter().collect();
            expected.sort_by_key(|f| (f.start.unwrap().utf16_offset, f.rule));
            assert_eq!(listed.len(), expected.len());
            for (row, f) in listed.iter().zip(expected) {
                let (start, end) = (f.start.unwrap(), f.end.unwrap());
                assert_eq!(row.rule, f.rule);
                assert_eq!(row.severity, f.severity);
                assert_eq!((row.line, row.column), (start.line, start.column));
                // The range's lines and UTF-16 columns are the offsets'.
                let utf16: Vec<u16> = text.encode_utf16().collect();
                let line_start = |line: usize| {
                    let mut n = 0;
                    let mut at = 0;
                    while n + 1 < line {
                        at += utf16[at..]
                            .iter()
                            .position(|&u| u == u16::from(b'\n'))
                            .unwrap()
                            + 1;
                        n += 1;
                    }
                    at
                };
                let [l0, c0, l1, c1] = row.range;
                assert_eq!(line_start(l0) + c0, start.utf16_offset);
                assert_eq!(line_start(l1) + c1, end.utf16_offset);
                assert_eq!(row.message, f.message.get(code));
                assert_eq!(row.help, f.help.get(code));
                let fix = f
                    .fix
                    .as_ref()
                    .map(|x| (x.applicability, x.title.get(code).to_owned()));
                assert_eq!(row.fix, fix);
            }
            let e = &c.input_errors[0];
            let expected = &report.errors[0];
            assert_eq!(e.message, expected.message.get(code));
            assert_eq!(e.line, expected.start.unwrap().line);
            assert_eq!(c.verdict, Verdict::Invalid);
        }
    }

    #[test]
    fn safe_fixes_leave_run_as_root_and_unsafe_ones_make_it_immutable() {
        let mut s = Settings::default();
        let safe = fix_once(MUTABLE, &s);
        assert!(safe.applied.iter().all(|a| a.2 == Applicability::Safe));
        let after = check_once(&safe.text, &s);
        assert_eq!((safe.errors, safe.warnings), (after.errors, after.warnings));
        assert_eq!(safe.errors, 1);
        let errors: Vec<_> = rows(&after)
            .into_iter()
            .filter(|r| r.severity == Severity::Error)
            .map(|r| r.rule.clone())
            .collect();
        assert_eq!(errors, ["run-as-root"]);
        s.unsafe_fixes = true;
        let all = fix_once(&safe.text, &s);
        assert!(all.applied.iter().any(|a| a.2 == Applicability::Unsafe));
        assert_eq!(check_once(&all.text, &s).verdict, Verdict::Immutable);
    }

    #[test]
    fn pod_level_findings_come_first_in_their_object() {
        let text = "kind: Pod\nmetadata: {name: p}\nspec:\n  hostPID: true\n  containers: [{name: a, image: x}]\n";
        let c = check_once(text, &Settings::default());
        let first = &c.groups[0].containers[0];
        assert_eq!(first.container, None);
        assert!(c.groups[0].containers.len() >= 2);
        for container in &c.groups[0].containers {
            let starts: Vec<_> = container.findings.iter().map(|r| r.range).collect();
            assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");
        }
    }

    /// Each object's findings come together in a report, so grouping
    /// compares with the last group only: as many groups as objects with
    /// findings, over every fixture of the core.
    #[test]
    fn one_group_per_object() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/kube-immutable-core/tests/fixtures");
        let mut texts = Vec::new();
        for rule in std::fs::read_dir(root).unwrap() {
            for file in std::fs::read_dir(rule.unwrap().path()).unwrap() {
                texts.push(std::fs::read_to_string(file.unwrap().path()).unwrap());
            }
        }
        texts.push(texts.join("---\n"));
        let settings = Settings::default();
        for text in &texts {
            let report =
                kube_immutable_core::check_text_with_limits(text, &settings, &BROWSER_LIMITS);
            let mut objects: Vec<_> = report
                .findings
                .iter()
                .map(|f| (f.object.document, f.object.pointer.as_str()))
                .collect();
            objects.dedup();
            let distinct = objects.len();
            objects.sort_unstable();
            objects.dedup();
            assert_eq!(distinct, objects.len(), "{text}");
            let c = check_listing(text, &settings, Lang::En, usize::MAX);
            assert_eq!(c.groups.len(), distinct);
        }
    }

    /// A keystroke that moves no finding keeps the last listing (the panel
    /// is not drawn again); one that moves a line does not.
    #[test]
    fn same_listing_is_shared() {
        let s = Settings::default();
        let last = check_once(MUTABLE, &s);
        let mut typed = check_once(
            &MUTABLE.replace("name: nginx-mutable", "name: nginx-mutablx"),
            &s,
        );
        typed.keep_listing(&last);
        assert!(!Rc::ptr_eq(&typed.listing, &last.listing));
        let mut comment = check_once(&format!("{MUTABLE}# a comment\n"), &s);
        comment.keep_listing(&last);
        assert!(Rc::ptr_eq(&comment.listing, &last.listing));
        // A space typed before every finding moves their offsets, not their
        // lines and columns.
        let spaced = MUTABLE.replace("name: nginx-mutable", "name:  nginx-mutable");
        let mut spaced = check_once(&spaced, &s);
        spaced.keep_listing(&last);
        assert!(Rc::ptr_eq(&spaced.listing, &last.listing));
        let mut moved = check_once(&format!("\n{MUTABLE}"), &s);
        moved.keep_listing(&last);
        assert!(!Rc::ptr_eq(&moved.listing, &last.listing));
    }

    #[test]
    fn each_pod_spec_of_an_object_is_a_group_of_its_own() {
        // Two worker groups with a container of the same name, and a
        // pod-level finding in the second: four groups, by pod spec.
        let text = "apiVersion: ray.io/v1\nkind: RayCluster\nmetadata: {name: rc}\nspec:\n  headGroupSpec:\n    template:\n      spec:\n        containers: [{name: head, image: x}]\n  workerGroupSpecs:\n  - template:\n      spec:\n        containers: [{name: w, image: x}]\n  - template:\n      spec:\n        hostIPC: true\n        containers: [{name: w, image: x}]\n";
        let c = check_once(text, &Settings::default());
        assert_eq!(c.groups.len(), 1);
        let shape: Vec<(&str, Option<&str>)> = c.groups[0]
            .containers
            .iter()
            .map(|g| (g.pod.as_str(), g.container.as_deref()))
            .collect();
        assert_eq!(
            shape,
            [
                ("/spec/headGroupSpec/template/spec", Some("head")),
                ("/spec/workerGroupSpecs/0/template/spec", Some("w")),
                ("/spec/workerGroupSpecs/1/template/spec", None),
                ("/spec/workerGroupSpecs/1/template/spec", Some("w")),
            ]
        );
    }

    #[test]
    fn long_reports_list_whole_objects_first() {
        let pod = |i| {
            format!("kind: Pod\nmetadata: {{name: p{i}}}\nspec:\n  containers: [{{name: c, image: x, securityContext: {{privileged: true}}}}]\n")
        };
        let text: Vec<_> = (0..30).map(pod).collect();
        let text = text.join("---\n");
        let all = check_listing(&text, &Settings::default(), Lang::En, 100_000);
        let per_pod = all.findings / 30;
        assert_eq!(all.hidden, 0);
        assert_eq!(all.groups.len(), 30);
        let some = check_listing(&text, &Settings::default(), Lang::En, 2 * per_pod + 1);
        // Two whole pods, and the third that the budget reaches into.
        assert_eq!(some.groups.len(), 3);
        assert_eq!(some.hidden, all.findings - 3 * per_pod);
        assert_eq!(some.findings, all.findings);
    }

    #[test]
    fn markers_carry_utf16_offsets_and_input_errors() {
        let text = "# é😀\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: a\n      image: x\n      securityContext: {privileged: true}\n---\nkind: Pod\nspec: [\n";
        let s = Settings::default();
        let (_, markers_en) = check(&mut Rechecker::default(), text, &s, Lang::En, 200);
        let json: serde_json::Value = serde_json::from_str(&markers_en).unwrap();
        let list = json.as_array().unwrap();
        let privileged = list.iter().find(|m| m[3] == "privileged").unwrap();
        let from = privileged[0].as_u64().unwrap() as usize;
        let utf16: Vec<u16> = text.encode_utf16().collect();
        let at = String::from_utf16_lossy(&utf16[from..from + 10]);
        assert_eq!(at, "privileged");
        assert!(list.iter().any(|m| m[3] == "input error" && m[2] == 0));
        let message = privileged[4].as_str().unwrap();
        assert!(
            message.contains("privileged") && message.contains('\n'),
            "{message}"
        );
        let (_, markers_fr) = check(&mut Rechecker::default(), text, &s, Lang::Fr, 200);
        let fr: serde_json::Value = serde_json::from_str(&markers_fr).unwrap();
        assert_ne!(fr[0][4], json[0][4]);
        // Quotes, backslashes and control characters stay JSON.
        let mut out = String::new();
        json_string(&mut out, &["a\"b\\c", "\u{1}\t"]);
        assert_eq!(
            serde_json::from_str::<String>(&out).unwrap(),
            "a\"b\\c\u{1}\t"
        );
    }

    /// A stale ignore annotation: a warning on the annotation's line, in
    /// the object's pod-level group, marked in the editor, with a safe fix
    /// that the "Fixed manifest" applies.
    #[test]
    fn an_unused_ignore_is_a_warning_on_the_annotation_line() {
        let text = "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    kube-immutable.io/ignore: privileged\nspec:\n  containers: [{name: a, image: nginx:1.27}]\n";
        let s = Settings::default();
        let c = check_once(text, &s);
        let first = &c.groups[0].containers[0];
        assert_eq!(first.container, None);
        let row = first
            .findings
            .iter()
            .find(|r| r.rule == "unused-ignore")
            .unwrap();
        assert_eq!((row.line, row.severity), (5, Severity::Warning));
        let (_, markers) = check(&mut Rechecker::default(), text, &s, Lang::En, 200);
        let json: serde_json::Value = serde_json::from_str(&markers).unwrap();
        let marker = json
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m[3] == "unused-ignore")
            .unwrap();
        // The marker's third field: 1 for a warning.
        assert_eq!(marker[2], 1);
        let fixed = fix_once(text, &s);
        assert!(
            !fixed.text.contains("kube-immutable.io/ignore"),
            "{}",
            fixed.text
        );
        assert!(rows(&check_once(&fixed.text, &s))
            .iter()
            .all(|r| r.rule != "unused-ignore"));
    }

    #[test]
    fn browser_limits_refuse_an_alias_bomb() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            text.push_str(&format!(
                "{}: &{} [",
                (b'a' + i) as char,
                (b'a' + i) as char
            ));
            let prev = (b'a' + i - 1) as char;
            text.push_str(&vec![format!("*{prev}"); 9].join(", "));
            text.push_str("]\n");
        }
        let c = check_once(&text, &Settings::default());
        assert_eq!(c.verdict, Verdict::Invalid);
        assert!(c.input_errors.iter().any(|e| e.message.contains("nodes")));
    }
}
