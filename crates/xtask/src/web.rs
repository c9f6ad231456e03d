//! `cargo xtask build-web`: the playground's release dist in `target/web/`,
//! relocatable (it works under any sub-path of a site).
//!
//! 1. `trunk build --release --minify --public-url ./ --dist target/web`
//!    (Trunk.toml: offline and locked; its pre-build hook bundles
//!    `playground.js` with esbuild; `web/index.html` asks for the
//!    size-focused `wasm-size` profile; Trunk minifies the HTML and CSS).
//!    When the pinned [`SIZE_TOOLCHAIN`] is installed with `rust-src`
//!    (scripts/setup.sh installs it), the standard library is compiled with
//!    the app (`-Zbuild-std`) for size and with `panic=immediate-abort`: a
//!    panic already ended the app without a word, and its message machinery
//!    was ~19 KB of the gzipped wasm. Without that toolchain, stable builds
//!    the same app, larger, and the task says so;
//! 2. `wasm-opt -Oz --low-memory-unused` on the app's wasm
//!    ([`BROWSER_WASM_OPT`]; binaryen from package.json, as for the policy
//!    module): `web/index.html` keeps `data-wasm-opt="0"` so that a plain
//!    `trunk build` or `trunk serve` never needs it;
//! 3. esbuild minifies wasm-bindgen's JS glue and `sw.js`
//!    (`web/js/minify.mjs`), which Trunk leaves as they are;
//! 4. print every file's size, raw and gzipped (level 9), the totals, and
//!    the budgets (web/README.md): the app's wasm at most [`WASM_BUDGET`]
//!    and the whole dist at most [`DIST_BUDGET`] gzipped.
//!
//! `--check-budgets` makes step 4 fail when a budget is exceeded.
//!
//! `cargo xtask bench-web [--runs N] [CORPUS_DIR]` builds the dist, then runs
//! `web/e2e/bench-web.mjs` in Debian's Chromium: first render, the check of a
//! 1 MB manifest (the real-world corpus's files joined) and typing in it.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::policy::{find_wasm_opt, run_wasm_opt, BROWSER_WASM_OPT};
use crate::workspace_root;

/// Gzipped bytes of the app's wasm after wasm-opt.
pub(crate) const WASM_BUDGET: u64 = 200 * 1000;
/// Gzipped bytes of the whole dist, editor included.
pub(crate) const DIST_BUDGET: u64 = 350 * 1000;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mut check_budgets = false;
    for arg in args {
        match arg.as_str() {
            "--check-budgets" => check_budgets = true,
            other => return Err(format!("build-web: unknown argument `{other}`")),
        }
    }
    let root = workspace_root();
    let dist = root.join("target").join("web");
    let trunk = find_trunk().ok_or(
        "trunk 0.21.14 not found: run ./scripts/setup.sh (it installs Trunk, wasm-bindgen-cli and the npm packages)",
    )?;
    let trunk_build = |build_std: bool| {
        let mut command = Command::new(&trunk);
        if build_std {
            with_size_std(&mut command, &root);
        }
        command
            .current_dir(&root)
            .args([
                "build",
                "--release",
                "--minify",
                "--public-url",
                "./",
                "--dist",
            ])
            .arg(&dist)
            .status()
            .map_err(|e| format!("cannot run {}: {e}", trunk.display()))
    };
    let built = match size_toolchain() {
        Some(sysroot) => {
            eprintln!(
                "build-web: the standard library is built from source by {SIZE_TOOLCHAIN} ({}), with panic=immediate-abort",
                sysroot.display()
            );
            let status = trunk_build(true)?;
            if !status.success() {
                eprintln!(
                    "warning: the build with {SIZE_TOOLCHAIN} failed ({status}): building again with the stable toolchain"
                );
            }
            status.success()
        }
        None => {
            eprintln!(
                "warning: {SIZE_TOOLCHAIN} with rust-src not found (./scripts/setup.sh installs it): building with the stable toolchain, the app's wasm is ~19 KB larger gzipped"
            );
            false
        }
    };
    if !built {
        let status = trunk_build(false)?;
        if !status.success() {
            return Err(format!("trunk build failed ({status})"));
        }
    }

    let wasm = files(&dist)?
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "wasm"))
        .ok_or("trunk wrote no .wasm file")?;
    match find_wasm_opt(&root) {
        Some(wasm_opt) => run_wasm_opt(&wasm_opt, &wasm, BROWSER_WASM_OPT)?,
        None => eprintln!(
            "warning: no usable wasm-opt (run `npm ci`: package.json pins binaryen 132); the wasm is not optimised"
        ),
    }

    // Trunk minifies index.html and the CSS; esbuild the JS glue and sw.js.
    let status = Command::new("node")
        .current_dir(&root)
        .arg("web/js/minify.mjs")
        .arg(&dist)
        .status()
        .map_err(|e| format!("cannot run node: {e}"))?;
    if !status.success() {
        return Err(format!("minifying the dist's JavaScript failed ({status})"));
    }

    let mut rows = Vec::new();
    for file in files(&dist)? {
        let bytes =
            std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        rows.push((file, bytes.len() as u64, gzipped(&bytes)?));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.2));
    println!("\n{:<48} {:>10} {:>10}", "target/web/", "raw", "gzip -9");
    for (file, raw, gz) in &rows {
        let name = file
            .strip_prefix(&dist)
            .unwrap_or(file)
            .display()
            .to_string();
        println!("{name:<48} {:>10} {:>10}", kb(*raw), kb(*gz));
    }
    let total_raw: u64 = rows.iter().map(|r| r.1).sum();
    let total_gz: u64 = rows.iter().map(|r| r.2).sum();
    println!("{:<48} {:>10} {:>10}", "total", kb(total_raw), kb(total_gz));
    let wasm_gz = rows.iter().find(|r| r.0 == wasm).map_or(0, |r| r.2);
    let verdict = |size: u64, budget: u64| if size <= budget { "within" } else { "OVER" };
    println!(
        "\nbudgets: app wasm {} of {} gzipped ({}), whole dist {} of {} gzipped ({})",
        kb(wasm_gz),
        kb(WASM_BUDGET),
        verdict(wasm_gz, WASM_BUDGET),
        kb(total_gz),
        kb(DIST_BUDGET),
        verdict(total_gz, DIST_BUDGET),
    );
    if check_budgets && (wasm_gz > WASM_BUDGET || total_gz > DIST_BUDGET) {
        let why = if built {
            String::new()
        } else {
            format!(" (built with the stable toolchain: ./scripts/setup.sh installs {SIZE_TOOLCHAIN}, which the budget counts on)")
        };
        return Err(format!("the playground is over its size budget{why}"));
    }
    Ok(())
}

