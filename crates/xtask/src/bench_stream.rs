//! The streaming half of `cargo xtask bench` (issue 25): input of any size
//! in bounded memory.
//!
//! From the real-world corpus, the objects that are a document of their
//! own and read strictly (one mapping with a `kind`, no tab, no `...`, no
//! input error, no error from saphyr's parser: nothing that needs kubectl's
//! leniency), then:
//!
//! - **a stream**: those documents joined with `---` lines, repeated to
//!   `--stream-bytes` (1 GB), written to `kube-immutable check --format json
//!   -` through a pipe as it reads, as `kubectl get -o yaml` or `helm
//!   template` would pipe it;
//! - **a `List`**: the same objects as the items of one `List` document,
//!   in kubectl's order (`items` before `kind: List`), the same size;
//! - **a 10 MB file** of each, given as a path.
//!
//! Each run is timed from spawn to exit and its peak resident memory
//! measured by GNU time (`/usr/bin/time -f %M`); both runs must report the
//! same objects and findings. Budgets: the stream and the `List` at most
//! 150 MB and at least 60 MB/s; a 10 MB file at most 3× its size plus
//! 30 MB. The task fails above them (the machine's load is printed: a
//! loaded machine is slower).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use kube_immutable_core::stream::Splitter;
use kube_immutable_core::{yaml, Limits};

/// Peak memory of the stream and the `List`, at most (bytes).
const BUDGET_PEAK: u64 = 150 * 1_000_000;
/// Throughput of the stream and the `List`, at least (MB/s).
const BUDGET_SPEED: f64 = 60.0;
/// A file of `n` bytes: peak memory at most 3n + 30 MB.
fn budget_file(n: usize) -> u64 {
    3 * n as u64 + 30 * 1_000_000
}

/// The corpus's objects, as stream documents and as `List` items.
pub(crate) struct Objects {
    /// How many (when counted).
    pub(crate) count: usize,
    /// The documents joined with `---` lines.
    pub(crate) stream: String,
    /// The same as `List` items (`- ` and two spaces).
    pub(crate) items: String,
}

/// The objects of `texts` (the corpus's files) that read strictly.
pub(crate) fn objects(texts: &[String]) -> Objects {
    let limits = Limits::default();
    let mut docs = Vec::new();
    for text in texts {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut splitter = Splitter::default();
        let mut starts = Vec::new();
        splitter.feed(text, &mut starts);
        splitter.finish(&mut starts);
        let mut cuts: Vec<usize> = vec![splitter.stream_start().offset];
        cuts.extend(starts.iter().map(|o| o.offset));
        cuts.push(text.len());
        for pair in cuts.windows(2) {
            if let Some(doc) = strict_document(&text[pair[0]..pair[1]], &limits) {
                docs.push(doc);
            }
        }
    }
    let stream = docs.join("---\n");
    let mut items = String::with_capacity(stream.len() + stream.len() / 8);
    for doc in &docs {
        for (i, line) in doc.lines().enumerate() {
            if i == 0 {
                items.push_str("- ");
            } else if !line.is_empty() {
                items.push_str("  ");
            }
            items.push_str(line);
            items.push('\n');
        }
    }
    Objects {
        count: docs.len(),
        stream,
        items,
    }
}

/// A chunk's document, from its first key to its end, if it reads strictly.
fn strict_document(chunk: &str, limits: &Limits) -> Option<String> {
    let body: Vec<&str> = chunk
        .lines()
        .skip_while(|l| l.starts_with("---") || l.trim().is_empty() || l.starts_with('#'))
        .collect();
    let first = body.first()?;
    if first.starts_with([' ', '[', '{', '-', '%', '.', '"', '\''])
        || body
            .iter()
            .any(|l| l.contains('\t') || l.starts_with("..."))
    {
        return None;
    }
    let doc = body.join("\n") + "\n";
    let mut parser = saphyr_parser::Parser::new_from_str(&doc);
    while let Some(event) = parser.next_event() {
        event.ok()?;
    }
    let (documents, errors) = yaml::parse_stream(&doc, limits);
    let [document] = documents.as_slice() else {
        return None;
    };
    (errors.is_empty() && document.root.get("kind").is_some()).then_some(doc)
}

/// What one run of the CLI did.
pub(crate) struct Measured {
    pub(crate) seconds: f64,
    pub(crate) peak_kib: u64,
    pub(crate) summary: serde_json::Value,
}

