//! Latency and size of the policy module through the waPC host Kubewarden
//! uses (`wapc` + `wasmtime-provider`), against a module that only parses
//! the request JSON (`tests/baseline-policy`) and, when they are found
//! (`$KUBEWARDEN_OFFICIAL_POLICIES`, else
//! `../shared/tools/kubewarden/official-policies/`), the five official
//! Kubewarden policies it replaces, with the settings
//! `cargo xtask bench-admission` gives them.
//!
//! ```text
//! cargo xtask build-policy        # the shipped, wasm-opt'ed module
//! cargo bench -p kube-immutable-tests --bench policy
//! ```
//!
//! Module: `$KUBE_IMMUTABLE_POLICY_WASM`, else `target/policy/kube-immutable-policy.wasm`
//! (from `cargo xtask build-policy`), else built like the tests do.
//! Requests are sent as compact JSON, as policy-server sends them.
//! "fresh" is what policy-server does per request: instantiate the module
//! (`rehydrate` + `WapcHost::new`, which runs `wapc_init`) and call
//! `validate`; "reused" calls `validate` again on one instance. Medians.
//! The engine has epoch interruption on, as policy-server's has for its
//! `--policy-timeout`: the compiled code then checks the epoch at every
//! function entry and loop, which costs some modules more than others.
//! This measures; it asserts nothing.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use wapc::WapcHost;

use kube_immutable_tests::{
    baseline_module_path, call, payload, wapc_module_path, workspace_root, worst_case_payload,
    Policy, WAPC_ENV,
};

/// The official policies and the settings the immutability rules need
/// (as in `crates/xtask/src/bench_admission.rs`).
const OFFICIAL: [(&str, &str); 5] = [
    ("pod-privileged", "{}"),
    ("allow-privilege-escalation-psp", "{}"),
    ("readonly-root-filesystem-psp", "{}"),
    (
        "host-namespaces-psp",
        r#"{"allow_host_ipc": false, "allow_host_network": false, "allow_host_pid": false}"#,
    ),
    (
        "user-group-psp",
        r#"{"run_as_user": {"rule": "MustRunAsNonRoot"}, "run_as_group": {"rule": "RunAsAny"}, "supplemental_groups": {"rule": "RunAsAny"}}"#,
    ),
];

const FRESH_SAMPLES: usize = 3_000;
const REUSED_SAMPLES: usize = 20_000;
const WARM_UP: usize = 200;

fn main() {
    let policy_path = std::env::var_os(WAPC_ENV)
        .map(PathBuf::from)
        .or_else(|| {
            let shipped = workspace_root().join("target/policy/kube-immutable-policy.wasm");
            shipped.exists().then_some(shipped)
        })
        .unwrap_or_else(wapc_module_path);
    let baseline_path = baseline_module_path();

    println!(
        "policy benchmark: {} cores, fresh = instantiate + wapc_init + validate ({FRESH_SAMPLES} samples), reused = validate on one instance ({REUSED_SAMPLES} samples)",
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    worst_case(&policy_path);
    let mut modules = vec![("kube-immutable", policy_path, "{}")];
    match baseline_path {
        Ok(path) => modules.push(("parse-only baseline", path, "{}")),
        Err(e) => println!("baseline unavailable: {e}"),
    }
    let official_dir = std::env::var_os("KUBEWARDEN_OFFICIAL_POLICIES")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            kube_immutable_tests::kubewarden::shared_tools_dir().join("official-policies")
        });
    for (name, settings) in OFFICIAL {
        let path = official_dir.join(format!("{name}.annotated.wasm"));
        if path.is_file() {
            modules.push((name, path, settings));
        } else {
            println!("{name}: not found at {}", path.display());
        }
    }
    for (label, path, settings) in &modules {
        let bytes =
            std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        println!(
            "\n{label}: {} ({:.1} KB)",
            path.strip_prefix(workspace_root())
                .unwrap_or(path)
                .display(),
            bytes.len() as f64 / 1000.0
        );
        let policy = Policy::from_bytes(&bytes);
        let instantiate = measure(FRESH_SAMPLES, || drop(policy.instance()));
        println!(
            "  instantiate + wapc_init only: {:>7.1} µs",
            micros(instantiate)
        );
        for (fixture, what) in [
            ("deployment.json", "Deployment, a writable root fs"),
            ("deployment-restricted.json", "Deployment, restricted"),
            ("mutable-pod.json", "the tutorial's mutable Pod"),
        ] {
            let request = compact(&payload(fixture, settings));
            // Check the answer once, outside the timed loops.
            call(&policy.instance(), "validate", &request);
            let fresh = measure(FRESH_SAMPLES, || {
                let host = policy.instance();
                validate(&host, &request);
            });
            let host = policy.instance();
            let reused = measure(REUSED_SAMPLES, || validate(&host, &request));
            println!(
                "  {fixture:<28} {what:<36} fresh {:>7.1} µs   reused {:>6.1} µs   ({} bytes)",
                micros(fresh),
                micros(reused),
                request.len()
            );
        }
    }
}

/// The payload as policy-server sends it: compact JSON (it serialises the
/// request it decoded), not the fixtures' pretty-printed text, which is
/// twice as long.
fn compact(payload: &[u8]) -> Vec<u8> {
    let value: serde_json::Value =
        serde_json::from_slice(payload).unwrap_or_else(|e| panic!("a fixture is not JSON: {e}"));
    serde_json::to_vec(&value).unwrap_or_else(|e| panic!("cannot encode a payload: {e}"))
}

/// Requests at the API server's size limit (3 MiB): a Deployment of 3,000
/// privileged containers with 16 env vars and 16 args each, on a fresh
/// instance, in validate and mutate mode. Kubewarden's policy-server stops a
/// policy after its `--policy-timeout` (2 s by default, an epoch deadline).
fn worst_case(policy_path: &std::path::Path) {
    let bytes = std::fs::read(policy_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", policy_path.display()));
    let policy = Policy::from_bytes(&bytes);
    println!("\nworst case, fresh instance, median of {WORST_SAMPLES} (policy-server's default timeout: 2 s):");
    for (containers, settings, what) in [
        (3_000, "{}", "validate"),
        (
            3_000,
            r#"{"mode": "mutate", "unsafeFixes": true}"#,
            "mutate, unsafe fixes",
        ),
        (
            300,
            r#"{"mode": "mutate", "unsafeFixes": true}"#,
            "mutate, unsafe fixes",
        ),
    ] {
        let request = worst_case_payload(containers, 16, settings);
        let answer = call(&policy.instance(), "validate", &request);
        let mut times: Vec<Duration> = (0..WORST_SAMPLES)
            .map(|_| {
                let start = Instant::now();
                validate(&policy.instance(), &request);
                start.elapsed()
            })
            .collect();
        times.sort_unstable();
        println!(
            "  {containers:>5} containers, {:.2} MB, {what:<22} {:>8.1} ms  (accepted: {}, {} bytes answered)",
            request.len() as f64 / 1e6,
            times[times.len() / 2].as_secs_f64() * 1e3,
            answer["accepted"],
            answer.to_string().len()
        );
    }
}

const WORST_SAMPLES: usize = 5;

fn validate(host: &WapcHost, request: &[u8]) {
    let answer = host
        .call("validate", request)
        .unwrap_or_else(|e| panic!("validate failed: {e}"));
    std::hint::black_box(answer);
}

/// Median duration of `run` over `samples` runs, after a warm-up.
fn measure(samples: usize, mut run: impl FnMut()) -> Duration {
    for _ in 0..WARM_UP {
        run();
    }
    let mut times: Vec<Duration> = (0..samples)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
