//! Settings read from and written to JSON values by hand.
//!
//! The serde derives on the settings types stay (they are the model's
//! documented shape, and a test holds this reader and writer to them), but
//! every face goes through these functions: serde's generated visitors
//! (its buffering of untagged enums above all) weighed ~20 KB of the
//! playground's wasm before compression, these a fraction of it
//! (README, "The playground"). The messages are serde's where serde says
//! something useful (`unknown field`, `invalid type`, `missing field`),
//! and name what was expected where serde's untagged enums do not.
//!
//! A new key is one arm in its struct's `match`, its name in the struct's
//! list of keys, and a line in `to_json`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{
    ContainerExemption, Exemptions, IgnoreAnnotation, Level, Mode, Settings, TiedContainerExemption,
};
use crate::workload::WorkloadEntry;

type Result<T> = std::result::Result<T, String>;

const SETTINGS: &[&str] = &[
    "rules",
    "exemptions",
    "ignoreAnnotation",
    "mode",
    "unsafeFixes",
    "workloads",
];
const EXEMPTIONS: &[&str] = &[
    "namespaces",
    "images",
    "containers",
    "usernames",
    "groups",
    "serviceAccounts",
    "runtimeClasses",
];
const IGNORE_ANNOTATION: &[&str] = &["allowed", "rules", "namespaces"];
const TIED: &[&str] = &["name", "images", "namespaces"];
const WORKLOAD: &[&str] = &["apiVersion", "kind", "podSpecs", "replace"];
const LEVELS: &str = "`error`, `warning` or `off`";

/// Reads into `s`, a default: each key read replaces its default (JSON
/// keys are unique), and a refusal drops what was read once, at the caller.
pub(super) fn settings(value: &Value, s: &mut Settings) -> Result<()> {
    for (key, v) in object(value, "struct Settings")? {
        match key.as_str() {
            "rules" => levels(v, &mut s.rules)?,
            "exemptions" => exemptions(v, &mut s.exemptions)?,
            "ignoreAnnotation" => ignore_annotation(v, &mut s.ignore_annotation)?,
            "mode" => s.mode = mode(v)?,
            "unsafeFixes" => s.unsafe_fixes = boolean(v)?,
            "workloads" => s.workloads = list(v, workload)?,
            _ => return Err(unknown_field(key, SETTINGS)),
        }
    }
    Ok(())
}

fn exemptions(value: &Value, e: &mut Exemptions) -> Result<()> {
    for (key, v) in object(value, "struct Exemptions")? {
        let list = match key.as_str() {
            "containers" => {
                e.containers = list(v, container)?;
                continue;
            }
            "namespaces" => &mut e.namespaces,
            "images" => &mut e.images,
            "usernames" => &mut e.usernames,
            "groups" => &mut e.groups,
            "serviceAccounts" => &mut e.service_accounts,
            "runtimeClasses" => &mut e.runtime_classes,
            _ => return Err(unknown_field(key, EXEMPTIONS)),
        };
        *list = strings(v)?;
    }
    Ok(())
}

fn ignore_annotation(value: &Value, a: &mut IgnoreAnnotation) -> Result<()> {
    for (key, v) in object(value, "struct IgnoreAnnotation")? {
        match key.as_str() {
            "allowed" => a.allowed = optional(v, boolean)?,
            "rules" => a.rules = optional(v, strings)?,
            "namespaces" => a.namespaces = optional(v, strings)?,
            _ => return Err(unknown_field(key, IGNORE_ANNOTATION)),
        }
    }
    Ok(())
}

fn workload(value: &Value) -> Result<WorkloadEntry> {
    let (mut api_version, mut kind, mut pod_specs) = (None, None, None);
    let mut replace = false;
    for (key, v) in object(value, "struct WorkloadEntry")? {
        match key.as_str() {
            "apiVersion" => api_version = Some(string(v)?),
            "kind" => kind = Some(string(v)?),
            "podSpecs" => pod_specs = Some(strings(v)?),
            "replace" => replace = boolean(v)?,
            _ => return Err(unknown_field(key, WORKLOAD)),
        }
    }
    let missing = |field: &str| format!("missing field `{field}`");
    Ok(WorkloadEntry {
        api_version: api_version.ok_or_else(|| missing("apiVersion"))?,
        kind: kind.ok_or_else(|| missing("kind"))?,
        pod_specs: pod_specs.ok_or_else(|| missing("podSpecs"))?,
        replace,
    })
}

