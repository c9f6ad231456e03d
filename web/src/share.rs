//! What share links and local storage hold: the JSON payload
//! `{"manifest": "<text>", "settings": {…}}` (`settings` optional, in the
//! core's settings format, defaults left out).
//!
//! A share link is `#v1=` followed by base64url without padding of the raw
//! DEFLATE (RFC 1951) of this JSON: a contract other pages build on
//! (web/README.md). The browser's `CompressionStream` does the DEFLATE and
//! base64url part (web/js/share.mjs, reached through [`crate::js`]); local
//! storage keeps the JSON as is.

use kube_immutable_core::yaml::parse_stream;
use kube_immutable_core::{Limits, Settings};
use serde_json::Value;

use crate::checker::json_string;

/// What a link or local storage holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Shared {
    pub manifest: String,
    pub settings: Settings,
}

/// The payload JSON for a manifest and settings.
pub fn payload(manifest: &str, settings: &Settings) -> String {
    let mut payload = serde_json::json!({ "manifest": manifest });
    if *settings != Settings::default() {
        payload["settings"] = settings_json(settings);
    }
    json_text(&payload)
}

/// Compact JSON text, as `Value`'s `Display` writes it but for the escapes
/// of control characters (`\u0009`, equally JSON): that `Display` brings
/// serde_json's serialiser, compact and pretty, 2.5 KB of the wasm.
pub fn json_text(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => json_string(out, &[s]),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, &[key]);
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
    }
}

/// JSON text as a value, read by the core's reader (JSON is YAML): one
/// parser in the wasm instead of two.
pub fn json_value(text: &str) -> Result<serde_json::Value, String> {
    let (documents, errors) = parse_stream(text, &Limits::default());
    if let Some(e) = errors.first() {
        return Err(e.message.en.to_string());
    }
    Ok(documents
        .first()
        .map(|d| d.root.to_json())
        .unwrap_or_default())
}

fn bad(why: &str) -> String {
    format!("its content is not the expected JSON ({why})")
}

/// Read a payload; the settings go through the core, whose refusal is the
/// error.
pub fn read_payload(json: &str) -> Result<Shared, String> {
    // Read by hand rather than by a serde derive: 1 KB less of the
    // playground's gzipped wasm (README, "The playground").
    let mut value = json_value(json).map_err(|e| bad(&e))?;
    let manifest = match value.get_mut("manifest").map(Value::take) {
        Some(Value::String(manifest)) => manifest,
        Some(_) => return Err(bad("`manifest` is not a string")),
        None if value.is_object() => return Err(bad("missing field `manifest`")),
        None => return Err(bad("not an object")),
    };
    let settings = match value.get_mut("settings").map(Value::take) {
        None | Some(Value::Null) => Settings::default(),
        Some(value) => Settings::from_json(value).map_err(|e| e.0)?,
    };
    Ok(Shared { manifest, settings })
}

/// Settings as the core serialises them, minus the defaults, so that links
/// and exported files say only what was chosen.
pub fn settings_json(settings: &Settings) -> serde_json::Value {
    // `to_json` leaves out empty lists and unset options: what is left at
    // its default is an empty mapping (`rules`, `exemptions`,
    // `ignoreAnnotation`), `mode: validate` or `unsafeFixes: false` (a test
    // compares with the defaults' JSON).
    let mut value = settings.to_json();
    if let Some(map) = value.as_object_mut() {
        map.retain(|_, v| {
            !(v.as_object().is_some_and(|m| m.is_empty())
                || v.as_str() == Some("validate")
                || v.as_bool() == Some(false))
        });
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_json_leaves_out_exactly_the_defaults() {
        assert_eq!(settings_json(&Settings::default()), serde_json::json!({}));
        let defaults = Settings::default().to_json();
        let mut s = Settings {
            mode: kube_immutable_core::Mode::Mutate,
            unsafe_fixes: true,
            ..Settings::default()
        };
        s.exemptions.images = vec!["x/*".into()];
        s.ignore_annotation.allowed = Some(false);
        s.rules
            .insert("privileged".into(), kube_immutable_core::Level::Off);
        let all = settings_json(&s);
        for key in defaults.as_object().unwrap().keys() {
            assert!(all.get(key).is_some(), "{key}: {all}");
        }
        assert_eq!(Settings::from_json(all).unwrap(), s);
    }
    use kube_immutable_core::Level;

    #[test]
    fn round_trip_keeps_text_and_settings() {
        let mut settings = Settings::default();
        settings
            .rules
            .insert("may-run-as-root".into(), Level::Error);
        settings.exemptions.namespaces.push("kube-system".into());
        let text = "kind: Pod # é 😀\r\nspec: {}\n";
        let back = read_payload(&payload(text, &settings)).unwrap();
        assert_eq!(
            back,
            Shared {
                manifest: text.into(),
                settings
            }
        );
    }

    #[test]
    fn default_settings_are_left_out() {
        assert_eq!(
            payload("a: 1", &Settings::default()),
            r#"{"manifest":"a: 1"}"#
        );
        let mut s = Settings::default();
        s.exemptions.images.push("x/*".into());
        assert_eq!(
            payload("", &s),
            r#"{"manifest":"","settings":{"exemptions":{"images":["x/*"]}}}"#
        );
    }

    #[test]
    fn what_other_pages_write_reads() {
        let shared =
            read_payload(r#"{"manifest":"kind: Pod\n","settings":{"rules":{"privileged":"off"}}}"#)
                .unwrap();
        assert_eq!(shared.manifest, "kind: Pod\n");
        assert_eq!(shared.settings.rules.get("privileged"), Some(&Level::Off));
        assert_eq!(
            read_payload(r#"{"manifest":"","settings":null}"#)
                .unwrap()
                .settings,
            Settings::default()
        );
    }

    #[test]
    fn workloads_travel_in_the_settings_and_old_links_still_open() {
        let shared = read_payload(
            r#"{"manifest":"","settings":{"workloads":[{"apiVersion":"pipelines.example.com/v1","kind":"Runner","podSpecs":["/spec/runner/podSpec"]}]}}"#,
        )
        .unwrap();
        assert_eq!(shared.settings.workloads.len(), 1);
        assert_eq!(
            payload("", &shared.settings),
            r#"{"manifest":"","settings":{"workloads":[{"apiVersion":"pipelines.example.com/v1","kind":"Runner","podSpecs":["/spec/runner/podSpec"]}]}}"#
        );
        // A link made before `workloads` existed has none.
        let old = read_payload(r#"{"manifest":"a: 1","settings":{"mode":"mutate"}}"#).unwrap();
        assert!(old.settings.workloads.is_empty());
        let refused = read_payload(
            r#"{"manifest":"","settings":{"workloads":[{"apiVersion":"x.io/v1","kind":"R","podSpecs":[]}]}}"#,
        )
        .unwrap_err();
        assert!(refused.contains("`workloads[0].podSpecs`"), "{refused}");
    }

    #[test]
    fn bad_payloads_say_why() {
        assert!(read_payload("[1]").unwrap_err().contains("expected JSON"));
        assert!(read_payload(r#"{"settings":{}}"#)
            .unwrap_err()
            .contains("missing field `manifest`"));
        let refused = read_payload(r#"{"manifest":"","settings":{"rulez":{}}}"#).unwrap_err();
        assert!(refused.contains("unknown field `rulez`"), "{refused}");
    }
}
