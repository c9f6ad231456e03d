//! Helpers for the end-to-end tests in `tests/tests/e2e/` and the benchmark in
//! `tests/benches/`: find (or build) the policy module, load it in a real
//! waPC host (`wapc` + `wasmtime-provider`, as Kubewarden's policy-server
//! does) or run it as a WASI command, and read the fixtures.
//!
//! The module is built once per test binary, as it ships:
//! `cargo build -p kube-immutable-policy --target wasm32-wasip1 --profile
//! policy --target-dir target/policy-build` (`cargo xtask build-policy` runs the same command,
//! so a build by one is reused by the other). Set
//! `KUBE_IMMUTABLE_POLICY_WASM` (waPC module) and `KUBE_IMMUTABLE_POLICY_WASI`
//! (WASI command) to test other files, e.g. the `wasm-opt`ed
//! `target/policy/kube-immutable-policy.wasm`.

pub mod kubewarden;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;
use wapc::WapcHost;
use wasmtime_provider::{
    wasmtime, EpochDeadlines, WasmtimeEngineProviderBuilder, WasmtimeEngineProviderPre,
};

/// The waPC module, as Kubewarden loads it (`executionMode: kubewarden-wapc`).
pub const WAPC_ENV: &str = "KUBE_IMMUTABLE_POLICY_WASM";
/// The WASI command (`executionMode: wasi`).
pub const WASI_ENV: &str = "KUBE_IMMUTABLE_POLICY_WASI";

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Where the tests and `cargo xtask build-policy` build the module.
pub fn build_dir() -> PathBuf {
    workspace_root().join("target").join("policy-build")
}

/// The waPC module's path: `$KUBE_IMMUTABLE_POLICY_WASM`, or built once.
pub fn wapc_module_path() -> PathBuf {
    module_path(WAPC_ENV, "kube_immutable_policy.wasm")
}

/// The WASI command's path: `$KUBE_IMMUTABLE_POLICY_WASI`, or built once.
pub fn wasi_module_path() -> PathBuf {
    module_path(WASI_ENV, "kube-immutable-policy-wasi.wasm")
}

/// The waPC module's bytes (read once).
pub fn wapc_module() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| read_module(&wapc_module_path()))
}

/// The WASI command's bytes (read once).
pub fn wasi_module() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| read_module(&wasi_module_path()))
}

fn read_module(path: &Path) -> Vec<u8> {
    std::fs::read(path)
        .unwrap_or_else(|e| panic!("cannot read the policy module {}: {e}", path.display()))
}

fn module_path(env: &str, file: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    match build() {
        Ok(dir) => dir.join(file),
        Err(message) => panic!("{message}"),
    }
}

/// Build both modules once per process; the error says how to reproduce it.
fn build() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
            let target_dir = build_dir();
            let args = [
                "build",
                "-p",
                "kube-immutable-policy",
                "--target",
                "wasm32-wasip1",
                "--profile",
                "policy",
                // As `cargo xtask build-policy` (see crates/xtask/src/policy.rs).
                "--target-dir",
            ];
            let command = format!("cargo {} {}", args.join(" "), target_dir.display());
            eprintln!("building the policy module: {command}");
            let status = Command::new(&cargo)
                .args(args)
                .arg(&target_dir)
                .current_dir(workspace_root())
                .status()
                .map_err(|e| format!("cannot run `{command}`: {e}"))?;
            if !status.success() {
                return Err(format!(
                    "building the policy module failed ({status}): `{command}`; \
                     is the target installed (`rustup target add wasm32-wasip1`)? \
                     Or point {WAPC_ENV} and {WASI_ENV} at built modules"
                ));
            }
            Ok(target_dir.join("wasm32-wasip1").join("policy"))
        })
        .clone()
}

