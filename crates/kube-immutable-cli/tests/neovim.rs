//! `kube-immutable lsp` in a real editor: Debian's Neovim (0.7), headless,
//! runs `tests/neovim/session.lua` against the built server: the tutorial's
//! pod opened, its diagnostics on the lines `check` reports, the quick fix
//! of `privileged` and the fix-all action applied through Neovim's own LSP
//! client, the buffer written, and the file compared with what
//! `kube-immutable fix` makes.
//!
//! Without `nvim` on `PATH` (or `NVIM`), the test says SKIPPED; under CI
//! (`CI` set) it fails instead: `scripts/setup.sh` installs Neovim.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failing test

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{check_rules_and_lines, root, run_in};

fn nvim() -> Option<PathBuf> {
    let program = std::env::var_os("NVIM").map_or_else(|| PathBuf::from("nvim"), PathBuf::from);
    let works = Command::new(&program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    works.then_some(program)
}

/// (rule, line) of a Neovim diagnostics snapshot.
fn rules_and_lines(snapshot: &Value) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = snapshot
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_owned(),
                d["line"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn neovim_shows_the_findings_and_applies_the_fixes() {
    let Some(nvim) = nvim() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "nvim not found: scripts/setup.sh installs Debian's neovim"
        );
        eprintln!("SKIPPED: nvim not found (apt-get install neovim, or set NVIM)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // A repository of its own: no settings file above it is found.
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let file = dir.path().join("pod.yaml");
    let original = std::fs::read_to_string(root().join("examples/mutable-pod.yaml")).unwrap();
    std::fs::write(&file, &original).unwrap();
    let out = dir.path().join("result.json");

    let mut child = Command::new(&nvim)
        .args(["--headless", "--clean", "-n", "-i", "NONE", "-c"])
        .arg(format!(
            "luafile {}",
            root()
                .join("crates/kube-immutable-cli/tests/neovim/session.lua")
                .display()
        ))
        .env("KI_BIN", env!("CARGO_BIN_EXE_kube-immutable"))
        .env("KI_FILE", &file)
        .env("KI_OUT", &out)
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("Neovim did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let result: Value = serde_json::from_str(
        &std::fs::read_to_string(&out)
            .unwrap_or_else(|e| panic!("no result from Neovim ({status}): {e}")),
    )
    .unwrap();
    assert!(
        result.get("error").is_none(),
        "in Neovim: {}",
        result["error"]
    );
    assert!(status.success(), "{status}");

    // The diagnostics: the findings of `check`, on the same lines.
    let expected = check_rules_and_lines("examples/mutable-pod.yaml");
    assert_eq!(rules_and_lines(&result["first"]), expected);
    let privileged = result["first"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "privileged")
        .unwrap();
    assert_eq!(
        (privileged["line"].as_u64(), privileged["col"].as_u64()),
        (Some(13), Some(8))
    );
    assert_eq!(privileged["severity"], 1, "vim.diagnostic.severity.ERROR");

    // The quick fix: exactly `privileged: false`, nothing else.
    assert_eq!(result["quickfix_title"], "Set `privileged: false`");
    let after_quickfix = result["after_quickfix"].as_str().unwrap();
    assert_eq!(
        after_quickfix,
        original.replace("privileged: true", "privileged: false")
    );
    assert!(!rules_and_lines(&result["second"])
        .iter()
        .any(|(rule, _)| rule == "privileged"));

    // Fix all, written by Neovim: what `kube-immutable fix` makes of the
    // same text.
    assert_eq!(result["fix_all_title"], "Fix all safe problems");
    let step = dir.path().join("after-quickfix.yaml");
    std::fs::write(&step, after_quickfix).unwrap();
    let fixed = run_in(dir.path(), &["fix", "after-quickfix.yaml"], None);
    let written = std::fs::read_to_string(&file).unwrap();
    assert_eq!(written, fixed.stdout);
    assert_ne!(written, after_quickfix);
    // What is left: the findings whose fixes are unsafe.
    let left: Vec<String> = rules_and_lines(&result["final"])
        .into_iter()
        .map(|(rule, _)| rule)
        .collect();
    assert_eq!(
        left,
        [
            "capabilities-not-restricted",
            "may-run-as-root",
            "run-as-root"
        ]
    );
}
