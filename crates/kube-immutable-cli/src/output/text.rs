//! Human output: code frames like rustc and ruff, then a summary line.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use anstyle::{AnsiColor, Style};
use kube_immutable_core::stream::Excerpt;
use kube_immutable_core::{
    Applicability, Diagnostic, Finding, LineIndex, Position, Severity, Span,
};

use super::{describe_object, sorted, Format, Lang};
use crate::check::{Outcome, Run, Summary};
use crate::config::ConfigError;
use crate::inputs::InputError;

/// Everything a run found, as frames, and the summary line (not when
/// `quiet`: then only the frames, nothing when all is well).
pub fn render(run: &Run, lang: Lang, quiet: bool) -> String {
    let frames = run.per_outcome(|outcome| frames(outcome, lang));
    let mut out = String::with_capacity(frames.iter().map(String::len).sum::<usize>() + 256);
    for f in &frames {
        out.push_str(f);
    }
    if quiet {
        return out;
    }
    let summary = run.summary();
    out.push_str(&summary_line(&summary, lang));
    out.push('\n');
    out.push_str(&fixable_note(&summary, lang));
    if let Some(note) = run
        .baseline
        .as_ref()
        .and_then(|b| crate::baseline::note(b, lang))
    {
        let style = if run.baseline.as_ref().is_some_and(|b| b.stale > 0) {
            Style::new().fg_color(Some(AnsiColor::Yellow.into()))
        } else {
            Style::new()
        };
        out.push_str(&format!("{style}{note}{style:#}\n"));
    }
    out
}

/// The frames of one input, each followed by an empty line.
fn frames(outcome: &Outcome, lang: Lang) -> String {
    let mut out = String::new();
    match outcome {
        Outcome::Unreadable(e) => out.push_str(&Text { lang, quiet: false }.unreadable(e)),
        Outcome::Checked(c) => {
            let index = LineIndex::new(&c.text);
            let source = Source {
                text: &c.text,
                index: &index,
            };
            for e in &c.report.errors {
                let located = e.span.map(|s| window(source, s));
                out.push_str(&error_frame(lang, &c.input.name, e, located));
            }
            for f in sorted(&c.report.findings) {
                let located = f.span.map(|s| window(source, s));
                out.push_str(&finding_frame(lang, &c.input.name, f, located));
            }
        }
    }
    out
}

/// Text output: code frames and a summary line (not when `quiet`: then
/// only the frames, nothing when all is well).
pub struct Text {
    pub lang: Lang,
    pub quiet: bool,
}

impl Format for Text {
    fn errors_first(&self) -> bool {
        true
    }

    fn needs_excerpts(&self) -> bool {
        true
    }

    fn finding(&self, file: &str, f: &Finding, excerpts: &[Excerpt]) -> String {
        let located = f
            .span
            .and_then(|span| window_in(excerpts, span, f.start?, f.end?));
        finding_frame(self.lang, file, f, located)
    }

    fn error(&self, file: &str, e: &Diagnostic, excerpts: &[Excerpt]) -> String {
        let located = e
            .span
            .and_then(|span| window_in(excerpts, span, e.start?, e.end?));
        error_frame(self.lang, file, e, located)
    }

    fn unreadable(&self, e: &InputError) -> String {
        let lang = self.lang;
        let mut out = frame(
            lang,
            &error_level(lang),
            None,
            lang.get(&e.message),
            &e.name,
            None,
            &[],
        );
        out.push_str("\n\n");
        out
    }

    fn tail(&self, _any: bool, summary: &Summary) -> String {
        if self.quiet {
            return String::new();
        }
        let mut out = summary_line(summary, self.lang);
        out.push('\n');
        out.push_str(&fixable_note(summary, self.lang));
        out
    }
}

/// The lines of `span` (from `start` to `end`) in the excerpt that holds
/// them: first line number, their text, the span within it.
fn window_in(
    excerpts: &[Excerpt],
    span: Span,
    start: Position,
    end: Position,
) -> Option<Window<'_>> {
    // The excerpt that holds the span; one that ends on the span's line
    // break only if no other does (the line after a chunk's last line
    // break is the next chunk's first line).
    let holds =
        |e: &&Excerpt| e.origin.offset <= span.start && span.end <= e.origin.offset + e.text.len();
    let excerpt = excerpts
        .iter()
        .filter(holds)
        .find(|e| {
            span.start < e.origin.offset + e.text.len()
                || !e.text.ends_with('\n') && !e.text.is_empty()
        })
        .or_else(|| excerpts.iter().find(holds))?;
    let text = excerpt.text.as_str();
    let base = excerpt.origin.offset;
    let first = start.line;
    // A span ending right after a line break ends on the line before.
    let last = if end.line > first && end.column == 1 {
        end.line - 1
    } else {
        end.line
    };
    let at = start.offset - base;
    let from = text[..at].rfind('\n').map_or(0, |i| i + 1);
    // Line `last`: its start, then its end without the line break.
    let mut line_start = from;
    for _ in first..last {
        line_start = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i + 1);
    }
    let mut to = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    if text[..to].ends_with('\r') {
        to -= 1;
    }
    let to = to.max(from);
    let s = (start.offset - base).clamp(from, to);
    let e = (end.offset.max(start.offset) - base).clamp(s, to);
    Some((first, &text[from..to], s - from..e - from))
}

