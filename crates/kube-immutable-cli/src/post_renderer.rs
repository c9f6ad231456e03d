//! `kube-immutable fix --stdin-post-renderer`: Helm's post-renderer contract.
//!
//! Helm writes the whole rendered stream to the post-renderer's standard
//! input and deploys what it prints; any exit but 0 aborts the release.
//! So: read everything, print it fixed (the safe fixes, or all of them with
//! `--unsafe-fixes`), and exit 0 unless the stream cannot be read (then
//! print nothing and exit 2). Findings that no fix removes, and documents
//! the core cannot read, are counted on stderr but do not fail the release:
//! `check` is the gate, this mode only makes what it can immutable.

use kube_immutable_core::fix::text::fix_stream_with_limits;
use kube_immutable_core::fix::FixOptions;

use crate::check::exit;
use crate::discover::SettingsFor;
use crate::fix::Output;
use crate::inputs::{self, Input, Source};
use crate::output::Lang;

pub fn run(settings: &SettingsFor, options: FixOptions, lang: Lang) -> Output {
    let stdin = Input {
        name: inputs::STDIN.to_owned(),
        source: Source::Stdin,
    };
    let settings = settings.get(&stdin);
    let text = match inputs::read(&stdin) {
        Ok(text) => text,
        Err(e) => {
            return Output {
                stdout: String::new(),
                stderr: format!(
                    "{} {}\n",
                    lang.pick("error: standard input:", "erreur : entrée standard :"),
                    lang.get(&e.message)
                ),
                code: exit::INPUT_ERROR,
            }
        }
    };
    // `helm template`'s stream, document by document.
    let limits = kube_immutable_core::Limits::default();
    let fixed = fix_stream_with_limits(&text, settings, options, &limits);
    let left = fixed.remaining.findings.len();
    let unreadable = fixed
        .remaining
        .errors
        .iter()
        .filter(|e| e.is_error())
        .count();
    let mut stderr = match lang {
        Lang::En => format!(
            "kube-immutable: {} applied, {} left",
            lang.count(fixed.applied.len(), ("fix", "fixes"), ("", "")),
            lang.count(left, ("finding", "findings"), ("", "")),
        ),
        Lang::Fr => format!(
            "kube-immutable : {} appliquée(s), reste {}",
            lang.count(fixed.applied.len(), ("", ""), ("correction", "corrections")),
            lang.count(left, ("", ""), ("constat", "constats")),
        ),
    };
    if unreadable > 0 {
        stderr.push_str(&match lang {
            Lang::En => format!(", {unreadable} input errors (left as they are)"),
            Lang::Fr => format!(", {unreadable} erreur(s) d'entrée (laissées telles quelles)"),
        });
    }
    stderr.push_str(".\n");
    Output {
        stdout: fixed.text,
        stderr,
        code: exit::OK,
    }
}