/// `kube-immutable check --format json --config <config> -`, its standard
/// input written from `unit` repeated to `bytes` (with `head` first and
/// `tail` last), its output read and dropped but the summary.
pub(crate) fn measure_stdin(
    cli: &Path,
    config: &Path,
    head: &str,
    unit: &str,
    tail: &str,
    bytes: usize,
) -> Result<Measured, String> {
    let start = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(cli)
        .args(["check", "--format", "json", "--config"])
        .arg(config)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run /usr/bin/time {}: {e}", cli.display()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let (head, unit, tail) = (head.to_owned(), unit.to_owned(), tail.to_owned());
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        stdin.write_all(head.as_bytes())?;
        let mut written = head.len();
        while written < bytes {
            stdin.write_all(unit.as_bytes())?;
            written += unit.len();
        }
        stdin.write_all(tail.as_bytes())
    });
    let summary = read_summary(child.stdout.take().ok_or("no stdout")?)?;
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(|e| format!("the CLI failed: {e}"))?;
    let seconds = start.elapsed().as_secs_f64();
    writer
        .join()
        .map_err(|_| "the writer panicked".to_owned())?
        .map_err(|e| format!("cannot write the CLI's input: {e}"))?;
    finish(status, &stderr, seconds, summary)
}

/// `kube-immutable check --format json --config <config> <file>`.
pub(crate) fn measure_file(cli: &Path, config: &Path, file: &Path) -> Result<Measured, String> {
    let start = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(cli)
        .args(["check", "--format", "json", "--config"])
        .arg(config)
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run /usr/bin/time {}: {e}", cli.display()))?;
    let summary = read_summary(child.stdout.take().ok_or("no stdout")?)?;
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(|e| format!("the CLI failed: {e}"))?;
    finish(status, &stderr, start.elapsed().as_secs_f64(), summary)
}

fn finish(
    status: std::process::ExitStatus,
    stderr: &str,
    seconds: f64,
    summary: serde_json::Value,
) -> Result<Measured, String> {
    // 0, 1 (findings) or 2 (the corpus has duplicate keys): all ran.
    if !matches!(status.code(), Some(0..=2)) {
        return Err(format!("the CLI ended with {status}: {stderr}"));
    }
    let peak_kib = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| format!("no peak memory from /usr/bin/time: {stderr}"))?;
    Ok(Measured {
        seconds,
        peak_kib,
        summary,
    })
}

/// The `summary` object at the end of the CLI's JSON, the rest dropped.
fn read_summary(mut out: impl Read) -> Result<serde_json::Value, String> {
    let mut tail: Vec<u8> = Vec::new();
    let mut block = vec![0u8; 1 << 16];
    loop {
        let n = out
            .read(&mut block)
            .map_err(|e| format!("cannot read the CLI's output: {e}"))?;
        if n == 0 {
            break;
        }
        tail.extend_from_slice(&block[..n]);
        if tail.len() > 1 << 17 {
            tail.drain(..tail.len() - (1 << 16));
        }
    }
    let text = String::from_utf8_lossy(&tail);
    let at = text
        .rfind("\"summary\": ")
        .ok_or("the CLI's output has no summary")?;
    let rest = text[at + "\"summary\": ".len()..].trim_end();
    let object = rest.strip_suffix('}').unwrap_or(rest);
    serde_json::from_str(object).map_err(|e| format!("bad summary in the CLI's output: {e}"))
}

/// One row of the streaming table.
pub(crate) struct Row {
    pub(crate) what: String,
    pub(crate) bytes: usize,
    pub(crate) measured: Measured,
    /// Peak memory allowed, and throughput required (MB/s).
    pub(crate) peak_budget: u64,
    pub(crate) speed_budget: Option<f64>,
}

impl Row {
    pub(crate) fn speed(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.measured.seconds
    }

    pub(crate) fn peak(&self) -> u64 {
        self.measured.peak_kib * 1024
    }

    /// What is over its budget.
    pub(crate) fn over(&self) -> Vec<String> {
        let mut over = Vec::new();
        if self.peak() > self.peak_budget {
            over.push(format!(
                "{}: peak memory {:.1} MB (budget {:.0} MB)",
                self.what,
                self.peak() as f64 / 1e6,
                self.peak_budget as f64 / 1e6
            ));
        }
        if let Some(budget) = self.speed_budget {
            if self.speed() < budget {
                over.push(format!(
                    "{}: {:.1} MB/s (budget {budget} MB/s)",
                    self.what,
                    self.speed()
                ));
            }
        }
        over
    }
}

/// Where the in-process half leaves the objects for the streaming rows.
pub(crate) fn units_dir() -> std::path::PathBuf {
    crate::bench::target_dir().join("tmp").join("bench-stream")
}

