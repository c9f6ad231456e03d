//! `cargo xtask bench-lsp [--runs N] [--binary PATH] [CORPUS_DIR]`: the language server's
//! speed and memory on the two 1 MB manifests `bench-web` builds from the
//! real-world corpus (its first YAML files in name order joined with
//! `---`: about 500 documents; and the same objects as the items of one
//! `List` document, what `kubectl get -o yaml` prints).
//!
//! For each manifest, a release `kube-immutable lsp` is started and
//! initialized as an editor does (push diagnostics, UTF-16), then N times:
//! `didOpen` of the manifest, and the time until its `publishDiagnostics`
//! has arrived whole (read from the pipe); a one-character edit (a letter
//! added to the first object's name, incremental sync), and the time until
//! the diagnostics of that version arrive; the edit undone, timed the same
//! way; `didClose`. Medians and minimums are printed, with the server's
//! memory (resident set after the first open, and its peak, from
//! `/proc/PID/status`) against the manifest's size. Goals (issue 22):
//! first diagnostics ≤ 100 ms, after an edit ≤ 10 ms, memory ≤ 10× the
//! file. Benchmarks measure: nothing fails on a figure.
//!
//! `--binary PATH` measures that build of `kube-immutable` instead of
//! building the release one (to compare two versions, run alternately under
//! the same load); the load average is printed before and after.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::bench::{cpu_model, median};

const TARGET: usize = 1024 * 1024;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut runs = 11;
    let mut corpus = None;
    let mut binary = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("bench-lsp: --runs needs a positive number")?;
            }
            "--binary" => {
                binary = Some(PathBuf::from(
                    args.next().ok_or("bench-lsp: --binary needs a path")?,
                ));
            }
            other => corpus = Some(PathBuf::from(other)),
        }
    }
    let root = crate::workspace_root();
    let corpus = corpus
        .or_else(|| std::env::var_os("KUBE_IMMUTABLE_CORPUS").map(PathBuf::from))
        .unwrap_or_else(|| root.join("../shared/corpus"));
    let (stream, source) = manifest(&corpus)?;
    let list = as_list(&stream);

    let binary = match binary {
        Some(binary) => binary,
        None => {
            let status = Command::new(env!("CARGO"))
                .current_dir(&root)
                .args(["build", "--release", "--locked", "-p", "kube-immutable"])
                .status()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !status.success() {
                return Err("the release build failed".into());
            }
            root.join("target/release/kube-immutable")
        }
    };

    println!("binary:    {}", binary.display());
    println!("manifests: {source}");
    println!("load average at the start: {}", load_average());
    println!(
        "machine:   {} CPU(s), {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        cpu_model()
    );
    println!("runs:      {runs} per row, median and minimum");
    println!();
    println!("| what | median | min | goal |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, text) in [("1 MB stream", &stream), ("1 MB `List`", &list)] {
        let m = measure(&binary, text, runs)?;
        let ms = |d: &[Duration]| {
            let min = d.iter().min().copied().unwrap_or_default();
            (median(d.to_vec()), min.as_secs_f64() * 1000.0)
        };
        let (open, open_min) = ms(&m.open);
        let (edit, edit_min) = ms(&m.edit);
        let (open_cpu, open_cpu_min) = ms(&m.open_cpu);
        let (edit_cpu, edit_cpu_min) = ms(&m.edit_cpu);
        println!(
            "| {name} ({} bytes, {} objects, {} diagnostics): `didOpen` to diagnostics | {open:.1} ms | {open_min:.1} ms | ≤ 100 ms |",
            text.len(),
            m.objects,
            m.diagnostics
        );
        println!("| {name}: the same, the server's CPU time | {open_cpu:.1} ms | {open_cpu_min:.1} ms | |");
        println!("| {name}: one-character edit to new diagnostics | {edit:.1} ms | {edit_min:.1} ms | ≤ 10 ms |");
        println!("| {name}: the same, the server's CPU time | {edit_cpu:.1} ms | {edit_cpu_min:.1} ms | |");
        println!(
            "| {name}: server memory with it open, beyond the idle server's {:.1} MB | resident {:.1} MB ({:.1}×) | peak {:.1} MB ({:.1}×) | ≤ 10× |",
            m.idle as f64 / 1e6,
            (m.rss - m.idle) as f64 / 1e6,
            (m.rss - m.idle) as f64 / text.len() as f64,
            (m.peak - m.idle) as f64 / 1e6,
            (m.peak - m.idle) as f64 / text.len() as f64,
        );
    }
    println!();
    println!("load average at the end: {}", load_average());
    Ok(())
}

