//! Running the core over the inputs, and what the run adds up to.
//!
//! Inputs are read and checked in parallel (one rayon task per file, `jobs`
//! threads); the outcomes keep the order of the inputs, so every output and
//! the exit code are the same whatever the number of threads. The renderers
//! in [`crate::output`] read a [`Run`]; the exit code is computed here, once,
//! for every format.

use kube_immutable_core::{
    check_text, check_text_listing_objects, Applicability, Limits, ObjectRef, Report, Severity,
};
use rayon::prelude::*;

use crate::discover::SettingsFor;
use crate::inputs::{self, Input, InputError};

/// One input that was read and checked.
#[derive(Debug)]
pub struct Checked {
    pub input: Input,
    /// The source, for code frames; empty when the run did not keep it
    /// ([`Keep::text`]).
    pub text: String,
    pub report: Report,
    /// Every workload object checked, when the run listed them
    /// ([`Keep::objects`]: JUnit has a test case for each).
    pub objects: Vec<ObjectRef>,
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
    /// The threads that checked the inputs, kept to render them; `None`
    /// when the run works on one thread.
    pool: Option<rayon::ThreadPool>,
    /// What a baseline did to the findings (`--baseline`, `--write-baseline`).
    pub baseline: Option<crate::baseline::Applied>,
}

/// What a run keeps of each input besides its report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keep {
    /// The source text (code frames need it; JSON and SARIF do not, and
    /// freeing it lets the next file reuse the memory).
    pub text: bool,
    /// The list of workload objects checked.
    pub objects: bool,
}

/// Exit codes. **Precedence:** 2 wins over 1, which wins over 0.
pub mod exit {
    /// No error-level finding (warnings may remain).
    pub const OK: u8 = 0;
    /// At least one error-level finding.
    pub const FINDINGS: u8 = 1;
    /// An input could not be read or parsed, had input errors (syntax, wrong
    /// types, limits: Kubernetes would not take it), or the command line or
    /// settings were invalid. Every other input is still checked and
    /// reported. Warning-level input problems (duplicate keys) do not count.
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
    /// Input errors: syntax, wrong types, limits, unreadable inputs.
    pub input_errors: usize,
    /// Warning-level input problems (duplicate keys): Kubernetes takes the
    /// input; they do not change the exit code.
    pub input_warnings: usize,
    /// Findings silenced by the `kube-immutable.io/ignore` annotation.
    pub suppressed: usize,
    /// Findings with a safe fix (`kube-immutable fix` applies it).
    pub fixable: usize,
    /// Findings with an unsafe fix (`kube-immutable fix --unsafe-fixes`).
    pub fixable_unsafe: usize,
    /// Findings (and warning-level input problems) the baseline holds, not
    /// reported (0 without a baseline).
    pub baselined: usize,
    /// Baselined entries that no longer occur in the files checked.
    pub baseline_stale: usize,
}

/// The number of threads `--jobs` defaults to: the cores available.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

impl Run {
    /// Reads and checks the inputs (`-` is stdin), each with its settings
    /// (`--config`, or its nearest settings file), on `jobs` threads (`1`:
    /// on this thread, one file after another). Outcomes are in input
    /// order. Each input's text and objects are kept only as `keep` says.
    pub fn check(
        inputs: Vec<Result<Input, InputError>>,
        settings: &SettingsFor,
        jobs: usize,
        keep: Keep,
    ) -> Self {
        let one = |input: Result<Input, InputError>| {
            let input = match input {
                Ok(input) => input,
                Err(e) => return Outcome::Unreadable(e),
            };
            match inputs::read(&input) {
                Ok(text) => {
                    let settings = settings.get(&input);
                    let (report, objects) = if keep.objects {
                        check_text_listing_objects(&text, settings, &Limits::default())
                    } else {
                        (check_text(&text, settings), Vec::new())
                    };
                    Outcome::Checked(Checked {
                        input,
                        text: if keep.text { text } else { String::new() },
                        report,
                        objects,
                    })
                }
                Err(e) => Outcome::Unreadable(e),
            }
        };
        let pool = parallel(jobs, inputs.len());
        let outcomes = match &pool {
            // `collect` on an indexed parallel iterator keeps the order.
            Some(pool) => pool.install(|| inputs.into_par_iter().map(one).collect()),
            None => inputs.into_iter().map(one).collect(),
        };
        Self {
            outcomes,
            pool,
            baseline: None,
        }
    }

