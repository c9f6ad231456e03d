//! Kubewarden's own tools for the end-to-end tests: `kwctl` and
//! `policy-server`, found as `cargo xtask` finds them
//! (`crates/xtask/src/kubewarden.rs`): `$KWCTL` / `$POLICY_SERVER`, else
//! `../shared/tools/kubewarden/` next to the workspace, else `PATH`. Tests
//! that need a tool that is absent print `SKIPPED: …` and return, like the
//! corpus tests.
//!
//! Also here: the annotated modules the tools load, a policy-server started
//! on 127.0.0.1 and stopped when dropped, a minimal HTTP/1.1 client, what
//! the API server would receive for a waPC answer, and a JSON patch applier.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

use crate::{wapc_module_path, wasi_module_path, workspace_root};

/// kwctl's path, when not found in the shared folder or on `PATH`.
pub const KWCTL_ENV: &str = "KWCTL";
/// policy-server's path, when not found in the shared folder or on `PATH`.
pub const POLICY_SERVER_ENV: &str = "POLICY_SERVER";
/// An annotated waPC module to test instead of annotating the built one
/// (`scripts/test.sh` points it at `cargo xtask build-policy`'s artefact).
pub const ANNOTATED_ENV: &str = "KUBE_IMMUTABLE_POLICY_ANNOTATED";
/// The same for the annotated WASI command.
pub const ANNOTATED_WASI_ENV: &str = "KUBE_IMMUTABLE_POLICY_WASI_ANNOTATED";

/// The folder that holds Kubewarden's tools on the development machines.
pub fn shared_tools_dir() -> PathBuf {
    workspace_root()
        .join("..")
        .join("shared")
        .join("tools")
        .join("kubewarden")
}

/// `$env` when set (a test failure when it does not run: it was asked
/// for), else the shared folder's copy, else `name` on `PATH`.
fn find_tool(env: &str, name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            runs(&path),
            "{env}={} does not run (`--version` failed)",
            path.display()
        );
        return Some(path);
    }
    let shared = shared_tools_dir().join(name);
    let shared = std::fs::canonicalize(&shared).unwrap_or(shared);
    [shared, PathBuf::from(name)]
        .into_iter()
        .find(|candidate| runs(candidate))
}

fn runs(path: &Path) -> bool {
    Command::new(path)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// Say that a test is skipped for want of a tool.
pub fn skipped(tool: &str, env: &str) {
    eprintln!(
        "SKIPPED: {tool} not found: set {env}, or put it at {} or on PATH ({} says how to build it)",
        shared_tools_dir().join(tool).display(),
        shared_tools_dir().join("README.md").display()
    );
}

/// The local Sigstore trust root that lets the tools start without the
/// network: `$SIGSTORE_TRUST_CONFIG`, else `sigstore-trust-config.json`
/// beside the tool, else in the shared folder. Without one they try to
/// fetch Sigstore's, warn, and go on.
fn sigstore_trust_config(tool: &Path) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SIGSTORE_TRUST_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let beside = tool
        .parent()
        .map(|dir| dir.join("sigstore-trust-config.json"));
    let shared = shared_tools_dir().join("sigstore-trust-config.json");
    beside.into_iter().chain([shared]).find(|p| p.is_file())
}

/// A command for a Kubewarden tool: errors without Rust backtraces (CI may
/// set `RUST_BACKTRACE`), caches under `target/` rather than `$HOME`.
fn tool_command(tool: &Path) -> Command {
    let mut command = Command::new(tool);
    let cache = workspace_root().join("target").join("kubewarden-home");
    command
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .env("XDG_CACHE_HOME", cache.join("cache"))
        .env("XDG_CONFIG_HOME", cache.join("config"))
        .env("XDG_DATA_HOME", cache.join("data"))
        .stdin(Stdio::null());
    command
}

/// kwctl, found once.
#[derive(Debug, Clone)]
pub struct Kwctl {
    pub path: PathBuf,
    trust_config: Option<PathBuf>,
}

impl Kwctl {
    /// kwctl, or `None` (then call [`skipped`]).
    pub fn find() -> Option<Self> {
        static FOUND: OnceLock<Option<Kwctl>> = OnceLock::new();
        FOUND
            .get_or_init(|| {
                find_tool(KWCTL_ENV, "kwctl").map(|path| Kwctl {
                    trust_config: sigstore_trust_config(&path),
                    path,
                })
            })
            .clone()
    }