/// A finding as a frame, then an empty line.
pub(crate) fn finding_frame(
    lang: Lang,
    file: &str,
    f: &Finding,
    located: Option<Window<'_>>,
) -> String {
    let level = match f.severity {
        Severity::Error => error_level(lang),
        Severity::Warning => warning_level(lang),
    };
    let mut notes = vec![(help_level(lang), lang.get(&f.help).trim().to_owned())];
    notes.push((
        note_level(lang),
        describe_object(&f.object, f.container.as_deref(), lang),
    ));
    if let Some(fix) = &f.fix {
        let how = match (fix.applicability, lang) {
            (Applicability::Safe, Lang::En) => "safe fix available",
            (Applicability::Unsafe, Lang::En) => "unsafe fix available",
            (Applicability::Safe, Lang::Fr) => "correction sûre disponible",
            (Applicability::Unsafe, Lang::Fr) => "correction risquée disponible",
        };
        let title = lang.get(&fix.title);
        let note = match lang {
            Lang::En => format!("{how}: {title}"),
            // After a colon, French goes on in lower case.
            Lang::Fr => format!("{how} : {}", lowercase_first(title)),
        };
        notes.push((note_level(lang), note));
    }
    let mut out = frame(
        lang,
        &level,
        Some(f.rule),
        lang.get(&f.message),
        file,
        located,
        &notes,
    );
    out.push_str("\n\n");
    out
}

/// An input error as a frame, then an empty line.
pub(crate) fn error_frame(
    lang: Lang,
    file: &str,
    e: &Diagnostic,
    located: Option<Window<'_>>,
) -> String {
    let kind = super::json::error_kind(e.kind);
    let level = match e.severity {
        Severity::Error => error_level(lang),
        Severity::Warning => warning_level(lang),
    };
    let mut out = frame(
        lang,
        &level,
        Some(&kind),
        lang.get(&e.message),
        file,
        located,
        &[],
    );
    out.push_str("\n\n");
    out
}

/// A settings file that was refused, as a frame.
pub fn render_config_error(e: &ConfigError, lang: Lang) -> String {
    // The message itself comes from the settings reader, in English.
    let title = match (&e.key, lang) {
        (Some(key), Lang::En) => format!("invalid settings at `{key}`: {}", e.message),
        (Some(key), Lang::Fr) => format!("réglages invalides à `{key}` : {}", e.message),
        (None, Lang::En) => format!("invalid settings: {}", e.message),
        (None, Lang::Fr) => format!("réglages invalides : {}", e.message),
    };
    let index = e.text.as_deref().map(LineIndex::new);
    let located = match (&e.text, &index, e.span) {
        (Some(text), Some(index), Some(span)) => Some(window(Source { text, index }, span)),
        _ => None,
    };
    frame(
        lang,
        &error_level(lang),
        None,
        &title,
        &e.file,
        located,
        &[],
    )
}

/// How many findings `kube-immutable fix` would take on (counted from the
/// findings' fixes; a fix that waits for another, like
/// `allowPrivilegeEscalation` on a privileged container, counts as unsafe).
pub(crate) fn fixable_note(s: &Summary, lang: Lang) -> String {
    let (n, u) = (s.fixable, s.fixable_unsafe);
    match (u, lang) {
        _ if n + u == 0 => String::new(),
        (0, Lang::En) => format!("{n} fixable with `kube-immutable fix`.\n"),
        (0, Lang::Fr) => format!("{n} corrigeables avec `kube-immutable fix`.\n"),
        (_, Lang::En) => {
            format!("{n} fixable with `kube-immutable fix` ({u} more with `--unsafe-fixes`).\n")
        }
        (_, Lang::Fr) => format!(
            "{n} corrigeables avec `kube-immutable fix` ({u} de plus avec `--unsafe-fixes`).\n"
        ),
    }
}

