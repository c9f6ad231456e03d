//! Builders of the operations rules attach to their findings.

use serde_json::{json, Value as Json};

use crate::context::{Container, Field, Pod, SecurityContext};
use crate::diagnostic::Message;
use crate::finding::{Applicability, Fix, Operation};
use crate::node::Node;
use crate::rules::writable_root_filesystem::fallback_path;
use crate::workload::join;

/// Set `key` in a security context, creating the context when missing.
pub(crate) fn set(sc: &SecurityContext<'_>, key: &str, value: Json) -> Operation {
    if sc.exists() {
        Operation::Add {
            path: join(&sc.pointer(), key),
            value,
        }
    } else {
        Operation::Add {
            path: sc.pointer(),
            value: object(&mut [(key, value)]),
        }
    }
}

/// A JSON object of exactly these members. Findings keep their fixes (an
/// editor keeps every finding of an open file), and `serde_json::Map` is an
/// `IndexMap` here (`preserve_order`): grown an insert at a time, as
/// `Map::new` and `json!` grow it, a one-member object keeps room for three
/// (about 350 bytes for `{"runAsNonRoot":true}`); built at its size, a
/// third of that. The members are taken from a slice (left `null`), not an
/// array generic over their count: one copy of the code in the playground's
/// wasm, which is at its size budget.
fn object(members: &mut [(&str, Json)]) -> Json {
    let mut map = serde_json::Map::with_capacity(members.len());
    for (key, value) in members {
        map.insert((*key).to_owned(), value.take());
    }
    Json::Object(map)
}

/// Set the value at `path` below an owner (a container): the first mapping
/// on the way that is missing (or null) is added with the rest nested in it.
pub(crate) fn set_path(owner: &Node, owner_pointer: &str, path: &[&str], value: Json) -> Operation {
    let mut node = owner;
    let mut pointer = owner_pointer.to_owned();
    for (i, key) in path.iter().enumerate() {
        pointer = join(&pointer, key);
        let last = i + 1 == path.len();
        match node.get(key) {
            Some(child) if !last && child.as_map().is_some() => node = child,
            _ => {
                let value = path[i + 1..]
                    .iter()
                    .rev()
                    .fold(value, |inner, key| object(&mut [(key, inner)]));
                return Operation::Add {
                    path: pointer,
                    value,
                };
            }
        }
    }
    Operation::Add {
        path: pointer,
        value,
    }
}

/// Remove items of a list, highest index first so that every pointer stays
/// valid while the operations apply one after the other; the whole member
/// when no item would be left.
pub(crate) fn remove_items(list: &Field<'_>, indices: &[usize]) -> Vec<Operation> {
    let len = list.items().count();
    // In order and once each, without a sort (lists are short, and a sort
    // instance weighs kilobytes in the browser's wasm).
    let indices: Vec<usize> = (0..len).filter(|i| indices.contains(i)).collect();
    if !indices.is_empty() && indices.len() == len {
        return vec![Operation::Remove {
            path: list.pointer(),
        }];
    }
    let pointer = list.pointer();
    indices
        .iter()
        .rev()
        .map(|i| Operation::Remove {
            path: format!("{pointer}/{i}"),
        })
        .collect()
}

/// A fix of these operations, kept without spare room (a list grown by
/// pushes has some, so has a `format!`ed path, and findings keep their
/// fixes).
pub(crate) fn fix(
    title: Message,
    applicability: Applicability,
    mut operations: Vec<Operation>,
) -> Option<Fix> {
    operations.shrink_to_fit();
    for operation in &mut operations {
        operation.path_mut().shrink_to_fit();
    }
    Some(Fix {
        title,
        applicability,
        operations,
    })
}

/// `allowPrivilegeEscalation: false`, for both escalation rules; none while
/// the container is privileged or adds `CAP_SYS_ADMIN`, where the API server
/// refuses `false` ("cannot set `allowPrivilegeEscalation` to false and
/// `privileged` to true"). Fixing `privileged` (or removing the capability)
/// first lets the next round of fixes offer it: the privileged fix is safe,
/// so `fix` gets there on its own. Offered as unsafe instead, `fix
/// --unsafe-fixes` produced an object the API server refused whenever
/// `privileged` itself stayed (turned off, or lifted by the annotation).
pub(crate) fn disable_escalation(c: &Container<'_>) -> Option<Fix> {
    if escalation_refused(c) {
        return None;
    }
    fix(
        Message::new(
            "Set `allowPrivilegeEscalation: false`",
            "Mettre `allowPrivilegeEscalation: false`",
        ),
        Applicability::Safe,
        vec![set(
            &c.security_context(),
            "allowPrivilegeEscalation",
            false.into(),
        )],
    )
}

/// `allowPrivilegeEscalation: false` is refused by the API server on a
/// privileged container or one that adds `CAP_SYS_ADMIN`, spelled so: its
/// validation compares that exact name (`SYS_ADMIN` is accepted; the
/// cluster tests hold both to the real API server).
fn escalation_refused(c: &Container<'_>) -> bool {
    let sc = c.security_context();
    let privileged = sc.field("privileged").as_bool() == Some(true);
    let sys_admin = sc
        .field("capabilities")
        .value()
        .and_then(|caps| caps.get("add"))
        .and_then(|add| add.as_seq())
        .is_some_and(|add| add.iter().any(|cap| cap.as_str() == Some("CAP_SYS_ADMIN")));
    privileged || sys_admin
}

