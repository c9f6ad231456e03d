//! `cargo xtask bench-admission [--duration SECS] [--rounds N] [--concurrency 1,8,32]`:
//! admissions per second and latency, as an operator measures them, for our
//! policy and, in the same policy-server and the same run, the five official
//! Kubewarden policies that together cover the seven rules.
//!
//! 1. `cargo xtask build-policy` (the annotated module; needs kwctl), then
//!    this task re-runs itself as a release build (the load generator must
//!    not be a debug build).
//! 2. One `policy-server` on 127.0.0.1 (plain HTTP, `--workers 2`) loads
//!    `kube-immutable` (validate mode, default settings), `kube-immutable-
//!    mutate` (safe fixes) and `pod-privileged`,
//!    `allow-privilege-escalation-psp`, `readonly-root-filesystem-psp`,
//!    `host-namespaces-psp`, `user-group-psp` from
//!    `../shared/tools/kubewarden/official-policies/` (or
//!    `$KUBEWARDEN_OFFICIAL_POLICIES`), with the settings the immutability
//!    rules need, the mutating ones `allowedToMutate: true`.
//! 3. Every admission fixture goes to every policy once: each answer is
//!    printed beside what the seven rules say (our policy's findings, mapped
//!    to the rules each official policy covers), and the disagreements are
//!    listed.
//! 4. The load: for each concurrency, a warm-up second per target, then
//!    `--rounds` (default 10) rounds that each give every target
//!    `--duration / --rounds` seconds in turn (default 10 s per target in
//!    all), so that other work on the machine falls on every target alike.
//!    The request is a Deployment AdmissionReview
//!    (`tests/fixtures/admission/deployment.json`), sent over `c`
//!    keep-alive HTTP/1.1 connections, each waiting for its answer before
//!    the next request (a closed loop, as `oha -c` does). The target "the
//!    five together" sends each admission to the five official policies
//!    one after the other: the work a cluster asks of policy-server for one
//!    admission. Every answer is checked (HTTP 200 and the verdict seen in
//!    step 3); anything else is an error.
//!    policy-server's own CPU time (`/proc/<pid>/stat`) is read around each
//!    slice: its CPU time per admission does not depend on what else the
//!    machine does, as latency does.
//! 5. policy-server's RSS after start-up and its peak (`VmHWM`); then, for
//!    memory alone, one server with our policy only and one with the five
//!    only, each loaded at concurrency 8 for `--duration`.
//! 6. A Markdown table, the goals (our admissions/s at least 5× the five
//!    together's, our p99 at or below the fastest official policy's, no
//!    error, no verdict against the rules), and
//!    `target/bench-admission/results.json`. The task fails when a goal is
//!    missed.
//!
//! The load generator shares the machine with policy-server: on 2 cores
//! both compete, as they did for the figures in `policy-wasm/README.md`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::kubewarden;
use crate::workspace_root;

const USAGE: &str = "usage: cargo xtask bench-admission [--duration SECS] [--rounds N] \
     [--concurrency 1,8,32] [--request FIXTURE]";

/// The five official policies, their settings for the immutability rules
/// (from `../shared/tools/kubewarden/README.md`), whether they mutate, and
/// the rules of ours each covers.
const OFFICIAL: [(&str, &str, bool, &[&str]); 5] = [
    ("pod-privileged", "{}", false, &["privileged"]),
    (
        "allow-privilege-escalation-psp",
        "{}",
        true,
        &["allow-privilege-escalation"],
    ),
    (
        "readonly-root-filesystem-psp",
        "{}",
        false,
        &["writable-root-filesystem"],
    ),
    (
        "host-namespaces-psp",
        r#"{"allow_host_ipc": false, "allow_host_network": false, "allow_host_pid": false}"#,
        false,
        &["host-namespaces"],
    ),
    (
        "user-group-psp",
        r#"{"run_as_user": {"rule": "MustRunAsNonRoot"}, "run_as_group": {"rule": "RunAsAny"}, "supplemental_groups": {"rule": "RunAsAny"}}"#,
        true,
        &["run-as-root", "may-run-as-root"],
    ),
];

const OURS: &str = "kube-immutable";
const OURS_MUTATE: &str = "kube-immutable-mutate";
const FIVE: &str = "the five together";

