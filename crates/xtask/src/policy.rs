//! `cargo xtask build-policy`: build the Kubewarden module, smallest first.
//!
//! 1. `cargo build -p kube-immutable-policy --target wasm32-wasip1 --profile
//!    policy --target-dir target/policy-build` (the end-to-end tests run the
//!    same build, so each reuses the other's);
//! 2. copy the waPC module to `target/policy/kube-immutable-policy.wasm` and
//!    the WASI command to `target/policy/kube-immutable-policy-wasi.wasm`;
//! 3. run `wasm-opt -Oz` on both when a recent enough one is found:
//!    `node_modules/.bin/wasm-opt` (`npm ci` installs binaryen 132 from package.json),
//!    else `wasm-opt` on `PATH` (Debian's binaryen 108 cannot read current
//!    rustc output: then the unoptimised module is kept, with a warning);
//! 4. print the sizes, and fail when the waPC module weighs more than
//!    [`MAX_BYTES`];
//! 5. when kwctl is found (`$KWCTL`, else `../shared/tools/kubewarden/kwctl`,
//!    else `kwctl` on `PATH`), embed the metadata and the README with
//!    `kwctl annotate`: `target/policy/kube-immutable-policy.annotated.wasm`
//!    (`policy-wasm/metadata.yml`) and
//!    `target/policy/kube-immutable-policy-wasi.annotated.wasm`
//!    (`policy-wasm/metadata-wasi.yml`). Without kwctl, a note says so and
//!    only the bare modules are written (stale annotated ones are removed).
//!
//! `--no-wasm-opt` skips step 3.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::kubewarden;
use crate::workspace_root;

/// What step 5 writes: (bare module, metadata, annotated module).
pub(crate) const ANNOTATED: [(&str, &str, &str); 2] = [
    (
        "kube-immutable-policy.wasm",
        "policy-wasm/metadata.yml",
        "kube-immutable-policy.annotated.wasm",
    ),
    (
        "kube-immutable-policy-wasi.wasm",
        "policy-wasm/metadata-wasi.yml",
        "kube-immutable-policy-wasi.annotated.wasm",
    ),
];

/// The size budget of the waPC module (issue #4: under half the smallest
/// official Kubewarden PSP policy).
pub(crate) const MAX_BYTES: u64 = 600 * 1000;

/// The wasm features rustc emits for `wasm32-wasip1` today; wasm-opt must
/// accept them (and may use them), and wasmtime supports them all.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-multivalue",
];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut optimise = true;
    for arg in args {
        match arg.as_str() {
            "--no-wasm-opt" => optimise = false,
            other => return Err(format!("build-policy: unknown argument `{other}`")),
        }
    }
    let root = workspace_root();
    let built = build(&root)?;
    let out_dir = root.join("target").join("policy");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("cannot create {}: {e}", out_dir.display()))?;

    let modules = [
        ("kube_immutable_policy.wasm", "kube-immutable-policy.wasm"),
        (
            "kube-immutable-policy-wasi.wasm",
            "kube-immutable-policy-wasi.wasm",
        ),
    ];
    let wasm_opt = if optimise { find_wasm_opt(&root) } else { None };
    let mut wapc_size = 0;
    for (from, to) in modules {
        let (from, to) = (built.join(from), out_dir.join(to));
        let raw = size(&from)?;
        std::fs::copy(&from, &to)
            .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
        if let Some(wasm_opt) = &wasm_opt {
            run_wasm_opt(wasm_opt, &to, &[])?;
        }
        let final_size = size(&to)?;
        println!(
            "{}: {} ({} before wasm-opt)",
            display(&root, &to),
            kb(final_size),
            kb(raw)
        );
        if to.ends_with("kube-immutable-policy.wasm") {
            wapc_size = final_size;
        }
    }
    if optimise && wasm_opt.is_none() {
        eprintln!(
            "warning: no usable wasm-opt (run `npm ci` at the workspace root: package.json pins binaryen 132); modules are not wasm-opt'ed"
        );
    }
    if wapc_size > MAX_BYTES {
        return Err(format!(
            "the policy module weighs {}, over the {} budget",
            kb(wapc_size),
            kb(MAX_BYTES)
        ));
    }
    annotate(&root, &out_dir)
}

