//! Finding the settings file that applies to a manifest, as ruff finds its
//! configuration: the nearest `.kube-immutable.yaml` (or
//! `kube-immutable.yaml`) from the file's folder up to the workspace root
//! (the language server's workspace folders) or the repository root (a
//! folder holding `.git`), whichever comes first. `check` and `fix` use it
//! when no `--config` is given; the language server for every document.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kube_immutable_core::Settings;

use crate::config::{self, ConfigError};

/// The names a settings file is found by, in the order they are looked for
/// in each folder.
pub const CONFIG_NAMES: [&str; 2] = [".kube-immutable.yaml", "kube-immutable.yaml"];

/// Whether a path names a settings file that discovery would find.
pub fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONFIG_NAMES.contains(&n))
}

/// The nearest settings file for a file in `dir`, looking in `dir` and its
/// parents up to the first of `roots` that holds `dir`, or a repository
/// root, or the filesystem's root.
pub fn nearest_config(dir: &Path, roots: &[PathBuf]) -> Option<PathBuf> {
    for folder in dir.ancestors() {
        for name in CONFIG_NAMES {
            let candidate = folder.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        if roots.iter().any(|r| r == folder) || folder.join(".git").exists() {
            return None;
        }
    }
    None
}

/// Settings files found and read, each once.
#[derive(Debug, Default)]
pub struct Discovery {
    /// The workspace roots discovery stops at (the repository root else).
    pub roots: Vec<PathBuf>,
    /// Nearest settings file per folder.
    nearest: HashMap<PathBuf, Option<PathBuf>>,
    /// Each settings file read: its settings, or why it was refused.
    loaded: HashMap<PathBuf, Result<Settings, ConfigError>>,
}

impl Discovery {
    pub fn new(roots: Vec<PathBuf>) -> Self {
        Self {
            roots,
            ..Self::default()
        }
    }

    /// The settings file for a file in `dir`, if any.
    pub fn config_for(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(found) = self.nearest.get(dir) {
            return found.clone();
        }
        let found = nearest_config(dir, &self.roots);
        self.nearest.insert(dir.to_owned(), found.clone());
        found
    }

    /// The settings file read (once), or why it was refused.
    pub fn load(&mut self, config: &Path) -> &Result<Settings, ConfigError> {
        self.loaded
            .entry(config.to_owned())
            .or_insert_with(|| config::load(&config.to_string_lossy()))
    }

    /// Forget what was found and read (a settings file was created, changed
    /// or deleted).
    pub fn forget(&mut self) {
        self.nearest.clear();
        self.loaded.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_file_up_to_the_root_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("repo");
        let deep = root.join("apps/web/k8s");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        // Above the repository: never found.
        std::fs::write(tmp.path().join(".kube-immutable.yaml"), "").unwrap();
        assert_eq!(nearest_config(&deep, &[]), None);
        std::fs::write(root.join("kube-immutable.yaml"), "").unwrap();
        assert_eq!(
            nearest_config(&deep, &[]),
            Some(root.join("kube-immutable.yaml"))
        );
        std::fs::write(root.join("apps/.kube-immutable.yaml"), "").unwrap();
        assert_eq!(
            nearest_config(&deep, &[]),
            Some(root.join("apps/.kube-immutable.yaml"))
        );
        // A workspace root below the file's settings stops the search.
        assert_eq!(nearest_config(&deep, &[root.join("apps/web")]), None);
        // Both names in one folder: the hidden one first.
        std::fs::write(deep.join("kube-immutable.yaml"), "").unwrap();
        std::fs::write(deep.join(".kube-immutable.yaml"), "").unwrap();
        assert_eq!(
            nearest_config(&deep, &[]),
            Some(deep.join(".kube-immutable.yaml"))
        );
        assert!(is_config_file(&deep.join("kube-immutable.yaml")));
        assert!(!is_config_file(&deep.join("values.yaml")));
    }
}

/// The settings of each input of a `check` or `fix` run: those of
/// `--config` for all, or else each input's nearest settings file (the
/// defaults without one). Resolved before the run, so the run's threads
/// only look them up.
#[derive(Debug, Default)]
pub struct SettingsFor {
    /// `--config`: every input's.
    given: Option<Settings>,
    /// The nearest settings file of each input's folder (stdin: the
    /// working directory), and what each file holds.
    nearest: HashMap<PathBuf, Option<PathBuf>>,
    loaded: HashMap<PathBuf, Settings>,
    defaults: Settings,
}

impl SettingsFor {
    /// The same settings for every input.
    pub fn given(settings: Settings) -> Self {
        Self {
            given: Some(settings),
            ..Self::default()
        }
    }

    /// Each input's nearest settings file, read once; the first one refused
    /// is the error.
    pub fn discover<'a>(
        inputs: impl IntoIterator<Item = &'a crate::inputs::Input>,
    ) -> Result<Self, ConfigError> {
        let mut out = Self::default();
        let mut discovery = Discovery::default();
        for input in inputs {
            let dir = folder(input);
            if out.nearest.contains_key(&dir) {
                continue;
            }
            let config = discovery.config_for(&dir);
            if let Some(config) = &config {
                if !out.loaded.contains_key(config) {
                    let settings = discovery.load(config).clone()?;
                    out.loaded.insert(config.clone(), settings);
                }
            }
            out.nearest.insert(dir, config);
        }
        Ok(out)
    }

    pub fn get(&self, input: &crate::inputs::Input) -> &Settings {
        if let Some(given) = &self.given {
            return given;
        }
        self.nearest
            .get(&folder(input))
            .and_then(Option::as_ref)
            .and_then(|config| self.loaded.get(config))
            .unwrap_or(&self.defaults)
    }
}

/// The absolute folder an input's settings are looked for from.
fn folder(input: &crate::inputs::Input) -> PathBuf {
    let dir = match &input.source {
        crate::inputs::Source::File(path) => {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        }
        crate::inputs::Source::Stdin => PathBuf::new(),
    };
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    std::path::absolute(&dir).unwrap_or(dir)
}
