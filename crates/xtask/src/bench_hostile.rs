//! `cargo xtask bench-hostile [--runs N]`: issue #11's bounds, "a billion
//! laughs of any depth is refused in under 50 ms and under 32 MB peak
//! memory in the CLI".
//!
//! Builds the release CLI, writes the hostile inputs into
//! `target/tmp/bench-hostile/`, and runs `kube-immutable check` on each:
//! wall clock from spawn to exit (median of N runs after a warm-up), and the
//! peak resident memory that `/usr/bin/time -f %M` reports (the largest of
//! its runs). Fails when an alias bomb passes either bound, or when an input
//! is not refused with an input error (exit code 2).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEFAULT_RUNS: usize = 7;
const BOMB_MS: f64 = 50.0;
const BOMB_KIB: u64 = 32 * 1024;

struct Case {
    name: String,
    text: String,
    /// Held to the billion-laughs bounds.
    bomb: bool,
}

/// `depth` levels of `width` aliases of the level below, flow style.
fn billion_laughs(depth: usize, width: usize) -> String {
    let lol = vec!["lol"; width].join(", ");
    let mut text = format!("a0: &a0 [{lol}]\n");
    for level in 1..=depth {
        let prev = format!("*a{}", level - 1);
        text.push_str(&format!(
            "a{level}: &a{level} [{}]\n",
            vec![prev.as_str(); width].join(", ")
        ));
    }
    text.push_str(&format!("kind: Pod\nspec:\n  containers: *a{depth}\n"));
    text
}

/// The same through `<<` merge keys, block style.
fn merge_bomb(depth: usize) -> String {
    let mut text =
        String::from("a0: &a0 {k0: x, k1: x, k2: x, k3: x, k4: x, k5: x, k6: x, k7: x, k8: x}\n");
    for level in 1..=depth {
        let p = level - 1;
        text.push_str(&format!("a{level}: &a{level}\n"));
        for i in 0..9 {
            text.push_str(&format!("  k{i}: *a{p}\n"));
        }
        text.push_str(&format!("  <<: *a{p}\n"));
    }
    text
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (depth, width) in [(3, 30), (9, 9), (12, 9), (30, 9), (6, 100)] {
        cases.push(Case {
            name: format!("billion laughs, {depth} levels of {width}"),
            text: billion_laughs(depth, width),
            bomb: true,
        });
    }
    cases.push(Case {
        name: "merge-key bomb, 9 levels of 9".into(),
        text: merge_bomb(9),
        bomb: true,
    });
    cases.push(Case {
        name: "nesting 10,000 deep (YAML block)".into(),
        text: format!("{}x\n", "- ".repeat(10_000)),
        bomb: false,
    });
    cases.push(Case {
        name: "nesting 10,000 deep (JSON)".into(),
        text: format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        bomb: false,
    });
    // Text that gives the parser no event, 100 MB of it after a pod: refused
    // as soon as `max_input_bytes` of it was read (not held to the next
    // event), and the next document is still checked.
    let next = "---\nkind: Pod\nmetadata: {name: next}\nspec:\n  containers:\n  - {name: c, image: nginx, securityContext: {privileged: true}}\n";
    let hundred_mb = |head: &str, line: &str, tail: &str| {
        let mut big = String::with_capacity(100_000_000 + 2 * line.len() + next.len());
        big.push_str(head);
        while big.len() < 100_000_000 {
            big.push_str(line);
        }
        big.push_str(tail);
        big.push_str(next);
        big
    };
    cases.push(Case {
        name: "100 MB: a pod, then 1.5 million comment lines".into(),
        text: hundred_mb(
            "kind: Pod\nspec:\n  hostPID: true\n",
            "# padding padding padding padding padding padding padding padding\n",
            "",
        ),
        bomb: false,
    });
    cases.push(Case {
        name: "100 MB: a pod, then 100 million blank lines".into(),
        text: hundred_mb("kind: Pod\nspec:\n  hostPID: true\n", "\n", ""),
        bomb: false,
    });
    cases.push(Case {
        name: "100 MB: a ConfigMap with one block scalar".into(),
        text: hundred_mb(
            "kind: ConfigMap\ndata:\n  big: |\n",
            "    padding padding padding padding padding padding padding padding\n",
            "",
        ),
        bomb: false,
    });
    cases.push(Case {
        name: "100 MB: a Secret with one scalar on one line".into(),
        text: hundred_mb(
            "kind: Secret\ndata:\n  big: ",
            "cGFkZGluZyBwYWRkaW5nIHBhZGRpbmcgcGFkZGluZyBwYWRkaW5nIHBhZGRpbmcg",
            "\n",
        ),
        bomb: false,
    });
    cases.push(Case {
        name: "10 MB: a ConfigMap with one block scalar (max_scalar_bytes)".into(),
        text: {
            let mut text = String::from("kind: ConfigMap\ndata:\n  big: |\n");
            while text.len() < 10_000_000 {
                text.push_str(
                    "    padding padding padding padding padding padding padding padding\n",
                );
            }
            text.push_str(next);
            text
        },
        bomb: false,
    });
    cases
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut runs = DEFAULT_RUNS;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("bench-hostile: --runs needs a positive number")?;
            }
            other => {
                return Err(format!(
                    "bench-hostile: unknown argument `{other}` (usage: cargo xtask bench-hostile [--runs N])"
                ))
            }
        }
    }
    if !Path::new("/usr/bin/time").is_file() {
        return Err("bench-hostile: needs GNU time at /usr/bin/time (Debian: apt-get install time) for peak memory".into());
    }
    eprintln!("building the CLI (release)...");
    let status = crate::bench::cargo()
        .args(["build", "--release", "--quiet", "-p", "kube-immutable"])
        .status()
        .map_err(|e| format!("bench-hostile: cannot run cargo: {e}"))?;
    let cli = crate::bench::target_dir()
        .join("release")
        .join("kube-immutable");
    if !status.success() || !cli.is_file() {
        return Err("bench-hostile: the CLI did not build".into());
    }
    let dir = crate::bench::target_dir().join("tmp").join("bench-hostile");
    std::fs::create_dir_all(&dir).map_err(|e| format!("bench-hostile: {}: {e}", dir.display()))?;

    let mut table = String::from("| input | size | median | peak memory | first error |\n| --- | ---: | ---: | ---: | --- |\n");
    let mut failures = Vec::new();
    for (i, case) in cases().iter().enumerate() {
        let path = dir.join(format!("case-{i}.yaml"));
        std::fs::write(&path, &case.text)
            .map_err(|e| format!("bench-hostile: {}: {e}", path.display()))?;
        let (ms, kib, error) = measure(&cli, &path, runs)?;
        table.push_str(&format!(
            "| {} | {} | {ms:.1} ms | {:.1} MiB | {error} |\n",
            case.name,
            size(case.text.len()),
            kib as f64 / 1024.0
        ));
        if case.bomb && (ms >= BOMB_MS || kib >= BOMB_KIB) {
            failures.push(format!(
                "{}: {ms:.1} ms, {kib} KiB (bounds: {BOMB_MS} ms, {BOMB_KIB} KiB)",
                case.name
            ));
        }
        let _ = std::fs::remove_file(&path);
    }
    println!(
        "`cargo xtask bench-hostile --runs {runs}`, `kube-immutable check` (release), median of {runs} runs, peak RSS from /usr/bin/time, on {} ({} CPUs):\n\n{table}",
        crate::bench::cpu_model(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "bench-hostile: over the bounds:\n  {}",
            failures.join("\n  ")
        ))
    }
}