/// `readOnlyRootFilesystem: true` plus an `emptyDir` at each path the
/// image writes, reusing volumes of the same name and never mounting a path
/// twice.
pub(crate) fn read_only_root(pod: &Pod<'_>, c: &Container<'_>) -> Option<Fix> {
    let (paths, known) = crate::rules::writable_paths(c.image);
    let sc = c.security_context();
    let mut operations = vec![set(&sc, "readOnlyRootFilesystem", json!(true))];

    let mounts = c.node.get("volumeMounts").and_then(|m| m.as_seq());
    // A path already mounted, or a raw block device's path (the API server
    // refuses a mount at a `volumeDevices` path), gets no new mount.
    let devices = c.node.get("volumeDevices").and_then(|m| m.as_seq());
    let taken_at = |list: Option<&[Node]>, key: &str, path: &str| {
        list.is_some_and(|m| {
            m.iter().any(|item| {
                item.get(key)
                    .and_then(|p| p.as_str())
                    .map(|p| p.trim_end_matches('/'))
                    == Some(path)
            })
        })
    };
    let mounted =
        |path: &str| taken_at(mounts, "mountPath", path) || taken_at(devices, "devicePath", path);
    let volumes = pod.spec.get("volumes").and_then(|v| v.as_seq());
    // An existing volume of that name: `Some(true)` when it is an emptyDir
    // (reused), `Some(false)` when it is something else (a configMap is
    // read-only: never mount it where the app writes).
    let existing = |name: &str| {
        volumes?
            .iter()
            .find(|vol| vol.get("name").and_then(|n| n.as_str()) == Some(name))
            .map(|vol| vol.get("emptyDir").is_some())
    };

    let container = c.name.unwrap_or("container");
    let image_name = c
        .image
        .map(crate::rules::writable_root_filesystem::repository)
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or_default();
    // At most one of each per path: sized so, the lists a finding keeps in
    // its fix have no spare room (most images get one path, `/tmp`).
    let mut new_mounts = Vec::with_capacity(paths.len());
    let mut new_volumes: Vec<Json> = Vec::with_capacity(paths.len());
    for path in paths.iter().filter(|p| !mounted(p)) {
        let base = volume_name(container, image_name, path);
        let taken = |name: &str| new_volumes.iter().any(|v| v["name"] == json!(name));
        let mut name = base.clone();
        let mut n = 2;
        while existing(&name) == Some(false) || (taken(&name) && existing(&name).is_none()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        new_mounts.push(object(&mut [
            ("name", json!(name)),
            ("mountPath", json!(path)),
        ]));
        if existing(&name).is_none() && !taken(&name) {
            new_volumes.push(object(&mut [
                ("name", json!(name)),
                ("emptyDir", object(&mut [])),
            ]));
        }
    }
    append(
        &mut operations,
        &c.pointer,
        "volumeMounts",
        mounts.is_some(),
        new_mounts,
    );
    append(
        &mut operations,
        &pod.pointer,
        "volumes",
        volumes.is_some(),
        new_volumes,
    );

    let title = if known {
        let list = paths.join(", ");
        Message::new(
            format!("Set `readOnlyRootFilesystem: true` and mount an emptyDir at {list}"),
            format!("Mettre `readOnlyRootFilesystem: true` et monter un emptyDir sur {list}"),
        )
    } else {
        // A literal, as most images are not known: findings borrow it.
        Message::new(
            concat!(
                "Set `readOnlyRootFilesystem: true` and mount an emptyDir at ",
                fallback_path!(),
                " (the image may write elsewhere)"
            ),
            concat!(
                "Mettre `readOnlyRootFilesystem: true` et monter un emptyDir sur ",
                fallback_path!(),
                " (l'image peut écrire ailleurs)"
            ),
        )
    };
    let applicability = if known {
        Applicability::Safe
    } else {
        Applicability::Unsafe
    };
    fix(title, applicability, operations)
}

/// Append items to a list member, creating the list when missing.
fn append(operations: &mut Vec<Operation>, owner: &str, key: &str, exists: bool, items: Vec<Json>) {
    if items.is_empty() {
        return;
    }
    let path = join(owner, key);
    if exists {
        for item in items {
            operations.push(Operation::Add {
                path: format!("{path}/-"),
                value: item,
            });
        }
    } else {
        operations.push(Operation::Add {
            path,
            value: Json::Array(items),
        });
    }
}

/// `nginx` + `/var/cache/nginx` → `nginx-cache`: the container name and the
/// path's most telling component (not the container's or image's own name),
/// as a DNS-1123 label.
fn volume_name(container: &str, image_name: &str, path: &str) -> String {
    let component = path
        .rsplit('/')
        .find(|c| !c.is_empty() && !container.contains(*c) && *c != image_name)
        .or_else(|| path.split('/').rfind(|c| !c.is_empty()))
        .unwrap_or("data");
    let raw = format!("{container}-{component}");
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    // Room for a `-N` suffix within the 63 characters of a label.
    name.truncate(59);
    name.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::volume_name;

    #[test]
    fn volume_names_follow_the_tutorial() {
        assert_eq!(
            volume_name("nginx", "nginx", "/var/cache/nginx"),
            "nginx-cache"
        );
        assert_eq!(volume_name("web", "nginx", "/var/cache/nginx"), "web-cache");
        assert_eq!(volume_name("nginx", "nginx", "/var/run"), "nginx-run");
        assert_eq!(volume_name("nginx", "nginx", "/tmp"), "nginx-tmp");
        assert_eq!(volume_name("My_App", "redis", "/data"), "my-app-data");
    }
}