/// The parse-only baseline module (`tests/baseline-policy`), built once:
/// what any waPC policy that parses the request JSON costs.
pub fn baseline_module_path() -> Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("baseline-policy")
                .join("Cargo.toml");
            let target_dir = build_dir().join("baseline");
            let status = Command::new(&cargo)
                .args([
                    "build",
                    "--release",
                    "--target",
                    "wasm32-wasip1",
                    "--manifest-path",
                ])
                .arg(&manifest)
                .arg("--target-dir")
                .arg(&target_dir)
                .current_dir(workspace_root())
                .status()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !status.success() {
                return Err(format!(
                    "building the baseline module {} failed ({status})",
                    manifest.display()
                ));
            }
            Ok(target_dir
                .join("wasm32-wasip1")
                .join("release")
                .join("parse_only_policy.wasm"))
        })
        .clone()
}

/// The host callback: the SDK logs through `kubewarden`/`tracing`/`log`;
/// every host must answer it, and an empty reply is fine. Anything else is
/// a capability this policy must not need.
pub fn host_callback(
    _id: u64,
    binding: &str,
    namespace: &str,
    operation: &str,
    _payload: &[u8],
) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
    match (binding, namespace, operation) {
        ("kubewarden", "tracing", "log") => Ok(Vec::new()),
        _ => Err(format!("unexpected host call {binding}/{namespace}/{operation}").into()),
    }
}

/// policy-server's default `--policy-timeout` (2 s), in epoch ticks of one
/// second.
const POLICY_SERVER_TIMEOUT_TICKS: u64 = 2;

/// A compiled policy, ready to be instantiated many times.
pub struct Policy {
    pre: WasmtimeEngineProviderPre,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy").finish_non_exhaustive()
    }
}

impl Policy {
    /// Compile the waPC module (found or built).
    pub fn load() -> Self {
        Self::from_bytes(wapc_module())
    }

    /// Compile a waPC module for an engine configured as policy-server's:
    /// with epoch interruption, which policy-server uses for its
    /// `--policy-timeout` and which makes compiled code check the epoch at
    /// every function entry and loop (a cost the module pays in a cluster).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let engine = wasmtime::Engine::new(&config)
            .unwrap_or_else(|e| panic!("cannot create the wasmtime engine: {e}"));
        let pre = WasmtimeEngineProviderBuilder::new()
            .engine(engine)
            .module_bytes(bytes)
            .build_pre()
            .unwrap_or_else(|e| panic!("cannot compile the policy module: {e}"));
        Self { pre }
    }

    /// A fresh instance, as policy-server creates for each request
    /// (`wapc_init` has run). Nothing advances the epoch here, so the
    /// deadline (policy-server's default, in its one-second ticks) is never
    /// reached; it is set because an engine with epoch interruption traps at
    /// once without one.
    pub fn instance(&self) -> WapcHost {
        let engine = self
            .pre
            .rehydrate(Some(EpochDeadlines {
                wapc_init: POLICY_SERVER_TIMEOUT_TICKS,
                wapc_func: POLICY_SERVER_TIMEOUT_TICKS,
            }))
            .unwrap_or_else(|e| panic!("cannot instantiate the policy module: {e}"));
        WapcHost::new(Box::new(engine), Some(Box::new(host_callback)))
            .unwrap_or_else(|e| panic!("waPC initialisation failed: {e}"))
    }

    /// Call an operation on a fresh instance and decode the JSON answer.
    pub fn call(&self, operation: &str, payload: &[u8]) -> Value {
        call(&self.instance(), operation, payload)
    }
}

/// Call an operation and decode its JSON answer; a waPC error fails loudly.
pub fn call(host: &WapcHost, operation: &str, payload: &[u8]) -> Value {
    let answer = host
        .call(operation, payload)
        .unwrap_or_else(|e| panic!("waPC call `{operation}` failed: {e}"));
    serde_json::from_slice(&answer).unwrap_or_else(|e| {
        panic!(
            "`{operation}` answered something that is not JSON ({e}): {}",
            String::from_utf8_lossy(&answer)
        )
    })
}