/// Step 5: `kwctl annotate` both modules, or say why not.
fn annotate(root: &Path, out_dir: &Path) -> Result<(), String> {
    let Some(kwctl) = kubewarden::find_tool(root, "KWCTL", "kwctl")? else {
        for (_, _, annotated) in ANNOTATED {
            let stale = out_dir.join(annotated);
            if stale.exists() {
                std::fs::remove_file(&stale)
                    .map_err(|e| format!("cannot remove stale {}: {e}", stale.display()))?;
            }
        }
        eprintln!(
            "note: kwctl not found (set KWCTL, or put it at {} or on PATH): the modules are not annotated; \
             `kwctl annotate` them before distributing (see policy-wasm/README.md)",
            display(root, &kubewarden::shared_tools_dir(root).join("kwctl"))
        );
        return Ok(());
    };
    for (bare, metadata, annotated) in ANNOTATED {
        let (bare, annotated) = (out_dir.join(bare), out_dir.join(annotated));
        let output = kubewarden::command(&kwctl)
            .current_dir(root)
            .arg("annotate")
            .arg(&bare)
            .args(["--metadata-path", metadata])
            .args(["--usage-path", "policy-wasm/README.md"])
            .arg("--output-path")
            .arg(&annotated)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", kwctl.display()))?;
        if !output.status.success() {
            return Err(format!(
                "`kwctl annotate {}` failed ({}):\n{}",
                display(root, &bare),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        println!(
            "{}: {} (annotated by {} with {metadata} and policy-wasm/README.md)",
            display(root, &annotated),
            kb(size(&annotated)?),
            kwctl.display()
        );
    }
    Ok(())
}

/// Build both modules with the `policy` profile; returns where they are.
fn build(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target_dir = root.join("target").join("policy-build");
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "-p",
            "kube-immutable-policy",
            "--target",
            "wasm32-wasip1",
            "--profile",
            "policy",
            // The end-to-end tests build the same way (tests/src/lib.rs).
            "--target-dir",
        ])
        .arg(&target_dir)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo build of the policy module failed ({status})"
        ));
    }
    Ok(target_dir.join("wasm32-wasip1").join("policy"))
}

/// `node_modules/.bin/wasm-opt`, else `wasm-opt` on `PATH`, if it runs.
pub(crate) fn find_wasm_opt(root: &Path) -> Option<PathBuf> {
    let local = root.join("node_modules").join(".bin").join("wasm-opt");
    [local, PathBuf::from("wasm-opt")]
        .into_iter()
        .find(|candidate| {
            Command::new(candidate)
                .arg("--version")
                .output()
                .is_ok_and(|out| out.status.success())
        })
}

/// wasm-opt's options for the browser's modules (the playground, the npm
/// package), on top of `-Oz`: rustc lays the stack out first, from address
/// 0 up to 1 MiB, and the data after it, so nothing lives in the lowest
/// kilobyte until the stack is nearly exhausted, and wasm-opt may fold
/// constant offsets into loads and stores (−1.4 KB of the playground's
/// gzipped wasm). The policy module keeps plain `-Oz`: its speed was
/// measured with it.
pub(crate) const BROWSER_WASM_OPT: &[&str] = &["--low-memory-unused"];

/// Optimise in place with `-Oz` and `extra`; a wasm-opt too old to read the
/// module is a warning.
pub(crate) fn run_wasm_opt(wasm_opt: &Path, module: &Path, extra: &[&str]) -> Result<(), String> {
    let optimised = module.with_extension("opt.wasm");
    let output = Command::new(wasm_opt)
        .arg("-Oz")
        .args(extra)
        .args(WASM_FEATURES)
        .arg(module)
        .arg("-o")
        .arg(&optimised)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", wasm_opt.display()))?;
    if !output.status.success() {
        eprintln!(
            "warning: {} failed on {}, keeping the unoptimised module (binaryen >= 116 is needed; `npm ci` installs binaryen 132 from package.json):\n{}",
            wasm_opt.display(),
            module.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
        let _ = std::fs::remove_file(&optimised);
        return Ok(());
    }
    std::fs::rename(&optimised, module)
        .map_err(|e| format!("cannot replace {}: {e}", module.display()))
}

fn size(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

fn display(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
