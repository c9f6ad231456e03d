//! kube-immutable for Zed: starts `kube-immutable lsp`, the language server
//! in the project's binary, for YAML and JSON files.
//!
//! Zed runs only the language servers an extension declares
//! (`extension.toml`); this extension declares one and says how to start
//! it. Everything else (findings, quick fixes, hover, settings discovery)
//! is the server's.
//!
//! Zed's user settings can point at another binary and pass options:
//!
//! ```json
//! "lsp": {
//!   "kube-immutable": {
//!     "binary": { "path": "/opt/bin/kube-immutable" },
//!     "initialization_options": { "lang": "fr" }
//!   }
//! }
//! ```

use zed_extension_api::settings::{CommandSettings, LspSettings};
use zed_extension_api::{self as zed, serde_json, Command, LanguageServerId, Worktree};

/// The language server's id in `extension.toml`, and the key of its
/// settings under `lsp` in Zed's settings.
const SERVER: &str = "kube-immutable";

/// The binary that holds the server, looked up on the worktree's `PATH`.
const BINARY: &str = "kube-immutable";

struct KubeImmutable;

impl zed::Extension for KubeImmutable {
    fn new() -> Self {
        Self
    }

    fn language_server_command(
        &mut self,
        _id: &LanguageServerId,
        worktree: &Worktree,
    ) -> zed::Result<Command> {
        let binary = settings(worktree).binary;
        // `which` only when no path is set: the setting wins.
        let on_path = match binary.as_ref().and_then(|b| b.path.as_ref()) {
            Some(_) => None,
            None => worktree.which(BINARY),
        };
        server_command(binary, on_path, worktree.shell_env())
    }

    fn language_server_initialization_options(
        &mut self,
        _id: &LanguageServerId,
        worktree: &Worktree,
    ) -> zed::Result<Option<serde_json::Value>> {
        Ok(settings(worktree).initialization_options)
    }

    fn language_server_workspace_configuration(
        &mut self,
        _id: &LanguageServerId,
        worktree: &Worktree,
    ) -> zed::Result<Option<serde_json::Value>> {
        Ok(settings(worktree).settings)
    }
}

/// The server's settings in Zed's (`lsp.kube-immutable`), or none.
fn settings(worktree: &Worktree) -> LspSettings {
    LspSettings::for_worktree(SERVER, worktree).unwrap_or_default()
}

/// How to start the server: the binary the settings name (with their
/// arguments, `lsp` by default, and their environment on top of the
/// shell's), else the one found on `PATH`, else an error that says what to
/// do (Zed shows it beside the language server's name).
fn server_command(
    binary: Option<CommandSettings>,
    on_path: Option<String>,
    shell_env: Vec<(String, String)>,
) -> zed::Result<Command> {
    let (path, args, env) = match binary {
        Some(b) => (b.path, b.arguments, b.env),
        None => (None, None, None),
    };
    let Some(command) = path.or(on_path) else {
        return Err(format!(
            "`{BINARY}` is not on PATH: install it (`cargo install --path crates/kube-immutable-cli` \
             from the kube-immutable repository) or set `lsp.{SERVER}.binary.path` in Zed's settings"
        ));
    };
    let mut vars = shell_env;
    for (key, value) in env.into_iter().flatten() {
        vars.retain(|(k, _)| *k != key);
        vars.push((key, value));
    }
    Ok(Command {
        command,
        args: args.unwrap_or_else(|| vec!["lsp".to_owned()]),
        env: vars,
    })
}

zed::register_extension!(KubeImmutable);

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn settings(
        path: Option<&str>,
        args: Option<&[&str]>,
        env: &[(&str, &str)],
    ) -> CommandSettings {
        CommandSettings {
            path: path.map(str::to_owned),
            arguments: args.map(|a| a.iter().map(|s| (*s).to_owned()).collect()),
            env: (!env.is_empty()).then(|| {
                env.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<HashMap<_, _>>()
            }),
        }
    }

    fn shell() -> Vec<(String, String)> {
        vec![("PATH".to_owned(), "/usr/bin".to_owned())]
    }

    #[test]
    fn the_binary_on_path_runs_the_lsp_subcommand_in_the_shell_environment() {
        let command = server_command(
            None,
            Some("/home/u/.cargo/bin/kube-immutable".into()),
            shell(),
        )
        .unwrap();
        assert_eq!(command.command, "/home/u/.cargo/bin/kube-immutable");
        assert_eq!(command.args, ["lsp"]);
        assert_eq!(command.env, shell());
    }

    #[test]
    fn a_path_in_the_settings_wins_and_its_arguments_and_environment_apply() {
        let binary = settings(
            Some("/opt/kube-immutable"),
            Some(&["lsp", "--verbose"]),
            &[("PATH", "/opt/bin"), ("RUST_BACKTRACE", "1")],
        );
        let command = server_command(Some(binary), None, shell()).unwrap();
        assert_eq!(command.command, "/opt/kube-immutable");
        assert_eq!(command.args, ["lsp", "--verbose"]);
        let env: HashMap<_, _> = command.env.into_iter().collect();
        assert_eq!(env["PATH"], "/opt/bin", "the setting overrides the shell's");
        assert_eq!(env["RUST_BACKTRACE"], "1");
        assert_eq!(env.len(), 2);
    }

    #[test]
    fn settings_without_a_path_still_use_the_binary_on_path() {
        let binary = settings(None, None, &[("KUBE_IMMUTABLE_LOG", "1")]);
        let command = server_command(
            Some(binary),
            Some("/usr/local/bin/kube-immutable".into()),
            shell(),
        )
        .unwrap();
        assert_eq!(command.command, "/usr/local/bin/kube-immutable");
        assert_eq!(command.args, ["lsp"]);
        assert!(command
            .env
            .contains(&("KUBE_IMMUTABLE_LOG".into(), "1".into())));
    }

    #[test]
    fn no_binary_anywhere_says_how_to_install_it() {
        let error = server_command(None, None, shell()).unwrap_err();
        assert!(error.contains("cargo install"), "{error}");
        assert!(error.contains("lsp.kube-immutable.binary.path"), "{error}");
    }

    /// The id Zed knows the server by is the one its settings are read
    /// under: both are `SERVER`.
    #[test]
    fn the_manifest_declares_the_server_for_yaml_and_json() {
        let manifest = include_str!("../extension.toml");
        let section = format!("[language_servers.{SERVER}]");
        let at = manifest.find(&section).expect("the server's section");
        let body = &manifest[at + section.len()..];
        let body = &body[..body.find("\n[").unwrap_or(body.len())];
        assert!(body.contains(r#"languages = ["YAML", "JSON"]"#), "{body}");
    }
}
