//! The one settings model, shared by the CLI config file, the playground and
//! the policy module's Kubewarden settings.
//!
//! Unknown keys and wrong types are errors, never silently ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::finding::Severity;
use crate::rules;

/// The level a rule runs at.
///
/// Also reads the boolean `false` as `off`: YAML 1.1 (and so Kubewarden
/// settings written in YAML) turns a bare `off` into `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", try_from = "LevelText")]
pub enum Level {
    Error,
    Warning,
    Off,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LevelText {
    Text(String),
    Bool(bool),
}

impl TryFrom<LevelText> for Level {
    type Error = String;

    fn try_from(value: LevelText) -> Result<Self, String> {
        match value {
            LevelText::Text(t) if t == "error" => Ok(Level::Error),
            LevelText::Text(t) if t == "warning" => Ok(Level::Warning),
            LevelText::Text(t) if t == "off" => Ok(Level::Off),
            LevelText::Bool(false) => Ok(Level::Off),
            LevelText::Text(t) => Err(format!(
                "unknown level `{t}`, expected `error`, `warning` or `off`"
            )),
            LevelText::Bool(true) => {
                Err("unknown level `true`, expected `error`, `warning` or `off`".to_owned())
            }
        }
    }
}

impl Level {
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Off => None,
        }
    }
}

/// What the policy module does with a request (the CLI ignores it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Accept or reject; never change the object.
    #[default]
    Validate,
    /// Apply the fixes, then reject what they could not resolve.
    Mutate,
}

/// Objects and containers the rules leave alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exemptions {
    /// Namespaces whose objects are not checked (exact names).
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// Container images not checked: globs with `*` and `?`
    /// (`registry.k8s.io/*`). Pod-level findings still apply.
    #[serde(default)]
    pub images: Vec<String>,
    /// Container names not checked: globs with `*` and `?`.
    #[serde(default)]
    pub containers: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// Level per rule id; rules not named keep their default level.
    #[serde(default)]
    pub rules: BTreeMap<String, Level>,
    #[serde(default)]
    pub exemptions: Exemptions,
    #[serde(default)]
    pub mode: Mode,
    /// Apply unsafe fixes too (policy mutate mode; the CLI has `--unsafe-fixes`).
    #[serde(default)]
    pub unsafe_fixes: bool,
}

/// Why settings were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError(pub String);

impl std::fmt::Display for SettingsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Settings from a JSON value, validated.
    pub fn from_json(value: serde_json::Value) -> Result<Self, SettingsError> {
        let settings: Settings = serde_json::from_value(value)
            .map_err(|e| SettingsError(format!("invalid settings: {e}")))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Settings from JSON text, validated.
    pub fn from_json_str(text: &str) -> Result<Self, SettingsError> {
        let settings: Settings = serde_json::from_str(text)
            .map_err(|e| SettingsError(format!("invalid settings: {e}")))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what serde cannot: rule ids exist, globs are not empty.
    pub fn validate(&self) -> Result<(), SettingsError> {
        for id in self.rules.keys() {
            if rules::by_id(id).is_none() {
                return Err(SettingsError(format!(
                    "invalid settings: unknown rule `{id}` in `rules`; known rules: {}",
                    rules::ids().collect::<Vec<_>>().join(", ")
                )));
            }
        }
        let ex = &self.exemptions;
        for (key, list) in [
            ("namespaces", &ex.namespaces),
            ("images", &ex.images),
            ("containers", &ex.containers),
        ] {
            if list.iter().any(String::is_empty) {
                return Err(SettingsError(format!(
                    "invalid settings: `exemptions.{key}` has an empty entry"
                )));
            }
        }
        Ok(())
    }

    /// The severity a rule runs at, or `None` when it is off.
    pub fn severity(&self, rule: &rules::RuleMeta) -> Option<Severity> {
        match self.rules.get(rule.id) {
            Some(level) => level.severity(),
            None => rule.default_level.severity(),
        }
    }

    pub fn namespace_exempt(&self, namespace: Option<&str>) -> bool {
        namespace.is_some_and(|ns| self.exemptions.namespaces.iter().any(|n| n == ns))
    }

    pub fn container_exempt(&self, name: Option<&str>, image: Option<&str>) -> bool {
        let ex = &self.exemptions;
        name.is_some_and(|n| ex.containers.iter().any(|g| glob_match(g, n)))
            || image.is_some_and(|i| ex.images.iter().any(|g| glob_match(g, i)))
    }
}

/// `*` matches any run of characters, `?` one character; nothing else is special.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            backtrack = Some((pi, ti));
            pi += 1;
        } else if let Some((star, matched)) = backtrack {
            pi = star + 1;
            ti = matched + 1;
            backtrack = Some((star, matched + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("registry.k8s.io/*", "registry.k8s.io/pause:3.9"));
        assert!(glob_match("*nginx*", "docker.io/nginx:1.27"));
        assert!(glob_match("istio-?roxy", "istio-proxy"));
        assert!(!glob_match("nginx", "nginx:1"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("a*b", "acbx"));
    }

    #[test]
    fn unknown_keys_and_rules_are_errors() {
        let err = Settings::from_json_str(r#"{"rulez": {}}"#).unwrap_err();
        assert!(err.0.contains("unknown field `rulez`"), "{err}");
        let err = Settings::from_json_str(r#"{"rules": {"privilegd": "off"}}"#).unwrap_err();
        assert!(err.0.contains("unknown rule `privilegd`"), "{err}");
        let err = Settings::from_json_str(r#"{"rules": {"privileged": "loud"}}"#).unwrap_err();
        assert!(err.0.contains("unknown level `loud`"), "{err}");
        let off = Settings::from_json_str(r#"{"rules": {"privileged": false}}"#).unwrap();
        assert_eq!(off.rules.get("privileged"), Some(&Level::Off));
        let err = Settings::from_json_str(r#"{"exemptions": {"namespaces": "kube-system"}}"#)
            .unwrap_err();
        assert!(err.0.contains("expected a sequence"), "{err}");
        let ok =
            Settings::from_json_str(r#"{"rules": {"privileged": "warning"}, "mode": "mutate"}"#);
        assert_eq!(ok.map(|s| s.mode), Ok(Mode::Mutate));
    }
}
