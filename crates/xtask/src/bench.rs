//! `cargo xtask bench [--runs N] [CORPUS_DIR]`: issue #2's budget, "on the
//! real-world corpus the CLI's total time stays within 2× of the YAML
//! parser's own load time on the same files".
//!
//! Two halves, because `cargo xtask` is a debug build:
//!
//! 1. **In-process, release build.** The task re-invokes itself as
//!    `cargo run --release -p xtask -- bench --in-process <dir> --runs N`,
//!    which reads every manifest of `<corpus>/realworld` into memory (the
//!    files the CLI would pick: `.yaml`, `.yml`, `.json`, hidden entries
//!    skipped), then times, per run over all files: `saphyr::Yaml` and
//!    `saphyr::MarkedYamlOwned` `load_from_str` (the parser alone), the
//!    core's reader `yaml::parse_stream`, and the core's whole
//!    `check_text`. It prints its medians as one JSON line.
//! 2. **The CLI end to end.** `cargo build --release -p kube-immutable`,
//!    then `target/release/kube-immutable check --format json
//!    <corpus>/realworld` N times (output read from a pipe), wall clock
//!    from spawn to exit, median.
//!
//! The table shows each median and its ratio to the saphyr `Yaml` load (the
//! plain loader, the strictest baseline), plus the machine. The task fails
//! when the CLI takes more than twice the baseline. Files in hidden folders
//! (`.github/`, `.workshop/`: 21 of the corpus's 1,538) are skipped by both
//! halves, as the CLI skips them when walking a folder.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kube_immutable_core::{check_text, yaml, Limits, Settings};
use saphyr::{LoadableYamlNode, MarkedYamlOwned, Yaml};

const DEFAULT_RUNS: usize = 7;
/// The budget of issue #2: CLI time / parser load time.
const BUDGET: f64 = 2.0;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut runs = DEFAULT_RUNS;
    let mut in_process = false;
    let mut dir = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--in-process" => in_process = true,
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("bench: --runs needs a positive number")?;
            }
            flag if flag.starts_with('-') => {
                return Err(format!(
                "bench: unknown option `{flag}` (usage: cargo xtask bench [--runs N] [CORPUS_DIR])"
            ))
            }
            path => dir = Some(PathBuf::from(path)),
        }
    }
    if in_process {
        let dir = dir.ok_or("bench --in-process needs the realworld folder")?;
        let timings = in_process_timings(&dir, runs)?;
        println!("{}", timings.to_json());
        return Ok(());
    }
    let corpus = crate::conformance::corpus_dir(dir, &["realworld/index.tsv"])?;
    let realworld = corpus.join("realworld");
    run_outer(&realworld, runs)
}

/// Medians over all files, in milliseconds.
#[derive(Debug, Default)]
struct Timings {
    files: usize,
    bytes: usize,
    runs: usize,
    /// Files `saphyr` refuses (it treats duplicate keys as errors, for one).
    saphyr_errors: usize,
    saphyr_yaml_ms: f64,
    saphyr_marked_ms: f64,
    core_reader_ms: f64,
    core_check_ms: f64,
}

const FIELDS: &[&str] = &[
    "files",
    "bytes",
    "runs",
    "saphyr_errors",
    "saphyr_yaml_ms",
    "saphyr_marked_ms",
    "core_reader_ms",
    "core_check_ms",
];

impl Timings {
    fn values(&self) -> [f64; 8] {
        [
            self.files as f64,
            self.bytes as f64,
            self.runs as f64,
            self.saphyr_errors as f64,
            self.saphyr_yaml_ms,
            self.saphyr_marked_ms,
            self.core_reader_ms,
            self.core_check_ms,
        ]
    }

    fn to_json(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> = FIELDS
            .iter()
            .zip(self.values())
            .map(|(k, v)| ((*k).to_owned(), serde_json::json!(v)))
            .collect();
        serde_json::Value::Object(map).to_string()
    }

