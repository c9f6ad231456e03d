//! A large stream on standard input is checked whole, in bounded memory
//! (issue 25): `kubectl get -A -o yaml | kube-immutable check -`.
//!
//! The stream is generated as it is written (200 MB by default;
//! `KUBE_IMMUTABLE_STREAM_TEST_MB` changes it), the child's peak resident
//! memory read from `/proc/<pid>/status` (`VmHWM`) while it runs, and its
//! summary compared with the counts of one unit of the stream times the
//! number of units: every document was read and checked.

// Helpers outside #[test] fns unwrap too: a panic here is a failing test.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_kube-immutable");

/// Peak resident memory allowed: the goal for a stream of any size.
const PEAK_LIMIT_KB: u64 = 150 * 1000;

/// An immutable pod (no finding), with a name that varies.
fn clean_pod(i: usize) -> String {
    format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: web-{i}
  namespace: shop
  labels: {{app: web, tier: frontend}}
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile: {{type: RuntimeDefault}}
  containers:
  - name: web
    image: nginxinc/nginx-unprivileged@sha256:0d2ee8f7bda0e1ee1b5a3e5d9b3c4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e
    ports: [{{containerPort: 8080}}]
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {{drop: [ALL]}}
    volumeMounts:
    - {{name: cache, mountPath: /var/cache/nginx}}
  volumes:
  - {{name: cache, emptyDir: {{}}}}
"
    )
}

/// One unit of the stream: clean pods, a privileged one, and a `List` in
/// kubectl's order (`items` before `kind: List`). Mostly `List` items: a
/// stream's documents and a `List`'s items are read the same way, and the
/// items are the longer path.
fn unit() -> String {
    let mut out = String::new();
    for i in 0..10 {
        out.push_str(&clean_pod(i));
        out.push_str("---\n");
    }
    out.push_str(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: root}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: {privileged: true}\n---\n",
    );
    out.push_str("apiVersion: v1\nitems:\n");
    for i in 0..200 {
        for (n, line) in clean_pod(i).lines().enumerate() {
            out.push_str(if n == 0 { "- " } else { "  " });
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n---\n");
    out
}

/// `VmHWM` of a running process, in kB.
fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `check --format json -` on `units` copies of `unit` written to its
/// standard input; returns the summary, the exit code and the peak RSS
/// seen (kB).
fn check_stdin(unit: &str, units: usize) -> (serde_json::Value, i32, u64) {
    let unit = unit.to_owned();
    let (json, code, peak) = check_written(move |stdin| {
        for _ in 0..units {
            stdin.write_all(unit.as_bytes()).unwrap();
        }
    });
    (json["summary"].clone(), code, peak)
}

/// Runs `check --format json -` on what `write` writes to its standard
/// input; returns the report, the exit code and the peak RSS seen (kB).
fn check_written(
    write: impl FnOnce(&mut std::process::ChildStdin) + Send + 'static,
) -> (serde_json::Value, i32, u64) {
    let mut child = Command::new(BIN)
        .args(["check", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || write(&mut stdin));
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    let mut peak = 0;
    while !writer.is_finished() || !reader.is_finished() {
        if let Some(kb) = peak_kb(pid) {
            peak = peak.max(kb);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    writer.join().unwrap();
    let out = reader.join().unwrap();
    let status = child.wait().unwrap();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    (json, status.code().unwrap(), peak)
}

/// Peak resident memory allowed for a document refused past
/// `max_input_bytes` (64 MiB): what is held of it, and the rest.
const LONG_DOCUMENT_PEAK_KB: u64 = 64 * 1049 + 50 * 1000;

/// A pod, then 100 MB of comment lines (1.5 million): text that gives the
/// parser no event. Refused with `max_input_bytes` as soon as 64 MiB of it
/// was read, where the pod's events stood, in memory bounded by the limit
/// (not held to its end: 3× its size before); the document after it is
/// still checked.
#[test]
fn a_document_of_comments_past_the_limit_is_refused_as_it_is_read() {
    if !std::path::Path::new("/proc/self/status").is_file() {
        eprintln!("SKIPPED: no /proc here to measure the peak memory of the CLI");
        return;
    }
    let started = std::time::Instant::now();
    let (json, code, peak) = check_written(|stdin| {
        stdin
            .write_all(b"apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  hostPID: true\n")
            .unwrap();
        let line = "# padding padding padding padding padding padding padding padding\n";
        let block = line.repeat(16 * 1024);
        for _ in 0..100_000_000 / block.len() {
            stdin.write_all(block.as_bytes()).unwrap();
        }
        stdin
            .write_all(b"---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers:\n  - {name: c, image: nginx, securityContext: {privileged: true}}\n")
            .unwrap();
    });
    eprintln!(
        "a pod and 100 MB of comments on stdin: {:.1} s, peak RSS {:.1} MB",
        started.elapsed().as_secs_f64(),
        peak as f64 / 1000.0
    );
    assert_eq!(code, 2, "{json}");
    let errors = json["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{json}");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("longer than 67108864 bytes (max_input_bytes)"),
        "{message}"
    );
    // Where the pod's events stood, not past the comments.
    assert_eq!(errors[0]["line"], 5, "{json}");
    let findings = json["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "privileged" && f["name"] == "b" && f["document"] == 1),
        "{json}"
    );
    assert!(
        !findings.iter().any(|f| f["name"] == "a"),
        "the refused pod was checked: {json}"
    );
    assert!(peak > 0, "no peak memory read from /proc/{{pid}}/status");
    assert!(
        peak <= LONG_DOCUMENT_PEAK_KB,
        "peak RSS {peak} kB over {LONG_DOCUMENT_PEAK_KB} kB"
    );
}

#[test]
fn a_200_mb_stream_on_stdin_is_checked_in_bounded_memory() {
    if !std::path::Path::new("/proc/self/status").is_file() {
        eprintln!("SKIPPED: no /proc here to measure the peak memory of the CLI");
        return;
    }
    let mb: usize = std::env::var("KUBE_IMMUTABLE_STREAM_TEST_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let unit = unit();
    let units = (mb * 1_000_000).div_ceil(unit.len());
    let (one, code_one, _) = check_stdin(&unit, 1);
    assert_eq!(one["objects"], 211, "{one}");
    assert!(one["errors"].as_u64().unwrap() > 0, "{one}");
    let (all, code, peak) = check_stdin(&unit, units);
    let times = |key: &str| one[key].as_u64().unwrap() * units as u64;
    for key in ["objects", "errors", "warnings", "fixable", "fixable_unsafe"] {
        assert_eq!(all[key].as_u64(), Some(times(key)), "{key}: {all}");
    }
    assert_eq!(all["input_errors"], 0, "{all}");
    assert_eq!(all["files"], 1, "{all}");
    assert_eq!(code, code_one);
    eprintln!(
        "{:.0} MB on stdin ({} objects): peak RSS {:.1} MB",
        (unit.len() * units) as f64 / 1e6,
        all["objects"],
        peak as f64 / 1000.0
    );
    assert!(peak > 0, "no peak memory read from /proc/{{pid}}/status");
    assert!(
        peak <= PEAK_LIMIT_KB,
        "peak RSS {peak} kB over {PEAK_LIMIT_KB} kB for {mb} MB"
    );
}
