//! `cargo xtask bench [--runs N] [CORPUS_DIR]`: the CLI's time on the
//! real-world corpus against the YAML parser's own load time on the same
//! files. Budgets (issue #9): with every rule on, `check --format json`
//! takes at most 0.7× the single-threaded saphyr load when it checks files
//! in parallel (its default, one thread per available core), and at most
//! 1.2× with `--jobs 1`.
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
//!    then `target/release/kube-immutable check --format json --config
//!    <every rule on> <corpus>/realworld` N times (output read from a pipe),
//!    wall clock from spawn to exit, median; once with the default number
//!    of threads and once with `--jobs 1`. Peak memory (maximum resident
//!    set) of one more run of each comes from GNU `time` (`/usr/bin/time
//!    -f %M`) when the machine has it.
//!
//! The table shows each median and its ratio to the saphyr `Yaml` load (the
//! plain loader, the strictest baseline), plus the machine and its load.
//! The task fails when a CLI figure is over its budget. Files in hidden
//! folders (`.github/`, `.workshop/`: 21 of the corpus's 1,538) are skipped
//! by both halves, as the CLI skips them when walking a folder.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kube_immutable_core::{check_text, yaml, Level, Limits, Settings};
use saphyr::{LoadableYamlNode, MarkedYamlOwned, Yaml};