/// The text of `tests/fixtures/admission/<name>`.
pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("admission")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// A Kubewarden `validate` payload: `{"request": <fixture>, "settings": ...}`.
/// Built as text, so a malformed fixture stays malformed.
pub fn payload(request_fixture: &str, settings: &str) -> Vec<u8> {
    format!(
        "{{\"request\": {}, \"settings\": {settings}}}",
        fixture(request_fixture)
    )
    .into_bytes()
}

/// What a run of the WASI command produced.
#[derive(Debug)]
pub struct WasiRun {
    pub exit_code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl WasiRun {
    /// stdout as JSON; fails loudly when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "the WASI command wrote something that is not JSON ({e}): {}\nstderr: {}",
                String::from_utf8_lossy(&self.stdout),
                String::from_utf8_lossy(&self.stderr)
            )
        })
    }
}

/// Run the WASI command under wasmtime (as a library) with `args` after the
/// program name, `stdin` in an in-memory pipe, and capture stdout/stderr.
pub fn run_wasi(args: &[&str], stdin: &[u8]) -> WasiRun {
    use wasmtime::{Engine, Linker, Module, Store};
    use wasmtime_wasi::p1::WasiP1Ctx;
    use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};

    static COMPILED: OnceLock<(Engine, Module)> = OnceLock::new();
    let (engine, module) = COMPILED.get_or_init(|| {
        let engine = Engine::default();
        let module = Module::new(&engine, wasi_module())
            .unwrap_or_else(|e| panic!("cannot compile the WASI command: {e}"));
        (engine, module)
    });
    let mut linker: Linker<WasiP1Ctx> = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |ctx| ctx)
        .unwrap_or_else(|e| panic!("cannot link WASI: {e}"));
    let stdout = MemoryOutputPipe::new(16 * 1024 * 1024);
    let stderr = MemoryOutputPipe::new(1024 * 1024);
    let mut argv = vec!["policy.wasm"];
    argv.extend_from_slice(args);
    let ctx = wasmtime_wasi::WasiCtxBuilder::new()
        .args(&argv)
        .stdin(MemoryInputPipe::new(stdin.to_vec()))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .build_p1();
    let mut store = Store::new(engine, ctx);
    let instance = linker
        .instantiate(&mut store, module)
        .unwrap_or_else(|e| panic!("cannot instantiate the WASI command: {e}"));
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap_or_else(|e| panic!("the WASI command has no `_start`: {e}"));
    let exit_code = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => exit.0,
            None => panic!("the WASI command trapped: {e:?}"),
        },
    };
    drop(store);
    WasiRun {
        exit_code,
        stdout: stdout.contents().to_vec(),
        stderr: stderr.contents().to_vec(),
    }
}

/// A worst-case admission request near the API server's limit (3 MiB per
/// request): a privileged Deployment of `containers` containers, each with
/// `entries` environment variables and arguments, as a `validate` payload
/// with `settings`. Used by `tests/e2e/policy_hostile.rs` and the policy bench.
pub fn worst_case_payload(containers: usize, entries: usize, settings: &str) -> Vec<u8> {
    let container = |i: usize| {
        serde_json::json!({
            "name": format!("c{i}"),
            "image": format!("registry.example.com/team/app-{i}:1.2.3"),
            "args": (0..entries).map(|a| format!("--flag-{a}=value-{a}")).collect::<Vec<_>>(),
            "env": (0..entries)
                .map(|e| serde_json::json!({"name": format!("VAR_{e}"), "value": format!("value-{e}")}))
                .collect::<Vec<_>>(),
            "securityContext": {"privileged": true, "runAsUser": 0},
        })
    };
    let object = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "huge", "namespace": "default"},
        "spec": {"template": {"spec": {
            "containers": (0..containers).map(container).collect::<Vec<_>>(),
        }}},
    });
    let settings: Value = serde_json::from_str(settings).expect("settings are JSON");
    serde_json::to_vec(&serde_json::json!({
        "request": {
            "uid": "worst-case",
            "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "namespace": "default",
            "operation": "CREATE",
            "object": object,
        },
        "settings": settings,
    }))
    .expect("JSON")
}