/// The last line of the text output.
pub fn summary_line(s: &Summary, lang: Lang) -> String {
    let errors = lang.count(s.errors, ("error", "errors"), ("erreur", "erreurs"));
    let warnings = lang.count(
        s.warnings,
        ("warning", "warnings"),
        ("avertissement", "avertissements"),
    );
    let objects = lang.count(s.objects, ("object", "objects"), ("objet", "objets"));
    let files = lang.count(s.files, ("file", "files"), ("fichier", "fichiers"));
    let input_errors = lang.count(
        s.input_errors,
        ("input error", "input errors"),
        ("erreur d'entrée", "erreurs d'entrée"),
    );
    let (style, mut line) = if s.errors + s.warnings > 0 {
        let within = if s.files_with_findings == s.files {
            files.clone()
        } else {
            match lang {
                Lang::En => format!("{} of {files}", s.files_with_findings),
                Lang::Fr => format!("{} sur {files}", s.files_with_findings),
            }
        };
        let style = if s.errors > 0 {
            AnsiColor::Red
        } else {
            AnsiColor::Yellow
        };
        let and = lang.pick("and", "et");
        let found = match (s.errors, s.warnings) {
            (_, 0) => errors,
            (0, _) => warnings,
            _ => format!("{errors} {and} {warnings}"),
        };
        let line = match lang {
            Lang::En => format!("Found {found} in {within} ({objects} checked)."),
            Lang::Fr => {
                let checked = if s.objects < 2 {
                    "vérifié"
                } else {
                    "vérifiés"
                };
                format!("{found} dans {within} ({objects} {checked}).")
            }
        };
        (style, line)
    } else if s.input_errors > 0 {
        let (none_en, none_fr) = if s.baselined > 0 {
            ("No new findings", "Aucun nouveau problème")
        } else {
            ("No findings", "Aucun problème")
        };
        let line = match lang {
            Lang::En => format!("{none_en} in {objects} in {files}, but {input_errors}: some objects may not have been checked."),
            Lang::Fr => format!(
                "{none_fr} dans {objects} de {files}, mais {input_errors} : des objets n'ont peut-être pas été vérifiés."
            ),
        };
        (AnsiColor::Red, line)
    } else if s.files == 0 {
        (
            AnsiColor::Yellow,
            lang.pick(
                "No YAML or JSON files to check.",
                "Aucun fichier YAML ou JSON à vérifier.",
            )
            .to_owned(),
        )
    } else if s.objects == 0 {
        let line = match lang {
            Lang::En => format!("No workload objects found ({files} checked)."),
            Lang::Fr => format!("Aucun objet de charge de travail trouvé ({files} vérifiés)."),
        };
        (AnsiColor::Yellow, line)
    } else if s.baselined > 0 {
        // Findings remain, all of them baselined: not "immutable".
        let line = match lang {
            Lang::En => format!("No new findings ({objects} in {files} checked)."),
            Lang::Fr => {
                let checked = if s.objects < 2 {
                    "vérifié"
                } else {
                    "vérifiés"
                };
                format!("Aucun nouveau problème ({objects} dans {files} {checked}).")
            }
        };
        (AnsiColor::Green, line)
    } else {
        let line = match lang {
            Lang::En => format!("All checked objects are immutable ({objects} in {files})."),
            Lang::Fr => {
                format!("Tous les objets vérifiés sont immuables ({objects} dans {files}).")
            }
        };
        (AnsiColor::Green, line)
    };
    if s.input_errors > 0 && s.errors + s.warnings > 0 {
        line.push_str(&match lang {
            Lang::En => format!(" {input_errors}: some objects may not have been checked."),
            Lang::Fr => format!(" {input_errors} : des objets n'ont peut-être pas été vérifiés."),
        });
    }
    if s.input_warnings > 0 {
        let n = lang.count(
            s.input_warnings,
            ("input warning", "input warnings"),
            ("avertissement d'entrée", "avertissements d'entrée"),
        );
        line.push_str(&match lang {
            Lang::En => format!(" {n} (duplicate keys: Kubernetes keeps the last value)."),
            Lang::Fr => format!(" {n} (clés en double : Kubernetes garde la dernière valeur)."),
        });
    }
    if s.suppressed > 0 {
        let n = lang.count(
            s.suppressed,
            ("finding", "findings"),
            ("problème", "problèmes"),
        );
        line.push_str(&match lang {
            Lang::En => format!(" {n} ignored by annotation."),
            Lang::Fr => format!(" {n} ignoré(s) par annotation."),
        });
    }
    let style = Style::new().bold().fg_color(Some(style.into()));
    format!("{style}{line}{style:#}")
}

fn error_level(lang: Lang) -> Level<'static> {
    Level::ERROR.with_name(Some(lang.pick("error", "erreur")))
}

fn warning_level(lang: Lang) -> Level<'static> {
    Level::WARNING.with_name(Some(lang.pick("warning", "avertissement")))
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// The French name of a title's level.
fn french_name(level: &Level<'static>) -> &'static str {
    if *level == error_level(Lang::Fr) {
        "erreur"
    } else {
        "avertissement"
    }
}

// French wants a space before `:`; the renderer writes `name: text`, so
// the French names carry it.
fn help_level(lang: Lang) -> Level<'static> {
    Level::HELP.with_name(Some(lang.pick("help", "aide ")))
}