/// A name glob, or `{name, images, namespaces}`.
fn container(value: &Value) -> Result<ContainerExemption> {
    let map = match value {
        Value::String(name) => return Ok(ContainerExemption::Name(name.clone())),
        Value::Object(map) => map,
        other => return Err(no_variant(invalid_type(other, "a string or a map"))),
    };
    let (mut name, mut images, mut namespaces) = (None, Vec::new(), Vec::new());
    for (key, v) in map {
        match key.as_str() {
            "name" => name = Some(string(v).map_err(no_variant)?),
            "images" => images = strings(v).map_err(no_variant)?,
            "namespaces" => namespaces = strings(v).map_err(no_variant)?,
            _ => return Err(no_variant(unknown_field(key, TIED))),
        }
    }
    let name = name.ok_or_else(|| no_variant("missing field `name`".to_owned()))?;
    Ok(ContainerExemption::Tied(TiedContainerExemption {
        name,
        images,
        namespaces,
    }))
}

/// serde's words for a refused untagged enum, and why.
fn no_variant(why: String) -> String {
    format!(
        "data did not match any variant of untagged enum ContainerExemption \
         (a container name, or `{{name, images, namespaces}}`): {why}"
    )
}

fn levels(value: &Value, levels: &mut BTreeMap<String, Level>) -> Result<()> {
    for (id, v) in object(value, "a map")? {
        levels.insert(id.clone(), level(v)?);
    }
    Ok(())
}

/// `error`, `warning`, `off`, or `false` (YAML 1.1's bare `off`).
fn level(value: &Value) -> Result<Level> {
    match value {
        Value::String(t) => match t.as_str() {
            "error" => Ok(Level::Error),
            "warning" => Ok(Level::Warning),
            "off" => Ok(Level::Off),
            _ => Err(format!("unknown level `{t}`, expected {LEVELS}")),
        },
        Value::Bool(false) => Ok(Level::Off),
        Value::Bool(true) => Err(format!("unknown level `true`, expected {LEVELS}")),
        other => Err(invalid_type(other, LEVELS)),
    }
}

fn mode(value: &Value) -> Result<Mode> {
    match value {
        Value::String(t) if t == "validate" => Ok(Mode::Validate),
        Value::String(t) if t == "mutate" => Ok(Mode::Mutate),
        Value::String(t) => Err(format!(
            "unknown variant `{t}`, expected `validate` or `mutate`"
        )),
        other => Err(invalid_type(other, "`validate` or `mutate`")),
    }
}

fn object<'a>(value: &'a Value, expected: &str) -> Result<&'a Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(invalid_type(other, expected)),
    }
}

fn list<T>(value: &Value, item: fn(&Value) -> Result<T>) -> Result<Vec<T>> {
    let Value::Array(items) = value else {
        return Err(invalid_type(value, "a sequence"));
    };
    let mut out = Vec::with_capacity(items.len());
    for v in items {
        out.push(item(v)?);
    }
    Ok(out)
}

fn strings(value: &Value) -> Result<Vec<String>> {
    list(value, string)
}

fn string(value: &Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(invalid_type(other, "a string")),
    }
}

fn boolean(value: &Value) -> Result<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        other => Err(invalid_type(other, "a boolean")),
    }
}

/// `null` is `None`, as serde reads an `Option`.
fn optional<T>(value: &Value, read: fn(&Value) -> Result<T>) -> Result<Option<T>> {
    match value {
        Value::Null => Ok(None),
        v => read(v).map(Some),
    }
}

/// serde's `invalid type: string "x", expected a sequence`.
fn invalid_type(value: &Value, expected: &str) -> String {
    let found = match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        // serde quotes with `Debug`; JSON's quotes are the same for
        // anything but control characters, and keep `Debug` out of the wasm.
        Value::String(s) => format!("string {}", crate::node::json_string(s)),
        Value::Array(_) => "sequence".to_owned(),
        Value::Object(_) => "map".to_owned(),
    };
    format!("invalid type: {found}, expected {expected}")
}

