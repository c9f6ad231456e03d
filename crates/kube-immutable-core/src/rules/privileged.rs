use crate::context::{Container, Pod, SecurityContext};
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::{Applicability, Fix, Operation, Severity};
use crate::fix::ops;
use crate::node::Node;
use crate::rules::{declare_rule, misplaced_note, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `privileged`
    ///
    /// ## What it checks
    /// A container (init, regular or ephemeral) whose `securityContext` sets
    /// `privileged: true`.
    ///
    /// ## Why it matters
    /// A privileged container sees every device of the node and holds every
    /// capability: it can remount the root filesystem read-write, load kernel
    /// modules and change the host it runs on. Nothing it runs on stays
    /// unchanged, so it cannot be immutable. Pod Security Standards forbid it
    /// from the *baseline* level.
    ///
    /// `privileged` in the pod-level `securityContext` is not a Kubernetes
    /// field: it neither grants nor removes anything.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: nginx
    ///     image: nginx:1.27
    ///     securityContext:
    ///       privileged: true   # the container can change the node
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// containers:
    ///   - name: nginx
    ///     image: nginx:1.27
    ///     securityContext:
    ///       privileged: false
    /// ```
    ///
    /// ## Fix safety
    /// Setting `privileged: false` is a **safe** fix: an application that
    /// needed it was not immutable in the first place.
    ///
    /// Except beside a volume mount with `mountPropagation: Bidirectional`,
    /// which the API server allows only in a privileged container: there the
    /// fix also makes those mounts `HostToContainer`, and is **unsafe** (the
    /// mounts the container makes no longer reach the host, which is what a
    /// CSI driver or a CNI agent's init container relies on).
    ///
    /// ## References
    /// - [Pod Security Standards: Privileged Containers](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    pub(crate) static PRIVILEGED = RuleMeta {
        id: "privileged",
        default_severity: Severity::Error,
        default_level: Level::Error,
        summary: StaticMessage {
            en: "A container runs privileged",
            fr: "Un conteneur est privilégié",
        },
        fix: FixAvailability::Always,
        docs_fr: crate::rules::doc_text(include_str!("privileged.fr.md")),
        check: check,
    };
}

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    let note = misplaced_note(pod, "privileged");
    for c in &pod.containers {
        let sc = c.security_context();
        let field = sc.field("privileged");
        if field.as_bool() != Some(true) {
            continue;
        }
        let who = c.label();
        let mut help = Message::new(
            "Set `privileged: false` (or remove the field).",
            "Mettez `privileged: false` (ou supprimez le champ).",
        );
        help.push(&note);
        out.emit(
            &PRIVILEGED,
            Violation {
                container: Some(c),
                span: field.span(),
                message: Message::new(
                    format!(
                        "{} is privileged: it can change the node and itself",
                        who.en
                    ),
                    format!(
                        "{} est privilégié : il peut modifier le nœud et lui-même",
                        who.fr
                    ),
                ),
                help,
                pointer: field.pointer(),
                fix: unprivilege(c, &sc),
            },
        );
    }
}

/// `privileged: false`, and each `Bidirectional` mount of the container made
/// `HostToContainer`: the API server refuses Bidirectional propagation in an
/// unprivileged container ("Bidirectional mount propagation is available
/// only to privileged containers"), so a fix that only set `privileged:
/// false` would produce an object Kubernetes does not take.
fn unprivilege(c: &Container<'_>, sc: &SecurityContext<'_>) -> Option<Fix> {
    let mut operations = vec![ops::set(sc, "privileged", false.into())];
    let bidirectional: Vec<usize> = c
        .node
        .get("volumeMounts")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(_, mount)| {
            mount.get("mountPropagation").and_then(Node::as_str) == Some("Bidirectional")
        })
        .map(|(i, _)| i)
        .collect();
    if bidirectional.is_empty() {
        return ops::fix(
            Message::new("Set `privileged: false`", "Mettre `privileged: false`"),
            Applicability::Safe,
            operations,
        );
    }
    operations.extend(bidirectional.iter().map(|i| Operation::Replace {
        path: format!("{}/volumeMounts/{i}/mountPropagation", c.pointer),
        value: "HostToContainer".into(),
    }));
    ops::fix(
        Message::new(
            "Set `privileged: false` and make its Bidirectional mounts HostToContainer (mounts the container makes no longer reach the host)",
            "Mettre `privileged: false` et passer ses montages Bidirectional en HostToContainer (les montages faits par le conteneur n'atteignent plus l'hôte)",
        ),
        Applicability::Unsafe,
        operations,
    )
}
