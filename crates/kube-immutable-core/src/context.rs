//! Typed views of a pod spec that rules read: containers, security contexts
//! and fields, each with its pointer and span. Rules never walk raw nodes.

use crate::diagnostic::Message;
use crate::node::{Entry, Node};
use crate::span::Span;
use crate::workload::join;

/// Which list of the pod spec a container is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerList {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerList {
    pub const ALL: [(ContainerList, &'static str); 3] = [
        (ContainerList::Init, "initContainers"),
        (ContainerList::Regular, "containers"),
        (ContainerList::Ephemeral, "ephemeralContainers"),
    ];
}

/// A field that may or may not be there.
///
/// Its pointer is built only when asked for (when a rule reports it): a check
/// reads many fields and reports few.
#[derive(Debug, Clone, Copy)]
pub struct Field<'a> {
    /// Pointer of the owner (container or pod spec) from the document root.
    owner: &'a str,
    /// Keys from the owner to the field.
    path: &'a [&'a str],
    key: &'a str,
    pub entry: Option<&'a Entry>,
    /// Span of the nearest node that exists, used when the field is missing.
    nearest: Option<Span>,
}

impl<'a> Field<'a> {
    /// Pointer from the document root, whether or not the field exists.
    pub fn pointer(&self) -> String {
        let mut pointer = self.owner.to_owned();
        for key in self.path.iter().chain([&self.key]) {
            pointer = join(&pointer, key);
        }
        pointer
    }

    pub fn value(&self) -> Option<&'a Node> {
        self.entry.map(|e| &e.value).filter(|v| !v.is_null())
    }

    /// Set to something other than `null`.
    pub fn is_set(&self) -> bool {
        self.value().is_some()
    }

    pub fn as_bool(&self) -> Option<bool> {
        self.value()?.as_bool()
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.value()?.as_i64()
    }

    pub fn as_str(&self) -> Option<&'a str> {
        self.value()?.as_str()
    }

    /// The key and value when present, else the nearest existing node.
    pub fn span(&self) -> Option<Span> {
        self.entry.and_then(Entry::span).or(self.nearest)
    }

    /// The key alone when present (one line, for a field whose value is a
    /// list or mapping over several lines), else the nearest existing node.
    pub fn key_span(&self) -> Option<Span> {
        self.entry
            .and_then(|e| e.key_span.or_else(|| e.span()))
            .or(self.nearest)
    }

    /// The value alone when present, else the key, else the nearest
    /// existing node.
    pub fn value_span(&self) -> Option<Span> {
        self.entry
            .and_then(|e| e.value.span.or(e.key_span))
            .or(self.nearest)
    }

    /// The items of a list value, in order; none when the field is missing,
    /// null or not a list (the engine reports a wrong type).
    pub fn items(&self) -> impl Iterator<Item = Item<'a>> {
        let list = *self;
        self.value()
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .map(move |(index, node)| Item { list, index, node })
    }
}

/// One item of a list field: a volume, a port, a capability. Its pointer is
/// built only when asked for.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    list: Field<'a>,
    pub index: usize,
    pub node: &'a Node,
}

impl<'a> Item<'a> {
    /// Pointer of the item from the document root (`.../volumes/2`).
    pub fn pointer(&self) -> String {
        format!("{}/{}", self.list.pointer(), self.index)
    }

    /// Pointer of a member of the item (`.../ports/0/hostPort`).
    pub fn member_pointer(&self, key: &str) -> String {
        join(&self.pointer(), key)
    }

    /// The item itself, else the list's key.
    pub fn span(&self) -> Option<Span> {
        self.node.span.or_else(|| self.list.key_span())
    }

    /// A member of the item when it is a mapping.
    pub fn entry(&self, key: &str) -> Option<&'a Entry> {
        self.node.entry(key)
    }

    /// The item as a string (a capability), `None` for other types.
    pub fn as_str(&self) -> Option<&'a str> {
        self.node.as_str()
    }
}

/// A `securityContext` (pod or container), possibly absent.
#[derive(Debug, Clone)]
pub struct SecurityContext<'a> {
    /// Pointer of the owner (container or pod spec).
    owner: &'a str,
    pub entry: Option<&'a Entry>,
    /// Where to point when the whole context is missing.
    owner_span: Option<Span>,
}

impl<'a> SecurityContext<'a> {
    fn new(owner: &'a Node, owner_pointer: &'a str, owner_span: Option<Span>) -> Self {
        Self {
            owner: owner_pointer,
            entry: owner.entry("securityContext"),
            owner_span,
        }
    }

    /// Pointer of the context from the document root.
    pub fn pointer(&self) -> String {
        join(self.owner, "securityContext")
    }

    pub fn exists(&self) -> bool {
        self.entry.is_some_and(|e| e.value.as_map().is_some())
    }