    /// Run `kwctl ARGS` in `cwd`. The subcommands that would fetch
    /// Sigstore's trust root (`run`, `scaffold manifest`) get
    /// `--sigstore-trust-config` appended; nothing else is added.
    pub fn run<S: AsRef<OsStr>>(&self, cwd: &Path, args: &[S]) -> Output {
        let mut command = tool_command(&self.path);
        command.current_dir(cwd).args(args);
        let first = args.first().map(|a| a.as_ref().to_owned());
        let second = args.get(1).map(|a| a.as_ref().to_owned());
        let fetches_trust_root = first.as_deref() == Some(OsStr::new("run"))
            || (first.as_deref() == Some(OsStr::new("scaffold"))
                && second.as_deref() == Some(OsStr::new("manifest")));
        if let (true, Some(trust)) = (fetches_trust_root, &self.trust_config) {
            command.arg("--sigstore-trust-config").arg(trust);
        }
        command
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.path.display()))
    }

    /// The annotated waPC module: `$KUBE_IMMUTABLE_POLICY_ANNOTATED`, or
    /// the built module annotated once with `policy-wasm/metadata.yml`.
    pub fn annotated_wapc(&self) -> PathBuf {
        static ANNOTATED: OnceLock<PathBuf> = OnceLock::new();
        ANNOTATED
            .get_or_init(|| {
                self.annotated(
                    ANNOTATED_ENV,
                    &wapc_module_path(),
                    "policy-wasm/metadata.yml",
                    "kube-immutable-policy.annotated.wasm",
                )
            })
            .clone()
    }

    /// The annotated WASI command: `$KUBE_IMMUTABLE_POLICY_WASI_ANNOTATED`,
    /// or the built one annotated once with `policy-wasm/metadata-wasi.yml`.
    pub fn annotated_wasi(&self) -> PathBuf {
        static ANNOTATED: OnceLock<PathBuf> = OnceLock::new();
        ANNOTATED
            .get_or_init(|| {
                self.annotated(
                    ANNOTATED_WASI_ENV,
                    &wasi_module_path(),
                    "policy-wasm/metadata-wasi.yml",
                    "kube-immutable-policy-wasi.annotated.wasm",
                )
            })
            .clone()
    }

    fn annotated(&self, env: &str, bare: &Path, metadata: &str, file: &str) -> PathBuf {
        if let Some(path) = std::env::var_os(env).filter(|p| !p.is_empty()) {
            return PathBuf::from(path);
        }
        let output_path = bare.with_file_name(file);
        let output = self.run(
            &workspace_root(),
            &[
                OsStr::new("annotate"),
                bare.as_os_str(),
                OsStr::new("--metadata-path"),
                OsStr::new(metadata),
                OsStr::new("--usage-path"),
                OsStr::new("policy-wasm/README.md"),
                OsStr::new("--output-path"),
                output_path.as_os_str(),
            ],
        );
        assert!(
            output.status.success(),
            "kwctl annotate {} failed: {}",
            bare.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        output_path
    }
}

/// Where policy-server is, when found.
#[derive(Debug, Clone)]
pub struct PolicyServerTool {
    pub path: PathBuf,
    trust_config: Option<PathBuf>,
}

impl PolicyServerTool {
    /// policy-server, or `None` (then call [`skipped`]).
    pub fn find() -> Option<Self> {
        static FOUND: OnceLock<Option<PolicyServerTool>> = OnceLock::new();
        FOUND
            .get_or_init(|| {
                find_tool(POLICY_SERVER_ENV, "policy-server").map(|path| PolicyServerTool {
                    trust_config: sigstore_trust_config(&path),
                    path,
                })
            })
            .clone()
    }

    /// Start it on 127.0.0.1, over plain HTTP, with `policies_yml`, and wait
    /// until it is ready; `Err` with its output when it exits first.
    pub fn start(&self, policies_yml: &str) -> Result<PolicyServer, String> {
        self.start_with(policies_yml, None)
    }