/// The 1, 5 and 15 minutes load averages.
fn load_average() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    load.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The manifest `bench-web` pastes: the corpus's first YAML files in name
/// order joined with `---`, up to 1 MiB.
fn manifest(corpus: &Path) -> Result<(String, String), String> {
    let realworld = corpus.join("realworld");
    if !realworld.is_dir() {
        return Err(format!(
            "no corpus at {}: give CORPUS_DIR or set KUBE_IMMUTABLE_CORPUS",
            corpus.display()
        ));
    }
    let mut files = Vec::new();
    walk(&realworld, &mut files);
    let mut text = String::new();
    for file in files {
        let Ok(body) = std::fs::read_to_string(&file) else {
            continue;
        };
        if text.len() + body.len() > TARGET * 105 / 100 {
            continue;
        }
        if !text.is_empty() {
            text.push_str("\n---\n");
        }
        text.push_str(&body);
        if text.len() >= TARGET {
            break;
        }
    }
    Ok((
        text,
        format!("{} (first YAML files in name order)", realworld.display()),
    ))
}

/// YAML files under `dir`, entries in name order (case-insensitive, as
/// `localeCompare` in bench-web orders them for these names).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name().to_string_lossy().to_lowercase());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// The same objects as the items of one `List` (bench-web's `asList`).
fn as_list(stream: &str) -> String {
    let mut items = Vec::new();
    let mut doc = String::new();
    let mut flush = |doc: &mut String| {
        let kept: Vec<&str> = doc
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let body = kept.join("\n");
        let body = body.trim_end();
        if body.starts_with(|c: char| c.is_ascii_alphabetic()) {
            let item: Vec<String> = body
                .lines()
                .enumerate()
                .map(|(i, l)| format!("{}{l}", if i == 0 { "- " } else { "  " }))
                .collect();
            items.push(item.join("\n"));
        }
        doc.clear();
    };
    for line in stream.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        if bare
            .strip_prefix("---")
            .is_some_and(|r| r.trim().is_empty())
        {
            flush(&mut doc);
        } else {
            doc.push_str(line);
        }
    }
    flush(&mut doc);
    format!("apiVersion: v1\nkind: List\nitems:\n{}\n", items.join("\n"))
}

struct Measured {
    open: Vec<Duration>,
    edit: Vec<Duration>,
    /// CPU time the server's threads spent on each (from schedstat): what
    /// the wall clock would be on an idle machine, minus the pipe.
    open_cpu: Vec<Duration>,
    edit_cpu: Vec<Duration>,
    diagnostics: usize,
    objects: usize,
    /// Resident set of the idle server (initialized, nothing open).
    idle: u64,
    rss: u64,
    peak: u64,
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: i64,
}