    pub fn field(&self, key: &'a str) -> Field<'a> {
        Field {
            owner: self.owner,
            path: &["securityContext"],
            key,
            // `Node::entry` finds nothing in a value that is not a mapping.
            entry: self.entry.and_then(|e| e.value.entry(key)),
            nearest: self.entry.and_then(|e| e.key_span).or(self.owner_span),
        }
    }

    /// The `capabilities` of this context (container contexts only have
    /// them in Kubernetes), possibly absent.
    pub fn capabilities(&self) -> Capabilities<'a> {
        let field = self.field("capabilities");
        Capabilities {
            owner: self.owner,
            entry: field.entry,
            nearest: field.key_span(),
        }
    }
}

/// A container's `securityContext.capabilities`, possibly absent.
#[derive(Debug, Clone, Copy)]
pub struct Capabilities<'a> {
    /// Pointer of the container.
    owner: &'a str,
    pub entry: Option<&'a Entry>,
    /// The `capabilities` key, else the nearest node that exists.
    nearest: Option<Span>,
}

impl<'a> Capabilities<'a> {
    /// Pointer of `capabilities` from the document root.
    pub fn pointer(&self) -> String {
        join(&join(self.owner, "securityContext"), "capabilities")
    }

    /// `add` or `drop`.
    pub fn field(&self, key: &'a str) -> Field<'a> {
        Field {
            owner: self.owner,
            path: &["securityContext", "capabilities"],
            key,
            // `Node::entry` finds nothing in a value that is not a mapping.
            entry: self.entry.and_then(|e| e.value.entry(key)),
            nearest: self.nearest,
        }
    }
}

/// One container of a pod spec.
#[derive(Debug, Clone)]
pub struct Container<'a> {
    pub node: &'a Node,
    pub list: ContainerList,
    pub index: usize,
    pub pointer: String,
    pub name: Option<&'a str>,
    pub image: Option<&'a str>,
}

impl<'a> Container<'a> {
    pub fn security_context(&self) -> SecurityContext<'_> {
        SecurityContext::new(self.node, &self.pointer, self.head_span())
    }

    /// A field of the container itself (`image`, `ports`).
    pub fn field<'c>(&'c self, key: &'c str) -> Field<'c> {
        Field {
            owner: &self.pointer,
            path: &[],
            key,
            entry: self.node.entry(key),
            nearest: self.head_span(),
        }
    }

    /// The first line of the container item: its `name` entry if any, else
    /// its first entry, else the item.
    pub fn head_span(&self) -> Option<Span> {
        let entries = self.node.as_map().unwrap_or_default();
        entries
            .iter()
            .find(|e| e.key == "name")
            .or(entries.first())
            .and_then(|e| {
                if e.key == "name" {
                    e.span()
                } else {
                    e.key_span
                }
            })
            .or(self.node.span)
    }

    /// `container "nginx"` / `le conteneur « nginx »`, by list.
    pub fn label(&self) -> Message {
        let name = self
            .name
            .map_or_else(|| format!("#{}", self.index), ToOwned::to_owned);
        match self.list {
            ContainerList::Init => Message::new(
                format!("init container \"{name}\""),
                format!("le conteneur d'initialisation « {name} »"),
            ),
            ContainerList::Regular => Message::new(
                format!("container \"{name}\""),
                format!("le conteneur « {name} »"),
            ),
            ContainerList::Ephemeral => Message::new(
                format!("ephemeral container \"{name}\""),
                format!("le conteneur éphémère « {name} »"),
            ),
        }
    }
}

/// A pod spec with what the rules need to know about it.
#[derive(Debug, Clone)]
pub struct Pod<'a> {
    pub spec: &'a Node,
    pub pointer: String,
    /// Containers of all three lists, in order, minus exempt ones.
    pub containers: Vec<Container<'a>>,
    /// `spec.os.name: windows`: Linux-only fields do not apply.
    pub windows: bool,
    /// `spec.hostUsers: false`: the pod runs in a user namespace.
    pub user_namespace: bool,
}

impl<'a> Pod<'a> {
    pub fn security_context(&self) -> SecurityContext<'_> {
        SecurityContext::new(self.spec, &self.pointer, self.spec_span())
    }

    /// A field of the pod spec itself (`hostNetwork`).
    pub fn field<'p>(&'p self, key: &'p str) -> Field<'p> {
        Field {
            owner: &self.pointer,
            path: &[],
            key,
            entry: self.spec.entry(key),
            nearest: self.spec_span(),
        }
    }

    /// The first key of the pod spec: a one-line place for pod-level findings.
    fn spec_span(&self) -> Option<Span> {
        self.spec
            .as_map()
            .and_then(|m| m.first())
            .and_then(|e| e.key_span)
            .or(self.spec.span)
    }
}
