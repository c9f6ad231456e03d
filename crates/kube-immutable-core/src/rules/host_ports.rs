use crate::context::Pod;
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::{Applicability, Operation, Severity};
use crate::fix::ops;
use crate::rules::{declare_rule, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `host-ports`
    ///
    /// ## What it checks
    /// A container port with a `hostPort` other than `0`, in any of the
    /// three container lists (one finding per port, at its `hostPort`), as
    /// Pod Security's *baseline* `hostPorts` check does.
    ///
    /// ## Why it matters
    /// A `hostPort` binds the container to a port of the node's own
    /// address. The pod then depends on the node it runs on (two such pods
    /// cannot share a node, a port already taken keeps it `Pending`), and it
    /// is reachable from wherever the node is, outside the Services and
    /// network policies that usually stand in front of it. Pod Security
    /// Standards disallow host ports from the *baseline* level.
    ///
    /// With `hostNetwork: true` Kubernetes sets `hostPort` to each
    /// `containerPort` itself; `host-namespaces` reports that case.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: registry.example/web:1.0
    ///     ports:
    ///       - containerPort: 8080
    ///         hostPort: 8080
    /// ```
    ///
    /// Use instead (and a Service in front of the pod):
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: registry.example/web:1.0
    ///     ports:
    ///       - containerPort: 8080
    /// ```
    ///
    /// ## Fix safety
    /// Removing `hostPort` is **unsafe**: clients that reach the pod on the
    /// node's address lose it until a Service (`NodePort`, `LoadBalancer`)
    /// or an Ingress takes over.
    ///
    /// ## References
    /// - [Pod Security Standards: Host Ports](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [Kubernetes: Configuration best practices, Services](https://kubernetes.io/docs/concepts/configuration/overview/#services)
    pub(crate) static HOST_PORTS = RuleMeta {
        id: "host-ports",
        default_severity: Severity::Warning,
        default_level: Level::Warning,
        summary: StaticMessage {
            en: "A container binds a port of the node (`hostPort`)",
            fr: "Un conteneur occupe un port du nœud (`hostPort`)",
        },
        fix: FixAvailability::Always,
        docs_fr: crate::rules::doc_text(include_str!("host_ports.fr.md")),
        check: check,
    };
}

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    for c in &pod.containers {
        for port in c.field("ports").items() {
            let Some(entry) = port.entry("hostPort") else {
                continue;
            };
            let Some(number) = entry.value.as_i64().filter(|&p| p != 0) else {
                continue;
            };
            let who = c.label();
            let pointer = port.member_pointer("hostPort");
            out.emit(
                &HOST_PORTS,
                Violation {
                    container: Some(c),
                    span: entry.span().or(port.span()),
                    message: Message::new(
                        format!("{} binds port {number} of the node (`hostPort: {number}`)", who.en),
                        format!("{} occupe le port {number} du nœud (`hostPort: {number}`)", who.fr),
                    ),
                    help: Message::new(
                        "Remove `hostPort` and reach the container through a Service or an Ingress.",
                        "Supprimez `hostPort` et atteignez le conteneur par un Service ou un Ingress.",
                    ),
                    fix: ops::fix(
                        Message::new("Remove `hostPort`", "Supprimer `hostPort`"),
                        Applicability::Unsafe,
                        vec![Operation::Remove {
                            path: pointer.clone(),
                        }],
                    ),
                    pointer,
                },
            );
        }
    }
}