/// Write the objects of `texts` for [`rows`]; returns how many.
pub(crate) fn write_units(texts: &[String]) -> Result<usize, String> {
    let objects = objects(texts);
    let dir = units_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in [
        ("stream.yaml", &objects.stream),
        ("items.yaml", &objects.items),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(objects.count)
}

/// The streaming rows: a stream and a `List` of `bytes` on standard input,
/// and a 10 MB file of each, from what [`write_units`] wrote.
pub(crate) fn rows(cli: &Path, config: &Path, bytes: usize) -> Result<Vec<Row>, String> {
    let tmp = units_dir();
    let read = |name: &str| {
        let path = tmp.join(name);
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    };
    let objects = Objects {
        count: 0,
        stream: read("stream.yaml")?,
        items: read("items.yaml")?,
    };
    eprintln!(
        "streaming {:.0} MB of the objects that read strictly ({:.1} MB as a stream)...",
        bytes as f64 / 1e6,
        objects.stream.len() as f64 / 1e6,
    );
    let tmp = tmp.as_path();
    let stream_unit = format!("{}---\n", objects.stream);
    let list_head = "apiVersion: v1\nitems:\n";
    let list_tail = "kind: List\nmetadata:\n  resourceVersion: \"\"\n";
    let mut rows = Vec::new();
    // The whole stream: the CLI's `max_documents` (1,000,000) holds a
    // gigabyte of these objects (~5 KB each, ~200,000 documents).
    let per_unit = stream_unit.lines().filter(|l| *l == "---").count().max(1);
    let stream_bytes = bytes;
    let documents = bytes.div_ceil(stream_unit.len()) * per_unit;
    if documents > Limits::default().max_documents {
        return Err(format!(
            "the stream would be {documents} documents, more than the CLI's max_documents ({}): ask for fewer bytes",
            Limits::default().max_documents
        ));
    }
    let stream = measure_stdin(cli, config, "", &stream_unit, "", stream_bytes)?;
    rows.push(Row {
        what: format!("{} MB stream on stdin", stream_bytes / 1_000_000),
        bytes: stream_bytes.div_ceil(stream_unit.len()) * stream_unit.len(),
        measured: stream,
        peak_budget: BUDGET_PEAK,
        speed_budget: Some(BUDGET_SPEED),
    });
    let list = measure_stdin(cli, config, list_head, &objects.items, list_tail, bytes)?;
    rows.push(Row {
        what: format!("{} MB `List` on stdin", bytes / 1_000_000),
        bytes: list_head.len()
            + bytes.div_ceil(objects.items.len()) * objects.items.len()
            + list_tail.len(),
        measured: list,
        peak_budget: BUDGET_PEAK,
        speed_budget: Some(BUDGET_SPEED),
    });
    // The same objects: the same counts per copy of the corpus's objects.
    let counts = |m: &Measured, units: usize| {
        ["objects", "errors", "warnings", "fixable", "fixable_unsafe"].map(|k| {
            m.summary
                .get(k)
                .and_then(serde_json::Value::as_u64)
                .map(|n| (n / units as u64, n % units as u64))
        })
    };
    let stream_units = stream_bytes.div_ceil(stream_unit.len());
    let list_units = bytes.div_ceil(objects.items.len());
    let (stream_counts, list_counts) = (
        counts(&rows[0].measured, stream_units),
        counts(&rows[1].measured, list_units),
    );
    if stream_counts != list_counts {
        return Err(format!(
            "the stream and the List of the same objects differ: {:?} and {:?}",
            rows[0].measured.summary, rows[1].measured.summary
        ));
    }
    // A 10 MB file of each.
    std::fs::create_dir_all(tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let ten = 10_000_000;
    for (name, head, unit, tail) in [
        ("stream", "", stream_unit.as_str(), ""),
        ("List", list_head, objects.items.as_str(), list_tail),
    ] {
        let mut text = String::from(head);
        while text.len() < ten - tail.len() {
            let room = ten - tail.len() - text.len();
            let piece = if unit.len() <= room {
                unit
            } else {
                // Whole objects only: cut at an object's start.
                let cut = unit[..room]
                    .rfind(if name == "stream" { "\n---\n" } else { "\n- " })
                    .map_or(0, |i| i + 1);
                &unit[..cut]
            };
            if piece.is_empty() {
                break;
            }
            text.push_str(piece);
        }
        text.push_str(tail);
        let path = tmp.join(format!("10mb-{}.yaml", name.to_lowercase()));
        std::fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
        let measured = measure_file(cli, config, &path)?;
        rows.push(Row {
            what: format!("10 MB {name} file"),
            bytes: text.len(),
            measured,
            peak_budget: budget_file(text.len()),
            speed_budget: None,
        });
        let _ = std::fs::remove_file(&path);
    }
    Ok(rows)
}
