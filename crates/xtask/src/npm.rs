//! `cargo xtask build-npm`: the npm package `kube-immutable` in `target/npm/`,
//! ready for `npm publish`.
//!
//! 1. `cargo build -p kube-immutable-js --target wasm32-unknown-unknown
//!    --profile wasm-size` (the playground's size-first profile);
//! 2. `wasm-bindgen --target web --no-typescript` (the CLI at the version in
//!    `Cargo.lock`, installed by scripts/setup.sh) writes the glue
//!    `kube_immutable_wasm.js` and `kube_immutable_wasm_bg.wasm`;
//! 3. `wasm-opt -Oz --low-memory-unused` on the wasm
//!    ([`BROWSER_WASM_OPT`], as for the playground; binaryen from
//!    package.json);
//! 4. copy the hand-written files of `crates/kube-immutable-js/js/` (the
//!    entries `index.js` for browsers and bundlers and `node.js` for Node,
//!    the TypeScript declarations, the `<kube-immutable-check>` element with
//!    the playground's address filled in), the playground's share codec
//!    `web/js/share.mjs` (one source for both), the package README and the
//!    licence; write `package.json`;
//! 5. print every file's size, raw and gzipped, and fail when the wasm is
//!    over [`WASM_BUDGET`] gzipped.
//!
//! The element links to the playground at `$KUBE_IMMUTABLE_PLAYGROUND_URL`,
//! by default [`PLAYGROUND_URL`] (the address it will have once published).

use std::path::{Path, PathBuf};
use std::process::Command;

use kube_immutable_core::rules::PLAYGROUND_URL;
use kube_immutable_core::VERSION;

use crate::policy::{find_wasm_opt, run_wasm_opt, BROWSER_WASM_OPT};
use crate::web::{gzipped, kb};
use crate::workspace_root;

/// Gzipped bytes of the package's wasm after wasm-opt (issue #8).
pub(crate) const WASM_BUDGET: u64 = 150 * 1000;

/// The environment variable that sets the element's default playground.
const PLAYGROUND_ENV: &str = "KUBE_IMMUTABLE_PLAYGROUND_URL";

/// What the element's source holds in place of the playground's address
/// (a JavaScript string literal, replaced by a JSON one).
const PLAYGROUND_PLACEHOLDER: &str = "\"%KUBE_IMMUTABLE_PLAYGROUND_URL%\"";

/// The glue's name (`--out-name`): `kube_immutable_wasm.js` and `…_bg.wasm`.
const GLUE: &str = "kube_immutable_wasm";

/// Files copied from `crates/kube-immutable-js/js/` as they are.
const JS_FILES: &[&str] = &[
    "index.js",
    "index.d.ts",
    "node.js",
    "node.d.ts",
    "kube-immutable-check.d.ts",
];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    if let Some(other) = args.first() {
        return Err(format!("build-npm: unknown argument `{other}`"));
    }
    let root = workspace_root();
    let out = root.join("target").join("npm");
    let playground = std::env::var(PLAYGROUND_ENV)
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| PLAYGROUND_URL.to_owned());

    let built = build(&root)?;
    // A clean folder: nothing stale gets published.
    if out.exists() {
        std::fs::remove_dir_all(&out)
            .map_err(|e| format!("cannot empty {}: {e}", out.display()))?;
    }
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    bindgen(&built, &out)?;
    let wasm = out.join(format!("{GLUE}_bg.wasm"));
    let optimised = match find_wasm_opt(&root) {
        Some(wasm_opt) => {
            run_wasm_opt(&wasm_opt, &wasm, BROWSER_WASM_OPT)?;
            true
        }
        None => {
            eprintln!(
                "warning: no usable wasm-opt (run `npm ci`: package.json pins binaryen 132); the wasm is not optimised"
            );
            false
        }
    };

    let js = root.join("crates").join("kube-immutable-js").join("js");
    for name in JS_FILES {
        copy(&js.join(name), &out.join(name))?;
    }
    let element = read(&js.join("kube-immutable-check.js"))?;
    if !element.contains(PLAYGROUND_PLACEHOLDER) {
        return Err(format!(
            "kube-immutable-check.js no longer holds {PLAYGROUND_PLACEHOLDER}"
        ));
    }
    write(
        &out.join("kube-immutable-check.js"),
        &element.replace(
            PLAYGROUND_PLACEHOLDER,
            &serde_json::Value::from(playground.as_str()).to_string(),
        ),
    )?;
    copy(
        &root.join("web").join("js").join("share.mjs"),
        &out.join("share.mjs"),
    )?;
    copy(
        &root
            .join("crates")
            .join("kube-immutable-js")
            .join("README.md"),
        &out.join("README.md"),
    )?;
    copy(&root.join("LICENSE"), &out.join("LICENSE"))?;
    write(&out.join("package.json"), &package_json())?;

    let wasm_gz = print_sizes(&out, &wasm)?;
    println!(
        "\nthe element's default playground: {playground} (set {PLAYGROUND_ENV} to change it)"
    );
    let within = wasm_gz <= WASM_BUDGET;
    println!(
        "budget: the wasm {} of {} gzipped ({})",
        kb(wasm_gz),
        kb(WASM_BUDGET),
        if within { "within" } else { "OVER" }
    );
    if !within {
        return Err(format!(
            "the package's wasm is over its size budget{}",
            if optimised {
                ""
            } else {
                " (wasm-opt did not run: `npm ci` installs it)"
            }
        ));
    }
    Ok(())
}