/// serde's `unknown field `x`, expected one of `a`, `b``.
fn unknown_field(key: &str, known: &[&str]) -> String {
    let names: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    format!(
        "unknown field `{key}`, expected one of {}",
        names.join(", ")
    )
}

/// Settings as serde serialises them (every key of `Settings`, the empty
/// lists and unset options of the others left out).
pub(super) fn to_json(s: &Settings) -> Value {
    let mut out = Map::new();
    let rules = s
        .rules
        .iter()
        .map(|(id, level)| (id.clone(), Value::from(level.as_str())))
        .collect();
    out.insert("rules".into(), Value::Object(rules));
    let ex = &s.exemptions;
    let mut e = Map::new();
    let containers = ex
        .containers
        .iter()
        .map(|c| match c {
            ContainerExemption::Name(name) => Value::from(name.as_str()),
            ContainerExemption::Tied(t) => {
                let mut m = Map::new();
                m.insert("name".into(), Value::from(t.name.as_str()));
                put_list(&mut m, "images", texts(&t.images));
                put_list(&mut m, "namespaces", texts(&t.namespaces));
                Value::Object(m)
            }
        })
        .collect();
    put_list(&mut e, "namespaces", texts(&ex.namespaces));
    put_list(&mut e, "images", texts(&ex.images));
    put_list(&mut e, "containers", containers);
    put_list(&mut e, "usernames", texts(&ex.usernames));
    put_list(&mut e, "groups", texts(&ex.groups));
    put_list(&mut e, "serviceAccounts", texts(&ex.service_accounts));
    put_list(&mut e, "runtimeClasses", texts(&ex.runtime_classes));
    out.insert("exemptions".into(), Value::Object(e));
    let a = &s.ignore_annotation;
    let mut m = Map::new();
    if let Some(allowed) = a.allowed {
        m.insert("allowed".into(), Value::Bool(allowed));
    }
    for (key, list) in [("rules", &a.rules), ("namespaces", &a.namespaces)] {
        if let Some(list) = list {
            m.insert(key.into(), Value::Array(texts(list)));
        }
    }
    out.insert("ignoreAnnotation".into(), Value::Object(m));
    let mode = match s.mode {
        Mode::Validate => "validate",
        Mode::Mutate => "mutate",
    };
    out.insert("mode".into(), Value::from(mode));
    out.insert("unsafeFixes".into(), Value::Bool(s.unsafe_fixes));
    let workloads = s
        .workloads
        .iter()
        .map(|w| {
            let mut m = Map::new();
            m.insert("apiVersion".into(), Value::from(w.api_version.as_str()));
            m.insert("kind".into(), Value::from(w.kind.as_str()));
            m.insert("podSpecs".into(), Value::Array(texts(&w.pod_specs)));
            if w.replace {
                m.insert("replace".into(), Value::Bool(true));
            }
            Value::Object(m)
        })
        .collect();
    put_list(&mut out, "workloads", workloads);
    Value::Object(out)
}

fn texts(list: &[String]) -> Vec<Value> {
    list.iter().map(|t| Value::from(t.as_str())).collect()
}

