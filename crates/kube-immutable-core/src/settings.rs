//! The one settings model, shared by the CLI config file, the playground and
//! the policy module's Kubewarden settings.
//!
//! Unknown keys and wrong types are errors, never silently ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::finding::Severity;
use crate::rules;
use crate::workload::{self, WorkloadEntry};

mod json;

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
    /// The level as settings write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Off => "off",
        }
    }

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
///
/// In admission, the person who writes an object is the person the policy
/// guards against: the exemptions a tenant cannot forge come from the
/// request (who asks: `usernames`, `groups`, `serviceAccounts`) or from the
/// operator's own choices (`namespaces`, `runtimeClasses`). Exemptions by
/// image or container name match what the object says; a container-name
/// exemption must be tied to image globs or namespaces in admission
/// ([`Settings::validate_for_admission`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Exemptions {
    /// Namespaces whose objects are not checked (exact names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
    /// Container images not checked: globs with `*` and `?`
    /// (`registry.k8s.io/*`). Pod-level findings still apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Containers not checked, by name (globs), alone or tied to image
    /// globs and namespaces.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<ContainerExemption>,
    /// Requests by these users are not checked (admission only: the
    /// request's `userInfo.username`, exact).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usernames: Vec<String>,
    /// Requests by members of these groups are not checked (admission
    /// only: `userInfo.groups`, exact).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Requests by these service accounts (`namespace/name`) are not
    /// checked (admission only: the username
    /// `system:serviceaccount:namespace:name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service_accounts: Vec<String>,
    /// Pods run by these runtime classes (`spec.runtimeClassName`, exact),
    /// sandboxes the operator trusts, are not checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_classes: Vec<String>,
}

/// A container exemption: a name glob (`istio-proxy`), or a name glob tied
/// to image globs and namespaces, all of which must match
/// (`{name: istio-proxy, images: ["docker.io/istio/proxyv2:*"]}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ContainerExemption {
    Name(String),
    Tied(TiedContainerExemption),
}

/// A container-name glob that exempts only with one of these images (when
/// any is given) in one of these namespaces (when any is given).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TiedContainerExemption {
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

impl ContainerExemption {
    /// The name glob.
    pub fn name(&self) -> &str {
        match self {
            ContainerExemption::Name(name) => name,
            ContainerExemption::Tied(t) => &t.name,
        }
    }

    fn matches(&self, name: Option<&str>, image: Option<&str>, namespace: Option<&str>) -> bool {
        if !name.is_some_and(|n| glob_match(self.name(), n)) {
            return false;
        }
        match self {
            ContainerExemption::Name(_) => true,
            ContainerExemption::Tied(t) => {
                (t.images.is_empty()
                    || image.is_some_and(|i| t.images.iter().any(|g| glob_match(g, i))))
                    && (t.namespaces.is_empty()
                        || namespace.is_some_and(|ns| t.namespaces.iter().any(|n| n == ns)))
            }
        }
    }

    /// Tied to an image or a namespace, which a tenant cannot choose for a
    /// container it names like an exempted one.
    pub fn is_tied(&self) -> bool {
        matches!(self, ContainerExemption::Tied(t) if !(t.images.is_empty() && t.namespaces.is_empty()))
    }
}

/// Whether the `kube-immutable.io/ignore` annotation an object carries may
/// turn rules off for it.
///
/// Whoever writes the object writes its annotations: in admission the
/// annotation is not honoured unless the operator says so (`allowed:
/// true`), and then only for `rules` and in `namespaces` when they are
/// given. Where the reader owns the files (the CLI, the playground, the
/// npm package, an editor) it is honoured unless `allowed: false` (for CI
/// that the pull request it checks must not bypass).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreAnnotation {
    /// `None`: the face's default (honoured, except in admission).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed: Option<bool>,
    /// Only these rules may be turned off by the annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<String>>,
    /// Only in these namespaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaces: Option<Vec<String>>,
}