const DEFAULT_RUNS: usize = 7;
/// CLI time / parser load time, checking files in parallel (issue #9).
const BUDGET_PARALLEL: f64 = 0.7;
/// CLI time / parser load time with `--jobs 1` (issue #9).
const BUDGET_ONE_THREAD: f64 = 1.2;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut runs = DEFAULT_RUNS;
    let mut in_process = false;
    let mut dir = None;
    let mut stream_bytes = DEFAULT_STREAM_BYTES;
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
            "--stream-mb" => {
                stream_bytes = args
                    .next()
                    .and_then(|n| n.parse::<usize>().ok())
                    .map(|mb| mb * 1_000_000)
                    .ok_or("bench: --stream-mb needs a number of megabytes (0: no streaming rows)")?;
            }
            flag if flag.starts_with('-') => {
                return Err(format!(
                "bench: unknown option `{flag}` (usage: cargo xtask bench [--runs N] [--stream-mb MB] [CORPUS_DIR])"
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
    run_outer(&realworld, runs, stream_bytes)
}

/// The stream and `List` of the streaming rows: 1 GB.
const DEFAULT_STREAM_BYTES: usize = 1_000_000_000;

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
    /// Objects that read strictly (the streaming rows' objects).
    strict_objects: usize,
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
    "strict_objects",
];

impl Timings {
    fn values(&self) -> [f64; 9] {
        [
            self.files as f64,
            self.bytes as f64,
            self.runs as f64,
            self.saphyr_errors as f64,
            self.saphyr_yaml_ms,
            self.saphyr_marked_ms,
            self.core_reader_ms,
            self.core_check_ms,
            self.strict_objects as f64,
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
            strict_objects: get("strict_objects") as usize,
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
    let all_rules = every_rule_on();
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
        core_check_ms: time_all(&texts, runs, |t| check_text(t, &all_rules).findings.len()),
        strict_objects: crate::bench_stream::write_units(&texts)?,
    })
}

/// Default settings with every rule on (`image-not-pinned` is off by default).
fn every_rule_on() -> Settings {
    let mut settings = Settings::default();
    for rule in kube_immutable_core::RULES {
        if rule.default_level == Level::Off {
            settings.rules.insert(rule.id.to_owned(), Level::Error);
        }
    }
    settings
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

fn run_outer(realworld: &Path, runs: usize, stream_bytes: usize) -> Result<(), String> {
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

    // 2. The CLI, end to end, with every rule on.
    eprintln!("building the CLI (release)...");
    let status = cargo()
        .args(["build", "--release", "--quiet", "-p", "kube-immutable"])
        .status()
        .map_err(|e| format!("bench: cannot run cargo: {e}"))?;
    let cli = target_dir().join("release").join("kube-immutable");
    if !status.success() || !cli.is_file() {
        return Err("bench: the CLI did not build".into());
    }
    let config = target_dir().join("bench-every-rule-on.json");
    let settings = serde_json::to_string(&every_rule_on())
        .map_err(|e| format!("bench: cannot write the settings: {e}"))?;
    std::fs::write(&config, settings)
        .map_err(|e| format!("bench: cannot write {}: {e}", config.display()))?;
    let mut cli_runs = Vec::new();
    for jobs in [None, Some(1)] {
        let ms = time_cli(&cli, &config, realworld, runs, jobs)?;
        let peak_kb = peak_memory(&cli, &config, realworld, jobs);
        cli_runs.push(CliRun { jobs, ms, peak_kb });
    }

    print!("{}", render(&timings, &cli_runs, realworld));
    let mut over: Vec<String> = cli_runs
        .iter()
        .filter(|r| r.ms > r.budget() * timings.saphyr_yaml_ms)
        .map(|r| {
            format!(
                "{} takes {:.2}× the parser's load time (budget {}×)",
                r.label(),
                r.ms / timings.saphyr_yaml_ms,
                r.budget()
            )
        })
        .collect();

    // 3. Input of any size (issue 25): a stream and a List on stdin, a
    // 10 MB file of each, with every rule on.
    if stream_bytes > 0 {
        if !Path::new("/usr/bin/time").is_file() {
            return Err("bench: the streaming rows need GNU time at /usr/bin/time (Debian: apt-get install time); --stream-mb 0 skips them".into());
        }
        let rows = crate::bench_stream::rows(&cli, &config, stream_bytes)?;
        print!("{}", render_stream(&rows, timings.strict_objects));
        over.extend(rows.iter().flat_map(crate::bench_stream::Row::over));
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(format!("bench: {}", over.join("; ")))
    }
}

/// One end-to-end figure of the CLI.
#[derive(Debug)]
struct CliRun {
    /// `--jobs`, or `None` for the default (the available cores).
    jobs: Option<usize>,
    ms: f64,
    /// Maximum resident set, when GNU `time` could measure it.
    peak_kb: Option<u64>,
}

impl CliRun {
    fn budget(&self) -> f64 {
        match self.jobs {
            Some(1) => BUDGET_ONE_THREAD,
            _ => BUDGET_PARALLEL,
        }
    }

    fn label(&self) -> String {
        match self.jobs {
            Some(n) => format!("kube-immutable check --format json --jobs {n} <dir>"),
            None => format!(
                "kube-immutable check --format json <dir> ({} threads)",
                std::thread::available_parallelism().map_or(1, usize::from)
            ),
        }
    }
}

/// `check --format json --config <every rule on> [--jobs N] <dir>`.
fn cli_command(
    program: &Path,
    cli: &Path,
    config: &Path,
    dir: &Path,
    jobs: Option<usize>,
) -> Command {
    let mut cmd = Command::new(program);
    if program != cli {
        cmd.arg(cli);
    }
    cmd.args(["check", "--format", "json", "--config"])
        .arg(config);
    if let Some(n) = jobs {
        cmd.args(["--jobs", &n.to_string()]);
    }
    cmd.arg(dir);
    cmd
}

/// Peak memory (KB) of one run, measured by GNU `time` when it is there.
fn peak_memory(cli: &Path, config: &Path, dir: &Path, jobs: Option<usize>) -> Option<u64> {
    let time = Path::new("/usr/bin/time");
    if !time.is_file() {
        return None;
    }
    let output = cli_command(time, cli, config, dir, jobs)
        .env("TIME", "%M")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

/// Median wall-clock time of `kube-immutable check --format json <dir>`,
/// from spawn to exit with its output read, after one warm-up run.
fn time_cli(
    cli: &Path,
    config: &Path,
    dir: &Path,
    runs: usize,
    jobs: Option<usize>,
) -> Result<f64, String> {
    let once = || -> Result<(Duration, Vec<u8>), String> {
        let start = Instant::now();
        let mut child = cli_command(cli, cli, config, dir, jobs)
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

fn render(t: &Timings, cli: &[CliRun], dir: &Path) -> String {
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
        "runs:    {} per row, median (after one warm-up); every rule on",
        t.runs
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<62} {:>10} {:>8} {:>10}",
        "what", "median ms", "ratio", "peak MB"
    );
    let base = t.saphyr_yaml_ms;
    let mut row = |what: &str, ms: f64, peak: Option<u64>| {
        let peak = peak.map_or_else(|| "".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0));
        let _ = writeln!(out, "{what:<62} {ms:>10.1} {:>7.2}× {peak:>10}", ms / base);
    };
    row(
        "saphyr 0.3 Yaml::load_from_str (in-process, baseline)",
        base,
        None,
    );
    row(
        "saphyr 0.3 MarkedYamlOwned::load_from_str (in-process)",
        t.saphyr_marked_ms,
        None,
    );
    row(
        "core yaml::parse_stream (in-process)",
        t.core_reader_ms,
        None,
    );
    row("core check_text (in-process)", t.core_check_ms, None);
    for r in cli {
        row(&r.label(), r.ms, r.peak_kb);
    }
    let _ = writeln!(out);
    for r in cli {
        let ratio = r.ms / base;
        let _ = writeln!(
            out,
            "budget: {} ≤ {}× the parser's load time: {ratio:.2}× → {}",
            r.label(),
            r.budget(),
            if ratio <= r.budget() {
                "met"
            } else {
                "NOT met"
            }
        );
    }
    if cli.iter().all(|r| r.peak_kb.is_none()) {
        let _ = writeln!(out, "(no /usr/bin/time here: peak memory not measured)");
    }
    out
}

fn render_stream(rows: &[crate::bench_stream::Row], objects: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(ToOwned::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "input of any size: the corpus's {objects} objects that read strictly, repeated; `check --format json`, every rule on (load average {load} at the end)"
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<28} {:>10} {:>9} {:>9} {:>10} {:>14}",
        "what", "MB", "seconds", "MB/s", "peak MB", "peak budget MB"
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{:<28} {:>10.1} {:>9.2} {:>9.1} {:>10.1} {:>14.0}",
            r.what,
            r.bytes as f64 / 1e6,
            r.measured.seconds,
            r.speed(),
            r.peak() as f64 / 1e6,
            r.peak_budget as f64 / 1e6
        );
    }
    if let Some(r) = rows.first() {
        let s = &r.measured.summary;
        let _ = writeln!(
            out,
            "(the stream: {} objects, {} errors and {} warnings found; the List, the same per copy of the objects)",
            s["objects"], s["errors"], s["warnings"]
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
            strict_objects: 6,
        };
        let back = Timings::from_json(&t.to_json()).unwrap();
        assert_eq!(back.values(), t.values());
    }
}