    fn from_json(line: &str) -> Result<Self, String> {
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("bench: bad in-process output: {e}: {line}"))?;
        let get = |k: &str| {
            value
                .get(k)
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(f64::NAN)
        };
        Ok(Self {
            files: get("files") as usize,
            bytes: get("bytes") as usize,
            runs: get("runs") as usize,
            saphyr_errors: get("saphyr_errors") as usize,
            saphyr_yaml_ms: get("saphyr_yaml_ms"),
            saphyr_marked_ms: get("saphyr_marked_ms"),
            core_reader_ms: get("core_reader_ms"),
            core_check_ms: get("core_check_ms"),
        })
    }
}

/// The manifests the CLI would check in `dir`: `.yaml`, `.yml`, `.json`,
/// walked recursively in name order, hidden entries skipped.
fn manifests(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            out.extend(manifests(&path)?);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        {
            out.push(path);
        }
    }
    Ok(out)
}

pub(crate) fn median(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    let n = samples.len();
    let mid = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2
    };
    mid.as_secs_f64() * 1000.0
}

/// Time `f` over every text, `runs` times after one warm-up; the median.
fn time_all(texts: &[String], runs: usize, mut f: impl FnMut(&str) -> usize) -> f64 {
    let mut sink = 0usize;
    for t in texts {
        sink = sink.wrapping_add(f(t));
    }
    let samples = (0..runs)
        .map(|_| {
            let start = Instant::now();
            for t in texts {
                sink = sink.wrapping_add(f(std::hint::black_box(t)));
            }
            start.elapsed()
        })
        .collect();
    std::hint::black_box(sink);
    median(samples)
}

fn in_process_timings(dir: &Path, runs: usize) -> Result<Timings, String> {
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: in-process timings from a debug build mean little; use the `bench` task"
        );
    }
    let texts: Vec<String> = manifests(dir)?
        .iter()
        .map(|p| {
            let bytes =
                std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            Ok(String::from_utf8_lossy(&bytes).into_owned())
        })
        .collect::<Result<_, String>>()?;
    let saphyr_errors = texts
        .iter()
        .filter(|t| Yaml::load_from_str(t).is_err())
        .count();
    let settings = Settings::default();
    let limits = Limits::default();
    Ok(Timings {
        files: texts.len(),
        bytes: texts.iter().map(String::len).sum(),
        runs,
        saphyr_errors,
        saphyr_yaml_ms: time_all(&texts, runs, |t| {
            Yaml::load_from_str(t).map_or(0, |d| d.len())
        }),
        saphyr_marked_ms: time_all(&texts, runs, |t| {
            MarkedYamlOwned::load_from_str(t).map_or(0, |d| d.len())
        }),
        core_reader_ms: time_all(&texts, runs, |t| yaml::parse_stream(t, &limits).0.len()),
        core_check_ms: time_all(&texts, runs, |t| check_text(t, &settings).findings.len()),
    })
}

pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(crate::workspace_root());
    cmd
}

pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"))
}

