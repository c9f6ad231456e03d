//! `kube-immutable fix`: the core's fixes, printed, diffed or written back.
//!
//! Writing never loses data. A file the fixes do not change is not touched.
//! A symbolic link is written through, to its target, as rustfmt, prettier
//! and ruff do (Kustomize and Helm trees link manifests; replacing the link
//! by a regular file would leave the real manifest unfixed). The fixed text
//! goes to a temporary file in the target's folder, with the target's mode
//! (and owner, when allowed), which then replaces the target by a rename: on
//! any error (permission denied, disk full) the original is untouched. A
//! file is not written when the fixed text would read worse than the
//! original (more syntax or limit errors: a fixer bug must not break a
//! manifest), or when it changed on disk since it was read.

use std::fs;
use std::io::Write;
use std::path::Path;

use kube_immutable_core::fix::text::{fix_stream_with_limits, FixedText};
use kube_immutable_core::fix::FixOptions;
use kube_immutable_core::{check_text, ErrorKind, Settings, Severity};

use crate::check::exit;
use crate::discover::SettingsFor;
use crate::inputs::{self, Input, InputError, Source};
use crate::output::Lang;

/// What to do with the fixed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Print the fixed manifests.
    Print,
    /// Print a unified diff.
    Diff,
    /// Rewrite the files in place.
    Write,
}

/// One input, fixed.
struct Fixed {
    input: Input,
    original: String,
    fixed: FixedText,
}

/// Everything `fix` prints, and its exit code.
#[derive(Debug, Default)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

pub fn run(
    inputs: Vec<Result<Input, InputError>>,
    settings: &SettingsFor,
    options: FixOptions,
    mode: Mode,
    lang: Lang,
) -> Output {
    let mut out = Output::default();
    let mut fixed = Vec::new();
    let mut input_errors = 0;
    for input in inputs {
        let read = input.and_then(|input| inputs::read(&input).map(|text| (input, text)));
        match read {
            Ok((input, original)) => {
                // Document by document: the text is kept whole, one
                // document's tree at a time.
                let limits = kube_immutable_core::Limits::default();
                let result =
                    fix_stream_with_limits(&original, settings.get(&input), options, &limits);
                input_errors += result
                    .remaining
                    .errors
                    .iter()
                    .filter(|e| e.is_error())
                    .count();
                fixed.push(Fixed {
                    input,
                    original,
                    fixed: result,
                });
            }
            Err(e) => {
                input_errors += 1;
                out.stderr.push_str(&format!(
                    "{} {}: {}\n",
                    lang.pick("error:", "erreur :"),
                    e.name,
                    lang.get(&e.message)
                ));
            }
        }
    }

    let single = fixed.len() == 1;
    for f in &fixed {
        match mode {
            Mode::Print if single => out.stdout.push_str(&f.fixed.text),
            Mode::Print => {
                // Several inputs: one stream, each input introduced like `helm template` does.
                out.stdout
                    .push_str(&format!("---\n# Source: {}\n", f.input.name));
                out.stdout
                    .push_str(f.fixed.text.trim_start_matches("---\n"));
                if !f.fixed.text.ends_with('\n') {
                    out.stdout.push('\n');
                }
            }
            Mode::Diff => {
                if f.fixed.text != f.original {
                    let diff = similar::TextDiff::from_lines(&f.original, &f.fixed.text);
                    let (a, b) = (format!("a/{}", f.input.name), format!("b/{}", f.input.name));
                    out.stdout.push_str(
                        &diff
                            .unified_diff()
                            .context_radius(3)
                            .header(&a, &b)
                            .to_string(),
                    );
                }
            }
            Mode::Write => match &f.input.source {
                Source::File(path) if f.fixed.text != f.original => {
                    let written = refuse_broken(&f.original, &f.fixed, settings.get(&f.input))
                        .and_then(|()| write_through(path, &f.original, &f.fixed.text));
                    if let Err(e) = written {
                        input_errors += 1;
                        out.stderr
                            .push_str(&format!("error: {}: not written: {e}\n", f.input.name));
                    }
                }
                Source::File(_) => {}
                // Nothing to write back to: print instead.
                Source::Stdin => out.stdout.push_str(&f.fixed.text),
            },
        }
    }

    let applied: usize = fixed.iter().map(|f| f.fixed.applied.len()).sum();
    let changed = fixed.iter().filter(|f| f.fixed.text != f.original).count();
    let remaining = fixed.iter().flat_map(|f| &f.fixed.remaining.findings);
    let (mut errors, mut warnings, mut unsafe_left) = (0, 0, 0);
    for finding in remaining {
        match finding.severity {
            Severity::Error => errors += 1,
            Severity::Warning => warnings += 1,
        }
        unsafe_left += usize::from(finding.fix.as_ref().is_some_and(|fix| !options.allows(fix)));
    }
    out.stderr.push_str(&summary(
        applied,
        changed,
        errors,
        warnings,
        unsafe_left,
        mode,
        lang,
    ));
    out.code = if input_errors > 0 {
        exit::INPUT_ERROR
    } else if errors > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    };
    out
}