/// A list under `key`, left out when empty (`skip_serializing_if`).
fn put_list(map: &mut Map<String, Value>, key: &str, items: Vec<Value>) {
    if !items.is_empty() {
        map.insert(key.into(), Value::Array(items));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn settings(value: &Value) -> Result<Settings> {
        let mut s = Settings::default();
        super::settings(value, &mut s)?;
        Ok(s)
    }

    /// The repository's settings: the presets and the admission fixtures.
    fn repository_settings() -> Vec<(String, Value)> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let mut found = Vec::new();
        for (dir, ext) in [("presets", "yaml"), ("tests/fixtures/admission", "json")] {
            let mut paths: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    p.extension().is_some_and(|e| e == ext)
                        && (dir == "presets"
                            || p.file_name()
                                .unwrap()
                                .to_string_lossy()
                                .starts_with("settings-"))
                })
                .collect();
            paths.sort();
            for path in paths {
                let text = std::fs::read_to_string(&path).unwrap();
                let (docs, errors) = crate::yaml::parse_stream(&text, &crate::Limits::default());
                assert!(errors.is_empty(), "{}: {errors:?}", path.display());
                found.push((path.display().to_string(), docs[0].root.to_json()));
            }
        }
        assert!(found.len() >= 7, "presets and fixtures found: {found:?}");
        found
    }

    fn accepted() -> Vec<Value> {
        vec![
            json!({}),
            json!({"rules": {"privileged": false, "run-as-root": "warning", "host-ports": "off"}}),
            json!({"exemptions": {"containers": ["istio-proxy", {"name": "a"},
                {"name": "b", "images": ["x/*"], "namespaces": ["ns"]}],
                "usernames": ["u"], "groups": ["g"], "serviceAccounts": ["ns/sa"],
                "runtimeClasses": ["gvisor"], "images": [], "namespaces": ["kube-system"]}}),
            json!({"ignoreAnnotation": {"allowed": null, "rules": null, "namespaces": null}}),
            json!({"ignoreAnnotation": {"allowed": false, "rules": [], "namespaces": ["a"]}}),
            json!({"mode": "mutate", "unsafeFixes": true}),
            json!({"workloads": [
                {"apiVersion": "example.com/v1", "kind": "Thing", "podSpecs": ["/spec/template/spec"]},
                {"apiVersion": "argoproj.io/*", "kind": "Rollout", "podSpecs": [], "replace": true},
                {"apiVersion": "v1", "kind": "X", "podSpecs": ["/a"], "replace": false}]}),
            json!({"workloads": []}),
            json!({"rules": {}, "exemptions": {}, "ignoreAnnotation": {}, "mode": "validate", "unsafeFixes": false}),
            // Unknown rule ids and empty globs are `validate`'s business.
            json!({"rules": {"nope": "off"}, "exemptions": {"images": [""]}}),
        ]
    }

    fn refused() -> Vec<Value> {
        vec![
            json!(null),
            json!(42),
            json!("privileged: off"),
            json!(true),
            json!({"rulez": {}}),
            json!({"rules": null}),
            json!({"rules": []}),
            json!({"rules": {"privileged": "loud"}}),
            json!({"rules": {"privileged": true}}),
            json!({"rules": {"privileged": 0}}),
            json!({"rules": {"privileged": null}}),
            json!({"exemptions": null}),
            json!({"exemptions": "kube-system"}),
            json!({"exemptions": {"namespaces": "kube-system"}}),
            json!({"exemptions": {"namespaces": [1]}}),
            json!({"exemptions": {"namespaces": null}}),
            json!({"exemptions": {"namespace": ["a"]}}),
            json!({"exemptions": {"containers": [{"name": "a", "image": ["x"]}]}}),
            json!({"exemptions": {"containers": [{"images": ["x"]}]}}),
            json!({"exemptions": {"containers": [{"name": 1}]}}),
            json!({"exemptions": {"containers": [{"name": "a", "images": "x"}]}}),
            json!({"exemptions": {"containers": [7]}}),
            json!({"exemptions": {"containers": "a"}}),
            json!({"ignoreAnnotation": {"allowed": "yes"}}),
            json!({"ignoreAnnotation": {"rules": "privileged"}}),
            json!({"ignoreAnnotation": {"allow": true}}),
            json!({"ignoreAnnotation": true}),
            json!({"mode": "enforce"}),
            json!({"mode": 1}),
            json!({"mode": null}),
            json!({"unsafeFixes": "true"}),
            json!({"unsafeFixes": null}),
            json!({"unsafeFixes": 1.5}),
            json!({"workloads": null}),
            json!({"workloads": {}}),
            json!({"workloads": ["Thing"]}),
            json!({"workloads": [{"apiVersion": "a/v1", "kind": "T"}]}),
            json!({"workloads": [{"kind": "T", "podSpecs": []}]}),
            json!({"workloads": [{"apiVersion": "a/v1", "podSpecs": []}]}),
            json!({"workloads": [{"apiVersion": "a/v1", "kind": "T", "podSpecs": "/spec"}]}),
            json!({"workloads": [{"apiVersion": "a/v1", "kind": "T", "podSpecs": [], "replace": "yes"}]}),
            json!({"workloads": [{"apiVersion": "a/v1", "kind": "T", "podSpecs": [], "podSpec": []}]}),
            json!({"workloads": [{"apiVersion": 1, "kind": "T", "podSpecs": []}]}),
        ]
    }

    /// serde's derive also reads a struct from a sequence of its fields in
    /// order (`"exemptions": [["kube-system"]]`), a form no documentation
    /// shows and no settings file means: refused here, as a wrong type.
    #[test]
    fn structs_as_sequences_are_refused() {
        for value in [
            json!([]),
            json!({"exemptions": [["kube-system"]]}),
            json!({"exemptions": {"containers": [["a"]]}}),
        ] {
            assert!(serde_json::from_value::<Settings>(value.clone()).is_ok());
            assert!(
                settings(&value)
                    .unwrap_err()
                    .contains("invalid type: sequence"),
                "{value}"
            );
        }
    }

    #[test]
    fn reads_and_writes_as_the_serde_derive_does() {
        let mut accepted_count = 0;
        let cases = repository_settings()
            .into_iter()
            .chain(accepted().into_iter().map(|v| (v.to_string(), v)))
            .chain(refused().into_iter().map(|v| (v.to_string(), v)));
        for (name, value) in cases {
            let by_hand = settings(&value);
            let by_serde = serde_json::from_value::<Settings>(value.clone());
            match (&by_hand, &by_serde) {
                (Ok(hand), Ok(serde)) => {
                    assert_eq!(hand, serde, "{name}");
                    assert_eq!(
                        to_json(hand),
                        serde_json::to_value(serde).unwrap(),
                        "{name}"
                    );
                    accepted_count += 1;
                }
                (Err(_), Err(_)) => {}
                _ => panic!("{name}: by hand {by_hand:?}, by serde {by_serde:?}"),
            }
        }
        // The repository's valid settings and `accepted()` (the fixtures
        // whose rule or container `validate` refuses read fine).
        assert!(accepted_count >= accepted().len() + 5, "{accepted_count}");
        for value in accepted() {
            assert!(settings(&value).is_ok(), "{value}");
        }
        for value in refused() {
            assert!(settings(&value).is_err(), "{value}");
        }
    }

    #[test]
    fn messages_say_what_serde_says() {
        let message = |v: Value| settings(&v).unwrap_err();
        assert_eq!(
            message(json!({"rulez": {}})),
            "unknown field `rulez`, expected one of `rules`, `exemptions`, `ignoreAnnotation`, `mode`, `unsafeFixes`, `workloads`"
        );
        for (value, serde_says) in [
            (
                json!(42),
                "invalid type: integer `42`, expected struct Settings",
            ),
            (
                json!("x"),
                "invalid type: string \"x\", expected struct Settings",
            ),
            (
                json!({"exemptions": {"namespaces": "kube-system"}}),
                "invalid type: string \"kube-system\", expected a sequence",
            ),
            (
                json!({"ignoreAnnotation": {"allowed": "yes"}}),
                "invalid type: string \"yes\", expected a boolean",
            ),
            (
                json!({"mode": "enforce"}),
                "unknown variant `enforce`, expected `validate` or `mutate`",
            ),
            (
                json!({"rules": {"privileged": "loud"}}),
                "unknown level `loud`, expected `error`, `warning` or `off`",
            ),
        ] {
            assert_eq!(message(value.clone()), serde_says, "{value}");
            let serde = serde_json::from_value::<Settings>(value.clone()).unwrap_err();
            assert_eq!(serde.to_string(), serde_says, "{value}");
        }
        // Where serde only says that no variant matched, say why too.
        let tied = message(json!({"exemptions": {"containers": [{"name": "a", "image": ["x"]}]}}));
        assert!(
            tied.starts_with("data did not match any variant of untagged enum ContainerExemption")
                && tied.ends_with(
                    "unknown field `image`, expected one of `name`, `images`, `namespaces`"
                ),
            "{tied}"
        );
        assert_eq!(
            message(json!({"rules": {"privileged": 0}})),
            "invalid type: integer `0`, expected `error`, `warning` or `off`"
        );
    }
}
