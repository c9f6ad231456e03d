//! Reading the settings file given with `--config` (YAML or JSON).
//!
//! The model is the core's [`Settings`]; this module only reads the file,
//! and when the core refuses it, finds which key is at fault so the error
//! can name it and point at its line.

use kube_immutable_core::yaml::parse_stream;
use kube_immutable_core::{Limits, Node, Settings, Span, Value};

/// Why a settings file was refused. Carries the text to render a code frame.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub file: String,
    /// The file's text, when it could be read.
    pub text: Option<String>,
    /// Dotted path of the offending key (`rules.privileged`), when known.
    pub key: Option<String>,
    pub message: String,
    pub span: Option<Span>,
}

/// Reads and validates a settings file.
pub fn load(file: &str) -> Result<Settings, ConfigError> {
    let error = |text: Option<String>, message: String| ConfigError {
        file: file.to_owned(),
        text,
        key: None,
        message,
        span: None,
    };
    let bytes = std::fs::read(file).map_err(|e| error(None, format!("cannot read: {e}")))?;
    let text =
        String::from_utf8(bytes).map_err(|_| error(None, "cannot read: not UTF-8 text".into()))?;
    parse(file, text)
}

/// Validates settings text (YAML or JSON); `file` names it in errors.
pub fn parse(file: &str, text: String) -> Result<Settings, ConfigError> {
    let (documents, errors) = parse_stream(&text, &Limits::default());
    if let Some(first) = errors.into_iter().next() {
        return Err(ConfigError {
            file: file.to_owned(),
            key: None,
            message: first.message.en,
            span: first.span,
            text: Some(text),
        });
    }
    let roots: Vec<&Node> = documents
        .iter()
        .map(|d| &d.root)
        .filter(|r| !r.is_null())
        .collect();
    let root = match roots.as_slice() {
        // An empty (or comment-only) file keeps every default.
        [] => return Ok(Settings::default()),
        [root] => *root,
        [_, second, ..] => {
            return Err(ConfigError {
                file: file.to_owned(),
                key: None,
                message: "a settings file holds one document; found more than one".into(),
                span: second.span,
                text: Some(text),
            })
        }
    };
    if root.as_map().is_none() {
        return Err(ConfigError {
            file: file.to_owned(),
            key: None,
            message: format!("settings must be a mapping, found a {}", root.type_name()),
            span: root.span,
            text: Some(text),
        });
    }
    match Settings::from_json(root.to_json()) {
        Ok(settings) => Ok(settings),
        Err(whole) => {
            let culprit = culprit(root);
            let (key, message, span) = match culprit {
                Some(c) => (Some(c.key), c.message, c.span),
                None => (None, whole.0, root.span),
            };
            Err(ConfigError {
                file: file.to_owned(),
                key,
                message: message
                    .strip_prefix("invalid settings: ")
                    .unwrap_or(&message)
                    .to_owned(),
                span,
                text: Some(text),
            })
        }
    }
}

#[derive(Debug, Clone)]
enum Segment {
    Key(String),
    Index(usize),
}

struct Culprit {
    key: String,
    message: String,
    span: Option<Span>,
}

/// The deepest key whose value, alone in an otherwise empty settings
/// object, is still refused: the one to name in the error.
fn culprit(root: &Node) -> Option<Culprit> {
    let mut path: Vec<Segment> = Vec::new();
    let mut node = root;
    let mut found: Option<Culprit> = None;
    loop {
        // Descend only when the key itself is fine and the fault is inside
        // its value (`rulez: {...}` is at fault as a whole).
        let empty = match &node.value {
            Value::Map(_) => serde_json::json!({}),
            Value::Seq(_) => serde_json::json!([]),
            _ => break,
        };
        if !path.is_empty() && Settings::from_json(isolate(&path, empty)).is_err() {
            break;
        }
        let children: Vec<(Segment, &Node, Option<Span>)> = match &node.value {
            Value::Map(entries) => entries
                .iter()
                .map(|e| (Segment::Key(e.key.clone()), &e.value, e.span()))
                .collect(),
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, n)| (Segment::Index(i), n, n.span))
                .collect(),
            _ => break,
        };
        let mut next = None;
        for (segment, child, span) in children {
            path.push(segment);
            if let Err(e) = Settings::from_json(isolate(&path, child.to_json())) {
                next = Some((child, e.0, span));
                break;
            }
            path.pop();
        }
        let Some((child, message, span)) = next else {
            break;
        };
        found = Some(Culprit {
            key: dotted(&path),
            message,
            span,
        });
        node = child;
    }
    found
}

/// `value` placed at `path` in an otherwise empty document.
fn isolate(path: &[Segment], value: serde_json::Value) -> serde_json::Value {
    path.iter()
        .rev()
        .fold(value, |inner, segment| match segment {
            Segment::Key(k) => {
                serde_json::Value::Object([(k.clone(), inner)].into_iter().collect())
            }
            Segment::Index(_) => serde_json::Value::Array(vec![inner]),
        })
}

fn dotted(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ConfigError {
        parse("c.yaml", text.to_owned()).unwrap_err()
    }

    #[test]
    fn names_the_offending_key_and_points_at_it() {
        let text = "rules:\n  privileged: warning\n  run-as-root: loud\n";
        let e = err(text);
        assert_eq!(e.key.as_deref(), Some("rules.run-as-root"));
        assert!(e.message.contains("unknown level `loud`"), "{}", e.message);
        let span = e.span.unwrap();
        assert_eq!(&text[span.start..span.end], "run-as-root: loud");

        let e = err("exemptions:\n  images: [\"ok\", \"\"]\n");
        assert_eq!(e.key.as_deref(), Some("exemptions.images[1]"));
        let e = err("rulez:\n  privileged: error\n");
        assert_eq!(e.key.as_deref(), Some("rulez"));
        assert!(e.message.contains("unknown field `rulez`"), "{}", e.message);
        let e = err("exemptions:\n  namespaces: kube-system\n");
        assert_eq!(e.key.as_deref(), Some("exemptions.namespaces"));
    }

    #[test]
    fn bare_off_is_off() {
        // YAML 1.1 reads a bare `off` as `false`; the core takes it as `off`.
        for text in [
            "rules:\n  privileged: off\n",
            "rules:\n  privileged: \"off\"\n",
        ] {
            let ok = parse("c.yaml", text.into()).unwrap();
            assert_eq!(
                ok.rules.get("privileged"),
                Some(&kube_immutable_core::Level::Off)
            );
        }
        assert!(err("rules:\n  privileged: on\n")
            .message
            .contains("unknown level `true`"));
    }

    #[test]
    fn empty_file_is_defaults_and_json_works() {
        assert_eq!(
            parse("c.yaml", "# nothing\n".into()).unwrap(),
            Settings::default()
        );
        let s = parse("c.json", r#"{"rules": {"privileged": "warning"}}"#.into()).unwrap();
        assert_eq!(s.rules.len(), 1);
        assert!(err("- a\n").message.contains("mapping"));
        assert!(err("a: [\n").span.is_some());
    }
}
