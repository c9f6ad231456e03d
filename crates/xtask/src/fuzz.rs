//! `cargo xtask fuzz --seconds N [--target T]`: run the cargo-fuzz targets
//! of `fuzz/` (README: Fuzzing) one after the other, N seconds each.
//!
//! Installs nightly and cargo-fuzz through `scripts/setup-fuzz.sh`, seeds
//! `fuzz/corpus/<target>/` from the repository's fixtures (and from
//! `../shared/corpus`, or `$KUBE_IMMUTABLE_CORPUS`, when present: never
//! copied into the repository), runs libFuzzer with `-max_total_time`, and
//! prints each target's executions and coverage. Fails when a target
//! crashes; the input is in `fuzz/artifacts/<target>/`.
//! Prefix it with `nice -n 19` on a shared machine.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const TARGETS: &[&str] = &["check", "fix", "settings", "policy_validate"];
/// Seeds above this are left out, and libFuzzer's inputs stay below it:
/// small inputs run fast, and every limit is reached within it (`TINY`).
const MAX_LEN: usize = 16 * 1024;

pub fn run(args: &[String]) -> Result<(), String> {
    let mut seconds = None;
    let mut only = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => seconds = args.next().and_then(|s| s.parse::<u64>().ok()),
            "--target" => only = args.next().cloned(),
            other => return Err(format!("fuzz: unknown argument `{other}`")),
        }
    }
    let seconds = seconds.ok_or("fuzz: --seconds N is required (a positive number)")?;
    let targets: Vec<&str> = match &only {
        Some(t) if TARGETS.contains(&t.as_str()) => vec![t.as_str()],
        Some(t) => return Err(format!("fuzz: unknown target `{t}`; targets: {TARGETS:?}")),
        None => TARGETS.to_vec(),
    };
    let root = crate::workspace_root();
    let status = Command::new(root.join("scripts/setup-fuzz.sh"))
        .status()
        .map_err(|e| format!("scripts/setup-fuzz.sh: {e}"))?;
    if !status.success() {
        return Err("scripts/setup-fuzz.sh failed".into());
    }
    let mut results = Vec::new();
    for target in targets {
        let corpus = root.join("fuzz/corpus").join(target);
        let seeds = seed(&root, target, &corpus)?;
        println!("==> fuzz {target}: {seeds} seeds, {seconds} s");
        results.push((target, fuzz(&root, target, seconds)?));
    }
    println!("\ntarget           seconds  executions       cov        ft  corpus  crashed");
    for (target, r) in &results {
        println!(
            "{target:<16} {seconds:>7} {:>11} {:>9} {:>9} {:>7}  {}",
            r.executions,
            r.cov,
            r.ft,
            r.corpus,
            if r.crashed { "YES" } else { "no" }
        );
    }
    let crashed: Vec<&str> = results
        .iter()
        .filter(|r| r.1.crashed)
        .map(|r| r.0)
        .collect();
    if crashed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fuzz: {crashed:?} crashed: see fuzz/artifacts/<target>/ and the output above"
        ))
    }
}

#[derive(Default)]
struct Outcome {
    executions: String,
    cov: String,
    ft: String,
    corpus: String,
    crashed: bool,
}

/// Runs one target; libFuzzer's output goes through, its last status line
/// and final stats are kept.
fn fuzz(root: &Path, target: &str, seconds: u64) -> Result<Outcome, String> {
    // No sanitizer: the code under test is safe Rust (the core forbids
    // `unsafe`); what the targets look for are panics and broken
    // properties. Debug assertions (and overflow checks) on.
    let mut child = Command::new("cargo")
        .current_dir(root.join("fuzz"))
        .args(["+nightly", "fuzz", "run", "--sanitizer", "none"])
        .args(["--debug-assertions", target, "--"])
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-max_len={MAX_LEN}"))
        .args(["-timeout=30", "-print_final_stats=1"])
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cargo fuzz: {e}"))?;
    let mut outcome = Outcome::default();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{line}");
            if let Some(n) = line.strip_prefix("stat::number_of_executed_units: ") {
                outcome.executions = n.trim().to_owned();
            }
            if line.starts_with('#') {
                let mut words = line.split_whitespace();
                while let Some(w) = words.next() {
                    let slot = match w {
                        "cov:" => &mut outcome.cov,
                        "ft:" => &mut outcome.ft,
                        "corp:" => &mut outcome.corpus,
                        _ => continue,
                    };
                    if let Some(v) = words.next() {
                        *slot = v.split('/').next().unwrap_or(v).to_owned();
                    }
                }
            }
        }
    }
    let status = child.wait().map_err(|e| format!("cargo fuzz: {e}"))?;
    outcome.crashed = !status.success();
    Ok(outcome)
}

/// Copies the target's seeds into its corpus folder; returns how many.
fn seed(root: &Path, target: &str, corpus: &Path) -> Result<usize, String> {
    std::fs::create_dir_all(corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let admission = root.join("tests/fixtures/admission");
    let mut seeds: Vec<(String, Vec<u8>)> = Vec::new();
    match target {
        "check" | "fix" => {
            let mut files = Vec::new();
            for dir in [
                "crates/kube-immutable-core/tests/fixtures",
                "examples",
                "presets",
            ] {
                files_under(&root.join(dir), &mut files);
            }
            let shared = std::env::var_os("KUBE_IMMUTABLE_CORPUS")
                .map_or_else(|| root.join("../shared/corpus"), PathBuf::from);
            if shared.is_dir() {
                files_under(&shared, &mut files);
            } else {
                println!(
                    "note: no shared corpus at {}: fixtures only",
                    shared.display()
                );
            }
            for file in files {
                if let Ok(bytes) = std::fs::read(&file) {
                    seeds.push((seed_name(root, &file), bytes));
                }
            }
        }
        "settings" => {
            let mut files = Vec::new();
            files_under(&root.join("presets"), &mut files);
            files_under(&admission, &mut files);
            files.retain(|f| {
                f.starts_with(root.join("presets"))
                    || f.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("settings-"))
            });
            for file in files {
                if let Ok(bytes) = std::fs::read(&file) {
                    seeds.push((seed_name(root, &file), bytes));
                }
            }
        }
        _ => {
            // Kubewarden's payload: each admission request with each settings.
            let mut files = Vec::new();
            files_under(&admission, &mut files);
            let (settings, requests): (Vec<_>, Vec<_>) = files.into_iter().partition(|f| {
                f.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("settings-"))
            });
            for request in &requests {
                let Ok(r) = std::fs::read_to_string(request) else {
                    continue;
                };
                seeds.push((seed_name(root, request), r.clone().into_bytes()));
                let mut wrap = |name: String, s: &str| {
                    let payload = format!("{{\"request\": {r}, \"settings\": {s}}}");
                    seeds.push((name, payload.into_bytes()));
                };
                wrap(format!("{}+no-settings", seed_name(root, request)), "{}");
                for s in &settings {
                    if let Ok(text) = std::fs::read_to_string(s) {
                        let name = format!("{}+{}", seed_name(root, request), seed_name(root, s));
                        wrap(name, &text);
                    }
                }
            }
        }
    }
    seeds.retain(|(_, bytes)| bytes.len() <= MAX_LEN);
    for (name, bytes) in &seeds {
        let path = corpus.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(seeds.len())
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

/// `seed-<path with / as _>`: one file per source, overwritten on each run.
fn seed_name(root: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(root).unwrap_or(file);
    let name: String = relative
        .to_string_lossy()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("seed-{name}")
}
