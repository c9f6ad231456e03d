use crate::context::{Container, Item, Pod};
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::{Applicability, Fix, Severity};
use crate::fix::ops;
use crate::rules::{declare_rule, misplaced_note, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `added-capabilities`
    ///
    /// ## What it checks
    /// A container whose `securityContext.capabilities.add` holds a
    /// capability outside Pod Security's *baseline* set: `AUDIT_WRITE`,
    /// `CHOWN`, `DAC_OVERRIDE`, `FOWNER`, `FSETID`, `KILL`, `MKNOD`,
    /// `NET_BIND_SERVICE`, `SETFCAP`, `SETGID`, `SETPCAP`, `SETUID`,
    /// `SYS_CHROOT` (one finding per entry, at the entry). Names are
    /// compared exactly, as Kubernetes does: `CAP_CHOWN` and `chown` are
    /// not `CHOWN`. All three container lists are checked; Windows pods are
    /// not exempt (Pod Security's baseline check does not exempt them).
    ///
    /// ## Why it matters
    /// Capabilities are pieces of root. `SYS_ADMIN` lets a process mount
    /// filesystems, so it can remount its own read-only root read-write and
    /// change the container while it runs; `NET_ADMIN` rewrites the pod's
    /// network, `SYS_PTRACE` reads and changes other processes, `SYS_MODULE`
    /// loads code into the node's kernel. Pod Security Standards' *baseline*
    /// level allows only the set above, which container runtimes grant by
    /// default anyway.
    ///
    /// ## Example
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add:
    ///       - SYS_ADMIN
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop:
    ///       - ALL
    /// ```
    ///
    /// ## Fix safety
    /// The fix removes the container's capabilities outside the baseline
    /// set from `add` (and `add` itself when nothing is left). It is
    /// **unsafe**: the application may need the capability to work.
    ///
    /// ## References
    /// - [Pod Security Standards: Capabilities](https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline)
    /// - [Kubernetes: Set capabilities for a container](https://kubernetes.io/docs/tasks/configure-pod-container/security-context/#set-capabilities-for-a-container)
    pub(crate) static ADDED_CAPABILITIES = RuleMeta {
        id: "added-capabilities",
        default_severity: Severity::Error,
        default_level: Level::Error,
        summary: StaticMessage {
            en: "A container adds a capability beyond Pod Security's baseline",
            fr: "Un conteneur ajoute une capacité hors de la liste « baseline » de Pod Security",
        },
        fix: FixAvailability::Always,
        docs_fr: crate::rules::doc_text(include_str!("added_capabilities.fr.md")),
        check: check,
    };
}

/// Pod Security's *baseline* capabilities (`capabilities_allowed_1_0` in
/// pod-security-admission): what runtimes grant by default.
pub(crate) const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    let note = misplaced_note(pod, "capabilities");
    for c in &pod.containers {
        let add = c.security_context().capabilities().field("add");
        let forbidden: Vec<(Item<'_>, &str)> = add
            .items()
            .filter_map(|item| Some((item, item.as_str()?)))
            .filter(|(_, cap)| !BASELINE_CAPABILITIES.contains(cap))
            .collect();
        if forbidden.is_empty() {
            continue;
        }
        let who = c.label();
        for (item, cap) in &forbidden {
            let mut help = Message::new(
                format!("Remove `{cap}` from `capabilities.add`; Pod Security's baseline allows only {}.", BASELINE_CAPABILITIES.join(", ")),
                format!("Retirez `{cap}` de `capabilities.add` ; la liste « baseline » de Pod Security n'autorise que {}.", BASELINE_CAPABILITIES.join(", ")),
            );
            if let Some(exact) = spelled_differently(cap) {
                help.push(&Message::new(
                    format!(" Kubernetes compares names exactly: write `{exact}`."),
                    format!(" Kubernetes compare les noms à l'identique : écrivez `{exact}`."),
                ));
            }
            help.push(&note);
            out.emit(
                &ADDED_CAPABILITIES,
                Violation {
                    container: Some(c),
                    span: item.span(),
                    message: Message::new(
                        format!("{} adds capability `{cap}`, beyond Pod Security's baseline", who.en),
                        format!("{} ajoute la capacité `{cap}`, hors de la liste « baseline » de Pod Security", who.fr),
                    ),
                    help,
                    pointer: item.pointer(),
                    fix: remove(c, &forbidden),
                },
            );
        }
    }
}

/// `CAP_CHOWN` or `chown` for `CHOWN`: the baseline name it was meant to be.
fn spelled_differently(cap: &str) -> Option<&'static str> {
    let upper = cap.to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    BASELINE_CAPABILITIES.iter().copied().find(|c| *c == bare)
}

/// Remove every capability of `forbidden` from the container's `add`.
fn remove(c: &Container<'_>, forbidden: &[(Item<'_>, &str)]) -> Option<Fix> {
    let add = c.security_context().capabilities().field("add");
    let indices: Vec<usize> = forbidden.iter().map(|(item, _)| item.index).collect();
    let names: Vec<String> = forbidden
        .iter()
        .map(|(_, cap)| format!("`{cap}`"))
        .collect();
    let names = names.join(", ");
    ops::fix(
        Message::new(
            format!("Remove {names} from `capabilities.add`"),
            format!("Retirer {names} de `capabilities.add`"),
        ),
        Applicability::Unsafe,
        ops::remove_items(&add, &indices),
    )
}
