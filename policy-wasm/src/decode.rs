//! Read `request.object` straight into the core's [`Node`] tree.
//!
//! [`kube_immutable_core::check_json`] takes a `serde_json::Value` and copies
//! it into a `Node` tree; on the admission path that is two trees per request
//! (and `Value`'s maps hash every key). Building the `Node` tree while
//! parsing halves the work, and lets the policy skip what no rule reads: the
//! object's `status` and `metadata.managedFields` (often the bulk of an
//! UPDATE). Mutate mode, which must return the whole object, reads it again
//! as a `Value`.

use std::fmt;

use kube_immutable_core::{Entry, Node, Value};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Maps longer than this keep duplicate keys instead of searching for them:
/// the API server re-encodes every object, so its JSON never repeats a key,
/// and a linear search per key would make a hostile map quadratic.
const DEDUP_LIMIT: usize = 32;

/// The admission object, as a [`Node`] tree without the parts no rule reads.
#[derive(Debug)]
pub(crate) struct ObjectNode(pub(crate) Node);

impl<'de> serde::Deserialize<'de> for ObjectNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        NodeSeed { level: Level::Root }
            .deserialize(deserializer)
            .map(ObjectNode)
    }
}

/// Where a node sits in the object, to know what can be skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Metadata,
    Other,
}

impl Level {
    fn child(self, key: &str) -> Self {
        match (self, key) {
            (Level::Root, "metadata") => Level::Metadata,
            _ => Level::Other,
        }
    }

    fn skips(self, key: &str) -> bool {
        matches!(
            (self, key),
            (Level::Root, "status") | (Level::Metadata, "managedFields")
        )
    }
}

#[derive(Debug, Clone, Copy)]
struct NodeSeed {
    level: Level,
}

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        deserializer.deserialize_any(self)
    }
}

fn node(value: Value) -> Node {
    Node::new(value, None)
}

impl<'de> Visitor<'de> for NodeSeed {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(node(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(node(Value::Null))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(node(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(node(Value::Int(v)))
    }

    // As `Node::from_json`: integers beyond `i64` become floats.
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(node(match i64::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(v as f64),
        }))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(node(Value::Float(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(node(Value::Str(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(node(Value::Str(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        let seed = NodeSeed {
            level: Level::Other,
        };
        while let Some(item) = seq.next_element_seed(seed)? {
            items.push(item);
        }
        Ok(node(Value::Seq(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<Entry> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if self.level.skips(&key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value = map.next_value_seed(NodeSeed {
                level: self.level.child(&key),
            })?;
            // The last of duplicate keys wins, as in `serde_json::Value`.
            if entries.len() <= DEDUP_LIMIT {
                if let Some(entry) = entries.iter_mut().find(|e| e.key == key) {
                    entry.value = value;
                    continue;
                }
            }
            entries.push(Entry {
                key,
                key_span: None,
                value,
            });
        }
        Ok(node(Value::Map(entries)))
    }
}
