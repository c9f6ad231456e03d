//! GitHub Actions workflow commands: one `::error` or `::warning` line per
//! finding and per input error, which GitHub shows as annotations on the
//! pull request's lines (like ruff's `--output-format github`).
//!
//! The format, from GitHub's docs and `@actions/core`:
//! `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=T::message`.
//! The message escapes `%`, `\r` and `\n`; property values also escape `:`
//! and `,`. Columns count Unicode characters, as GitHub's do. Nothing else is
//! printed: no summary, no colours (the exit code says the rest).

use kube_immutable_core::stream::Excerpt;
use kube_immutable_core::{Diagnostic, Finding, Position, Severity};

use super::{describe_object, sorted, Format, Lang};
use crate::check::{Outcome, Run, Summary};
use crate::inputs::InputError;

pub fn render(run: &Run, lang: Lang) -> String {
    run.per_outcome(|outcome| lines(outcome, lang)).concat()
}

fn lines(outcome: &Outcome, lang: Lang) -> String {
    let mut out = String::new();
    match outcome {
        Outcome::Unreadable(e) => out.push_str(&command(
            "error",
            &e.name,
            None,
            None,
            "kube-immutable",
            lang.get(&e.message),
        )),
        Outcome::Checked(c) => {
            let file = c.input.name.as_str();
            for e in &c.report.errors {
                out.push_str(&error(file, e, lang));
            }
            for f in sorted(&c.report.findings) {
                out.push_str(&finding(file, f, lang));
            }
        }
    }
    out
}

/// GitHub Actions workflow commands.
pub struct Github {
    pub lang: Lang,
}

impl Format for Github {
    fn errors_first(&self) -> bool {
        true
    }

    fn finding(&self, file: &str, f: &Finding, _excerpts: &[Excerpt]) -> String {
        finding(file, f, self.lang)
    }

    fn error(&self, file: &str, e: &Diagnostic, _excerpts: &[Excerpt]) -> String {
        error(file, e, self.lang)
    }

    fn unreadable(&self, e: &InputError) -> String {
        command(
            "error",
            &e.name,
            None,
            None,
            "kube-immutable",
            self.lang.get(&e.message),
        )
    }

    fn tail(&self, _any: bool, _summary: &Summary) -> String {
        String::new()
    }
}

pub(crate) fn error(file: &str, e: &Diagnostic, lang: Lang) -> String {
    command(
        e.severity.as_str(),
        file,
        e.start,
        e.end,
        "kube-immutable",
        lang.get(&e.message),
    )
}

pub(crate) fn finding(file: &str, f: &Finding, lang: Lang) -> String {
    let level = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let message = format!(
        "{}\n{}\n{} {}",
        lang.get(&f.message),
        describe_object(&f.object, f.container.as_deref(), lang),
        lang.pick("Help:", "Aide :"),
        lang.get(&f.help).trim(),
    );
    command(
        level,
        file,
        f.start,
        f.end,
        &format!("kube-immutable ({})", f.rule),
        &message,
    )
}

/// One workflow command line. Without a position, GitHub puts the
/// annotation on the file; `-` (stdin) names no file at all.
pub(crate) fn command(
    level: &str,
    file: &str,
    start: Option<Position>,
    end: Option<Position>,
    title: &str,
    message: &str,
) -> String {
    let mut properties = Vec::new();
    if file != crate::inputs::STDIN {
        properties.push(format!("file={}", escape_property(file)));
    }
    if let Some(start) = start {
        properties.push(format!("line={}", start.line));
        properties.push(format!("col={}", start.column));
    }
    if let Some(end) = end {
        properties.push(format!("endLine={}", end.line));
        properties.push(format!("endColumn={}", end.column));
    }
    properties.push(format!("title={}", escape_property(title)));
    format!(
        "::{level} {}::{}\n",
        properties.join(","),
        escape_data(message)
    )
}

/// The message: `%`, CR and LF escaped (`@actions/core`'s `escapeData`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: also `:` and `,` (`@actions/core`'s `escapeProperty`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_actions_core_does() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_data("a: b, c"), "a: b, c");
        assert_eq!(
            escape_property("dir,x/a:b%.yaml\n"),
            "dir%2Cx/a%3Ab%25.yaml%0A"
        );
        // `%` first: the escapes themselves are not escaped again.
        assert_eq!(escape_property("%3A"), "%253A");
    }

    #[test]
    fn a_command_without_position_or_file() {
        assert_eq!(
            command("error", "-", None, None, "t", "m"),
            "::error title=t::m\n"
        );
    }
}