#[derive(Debug, Clone)]
struct Options {
    duration: Duration,
    rounds: usize,
    concurrency: Vec<usize>,
    request: String,
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut options = Options {
        duration: Duration::from_secs(10),
        rounds: 10,
        concurrency: vec![1, 8, 32],
        request: "deployment.json".to_owned(),
    };
    let mut release_run = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--release-run" => release_run = true,
            "--duration" => {
                let secs: f64 = rest
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|v: &f64| *v > 0.0)
                    .ok_or(USAGE)?;
                options.duration = Duration::from_secs_f64(secs);
            }
            "--concurrency" => {
                options.concurrency = rest
                    .next()
                    .ok_or(USAGE)?
                    .split(',')
                    .map(|c| c.trim().parse().ok().filter(|c| *c > 0))
                    .collect::<Option<Vec<usize>>>()
                    .ok_or(USAGE)?;
            }
            "--request" => options.request = rest.next().ok_or(USAGE)?.clone(),
            "--rounds" => {
                options.rounds = rest
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|v| *v > 0)
                    .ok_or(USAGE)?;
            }
            other => {
                return Err(format!(
                    "bench-admission: unknown argument `{other}`\n{USAGE}"
                ))
            }
        }
    }
    if !release_run {
        crate::policy::run(&[])?;
        if cfg!(debug_assertions) {
            return rerun_in_release(args);
        }
    }
    bench(&options)
}

/// `cargo run --release -p xtask -- bench-admission --release-run ARGS`.
fn rerun_in_release(args: &[String]) -> Result<(), String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["run", "--quiet", "--release", "-p", "xtask", "--"])
        .args(["bench-admission", "--release-run"])
        .args(args)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("bench-admission failed ({status})"))
    }
}

struct Tools {
    server: PathBuf,
    trust: Option<PathBuf>,
    ours: PathBuf,
    official_dir: PathBuf,
}

fn tools(root: &Path) -> Result<Tools, String> {
    let server =
        kubewarden::find_tool(root, "POLICY_SERVER", "policy-server")?.ok_or_else(|| {
            format!(
                "policy-server not found: set POLICY_SERVER, or put it at {} or on PATH",
                kubewarden::shared_tools_dir(root)
                    .join("policy-server")
                    .display()
            )
        })?;
    let ours = root
        .join("target")
        .join("policy")
        .join("kube-immutable-policy.annotated.wasm");
    if !ours.is_file() {
        return Err(format!(
            "{} is missing: kwctl is needed to annotate the module (see build-policy's note)",
            ours.display()
        ));
    }
    let official_dir = std::env::var_os("KUBEWARDEN_OFFICIAL_POLICIES")
        .map(PathBuf::from)
        .unwrap_or_else(|| kubewarden::shared_tools_dir(root).join("official-policies"));
    for (name, ..) in OFFICIAL {
        let module = official_dir.join(format!("{name}.annotated.wasm"));
        if !module.is_file() {
            return Err(format!(
                "{} is missing (set KUBEWARDEN_OFFICIAL_POLICIES to the folder of the official policies)",
                module.display()
            ));
        }
    }
    let trust = kubewarden::sigstore_trust_config(root, &server);
    Ok(Tools {
        server,
        trust,
        ours,
        official_dir,
    })
}

/// `/proc/loadavg`'s first three figures: what else the machine was doing.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

