//! The settings panel's exports: a `--config` file for the CLI and a
//! Kubewarden `ClusterAdmissionPolicy`, both from the core's `Settings`
//! as JSON (`Settings::to_json`), and the ValidatingAdmissionPolicies the core writes
//! (`kube-immutable export vap`). The policy's `rules` and `backgroundAudit`
//! are `policy-wasm/metadata.yml`'s, copied here (the whole file, comments
//! and Artifact Hub annotations, weighed 1 KB of the gzipped wasm); a test
//! holds the copy to the file, so the export cannot drift from the module.

use kube_immutable_core::yaml::parse_stream;
use kube_immutable_core::{Limits, LineIndex, Mode, Settings};
use serde_json::{json, Value};

use crate::share::{json_text, json_value, settings_json};

/// `rules` of `policy-wasm/metadata.yml`, as JSON.
const MODULE_RULES: &str = r#"[
{"apiGroups":[""],"apiVersions":["v1"],"resources":["pods","pods/ephemeralcontainers","replicationcontrollers","podtemplates"],"operations":["CREATE","UPDATE"]},
{"apiGroups":["apps"],"apiVersions":["v1"],"resources":["deployments","replicasets","statefulsets","daemonsets"],"operations":["CREATE","UPDATE"]},
{"apiGroups":["batch"],"apiVersions":["v1"],"resources":["jobs","cronjobs"],"operations":["CREATE","UPDATE"]}]"#;

/// `backgroundAudit` of `policy-wasm/metadata.yml`.
const BACKGROUND_AUDIT: bool = true;

/// Where the policy module is published (at release time; see the policy README).
const MODULE: &str = "registry://ghcr.io/kube-immutable/policies/kube-immutable";

/// `kube-immutable check --config kube-immutable.yaml`.
pub fn cli_config(settings: &Settings) -> String {
    let mut out = String::from(
        "# kube-immutable settings, exported from the playground.\n\
         # Use: kube-immutable check --config kube-immutable.yaml k8s/\n",
    );
    to_yaml(&settings_json(settings), 0, &mut out);
    out
}

/// A `ClusterAdmissionPolicy` for the kube-immutable Kubewarden module.
pub fn cluster_admission_policy(settings: &Settings) -> String {
    let mutate = settings.mode == Mode::Mutate;
    // Built as values, not with `json!`, whose serialising of values into
    // values weighed 1.2 KB of the wasm.
    let object = |entries: Vec<(&str, Value)>| {
        Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    };
    let name = if mutate {
        "kube-immutable-fix"
    } else {
        "kube-immutable"
    };
    let policy = object(vec![
        ("apiVersion", "policies.kubewarden.io/v1".into()),
        ("kind", "ClusterAdmissionPolicy".into()),
        ("metadata", object(vec![("name", name.into())])),
        (
            "spec",
            object(vec![
                (
                    "module",
                    format!("{MODULE}:v{}", kube_immutable_core::VERSION).into(),
                ),
                ("mode", "protect".into()),
                ("mutating", mutate.into()),
                ("backgroundAudit", BACKGROUND_AUDIT.into()),
                ("rules", json_value(MODULE_RULES).unwrap_or_default()),
                ("settings", settings_json(settings)),
            ]),
        ),
    ]);
    let mut out = String::from(
        "# Kubewarden ClusterAdmissionPolicy with the playground's settings.\n\
         # The module is published at release time; until then build it with\n\
         # `cargo xtask build-policy` and point `module` at the file (file:///…).\n",
    );
    to_yaml(&policy, 0, &mut out);
    out
}

/// ValidatingAdmissionPolicies and bindings: the API server enforces the
/// rules itself (what `kube-immutable export vap` prints); settings that
/// admission refuses get the core's reason instead, as comments.
pub fn validating_admission_policy(settings: &Settings) -> String {
    kube_immutable_core::export::vap::validating_admission_policy(settings).unwrap_or_else(|e| {
        format!(
            "# These settings cannot be enforced in admission, so they are not exported:\n# {}\n",
            e.0.replace('\n', "\n# ")
        )
    })
}

/// Settings from a settings file (YAML or JSON, the CLI's `--config`
/// format), read with the core's reader and judged by the core.
pub fn read_settings(text: &str) -> Result<Settings, String> {
    Settings::from_json(read_yaml(text)?).map_err(|e| e.0)
}

/// A YAML or JSON text as JSON (`{}` when empty), or why it cannot be read.
pub fn read_yaml(text: &str) -> Result<Value, String> {
    let (docs, errors) = parse_stream(text, &Limits::default());
    if let Some(e) = errors.first() {
        let at = e.span.map(|span| {
            let p = LineIndex::new(text).position(text, span.start);
            format!(" (line {}, column {})", p.line, p.column)
        });
        return Err(format!("{}{}", e.message.en, at.unwrap_or_default()));
    }
    Ok(docs
        .first()
        .map(|d| d.root.to_json())
        .filter(|v| !v.is_null())
        .unwrap_or_else(|| json!({})))
}