fn note_level(lang: Lang) -> Level<'static> {
    Level::NOTE.with_name(Some(lang.pick("note", "note ")))
}

/// Where a frame points: the first line's number, the lines, the span in them.
pub(crate) type Window<'a> = (usize, &'a str, std::ops::Range<usize>);

/// A source text with its line index, computed once per file.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    pub(crate) text: &'a str,
    pub(crate) index: &'a LineIndex,
}

/// One diagnostic: title, then the lines of `span` annotated (or just the
/// path when there is no position), then the notes.
fn frame(
    lang: Lang,
    level: &Level<'static>,
    id: Option<&str>,
    title: &str,
    path: &str,
    located: Option<Window<'_>>,
    notes: &[(Level<'static>, String)],
) -> String {
    let mut title = match lang {
        Lang::En => level.clone().primary_title(title),
        // `erreur[privileged] : …`: French wants a space before the colon,
        // which the renderer writes right after the name (or the id).
        Lang::Fr => {
            let name = format!(
                "{}{} ",
                french_name(level),
                id.map_or_else(String::new, |id| format!("[{id}]"))
            );
            level.clone().with_name(Some(name)).primary_title(title)
        }
    };
    if let (Lang::En, Some(id)) = (lang, id) {
        title = title.id(id);
    }
    let mut group = Group::with_title(title);
    match located {
        Some((line, window, range)) => {
            group = group.element(
                Snippet::source(window)
                    .line_start(line)
                    .path(path)
                    .annotation(AnnotationKind::Primary.span(range)),
            );
        }
        None => group = group.element(Origin::path(path)),
    }
    for (level, text) in notes {
        group = group.element(level.clone().message(text.as_str()));
    }
    Renderer::styled().render(&[group])
}

/// The whole lines `span` touches: first line number, their text, and the
/// span relative to that text.
pub(crate) fn window(source: Source<'_>, span: Span) -> Window<'_> {
    let Source { text, index } = source;
    let start = index.position(text, span.start);
    let end = index.position(text, span.end.max(span.start));
    let first = start.line;
    // A span ending right after a line break ends on the line before.
    let last = if end.line > first && end.column == 1 {
        end.line - 1
    } else {
        end.line
    };
    let mut from = index.line_span(text, first).start;
    if from == 0 && text.starts_with('\u{feff}') {
        from = '\u{feff}'.len_utf8();
    }
    let to = index.line_span(text, last).end.max(from);
    let s = start.offset.clamp(from, to);
    let e = end.offset.clamp(s, to);
    (first, &text[from..to], s - from..e - from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: Summary, lang: Lang) -> String {
        anstream::adapter::strip_str(&summary_line(&s, lang)).to_string()
    }

    #[test]
    fn summary_lines() {
        let base = Summary {
            files: 2,
            objects: 3,
            ..Summary::default()
        };
        assert_eq!(
            line(base, Lang::En),
            "All checked objects are immutable (3 objects in 2 files)."
        );
        let warned = Summary {
            warnings: 1,
            files_with_findings: 1,
            ..base
        };
        assert_eq!(
            line(warned, Lang::En),
            "Found 1 warning in 1 of 2 files (3 objects checked)."
        );
        let broken = Summary {
            errors: 2,
            input_errors: 1,
            suppressed: 2,
            ..warned
        };
        assert_eq!(
            line(broken, Lang::En),
            "Found 2 errors and 1 warning in 1 of 2 files (3 objects checked). \
             1 input error: some objects may not have been checked. 2 findings ignored by annotation."
        );
        // Everything baselined: no new findings, not "immutable".
        let baselined = Summary {
            baselined: 7,
            ..base
        };
        assert_eq!(
            line(baselined, Lang::En),
            "No new findings (3 objects in 2 files checked)."
        );
        assert_eq!(
            line(Summary { input_errors: 1, ..baselined }, Lang::En),
            "No new findings in 3 objects in 2 files, but 1 input error: some objects may not have been checked."
        );
        let nothing = Summary { objects: 0, ..base };
        assert_eq!(
            line(nothing, Lang::En),
            "No workload objects found (2 files checked)."
        );
        // French uses the singular for 0 and 1.
        let fr = Summary {
            files: 1,
            objects: 0,
            errors: 0,
            warnings: 2,
            files_with_findings: 1,
            ..Summary::default()
        };
        assert_eq!(
            line(fr, Lang::Fr),
            "2 avertissements dans 1 fichier (0 objet vérifié)."
        );
    }
}
