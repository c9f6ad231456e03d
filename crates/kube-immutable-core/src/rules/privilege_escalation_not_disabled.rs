use crate::context::Pod;
use crate::diagnostic::Message;
use crate::engine::{Emitter, Violation};
use crate::finding::Severity;
use crate::fix::ops;
use crate::rules::{declare_rule, misplaced_note, FixAvailability, StaticMessage};
use crate::settings::Level;

declare_rule! {
    /// # `privilege-escalation-not-disabled`
    ///
    /// ## What it checks
    /// A container that leaves `allowPrivilegeEscalation` unset. Pods with
    /// `spec.os.name: windows` are exempt.
    ///
    /// ## Why it matters
    /// Unset is not `false`: Kubernetes then allows escalation and the
    /// kernel's `no_new_privs` flag stays off, so a setuid binary in the
    /// image can still make a process root. Pod Security Standards'
    /// *restricted* level requires an explicit `false`. This is a warning by
    /// default because the tutorial's immutable pod leaves it implicit; the
    /// `restricted` preset makes it an error.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    ///   - name: nginx
    ///     image: nginx:1.27
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// containers:
    ///   - name: nginx
    ///     image: nginx:1.27
    ///     securityContext:
    ///       allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## Fix safety
    /// Setting `false` is **safe**. On a container that is privileged or adds
    /// `CAP_SYS_ADMIN` the API server rejects `false` (it compares that exact
    /// spelling, so `SYS_ADMIN` is fine): no fix is offered there until
    /// `privileged` or the capability is gone (`fix` sets `privileged:
    /// false` first, then this).
    ///
    /// ## References
    /// - [Pod Security Standards: Privilege Escalation](https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted)
    pub(crate) static PRIVILEGE_ESCALATION_NOT_DISABLED = RuleMeta {
        id: "privilege-escalation-not-disabled",
        default_severity: Severity::Warning,
        default_level: Level::Warning,
        summary: StaticMessage {
            en: "A container does not disable privilege escalation",
            fr: "Un conteneur ne désactive pas l'élévation de privilèges",
        },
        fix: FixAvailability::Sometimes,
        docs_fr: crate::rules::doc_text(include_str!("privilege_escalation_not_disabled.fr.md")),
        check: check,
    };
}

fn check(pod: &Pod<'_>, out: &mut Emitter<'_>) {
    if pod.windows {
        return;
    }
    let note = misplaced_note(pod, "allowPrivilegeEscalation");
    for c in &pod.containers {
        let field = c.security_context().field("allowPrivilegeEscalation");
        if field.is_set() {
            continue;
        }
        let who = c.label();
        let mut help = Message::new(
            "Add `allowPrivilegeEscalation: false` to the container's `securityContext`.",
            "Ajoutez `allowPrivilegeEscalation: false` au `securityContext` du conteneur.",
        );
        help.push(&note);
        out.emit(
            &PRIVILEGE_ESCALATION_NOT_DISABLED,
            Violation {
                container: Some(c),
                span: field.span(),
                message: Message::new(
                    format!("{} does not set `allowPrivilegeEscalation: false`, so escalation is allowed", who.en),
                    format!("{} ne définit pas `allowPrivilegeEscalation: false` : l'élévation reste permise", who.fr),
                ),
                help,
                pointer: field.pointer(),
                fix: ops::disable_escalation(c),
            },
        );
    }
}