fn bench(options: &Options) -> Result<(), String> {
    let load_before = load_average();
    let root = workspace_root();
    let tools = tools(&root)?;
    let ours_entries = ours_entries(&tools);
    let official_entries = official_entries(&tools);

    let started = Instant::now();
    let server = Server::start(&tools, &format!("{ours_entries}{official_entries}"))?;
    let startup = started.elapsed();
    let rss_ready = server.memory("VmRSS");
    eprintln!(
        "policy-server ready in {:.1} s with 7 policies, RSS {} MiB",
        startup.as_secs_f64(),
        mib(rss_ready)
    );

    // Step 3: the verdicts, on every admission fixture.
    let verdicts = compare_verdicts(&server, &root)?;
    let load_request = read_request(&root, &options.request)?;
    let mut expected = Vec::new();
    for policy in targets().iter().flat_map(|t| t.policies.clone()) {
        let answer = server.review(policy, &load_request)?;
        expected.push((policy, answer["allowed"] == true));
    }
    let bodies = |target: &Target| -> Vec<(Vec<u8>, bool)> {
        target
            .policies
            .iter()
            .map(|policy| {
                let allowed = expected
                    .iter()
                    .any(|(name, allowed)| name == policy && *allowed);
                (http_request(policy, &load_request), allowed)
            })
            .collect()
    };

    // Step 4: the load, in interleaved rounds so that whatever else the
    // machine does falls on every target alike.
    let mut cells = Vec::new();
    let slice = options.duration.div_f64(options.rounds as f64);
    for &concurrency in &options.concurrency {
        let mut samples: Vec<Samples> = targets().iter().map(|_| Samples::default()).collect();
        for target in targets() {
            load(
                server.port,
                &bodies(&target),
                concurrency,
                Duration::from_secs(1),
            );
        }
        for _ in 0..options.rounds {
            for (target, samples) in targets().iter().zip(&mut samples) {
                let cpu_before = server.cpu_seconds();
                let mut slice_samples = load(server.port, &bodies(target), concurrency, slice);
                slice_samples.server_cpu_seconds = server.cpu_seconds() - cpu_before;
                samples.merge(slice_samples);
            }
        }
        for (target, samples) in targets().iter().zip(samples) {
            let cell = samples.cell();
            eprintln!(
                "c={concurrency:>2} {:<32} {:>8.0} admissions/s  p50 {:>7.0} µs  p99 {:>7.0} µs  policy-server CPU {:>5.0} µs/admission  errors {}",
                target.name, cell.per_second, cell.p50_us, cell.p99_us, cell.server_cpu_us, cell.errors
            );
            cells.push((concurrency, target.name.clone(), cell));
        }
    }
    let rss_peak = server.memory("VmHWM");
    drop(server);

    // Step 5: memory, one side at a time.
    let mut alone = Vec::new();
    for (name, entries, target) in [
        ("our policy alone", &ours_entries, targets()[0].clone()),
        ("the five alone", &official_entries, five()),
    ] {
        let server = Server::start(&tools, entries)?;
        let ready = server.memory("VmRSS");
        let cell = load(server.port, &bodies(&target), 8, options.duration).cell();
        let peak = server.memory("VmHWM");
        eprintln!(
            "{name}: RSS {} MiB ready, peak {} MiB ({} errors)",
            mib(ready),
            mib(peak),
            cell.errors
        );
        alone.push((name, ready, peak, cell.errors));
    }

    let load = (load_before, load_average());
    report(
        options, &root, &tools, startup, rss_ready, rss_peak, &verdicts, &cells, &alone, &load,
    )
}

fn ours_entries(tools: &Tools) -> String {
    format!(
        "{OURS}:\n  module: file://{ours}\n  settings: {{}}\n\
         {OURS_MUTATE}:\n  module: file://{ours}\n  allowedToMutate: true\n  settings: {{mode: mutate}}\n",
        ours = tools.ours.display()
    )
}

fn official_entries(tools: &Tools) -> String {
    OFFICIAL
        .iter()
        .map(|(name, settings, mutating, _)| {
            format!(
                "{name}:\n  module: file://{}\n  allowedToMutate: {mutating}\n  settings: {settings}\n",
                tools.official_dir.join(format!("{name}.annotated.wasm")).display()
            )
        })
        .collect()
}

/// What the load is sent to: one policy, or several one after the other
/// for each admission.
#[derive(Debug, Clone)]
struct Target {
    name: String,
    policies: Vec<&'static str>,
}

fn five() -> Target {
    Target {
        name: FIVE.to_owned(),
        policies: OFFICIAL.iter().map(|(name, ..)| *name).collect(),
    }
}

fn targets() -> Vec<Target> {
    let single = |name: &'static str| Target {
        name: name.to_owned(),
        policies: vec![name],
    };
    let mut targets = vec![single(OURS), single(OURS_MUTATE)];
    targets.extend(OFFICIAL.iter().map(|(name, ..)| single(name)));
    targets.push(five());
    targets
}

fn read_request(root: &Path, fixture: &str) -> Result<Value, String> {
    let path = root.join("tests/fixtures/admission").join(fixture);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn review_body(request: &Value) -> String {
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request})
        .to_string()
}

