//! Running the core over the inputs, and what the run adds up to.
//!
//! The renderers in [`crate::output`] read a [`Run`]; the exit code is
//! computed here, once, for every format.

use kube_immutable_core::{check_text, Applicability, Report, Settings, Severity};

use crate::inputs::{self, Input, InputError};

/// One input that was read and checked.
#[derive(Debug)]
pub struct Checked {
    pub input: Input,
    pub text: String,
    pub report: Report,
}

/// What happened to one input.
#[derive(Debug)]
pub enum Outcome {
    Checked(Checked),
    /// Missing, unreadable, or not UTF-8.
    Unreadable(InputError),
}

/// Every input of a run, in command-line order.
#[derive(Debug, Default)]
pub struct Run {
    pub outcomes: Vec<Outcome>,
}

/// Exit codes. **Precedence:** 2 wins over 1, which wins over 0.
pub mod exit {
    /// No error-level finding (warnings may remain).
    pub const OK: u8 = 0;
    /// At least one error-level finding.
    pub const FINDINGS: u8 = 1;
    /// An input could not be read or parsed, had input errors (syntax,
    /// duplicate keys, wrong types), or the command line or settings were
    /// invalid. Every other input is still checked and reported.
    pub const INPUT_ERROR: u8 = 2;
}

/// Counts over a whole run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Inputs read (checked), not counting unreadable ones.
    pub files: usize,
    pub files_with_findings: usize,
    /// Workload objects (with a pod spec) checked.
    pub objects: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Input errors: syntax, duplicate keys, wrong types, unreadable inputs.
    pub input_errors: usize,
    /// Findings silenced by the `kube-immutable.io/ignore` annotation.
    pub suppressed: usize,
    /// Findings with a safe fix (`kube-immutable fix` applies it).
    pub fixable: usize,
    /// Findings with an unsafe fix (`kube-immutable fix --unsafe-fixes`).
    pub fixable_unsafe: usize,
}

impl Run {
    /// Reads and checks every path (`-` is stdin).
    pub fn check(paths: &[String], settings: &Settings) -> Self {
        let outcomes = inputs::collect(paths)
            .into_iter()
            .map(|input| {
                let input = match input {
                    Ok(input) => input,
                    Err(e) => return Outcome::Unreadable(e),
                };
                match inputs::read(&input) {
                    Ok(text) => {
                        let report = check_text(&text, settings);
                        Outcome::Checked(Checked {
                            input,
                            text,
                            report,
                        })
                    }
                    Err(e) => Outcome::Unreadable(e),
                }
            })
            .collect();
        Self { outcomes }
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for outcome in &self.outcomes {
            match outcome {
                Outcome::Unreadable(_) => s.input_errors += 1,
                Outcome::Checked(c) => {
                    let r = &c.report;
                    s.files += 1;
                    s.files_with_findings += usize::from(!r.findings.is_empty());
                    s.objects += r.objects;
                    s.suppressed += r.suppressed;
                    s.input_errors += r.errors.len();
                    for f in &r.findings {
                        match f.fix.as_ref().map(|fix| fix.applicability) {
                            Some(Applicability::Safe) => s.fixable += 1,
                            Some(Applicability::Unsafe) => s.fixable_unsafe += 1,
                            None => {}
                        }
                        match f.severity {
                            Severity::Error => s.errors += 1,
                            Severity::Warning => s.warnings += 1,
                        }
                    }
                }
            }
        }
        s
    }

    pub fn exit_code(&self) -> u8 {
        self.summary().exit_code()
    }
}

impl Summary {
    pub fn exit_code(&self) -> u8 {
        if self.input_errors > 0 {
            exit::INPUT_ERROR
        } else if self.errors > 0 {
            exit::FINDINGS
        } else {
            exit::OK
        }
    }
}
