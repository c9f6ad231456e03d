//! The examples of a rule's documentation, as manifests.
//!
//! A rule's doc comment has an `## Example` section: ```` ```yaml ````
//! blocks that trigger the rule, then, after "Use instead", blocks that do
//! not. They are often fragments (a `securityContext`, a pod spec); this
//! module finds them and wraps a fragment into a Pod that can be checked.
//! `cargo xtask docs` runs every example (biome-style) and links each rule
//! page to the playground with its first bad example
//! ([`RuleMeta::example_manifest`]), as `kube-immutable explain` does.

use crate::rules::RuleMeta;

impl RuleMeta {
    /// The rule's first bad example as a whole manifest (a fragment wrapped
    /// into a Pod by [`wrap_fragment`]), or `None` when the docs have none.
    pub fn example_manifest(&self) -> Option<String> {
        examples(&self.docs_markdown())
            .invalid
            .first()
            .map(|snippet| wrap_fragment(snippet))
    }
}

impl RuleMeta {
    /// The playground's share payload (web/README.md, "Share links") for the
    /// rule's first bad example: `{"manifest": …}`, plus the settings that
    /// turn the rule on when it is off by default, so the link shows it.
    pub fn example_share_json(&self) -> Option<String> {
        let manifest = self.example_manifest()?;
        let payload = if self.default_level == crate::settings::Level::Off {
            serde_json::json!({
                "manifest": manifest,
                "settings": { "rules": { self.id: "warning" } },
            })
        } else {
            serde_json::json!({ "manifest": manifest })
        };
        Some(payload.to_string())
    }
}

/// The examples of one rule page.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Examples {
    /// Blocks of `## Example` before "Use instead": must trigger the rule.
    pub invalid: Vec<String>,
    /// Blocks after "Use instead": must not.
    pub valid: Vec<String>,
}

/// The ```` ```yaml ```` blocks of the `## Example` section.
pub fn examples(markdown: &str) -> Examples {
    examples_in(markdown, "## Example", "Use instead")
}

/// The ```` ```yaml ```` blocks of the `## Exemple` section of a French page
/// ([`RuleMeta::docs_fr`]), "Utilisez plutôt" separating bad from good.
pub fn examples_fr(markdown: &str) -> Examples {
    examples_in(markdown, "## Exemple", "Utilisez plutôt")
}

fn examples_in(markdown: &str, heading: &str, use_instead: &str) -> Examples {
    let mut out = Examples::default();
    let mut in_section = false;
    let mut after_use_instead = false;
    let mut block: Option<String> = None;
    for line in markdown.lines() {
        if let Some(text) = &mut block {
            if line.trim_start().starts_with("```") {
                let text = std::mem::take(text);
                block = None;
                if after_use_instead {
                    out.valid.push(text);
                } else {
                    out.invalid.push(text);
                }
            } else {
                text.push_str(line);
                text.push('\n');
            }
            continue;
        }
        if line.starts_with("## ") || line.starts_with("# ") {
            in_section = line.trim() == heading || line.trim() == format!("{heading}s");
            after_use_instead = false;
            continue;
        }
        if !in_section {
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with(use_instead) {
            after_use_instead = true;
        } else if let Some(lang) = trimmed.strip_prefix("```") {
            if matches!(lang.trim(), "yaml" | "yml") {
                block = Some(String::new());
            }
        }
    }
    out
}

/// Top-level keys that make a fragment a pod spec rather than a container.
const POD_SPEC_KEYS: &[&str] = &[
    "containers",
    "initContainers",
    "ephemeralContainers",
    "volumes",
    "hostNetwork",
    "hostPID",
    "hostIPC",
    "hostUsers",
    "os",
];

/// Turn a documentation snippet into a manifest `check_text` can read:
///
/// - a full object (top-level `kind`) is used as is;
/// - a fragment starting at `spec:` becomes that Pod's spec;
/// - a fragment with pod spec keys (`containers`, `volumes`, `hostNetwork`,
///   ...) becomes the spec of a Pod;
/// - anything else (`securityContext:` alone, `image:`, ...) is taken as one
///   container's fields. A lone `securityContext` is thus read as the
///   container's, not the pod's: write `spec:` above it to mean the pod's.
pub fn wrap_fragment(snippet: &str) -> String {
    let top_keys: Vec<&str> = snippet
        .lines()
        .filter(|l| !l.starts_with([' ', '\t', '#', '-']) && !l.trim().is_empty())
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim()))
        .collect();
    const HEADER: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: example\n";
    if top_keys.contains(&"kind") {
        snippet.to_owned()
    } else if top_keys.contains(&"spec") {
        format!("{HEADER}{snippet}")
    } else if top_keys.iter().any(|k| POD_SPEC_KEYS.contains(k)) {
        format!("{HEADER}spec:\n{}", indent(snippet, "  "))
    } else {
        let mut fields = String::new();
        if !top_keys.contains(&"name") {
            fields.push_str("name: app\n");
        }
        if !top_keys.contains(&"image") {
            fields.push_str("image: registry.example/app:1.0\n");
        }
        fields.push_str(snippet);
        let mut item = indent(fields.trim_start_matches('\n'), "      ");
        if item.starts_with("      ") {
            item.replace_range(4..6, "- ");
        }
        format!("{HEADER}spec:\n  containers:\n{item}")
    }
}

fn indent(text: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for line in text.lines() {
        if !line.is_empty() {
            out.push_str(prefix);
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(all(test, feature = "docs"))]
mod tests {
    use super::*;
    use crate::settings::Settings;

    #[test]
    fn every_rule_has_an_example_manifest_that_triggers_it() {
        for rule in crate::RULES {
            let manifest = rule
                .example_manifest()
                .unwrap_or_else(|| panic!("{} has no bad example", rule.id));
            // Rules off by default are turned on, as the share payload does.
            let settings: Settings = match rule.example_share_json() {
                Some(json) => {
                    let payload: serde_json::Value = serde_json::from_str(&json).unwrap();
                    serde_json::from_value(payload["settings"].clone()).unwrap_or_default()
                }
                None => Settings::default(),
            };
            let report = crate::check_text(&manifest, &settings);
            assert!(report.errors.is_empty(), "{}: {:?}", rule.id, report.errors);
            assert!(
                report.findings.iter().any(|f| f.rule == rule.id),
                "{}'s example manifest does not trigger it:\n{manifest}",
                rule.id
            );
        }
    }

    #[test]
    fn a_pod_spec_fragment_becomes_a_pod() {
        let privileged = crate::rules::by_id("privileged").and_then(RuleMeta::example_manifest);
        assert_eq!(
            privileged.as_deref(),
            Some("apiVersion: v1\nkind: Pod\nmetadata:\n  name: example\nspec:\n  containers:\n    - name: nginx\n      image: nginx:1.27\n      securityContext:\n        privileged: true   # the container can change the node\n")
        );
    }
}