pub(crate) fn bench(args: &[String]) -> Result<(), String> {
    run(&[])?;
    let root = workspace_root();
    let status = Command::new("node")
        .current_dir(&root)
        .arg("web/e2e/bench-web.mjs")
        .arg("target/web")
        .args(args)
        .status()
        .map_err(|e| format!("cannot run node: {e}"))?;
    if !status.success() {
        return Err(format!("the browser benchmark failed ({status})"));
    }
    Ok(())
}

/// The nightly toolchain that builds the playground's standard library from
/// source (`-Zbuild-std` and `panic=immediate-abort` are unstable). Pinned:
/// scripts/setup.sh reads this line and installs it with `rust-src`.
pub(crate) const SIZE_TOOLCHAIN: &str = "nightly-2026-05-19";

/// The sysroot of [`SIZE_TOOLCHAIN`] when it is installed with the
/// standard library's sources, which `-Zbuild-std` compiles.
pub(crate) fn size_toolchain() -> Option<PathBuf> {
    let out = Command::new("rustup")
        .args(["run", SIZE_TOOLCHAIN, "rustc", "--print", "sysroot"])
        .output()
        .ok()
        .filter(|out| out.status.success())?;
    let sysroot = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    sysroot
        .join("lib/rustlib/src/rust/library/Cargo.toml")
        .is_file()
        .then_some(sysroot)
}

/// Makes `command` (cargo, or Trunk which runs cargo) compile the standard
/// library with the app, for size, with `panic=immediate-abort`, in its own
/// target folder (`target/build-std/`: stable's artefacts stay usable).
/// The playground and the npm package are built so.
pub(crate) fn with_size_std(command: &mut Command, root: &Path) {
    command
        .env("RUSTUP_TOOLCHAIN", SIZE_TOOLCHAIN)
        .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
        .env("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size")
        .env("RUSTFLAGS", "-Zunstable-options -Cpanic=immediate-abort")
        .env("CARGO_TARGET_DIR", root.join("target").join("build-std"));
}

/// `trunk` on `PATH`, else in cargo's bin folder (where setup.sh puts it).
fn find_trunk() -> Option<PathBuf> {
    let home_bin = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .map(|c| c.join("bin").join("trunk"));
    std::iter::once(PathBuf::from("trunk"))
        .chain(home_bin)
        .find(|candidate| {
            Command::new(candidate)
                .arg("--version")
                .output()
                .is_ok_and(|out| out.status.success())
        })
}

/// The dist's files (it is flat), in name order.
fn files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

pub(crate) fn gzipped(bytes: &[u8]) -> Result<u64, String> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).map_err(|e| e.to_string())?;
    Ok(encoder.finish().map_err(|e| e.to_string())?.len() as u64)
}

/// Kilobytes of 1,000 bytes, as the policy's build task counts.
pub(crate) fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}