impl Server {
    fn send(&mut self, message: &Value) -> Result<(), String> {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("cannot write to the server: {e}"))
    }

    fn notify(&mut self, method: &str, params: Value) -> Result<(), String> {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}))
    }

    fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))?;
        loop {
            let message = self.read()?;
            if message["id"] == id && message.get("method").is_none() {
                return Ok(message["result"].clone());
            }
        }
    }

    /// The next message, parsed.
    fn read(&mut self) -> Result<Value, String> {
        let body = self.read_body()?;
        serde_json::from_slice(&body).map_err(|e| format!("not JSON from the server: {e}"))
    }

    fn read_body(&mut self) -> Result<Vec<u8>, String> {
        let mut length = None;
        loop {
            let mut line = String::new();
            let n = self
                .stdout
                .read_line(&mut line)
                .map_err(|e| format!("cannot read from the server: {e}"))?;
            if n == 0 {
                return Err("the server closed its output".into());
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse::<usize>().ok();
            }
        }
        let mut body = vec![0; length.ok_or("a message without Content-Length")?];
        self.stdout
            .read_exact(&mut body)
            .map_err(|e| format!("cannot read from the server: {e}"))?;
        Ok(body)
    }

    /// Waits for the diagnostics of `uri` at `version`: the time it took
    /// from `since`, and their number.
    fn diagnostics(
        &mut self,
        uri: &str,
        version: i64,
        since: Instant,
    ) -> Result<(Duration, usize), String> {
        loop {
            let body = self.read_body()?;
            let elapsed = since.elapsed();
            let message: Value =
                serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))?;
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
                && message["params"]["version"] == version
            {
                let n = message["params"]["diagnostics"]
                    .as_array()
                    .map_or(0, Vec::len);
                return Ok((elapsed, n));
            }
        }
    }

    /// CPU time of all the server's threads so far (`/proc/PID/task/*/schedstat`,
    /// nanoseconds on the CPU).
    fn cpu(&self) -> Duration {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.child.id()));
        let ns: u64 = tasks
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
            .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .sum();
        Duration::from_nanos(ns)
    }

    /// Resident set size and its peak, in bytes.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
                .map_or(0, |kb| kb * 1024)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

fn measure(binary: &Path, text: &str, runs: usize) -> Result<Measured, String> {
    let mut child = Command::new(binary)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut server = Server {
        child,
        stdin,
        stdout,
        next_id: 0,
    };
    server.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    )?;
    server.notify("initialized", json!({}))?;

    // The edit: a letter added at the end of the first `name:` line.
    let (line, character) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("name:"))
        .map(|(i, l)| (i, l.encode_utf16().count()))
        .ok_or("no `name:` line to edit")?;
    let at = json!({"line": line, "character": character});
    let after = json!({"line": line, "character": character + 1});
    let objects =
        kube_immutable_core::check_text(text, &kube_immutable_core::Settings::default()).objects;

    let mut m = Measured {
        open: Vec::new(),
        edit: Vec::new(),
        open_cpu: Vec::new(),
        edit_cpu: Vec::new(),
        diagnostics: 0,
        objects,
        idle: server.memory().0,
        rss: 0,
        peak: 0,
    };
    for run in 0..runs {
        let uri = format!("untitled:bench-{run}.yaml");
        let cpu = server.cpu();
        let since = Instant::now();
        server.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}),
        )?;
        let (took, n) = server.diagnostics(&uri, 1, since)?;
        m.open.push(took);
        m.open_cpu.push(server.cpu().saturating_sub(cpu));
        m.diagnostics = n;
        if run == 0 {
            (m.rss, m.peak) = server.memory();
        }
        for (version, change) in [
            (2, json!({"range": {"start": at, "end": at}, "text": "x"})),
            (3, json!({"range": {"start": at, "end": after}, "text": ""})),
        ] {
            let cpu = server.cpu();
            let since = Instant::now();
            server.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
            )?;
            let (took, _) = server.diagnostics(&uri, version, since)?;
            m.edit.push(took);
            m.edit_cpu.push(server.cpu().saturating_sub(cpu));
        }
        server.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        )?;
    }
    server.request("shutdown", Value::Null)?;
    server.notify("exit", Value::Null)?;
    let _ = server.child.wait();
    Ok(m)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_stream_becomes_one_list() {
        let stream = "# c\napiVersion: v1\nkind: Pod\n---\n\n---\napiVersion: v1\nkind: Service\nspec:\n  x: 1\n";
        assert_eq!(
            super::as_list(stream),
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n- apiVersion: v1\n  kind: Service\n  spec:\n    x: 1\n"
        );
    }
}
