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
            message: first.message.en.into_owned(),
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
            // The core names the key itself when serde does not
            // (`workloads[1].podSpecs[0]`: ...); else find it.
            let culprit = named_culprit(root, &whole.0).or_else(|| culprit(root));
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

/// The key a core message starts with (`` `workloads[1].podSpecs[0]`: ``),
/// when it is in the file: the message without it, and the key's span.
fn named_culprit(root: &Node, message: &str) -> Option<Culprit> {
    let rest = message.strip_prefix("invalid settings: `")?;
    let (key, message) = rest.split_once("`: ")?;
    let mut node = root;
    let mut span = None;
    for part in key.split('.') {
        let (name, indexes) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        let entry = node.entry(name)?;
        span = entry.span();
        node = &entry.value;
        for index in indexes.split_terminator(']') {
            let item = node
                .as_seq()?
                .get(index.strip_prefix('[')?.parse::<usize>().ok()?)?;
            span = item.span;
            node = item;
        }
    }
    Some(Culprit {
        key: key.to_owned(),
        message: message.to_owned(),
        span,
    })
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
    fn workloads_errors_point_at_the_entry_or_pointer() {
        let text = "workloads:\n  - apiVersion: pipelines.example.com/v1\n    kind: Runner\n    podSpecs: [/spec/runner/podSpec, spec/other]\n";
        let e = err(text);
        assert_eq!(e.key.as_deref(), Some("workloads[0].podSpecs[1]"));
        assert!(
            e.message.starts_with("`spec/other` is not a JSON pointer"),
            "{}",
            e.message
        );
        let span = e.span.unwrap();
        assert_eq!(&text[span.start..span.end], "spec/other");

        let text =
            "workloads:\n  - apiVersion: example.com/v1\n    kind: Runner\n    podSpecs: []\n";
        let e = err(text);
        assert_eq!(e.key.as_deref(), Some("workloads[0].podSpecs"));
        assert!(e.message.contains("the list is empty"), "{}", e.message);
        assert_eq!(
            &text[e.span.unwrap().start..e.span.unwrap().end],
            "podSpecs: []"
        );

        // A built-in kind with other paths, without `replace: true`.
        let text = "workloads:\n- apiVersion: argoproj.io/v1alpha1\n  kind: Rollout\n  podSpecs: [/spec/x/spec]\n";
        let e = err(text);
        assert_eq!(e.key.as_deref(), Some("workloads[0]"));
        assert!(e.message.contains("add `replace: true`"), "{}", e.message);
        assert!(text[e.span.unwrap().start..].starts_with("apiVersion: argoproj.io"));

        // serde's own errors (a misspelt key) point at the entry.
        let text =
            "workloads:\n  - apiVersion: example.com/v1\n    kind: Runner\n    podSpec: [/spec]\n";
        let e = err(text);
        assert_eq!(e.key.as_deref(), Some("workloads[0]"));
        assert!(
            e.message.contains("unknown field `podSpec`"),
            "{}",
            e.message
        );

        let ok = parse(
            "c.yaml",
            "workloads:\n  - {apiVersion: example.com/*, kind: Runner, podSpecs: [/spec/*/spec]}\n"
                .into(),
        )
        .unwrap();
        assert_eq!(ok.workloads.len(), 1);
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