fn size(bytes: usize) -> String {
    if bytes >= 1_000_000 {
        format!("{} MB", bytes / 1_000_000)
    } else if bytes >= 1_000 {
        format!("{:.1} kB", bytes as f64 / 1_000.0)
    } else {
        format!("{bytes} B")
    }
}

/// Median wall time, peak RSS (KiB) and the first line of the error.
fn measure(cli: &Path, path: &PathBuf, runs: usize) -> Result<(f64, u64, String), String> {
    let once = || -> Result<Duration, String> {
        let start = Instant::now();
        let status = Command::new(cli)
            .args(["check", "--color", "never"])
            .arg(path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run {}: {e}", cli.display()))?;
        let elapsed = start.elapsed();
        match status.code() {
            Some(2) => Ok(elapsed),
            _ => Err(format!(
                "bench-hostile: {} was not refused with an input error ({status})",
                path.display()
            )),
        }
    };
    once()?;
    let samples = (0..runs).map(|_| once()).collect::<Result<Vec<_>, _>>()?;
    let mut peak = 0;
    for _ in 0..runs.min(3) {
        let out = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(cli)
            .args(["check", "--color", "never"])
            .arg(path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cannot run /usr/bin/time: {e}"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let kib: u64 = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| format!("bench-hostile: no peak memory from /usr/bin/time: {stderr}"))?;
        peak = peak.max(kib);
    }
    let out = Command::new(cli)
        .args(["check", "--color", "never"])
        .arg(path)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", cli.display()))?;
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let error = text
        .lines()
        .find(|l| l.starts_with("error"))
        .unwrap_or("")
        .replace('|', "\\|");
    Ok((crate::bench::median(samples), peak, error))
}