    /// [`start`](Self::start) over HTTPS with a serving certificate and its
    /// key (PEM), as a cluster's webhooks call it.
    pub fn start_tls(
        &self,
        policies_yml: &str,
        cert_pem: &str,
        key_pem: &str,
    ) -> Result<PolicyServer, String> {
        self.start_with(policies_yml, Some((cert_pem, key_pem)))
    }

    fn start_with(
        &self,
        policies_yml: &str,
        tls: Option<(&str, &str)>,
    ) -> Result<PolicyServer, String> {
        // A free port can be taken between our probe and the server's bind:
        // try again with other ports then.
        let mut last = String::new();
        for _ in 0..3 {
            match self.start_once(policies_yml, tls) {
                Ok(server) => return Ok(server),
                Err(message) if message.contains("Address already in use") => last = message,
                Err(message) => return Err(message),
            }
        }
        Err(last)
    }

    fn start_once(
        &self,
        policies_yml: &str,
        tls: Option<(&str, &str)>,
    ) -> Result<PolicyServer, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("cannot create a temp dir: {e}"))?;
        let policies = dir.path().join("policies.yml");
        std::fs::write(&policies, policies_yml)
            .map_err(|e| format!("cannot write {}: {e}", policies.display()))?;
        for sub in ["download", "sigstore"] {
            std::fs::create_dir(dir.path().join(sub))
                .map_err(|e| format!("cannot create a temp dir: {e}"))?;
        }
        let (port, readiness_port) = (free_port()?, free_port()?);
        let log_path = dir.path().join("policy-server.log");
        let log = std::fs::File::create(&log_path)
            .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
        let mut command = tool_command(&self.path);
        command
            .current_dir(dir.path())
            // Without a cluster: no kubeconfig, no in-cluster variables.
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("KUBERNETES_SERVICE_PORT")
            .args(["--addr", "127.0.0.1", "--port", &port.to_string()])
            .args(["--readiness-probe-port", &readiness_port.to_string()])
            .arg("--policies")
            .arg(&policies)
            .arg("--policies-download-dir")
            .arg(dir.path().join("download"))
            .arg("--sigstore-cache-dir")
            .arg(dir.path().join("sigstore"))
            .args(["--ignore-kubernetes-connection-failure", "--workers", "2"])
            .args(["--log-level", "warn"])
            .stdout(log)
            .stderr(log_err);
        if let Some(trust) = &self.trust_config {
            command.arg("--sigstore-trust-config").arg(trust);
        }
        if let Some((cert, key)) = tls {
            for (file, pem) in [("tls.crt", cert), ("tls.key", key)] {
                std::fs::write(dir.path().join(file), pem)
                    .map_err(|e| format!("cannot write {file}: {e}"))?;
            }
            command
                .arg("--cert-file")
                .arg(dir.path().join("tls.crt"))
                .arg("--key-file")
                .arg(dir.path().join("tls.key"));
        }
        // Its own KUBEWARDEN_* variables would override nothing we pass,
        // but could add behaviour (TLS, daemon mode): drop them.
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("KUBEWARDEN_") {
                command.env_remove(key);
            }
        }
        let child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.path.display()))?;
        let mut server = PolicyServer {
            child,
            port,
            log: log_path,
            _dir: dir,
        };
        server.wait_ready(readiness_port)?;
        Ok(server)
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| format!("cannot find a free port on 127.0.0.1: {e}"))
}

