//! The document tree every later stage reads: JSON-like values with spans.
//!
//! Both readers produce it: the YAML reader (with spans, YAML 1.1 scalars
//! already resolved) and the JSON path (no spans). Nothing after this module
//! knows which one a node came from.

use crate::span::Span;

/// A value with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    /// Byte span in the source; `None` on the JSON path.
    pub span: Option<Span>,
    /// The node is a copy made by a YAML alias: its span points at the
    /// anchored original, so a text edit there would change every alias.
    /// Also set on the value of a key written twice: fixes leave both alone.
    pub aliased: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One key of a mapping. Keys are strings, as Kubernetes' YAML-to-JSON
/// conversion makes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Option<Span>,
    pub value: Node,
}

impl Entry {
    /// Span from the key to the end of the value (`privileged: true`).
    pub fn span(&self) -> Option<Span> {
        match (self.key_span, self.value.span) {
            (Some(k), Some(v)) if v.end >= k.start => Some(k.cover(v)),
            (k, v) => k.or(v),
        }
    }
}

impl Node {
    pub fn new(value: Value, span: Option<Span>) -> Self {
        Self {
            value,
            span,
            aliased: false,
        }
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// An integer, accepting integral floats as Kubernetes' YAML-to-JSON
    /// conversion does (`0.0` becomes the JSON number `0`).
    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            #[allow(clippy::cast_possible_truncation)] // checked: integral and in range
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e18 => Some(f as i64),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The entry of a mapping key, if this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    /// The value of a mapping key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// Follow a JSON pointer (RFC 6901) from this node.
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        if pointer.is_empty() {
            return Some(self);
        }
        let mut node = self;
        for token in pointer.strip_prefix('/')?.split('/') {
            let token = unescape_token(token);
            node = match &node.value {
                Value::Map(_) => node.get(&token)?,
                Value::Seq(items) => items.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }

    /// Short type name for messages.
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "list",
            Value::Map(_) => "mapping",
        }
    }

    /// Number of nodes (mapping keys included, as the reader counts them) and
    /// height of this subtree (for the alias budget and
    /// the depth limit), without recursion.
    pub fn size_and_height(&self) -> (usize, usize) {
        let (mut size, mut height) = (0, 0);
        let mut stack = vec![(self, 1)];
        while let Some((node, depth)) = stack.pop() {
            size += 1;
            height = height.max(depth);
            match &node.value {
                Value::Seq(items) => stack.extend(items.iter().map(|n| (n, depth + 1))),
                Value::Map(entries) => {
                    // Keys count, as the reader counts them.
                    size += entries.len();
                    stack.extend(entries.iter().map(|e| (&e.value, depth + 1)));
                }
                _ => {}
            }
        }
        (size, height)
    }

    /// Build a tree from a JSON value (the admission path: no spans).
    pub fn from_json(value: &serde_json::Value) -> Self {
        let value = match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(items) => {
                Value::Seq(items.iter().map(Node::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| Entry {
                        key: k.clone(),
                        key_span: None,
                        value: Node::from_json(v),
                    })
                    .collect(),
            ),
        };
        Node::new(value, None)
    }

    /// The JSON value of this tree (what Kubernetes would see).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Escape one JSON-pointer token (`~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains(['~', '/']) {
        token.replace('~', "~0").replace('/', "~1").into()
    } else {
        token.into()
    }
}

pub(crate) fn unescape_token(token: &str) -> std::borrow::Cow<'_, str> {
    if token.contains('~') {
        token.replace("~1", "/").replace("~0", "~").into()
    } else {
        token.into()
    }
}

/// A JSON string as serde_json writes it, escapes included (the fixer's
/// JSON scalars and keys, the settings' messages). Not through `Value`'s
/// `Display`, whose serialiser weighed 1.2 KB of the playground's wasm,
/// nor `str`'s `Debug`, whose Unicode tables weighed 3.4 KB.
pub(crate) fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_follows_maps_and_lists_with_escapes() {
        let json = serde_json::json!({"a/b": [{"c~d": 1}]});
        let node = Node::from_json(&json);
        assert_eq!(node.pointer("/a~1b/0/c~0d").and_then(Node::as_i64), Some(1));
        assert!(node.pointer("/a~1b/1").is_none());
        assert!(node.pointer("/a~1b/x").is_none());
        assert_eq!(node.pointer(""), Some(&node));
        assert_eq!(node.to_json(), json);
    }
}
