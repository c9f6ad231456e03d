use crate::context::Pod;
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::Severity;
use crate::fix::ops;
use crate::rules::{declare_rule, misplaced_note, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `writable-root-filesystem`
    ///
    /// ## What it checks
    /// A container without `readOnlyRootFilesystem: true` in its
    /// `securityContext` (unset or `false`). Pods with `spec.os.name: windows`
    /// are exempt: the field cannot be set there.
    ///
    /// ## Why it matters
    /// This is the heart of immutability: with a writable root filesystem a
    /// process (or an attacker) can change the container's binaries and
    /// configuration while it runs, and the running container no longer
    /// matches its image. With a read-only root, the application writes only
    /// where you mount a volume for it, and a restart always brings back the
    /// image as built. `readOnlyRootFilesystem` in the pod `securityContext`
    /// is not a Kubernetes field and has no effect.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: nginx
    ///     image: nginx:1.27
    /// ```
    ///
    /// Use instead (the paths nginx writes get an `emptyDir` each):
    /// ```yaml
    /// containers:
    ///   - name: nginx
    ///     image: nginx:1.27
    ///     securityContext:
    ///       readOnlyRootFilesystem: true
    ///     volumeMounts:
    ///       - name: nginx-cache
    ///         mountPath: /var/cache/nginx
    ///       - name: nginx-run
    ///         mountPath: /var/run
    /// volumes:
    ///   - name: nginx-cache
    ///     emptyDir: {}
    ///   - name: nginx-run
    ///     emptyDir: {}
    /// ```
    ///
    /// ## Fix safety
    /// The fix sets `readOnlyRootFilesystem: true` and mounts an `emptyDir`
    /// at each path the image writes that is not mounted yet, reusing an
    /// `emptyDir` of the same name (a volume of another kind, such as a
    /// read-only configMap, is never mounted there: the new one gets another
    /// name). It is **safe** for images in the
    /// known-images table (`nginx`: `/var/cache/nginx`, `/var/run`, `/tmp`;
    /// `nginxinc/nginx-unprivileged`: `/tmp`; `httpd`:
    /// `/usr/local/apache2/logs`; `redis`: `/data`, `/tmp`; `postgres`:
    /// `/var/lib/postgresql/data`, `/var/run/postgresql`, `/tmp`) and
    /// **unsafe** otherwise, where it mounts only `/tmp` and the application
    /// may write elsewhere.
    ///
    /// ## References
    /// - [Kubernetes: SecurityContext](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/)
    pub(crate) static WRITABLE_ROOT_FILESYSTEM = RuleMeta {
        id: "writable-root-filesystem",
        default_severity: Severity::Error,
        default_level: Level::Error,
        summary: StaticMessage {
            en: "A container's root filesystem is writable",
            fr: "Le système de fichiers racine d'un conteneur est modifiable",
        },
        fix: FixAvailability::Always,
        docs_fr: crate::rules::doc_text(include_str!("writable_root_filesystem.fr.md")),
        check: check,
    };
}

/// Images whose writable paths are known: repository (without registry
/// `docker.io`/`library`, tag or digest) → paths to mount an `emptyDir` at.
pub static KNOWN_IMAGES: &[(&str, &[&str])] = &[
    ("nginx", &["/var/cache/nginx", "/var/run", "/tmp"]),
    ("nginxinc/nginx-unprivileged", &["/tmp"]),
    ("httpd", &["/usr/local/apache2/logs"]),
    ("redis", &["/data", "/tmp"]),
    (
        "postgres",
        &["/var/lib/postgresql/data", "/var/run/postgresql", "/tmp"],
    ),
];

/// The fallback path, as a literal the help text is put together from.
macro_rules! fallback_path {
    () => {
        "/tmp"
    };
}
pub(crate) use fallback_path;

/// Fallback for images not in [`KNOWN_IMAGES`].
pub const FALLBACK_PATHS: &[&str] = &[fallback_path!()];

/// The paths an image writes, and whether they are known (`true`) or the
/// `/tmp` fallback (`false`).
pub fn writable_paths(image: Option<&str>) -> (&'static [&'static str], bool) {
    let repo = image.map(repository).unwrap_or_default();
    let repo = repo
        .strip_prefix("docker.io/")
        .unwrap_or(repo)
        .strip_prefix("library/")
        .unwrap_or_else(|| repo.strip_prefix("docker.io/").unwrap_or(repo));
    KNOWN_IMAGES
        .iter()
        .find(|(name, _)| *name == repo)
        .map_or((FALLBACK_PATHS, false), |(_, paths)| (*paths, true))
}

/// `registry/repo:tag@digest` → `registry/repo`.
pub(crate) fn repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    // A `:` after the last `/` starts the tag (a `:` before it is a port).
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].find(':') {
        Some(colon) => &image[..last_slash + colon],
        None => image,
    }
}

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    if pod.windows {
        return;
    }
    let note = misplaced_note(pod, "readOnlyRootFilesystem");
    for c in &pod.containers {
        let field = c.security_context().field("readOnlyRootFilesystem");
        let value = field.as_bool();
        if value == Some(true) {
            continue;
        }
        // Built only for a finding: most containers have none.
        let who = c.label();
        let message = if value == Some(false) {
            Message::new(
                format!("{} has a writable root filesystem (`readOnlyRootFilesystem: false`)", who.en),
                format!("{} a un système de fichiers racine modifiable (`readOnlyRootFilesystem: false`)", who.fr),
            )
        } else {
            Message::new(
                format!("{} has a writable root filesystem: `readOnlyRootFilesystem` is not `true`", who.en),
                format!("{} a un système de fichiers racine modifiable : `readOnlyRootFilesystem` n'est pas `true`", who.fr),
            )
        };
        let (paths, known) = writable_paths(c.image);
        let mut help = if known {
            let list = paths.join(", ");
            Message::new(
                format!("Set `readOnlyRootFilesystem: true` and mount an `emptyDir` at each path this image writes: {list}."),
                format!("Mettez `readOnlyRootFilesystem: true` et montez un `emptyDir` sur chaque chemin où cette image écrit : {list}."),
            )
        } else {
            // A literal, as most images are not known: findings borrow it.
            Message::new(
                concat!("Set `readOnlyRootFilesystem: true` and mount an `emptyDir` where the application writes (at least ", fallback_path!(), ")."),
                concat!("Mettez `readOnlyRootFilesystem: true` et montez un `emptyDir` là où l'application écrit (au moins ", fallback_path!(), ")."),
            )
        };
        help.push(&note);
        out.emit(
            &WRITABLE_ROOT_FILESYSTEM,
            Violation {
                container: Some(c),
                span: field.span(),
                message,
                help,
                pointer: field.pointer(),
                fix: ops::read_only_root(pod, c),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_repositories() {
        assert_eq!(repository("nginx:1.27"), "nginx");
        assert_eq!(repository("localhost:5000/nginx:1"), "localhost:5000/nginx");
        assert_eq!(repository("nginx@sha256:abc"), "nginx");
        assert!(writable_paths(Some("docker.io/library/nginx:1.27")).1);
        assert!(writable_paths(Some("docker.io/nginx")).1);
        assert!(!writable_paths(Some("quay.io/nginx")).1);
        assert_eq!(writable_paths(None), (FALLBACK_PATHS, false));
    }
}
