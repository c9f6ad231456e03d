//! What the binary's end-to-end tests share: running it and reading its output.

#![allow(dead_code)] // each test file uses a part

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Out {
    run_env(dir, args, stdin, &[])
}

pub fn run_env(dir: &Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Out {
    run_program(
        Path::new(env!("CARGO_BIN_EXE_kube-immutable")),
        dir,
        args,
        stdin.unwrap_or("").as_bytes(),
        env,
    )
}

/// Any program (the CLI, the kubectl plugin binary, kubectl itself), with
/// bytes on its standard input and `env` added to its environment.
pub fn run_program(
    program: &Path,
    dir: &Path,
    args: &[&str],
    stdin: &[u8],
    env: &[(&str, &str)],
) -> Out {
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    // A program may exit before reading all of its input (`--help`).
    let _ = pipe.write_all(stdin);
    drop(pipe);
    let output = child.wait_with_output().unwrap();
    Out {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// What `check --format json` says of `path` (relative to the repository's
/// root): each finding's rule and 1-based line, sorted. The editor tests
/// compare their diagnostics with it.
pub fn check_rules_and_lines(path: &str) -> Vec<(String, u64)> {
    let check = run_in(&root(), &["check", "--format", "json", path], None);
    let mut found: Vec<(String, u64)> = check.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    found
}