/// Block-style YAML for a JSON value. Strings are double-quoted (JSON
/// escapes are valid YAML) unless they are plain words no YAML 1.1 reader
/// can mistake for something else.
pub fn to_yaml(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                out.push_str(&pad);
                out.push_str(&scalar(&Value::String(key.clone())));
                out.push(':');
                nested(v, indent, out);
            }
        }
        Value::Array(list) if !list.is_empty() => {
            for item in list {
                out.push_str(&pad);
                out.push_str("- ");
                match item {
                    Value::Object(map) if !map.is_empty() => {
                        // The first entry on the dash's line, the others under it.
                        let mut inner = String::new();
                        to_yaml(item, indent + 2, &mut inner);
                        out.push_str(&inner[indent + 2..]);
                    }
                    _ => {
                        out.push_str(&scalar(item));
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

/// What follows `key:`.
fn nested(v: &Value, indent: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            to_yaml(v, indent + 2, out);
        }
        Value::Array(l) if !l.is_empty() => {
            out.push('\n');
            to_yaml(v, indent + 2, out);
        }
        _ => {
            out.push(' ');
            out.push_str(&scalar(v));
            out.push('\n');
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
        Value::String(s) if is_plain(s) => s.clone(),
        other => json_text(other),
    }
}

/// Words that read back as the same string in YAML 1.1 and 1.2.
fn is_plain(s: &str) -> bool {
    const SPECIAL: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !SPECIAL.contains(&s.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube_immutable_core::Level;

    fn read(yaml: &str) -> Value {
        let (docs, errors) = parse_stream(yaml, &Limits::default());
        assert!(errors.is_empty(), "{errors:?}\n{yaml}");
        docs[0].root.to_json()
    }

    fn sample() -> Settings {
        let mut s = Settings::default();
        s.rules.insert("may-run-as-root".into(), Level::Error);
        s.rules.insert("host-namespaces".into(), Level::Off);
        s.exemptions.namespaces = vec!["kube-system".into(), "yes".into()];
        s.exemptions.images = vec!["registry.k8s.io/*".into()];
        s.mode = Mode::Mutate;
        s.workloads = vec![kube_immutable_core::WorkloadEntry {
            api_version: "pipelines.example.com/*".into(),
            kind: "Runner".into(),
            pod_specs: vec![
                "/spec/runner/podSpec".into(),
                "/spec/sidecars/*/podSpec".into(),
            ],
            replace: false,
        }];
        s
    }

    #[test]
    fn cli_config_reads_back_as_the_same_settings() {
        let s = sample();
        let text = cli_config(&s);
        assert!(text.contains("may-run-as-root: error"), "{text}");
        // `off` and `yes` would be booleans in YAML 1.1: quoted.
        assert!(text.contains("host-namespaces: \"off\""), "{text}");
        assert!(text.contains("- \"yes\""), "{text}");
        assert_eq!(Settings::from_json(read(&text)).unwrap(), s);
        assert_eq!(
            Settings::from_json(read(&cli_config(&Settings::default()))).unwrap(),
            Settings::default()
        );
    }

    #[test]
    fn settings_files_read_back_and_refusals_name_the_key() {
        assert_eq!(read_settings(&cli_config(&sample())), Ok(sample()));
        assert_eq!(read_settings(""), Ok(Settings::default()));
        assert_eq!(
            read_settings("{\"rules\": {\"privileged\": \"off\"}}").map(|s| s.rules.len()),
            Ok(1)
        );
        let refused = read_settings("rulez: {}\n").unwrap_err();
        assert!(refused.contains("unknown field `rulez`"), "{refused}");
        let broken = read_settings("rules: [\n").unwrap_err();
        assert!(broken.contains("line"), "{broken}");
    }

    #[test]
    fn validating_admission_policy_reads_back_and_follows_the_levels() {
        let s = sample();
        let docs: Vec<Value> = parse_stream(&validating_admission_policy(&s), &Limits::default())
            .0
            .into_iter()
            .map(|d| d.root.to_json())
            .filter(|v| !v.is_null())
            .collect();
        let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
        assert_eq!(
            kinds,
            [
                "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding",
                "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding"
            ]
        );
        // host-namespaces is off, may-run-as-root raised to an error.
        let deny = serde_json::to_string(&docs[0]).unwrap();
        assert!(deny.contains("variables.mayRunAsRoot"), "{deny}");
        assert!(!deny.contains("variables.hostNamespaces"), "{deny}");
        assert_eq!(
            docs[1]["spec"]["matchResources"]["namespaceSelector"]["matchExpressions"][0]["values"],
            json!(["kube-system", "yes"])
        );
    }

    #[test]
    fn validating_admission_policy_says_why_admission_refuses_settings() {
        let mut s = Settings::default();
        s.exemptions.containers = vec![kube_immutable_core::settings::ContainerExemption::Name(
            "istio-proxy".into(),
        )];
        let text = validating_admission_policy(&s);
        assert!(
            text.starts_with("# These settings cannot be enforced in admission"),
            "{text}"
        );
        assert!(
            text.contains("exempts any container its author names `istio-proxy`"),
            "{text}"
        );
        assert!(!text.contains("kind:"), "{text}");
    }

    #[test]
    fn policy_carries_settings_and_the_module_rules() {
        let s = sample();
        let policy = read(&cluster_admission_policy(&s));
        assert_eq!(policy["kind"], "ClusterAdmissionPolicy");
        assert_eq!(policy["spec"]["mutating"], true);
        assert_eq!(
            Settings::from_json(policy["spec"]["settings"].clone()).unwrap(),
            s
        );
        let metadata = read(include_str!("../../policy-wasm/metadata.yml"));
        assert_eq!(policy["spec"]["rules"], metadata["rules"]);
        assert_eq!(
            policy["spec"]["backgroundAudit"],
            metadata["backgroundAudit"]
        );
        assert!(policy["spec"]["rules"]
            .as_array()
            .is_some_and(|r| !r.is_empty()));
        let validate = read(&cluster_admission_policy(&Settings::default()));
        assert_eq!(validate["spec"]["mutating"], false);
        assert_eq!(validate["metadata"]["name"], "kube-immutable");
    }
}
