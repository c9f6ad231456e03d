use crate::context::Pod;
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::Severity;
use crate::rules::{declare_rule, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `host-path-volumes`
    ///
    /// ## What it checks
    /// A pod volume with a `hostPath` (one finding per volume, at its
    /// `hostPath` key), as Pod Security's *baseline* `hostPathVolumes` check
    /// does: any `hostPath` counts, whatever its path, type or mounts.
    ///
    /// ## Why it matters
    /// A `hostPath` volume mounts a file or folder of the node into the pod.
    /// What the container reads then depends on the node it lands on, and
    /// what it writes stays on that node after the pod is gone: the
    /// workload is no longer the image plus its manifest. A writable host
    /// path is also a door out of the container (the container runtime's
    /// socket, the kubelet's files, `/etc`). Pod Security Standards forbid
    /// it from the *baseline* level.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: registry.example/app:1.0
    ///     volumeMounts:
    ///       - name: logs
    ///         mountPath: /var/log/app
    /// volumes:
    ///   - name: logs
    ///     hostPath:
    ///       path: /var/log/app
    /// ```
    ///
    /// Use instead (scratch space that lives and dies with the pod):
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: registry.example/app:1.0
    ///     volumeMounts:
    ///       - name: logs
    ///         mountPath: /var/log/app
    /// volumes:
    ///   - name: logs
    ///     emptyDir: {}
    /// ```
    ///
    /// ## Fix safety
    /// There is no automatic fix: removing the volume would break the
    /// containers that mount it, and only you know what should replace it.
    /// Use an `emptyDir` for scratch space, a `configMap` or `secret` for
    /// configuration, and a `persistentVolumeClaim` for data that must
    /// survive the pod. A node agent that really needs the node's files (a
    /// log collector, a CSI driver) can be exempted with the
    /// `kube-immutable.io/ignore` annotation and a reason.
    ///
    /// ## References
    /// - [Pod Security Standards: HostPath Volumes](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [Kubernetes: hostPath](https://kubernetes.io/docs/concepts/storage/volumes/#hostpath)
    pub(crate) static HOST_PATH_VOLUMES = RuleMeta {
        id: "host-path-volumes",
        default_severity: Severity::Error,
        default_level: Level::Error,
        summary: StaticMessage {
            en: "The pod mounts a path of the node (`hostPath` volume)",
            fr: "Le pod monte un chemin du nœud (volume `hostPath`)",
        },
        fix: FixAvailability::None,
        docs_fr: crate::rules::doc_text(include_str!("host_path_volumes.fr.md")),
        check: check,
    };
}

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    for volume in pod.field("volumes").items() {
        // A mapping, even empty; another type is an input error (engine).
        let Some(host_path) = volume
            .entry("hostPath")
            .filter(|e| e.value.as_map().is_some())
        else {
            continue;
        };
        let name = volume
            .entry("name")
            .and_then(|e| e.value.as_str())
            .map_or_else(|| format!("#{}", volume.index), ToOwned::to_owned);
        let path = host_path.value.get("path").and_then(|p| p.as_str());
        let (what_en, what_fr) = match path {
            Some(path) => (
                format!("the node's `{path}`"),
                format!("le chemin `{path}` du nœud"),
            ),
            None => (
                "a path of the node".to_owned(),
                "un chemin du nœud".to_owned(),
            ),
        };
        out.emit(
            &HOST_PATH_VOLUMES,
            Violation {
                container: None,
                span: host_path.key_span.or_else(|| host_path.span()).or(volume.span()),
                message: Message::new(
                    format!("volume \"{name}\" mounts {what_en} into the pod (`hostPath`)"),
                    format!("le volume « {name} » monte {what_fr} dans le pod (`hostPath`)"),
                ),
                help: Message::new(
                    "Use an `emptyDir` for scratch space, a `configMap` or `secret` for configuration, or a `persistentVolumeClaim` for data; exempt a node agent that needs the node's files with the `kube-immutable.io/ignore` annotation and a reason.",
                    "Utilisez un `emptyDir` pour l'espace de travail, un `configMap` ou un `secret` pour la configuration, ou un `persistentVolumeClaim` pour les données ; exemptez un agent de nœud qui a besoin des fichiers du nœud avec l'annotation `kube-immutable.io/ignore` et une raison.",
                ),
                pointer: volume.member_pointer("hostPath"),
                fix: None,
            },
        );
    }
}