fn run_outer(realworld: &Path, runs: usize) -> Result<(), String> {
    // 1. In-process timings in a release build of this task.
    eprintln!("building and running the in-process timings (release)...");
    let output = cargo()
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "xtask",
            "--",
            "bench",
            "--in-process",
        ])
        .arg(realworld)
        .args(["--runs", &runs.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("bench: cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err("bench: the in-process timings failed".into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let timings = Timings::from_json(line)?;

    // 2. The CLI, end to end.
    eprintln!("building the CLI (release)...");
    let status = cargo()
        .args(["build", "--release", "--quiet", "-p", "kube-immutable"])
        .status()
        .map_err(|e| format!("bench: cannot run cargo: {e}"))?;
    let cli = target_dir().join("release").join("kube-immutable");
    let cli_ms = if status.success() && cli.is_file() {
        match time_cli(&cli, realworld, runs) {
            Ok(ms) => Some(ms),
            Err(e) => {
                eprintln!("warning: {e}");
                None
            }
        }
    } else {
        eprintln!("warning: the CLI did not build; only the in-process figures are shown");
        None
    };

    print!("{}", render(&timings, cli_ms, realworld));
    match cli_ms {
        Some(ms) if ms <= BUDGET * timings.saphyr_yaml_ms => Ok(()),
        Some(ms) => Err(format!(
            "bench: the CLI takes {:.2}× the parser's load time (budget {BUDGET}×)",
            ms / timings.saphyr_yaml_ms
        )),
        None => Err("bench: no CLI figure".into()),
    }
}

/// Median wall-clock time of `kube-immutable check --format json <dir>`,
/// from spawn to exit with its output read, after one warm-up run.
fn time_cli(cli: &Path, dir: &Path, runs: usize) -> Result<f64, String> {
    let once = || -> Result<(Duration, Vec<u8>), String> {
        let start = Instant::now();
        let mut child = Command::new(cli)
            .args(["check", "--format", "json"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", cli.display()))?;
        let mut out = Vec::new();
        if let Some(mut stdout) = child.stdout.take() {
            stdout
                .read_to_end(&mut out)
                .map_err(|e| format!("cannot read the CLI's output: {e}"))?;
        }
        let status = child.wait().map_err(|e| format!("the CLI failed: {e}"))?;
        let elapsed = start.elapsed();
        // 0: clean, 1: error findings, 2: input errors (the corpus has some).
        match status.code() {
            Some(0..=2) => Ok((elapsed, out)),
            _ => Err(format!(
                "`kube-immutable check --format json` ended with {status}"
            )),
        }
    };
    let (_, out) = once()?;
    serde_json::from_slice::<serde_json::Value>(&out)
        .map_err(|e| format!("`kube-immutable check --format json` did not print JSON: {e}"))?;
    let samples = (0..runs)
        .map(|_| once().map(|(d, _)| d))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(median(samples))
}

pub(crate) fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn render(t: &Timings, cli_ms: Option<f64>, dir: &Path) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let nproc = std::thread::available_parallelism().map_or(0, usize::from);
    let _ = writeln!(out);
    let _ = writeln!(out, "corpus:  {}", dir.display());
    let _ = writeln!(
        out,
        "files:   {} ({:.1} MB, {} bytes); saphyr refuses {} of them (duplicate keys, ...)",
        t.files,
        t.bytes as f64 / 1e6,
        t.bytes,
        t.saphyr_errors
    );
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(ToOwned::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    let _ = writeln!(
        out,
        "machine: {nproc} CPU(s), {} (load average {load} at the end)",
        cpu_model()
    );
    let _ = writeln!(
        out,
        "runs:    {} per row, median (after one warm-up)",
        t.runs
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<58} {:>10} {:>8}", "what", "median ms", "ratio");
    let base = t.saphyr_yaml_ms;
    let mut row = |what: &str, ms: f64| {
        let _ = writeln!(out, "{what:<58} {ms:>10.1} {:>7.2}×", ms / base);
    };
    row(
        "saphyr 0.3 Yaml::load_from_str (in-process, baseline)",
        base,
    );
    row(
        "saphyr 0.3 MarkedYamlOwned::load_from_str (in-process)",
        t.saphyr_marked_ms,
    );
    row("core yaml::parse_stream (in-process)", t.core_reader_ms);
    row("core check_text (in-process)", t.core_check_ms);
    match cli_ms {
        Some(ms) => row("kube-immutable check --format json <dir> (end to end)", ms),
        None => {
            let _ = writeln!(
                out,
                "{:<58} {:>10}",
                "kube-immutable check --format json <dir>", "n/a"
            );
        }
    }
    if let Some(ms) = cli_ms {
        let _ = writeln!(
            out,
            "\nbudget (issue #2): CLI ≤ {BUDGET}× the parser's load time: {:.2}× → {}",
            ms / base,
            if ms <= BUDGET * base {
                "met"
            } else {
                "NOT met"
            }
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = |n| Duration::from_millis(n);
        assert_eq!(median(vec![ms(3), ms(1), ms(2)]), 2.0);
        assert_eq!(median(vec![ms(4), ms(1), ms(2), ms(3)]), 2.5);
    }

    #[test]
    fn timings_survive_the_json_line() {
        let t = Timings {
            files: 3,
            bytes: 10,
            runs: 5,
            saphyr_errors: 1,
            saphyr_yaml_ms: 1.5,
            saphyr_marked_ms: 2.5,
            core_reader_ms: 3.5,
            core_check_ms: 4.5,
        };
        let back = Timings::from_json(&t.to_json()).unwrap();
        assert_eq!(back.values(), t.values());
    }
}