    /// `f` of every outcome, in input order, on the run's threads (the
    /// renderers format each input's findings this way).
    pub fn per_outcome<T: Send>(&self, f: impl Fn(&Outcome) -> T + Sync + Send) -> Vec<T> {
        match &self.pool {
            Some(pool) => pool.install(|| self.outcomes.par_iter().map(&f).collect()),
            None => self.outcomes.iter().map(f).collect(),
        }
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        if let Some(b) = &self.baseline {
            s.baselined = b.matched;
            s.baseline_stale = b.stale;
        }
        for outcome in &self.outcomes {
            match outcome {
                Outcome::Unreadable(_) => s.input_errors += 1,
                Outcome::Checked(c) => {
                    let r = &c.report;
                    s.files += 1;
                    s.files_with_findings += usize::from(!r.findings.is_empty());
                    s.objects += r.objects;
                    s.suppressed += r.suppressed;
                    for e in &r.errors {
                        if e.is_error() {
                            s.input_errors += 1;
                        } else {
                            s.input_warnings += 1;
                        }
                    }
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

/// A file this small is read and checked whole by [`Run`]…
const SMALL_FILE: u64 = 4 * 1024 * 1024;
/// …when the run's files together are no larger than this.
const SMALL_RUN: u64 = 32 * 1024 * 1024;

/// Whether the inputs are small enough to be checked as a whole [`Run`]
/// rather than streamed: regular files, each at most 4 MiB, together at
/// most 32 MiB (a repository of manifests, the usual case). One task per
/// file, read and checked at once on one thread, costs less than each
/// document handed between the streaming run's threads (a third less CPU on
/// the real-world corpus), and what a whole run keeps until it prints (the
/// findings, and for text output the texts) is bounded by that total.
/// Standard input, pipes, larger files or more of them stream, in memory
/// bounded by the largest object. Both print the same bytes.
pub fn small(inputs: &[Result<Input, InputError>]) -> bool {
    let mut total = 0u64;
    inputs.iter().all(|input| match input {
        // Reported the same either way, and costs nothing to hold.
        Err(_) => true,
        Ok(Input {
            source: inputs::Source::File(path),
            ..
        }) => std::fs::metadata(path).is_ok_and(|m| {
            total += m.len();
            m.is_file() && m.len() <= SMALL_FILE && total <= SMALL_RUN
        }),
        Ok(_) => false,
    })
}

/// A pool of `jobs` threads, or `None` to work on this thread (one job, one
/// input, or a pool that cannot be built).
pub fn parallel(jobs: usize, inputs: usize) -> Option<rayon::ThreadPool> {
    if jobs <= 1 || inputs <= 1 {
        return None;
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.min(inputs))
        .build()
        .ok()
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

    /// Count one finding.
    pub fn finding(&mut self, f: &kube_immutable_core::Finding) {
        match f.fix.as_ref().map(|fix| fix.applicability) {
            Some(Applicability::Safe) => self.fixable += 1,
            Some(Applicability::Unsafe) => self.fixable_unsafe += 1,
            None => {}
        }
        match f.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
    }

    /// Count one input problem: an error, or a warning (duplicate key).
    pub fn input_problem(&mut self, is_error: bool) {
        if is_error {
            self.input_errors += 1;
        } else {
            self.input_warnings += 1;
        }
    }

    fn add(&mut self, other: &Summary) {
        self.files += other.files;
        self.files_with_findings += other.files_with_findings;
        self.objects += other.objects;
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.input_errors += other.input_errors;
        self.input_warnings += other.input_warnings;
        self.suppressed += other.suppressed;
        self.fixable += other.fixable;
        self.fixable_unsafe += other.fixable_unsafe;
        self.baselined += other.baselined;
        self.baseline_stale += other.baseline_stale;
    }

    fn findings(&self) -> usize {
        self.errors + self.warnings
    }
}

pub mod stream;
#[cfg(test)]
mod tests;