/// `package.json`: ESM only; `exports` sends Node to `node.js` (which reads
/// the wasm from disk) and browsers and bundlers to `index.js` (which
/// fetches it beside itself, a `new URL(…, import.meta.url)` bundlers
/// understand).
pub(crate) fn package_json() -> String {
    let files = [
        "index.js",
        "index.d.ts",
        "node.js",
        "node.d.ts",
        "kube-immutable-check.js",
        "kube-immutable-check.d.ts",
        "share.mjs",
        &format!("{GLUE}.js"),
        &format!("{GLUE}_bg.wasm"),
    ];
    let package = serde_json::json!({
        "name": "kube-immutable",
        "version": VERSION,
        "description": "Tells whether Kubernetes containers are immutable, shows where they are not, and fixes the manifest: check() and fix() in WebAssembly, and a <kube-immutable-check> element for docs pages.",
        "license": "Apache-2.0",
        "repository": {
            "type": "git",
            "url": "git+https://github.com/kube-immutable/kube-immutable.git",
            "directory": "crates/kube-immutable-js"
        },
        "keywords": ["kubernetes", "security", "immutable", "pod-security", "lint", "wasm", "web-component"],
        "type": "module",
        "main": "./node.js",
        "module": "./index.js",
        "types": "./index.d.ts",
        "exports": {
            ".": {
                "types": "./index.d.ts",
                "node": "./node.js",
                "default": "./index.js"
            },
            "./kube-immutable-check.js": {
                "types": "./kube-immutable-check.d.ts",
                "default": "./kube-immutable-check.js"
            },
            "./share.mjs": "./share.mjs",
            "./package.json": "./package.json"
        },
        "files": files,
        "sideEffects": ["./index.js", "./node.js", "./kube-immutable-check.js"],
        "engines": { "node": ">=18" }
    });
    let mut text = serde_json::to_string_pretty(&package).unwrap_or_default();
    text.push('\n');
    text
}

/// Build the crate for the browser; returns the `.wasm` cargo wrote. As the
/// playground's: the standard library compiled with it for size and with
/// `panic=immediate-abort` when the pinned nightly is installed
/// ([`crate::web::with_size_std`]), else with the stable toolchain (larger).
fn build(root: &Path) -> Result<PathBuf, String> {
    let cargo_build = |build_std: bool| {
        let mut command = Command::new("cargo");
        if build_std {
            crate::web::with_size_std(&mut command, root);
        }
        command
            .current_dir(root)
            .args([
                "build",
                "--locked",
                "-p",
                "kube-immutable-js",
                "--target",
                "wasm32-unknown-unknown",
                "--profile",
                // The playground's profile: the two builds share what they compile.
                "wasm-size",
            ])
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))
    };
    let target_dir = if crate::web::size_toolchain().is_some() && cargo_build(true)?.success() {
        root.join("target").join("build-std")
    } else {
        eprintln!(
            "warning: building the package's wasm with the stable toolchain (the standard library is not compiled with it: larger); ./scripts/setup.sh installs {}",
            crate::web::SIZE_TOOLCHAIN
        );
        let status = cargo_build(false)?;
        if !status.success() {
            return Err(format!(
                "cargo build of kube-immutable-js failed ({status})"
            ));
        }
        root.join("target")
    };
    Ok(target_dir
        .join("wasm32-unknown-unknown")
        .join("wasm-size")
        .join("kube_immutable_js.wasm"))
}

