//! Kubewarden's own tools, found the way the tests find them
//! (`tests/src/kubewarden.rs`): `$KWCTL` / `$POLICY_SERVER`, else
//! `../shared/tools/kubewarden/` next to the workspace, else `PATH`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The folder that holds Kubewarden's tools on the development machines.
pub(crate) fn shared_tools_dir(root: &Path) -> PathBuf {
    root.join("..")
        .join("shared")
        .join("tools")
        .join("kubewarden")
}

/// A tool: `$env` when set (an error when it does not run), else the shared
/// folder's copy, else `name` on `PATH`; `Ok(None)` when none is found.
pub(crate) fn find_tool(root: &Path, env: &str, name: &str) -> Result<Option<PathBuf>, String> {
    if let Some(path) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if runs(&path) {
            Ok(Some(path))
        } else {
            Err(format!(
                "{env}={} does not run (`{} --version` failed)",
                path.display(),
                path.display()
            ))
        };
    }
    let shared = shared_tools_dir(root).join(name);
    let shared = std::fs::canonicalize(&shared).unwrap_or(shared);
    Ok([shared, PathBuf::from(name)]
        .into_iter()
        .find(|candidate| runs(candidate)))
}

fn runs(path: &Path) -> bool {
    Command::new(path)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The local Sigstore trust root that lets kwctl and policy-server start
/// without the network: `$SIGSTORE_TRUST_CONFIG`, else
/// `sigstore-trust-config.json` beside the tool, else in the shared folder.
pub(crate) fn sigstore_trust_config(root: &Path, tool: &Path) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SIGSTORE_TRUST_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let beside = tool
        .parent()
        .map(|dir| dir.join("sigstore-trust-config.json"));
    let shared = shared_tools_dir(root).join("sigstore-trust-config.json");
    beside.into_iter().chain([shared]).find(|p| p.is_file())
}

/// A command for a Kubewarden tool: no Rust backtraces in its error
/// messages (they are `anyhow` errors, and CI may set `RUST_BACKTRACE`).
pub(crate) fn command(tool: &Path) -> Command {
    let mut command = Command::new(tool);
    command
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0");
    command
}