/// A policy-server this process started; stopped (by its PID) when dropped.
#[derive(Debug)]
pub struct PolicyServer {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl PolicyServer {
    fn wait_ready(&mut self, readiness_port: u16) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "policy-server exited ({status}) before it was ready:\n{}",
                    self.log()
                ));
            }
            if let Ok(response) = http(readiness_port, "GET", "/readiness", b"") {
                if response.status == 200 {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "policy-server was not ready after 120 s:\n{}",
                    self.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// What it wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// POST `body` to `path`.
    pub fn post(&self, path: &str, body: &[u8]) -> HttpResponse {
        http(self.port, "POST", path, body)
            .unwrap_or_else(|e| panic!("POST {path} failed: {e}\n{}", self.log()))
    }

    /// Send `request` (an AdmissionRequest) to `/validate/<policy>` in an
    /// `AdmissionReview`, as the API server does; returns the review's
    /// `response`, after checking the envelope.
    pub fn review(&self, policy: &str, request: &Value) -> Value {
        let review = admission_review(request);
        let response = self.post(&format!("/validate/{policy}"), review.as_bytes());
        assert_eq!(
            response.status, 200,
            "{policy}: HTTP {}: {}",
            response.status, response.body
        );
        let answer: Value = serde_json::from_str(&response.body)
            .unwrap_or_else(|e| panic!("{policy}: not JSON ({e}): {}", response.body));
        assert_eq!(answer["apiVersion"], "admission.k8s.io/v1", "{answer:#}");
        assert_eq!(answer["kind"], "AdmissionReview", "{answer:#}");
        answer["response"].clone()
    }
}

impl Drop for PolicyServer {
    fn drop(&mut self) {
        // It has no graceful shutdown: stop the process we started.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An `AdmissionReview` (admission.k8s.io/v1) around a request.
pub fn admission_review(request: &Value) -> String {
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": request,
    })
    .to_string()
}

/// An HTTP answer.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// One HTTP/1.1 request to 127.0.0.1:`port` (`Connection: close`).
pub fn http(port: u16, method: &str, path: &str, body: &[u8]) -> Result<HttpResponse, String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read: {e}"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of headers in the answer")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Ok(HttpResponse {
        status,
        body: String::from_utf8(body).map_err(|e| format!("body is not UTF-8: {e}"))?,
    })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("bad chunk")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("bad chunk size {size_text:?}: {e}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        let chunk = data.get(..size).ok_or("short chunk")?;
        out.extend_from_slice(chunk);
        data = data.get(size + 2..).ok_or("short chunk")?;
    }
}

/// What the API server receives, per Kubewarden's hosts, for a policy's
/// waPC answer to `request`: `uid`, `allowed`, `status` (`message`, `code`)
/// when rejected, `warnings`, and `patchType`/`patch` (base64 JSON Patch)
/// when the policy returned a mutated object. The patch itself is checked
/// by applying it ([`check_admission_response`]), since two diffs of the
/// same change can differ in form.
pub fn check_admission_response(
    context: &str,
    request: &Value,
    wapc_answer: &Value,
    response: &Value,
) {
    assert_eq!(response["uid"], request["uid"], "{context}: {response:#}");
    assert_eq!(
        response["allowed"], wapc_answer["accepted"],
        "{context}: {response:#}"
    );
    if wapc_answer["accepted"] == false {
        assert_eq!(
            response["status"]["message"], wapc_answer["message"],
            "{context}: {response:#}"
        );
        assert_eq!(
            response["status"]["code"], wapc_answer["code"],
            "{context}: {response:#}"
        );
    } else {
        assert_eq!(
            response.get("status").cloned().unwrap_or(Value::Null),
            Value::Null,
            "{context}: {response:#}"
        );
    }
    assert_eq!(
        response.get("warnings").cloned().unwrap_or(Value::Null),
        wapc_answer["warnings"],
        "{context}: {response:#}"
    );
    match &wapc_answer["mutated_object"] {
        Value::Null => {
            assert_eq!(response.get("patch"), None, "{context}: {response:#}");
            assert_eq!(response.get("patchType"), None, "{context}: {response:#}");
        }
        mutated => {
            assert_eq!(
                response["patchType"], "JSONPatch",
                "{context}: {response:#}"
            );
            let patch =
                decode_patch(response).unwrap_or_else(|e| panic!("{context}: {e}: {response:#}"));
            let patched = apply_patch(&request["object"], &patch)
                .unwrap_or_else(|e| panic!("{context}: {e}: {patch:#}"));
            assert_eq!(&patched, mutated, "{context}: the patch was {patch:#}");
        }
    }
}

