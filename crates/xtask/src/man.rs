//! The CLI's man pages in `docs/man/`, part of `cargo xtask docs [--check]`.
//!
//! The pages come from the CLI itself (`kube-immutable man --dir DIR`,
//! clap_mangen on the same clap definitions as `--help`), so they cannot
//! drift from the options; they are committed for packagers and readers,
//! and `--check` fails when they differ from what the CLI writes now.

use std::path::Path;
use std::process::Command;

/// Generated pages, relative to the workspace root.
pub(crate) const MAN_DIR: &str = "docs/man";

/// Writes the pages (or with `check`, compares them); returns the problems.
pub(crate) fn sync(root: &Path, check: bool) -> Result<Vec<String>, String> {
    let scratch = root.join("target/xtask-man");
    let _ = std::fs::remove_dir_all(&scratch);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "run",
            "--quiet",
            "--locked",
            "-p",
            "kube-immutable",
            "--bin",
            "kube-immutable",
            "--",
            "man",
            "--dir",
        ])
        .arg(&scratch)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("kube-immutable man --dir failed ({status})"));
    }
    let pages = read_dir(&scratch)?;
    let dir = root.join(MAN_DIR);
    let committed = if dir.is_dir() {
        read_dir(&dir)?
    } else {
        Vec::new()
    };
    let mut problems = Vec::new();
    for (name, text) in &pages {
        let current = committed.iter().find(|(n, _)| n == name).map(|(_, t)| t);
        if current == Some(text) {
            continue;
        }
        if check {
            problems.push(format!(
                "{MAN_DIR}/{name} is {}: run `cargo xtask docs` and commit the result",
                if current.is_some() {
                    "out of date"
                } else {
                    "missing"
                }
            ));
        } else {
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            std::fs::write(dir.join(name), text)
                .map_err(|e| format!("cannot write {MAN_DIR}/{name}: {e}"))?;
            println!("wrote {MAN_DIR}/{name}");
        }
    }
    for (name, _) in &committed {
        if !pages.iter().any(|(n, _)| n == name) {
            if check {
                problems.push(format!(
                    "{MAN_DIR}/{name} is not a page the CLI writes: delete it"
                ));
            } else {
                std::fs::remove_file(dir.join(name))
                    .map_err(|e| format!("cannot delete {MAN_DIR}/{name}: {e}"))?;
                println!("deleted {MAN_DIR}/{name}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if check && problems.is_empty() {
        println!("{MAN_DIR} is up to date ({} pages)", pages.len());
    }
    Ok(problems)
}

/// The `.1` pages of a folder: (file name, text), sorted by name.
fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut pages = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".1") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path())
            .map_err(|e| format!("cannot read {}: {e}", entry.path().display()))?;
        pages.push((name, text));
    }
    pages.sort();
    Ok(pages)
}