fn http_request(policy: &str, request: &Value) -> Vec<u8> {
    let body = review_body(request);
    let mut bytes = format!(
        "POST /validate/{policy} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// A policy-server this task started; stopped (by its PID) when dropped.
struct Server {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Server {
    fn start(tools: &Tools, policies_yml: &str) -> Result<Self, String> {
        let dir = TempDir::new()?;
        let policies = dir.path.join("policies.yml");
        std::fs::write(&policies, policies_yml).map_err(|e| e.to_string())?;
        for sub in ["download", "sigstore"] {
            std::fs::create_dir(dir.path.join(sub)).map_err(|e| e.to_string())?;
        }
        let (port, readiness) = (free_port()?, free_port()?);
        let log = std::fs::File::create(dir.path.join("log")).map_err(|e| e.to_string())?;
        let mut command = kubewarden::command(&tools.server);
        command
            .current_dir(&dir.path)
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("KUBERNETES_SERVICE_PORT")
            .args(["--addr", "127.0.0.1", "--port", &port.to_string()])
            .args(["--readiness-probe-port", &readiness.to_string()])
            .arg("--policies")
            .arg(&policies)
            .arg("--policies-download-dir")
            .arg(dir.path.join("download"))
            .arg("--sigstore-cache-dir")
            .arg(dir.path.join("sigstore"))
            .args(["--ignore-kubernetes-connection-failure", "--workers", "2"])
            .args(["--log-level", "warn"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        if let Some(trust) = &tools.trust {
            command.arg("--sigstore-trust-config").arg(trust);
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", tools.server.display()))?;
        let mut server = Server {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                let log = std::fs::read_to_string(server._dir.path.join("log")).unwrap_or_default();
                return Err(format!("policy-server exited ({status}):\n{log}"));
            }
            if get_status(readiness, "/readiness") == Some(200) {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err("policy-server was not ready after 180 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A `/proc/<pid>/status` figure, in KiB.
    /// The CPU time policy-server has used so far (user + system, from
    /// `/proc/<pid>/stat`), in seconds.
    fn cpu_seconds(&self) -> f64 {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())) else {
            return 0.0;
        };
        // Fields after the command name (which may hold spaces): utime and
        // stime are the 12th and 13th.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let ticks: f64 = [11, 12]
            .iter()
            .filter_map(|&i| fields.get(i)?.parse::<f64>().ok())
            .sum();
        ticks / clock_ticks_per_second()
    }

    fn memory(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .ok()
            .and_then(|status| {
                status.lines().find_map(|line| {
                    let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                    rest.trim().trim_end_matches(" kB").trim().parse().ok()
                })
            })
            .unwrap_or(0)
    }

    /// One AdmissionReview to `/validate/<policy>`; the review's `response`.
    fn review(&self, policy: &str, request: &Value) -> Result<Value, String> {
        let mut connection = Connection::open(self.port)?;
        let (status, body) = connection.send(&http_request(policy, request))?;
        if status != 200 {
            return Err(format!(
                "{policy}: HTTP {status}: {}",
                String::from_utf8_lossy(&body)
            ));
        }
        let review: Value =
            serde_json::from_slice(&body).map_err(|e| format!("{policy}: not JSON: {e}"))?;
        Ok(review["response"].clone())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A temp folder, removed when dropped (xtask has no tempfile dependency).
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> Result<Self, String> {
        let path = std::env::temp_dir().join(format!(
            "kube-immutable-bench-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Self { path })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut connection = Connection::open(port).ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    connection.send(request.as_bytes()).ok().map(|(s, _)| s)
}

/// A keep-alive HTTP/1.1 connection: one request, then its whole answer.
struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Connection {
    fn open(port: u16) -> Result<Self, String> {
        let stream =
            TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(|e| e.to_string())?;
        let writer = stream.try_clone().map_err(|e| e.to_string())?;
        Ok(Self {
            reader: BufReader::new(stream),
            writer,
        })
    }

    fn send(&mut self, request: &[u8]) -> Result<(u16, Vec<u8>), String> {
        self.writer
            .write_all(request)
            .map_err(|e| format!("write: {e}"))?;
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .map_err(|e| format!("read: {e}"))?;
        let status = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {line:?}"))?;
        let mut length = None;
        let mut chunked = false;
        loop {
            line.clear();
            self.reader
                .read_line(&mut line)
                .map_err(|e| format!("read: {e}"))?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            let lower = header.to_ascii_lowercase();
            if let Some(value) = lower.strip_prefix("content-length:") {
                length = value.trim().parse::<usize>().ok();
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        let mut body = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader
                    .read_line(&mut line)
                    .map_err(|e| format!("read: {e}"))?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|e| format!("bad chunk size {line:?}: {e}"))?;
                let mut chunk = vec![0; size + 2];
                self.reader
                    .read_exact(&mut chunk)
                    .map_err(|e| format!("read: {e}"))?;
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            body.resize(length.unwrap_or(0), 0);
            self.reader
                .read_exact(&mut body)
                .map_err(|e| format!("read: {e}"))?;
        }
        Ok((status, body))
    }
}

/// One cell of the table.
#[derive(Debug, Clone, Default)]
struct Cell {
    admissions: usize,
    errors: usize,
    per_second: f64,
    p50_us: f64,
    p99_us: f64,
    /// policy-server's CPU time per admission (all its threads).
    server_cpu_us: f64,
}

/// `getconf CLK_TCK` (the unit of `/proc/<pid>/stat` times), else 100.
fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .filter(|t: &f64| *t > 0.0)
            .unwrap_or(100.0)
    })
}

/// What load runs measured: every admission's latency (µs), the errors,
/// and the time they took.
#[derive(Debug, Default)]
struct Samples {
    latencies: Vec<u32>,
    errors: usize,
    seconds: f64,
    server_cpu_seconds: f64,
}

impl Samples {
    fn merge(&mut self, other: Samples) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        self.seconds += other.seconds;
        self.server_cpu_seconds += other.server_cpu_seconds;
    }

    fn cell(mut self) -> Cell {
        self.latencies.sort_unstable();
        let n = self.latencies.len();
        let percentile = |p: f64| {
            if n == 0 {
                return 0.0;
            }
            let rank = ((p / 100.0) * n as f64).ceil() as usize;
            f64::from(self.latencies[rank.clamp(1, n) - 1])
        };
        Cell {
            admissions: n,
            errors: self.errors,
            per_second: n as f64 / self.seconds.max(f64::MIN_POSITIVE),
            p50_us: percentile(50.0),
            p99_us: percentile(99.0),
            server_cpu_us: self.server_cpu_seconds * 1e6 / (n.max(1) as f64),
        }
    }
}

/// Closed-loop load: `concurrency` connections, each sending an admission
/// (the target's requests one after the other) and waiting for the answers,
/// for `duration`. An answer that is not HTTP 200 with the expected
/// `allowed` is an error.
fn load(port: u16, bodies: &[(Vec<u8>, bool)], concurrency: usize, duration: Duration) -> Samples {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let stop = Arc::clone(&stop);
            let bodies = bodies.to_vec();
            std::thread::spawn(move || {
                let mut latencies: Vec<u32> = Vec::with_capacity(1 << 14);
                let mut errors = 0;
                let mut connection = Connection::open(port).ok();
                while !stop.load(Ordering::Relaxed) {
                    let Some(conn) = connection.as_mut() else {
                        errors += 1;
                        connection = Connection::open(port).ok();
                        continue;
                    };
                    let start = Instant::now();
                    let mut ok = true;
                    for (request, allowed) in &bodies {
                        match conn.send(request) {
                            Ok((200, body)) => ok &= allowed_in(&body) == Some(*allowed),
                            _ => {
                                ok = false;
                                connection = Connection::open(port).ok();
                                break;
                            }
                        }
                    }
                    if ok {
                        let micros = start.elapsed().as_micros();
                        latencies.push(u32::try_from(micros).unwrap_or(u32::MAX));
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let mut samples = Samples::default();
    for worker in workers {
        match worker.join() {
            Ok((latencies, errors)) => {
                samples.latencies.extend(latencies);
                samples.errors += errors;
            }
            Err(_) => samples.errors += 1,
        }
    }
    // Admissions finish up to one latency after `stop`: count that time.
    samples.seconds = started.elapsed().as_secs_f64();
    samples
}

/// `"allowed":true|false` in an AdmissionReview answer (serde_json's
/// compact output, as policy-server writes it).
fn allowed_in(body: &[u8]) -> Option<bool> {
    let at = body.windows(10).position(|w| w == b"\"allowed\":")? + 10;
    match body.get(at..at + 4)? {
        b"true" => Some(true),
        b"fals" => Some(false),
        _ => None,
    }
}

/// One fixture's answers: ours, and each official policy's beside what the
/// seven rules say for the rules it covers.
#[derive(Debug)]
struct FixtureVerdicts {
    fixture: String,
    kind: String,
    ours: String,
    /// The rules our policy named in its rejection.
    ours_rules: Vec<String>,
    /// What the core says natively (`check_json`, default settings):
    /// rules with an error, rules with a warning.
    errors: Vec<String>,
    warnings: Vec<String>,
    official: Vec<Official>,
}

/// An official policy's answer to a fixture.
#[derive(Debug)]
struct Official {
    policy: String,
    /// `allowed`, `patched` or `denied`.
    verdict: String,
    message: String,
    /// What the rules it covers say, on the object without our ignore
    /// annotation (which it does not know): `denied` or `allowed`.
    rules_say: String,
    /// Whether a cluster sends it this kind (its metadata's rules).
    sent: bool,
    /// `None` when it agrees with the rules, else why not.
    disagreement: Option<String>,
}

/// The kinds the official policies' metadata rules select: Pods and the
/// workload kinds, but Pods only for readonly-root-filesystem-psp.
fn receives(policy: &str, kind: &str) -> bool {
    match kind {
        "Pod" => true,
        "ReplicationController"
        | "Deployment"
        | "ReplicaSet"
        | "StatefulSet"
        | "DaemonSet"
        | "Job"
        | "CronJob" => policy != "readonly-root-filesystem-psp",
        _ => false,
    }
}

/// `allowed`, `patched` or `denied`.
fn verdict(response: &Value) -> String {
    match (&response["allowed"], response.get("patch")) {
        (Value::Bool(true), None | Some(Value::Null)) => "allowed",
        (Value::Bool(true), Some(_)) => "patched",
        _ => "denied",
    }
    .to_owned()
}

/// The rule ids of a rejection message (`- rule: …` lines), sorted.
fn rules_in(response: &Value) -> Vec<String> {
    let message = response["status"]["message"].as_str().unwrap_or_default();
    let mut rules: Vec<String> = message
        .lines()
        .filter_map(|line| {
            line.strip_prefix("- ")?
                .split_once(": ")
                .map(|(r, _)| r.to_owned())
        })
        .collect();
    rules.sort();
    rules.dedup();
    rules
}

/// The seven rules on `object`, natively: (error rules, warning rules).
fn native_rules(object: &Value) -> (Vec<String>, Vec<String>) {
    let report = kube_immutable_core::check_json(object, &kube_immutable_core::Settings::default());
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for finding in &report.findings {
        let list = match finding.severity {
            kube_immutable_core::Severity::Error => &mut errors,
            kube_immutable_core::Severity::Warning => &mut warnings,
        };
        list.push(finding.rule.to_owned());
    }
    for list in [&mut errors, &mut warnings] {
        list.sort();
        list.dedup();
    }
    (errors, warnings)
}

fn compare_verdicts(server: &Server, root: &Path) -> Result<Vec<FixtureVerdicts>, String> {
    let dir = root.join("tests/fixtures/admission");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json") && !name.starts_with("settings-"))
        .collect();
    names.sort();
    let mut all = Vec::new();
    for name in names {
        let Ok(request) = read_request(root, &name) else {
            continue; // malformed-request.json is not JSON
        };
        let ours = server.review(OURS, &request)?;
        // Invalid objects (400) and requests without an object (DELETE)
        // are no rule's verdict: skip them.
        if ours["status"]["code"] == 400 || !request["object"].is_object() {
            continue;
        }
        let (errors, warnings) = native_rules(&request["object"]);
        // The official policies do not know our ignore annotation.
        let mut plain = request["object"].clone();
        if let Some(annotations) = plain["metadata"]["annotations"].as_object_mut() {
            annotations.remove(kube_immutable_core::IGNORE_ANNOTATION);
        }
        let (plain_errors, plain_warnings) = native_rules(&plain);
        let kind = request["object"]["kind"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut official = Vec::new();
        for (policy, _, _, covers) in OFFICIAL {
            let answer = server.review(policy, &request)?;
            let covered =
                |list: &[String]| covers.iter().any(|rule| list.iter().any(|r| r == rule));
            let rules_say = if covered(&plain_errors) {
                "denied"
            } else {
                "allowed"
            };
            let verdict = verdict(&answer);
            let sent = receives(policy, &kind);
            let disagreement = match (verdict.as_str(), rules_say) {
                (got, expected) if got == expected => None,
                ("patched", "allowed") if covered(&plain_warnings) => None,
                ("patched", "allowed") => Some("patches an object its rules accept".to_owned()),
                ("allowed" | "patched", _) => Some(format!("accepts a {kind} its rules reject")),
                _ => Some(format!("rejects a {kind} its rules accept")),
            };
            official.push(Official {
                policy: policy.to_owned(),
                verdict,
                message: answer["status"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                rules_say: rules_say.to_owned(),
                sent,
                disagreement,
            });
        }
        all.push(FixtureVerdicts {
            fixture: name,
            kind,
            ours: verdict(&ours),
            ours_rules: rules_in(&ours),
            errors,
            warnings,
            official,
        });
    }
    Ok(all)
}

fn mib(kib: u64) -> String {
    format!("{:.0}", kib as f64 / 1024.0)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, v)| v.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")?
                    .trim()
                    .trim_end_matches(" kB")
                    .parse::<u64>()
                    .ok()
            })
        })
        .map_or_else(String::new, |kib| {
            format!(", {:.1} GiB RAM", kib as f64 / 1024.0 / 1024.0)
        });
    format!("{cpu}, {cores} cores{memory}")
}

fn tool_version(tool: &Path) -> String {
    Command::new(tool)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

#[allow(clippy::too_many_arguments)] // one report of one run
fn report(
    options: &Options,
    root: &Path,
    tools: &Tools,
    startup: Duration,
    rss_ready: u64,
    rss_peak: u64,
    verdicts: &[FixtureVerdicts],
    cells: &[(usize, String, Cell)],
    alone: &[(&str, u64, u64, usize)],
    load: &(String, String),
) -> Result<(), String> {
    let secs = options.duration.as_secs_f64();
    println!();
    println!(
        "Machine: {}; {}; load average {} before the run, {} after (other work on the machine).",
        machine(),
        tool_version(&tools.server),
        load.0,
        load.1
    );
    println!(
        "Command: `cargo xtask bench-admission --duration {secs} --concurrency {}` (request: `tests/fixtures/admission/{}`).",
        options
            .concurrency
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(","),
        options.request
    );
    println!();
    let mut header = "| policy |".to_owned();
    let mut rule = "| --- |".to_owned();
    for c in &options.concurrency {
        header.push_str(&format!(" c={c} admissions/s | c={c} p50 | c={c} p99 |"));
        rule.push_str(" ---: | ---: | ---: |");
    }
    header.push_str(" policy-server CPU per admission | errors |");
    rule.push_str(" ---: | ---: |");
    println!("{header}\n{rule}");
    let names: Vec<String> = targets().into_iter().map(|t| t.name).collect();
    for name in &names {
        let mut line = format!(
            "| {} |",
            if name == OURS {
                "**kube-immutable** (validate)"
            } else {
                name
            }
        );
        let mut errors = 0;
        let (mut cpu_us, mut admissions) = (0.0, 0);
        for c in &options.concurrency {
            if let Some((_, _, cell)) = cells.iter().find(|(cc, n, _)| cc == c && n == name) {
                cpu_us += cell.server_cpu_us * cell.admissions as f64;
                admissions += cell.admissions;
                line.push_str(&format!(
                    " {} | {} | {} |",
                    thousands(cell.per_second),
                    millis(cell.p50_us),
                    millis(cell.p99_us)
                ));
                errors += cell.errors;
            }
        }
        line.push_str(&format!(
            " {} µs | {errors} |",
            thousands(cpu_us / admissions.max(1) as f64)
        ));
        println!("{line}");
    }
    println!();
    println!(
        "policy-server with the seven policies: ready in {:.1} s, RSS {} MiB when ready, peak {} MiB over the run.",
        startup.as_secs_f64(),
        mib(rss_ready),
        mib(rss_peak)
    );
    for (name, ready, peak, errors) in alone {
        println!(
            "{name}: RSS {} MiB when ready, peak {} MiB at c=8 for {secs} s ({errors} errors).",
            mib(*ready),
            mib(*peak)
        );
    }

    println!();
    println!("Verdicts on tests/fixtures/admission (what the seven rules say: our findings, for the rules each official policy covers):");
    println!();
    println!(
        "| fixture | kube-immutable | {} |",
        OFFICIAL.map(|(n, ..)| n).join(" | ")
    );
    println!("| --- | --- |{}", " --- |".repeat(OFFICIAL.len()));
    let mut disagreements = Vec::new();
    for v in verdicts {
        let mut line = format!(
            "| `{}` | {} ({}; warnings: {}) |",
            v.fixture,
            v.ours,
            or_dash(&v.errors),
            or_dash(&v.warnings)
        );
        for o in &v.official {
            let mark = match (&o.disagreement, o.sent) {
                (None, _) => "",
                (Some(_), true) => " ≠",
                (Some(_), false) => " (not sent)",
            };
            line.push_str(&format!(" {}{mark} |", o.verdict));
            if o.disagreement.is_some() {
                let sent = if o.sent {
                    String::new()
                } else {
                    format!(
                        " (a cluster does not send it a {}: its rules do not select that kind)",
                        v.kind
                    )
                };
                let message = if o.message.is_empty() {
                    String::new()
                } else {
                    format!(": \"{}\"", o.message)
                };
                disagreements.push(format!(
                    "`{}`: {} {}, the rules it covers say {}{sent}{message}",
                    v.fixture, o.policy, o.verdict, o.rules_say
                ));
            }
        }
        println!("{line}");
    }
    println!();
    for d in &disagreements {
        println!("- {d}");
    }

    // Step 6: the goals.
    let load_kind = read_request(root, &options.request)?["object"]["kind"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut failures = Vec::new();
    for c in &options.concurrency {
        let get = |name: &str| {
            cells
                .iter()
                .find(|(cc, n, _)| cc == c && n == name)
                .map(|(_, _, cell)| cell.clone())
        };
        let (Some(ours), Some(five)) = (get(OURS), get(FIVE)) else {
            continue;
        };
        let ratio = ours.per_second / five.per_second.max(f64::MIN_POSITIVE);
        let fastest_p99 = OFFICIAL
            .iter()
            .filter_map(|(name, ..)| get(name))
            .map(|cell| cell.p99_us)
            .fold(f64::INFINITY, f64::min);
        let fastest_sent_p99 = OFFICIAL
            .iter()
            .filter(|(name, ..)| receives(name, &load_kind))
            .filter_map(|(name, ..)| get(name))
            .map(|cell| cell.p99_us)
            .fold(f64::INFINITY, f64::min);
        println!(
            "c={c}: {ratio:.1}× the admissions/s of the five together (goal ≥ 5×); p99 {} vs the fastest official policy's {} (goal ≤; {} among those a cluster sends a {load_kind})",
            millis(ours.p99_us),
            millis(fastest_p99),
            millis(fastest_sent_p99)
        );
        if ratio < 5.0 {
            failures.push(format!("c={c}: {ratio:.1}× < 5×"));
        }
        if ours.p99_us > fastest_p99 {
            failures.push(format!(
                "c={c}: p99 {} > {}",
                millis(ours.p99_us),
                millis(fastest_p99)
            ));
        }
    }
    let errors: usize = cells.iter().map(|(_, _, c)| c.errors).sum();
    if errors > 0 {
        failures.push(format!("{errors} errors under load"));
    }
    for v in verdicts {
        let expected = if v.errors.is_empty() {
            "allowed"
        } else {
            "denied"
        };
        if v.ours != expected || v.ours_rules != v.errors {
            failures.push(format!(
                "{}: our policy in policy-server {} ({}), the core says {expected} ({})",
                v.fixture,
                v.ours,
                v.ours_rules.join(", "),
                v.errors.join(", ")
            ));
        }
    }

    let results = json!({
        "machine": machine(),
        "load_average_before": load.0,
        "load_average_after": load.1,
        "policy_server": tool_version(&tools.server),
        "duration_s": secs,
        "request": options.request,
        "startup_s": startup.as_secs_f64(),
        "rss_ready_kib": rss_ready,
        "rss_peak_kib": rss_peak,
        "alone": alone.iter().map(|(n, r, p, e)| json!({"servers": n, "rss_ready_kib": r, "rss_peak_kib": p, "errors": e})).collect::<Vec<_>>(),
        "cells": cells.iter().map(|(c, n, cell)| json!({
            "concurrency": c, "target": n, "admissions": cell.admissions, "errors": cell.errors,
            "per_second": cell.per_second, "p50_us": cell.p50_us, "p99_us": cell.p99_us,
            "policy_server_cpu_us_per_admission": cell.server_cpu_us,
        })).collect::<Vec<_>>(),
        "verdicts": verdicts.iter().map(|v| json!({
            "fixture": v.fixture, "kube_immutable": v.ours, "kube_immutable_rules": v.ours_rules,
            "rules_errors": v.errors, "rules_warnings": v.warnings,
            "kind": v.kind,
            "official": v.official.iter().map(|o| json!({
                "policy": o.policy, "verdict": o.verdict, "message": o.message,
                "rules_say": o.rules_say, "sent_in_a_cluster": o.sent, "disagreement": o.disagreement,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "disagreements": disagreements,
        "goal_failures": failures,
    });
    let out = root.join("target").join("bench-admission");
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let path = out.join("results.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&results).unwrap_or_default(),
    )
    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("\nresults: {}", path.display());
    if failures.is_empty() {
        println!("goals met");
        Ok(())
    } else {
        Err(format!("goals missed: {}", failures.join("; ")))
    }
}

fn or_dash(list: &[String]) -> String {
    if list.is_empty() {
        "-".to_owned()
    } else {
        list.join(", ")
    }
}

fn thousands(value: f64) -> String {
    let n = value.round() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn millis(micros: f64) -> String {
    format!("{:.2} ms", micros / 1000.0)
}