fn summary(
    applied: usize,
    changed: usize,
    errors: usize,
    warnings: usize,
    unsafe_left: usize,
    mode: Mode,
    lang: Lang,
) -> String {
    let fixes = lang.count(applied, ("fix", "fixes"), ("correction", "corrections"));
    let files = lang.count(changed, ("file", "files"), ("fichier", "fichiers"));
    let errors = lang.count(errors, ("error", "errors"), ("erreur", "erreurs"));
    let warnings = lang.count(
        warnings,
        ("warning", "warnings"),
        ("avertissement", "avertissements"),
    );
    let mut line = match (mode, lang) {
        (Mode::Write, Lang::En) => {
            format!("Applied {fixes} in {files}; {errors} and {warnings} left.")
        }
        (Mode::Write, Lang::Fr) => {
            format!("{fixes} appliquée(s) dans {files} ; reste {errors} et {warnings}.")
        }
        (_, Lang::En) => {
            format!("{fixes} would change {files}; {errors} and {warnings} would be left.")
        }
        (_, Lang::Fr) => {
            format!("{fixes} modifieraient {files} ; resteraient {errors} et {warnings}.")
        }
    };
    if unsafe_left > 0 {
        line.push_str(&match lang {
            Lang::En => format!(" {unsafe_left} more can be fixed with `--unsafe-fixes` (read what they change first)."),
            Lang::Fr => format!(" {unsafe_left} de plus avec `--unsafe-fixes` (lisez d'abord ce qu'elles changent)."),
        });
    }
    line.push('\n');
    line
}

/// Errors that stop a document from being read: syntax and limits.
fn unreadable(report: &kube_immutable_core::Report) -> usize {
    report
        .errors
        .iter()
        .filter(|e| matches!(e.kind, ErrorKind::Syntax | ErrorKind::Limit))
        .count()
}

/// Refuse fixed text that reads worse than the original. The core already
/// drops a fix that breaks the text; this guards the user's file against a
/// bug there.
fn refuse_broken(original: &str, fixed: &FixedText, settings: &Settings) -> std::io::Result<()> {
    let before = unreadable(&check_text(original, settings));
    let after = unreadable(&fixed.remaining);
    if after > before {
        return Err(std::io::Error::other(format!(
            "the fixed text would not parse ({after} syntax or limit errors, {before} before); this is a bug in kube-immutable, please report it"
        )));
    }
    Ok(())
}

/// Write `text` to the file `path` names, through symbolic links, unless
/// the file no longer holds `original`.
fn write_through(path: &Path, original: &str, text: &str) -> std::io::Result<()> {
    let target = fs::canonicalize(path)?;
    if fs::read(&target)? != original.as_bytes() {
        return Err(std::io::Error::other(
            "the file changed since it was read; run fix again",
        ));
    }
    write_atomically(&target, text)
}

/// Replace a file by a rename of a fully written temporary file beside it,
/// keeping the original's permissions (and owner and group, when allowed).
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let metadata = fs::metadata(path)?;
    if metadata.permissions().readonly() {
        // A rename would replace it anyway: respect what the mode says.
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "the file is read-only",
        ));
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".kube-immutable-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    fs::set_permissions(temp.path(), metadata.permissions())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        // Only root may give a file away; others keep their own files.
        let _ = std::os::unix::fs::chown(temp.path(), Some(metadata.uid()), Some(metadata.gid()));
    }
    temp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_the_file_and_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pod.yaml");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, "new").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn fixed_text_that_reads_worse_is_refused() {
        let settings = Settings::default();
        let fixed = |text: &str| FixedText {
            text: text.to_owned(),
            applied: Vec::new(),
            remaining: check_text(text, &settings),
        };
        let broken = fixed("kind: Pod\nspec: {hostPID: false\n");
        let e =
            refuse_broken("kind: Pod\nspec: {hostPID: true}\n", &broken, &settings).unwrap_err();
        assert!(e.to_string().contains("would not parse"), "{e}");
        // An original already broken the same way may still be written.
        assert!(refuse_broken("kind: Pod\nspec: {hostPID: true\n", &broken, &settings).is_ok());
        let good = fixed("kind: Pod\nspec: {hostPID: false}\n");
        assert!(refuse_broken("kind: Pod\nspec: {hostPID: true}\n", &good, &settings).is_ok());
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pod.yaml");
        fs::write(&path, "edited meanwhile").unwrap();
        let e = write_through(&path, "as read", "fixed").unwrap_err();
        assert!(e.to_string().contains("changed since it was read"), "{e}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "edited meanwhile");
    }

    /// A failure after the temporary file is written (here the rename, onto
    /// a folder, which fails even for root, unlike permissions) leaves the
    /// target as it was and no temporary file behind.
    #[test]
    fn a_failed_rename_leaves_the_target_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("pod.yaml");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inside"), "kept").unwrap();
        assert!(write_atomically(&target, "new").is_err());
        assert_eq!(fs::read_to_string(target.join("inside")).unwrap(), "kept");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["pod.yaml"]);
    }

    #[test]
    fn a_failed_write_leaves_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("absent/pod.yaml");
        assert!(write_atomically(&missing, "new").is_err());
        assert!(!missing.exists());
    }
}
