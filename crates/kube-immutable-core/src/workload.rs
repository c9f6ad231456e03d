//! Workload objects and where their pod spec lives.

use crate::node::{escape_token, Node};

/// Path from the object root to its pod spec, per workload kind.
pub fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &["spec"],
        "PodTemplate" => &["template", "spec"],
        "ReplicationController"
        | "ReplicaSet"
        | "Deployment"
        | "DaemonSet"
        | "StatefulSet"
        | "Job" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    })
}

/// Kinds whose objects hold a pod spec.
pub const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "PodTemplate",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "CronJob",
];

/// An object of a stream: a document root or an item of a `List`.
#[derive(Debug, Clone, Copy)]
pub struct Object<'a> {
    pub node: &'a Node,
    pub kind: &'a str,
    /// 0-based index of the document.
    pub document: usize,
    /// Pointer of the object from the document root.
    pub pointer: &'a str,
}

impl<'a> Object<'a> {
    pub fn metadata(&self, key: &str) -> Option<&'a str> {
        self.node.get("metadata")?.get(key)?.as_str()
    }

    pub fn name(&self) -> Option<&'a str> {
        self.metadata("name")
            .or_else(|| self.metadata("generateName"))
    }

    pub fn namespace(&self) -> Option<&'a str> {
        self.metadata("namespace")
    }

    pub fn annotation(&self, key: &str) -> Option<&'a Node> {
        self.node.get("metadata")?.get("annotations")?.get(key)
    }

    /// The pod spec and its pointer, if this is a workload that has one.
    pub fn pod_spec(&self) -> Option<(&'a Node, String)> {
        let path = pod_spec_path(self.kind)?;
        let mut node = self.node;
        let mut pointer = self.pointer.to_owned();
        for key in path {
            node = node.get(key)?;
            pointer.push('/');
            pointer.push_str(key);
        }
        (!node.is_null()).then_some((node, pointer))
    }
}

/// Visit every object of a document: the root, or each item of a `*List`
/// (lists nest), in order.
pub fn for_each_object<'a>(root: &'a Node, document: usize, visit: &mut dyn FnMut(&Object<'_>)) {
    visit_object(root, document, String::new(), visit);
}

/// [`for_each_object`] on a node found at `pointer` of its document: an
/// item of a `List` read on its own is checked as it would be in its list.
pub fn for_each_object_at(
    node: &Node,
    document: usize,
    pointer: String,
    visit: &mut dyn FnMut(&Object<'_>),
) {
    visit_object(node, document, pointer, visit);
}

fn visit_object(node: &Node, document: usize, pointer: String, visit: &mut dyn FnMut(&Object<'_>)) {
    let Some(kind) = node.get("kind").and_then(Node::as_str) else {
        return;
    };
    if kind.ends_with("List") {
        if let Some(items) = node.get("items").and_then(Node::as_seq) {
            for (i, item) in items.iter().enumerate() {
                visit_object(item, document, format!("{pointer}/items/{i}"), visit);
            }
            return;
        }
    }
    visit(&Object {
        node,
        kind,
        document,
        pointer: &pointer,
    });
}

/// Append a key to a pointer.
pub fn join(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", escape_token(key))
}