/// The JSON Patch of an AdmissionResponse (`patch`, base64).
pub fn decode_patch(response: &Value) -> Result<Value, String> {
    let encoded = response["patch"].as_str().ok_or("no `patch`")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("`patch` is not base64: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("`patch` is not JSON: {e}"))
}

/// Apply a JSON Patch (RFC 6902: `add`, `remove`, `replace`, what
/// Kubewarden's hosts emit) to a copy of `document`.
pub fn apply_patch(document: &Value, patch: &Value) -> Result<Value, String> {
    let mut document = document.clone();
    for operation in patch.as_array().ok_or("a JSON Patch is an array")? {
        let op = operation["op"].as_str().ok_or("an operation has no `op`")?;
        let path = operation["path"]
            .as_str()
            .ok_or("an operation has no `path`")?;
        let (parent, last) = match path.rfind('/') {
            Some(at) => (&path[..at], unescape(&path[at + 1..])),
            None => return Err(format!("bad path {path:?}")),
        };
        let container = document
            .pointer_mut(parent)
            .ok_or_else(|| format!("{op} {path}: no {parent:?}"))?;
        let value = || {
            operation
                .get("value")
                .cloned()
                .ok_or_else(|| format!("{op} {path}: no value"))
        };
        match (op, container) {
            ("add", Value::Object(map)) => {
                map.insert(last, value()?);
            }
            ("add", Value::Array(list)) => {
                let index = if last == "-" {
                    list.len()
                } else {
                    index(&last, list.len() + 1, path)?
                };
                list.insert(index, value()?);
            }
            ("replace", Value::Object(map)) if map.contains_key(&last) => {
                map.insert(last, value()?);
            }
            ("replace", Value::Array(list)) => {
                let index = index(&last, list.len(), path)?;
                list[index] = value()?;
            }
            ("remove", Value::Object(map)) => {
                map.remove(&last)
                    .ok_or_else(|| format!("remove {path}: nothing there"))?;
            }
            ("remove", Value::Array(list)) => {
                let index = index(&last, list.len(), path)?;
                list.remove(index);
            }
            (op, _) => return Err(format!("cannot apply `{op}` at {path}")),
        }
    }
    Ok(document)
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

fn index(token: &str, bound: usize, path: &str) -> Result<usize, String> {
    token
        .parse::<usize>()
        .ok()
        .filter(|i| *i < bound)
        .ok_or_else(|| format!("bad array index in {path}"))
}

/// The settings every admission fixture runs with through Kubewarden's
/// tools: (name, settings JSON, validate mode?).
pub fn settings_cases() -> [(&'static str, String, bool); 4] {
    [
        ("validate", "{}".to_owned(), true),
        // Levels changed, exemptions (tests/fixtures/admission/settings-valid.json).
        ("strict", crate::fixture("settings-valid.json"), true),
        // Safe fixes only (settings-mutate.json).
        ("mutate", crate::fixture("settings-mutate.json"), false),
        (
            "mutate-unsafe",
            r#"{"mode": "mutate", "unsafeFixes": true}"#.to_owned(),
            false,
        ),
    ]
}

/// What an admission comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed, unchanged.
    Allowed,
    /// Allowed with a JSON patch.
    Patched,
    /// Denied with this status code.
    Denied(u64),
    /// The request file is not JSON: the tool refuses it before the policy.
    NotJson,
}

impl Verdict {
    /// The verdict an AdmissionResponse carries.
    pub fn of(response: &Value) -> Self {
        match (&response["allowed"], response.get("patch")) {
            (Value::Bool(true), None | Some(Value::Null)) => Self::Allowed,
            (Value::Bool(true), Some(_)) => Self::Patched,
            _ => Self::Denied(response["status"]["code"].as_u64().unwrap_or(0)),
        }
    }
}

/// What the rules say of every admission fixture, under each of
/// [`settings_cases`] (validate, strict, mutate, mutate-unsafe). A new
/// fixture must be added here.
pub const VERDICTS: &[(&str, [Verdict; 4])] = {
    use Verdict::{Allowed as A, Denied as D, NotJson, Patched as P};
    &[
        // hostNetwork and a privileged container; fixing them is unsafe.
        ("cronjob.json", [D(403), D(403), D(403), P]),
        // No object to check.
        ("delete-pod.json", [A, A, A, A]),
        // Every container restricted.
        ("deployment-restricted.json", [A, A, A, A]),
        // A writable root filesystem; the image is unknown, so its fix
        // (an emptyDir at /tmp) is unsafe.
        ("deployment.json", [D(403), D(403), D(403), P]),
        // The ignore annotation is not honoured by default: privileged (a
        // safe fix, after which allowPrivilegeEscalation's fix is safe too).
        // "strict" allows it for those two rules in its namespace: the one
        // it does not name (capabilities-not-restricted) is a warning.
        ("exempt-annotation.json", [D(403), A, P, P]),
        // In kube-system, which "strict" exempts; hostNetwork is unsafe to fix.
        ("exempt-namespace.json", [D(403), A, D(403), P]),
        // The tutorial's fixed pod: warnings only, an error for "strict"
        // (may-run-as-root), and `allowPrivilegeEscalation: false` is a
        // safe fix.
        ("immutable-pod.json", [A, D(403), P, P]),
        // `privileged: "true"`: rejected, never fixed.
        ("invalid-types.json", [D(400), D(400), D(400), D(400)]),
        // A Knative Service (serving.knative.dev, a custom resource) running
        // as root: unsafe to fix.
        ("knative-service.json", [D(403), D(403), D(403), P]),
        // `request.object` is an array.
        ("malformed-object.json", [D(400), D(400), D(400), D(400)]),
        (
            "malformed-request.json",
            [NotJson, NotJson, NotJson, NotJson],
        ),
        // The tutorial's pod: runAsUser 0 is unsafe to fix.
        ("mutable-pod.json", [D(403), D(403), D(403), P]),
        // An Argo Rollout (argoproj.io) with a privileged container: safe
        // to fix, as is its known image's read-only root filesystem.
        ("rollout.json", [D(403), D(403), P, P]),
        // No pod spec.
        ("service.json", [A, A, A, A]),
        // The new object adds hostPID and a root container.
        ("update-deployment.json", [D(403), D(403), D(403), P]),
    ]
};

/// The admission fixtures (`tests/fixtures/admission/*.json` but the
/// settings), sorted; the tests check that [`VERDICTS`] names each.
pub fn request_fixtures() -> Vec<String> {
    let dir = workspace_root()
        .join("tests")
        .join("fixtures")
        .join("admission");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json") && !name.starts_with("settings-"))
        .collect();
    names.sort();
    names
}

/// What Kubewarden answers for the tutorial's pod (`mutable-pod.json`) in
/// validate mode: the AdmissionResponse kwctl prints and policy-server
/// returns, exactly.
pub fn tutorial_pod_rejected() -> Value {
    json!({
        "uid": "6e2a0f0b-0001-4d6e-9c1e-000000000001",
        "allowed": false,
        "status": {
            "message": "kube-immutable: Pod/nginx-mutable is not immutable (4 findings):\n\
                - privileged: Pod/nginx-mutable container \"nginx\" at /spec/containers/0/securityContext/privileged: Set `privileged: false` (or remove the field).\n\
                - allow-privilege-escalation: Pod/nginx-mutable container \"nginx\" at /spec/containers/0/securityContext/allowPrivilegeEscalation: Set `allowPrivilegeEscalation: false`.\n\
                - run-as-root: Pod/nginx-mutable container \"nginx\" at /spec/containers/0/securityContext/runAsUser: Remove `runAsUser: 0`, set `runAsNonRoot: true` and a non-root `runAsUser`. Image `nginx:1.27` has a non-root variant: `nginxinc/nginx-unprivileged`.\n\
                - writable-root-filesystem: Pod/nginx-mutable container \"nginx\" at /spec/containers/0/securityContext/readOnlyRootFilesystem: Set `readOnlyRootFilesystem: true` and mount an `emptyDir` at each path this image writes: /var/cache/nginx, /var/run, /tmp.",
            "code": 403
        },
        "auditAnnotations": null,
        "warnings": [
            "kube-immutable: may-run-as-root: Pod/nginx-mutable container \"nginx\" at /spec/containers/0/securityContext/runAsNonRoot: Set `runAsNonRoot: true` in the pod `securityContext` and use an image that runs as a non-root user.",
            "kube-immutable: capabilities-not-restricted: Pod/nginx-mutable container \"nginx\" at /spec/containers/0/securityContext/capabilities/drop: Add `ALL` to `securityContext.capabilities.drop`; add back only `NET_BIND_SERVICE` if the container binds a port…"
        ]
    })
}