/// Run the wasm-bindgen CLI whose version is the library's in Cargo.lock.
fn bindgen(wasm: &Path, out: &Path) -> Result<(), String> {
    let root = workspace_root();
    let lock = read(&root.join("Cargo.lock"))?;
    let wanted = lock
        .split("[[package]]")
        .find(|p| p.contains("\nname = \"wasm-bindgen\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = ")))
        .map(|v| v.trim_matches('"').to_owned())
        .ok_or("Cargo.lock has no wasm-bindgen")?;
    let bindgen = find_bindgen(&wanted).ok_or(format!(
        "wasm-bindgen {wanted} not found: run ./scripts/setup.sh (it installs the CLI matching Cargo.lock)"
    ))?;
    let status = Command::new(&bindgen)
        .args([
            "--target",
            "web",
            "--no-typescript",
            "--out-name",
            GLUE,
            "--out-dir",
        ])
        .arg(out)
        .arg(wasm)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", bindgen.display()))?;
    if !status.success() {
        return Err(format!("wasm-bindgen failed ({status})"));
    }
    Ok(())
}

/// `wasm-bindgen` on `PATH`, else in cargo's bin folder, at that version.
fn find_bindgen(version: &str) -> Option<PathBuf> {
    let home_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .map(|c| c.join("bin").join("wasm-bindgen"));
    let expected = format!("wasm-bindgen {version}");
    std::iter::once(PathBuf::from("wasm-bindgen"))
        .chain(home_bin)
        .find(|candidate| {
            Command::new(candidate)
                .arg("--version")
                .output()
                .is_ok_and(|o| {
                    o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == expected
                })
        })
}

/// Print the package's files, raw and gzipped; returns the wasm's gzipped size.
fn print_sizes(out: &Path, wasm: &Path) -> Result<u64, String> {
    let mut rows = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(out)
        .map_err(|e| format!("cannot read {}: {e}", out.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    for file in entries {
        let bytes =
            std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        rows.push((file, bytes.len() as u64, gzipped(&bytes)?));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.2));
    println!("\n{:<40} {:>10} {:>10}", "target/npm/", "raw", "gzip -9");
    for (file, raw, gz) in &rows {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!("{name:<40} {:>10} {:>10}", kb(*raw), kb(*gz));
    }
    let total_raw: u64 = rows.iter().map(|r| r.1).sum();
    let total_gz: u64 = rows.iter().map(|r| r.2).sum();
    println!("{:<40} {:>10} {:>10}", "total", kb(total_raw), kb(total_gz));
    Ok(rows.iter().find(|r| r.0 == wasm).map_or(0, |r| r.2))
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_json_points_node_and_browsers_at_existing_entries() {
        let package: serde_json::Value = serde_json::from_str(&package_json()).unwrap();
        assert_eq!(package["name"], "kube-immutable");
        assert_eq!(package["version"], VERSION);
        let dot = &package["exports"]["."];
        assert_eq!(dot["node"], "./node.js");
        assert_eq!(dot["default"], "./index.js");
        // `types` first: TypeScript takes the first condition that matches.
        assert_eq!(dot.as_object().unwrap().keys().next().unwrap(), "types");
        let files: Vec<&str> = package["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let js = workspace_root().join("crates/kube-immutable-js/js");
        for name in JS_FILES.iter().chain(["kube-immutable-check.js"].iter()) {
            assert!(files.contains(name), "{name} is not in `files`");
            assert!(
                js.join(name).is_file(),
                "{name} is not in crates/kube-immutable-js/js"
            );
        }
    }
}