/// Who asks: an admission request's `userInfo`. A face that checks files
/// has no requester.
#[derive(Debug, Clone, Copy, Default)]
pub struct Requester<'a> {
    pub username: Option<&'a str>,
    pub groups: &'a [String],
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Settings {
    /// Level per rule id; rules not named keep their default level.
    #[serde(default)]
    pub rules: BTreeMap<String, Level>,
    #[serde(default)]
    pub exemptions: Exemptions,
    /// Whether objects may turn rules off with `kube-immutable.io/ignore`.
    #[serde(default)]
    pub ignore_annotation: IgnoreAnnotation,
    #[serde(default)]
    pub mode: Mode,
    /// Apply unsafe fixes too (policy mutate mode; the CLI has `--unsafe-fixes`).
    #[serde(default)]
    pub unsafe_fixes: bool,
    /// Kinds that hold pod specs beyond the built-in ones (custom
    /// resources), matched by API group and kind; see [`crate::workload`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workloads: Vec<WorkloadEntry>,
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
    /// Settings from a JSON value, validated. Read by hand, not through
    /// the serde derive, which reads the same (a test holds them equal)
    /// at several times the size in the playground's wasm (`settings/json.rs`).
    pub fn from_json(value: serde_json::Value) -> Result<Self, SettingsError> {
        let mut settings = Settings::default();
        json::settings(&value, &mut settings)
            .map_err(|e| SettingsError(format!("invalid settings: {e}")))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Settings from JSON text, validated.
    pub fn from_json_str(text: &str) -> Result<Self, SettingsError> {
        let value = serde_json::from_str(text)
            .map_err(|e| SettingsError(format!("invalid settings: {e}")))?;
        Self::from_json(value)
    }

    /// The settings as JSON, as their serde `Serialize` writes them: every
    /// key of `Settings`, the empty lists and unset options of the others
    /// left out.
    pub fn to_json(&self) -> serde_json::Value {
        json::to_json(self)
    }

    /// Checks what the JSON shape cannot: rule ids exist, globs are not empty.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let rule_ids = |key: &str, ids: &mut dyn Iterator<Item = &String>| {
            for id in ids {
                if rules::by_id(id).is_none() {
                    return Err(SettingsError(format!(
                        "invalid settings: unknown rule `{id}` in `{key}`; known rules: {}",
                        rules::ids().collect::<Vec<_>>().join(", ")
                    )));
                }
            }
            Ok(())
        };
        rule_ids("rules", &mut self.rules.keys())?;
        rule_ids(
            "ignoreAnnotation.rules",
            &mut self.ignore_annotation.rules.iter().flatten(),
        )?;
        let no_empty = |key: &str, list: &mut dyn Iterator<Item = &str>| {
            for item in list {
                if item.is_empty() {
                    return Err(SettingsError(format!(
                        "invalid settings: `{key}` has an empty entry"
                    )));
                }
            }
            Ok(())
        };
        let ex = &self.exemptions;
        for (key, list) in [
            ("exemptions.namespaces", &ex.namespaces),
            ("exemptions.images", &ex.images),
        ] {
            no_empty(key, &mut list.iter().map(String::as_str))?;
        }
        no_empty(
            "exemptions.containers",
            &mut ex.containers.iter().map(ContainerExemption::name),
        )?;
        for (key, list) in [
            ("exemptions.usernames", &ex.usernames),
            ("exemptions.groups", &ex.groups),
            ("exemptions.serviceAccounts", &ex.service_accounts),
            ("exemptions.runtimeClasses", &ex.runtime_classes),
        ] {
            no_empty(key, &mut list.iter().map(String::as_str))?;
        }
        for c in &ex.containers {
            if let ContainerExemption::Tied(t) = c {
                no_empty(
                    "exemptions.containers[].images",
                    &mut t.images.iter().map(String::as_str),
                )?;
                no_empty(
                    "exemptions.containers[].namespaces",
                    &mut t.namespaces.iter().map(String::as_str),
                )?;
            }
        }
        let a = &self.ignore_annotation;
        for (key, list) in [
            ("ignoreAnnotation.rules", &a.rules),
            ("ignoreAnnotation.namespaces", &a.namespaces),
        ] {
            no_empty(key, &mut list.iter().flatten().map(String::as_str))?;
        }
        if let Some(sa) = ex.service_accounts.iter().find(|sa| {
            sa.split_once('/')
                .is_none_or(|(ns, name)| ns.is_empty() || name.is_empty() || name.contains('/'))
        }) {
            return Err(SettingsError(format!(
                "invalid settings: `exemptions.serviceAccounts` entry `{sa}` is not `namespace/name`"
            )));
        }
        workload::validate_entries(&self.workloads)
            .map_err(|e| SettingsError(format!("invalid settings: {e}")))?;
        Ok(())
    }

    /// What admission adds to [`Settings::validate`]: a container-name
    /// exemption must be tied to image globs or namespaces, since a tenant
    /// names its containers as it likes.
    pub fn validate_for_admission(&self) -> Result<(), SettingsError> {
        self.validate()?;
        if let Some(loose) = self.exemptions.containers.iter().find(|c| !c.is_tied()) {
            let name = loose.name();
            return Err(SettingsError(format!(
                "invalid settings: `exemptions.containers` entry `{name}` exempts any container its author names `{name}`: \
                 in admission the person who writes the pod chooses its containers' names. \
                 Tie it to the images it may run, or to namespaces: \
                 `{{\"name\": \"{name}\", \"images\": [\"registry.example/{name}:*\"]}}` \
                 (or `\"namespaces\": [...]`), or exempt by `images` alone"
            )));
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

    /// A container exempt by its image, or by its name as the exemption
    /// allows (with its image and the object's namespace).
    pub fn container_exempt(
        &self,
        name: Option<&str>,
        image: Option<&str>,
        namespace: Option<&str>,
    ) -> bool {
        let ex = &self.exemptions;
        image.is_some_and(|i| ex.images.iter().any(|g| glob_match(g, i)))
            || ex
                .containers
                .iter()
                .any(|c| c.matches(name, image, namespace))
    }

    /// Requests by this requester are not checked: by username, group or
    /// service account.
    pub fn requester_exempt(&self, requester: &Requester<'_>) -> bool {
        let ex = &self.exemptions;
        let user = requester.username;
        user.is_some_and(|u| ex.usernames.iter().any(|n| n == u))
            || requester.groups.iter().any(|g| ex.groups.contains(g))
            || user
                .and_then(|u| u.strip_prefix("system:serviceaccount:"))
                .and_then(|sa| sa.split_once(':'))
                .is_some_and(|(ns, name)| {
                    ex.service_accounts
                        .iter()
                        .any(|entry| entry.split_once('/') == Some((ns, name)))
                })
    }

    pub fn runtime_class_exempt(&self, runtime_class: Option<&str>) -> bool {
        runtime_class.is_some_and(|rc| self.exemptions.runtime_classes.iter().any(|r| r == rc))
    }

    /// Whether the ignore annotation is honoured at all, given the face's
    /// default (`admission`: not honoured unless allowed).
    pub fn annotation_allowed(&self, admission: bool) -> bool {
        self.ignore_annotation.allowed.unwrap_or(!admission)
    }

    /// Whether the annotation may turn `rule` off in `namespace`.
    pub fn annotation_may_ignore(&self, rule: &str, namespace: Option<&str>) -> bool {
        let a = &self.ignore_annotation;
        a.rules
            .as_ref()
            .is_none_or(|rules| rules.iter().any(|r| r == rule))
            && a.namespaces
                .as_ref()
                .is_none_or(|list| namespace.is_some_and(|ns| list.iter().any(|n| n == ns)))
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
